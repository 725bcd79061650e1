package org.dfemu.kernel.kern;

import static org.dfemu.kernel.harness.trace.KernelEvents.FAULTS_FAULT;
import static org.dfemu.kernel.harness.trace.KernelEvents.FAULT_ZERO_FILL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dfemu.emulator.MachineConfig;
import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.cpu.Cpu;
import org.dfemu.emulator.cpu.CpuCost;
import org.dfemu.emulator.cpu.CpuSettings;
import org.dfemu.emulator.sched.SchedulerSettings;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.TraceRecords;
import org.dfemu.kernel.TraceRecords.Rec;
import org.dfemu.kernel.harness.workload.Instruction;
import org.dfemu.kernel.harness.workload.Instruction.Prot;
import org.dfemu.kernel.harness.workload.Program;
import org.dfemu.kernel.harness.workload.Workload;
import org.dfemu.kernel.sys.Malloc;
import org.dfemu.kernel.sys.StructGlobaldata;
import org.dfemu.kernel.sys.StructVmstats;
import org.junit.jupiter.api.Test;

/**
 * The CPU-time model (machine.cpu_*): counted work becomes virtual time at scheduling points, as
 * docs/cpu-time.md calibrates it, and without it (all 0) nothing is charged.
 */
class CpuTimeTest {
    private static final long MB = 1L << 20;

    private static MachineConfig machine(CpuCost cost, long seed, TraceSink sink) {
        return new MachineConfig(32 * MB, 2, 100, seed, SchedulerSettings.DEFAULTS, CpuSettings.DEFAULT.withCost(cost), sink);
    }

    /** Zero-fill fault durations (ns) of one process writing 64 fresh pages. */
    private static List<Long> zeroFillFaults(CpuCost cost) throws Exception {
        TraceRecords recs = new TraceRecords();
        try (MachineKernel mk = MachineKernel.boot(machine(cost, 5, recs), new KernelConfig(2, 100))) {
            KernProc kp = new KernProc(mk.kernel, mk.machine, () -> { });
            kp.startWorkload(new Workload(List.of(Program.of("w", 1, List.of(
                    new Instruction.Mmap(0, 64, Prot.RW), new Instruction.Write(0), new Instruction.Exit())))), 5);
            mk.run();
        }
        return recs.of(FAULTS_FAULT).stream()
                .filter(f -> ((f.a1() >>> 16) & 0xFFFF) == FAULT_ZERO_FILL).map(Rec::a3).sorted().toList();
    }

    @Test
    void aZeroFillFaultTakesAboutAMicrosecondAndNothingWithoutTheModel() throws Exception {
        List<Long> timed = zeroFillFaults(CpuCost.DEFAULT);
        assertTrue(timed.size() >= 64 / 8, "zero-fill faults: " + timed.size());
        long median = timed.get(timed.size() / 2);
        assertTrue(median >= 500 && median <= 1_500, "median zero-fill fault " + median + " ns: " + timed);
        List<Long> untimed = zeroFillFaults(CpuCost.NONE);
        assertEquals(timed.size(), untimed.size());
        assertTrue(untimed.stream().allMatch(d -> d == 0), "no CPU time without the model: " + untimed);
    }

    @Test
    void aSmallKmallocPairCostsTwentyToFortyNanoseconds() {
        long[] cost = new long[2];
        try (MachineKernel mk = MachineKernel.boot(machine(CpuCost.DEFAULT, 7, TraceSink.NONE), new KernelConfig(2, 100))) {
            Kernel k = mk.kernel;
            KernSlaballoc sa = k.kernSlaballoc();
            mk.thread("pair", 0, () -> {
                for (int warm = 0; warm < 3; warm++) sa.kfree(sa.kmalloc(64, sa.mDevbuf(), Malloc.M_WAITOK), sa.mDevbuf());
                Cpu cpu = mk.machine.cpu(0);
                long a0 = cpu.accesses();
                long t0 = mk.machine.scheduler().cpuNow();
                sa.kfree(sa.kmalloc(64, sa.mDevbuf(), Malloc.M_WAITOK), sa.mDevbuf());
                cost[0] = mk.machine.scheduler().cpuNow() - t0;
                cost[1] = cpu.accesses() - a0;
            });
            mk.run();
        }
        assertTrue(cost[0] >= 20 && cost[0] <= 40, "kmalloc(64)+kfree: " + cost[0] + " ns, " + cost[1] + " accesses");
    }

    /**
     * A kernel thread that only computes (no sleep, no I/O) for 30 ms of counted work and then
     * reaches a scheduling point sees the hardclock ticks of that time: its cpu's pending vmstats
     * adjustment is rolled up into the global vmstats. Without the model the clock stands still.
     */
    private static long[] cpuBoundLoop(CpuCost cost) {
        long[] seen = new long[4];
        // No invariant checks: the adjustment is made up, so the queues do not hold it.
        KernelConfig kc = new KernelConfig(2, 100).setenv("debug.check_interval", "0");
        try (MachineKernel mk = MachineKernel.boot(machine(cost, 9, TraceSink.NONE), kc)) {
            Kernel k = mk.kernel;
            KernelMemory km = k.km();
            mk.thread("spin", 0, () -> {
                long adj = StructGlobaldata.gd_vmstats_adj(k.globaldata().mycpu());
                long global = k.vmMeter().vmstats();
                long before = StructVmstats.v_wire_count(km, global);
                seen[3] = StructVmstats.v_wire_count(km, adj);
                StructVmstats.add(km, adj, StructVmstats.v_wire_count$OFFSET, 7);
                long sum = 0;
                for (int i = 0; i < 30_000; i++) sum += km.load64(global + (i & 63) * 8);
                k.lwkt().consume(0);
                seen[0] = StructVmstats.v_wire_count(km, global) - before;
                seen[1] = StructVmstats.v_wire_count(km, adj);
                seen[2] = k.lwkt().ticks() + (sum & 0);
            });
            mk.run();
        }
        return seen;
    }

    @Test
    void aLongCpuBoundKernelLoopLetsTheHardclockRollUpVmstats() {
        // 1 us per access: 30,000 accesses are 30 ms, three ticks at hz 100.
        CpuCost slow = new CpuCost(1_000_000, 0, 0, 0, 0, 0);
        long[] timed = cpuBoundLoop(slow);
        assertTrue(timed[0] >= 7, "rolled up into the global v_wire_count (with what boot left pending): " + timed[0]);
        assertEquals(0, timed[1], "the cpu's adjustment is spent");
        assertTrue(timed[2] >= 3, "ticks " + timed[2]);
        long[] untimed = cpuBoundLoop(CpuCost.NONE);
        assertEquals(0, untimed[0], "no tick without CPU time");
        assertEquals(untimed[3] + 7, untimed[1], "still pending on the cpu");
        assertEquals(0, untimed[2]);
    }

    /**
     * A kernel loop that never reaches a scheduling point (a retry whose vm_wait returns at
     * once) freezes the clock, so neither the stall watchdog nor --time could end it: once the
     * thread has counted the watchdog's interval of CPU time, the run ends as a livelock naming
     * the thread and its frames, at the virtual time of its last scheduling point.
     */
    @Test
    void aThreadThatNeverReachesASchedulingPointEndsAsALivelock() {
        org.dfemu.emulator.sched.RunResult r = runSpinner(SchedulerSettings.DEFAULTS.withWatchdogNs(10_000_000L));
        assertEquals(org.dfemu.emulator.sched.RunResult.Outcome.LIVELOCK, r.outcome(), r.toString());
        assertTrue(r.reason().matches("tid \\d+ \\(spinner\\) ran 0\\.01\\d* s of CPU time without reaching a scheduling"
                + " point \\(watchdog 0\\.010000000 s\\); 0 thread\\(s\\) asleep: "), r.reason());
        assertEquals(0, r.timeNs(), "the clock never moved");
        assertTrue(r.threads().stream().anyMatch(t -> t.name().equals("spinner") && t.frames().contains("spin_retry")),
                r.toString());
    }

    /**
     * debug.runaway_timeout bounds the same loop below a longer stall watchdog (the default 30 s
     * watchdog would cost the host over an hour of such a loop): the run ends at the bound, and
     * the report says which bound it was.
     */
    @Test
    void theRunawayBoundEndsTheLoopBeforeALongerWatchdog() {
        SchedulerSettings s = SchedulerSettings.DEFAULTS.withWatchdogNs(30_000_000_000L).withRunawayNs(5_000_000L);
        assertEquals(5_000_000L, s.runawayLimitNs());
        assertEquals(10_000_000L, s.withWatchdogNs(10_000_000L).withRunawayNs(20_000_000L).runawayLimitNs(), "the shorter bound");
        assertEquals(30_000_000_000L, s.withRunawayNs(0).runawayLimitNs(), "0: the watchdog alone");
        org.dfemu.emulator.sched.RunResult r = runSpinner(s);
        assertEquals(org.dfemu.emulator.sched.RunResult.Outcome.LIVELOCK, r.outcome(), r.toString());
        assertTrue(r.reason().matches("tid \\d+ \\(spinner\\) ran 0\\.005\\d* s of CPU time without reaching a scheduling"
                + " point \\(runaway bound 0\\.005000000 s\\);.*"), r.reason());
    }

    /** Runs, with the CPU-time model on, one thread "spinner" that loops on a load with no scheduling point. */
    private static org.dfemu.emulator.sched.RunResult runSpinner(SchedulerSettings settings) {
        MachineConfig cfg = new MachineConfig(32 * MB, 2, 100, 3, settings, CpuSettings.DEFAULT.withCost(CpuCost.DEFAULT),
                TraceSink.NONE);
        try (MachineKernel mk = MachineKernel.boot(cfg, new KernelConfig(2, 100))) {
            Kernel k = mk.kernel;
            long word = k.kernSlaballoc().kmalloc(64, k.kernSlaballoc().mDevbuf(), Malloc.M_WAITOK);
            mk.thread("spinner", 0, () -> {
                k.lwkt().pushFrame("spin_retry");
                for (;;) {
                    k.lwkt().pushFrame("vm_wait");
                    k.km().load64(word);
                    k.lwkt().popFrame();
                }
            });
            return mk.machine.scheduler().run();
        }
    }
}
