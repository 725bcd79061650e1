package org.dfemu.kernel.kern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.dfemu.emulator.sched.ThreadInfo;
import org.dfemu.emulator.sched.ThreadState;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.sys.Malloc;
import org.dfemu.kernel.sys.StructVmstats;
import org.dfemu.kernel.vm.VmPage;
import org.junit.jupiter.api.Test;

/**
 * lwkt_create under low memory waits, as the C's lwkt_alloc_thread does: its kernel stack comes
 * from kmem_alloc3, whose vm_page_grab(VM_ALLOC_RETRY) sleeps in vm_wait until pages come back,
 * where the port used to panic ("lwkt_create: no memory for thread"). A fork's new thread is made
 * this way (KernProc.lwpCreate), so a fork at the bottom of memory waits instead of panicking.
 */
class LwktCreateWaitTest {
    private static final long MB = 1L << 20;

    private static long free(Kernel k) { return TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET); }

    @Test
    void threadCreationSleepsInVmWaitUntilPagesComeBack() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 1, 13)) {
            Kernel k = mk.kernel;
            KernSlaballoc sa = k.kernSlaballoc();
            long chan = sa.kmalloc(8, sa.mTemp(), Malloc.M_WAITOK | Malloc.M_ZERO);
            long[] child = {0};
            boolean[] childRan = {false};
            boolean[] go = {false};
            boolean[] freed = {false};

            // Created up front (its own creation needs memory), as the forking parent.
            mk.thread("parent", 0, () -> {
                while (!go[0]) {
                    k.lwkt().tsleep(chan, "go", 0);
                }
                child[0] = k.lwkt().lwktCreate("child", 0, 0, () -> childRan[0] = true);
                assertTrue(freed[0], "lwkt_create returned only after memory came back");
            });

            mk.thread("hog", 0, () -> {
                List<Long> pages = new ArrayList<>();
                while (free(k) > 0) {
                    long m = k.vmPage().vmPageAlloc(0, 0, VmPage.VM_ALLOC_NORMAL | VmPage.VM_ALLOC_INTERRUPT);
                    if (m == 0) {
                        k.lwkt().tsleep(chan, "tick", 1);
                        continue;
                    }
                    pages.add(m);
                }
                go[0] = true;
                k.lwkt().wakeup(chan);
                ThreadInfo ti = null;
                for (int i = 0; i < 1000 && ti == null; i++) {
                    ThreadInfo p = parent(mk);
                    if (p.state() == ThreadState.SLEEPING && "vmwait".equals(p.wmesg())) ti = p;
                    else k.lwkt().tsleep(chan, "watch", 1);
                }
                assertNotEquals(null, ti, "the parent never slept in vm_wait: " + parent(mk));
                assertTrue(ti.frames().contains("kmem_alloc3"), ti.frameChain());

                // It keeps waiting while memory stays short (vm_wait(0) retries every second).
                k.lwkt().tsleep(chan, "watch", 3 * k.lwkt().hz());
                assertEquals("vmwait", parent(mk).wmesg());
                assertEquals(0, child[0]);

                freed[0] = true;
                for (long m : pages) {
                    k.vmPage2().vmPageFree(m);
                }
            });
            mk.run();
            assertNotEquals(0, child[0]);
            assertTrue(childRan[0], "the child thread ran once created");
        }
    }

    private static ThreadInfo parent(MachineKernel mk) {
        return mk.machine.scheduler().threads().stream().filter(t -> t.name().equals("parent")).findFirst().orElseThrow();
    }
}
