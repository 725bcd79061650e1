package org.dfemu.kernel.vm;

import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.machine.Pmap;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.sys.StructVmstats;

import static org.dfemu.kernel.vm.StructVmPage.PBUSY_LOCKED;
import static org.dfemu.kernel.vm.StructVmPage.PBUSY_WANTED;
import static org.dfemu.kernel.vm.StructVmPage.PG_MAPPED;
import static org.dfemu.kernel.vm.StructVmPage.PG_WRITEABLE;
import static org.dfemu.kernel.vm.StructVmPage.VM_PAGE_BITS_ALL;

/**
 * vm_page2.h: DragonFly BSD sys/vm/vm_page2.h at commit 737b020b54 (2021-05-28): the paging
 * predicates every low-memory decision is made with, and the inline vm_page helpers.
 *
 * <p>The thresholds, from low to high: reserved, severe, minimum, wait, start, target1, target2
 * (the C's comment says "reserved &lt; severe", but with the boot formulas severe is 7 pages
 * below reserved). Every predicate except vm_paging_inactive() is also true whenever
 * {@code v_free_count < v_free_reserved}, whatever the cache holds.
 *
 * <p>The predicates read the running cpu's copy {@code mycpu->gd_vmstats}: exact for this cpu's
 * own queue changes, behind on other cpus' until the rollups (see {@link VmMeter}); only vm_paging_min_nice()'s trip-point delta reads the global
 * thresholds. All predicates: no requirements, never block.
 */
public final class VmPage2 {
    private final Kernel kernel;
    private final KernelMemory km;

    public VmPage2(Kernel kernel) {
        this.kernel = kernel;
        this.km = kernel.km();
    }

    /** {@code &mycpu->gd_vmstats}: what the C's {@code gd = mycpu; gd->gd_vmstats...} reads. */
    private long vs() { return kernel.vmMeter().mygdVmstats(); }

    private long freeCount(long vs) { return StructVmstats.v_free_count(km, vs); }

    private long freePlusCache(long vs) {
        return StructVmstats.v_free_count(km, vs) + StructVmstats.v_cache_count(km, vs);
    }

    private boolean belowReserved(long vs) {
        return StructVmstats.v_free_reserved(km, vs) > freeCount(vs);
    }

    /** vm_paging_severe(): free+cache below v_free_severe (user processes stall). */
    public boolean vmPagingSevere() {
        long vs = vs();
        return StructVmstats.v_free_severe(km, vs) > freePlusCache(vs) || belowReserved(vs);
    }

    /**
     * vm_paging_min_dnc(): free+cache below v_free_min + {@code donotcount} (the pages the caller
     * does not count as free, for hysteresis).
     */
    public boolean vmPagingMinDnc(long donotcount) {
        long vs = vs();
        return StructVmstats.v_free_min(km, vs) + donotcount > freePlusCache(vs) || belowReserved(vs);
    }

    /**
     * vm_paging_min_nice(): vm_paging_min_dnc() with a trip point raised by the process nice
     * value (-20..20) from v_free_min towards about (min + wait) / 2; nice 0 means exactly min.
     */
    public boolean vmPagingMinNice(int nice) {
        long vs = kernel.vmMeter().vmstats();    // the global thresholds, as the C reads them here
        long count = 0;
        if (nice != 0) {
            long delta = StructVmstats.v_paging_wait(km, vs) - StructVmstats.v_free_min(km, vs) - 1;
            delta = delta >> 1;
            if (delta > 0) {
                count = (nice + 20) * delta / 40;
            }
        }
        return vmPagingMinDnc(count);
    }

    /** vm_paging_min(): free+cache below v_free_min (normal faults block, pagedaemon runs). */
    public boolean vmPagingMin() {
        return vmPagingMinDnc(0);
    }

    /** vm_paging_wait(): free+cache below v_paging_wait (userland allocations slow down). */
    public boolean vmPagingWait() {
        long vs = vs();
        return StructVmstats.v_paging_wait(km, vs) > freePlusCache(vs) || belowReserved(vs);
    }

    /**
     * vm_paging_start(adj): the pageout daemon should start or keep running: free+cache+adj
     * below v_paging_start, or free+adj below v_free_min.
     */
    public boolean vmPagingStart(int adj) {
        long vs = vs();
        if (StructVmstats.v_paging_start(km, vs) > freePlusCache(vs) + adj) {
            return true;
        }
        if (StructVmstats.v_free_min(km, vs) > freeCount(vs) + adj) {
            return true;
        }
        return belowReserved(vs);
    }

    /** vm_paging_target1(): free+cache below v_paging_target1 (the daemon works hard). */
    public boolean vmPagingTarget1() {
        long vs = vs();
        return StructVmstats.v_paging_target1(km, vs) > freePlusCache(vs) || belowReserved(vs);
    }

    /** vm_paging_target1_count(): pages short of target1 (negative when above it). */
    public long vmPagingTarget1Count() {
        long vs = vs();
        return StructVmstats.v_paging_target1(km, vs) - freePlusCache(vs);
    }

    /** vm_paging_target2(): free+cache below v_paging_target2 (the daemon goes on lazily). */
    public boolean vmPagingTarget2() {
        long vs = vs();
        return StructVmstats.v_paging_target2(km, vs) > freePlusCache(vs) || belowReserved(vs);
    }

    /** vm_paging_target2_count(): pages short of target2. */
    public long vmPagingTarget2Count() {
        long vs = vs();
        return StructVmstats.v_paging_target2(km, vs) - freePlusCache(vs);
    }

    /** vm_paging_inactive(): free+cache+inactive below v_free_min + v_inactive_target. */
    public boolean vmPagingInactive() {
        return vmPagingInactiveCount() > 0;
    }

    /** vm_paging_inactive_count(): pages to deactivate to reach the inactive target. */
    public long vmPagingInactiveCount() {
        long vs = vs();
        return (StructVmstats.v_free_min(km, vs) + StructVmstats.v_inactive_target(km, vs))
                - (freePlusCache(vs) + StructVmstats.v_inactive_count(km, vs));
    }

    // ---- inline page helpers ---------------------------------------------------------------

    /** vm_page_clear_dirty_end_nonincl(): clears dirty bits, keeping a partial last block dirty. */
    public void vmPageClearDirtyEndNonincl(long m, int base, int size) {
        size = (base + size) & ~Param.DEV_BMASK;
        if (base < size) {
            kernel.vmPage().vmPageClearDirty(m, base, size - base);
        }
    }

    /** vm_page_clear_dirty_beg_nonincl(): clears dirty bits, keeping a partial first block dirty. */
    public void vmPageClearDirtyBegNonincl(long m, int base, int size) {
        size += base;
        base = (base + Param.DEV_BMASK) & ~Param.DEV_BMASK;
        if (base < size) {
            kernel.vmPage().vmPageClearDirty(m, base, size - base);
        }
    }

    /** vm_page_spin_lock(). May switch threads if contended. */
    public void vmPageSpinLock(long m) {
        kernel.lwkt().spinLock(m + StructVmPage.spin$OFFSET);
    }

    /** vm_page_spin_unlock(). */
    public void vmPageSpinUnlock(long m) {
        kernel.lwkt().spinUnlock(m + StructVmPage.spin$OFFSET);
    }

    /** vm_page_wire_quick(): adds a wiring to an already wired page; no busy needed. */
    public void vmPageWireQuick(long m) {
        if (km.fetchAdd32(m + StructVmPage.wire_count$OFFSET, 1) == 0) {
            throw Kassert.panic("vm_page_wire_quick: wire_count was 0");
        }
    }

    /**
     * vm_page_unwire_quick(): drops a wiring unless it is the last one; returns true (and leaves
     * the count alone) if it would have dropped to 0, so the caller busies the page and unwires
     * it properly.
     */
    public boolean vmPageUnwireQuick(long m) {
        Kassert.kkassert(StructVmPage.wire_count(km, m) > 0, "m->wire_count > 0", "vm_page_unwire_quick");
        for (;;) {
            int wireCount = StructVmPage.wire_count(km, m);
            if (wireCount == 1) {
                return true;
            }
            if (km.cas32(m + StructVmPage.wire_count$OFFSET, wireCount, wireCount - 1)) {
                return false;
            }
        }
    }

    /** vm_page_flag_set(): atomically sets flag bits. */
    public void vmPageFlagSet(long m, int bits) {
        km.atomicSet32(m + StructVmPage.flags$OFFSET, bits);
    }

    /** vm_page_flag_clear(): atomically clears flag bits. */
    public void vmPageFlagClear(long m, int bits) {
        km.atomicClear32(m + StructVmPage.flags$OFFSET, bits);
    }

    /** vm_page_flash(): wakes waiters of the page if PBUSY_WANTED is set. */
    public void vmPageFlash(long m) {
        if ((StructVmPage.busy_count(km, m) & PBUSY_WANTED) != 0) {
            km.atomicClear32(m + StructVmPage.busy_count$OFFSET, PBUSY_WANTED);
            kernel.lwkt().wakeup(m);
        }
    }

    /** vm_page_sbusy_hold(): adds a soft-busy. */
    public void vmPageSbusyHold(long m) {
        km.fetchAdd32(m + StructVmPage.busy_count$OFFSET, 1);
    }

    /** vm_page_sbusy_drop(): drops a soft-busy, waking waiters when it was the last busy. */
    public void vmPageSbusyDrop(long m) {
        int ocount = km.fetchAdd32(m + StructVmPage.busy_count$OFFSET, -1);
        if (ocount - 1 == PBUSY_WANTED) {
            km.atomicClear32(m + StructVmPage.busy_count$OFFSET, PBUSY_WANTED);
            kernel.lwkt().wakeup(m);
        }
    }

    /**
     * vm_page_protect(): lowers the protection of every mapping of the page to {@code prot}
     * (VM_PROT_NONE removes them, VM_PROT_READ write-protects them) through the pmap, when
     * pmap_mapped_sync() says there can be such mappings. The page must be hard-busied. May block
     * (pmap backing scan).
     */
    public void vmPageProtect(long m, int prot) {
        Kassert.kkassert((StructVmPage.busy_count(km, m) & PBUSY_LOCKED) != 0, "m->busy_count & PBUSY_LOCKED",
                "vm_page_protect");
        Pmap pmap = kernel.pmap();
        if (prot == Vm.VM_PROT_NONE) {
            if ((pmap.pmapMappedSync(m) & (PG_MAPPED | PG_WRITEABLE)) != 0) {
                pmap.pmapPageProtect(m, Vm.VM_PROT_NONE);
            }
        } else if (prot == Vm.VM_PROT_READ && (StructVmPage.flags(km, m) & PG_WRITEABLE) != 0
                && (pmap.pmapMappedSync(m) & PG_WRITEABLE) != 0) {
            pmap.pmapPageProtect(m, Vm.VM_PROT_READ);
        }
    }

    /** vm_page_zero_fill(): zeroes the page through the direct map (pmap_zero_page). */
    public boolean vmPageZeroFill(long m) {
        km.zeroPage(StructVmPage.phys_addr(km, m));
        return true;
    }

    /** vm_page_copy(): copies the page's contents and marks the destination all valid and dirty. */
    public void vmPageCopy(long srcM, long destM) {
        km.copyPage(StructVmPage.phys_addr(km, srcM), StructVmPage.phys_addr(km, destM));
        StructVmPage.valid(km, destM, VM_PAGE_BITS_ALL);
        StructVmPage.dirty(km, destM, VM_PAGE_BITS_ALL);
    }

    /** vm_page_free(): frees a hard-busied page (vm_page_free_toq). */
    public void vmPageFree(long m) {
        kernel.vmPage().vmPageFreeToq(m);
    }

    /** vm_page_free_zero(): frees a page the caller has zeroed. */
    public void vmPageFreeZero(long m) {
        kernel.vmPage().vmPageFreeToq(m);
    }

    /** vm_page_undirty(): clears m->dirty (not the pmap modified bits). */
    public void vmPageUndirty(long m) {
        StructVmPage.dirty(km, m, 0);
    }
}
