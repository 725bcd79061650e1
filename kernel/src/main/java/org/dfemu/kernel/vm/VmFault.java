package org.dfemu.kernel.vm;

import org.dfemu.kernel.sys.StructVmmeter;

import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelEvents;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.machine.Param;

/**
 * vm_fault.c: DragonFly BSD sys/vm/vm_fault.c at commit 737b020b54 (2021-05-28), the page-fault
 * path: vm_fault() resolves a fault at a virtual address of a map by finding (or making) the page
 * that must back it and entering it in the map's pmap.
 *
 * <p>Algorithm of one fault (vm_fault, then vm_fault_object):
 * <ol>
 *   <li>vm_map_lookup() finds the entry and checks the access against its protection
 *       (KERN_INVALID_ADDRESS / KERN_PROTECTION_FAILURE go back to the trap); a write to a
 *       copy-on-write entry shadows it first, so the head object of its backing chain is private.
 *   <li>The backing chain is walked from the head: in each object, a resident page at the
 *       address's index, or one its pager can bring in (vm_pager_get_page, the swap pager for
 *       OBJT_SWAP objects), ends the walk.
 *   <li>Nothing anywhere: a zero-filled page is allocated in the head object. Found in a backing
 *       object: a read maps that page read-only; a write copies it into a new page of the head
 *       object (copy-on-write). Page allocation is VM_ALLOC_NORMAL | NULL_OK and is not even
 *       tried while paging is severe: the fault then waits in vm_wait_pfault() and starts over.
 *   <li>pmap_enter() maps the page; a write dirties it.
 * </ol>
 *
 * <p>PORT: the C's fault state (struct faultstate), its shared-lock fast path
 * (vm_fault_bypass, the shared object token attempt), read-ahead (VM_FAULT_BURST, prefault),
 * VPAGETABLE and vnode objects, and wiring faults are not ported: dfemu's processes touch
 * anonymous memory only. Every fault takes the slow, exclusive path the C falls back to.
 */
public final class VmFault {
    /** vm_map.h fault flags. */
    public static final int VM_FAULT_NORMAL = 0x00;
    public static final int VM_FAULT_USERMODE = 0x40;

    /** vm_fault.c: vm_fault_object()'s "try again" (the map was unlocked). */
    private static final int KERN_TRY_AGAIN = -1;

    private final Kernel kernel;
    private final KernelMemory km;

    public VmFault(Kernel kernel) {
        this.kernel = kernel;
        this.km = kernel.km();
    }

    /**
     * vm_fault(): handles a fault of {@code faultType} (VM_PROT_READ / WRITE / EXECUTE) at
     * {@code vaddr} in {@code map}: on KERN_SUCCESS the page is entered in the map's pmap with
     * the entry's protection (write removed while it is still shared copy-on-write). Returns
     * KERN_INVALID_ADDRESS (no entry), KERN_PROTECTION_FAILURE (the entry forbids the access) or
     * KERN_FAILURE (pager I/O error). The caller holds no locks; may block (vm_wait_pfault,
     * page busy, pager I/O).
     *
     * <p>PORT: pushes the frame "vm_fault" for deadlock reports, and reports a completed fault
     * (KERN_SUCCESS) as progress to the stall watchdog (debug.stall_timeout).
     */
    public int vmFault(long map, long vaddr, int faultType, int faultFlags) {
        long va = Param.truncPage(vaddr);
        kernel.lwkt().pushFrame("vm_fault");
        cnt(StructVmmeter.v_vm_faults$OFFSET);
        try {
            for (;;) {
                int rv = vmFaultOnce(map, va, faultType);
                if (rv == VmMap.KERN_SUCCESS) {
                    kernel.lwkt().progress();
                }
                if (rv != KERN_TRY_AGAIN) {
                    return rv;
                }
            }
        } finally {
            kernel.lwkt().popFrame();
        }
    }

    /** {@code ++mycpu->gd_cnt.FIELD}: this cpu's vmmeter event counter. */
    private void cnt(long fieldOffset) {
        long c = kernel.vmMeter().mycnt() + fieldOffset;
        km.store32(c, km.load32(c) + 1);
    }

    /** One attempt: KERN_TRY_AGAIN after sleeping with everything released. */
    private int vmFaultOnce(long map, long va, int faultType) {
        VmMap vm = kernel.vmMap();
        VmObject vo = kernel.vmObject();
        VmPage vp = kernel.vmPage();
        long[] out = new long[3];
        int[] protp = new int[1];
        int rv = vm.vmMapLookup(map, va, faultType, out, protp);
        if (rv != VmMap.KERN_SUCCESS) {
            return rv;
        }
        long entry = out[0];
        long firstBa = out[1];
        long firstPindex = out[2];
        int prot = protp[0];
        long firstObject = StructVmMapEntry.ba_object(km, firstBa);
        vo.vmObjectHold(firstObject);
        int traceKind = KernelEvents.FAULT_RESIDENT;   // PORT: for dfemu's trace only
        try {
            // Walk the backing chain for a resident or pageable page.
            long m = 0;
            long ba = firstBa;
            long pindex = firstPindex;
            while (ba != 0) {
                long object = StructVmMapEntry.ba_object(km, ba);
                m = vp.vmPageLookup(object, pindex);
                if (m != 0) {
                    if (vp.vmPageBusyTry(m, true)) {
                        vm.vmMapLookupDone(map);
                        vp.vmPageSleepBusy(m, true, "vmpfw");
                        return KERN_TRY_AGAIN;
                    }
                    // Busied: take it off its queue (it may be in PQ_CACHE or inactive); a page
                    // reactivated from the cache while paging is severe waits in vm_wait_pfault.
                    int queue = StructVmPage.queue(km, m);
                    vp.vmPageUnqueueNowakeup(m);
                    if (queue - StructVmPage.pc(km, m) == org.dfemu.kernel.vm.StructVpgqueues.PQ_CACHE
                            && kernel.vmPage2().vmPagingSevere()) {
                        vp.vmPageActivate(m);
                        vp.vmPageWakeup(m);
                        vm.vmMapLookupDone(map);
                        vp.vmWaitPfault();
                        return afterVmWaitPfault();
                    }
                    Kassert.kkassert(StructVmPage.valid(km, m) == StructVmPage.VM_PAGE_BITS_ALL,
                            "m->valid == VM_PAGE_BITS_ALL (anonymous page)", "vm_fault_object");
                    break;
                }
                int type = StructVmObject.type(km, object);
                if (type != StructVmObject.OBJT_DEFAULT
                        && kernel.vmPager().vmPagerHasPage(type, object, pindex)) {
                    m = allocPage(map, object, pindex, 0, 0);
                    if (m == 0) {
                        return afterVmWaitPfault();
                    }
                    long[] mpp = {m};
                    int pr = kernel.vmPager().vmPagerGetPage(type, object, mpp, 0);
                    m = mpp[0];
                    if (pr == VmPager.VM_PAGER_OK) {
                        traceKind = KernelEvents.FAULT_SWAP_IN;
                        Kassert.kkassert(StructVmPage.valid(km, m) == StructVmPage.VM_PAGE_BITS_ALL,
                                "m->valid == VM_PAGE_BITS_ALL (after vm_pager_get_page)", "vm_fault_object");
                        break;
                    }
                    kernel.vmPage2().vmPageFree(m);
                    m = 0;
                    if (pr != VmPager.VM_PAGER_FAIL) {
                        vm.vmMapLookupDone(map);
                        return VmMap.KERN_FAILURE;
                    }
                    // No backing store after all: look further down the chain.
                }
                long next = StructVmMapEntry.ba_backing_ba(km, ba);
                if (next != 0) {
                    pindex = pindex - (StructVmMapEntry.ba_offset(km, ba) >>> Param.PAGE_SHIFT)
                            + (StructVmMapEntry.ba_offset(km, next) >>> Param.PAGE_SHIFT);
                }
                ba = next;
            }

            if (m == 0) {
                // Zero fill in the head object.
                m = allocPage(map, firstObject, firstPindex, VmPage.VM_ALLOC_ZERO | VmPage.VM_ALLOC_USE_GD, 0);
                if (m == 0) {
                    return afterVmWaitPfault();
                }
                traceKind = KernelEvents.FAULT_ZERO_FILL;
                cnt(StructVmmeter.v_zfod$OFFSET);
                kernel.pmap().pmapZeroPage(vp.VM_PAGE_TO_PHYS(m));
                StructVmPage.valid(km, m, StructVmPage.VM_PAGE_BITS_ALL);
            } else if (StructVmPage.object(km, m) != firstObject) {
                if ((faultType & Vm.VM_PROT_WRITE) != 0) {
                    // Copy-on-write: the head object gets its own copy of the backing page.
                    long copy = allocPage(map, firstObject, firstPindex, VmPage.VM_ALLOC_USE_GD, m);
                    if (copy == 0) {
                        return afterVmWaitPfault();
                    }
                    kernel.pmap().pmapCopyPage(vp.VM_PAGE_TO_PHYS(m), vp.VM_PAGE_TO_PHYS(copy));
                    cnt(StructVmmeter.v_cow_faults$OFFSET);
                    StructVmPage.valid(km, copy, StructVmPage.VM_PAGE_BITS_ALL);
                    // release_page(): the backing page, taken off its queue when it was busied
                    // above, goes back as inactive (it was on no queue at all otherwise, and the
                    // pageout daemon could never find it again).
                    vp.vmPageDeactivate(m);
                    vp.vmPageWakeup(m);
                    m = copy;
                    if (traceKind != KernelEvents.FAULT_SWAP_IN) traceKind = KernelEvents.FAULT_COW;
                } else {
                    // A read of a shared page maps it read-only: a later write must copy it.
                    prot &= ~Vm.VM_PROT_WRITE;
                }
            }

            boolean wired = StructVmMapEntry.wired_count(km, entry) != 0;
            kernel.pmap().pmapEnter(StructVmMap.pmap(km, map), va, m, prot, wired, entry);
            if ((faultType & Vm.VM_PROT_WRITE) != 0) {
                vp.vmPageDirty(m);
                vo.vmObjectSetWriteableDirty(StructVmPage.object(km, m));
            }
            vp.vmPageActivate(m);
            vp.vmPageWakeup(m);
            kernel.trace().faultResolved(traceKind, StructVmMapEntry.start(km, entry));
            vm.vmMapLookupDone(map);
            return VmMap.KERN_SUCCESS;
        } finally {
            vo.vmObjectDrop(firstObject);
        }
    }

    // After vm_wait_pfault(): a process being killed for low memory (P_LOWMEMKILL) gets
    // KERN_PROTECTION_FAILURE instead of retrying, so it returns to user mode and dies.
    private int afterVmWaitPfault() {
        long p = org.dfemu.kernel.sys.StructThread.td_proc(km, kernel.lwkt().curthread());
        if (p != 0 && (org.dfemu.kernel.sys.StructProc.p_flags(km, p) & org.dfemu.kernel.sys.StructProc.P_LOWMEMKILL) != 0) {
            return VmMap.KERN_PROTECTION_FAILURE;
        }
        return KERN_TRY_AGAIN;
    }

    /**
     * The page allocation of vm_fault_object(): a busied page at (object, pindex), or 0 after
     * releasing the map (and unbusying {@code busied}, the copy-on-write source, if any) and
     * waiting in vm_wait_pfault() when paging is severe or no page was free (the caller starts
     * the fault over).
     */
    private long allocPage(long map, long object, long pindex, int extra, long busied) {
        if (!kernel.vmPage2().vmPagingSevere()) {
            long m = kernel.vmPage().vmPageAlloc(object, pindex,
                    VmPage.VM_ALLOC_NORMAL | VmPage.VM_ALLOC_NULL_OK | extra);
            if (m != 0) {
                return m;
            }
        }
        if (busied != 0) {
            kernel.vmPage().vmPageWakeup(busied);
        }
        kernel.vmMap().vmMapLookupDone(map);
        kernel.vmPage().vmWaitPfault();
        return 0;
    }
}
