package org.dfemu.kernel.vm;

import org.dfemu.kernel.harness.check.VmPageQueueCheck;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.KernelPanic;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.sys.StructThread;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.dfemu.kernel.vm.VmPage.VM_ALLOC_INTERRUPT;
import static org.dfemu.kernel.vm.VmPage.VM_ALLOC_NORMAL;
import static org.dfemu.kernel.vm.VmPage.VM_ALLOC_QUICK;
import static org.dfemu.kernel.vm.VmPage.VM_ALLOC_SYSTEM;
import static org.dfemu.kernel.vm.VmTestSupport.cache;
import static org.dfemu.kernel.vm.VmTestSupport.drainTo;
import static org.dfemu.kernel.vm.VmTestSupport.free;
import static org.dfemu.kernel.vm.VmTestSupport.interruptFreeMin;
import static org.dfemu.kernel.vm.VmTestSupport.makeCachePages;
import static org.dfemu.kernel.vm.VmTestSupport.newObject;
import static org.dfemu.kernel.vm.VmTestSupport.reserved;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * vm_page_alloc() admission is exact (docs/dragonfly-map.md §1.2, behaviours 4 and 5): the reserve
 * ladder NORMAL/QUICK to v_free_reserved, SYSTEM to v_interrupt_free_min with the cache empty,
 * INTERRUPT to the last page; NORMAL below reserved only by recycling a cache page; every refusal
 * counts in vm_pageout_deficit and asks for the pagedaemon (vm_pages_needed), never sleeping.
 * Runs in boot context on a 16 MiB machine, so a "wakeup" is observable only through
 * vm_pages_needed (a real wakeup needs the scheduler, see VmWaitTest).
 */
class VmPageAllocTest {
    private TestKernel t;
    private Kernel k;
    private KernelMemory km;
    private VmPage vp;
    private VmPageout po;

    @BeforeEach
    void boot() {
        t = TestKernel.boot(16 << 20);
        k = t.kernel;
        km = k.km();
        vp = k.vmPage();
        po = k.vmPageout();
    }

    /**
     * vm_page_alloc() on the one cpu: its copy of the counts follows its own queue changes at
     * once, so no tick is needed (the lag between cpus is VmmeterPercpuTest's subject).
     */
    private long alloc(long object, long pindex, int req) {
        return vp.vmPageAlloc(object, pindex, req);
    }

    @AfterEach
    void close() {
        VmPageQueueCheck.assertConsistent(k);
        t.close();
    }

    @Test
    void normalAndQuickStopAtTheReserve() {
        long reserved = reserved(k);
        assertTrue(reserved > 0);
        drainTo(k, reserved);
        int deficit = po.vmPageoutDeficit();

        // At exactly v_free_reserved anyone may still take a page.
        assertNotEquals(0, alloc(0, 0, VM_ALLOC_NORMAL));
        assertEquals(reserved - 1, free(k));
        assertEquals(1, po.vmPagesNeeded(), "paging is needed: the pagedaemon was asked for");

        // Below it, with an empty cache, NORMAL and QUICK get nothing.
        assertEquals(0, alloc(0, 0, VM_ALLOC_NORMAL));
        assertEquals(0, alloc(0, 1, VM_ALLOC_QUICK));
        assertEquals(deficit + 2, po.vmPageoutDeficit(), "each refusal counts in vm_pageout_deficit");
        assertEquals(reserved - 1, free(k), "refusals take nothing");
        assertEquals(1, po.vmPagesNeeded());
    }

    @Test
    void normalBelowTheReserveRecyclesOneCachePage() {
        long obj = newObject(k, 64);
        makeCachePages(k, obj, 0, 3);
        assertEquals(3, cache(k));
        long reserved = reserved(k);
        drainTo(k, reserved - 1);
        int deficit = po.vmPageoutDeficit();

        // QUICK may not use the cache.
        assertEquals(0, alloc(0, 8, VM_ALLOC_QUICK));
        assertEquals(deficit + 1, po.vmPageoutDeficit());

        // NORMAL below the reserve frees one cache page and looks again; the free queue insert
        // adjusted this cpu's own gd_vmstats too, so the retry sees v_free_reserved and is
        // admitted (vm_page.c _vm_page_add_queue_spinlocked, vm_page_alloc).
        long m = alloc(0, 7, VM_ALLOC_NORMAL);
        assertNotEquals(0, m, "admitted after recycling one cache page");
        assertEquals(0, StructVmPage.object(km, m));
        assertEquals(2, cache(k), "only one cache page was recycled");
        assertEquals(reserved - 1, free(k));
        assertEquals(deficit + 1, po.vmPageoutDeficit(), "no refusal this time");
    }

    @Test
    void interruptTakesTheLastPageAndFailsAtZero() {
        drainTo(k, 1);
        int deficit = po.vmPageoutDeficit();
        assertEquals(0, alloc(0, 0, VM_ALLOC_SYSTEM), "SYSTEM stops above v_interrupt_free_min");
        assertNotEquals(0, alloc(0, 0, VM_ALLOC_INTERRUPT), "INTERRUPT takes the last page");
        assertEquals(0, free(k));
        assertEquals(0, alloc(0, 0, VM_ALLOC_INTERRUPT));
        assertEquals(0, alloc(0, 0, VM_ALLOC_NORMAL | VM_ALLOC_SYSTEM | VM_ALLOC_INTERRUPT));
        assertEquals(deficit + 3, po.vmPageoutDeficit());
    }

    @Test
    void systhreadDigsToInterruptFreeMinWithTheCacheEmpty() {
        long ifm = interruptFreeMin(k);
        drainTo(k, reserved(k) - 1);
        int deficit = po.vmPageoutDeficit();
        assertEquals(0, alloc(0, 0, VM_ALLOC_NORMAL), "an ordinary thread is refused below the reserve");

        // The same NORMAL request from a TDF_SYSTHREAD thread is treated as SYSTEM.
        long td = k.lwkt().curthread();
        StructThread.td_flags(km, td, StructThread.TDF_SYSTHREAD);
        long taken = 0;
        while (alloc(0, taken, VM_ALLOC_NORMAL) != 0) {
            taken++;
        }
        assertEquals(ifm, free(k), "SYSTEM digs down to v_interrupt_free_min and no further");
        assertEquals(reserved(k) - 1 - ifm, taken);
        assertEquals(deficit + 2, po.vmPageoutDeficit());

        StructThread.td_flags(km, td, 0);
        assertNotEquals(0, alloc(0, 0, VM_ALLOC_INTERRUPT), "INTERRUPT still goes below it");
    }

    @Test
    void systemIsRefusedBelowTheReserveWhileTheCacheHoldsPages() {
        long obj = newObject(k, 64);
        makeCachePages(k, obj, 0, 1);
        drainTo(k, reserved(k) - 1);
        int deficit = po.vmPageoutDeficit();

        assertEquals(0, alloc(0, 0, VM_ALLOC_SYSTEM), "SYSTEM needs an empty cache below the reserve");
        assertEquals(deficit + 1, po.vmPageoutDeficit());
        assertEquals(1, cache(k));

        // With NORMAL as well, the cache page is recycled into the free queue; this cpu's copy
        // shows it at once, so the retry is admitted at v_free_reserved.
        assertNotEquals(0, alloc(0, 0, VM_ALLOC_SYSTEM | VM_ALLOC_NORMAL));
        assertEquals(0, cache(k));
        assertEquals(reserved(k) - 1, free(k));
        // The cache is now empty: SYSTEM alone is admitted below the reserve.
        assertNotEquals(0, alloc(0, 1, VM_ALLOC_SYSTEM));
        assertEquals(deficit + 1, po.vmPageoutDeficit());
    }

    @Test
    void aClassIsRequired() {
        KernelPanic p = assertThrows(KernelPanic.class, () -> alloc(0, 0, VmPage.VM_ALLOC_ZERO));
        assertTrue(p.getMessage().startsWith("panic: assertion \"page_req & (VM_ALLOC_NORMAL"), p.getMessage());
        assertTrue(p.getMessage().endsWith("failed in vm_page_alloc"), p.getMessage());
    }

    @Test
    void aNewPageIsBusyUnqueuedInvalidAndUnwired() {
        long m = alloc(0, 1234, VM_ALLOC_NORMAL);
        assertEquals(StructVpgqueues.PQ_NONE, StructVmPage.queue(km, m));
        assertEquals(StructVmPage.PBUSY_LOCKED, StructVmPage.busy_count(km, m));
        assertEquals(0, StructVmPage.valid(km, m));
        assertEquals(0, StructVmPage.wire_count(km, m));
        assertEquals(0, StructVmPage.flags(km, m));
        assertEquals(1234, StructVmPage.pindex(km, m), "an object-less page keeps pindex for the caller");
        assertEquals(m, vp.PHYS_TO_VM_PAGE(vp.VM_PAGE_TO_PHYS(m)));
        assertTrue(vp.VM_PAGE_TO_PHYS(m) >= 4096, "page 0 is never handed out");
    }
}
