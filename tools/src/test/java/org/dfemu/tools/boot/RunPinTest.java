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
 * <p>Last re-pinned for the LWKT thread cache (kern_objcache.c and lwkt_thread.c at 737b020b54):
 * lwkt_init's objcache over M_THREAD keeps exited threads with their kernel stacks (lwkt_exit
 * parks each in its cpu's gd_freetd and puts the previous one into the cache), so an exited
 * process's or daemon's struct thread and 3 wired stack pages stay allocated for the next
 * thread instead of going back to M_THREAD and kernel_map, and boot adds the M_OBJCACHE and
 * M_OBJMAG types with the cache's magazines. Boot leaves 24 fewer pages free (13838 -> 13814
 * on the default image: the kmalloc zones of the objcache's allocations) and exited threads
 * keep their stack pages wired, so the pagedaemon's wakeups, the faults' page choices and every
 * trace record shift; no outcome changed.
 *
 * <p>Re-pinned before that for kernel threads and processes spending memory as the C does: each thread's
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
     * lwkt_yield points charge the model's time instead of flat charges. Re-pinned when vm_fault
     * came to count v_vm_faults at done_success only (vm_fault.c at 737b020b54): the counter's
     * load and store are accesses the model charges, now once per completed fault instead of
     * once per call, so every row's virtual time and schedule moved (no outcome changed); the
     * rows without CPU time do not charge accesses and stay as they were.
     */
    static Stream<Arguments> pinnedCpuTime() {
        return Stream.of(
                Arguments.of("default", null, 1L, "OK", 7284876937L, -3614059358413248792L, "36a7267c86310b466eeebaf8e54e8a12efc678a3879216776e59f36b1824898c"),
                Arguments.of("pressure", "zalloc", 1L, "OK", 6315112461L, 3729410259274647541L, "7b96da261a74247489a86597a52b393f33b6276b726e27a040afa14bc9bea2af"),
                Arguments.of("pressure", "kmalloc_obj", 1L, "LIVELOCK", 30003133114L, -8005471530458728747L, "30bab5f080927180f64338064d6f9eecbf2a2d681b4ac8da82ebe7ab94c4e112"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 1L, "OK", 6325354481L, -5325139722185413296L, "712bbef5e8048ad958fc340a42cd284408da0bba6de9670f3db744fbb2e969ee"));
    }

    /** Without CPU time ({@link #NO_CPU_TIME}): image, swapmeta_alloc (null: the image's own), seed, outcome, virtual ns, digest, trace SHA-256. */
    static Stream<Arguments> pinned() {
        return Stream.of(
                Arguments.of("default", null, 1L, "OK", 7304097932L, 27377275470687962L, "116c0b118f0bc1a8f79862a5eac3fbf50f3a7b8d9936d33ab2edeae63d7ec414"),
                Arguments.of("default", null, 2L, "OK", 7288379868L, 6082578395550996559L, "02ca3eaadf202da1cd9f1b8024bd191279da0a92325d649a6804029dd0fc9130"),
                Arguments.of("default", null, 3L, "OK", 7294270328L, 3092726046728843170L, "e1f9684d12426a5b8c95714a0fa875033d3292ff7f5db864b8c7bac3412144a5"),
                Arguments.of("pressure", "zalloc", 1L, "OK", 6308617112L, -5717422263680413909L, "1cb7d18a9d9853422b49e108f34a740bc28ecd8fa00e341f11e5dfc66a7f4d7b"),
                Arguments.of("pressure", "zalloc", 2L, "OK", 6312501216L, -3071890567582391310L, "39b25f49e2e372f85de461d1e3cd63b1d44cbccc4f77fa036983d91e5ad0b554"),
                Arguments.of("pressure", "zalloc", 3L, "OK", 6312436220L, 30670827824858567L, "9f192877da1a730cc87e15aa48813c184f98556d113ba91c1d742ca4b3d10010"),
                Arguments.of("pressure", "kmalloc_obj", 1L, "LIVELOCK", 30000254300L, 3015536980571440398L, "68695095f87b9a4fc5f2bc3b956cac4406f617f2deb9ae891ea3e50ac7663d47"),
                Arguments.of("pressure", "kmalloc_obj", 2L, "LIVELOCK", 30000254300L, 2283250688385850446L, "fb2fa9deb1b528098b6ea7085a87a1e7a81f22945396385ffd0d5f85381587be"),
                Arguments.of("pressure", "kmalloc_obj", 3L, "LIVELOCK", 30000254300L, 6003546804826574477L, "355ca89686450d06be1883849c66499e9a037b76dc05cc8ad45f564742d2922e"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 1L, "OK", 6314170768L, 5164537164444153645L, "79348223ca8dcadee6ad247dbd14559abbe76fae59ad2488c61317ca30f7431e"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 2L, "OK", 6319403700L, 5238319428815762492L, "f51b7d1bf8425a9b8f17f03ebd5eab10925a09a5e68e953d6944c253ff072c70"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 3L, "OK", 6316232172L, 5189597923012328371L, "3c020505063c24798afc16c1b45f0ec382a6708ba02c478cbf8dcc7b9187aa4c"));
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
