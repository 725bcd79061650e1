package org.dfemu.tools.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.HashMap;
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
 * The default image and swapmeta-pressure under each SWAPMETA allocator, seed 1, booted with
 * {@code debug.tlb_check=1}: every TLB hit of every kernel and user access is compared with the
 * page tables, so a port that misses an invalidation the C makes panics here; and since the check
 * changes nothing, each run ends exactly as {@link RunPinTest} pins it (outcome, virtual time,
 * scheduler digest, trace SHA-256).
 */
class TlbCheckRunTest {
    @TempDir
    static Path dir;
    static Path defaultImage;
    static Path pressureImage;

    @BeforeAll
    static void buildImages() throws Exception {
        defaultImage = build("default.spec");
        pressureImage = build("swapmeta-pressure.spec");
    }

    private static Path build(String specName) throws Exception {
        Path spec = Path.of("..", "disk-images", specName);
        Path image = dir.resolve(specName.replace(".spec", ".img"));
        ImageWriter.write(SpecParser.parse(specName, Files.readAllBytes(spec)), image, false);
        return image;
    }

    /** RunPinTest's seed-1 rows: one per image and allocator. */
    static Stream<Arguments> seedOne() {
        return RunPinTest.pinned().filter(a -> (long) a.get()[2] == 1L);
    }

    @ParameterizedTest(name = "{0} {1} seed {2}")
    @MethodSource("seedOne")
    void checkedRunEndsAsPinned(String image, String swapmetaAlloc, long seed, String outcome, long timeNs, long digest,
                                String traceSha) throws Exception {
        Path img = image.equals("default") ? defaultImage : pressureImage;
        Map<String, String> overrides = new HashMap<>(Map.of("debug.tlb_check", "1"));
        overrides.putAll(RunPinTest.NO_CPU_TIME);
        if (swapmetaAlloc != null) overrides.put("vm.swapmeta_alloc", swapmetaAlloc);
        BootPlan plan = BootPlan.open(img, ImageMode.COPY_ON_WRITE, overrides, seed, 60_000_000_000L);
        Path trace = dir.resolve(image + "-" + swapmetaAlloc + "-" + seed + ".dftrace");
        StringWriter console = new StringWriter();
        RunRecord record;
        try (TraceWriter writer = TraceWriter.open(trace, List.of(KernelEvents.names()))) {
            record = Boot.run(plan, writer, new PrintWriter(console));
        }
        String sha = sha256(trace);
        Files.delete(trace);
        assertTrue(console.toString().contains("every hit checked against the page tables (debug.tlb_check)"),
                "the machine's CPUs run with the check");
        assertEquals(outcome + " " + timeNs + " " + digest + " " + traceSha,
                record.outcome() + " " + record.timeNs() + " " + record.scheduleDigest() + " " + sha,
                "with every TLB hit checked the run must end as pinned; a panic above names a stale translation");
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
