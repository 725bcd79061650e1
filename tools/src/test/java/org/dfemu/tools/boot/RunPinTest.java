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
                Arguments.of("default", null, 1L, "OK", 7306914724L, 8952814874836881330L, "b84a4234c721c56aa46deab8a61f443c64515a13dfb5e7b13b60b79a11cc5dc3"),
                Arguments.of("pressure", "zalloc", 1L, "OK", 6313870177L, -8799446494484896651L, "e1e1ec9226e6ebbff6ed680831e6af1db1788aaa2fface10fd4fe35c2f62b5cb"),
                Arguments.of("pressure", "kmalloc_obj", 1L, "LIVELOCK", 30003183450L, 108932145264322927L, "c33e40c362bf76b2c505bb5aad1667181a17cf7d5b109a980e03f1c63167b20c"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 1L, "OK", 6316812117L, 1294315755294733530L, "05ea422050ad1723fe2eb349eb747cd5bcfc6da6218fb8e6a57e43bdec524b81"));
    }

    /** Without CPU time ({@link #NO_CPU_TIME}): image, swapmeta_alloc (null: the image's own), seed, outcome, virtual ns, digest, trace SHA-256. */
    static Stream<Arguments> pinned() {
        return Stream.of(
                Arguments.of("default", null, 1L, "OK", 7279295088L, -360562588888324689L, "e4d453a986174afcb8e2670ef62434df1316a737b81e6eb5b615d840472c3db7"),
                Arguments.of("default", null, 2L, "OK", 7288262628L, 8241687155699912339L, "8ce683b59ccc578f9dd5867e4d8aa1b559e95acea61916030d91cdc003119d84"),
                Arguments.of("default", null, 3L, "OK", 7304763556L, 1452906880498844255L, "c13f2a06f9621fd67741981eb34d4f0bd7021387a61b8eab11c6ca692500a5e7"),
                Arguments.of("pressure", "zalloc", 1L, "OK", 6308878836L, -1828756051950000671L, "bf809ff2387504a68d2f8dd36f03915b24fbb7c2e045bfabe7aff3c1cfa87238"),
                Arguments.of("pressure", "zalloc", 2L, "OK", 6312704784L, 5094631243571273685L, "ae5089fbdf2ff7097f38db11ed5cb808e9f5014dfaafe5ffd588db57c9982a27"),
                Arguments.of("pressure", "zalloc", 3L, "OK", 6309199568L, 5384632017197559193L, "812c9130d9c1f1e515a4965d5c8ea7bc901e46a453d37e0afe557b1f45bbf6e0"),
                Arguments.of("pressure", "kmalloc_obj", 1L, "LIVELOCK", 30000259800L, 3874317942293286659L, "5ded44c1c7760b35c38aec3a2cb96992758170a00ce18d015ce902f47e46af62"),
                Arguments.of("pressure", "kmalloc_obj", 2L, "LIVELOCK", 30000259800L, -1807552096906535830L, "f2d63f40b48928e0ec0cf5d430bb2fade7b8bc001718487a392b85c86ec51dca"),
                Arguments.of("pressure", "kmalloc_obj", 3L, "LIVELOCK", 30000259800L, -1432101979018765477L, "00d047932c57be0d86e7997ceb593cdae18b60f3f8d0cd843e41131eec78d110"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 1L, "OK", 6310801952L, -6660650783740698490L, "561cb68690f9db6bbdbb0c6c2e50e5c9a2931a9e67f16fcd47e742f9cf1481e6"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 2L, "OK", 6316099400L, -2600128324337724366L, "a52fec12c5d89b738776c017b53f9894dc51a3365846468380dd12c55244905a"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 3L, "OK", 6313898356L, -2562936169312894300L, "bb07fe6ce2368b858864abd1f6f975ee3b16bf138830177a95c2d11f96796857"));
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
