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
 *
 * <p>{@link #pinned()} runs with the CPU-time model off ({@link #NO_CPU_TIME}: every
 * {@code machine.cpu_*} setting 0), the machine as it was before the model, so its rows keep
 * their meaning across changes to the model's defaults; {@link #pinnedCpuTime()} pins seed 1 of
 * each image and allocator with the model's defaults (as {@code dfemu boot} runs).
 *
 * <p>Last re-pinned for kernel threads and processes spending memory as the C does: each thread's
 * struct thread is a 1600-byte kmalloc from M_THREAD and its 16 KiB kernel stack comes from
 * kernel_map (kmem_alloc_stack, KM_STACK: guard page plus 3 wired pages), each proc a 1208-byte
 * kmalloc from M_PROC and each LWP a 608-byte one from M_LWP (they were one DMAP page per thread
 * and 56 bytes of M_TEMP per proc). Every row moved: the daemons' and processes' threads take
 * different pages and kernel_map ranges (and extra kmalloc zones), so fewer pages are free after
 * boot and the pagedaemon's wakeups, the faults' page choices and the trace records shift. No
 * outcome changed. The four CPU-time rows were re-pinned once more when every SWAPMETA path
 * hook became an instrument (its own reads and writes had been charged as kernel accesses).
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

    /** Every {@code machine.cpu_*} setting 0: no CPU time, only explicit charges move the clock. */
    static final Map<String, String> NO_CPU_TIME = Map.of(
            "machine.cpu_ps_per_access", "0", "machine.cpu_ns_per_page_zero", "0", "machine.cpu_ns_per_page_copy", "0",
            "machine.cpu_ns_per_trap", "0", "machine.cpu_ns_per_switch", "0", "machine.cpu_ns_per_tlb_walk", "0");

    /**
     * With the CPU-time model's defaults: image, swapmeta_alloc, seed, outcome, virtual ns, digest,
     * trace SHA-256. Pinned when the model came in (2026-12-07): accesses, page walks, traps,
     * page zeroing and copying and context switches take virtual time, and the pageout daemon's
     * lwkt_yield points charge the model's time instead of flat charges.
     */
    static Stream<Arguments> pinnedCpuTime() {
        return Stream.of(
                Arguments.of("default", null, 1L, "OK", 7273628837L, 3605474266451228731L, "e980bc07039a89bc1e637355a16ac91e133475788a4ddf9d646f2bf22dbb676b"),
                Arguments.of("pressure", "zalloc", 1L, "OK", 6312843332L, 6981010518204364275L, "1cfd7d79223c2d8d64e3057249e3c277ff4b17bdfe55fca71d182ca4aa459e70"),
                Arguments.of("pressure", "kmalloc_obj", 1L, "LIVELOCK", 30003157264L, 8688457091468366706L, "4e92ce986f29400c8268b6c3a87cb3c5f3031a4eb0956d84a7ed8b9755049105"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 1L, "OK", 6317564332L, -7598121477268007689L, "8cd1ae1eea593cd8a6f377cf46d0401f9ae2c55e9b63a68d1bb7dc3e7afcc9cb"));
    }

    /** Without CPU time ({@link #NO_CPU_TIME}): image, swapmeta_alloc (null: the image's own), seed, outcome, virtual ns, digest, trace SHA-256. */
    static Stream<Arguments> pinned() {
        return Stream.of(
                Arguments.of("default", null, 1L, "OK", 7301222816L, -1565456097479621490L, "06df60944538ef0b80b8693ca7a47519bb7c64030c3e4dfc5d0b7566888b3fc2"),
                Arguments.of("default", null, 2L, "OK", 7300562008L, -2999476305025829186L, "943e957dd0f3a357f4b6a24fdbe497fa400a260e8cc5a6be0fb103cafe080422"),
                Arguments.of("default", null, 3L, "OK", 7279850268L, 1595900507336714271L, "9858f87bac670c7c551390d683edfe5c71a68edde61e7100a33a7f12e727fbce"),
                Arguments.of("pressure", "zalloc", 1L, "OK", 6310067504L, -1723732346809976490L, "9f9be3360189fe78e96437d47001765554efa2ae1627445bf23b63283654b13c"),
                Arguments.of("pressure", "zalloc", 2L, "OK", 6315173464L, -1238996581661062592L, "a48bc4ab0b4fa64f7c254c57fb277d5e842fd7a2a8754a112934ea1a02469e13"),
                Arguments.of("pressure", "zalloc", 3L, "OK", 6309935780L, 5662630069879022383L, "66ee2b8eee25eca13031f2d395774a6e491d53908e67080517125b618e625860"),
                Arguments.of("pressure", "kmalloc_obj", 1L, "LIVELOCK", 30000256700L, -6653688696641874554L, "a94ff9cd745e9c36798a306fed88af132bc0c983ae47a9283bd285b666e29577"),
                Arguments.of("pressure", "kmalloc_obj", 2L, "LIVELOCK", 30000256700L, -8411383160850543813L, "4ccb2c942a483d8d468864ca12ab435c1ea57d1ecb6970a4174525096c3933b8"),
                Arguments.of("pressure", "kmalloc_obj", 3L, "LIVELOCK", 30000256700L, -2234711756097915739L, "9d328c2947f87c5977857400e0edd638cd1158a5f2a514e31199c35d595abbef"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 1L, "OK", 6313813104L, 2224825385500740788L, "948802216b0870f4b627d125eeff2a0ffff6670610d24aa344a3c8e66303fbaf"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 2L, "OK", 6317828520L, -7349761384759651875L, "ee3d4dcf21e19d102992ffca37727644529f99bae35bbe8924fbc3e9dd4f4d28"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 3L, "OK", 6315894424L, -5722012499387385447L, "f95b6b900cbaf6e392078e93a8dcfabad6b0d8453620a9c976414e2f35e4d260"));
    }

    @ParameterizedTest(name = "{0} {1} seed {2}")
    @MethodSource("pinned")
    void runIsUnchanged(String image, String swapmetaAlloc, long seed, String outcome, long timeNs, long digest,
                        String traceSha) throws Exception {
        check(image, swapmetaAlloc, seed, outcome, timeNs, digest, traceSha, NO_CPU_TIME);
    }

    @ParameterizedTest(name = "{0} {1} seed {2} with CPU time")
    @MethodSource("pinnedCpuTime")
    void runWithCpuTimeIsUnchanged(String image, String swapmetaAlloc, long seed, String outcome, long timeNs, long digest,
                                   String traceSha) throws Exception {
        check(image, swapmetaAlloc, seed, outcome, timeNs, digest, traceSha, Map.of());
    }

    private static void check(String image, String swapmetaAlloc, long seed, String outcome, long timeNs, long digest,
                              String traceSha, Map<String, String> settings) throws Exception {
        Path img = image.equals("default") ? defaultImage : pressureImage;
        Map<String, String> overrides = new java.util.HashMap<>(settings);
        if (swapmetaAlloc != null) overrides.put("vm.swapmeta_alloc", swapmetaAlloc);
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
