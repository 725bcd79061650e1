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
                Arguments.of("default", null, 1L, "OK", 7279295088L, -360562588888324689L, "7be513c415793b37abf21c32680283f2be7bcc4ca4165c1270d898ba44fe144b"),
                Arguments.of("default", null, 2L, "OK", 7288262628L, 8241687155699912339L, "9c8088025e7e7c837abf432333dae95d6fa30f02e03c00c57392736447efadfe"),
                Arguments.of("default", null, 3L, "OK", 7304763556L, 1452906880498844255L, "51b109885916c79d9a214319bac453722e3a28f4eaecf110adcea816651afe17"),
                Arguments.of("pressure", "zalloc", 1L, "OK", 6308878836L, -1828756051950000671L, "6def719c6b4db0485752a82d2810e60807f809392ea9558b6279b6ca05b1ccbb"),
                Arguments.of("pressure", "zalloc", 2L, "OK", 6312704784L, 5094631243571273685L, "f1bcda09b744f56020e64d8edd3f40db8c49c000b60aea2e66ef85650c2d704b"),
                Arguments.of("pressure", "zalloc", 3L, "OK", 6309199568L, 5384632017197559193L, "a8ec8d19f05b49efde439ed1a4f2f14504fed4590a26b75b12a94dd4b98dca82"),
                Arguments.of("pressure", "kmalloc_obj", 1L, "LIVELOCK", 30000259800L, 3874317942293286659L, "6774190a91102af5c25c4a56e58ea02f39c021cafa340c08f1719179c9285437"),
                Arguments.of("pressure", "kmalloc_obj", 2L, "LIVELOCK", 30000259800L, -1807552096906535830L, "64a54751c3a19c7c653dfc0d911e7480e7825cf59ee66d9d1664335d65efab04"),
                Arguments.of("pressure", "kmalloc_obj", 3L, "LIVELOCK", 30000259800L, -1432101979018765477L, "b212e8fd078f0c5f460f587545486d14f57f20a08b52f696d6d39a7877cd9b7b"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 1L, "OK", 6310801952L, -6660650783740698490L, "6c4ec9bda9ac91ea4a3178b954208e65f0a4ed054053164ad69b9169d272d856"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 2L, "OK", 6316099400L, -2600128324337724366L, "fc05d9daa70bb3cf1844d22f9329983c0f3f9a4dbc8dc369da90ed31788b0e03"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 3L, "OK", 6313898356L, -2562936169312894300L, "38d2296c7f9bf24215bf9f6c05bac39defa9b1f316d0fe40a4208f05d2c30f10"));
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
