package org.dfemu.kernel.vm;

import org.dfemu.kernel.harness.check.VmPageQueueCheck;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.machine.Vmparam;
import org.dfemu.kernel.sys.StructProc;
import org.dfemu.kernel.sys.StructThread;
import org.dfemu.kernel.sys.StructVmmeter;
import org.dfemu.kernel.sys.StructVmstats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.dfemu.kernel.vm.VmTestSupport.drainTo;
import static org.dfemu.kernel.vm.VmTestSupport.free;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bookkeeping side of vm_wait(), vm_wait_pfault(), vm_page_free_wakeup() and
 * pagedaemon_wakeup(), observable without a scheduler: in boot context tsleep() returns at once
 * (as DragonFly's does before tsleep_now_works) and wakeup() has no sleepers, but the flags and
 * counters that decide who sleeps and who is woken are in emulated memory. The sleeping itself is
 * VmWaitTest's.
 */
class VmWaitRulesTest {
    private TestKernel t;
    private Kernel k;
    private KernelMemory km;
    private VmPage vp;
    private VmPageout po;
    private long vs;

    @BeforeEach
    void boot() {
        t = TestKernel.boot(16 << 20);
        k = t.kernel;
        km = k.km();
        vp = k.vmPage();
        po = k.vmPageout();
        vs = k.vmMeter().vmstats();
    }

    @AfterEach
    void close() {
        VmPageQueueCheck.assertConsistent(k);
        t.close();
    }

    private long min() { return StructVmstats.v_free_min(km, vs); }

    private long ppwakeups() { return StructVmmeter.get(km, k.vmMeter().gdCnt(0), StructVmmeter.v_ppwakeups$OFFSET); }

    @Test
    void noWaitAboveTheMinimum() {
        vp.vmWait(0);
        assertEquals(0, po.vmPagesNeeded());
        assertEquals(0, vp.vmPagesWaiting());
        assertFalse(vp.vmTestNominal());
    }

    @Test
    void waitersAreWokenOnlySixteenPagesAboveTheMinimum() {
        List<Long> taken = drainTo(k, min() - 1);
        assertTrue(vp.vmTestNominal());
        assertEquals(1, po.vmPagesNeeded(), "allocating below paging_start already asked for the pagedaemon");
        vp.vmWait(0);
        assertEquals(2, po.vmPagesNeeded(), "vm_wait bumps vm_pages_needed while it is <= 1");
        assertEquals(1, vp.vmPagesWaiting());
        long before = ppwakeups();

        int hysteresis = po.vmPageFreeHysteresis();
        assertEquals(16, hysteresis);
        // vm_page_free_wakeup() tests this cpu's copy, which the free itself already adjusted
        // (vm_page.c _vm_page_add_queue_spinlocked): no tick is needed.
        while (free(k) < min() + hysteresis - 1) {
            vp.vmPageFreeToq(taken.removeLast());
            assertEquals(1, vp.vmPagesWaiting(), "no wakeup below min + hysteresis (free " + free(k) + ")");
        }
        vp.vmPageFreeToq(taken.removeLast());
        assertEquals(min() + hysteresis, free(k));
        assertEquals(0, vp.vmPagesWaiting(), "woken by the free that reaches min + hysteresis");
        assertEquals(before + 1, ppwakeups(), "v_ppwakeups counts the wakeup");
    }

    @Test
    void thePagedaemonWaitsOnItsOwnChannelAndIsWokenAtPageoutFreeMin() {
        long td = k.lwkt().curthread();
        po.pagethread(td);
        long pageoutFreeMin = StructVmstats.v_pageout_free_min(km, vs);
        List<Long> taken = drainTo(k, pageoutFreeMin - 5);
        assertEquals(0, po.vmPagesNeeded(), "pagedaemon_wakeup() does nothing when called by the pagedaemon");

        vp.vmWait(0);
        assertEquals(1, po.vmPageoutPagesNeeded(), "the pagedaemon sleeps on &vm_pageout_pages_needed");
        assertEquals(0, vp.vmPagesWaiting(), "and not among the ordinary waiters");
        while (free(k) < pageoutFreeMin - 1) {
            vp.vmPageFreeToq(taken.removeLast());
            assertEquals(1, po.vmPageoutPagesNeeded());
        }
        vp.vmPageFreeToq(taken.removeLast());
        assertEquals(pageoutFreeMin, free(k));
        assertEquals(0, po.vmPageoutPagesNeeded(), "woken once this cpu's copy of free+cache >= v_pageout_free_min");
    }

    @Test
    void niceRaisesTheTripPoint() {
        // A process with nice 20 trips between min and about (min + wait) / 2.
        long p = procPage();
        StructThread.td_proc(km, k.lwkt().curthread(), p);
        StructProc.p_nice(km, p, 20);
        long delta = (StructVmstats.v_paging_wait(km, vs) - min() - 1) >> 1;
        long trip = min() + 40 * delta / 40;
        drainTo(k, trip - 1);
        assertTrue(k.vmPage2().vmPagingMinNice(20));
        assertFalse(k.vmPage2().vmPagingMinNice(0), "nice 0 trips at min only");
        vp.vmWait(0);
        assertEquals(1, vp.vmPagesWaiting(), "vm_wait uses nice + 1: this process waits");

        StructProc.p_nice(km, p, -20);
        assertFalse(k.vmPage2().vmPagingMinNice(-20 + 1));
    }

    @Test
    void pfaultWaitsOnceAboveSevereAndStopsForALowMemoryKill() {
        List<Long> taken = drainTo(k, min() - 1);
        assertFalse(k.vmPage2().vmPagingSevere());
        vp.vmWaitPfault();
        assertEquals(1, vp.vmPagesWaiting(), "one sleep: not severe, so no loop");

        // Severe: the loop would go on, but a process marked for a low-memory kill leaves it.
        drainTo(k, StructVmstats.v_free_severe(km, vs) - 1);
        assertTrue(k.vmPage2().vmPagingSevere());
        long p = procPage();
        StructProc.p_flags(km, p, StructProc.P_LOWMEMKILL);
        StructThread.td_proc(km, k.lwkt().curthread(), p);
        vp.vmWaitPfault();
        assertEquals(2, vp.vmPagesWaiting());
        taken.forEach(vp::vmPageFreeToq);
    }

    // A struct proc in a page of its own (the process port allocates them later).
    private long procPage() {
        long m = vp.vmPageAlloc(0, 0, VmPage.VM_ALLOC_INTERRUPT);
        vp.vmPageWire(m);
        vp.vmPageWakeup(m);
        long p = Vmparam.PHYS_TO_DMAP(vp.VM_PAGE_TO_PHYS(m));
        km.bzero(p, StructProc.SIZEOF);
        return p;
    }
}
