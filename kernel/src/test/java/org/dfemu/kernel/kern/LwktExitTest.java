package org.dfemu.kernel.kern;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.SchedulerHarness;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.sys.StructVmstats;
import org.dfemu.kernel.harness.check.VmPageQueueCheck;
import org.junit.jupiter.api.Test;

/** A kernel thread's struct thread page goes back to the VM when its body returns. */
class LwktExitTest {
    @Test
    void exitedThreadsGiveTheirPageBack() {
        KernelConfig config = new KernelConfig(2, 100);
        try (TestKernel t = TestKernel.boot(16 << 20, config)) {
            SchedulerHarness.Machine machine = SchedulerHarness.create(9, config, t.ram);
            t.kernel.lwkt().attachScheduler(machine.scheduler());
            long vs = t.kernel.vmMeter().vmstats();
            long before = TestKernel.trueCount(t.kernel, StructVmstats.v_free_count$OFFSET);
            for (int i = 0; i < 8; i++) {
                t.kernel.lwkt().lwktCreate("worker" + i, i % 2, 0, () -> machine.scheduler().consume(1000));
            }
            long during = TestKernel.trueCount(t.kernel, StructVmstats.v_free_count$OFFSET);
            machine.run();
            assertEquals(before - 8, during, "each thread took one page");
            assertEquals(before, TestKernel.trueCount(t.kernel, StructVmstats.v_free_count$OFFSET), "and gave it back at exit");
            VmPageQueueCheck.assertConsistent(t.kernel);
        }
    }
}
