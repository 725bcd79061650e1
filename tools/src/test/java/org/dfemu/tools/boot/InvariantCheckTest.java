package org.dfemu.tools.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.dfemu.emulator.Machine;
import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.disk.ImageMode;
import org.dfemu.emulator.trace.TraceWriter;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.harness.trace.KernelEvents;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.kern.StructBlist;
import org.dfemu.kernel.machine.StructPmap;
import org.dfemu.kernel.sys.StructKmallocMgt;
import org.dfemu.kernel.sys.StructMallocType;
import org.dfemu.kernel.sys.StructProc;
import org.dfemu.kernel.sys.StructVmstats;
import org.dfemu.kernel.vm.StructVmZone;
import org.dfemu.kernel.vm.StructVmspace;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code debug.check_interval}: the checks change no run (RunPinTest's rows come out the same
 * with them on), and a corruption planted in emulated memory mid-run stops the run with
 * {@code result: invariant}, naming the check that found it.
 */
class InvariantCheckTest {
    @TempDir
    static Path dir;
    static Path defaultImage;
    static Path pressureImage;

    @BeforeAll
    static void buildImages() throws Exception {
        defaultImage = RunPinTest.build(dir, "default.spec");
        pressureImage = RunPinTest.build(dir, "swapmeta-pressure.spec");
    }

    /** RunPinTest's seed-1 rows: one per image and SWAPMETA allocator, ok and livelocked runs. */
    static Stream<Arguments> seedOneRows() {
        return RunPinTest.pinned().filter(a -> (Long) a.get()[2] == 1L);
    }

    @ParameterizedTest(name = "{0} {1} seed {2} with checks every 0.05 s")
    @MethodSource("seedOneRows")
    void checksChangeNoSchedulingDecision(String image, String swapmetaAlloc, long seed, String outcome, long timeNs,
                                          long digest, String traceSha) throws Exception {
        checkedRun(image, swapmetaAlloc, seed, outcome, timeNs, digest, traceSha, RunPinTest.NO_CPU_TIME);
    }

    /**
     * With the CPU-time model the checks read as instruments (not counted, no TLB use), so they
     * change no run's timing either: RunPinTest's rows with CPU time come out the same.
     */
    @ParameterizedTest(name = "{0} {1} seed {2} with CPU time and checks every 0.05 s")
    @MethodSource("org.dfemu.tools.boot.RunPinTest#pinnedCpuTime")
    void checksChangeNoSchedulingDecisionWithCpuTime(String image, String swapmetaAlloc, long seed, String outcome,
                                                     long timeNs, long digest, String traceSha) throws Exception {
        checkedRun(image, swapmetaAlloc, seed, outcome, timeNs, digest, traceSha, Map.of());
    }

    private void checkedRun(String image, String swapmetaAlloc, long seed, String outcome, long timeNs, long digest,
                            String traceSha, Map<String, String> settings) throws Exception {
        Path img = image.equals("default") ? defaultImage : pressureImage;
        Map<String, String> overrides = new java.util.LinkedHashMap<>(settings);
        if (swapmetaAlloc != null) overrides.put("vm.swapmeta_alloc", swapmetaAlloc);
        overrides.put("debug.check_interval", "0.05");
        BootPlan plan = BootPlan.open(img, ImageMode.COPY_ON_WRITE, overrides, seed, 60_000_000_000L);
        Path trace = dir.resolve("checked-" + image + "-" + swapmetaAlloc + ".dftrace");
        StringWriter console = new StringWriter();
        RunRecord record;
        try (TraceWriter writer = TraceWriter.open(trace, List.of(KernelEvents.names()))) {
            record = Boot.run(plan, writer, new PrintWriter(console));
        }
        String sha = RunPinTest.sha256(trace);
        Files.delete(trace);
        assertEquals(List.of(outcome, timeNs, digest, traceSha),
                List.of(record.outcome().name(), record.timeNs(), record.scheduleDigest(), sha),
                "checks on must give RunPinTest's pinned run (checks off)");
        assertTrue(console.toString().matches("(?s).*invariant checks: \\d+ pass\\(es\\), every 0\\.05 s.*"), console.toString());
    }

    /** A corruption a test writes into emulated memory, and the check expected to name it. */
    record Plant(String check, BiConsumer<Machine, Kernel> corrupt) {
        @Override
        public String toString() { return check; }
    }

    static Stream<Plant> plants() {
        return Stream.of(
                new Plant("vm_page queues", (m, k) -> StructVmstats.add(k.km(), k.vmMeter().vmstats(),
                        StructVmstats.v_inactive_count$OFFSET, 1)),
                new Plant("pmap (pid 1)", (m, k) -> {
                    long pm = pmapOfPid(k, 1);
                    k.km().store64(pm + StructPmap.resident_count$OFFSET, StructPmap.resident_count(k.km(), pm) + 1);
                }),
                new Plant("swap", (m, k) -> {
                    long bl = k.swapPager().swapblist();
                    StructBlist.bl_free(k.km(), bl, StructBlist.bl_free(k.km(), bl) - 1);
                }),
                new Plant("zalloc zones", (m, k) -> {
                    long z = k.vmZone().zones().getFirst();
                    StructVmZone.ztotal(k.km(), z, 0);
                }),
                new Plant("kmalloc_obj slabs", (m, k) -> {
                    KernelMemory km = k.km();
                    long ks = k.kernSlaballoc().kmemstatistics();
                    while ((StructMallocType.ks_flags(km, ks) & StructMallocType.KSF_OBJSIZE) == 0) {
                        ks = StructMallocType.ks_next(km, ks);
                    }
                    long ggm = StructMallocType.ks_mgt(ks);
                    StructKmallocMgt.nempty(km, ggm, StructKmallocMgt.nempty(km, ggm) + 1);
                }));
    }

    private static long pmapOfPid(Kernel k, int pid) {
        long[] pm = {0};
        k.kernProcTable().allprocScan(p -> {
            if (StructProc.p_pid(k.km(), p) == pid) {
                pm[0] = StructVmspace.vm_pmap(StructProc.p_vmspace(k.km(), p));
                return false;
            }
            return true;
        });
        assertTrue(pm[0] != 0, "no process " + pid);
        return pm[0];
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plants")
    void plantedCorruptionEndsTheRunAsInvariant(Plant plant) throws Exception {
        BootPlan plan = BootPlan.open(pressureImage, ImageMode.COPY_ON_WRITE, Map.of("debug.check_interval", "0.05"), 1,
                600_000_000_000L);
        StringWriter console = new StringWriter();
        // One second into the run, between two checks: the next check must find it.
        RunRecord record = Boot.run(plan, TraceSink.NONE, new PrintWriter(console), (machine, kernel) ->
                machine.clock().scheduleIn(1_000_000_000L, "plant", false, () -> plant.corrupt().accept(machine, kernel)));
        String out = console.toString();
        assertEquals(RunRecord.Outcome.INVARIANT, record.outcome(), out);
        assertEquals(1, record.exitStatus());
        assertTrue(record.headline().startsWith("invariant " + plant.check() + ": "), record.headline());
        assertTrue(record.timeNs() >= 1_000_000_000L && record.timeNs() <= 1_050_000_000L, "stopped at " + record.timeNs());
        assertTrue(out.contains("\nreproduce: dfemu boot " + pressureImage + " --seed 1 -e debug.check_interval=0.05\n"), out);
        assertTrue(out.endsWith("result: invariant\n"), out);
    }
}
