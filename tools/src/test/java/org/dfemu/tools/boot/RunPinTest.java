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
                Arguments.of("default", null, 1L, "OK", 7243633978L, 1488338533140158762L, "390571f4854500f2680784e1bebb725e938becab8500a105970a03f8532e1885"),
                Arguments.of("pressure", "zalloc", 1L, "OK", 6289543128L, 5870526505044906041L, "8c4acf36c6bdd63779f2a766234aec9660688b698226ee6e069eb83719d25bd7"),
                Arguments.of("pressure", "kmalloc_obj", 1L, "LIVELOCK", 30003688115L, 595025718031892457L, "f534f93d838e89fce0799ef1b2d1f2976707af860433a074ddaae558cbea1e52"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 1L, "OK", 6293090780L, -174584105969628059L, "22757cad89391b711d2b3e27de4875dd935ac954031f3d01a5ef04ca6c7ed28c"));
    }

    /** Without CPU time ({@link #NO_CPU_TIME}): image, swapmeta_alloc (null: the image's own), seed, outcome, virtual ns, digest, trace SHA-256. */
    static Stream<Arguments> pinned() {
        return Stream.of(
                Arguments.of("default", null, 1L, "OK", 7213512864L, -3745042018782061381L, "da99bd3aaef5100cacf6b132a6e74fe0a75f592ca6c7cc585b47118313a25793"),
                Arguments.of("default", null, 2L, "OK", 7184901124L, -7944208312405959536L, "c40ae815dc67372a1e7b80a7f317e47f404d0af67dad869ca63f15d2d5886562"),
                Arguments.of("default", null, 3L, "OK", 7205372260L, -8637747848010562537L, "602f42fee7ef7a227940676c97243f489b77f0d186b704f91df115996e76cfd5"),
                Arguments.of("pressure", "zalloc", 1L, "OK", 6286402912L, 2603263521812999229L, "692832d32d5334eb471c42b909ebb5bf17d03e5288ef0733cae20cb03bcecf1d"),
                Arguments.of("pressure", "zalloc", 2L, "OK", 6291989172L, -577577761774937548L, "b23dc9993b1fb6ff04005a75c94bfc33585ead1586d75d73f4c7b2a153d9858c"),
                Arguments.of("pressure", "zalloc", 3L, "OK", 6288225240L, 3132655317526966447L, "3b59abef916d52ad572fe2614df1793794102693aefe4322ce60ecbba18d3bbe"),
                Arguments.of("pressure", "kmalloc_obj", 1L, "LIVELOCK", 30000307400L, -1681258303171637158L, "46367bf9427e5ee48346676bdbf7842877dfc82a7da890b6a3d536a4a2c082b6"),
                Arguments.of("pressure", "kmalloc_obj", 2L, "LIVELOCK", 30000307300L, 8146658147367941923L, "cdfde70492d2140027b7aba991a778096c51254886f4b8f930e85323ee6c46e3"),
                Arguments.of("pressure", "kmalloc_obj", 3L, "LIVELOCK", 30000307300L, -9073676367052079243L, "7ad4cfa488d28ea7b600908eee076792d5731ca1f7b3909818f692292ed26a8a"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 1L, "OK", 6290791148L, 2026435374564170226L, "0d23e8128c8542fb9fc6fd87bbb9e93558fe9fa6f310d207fc45c791b6d8a2bd"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 2L, "OK", 6293147096L, 6513937976725314140L, "d09072be0798761bb7904a64825382461958dbfeb275b07a34f4931dc3aefe95"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 3L, "OK", 6292064092L, -5653704051905721550L, "af88998b6632b141cebf8fb9cec3f91fd6340c1037f12d60f5695cf9b1a1edc6"));
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
