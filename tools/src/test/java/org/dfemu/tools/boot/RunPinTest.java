package org.dfemu.tools.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.dfemu.emulator.disk.ImageMode;
import org.dfemu.emulator.trace.TraceWriter;
import org.dfemu.kernel.harness.trace.KernelEvents;
import org.dfemu.tools.image.ImageWriter;
import org.dfemu.tools.image.SpecParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pins whole runs: for the default image and for swapmeta-pressure under each SWAPMETA allocator,
 * at three seeds each, the scheduler's digest of every scheduling decision, the virtual time at
 * the end, the outcome and the SHA-256 of the trace file with every event recorded.
 *
 * <p>A change that is meant to leave the kernel's behaviour alone (speed, structure) must keep
 * every row green: one scheduling decision, one virtual timestamp or one trace record changed
 * shows here. A change that alters behaviour on purpose (a C behaviour brought into the port)
 * re-pins the rows in the same commit and says which behaviour changed them.
 */
class RunPinTest {
    @TempDir
    static Path dir;
    static Path defaultImage;
    static Path pressureImage;

    @BeforeAll
    static void buildImages() throws Exception {
        defaultImage = build(dir, "default.spec");
        pressureImage = build(dir, "swapmeta-pressure.spec");
    }

    /** Builds the committed disk-images/{@code specName} into {@code dir}; returns the image. */
    static Path build(Path dir, String specName) throws Exception {
        // Surefire runs in the module directory; the specs are the committed ones, beside it.
        Path spec = Path.of("..", "disk-images", specName);
        Path image = dir.resolve(specName.replace(".spec", ".img"));
        ImageWriter.write(SpecParser.parse(specName, Files.readAllBytes(spec)), image, false);
        return image;
    }

    /** image, swapmeta_alloc (null: the image's own), seed, outcome, virtual ns, digest, trace SHA-256. */
    static Stream<Arguments> pinned() {
        return Stream.of(
                Arguments.of("default", null, 1L, "OK", 7268580628L, 5502830134348277333L, "6337d730ca5990604cbc34dc4956c64aaeef17ed4f2ff99634434ae8ed94d4c4"),
                Arguments.of("default", null, 2L, "OK", 7282815788L, 4210370606328065357L, "60a224e24c33b1778e8c97b89d1c14b5edc1042ac642b94b12601f90c4bf71cb"),
                Arguments.of("default", null, 3L, "OK", 7289400140L, 3818123030175170488L, "858e2b02ab47b0534f8f614f56afde3278f3b8cd6806351642b42d35153cb822"),
                Arguments.of("pressure", "zalloc", 1L, "OK", 6295475640L, -3476527969907913498L, "310fab298231ccb28e919343cc75bbab098f16592e0f2f8af4c77ccb3426ba74"),
                Arguments.of("pressure", "zalloc", 2L, "OK", 6300285412L, 2848931725089166904L, "6f82274fe5f322f79a0796d5d63cf74f225f07a28178d3b0ecd5ce284d3bc503"),
                Arguments.of("pressure", "zalloc", 3L, "OK", 6298825728L, 7298740054423734802L, "d27cc84277e710891658908b866ea59e6601d86aa872135b9de3b1aeb687bc07"),
                Arguments.of("pressure", "kmalloc_obj", 1L, "LIVELOCK", 30000284800L, -6010280476433922112L, "c420396e595a3a29b1d8b9bc4e3627bde11265285b4bfd02535b008437af2737"),
                Arguments.of("pressure", "kmalloc_obj", 2L, "LIVELOCK", 30000284800L, -7057824162416078502L, "266f7ddf0b0ac5fd31ec62f9b62825654accf64b34342a11c789129f47116205"),
                Arguments.of("pressure", "kmalloc_obj", 3L, "LIVELOCK", 30000284800L, -2376849909941709873L, "abb25f7004cc664bfb358f62a60cbe86ec77487d74893e8972966be3653adf51"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 1L, "OK", 6299173100L, -8922652103150837832L, "c47d56acf3338d7b7c76d3b041d34fd567e480631a3bf1d330b0ec39dd51ac56"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 2L, "OK", 6303512876L, 5972890131432581253L, "06dd53da6ff755a431b5182d11cc84a972727237465ed4c049070f2904ea224d"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 3L, "OK", 6301973492L, 7195797205709317372L, "934a05dd94fd36dc4cc10ee48bc3ad02b8a43b4954bf0b7504a291ebf8c25811"));
    }

    @ParameterizedTest(name = "{0} {1} seed {2}")
    @MethodSource("pinned")
    void runIsUnchanged(String image, String swapmetaAlloc, long seed, String outcome, long timeNs, long digest,
                        String traceSha) throws Exception {
        Path img = image.equals("default") ? defaultImage : pressureImage;
        Map<String, String> overrides = swapmetaAlloc == null ? Map.of() : Map.of("vm.swapmeta_alloc", swapmetaAlloc);
        // --time 60 is the command's default.
        BootPlan plan = BootPlan.open(img, ImageMode.COPY_ON_WRITE, overrides, seed, 60_000_000_000L);
        Path trace = dir.resolve(image + "-" + swapmetaAlloc + "-" + seed + ".dftrace");
        RunRecord record;
        try (TraceWriter writer = TraceWriter.open(trace, List.of(KernelEvents.names()))) {
            record = Boot.run(plan, writer, new PrintWriter(new StringWriter()));
        }
        String sha = sha256(trace);
        Files.delete(trace);
        String actual = String.format("Arguments.of(\"%s\", %s, %dL, \"%s\", %dL, %dL, \"%s\"),", image,
                swapmetaAlloc == null ? "null" : "\"" + swapmetaAlloc + "\"", seed, record.outcome(), record.timeNs(),
                record.scheduleDigest(), sha);
        String expected = String.format("Arguments.of(\"%s\", %s, %dL, \"%s\", %dL, %dL, \"%s\"),", image,
                swapmetaAlloc == null ? "null" : "\"" + swapmetaAlloc + "\"", seed, outcome, timeNs, digest, traceSha);
        assertEquals(expected, actual, "the run changed; a change meant to keep runs must not, one that changes them "
                + "on purpose re-pins this row and says why");
    }

    static String sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
