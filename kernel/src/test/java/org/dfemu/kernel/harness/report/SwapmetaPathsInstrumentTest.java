package org.dfemu.kernel.harness.report;

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
import org.dfemu.kernel.MachineKernel;
import org.junit.jupiter.api.Test;

/**
 * The SWAPMETA path hooks are instruments: with the CPU-time model on, a kernel thread that calls
 * every hook (each on the path that adds to its counter where one exists) has made no counted
 * access and has no more CPU time than before, and the counters did move.
 */
class SwapmetaPathsInstrumentTest {
    private static final long MB = 1L << 20;

    @Test
    void everyHookChargesNoCpuTimeAndCountsNoAccess() {
        MachineConfig mc = new MachineConfig(32 * MB, 2, 100, 3, SchedulerSettings.DEFAULTS,
                CpuSettings.DEFAULT.withCost(CpuCost.DEFAULT), TraceSink.NONE);
        long[] seen = new long[6];
        try (MachineKernel mk = MachineKernel.boot(mc, new KernelConfig(2, 100))) {
            Kernel k = mk.kernel;
            SwapmetaPaths paths = k.swapmetaPaths();
            mk.thread("hooks", 0, () -> {
                Cpu cpu = mk.machine.cpu(0);
                long kernelMap = k.vmMap().kernelMap();
                long zone = k.vmZone().zones().getFirst();
                long counted = sum(paths);
                long accesses = cpu.accesses();
                long now = mk.machine.scheduler().cpuNow();
                paths.zinitna(zone);
                paths.zinitnaPopulated(zone);
                paths.zget(zone);
                paths.zgetPage(zone, 1);
                paths.zfreeminHandout(zone);
                paths.zgetDone(zone, 0);
                paths.reserveTake();
                paths.reserveRefill(0, 1);
                paths.reserveRefill(0, 0);
                paths.blockingSlabAlloc(k.swapPager().swapmetaType());
                paths.vmWait();
                paths.mapEntryReserveShort();
                paths.mapLock(kernelMap, true);
                paths.kvaFailure(kernelMap);
                paths.ptpAlloc();
                paths.pvAlloc(1);
                seen[0] = cpu.accesses() - accesses;
                seen[1] = mk.machine.scheduler().cpuNow() - now;
                seen[2] = sum(paths) - counted;
                // The same thread's own access, for contrast: the model is on and counts it.
                k.km().load64(kernelMap);
                seen[3] = cpu.accesses() - accesses;
            });
            mk.run();
        }
        assertEquals(0, seen[0], "kernel accesses counted by cpu0 during the hooks");
        assertEquals(0, seen[1], "CPU time (ns) charged by the hooks");
        // reserve_takes, reserve_refills, reserve_refill_failures, map_entry_reserve_waits,
        // kernel_map_lock_waits and kva_failures add one whatever the machine's state.
        assertTrue(seen[2] >= 6, "counters added " + seen[2]);
        assertEquals(1, seen[3], "an ordinary access is counted");
    }

    private static long sum(SwapmetaPaths paths) {
        long s = 0;
        for (int i = 0; i < SwapmetaPaths.NAMES.size(); i++) s += paths.get(i);
        return s;
    }
}
