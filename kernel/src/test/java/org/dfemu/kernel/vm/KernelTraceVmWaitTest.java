package org.dfemu.kernel.vm;

import static org.dfemu.kernel.harness.trace.KernelEvents.VM_WAIT;
import static org.dfemu.kernel.vm.VmTestSupport.drainTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.dfemu.emulator.MachineConfig;
import org.dfemu.emulator.cpu.CpuSettings;
import org.dfemu.emulator.sched.SchedulerSettings;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.TraceRecords;
import org.dfemu.kernel.TraceRecords.Rec;
import org.dfemu.kernel.sys.StructVmstats;
import org.junit.jupiter.api.Test;

/** vm_wait and vm_wait_pfault sleeps in the trace: which wait, the free counts around it, its length. */
class KernelTraceVmWaitTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void vmWaitAndVmWaitPfaultSleepsAreRecordedWithFreeCountsAndDuration() {
        TraceRecords trace = new TraceRecords();
        MachineConfig mc = new MachineConfig(16 << 20, 2, 100, 51, SchedulerSettings.DEFAULTS, CpuSettings.DEFAULT, trace);
        long min;
        long severe;
        try (MachineKernel mk = MachineKernel.boot(mc, new KernelConfig(2, 100))) {
            Kernel k = mk.kernel;
            long vs = k.vmMeter().vmstats();
            min = StructVmstats.v_free_min(k.km(), vs);
            severe = StructVmstats.v_free_severe(k.km(), vs);
            List<Long> taken = new ArrayList<>();
            mk.thread("waiter", 0, () -> k.vmPage().vmWait(0));   // nobody frees: the hz timeout
            mk.thread("freer", 1, () -> {
                mk.machine.scheduler().consume(2 * SECOND);        // after the waiter timed out
                k.vmPage().vmWaitPfault();                          // still severe: sleeps
            });
            mk.thread("giver", 1, () -> {
                mk.machine.scheduler().consume(2 * SECOND + SECOND / 100);
                for (int i = 0; i < 40; i++) {
                    mk.machine.scheduler().consume(SECOND / 1000);
                    k.vmPage().vmPageFreeToq(taken.removeLast());
                }
            });
            taken.addAll(drainTo(k, severe - 10));
            mk.run();
        }
        List<Rec> waits = trace.of(VM_WAIT);
        List<Rec> vmWaits = waits.stream().filter(r -> r.a0() == 0).toList();
        assertEquals(1, vmWaits.size(), waits.toString());
        Rec vmWait = vmWaits.getFirst();
        assertEquals(0, vmWait.a0(), "vm_wait");
        assertTrue(vmWait.a1() < min, "slept below v_free_min: " + vmWait);
        assertEquals(SECOND, vmWait.a3(), "vm_wait(0) sleeps hz ticks when nobody frees enough");
        assertTrue(vmWait.thread() > 0 && vmWait.cpu() == 0, "recorded by the waiter on its cpu: " + vmWait);
        List<Rec> pfault = waits.stream().filter(r -> r.a0() == 1).toList();
        assertTrue(!pfault.isEmpty(), waits.toString());
        for (Rec r : pfault) {
            assertTrue(r.a1() < severe, "slept while severe: " + r);
            assertTrue(r.a3() > 0 && r.a3() <= (100 / 10 + 1) * SECOND / 100, "at most hz/10+1 ticks: " + r);
        }
        assertTrue(pfault.getLast().a2() >= severe, "woke for good once no longer severe: " + pfault.getLast());
        assertTrue(min > severe);
    }
}
