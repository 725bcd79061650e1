package org.dfemu.tools.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MkimageCommandTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = new CommandLine(new MkimageCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return cl.execute(args);
    }

    private Path spec(String text) throws Exception {
        Path spec = dir.resolve("m.spec");
        Files.writeString(spec, text);
        return spec;
    }

    private List<String> files() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void buildsTheImageAndPrintsOneSummaryLine() throws Exception {
        Path spec = spec("setting hw.ncpu=2\npartition swap 8M\nprogram p\nend\n");
        Path image = dir.resolve("m.img");
        assertEquals(0, run(spec.toString(), "-o", image.toString()));
        assertEquals("", err.toString());
        assertEquals("wrote " + image + " (8400896 bytes): boot 4K at sector 8 (1 setting), user 4K at sector 16 (1 program, 1 process at boot, 20 bytes),"
                + " swap 8M at sector 24 (sparse)\n", out.toString());
        assertEquals(List.of("hw.ncpu"), List.copyOf(DiskImage.open(image).bootSettings().keySet()));
    }

    @Test
    void badSpecExitsTwoWithFileAndLine() throws Exception {
        Path spec = spec("setting hw.ncpu=2\npartition swap 8X\n");
        Path image = dir.resolve("m.img");
        assertEquals(2, run(spec.toString(), "-o", image.toString()));
        assertEquals("dfemu mkimage: m.spec:2: partition swap: malformed size '8X' (expected a number with an optional k/m/g suffix)\n",
                err.toString());
        assertEquals("", out.toString());
        assertEquals(List.of("m.spec"), files());
    }

    @Test
    void badMemoryControlInstructionExitsTwoWithFileAndLine() throws Exception {
        Path image = dir.resolve("m.img");
        String[][] cases = {
                {"  mlock r0 0 0\n", "m.spec:4: mlock: count 0 is out of range 1..268435456"},
                {"  munlock r0 99 1\n", "m.spec:4: pages 99..99 are outside r0 (pages 0..15)"},
                {"  mlockall now\n", "m.spec:4: mlockall: unknown flags 'now' (expected current, future or current,future)"},
                {"  munlockall all\n", "m.spec:4: expected 'munlockall'"},
                {"  mprotect r0 wx\n", "m.spec:4: mprotect: unknown protection 'wx' (expected none, ro or rw)"},
                {"  madvise r3 free\n", "m.spec:4: r3 is not mapped"},
                {"  write r0 15 2\n", "m.spec:4: pages 15..16 are outside r0 (pages 0..15)"},
                {"  verify r0 0\n", "m.spec:4: expected 'verify rN [PAGE COUNT]'"},
                {"  unmap r0 0 8\n  unmap r0 4 1\n", "m.spec:5: pages 4..4 of r0 are not all mapped (mapped: 8..15)"},
        };
        for (String[] c : cases) {
            out.getBuffer().setLength(0);
            err.getBuffer().setLength(0);
            Path spec = spec("program p\n  map r0 64K rw\n  sleep 1ms\n" + c[0] + "end\n");
            assertEquals(2, run(spec.toString(), "-o", image.toString()), c[0]);
            assertEquals("dfemu mkimage: " + c[1] + "\n", err.toString(), c[0]);
            assertEquals("", out.toString());
        }
    }

    @Test
    void refusesToOverwriteWithoutForce() throws Exception {
        Path spec = spec("setting hw.ncpu=2\n");
        Path image = dir.resolve("m.img");
        byte[] precious = "not an image".getBytes(StandardCharsets.US_ASCII);
        Files.write(image, precious);
        assertEquals(2, run(spec.toString(), "-o", image.toString()));
        assertEquals("dfemu mkimage: " + image + " exists (use --force to replace it)\n", err.toString());
        assertArrayEquals(precious, Files.readAllBytes(image));
        assertEquals(List.of("m.img", "m.spec"), files());

        assertEquals(0, run(spec.toString(), "-o", image.toString(), "--force"));
        assertEquals(List.of("hw.ncpu"), List.copyOf(DiskImage.open(image).bootSettings().keySet()));
        assertEquals(List.of("m.img", "m.spec"), files());
    }

    @Test
    void missingSpecAndMissingOutputDirectoryExitTwo() throws Exception {
        assertEquals(2, run(dir.resolve("none.spec").toString(), "-o", dir.resolve("m.img").toString()));
        assertTrue(err.toString().startsWith("dfemu mkimage: "), err.toString());
        assertTrue(err.toString().contains("none.spec: no such file or directory"), err.toString());

        Path spec = spec("setting hw.ncpu=2\n");
        err.getBuffer().setLength(0);
        assertEquals(2, run(spec.toString(), "-o", dir.resolve("no/such/m.img").toString()));
        assertEquals("dfemu mkimage: " + dir.resolve("no/such") + ": no such file or directory\n", err.toString());
        assertEquals(List.of("m.spec"), files());
    }

    @Test
    void missingOutputOptionIsAUsageError() throws Exception {
        assertEquals(2, run(spec("").toString()));
        assertTrue(err.toString().contains("Missing required option: '--output=IMAGE'"), err.toString());
    }
}
