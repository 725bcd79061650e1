package org.dfemu.kernel.vm;

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
import static org.dfemu.kernel.vm.VmTestSupport.tick;
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
     * vm_page_alloc() after a clock tick, so the cpu's copy of the counts is exact and the
     * class boundaries are tested, not the copy's lag (that is VmmeterPercpuTest's subject).
     */
    private long alloc(long object, long pindex, int req) {
        tick(k);
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
    void normalBelowTheReserveRecyclesTheCacheOnAStaleCopy() {
        long obj = newObject(k, 64);
        makeCachePages(k, obj, 0, 3);
        assertEquals(3, cache(k));
        long reserved = reserved(k);
        drainTo(k, reserved - 1);
        int deficit = po.vmPageoutDeficit();

        // QUICK may not use the cache.
        assertEquals(0, alloc(0, 8, VM_ALLOC_QUICK));
        assertEquals(deficit + 1, po.vmPageoutDeficit());

        // NORMAL below the reserve frees a cache page and looks again; the freed page reaches
        // only this cpu's gd_vmstats_adj, not the gd_vmstats copy the retry reads, so the loop
        // goes on until the cache is empty, then fails.
        assertEquals(0, alloc(0, 7, VM_ALLOC_NORMAL), "recycles the whole cache against its stale copy");
        assertEquals(0, cache(k), "every cache page was freed");
        assertEquals(reserved + 2, free(k), "the recycled pages went to the free queue");
        assertEquals(0, StructVmObject.resident_page_count(km, obj), "and left their object");
        assertEquals(deficit + 2, po.vmPageoutDeficit());

        // After the next tick the copy shows them: NORMAL is admitted from the free queue.
        long m = alloc(0, 9, VM_ALLOC_NORMAL);
        assertNotEquals(0, m, "admitted once a tick refreshed the copy");
        assertEquals(0, StructVmPage.object(km, m));
        assertEquals(reserved + 1, free(k));
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

        // With NORMAL as well, the cache page is recycled into the free queue; the retry still
        // reads this cpu's stale copy (free below the reserve, one cache page), finds no cache
        // page and fails.
        assertEquals(0, alloc(0, 0, VM_ALLOC_SYSTEM | VM_ALLOC_NORMAL));
        assertEquals(0, cache(k));
        assertEquals(reserved(k), free(k));
        // After the next tick the copy shows the recycled page: SYSTEM alone is admitted again.
        assertNotEquals(0, alloc(0, 1, VM_ALLOC_SYSTEM));
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
