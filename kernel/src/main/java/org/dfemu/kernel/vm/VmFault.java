package org.dfemu.kernel.vm;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.harness.trace.KernelEvents;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.sys.StructProc;
import org.dfemu.kernel.sys.StructThread;
import org.dfemu.kernel.sys.StructVmmeter;
import org.dfemu.kernel.sys.Sysctl;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_INT;

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
 *   <li>A writable mapping marks the head object writeable-dirty; a write fault (VM_FAULT_DIRTY)
 *       dirties the page and, if it has a swap block (PG_SWAPPED), frees the block with
 *       swap_pager_unswapped(): the copy on swap no longer matches.
 *   <li>pmap_enter() maps the page. A user fault (VM_FAULT_BURST) then maps up to
 *       vm.prefault_pages neighbours: vm_prefault() when the fault had to take every object of
 *       the chain exclusively, else vm_prefault_quick() (resident pages of the head object only).
 * </ol>
 *
 * <p>PORT: objects are always held exclusively (there are no shared tokens), so the C's retries
 * that upgrade a shared hold are not needed; the two lock-mode flags of struct faultstate
 * (shared, first_shared) are still tracked because they choose the prefault variant.
 * vm_fault_bypass()'s lockless mapping is not ported (the slow path maps the same page the same
 * way); its one visible effect, no burst after a bypassed fault, is kept. VPAGETABLE and vnode
 * objects are not ported: dfemu's processes touch anonymous memory only. Wiring faults
 * (VM_FAULT_USER_WIRE, VM_FAULT_CHANGE_WIRING from vm_fault_wire for mlock) are: the page is
 * wired instead of activated, a wired entry is faulted for its full protection, and there is
 * no burst.
 */
public final class VmFault {
    /** vm_map.h fault flags. */
    public static final int VM_FAULT_NORMAL = 0x00;
    public static final int VM_FAULT_CHANGE_WIRING = 0x01;
    public static final int VM_FAULT_USER_WIRE = 0x02;
    public static final int VM_FAULT_WIRE_MASK = VM_FAULT_CHANGE_WIRING | VM_FAULT_USER_WIRE;
    public static final int VM_FAULT_BURST = 0x04;
    public static final int VM_FAULT_DIRTY = 0x08;
    public static final int VM_FAULT_USERMODE = 0x40;

    /** vm_fault.c: vm_fault_object()'s "try again" (the map was unlocked). */
    private static final int KERN_TRY_AGAIN = -1;

    /** vm_fault.c's tunables (sysctl vm.shared_fault, vm.fault_bypass, vm.prefault_pages, vm.fast_fault). */
    private static final StructLayout GLOBALS = MemoryLayout.structLayout(
            C_INT.withName("vm_shared_fault"),
            C_INT.withName("vm_fault_bypass_count"),
            C_INT.withName("vm_prefault_pages"),
            C_INT.withName("vm_fast_fault")).withName("vm_fault_globals");
    private static final long VM_SHARED_FAULT = Ctypes.offset(GLOBALS, "vm_shared_fault");
    private static final long VM_FAULT_BYPASS_COUNT = Ctypes.offset(GLOBALS, "vm_fault_bypass_count");
    private static final long VM_PREFAULT_PAGES = Ctypes.offset(GLOBALS, "vm_prefault_pages");
    private static final long VM_FAST_FAULT = Ctypes.offset(GLOBALS, "vm_fast_fault");

    private final Kernel kernel;
    private final KernelMemory km;
    private final long globals;

    /** (boot only) Lays out the tunables with DragonFly's defaults and registers their sysctls. */
    public VmFault(Kernel kernel, DataSegment data, Sysctl sysctl) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.globals = data.alloc(GLOBALS);
        km.store32(globals + VM_SHARED_FAULT, 1);
        km.store32(globals + VM_FAULT_BYPASS_COUNT, 1);
        km.store32(globals + VM_PREFAULT_PAGES, 8);
        km.store32(globals + VM_FAST_FAULT, 1);
        sysctl.sysctlInt("vm.shared_fault", globals + VM_SHARED_FAULT, "Allow shared token on vm_object");
        sysctl.sysctlInt("vm.fault_bypass", globals + VM_FAULT_BYPASS_COUNT, "Allow fast vm_fault shortcut");
        sysctl.sysctlInt("vm.prefault_pages", globals + VM_PREFAULT_PAGES, "Maximum number of pages to pre-fault");
        sysctl.sysctlInt("vm.fast_fault", globals + VM_FAST_FAULT, "Burst fault zero-fill regions");
    }

    /** Sets vm.shared_fault (the tunable; tests). */
    public void setVmSharedFault(int v) { km.store32(globals + VM_SHARED_FAULT, v); }

    /** Sets vm.fault_bypass (tests). */
    public void setVmFaultBypass(int v) { km.store32(globals + VM_FAULT_BYPASS_COUNT, v); }

    /** Sets vm.prefault_pages (tests). */
    public void setVmPrefaultPages(int v) { km.store32(globals + VM_PREFAULT_PAGES, v); }

    /** Sets vm.fast_fault (tests). */
    public void setVmFastFault(int v) { km.store32(globals + VM_FAST_FAULT, v); }

    /**
     * The lock-mode flags of the C's struct faultstate, kept across a fault's retries: true while
     * the C would still hold the head object (firstShared) or the backing objects (shared) with a
     * shared token.
     */
    private static final class Faultstate {
        boolean shared;
        boolean firstShared;

        Faultstate(boolean vmSharedFault) {
            this.shared = vmSharedFault;
            this.firstShared = vmSharedFault;
        }
    }

    /**
     * vm_fault(): handles a fault of {@code faultType} (VM_PROT_READ / WRITE / EXECUTE) at
     * {@code vaddr} in {@code map}: on KERN_SUCCESS the page is entered in the map's pmap with
     * the entry's protection (write removed while it is still shared copy-on-write), and with
     * VM_FAULT_BURST some neighbours too. Returns KERN_INVALID_ADDRESS (no entry),
     * KERN_PROTECTION_FAILURE (the entry forbids the access) or KERN_FAILURE (pager I/O error).
     * The caller holds no locks; may block (vm_wait_pfault, page busy, pager I/O, the prefault's
     * lwkt_yield).
     *
     * <p>PORT: pushes the frame "vm_fault" for deadlock reports, and reports a completed fault
     * (KERN_SUCCESS) as progress to the stall watchdog (debug.stall_timeout).
     */
    public int vmFault(long map, long vaddr, int faultType, int faultFlags) {
        long va = Param.truncPage(vaddr);
        kernel.lwkt().pushFrame("vm_fault");
        Faultstate fs = new Faultstate(km.load32(globals + VM_SHARED_FAULT) != 0);
        try {
            for (;;) {
                int rv = vmFaultOnce(map, va, faultType, faultFlags, fs);
                if (rv == VmMap.KERN_SUCCESS) {
                    // done_success: only a fault that completed is counted, once, however
                    // many times it retried; failed faults are not.
                    cnt(StructVmmeter.v_vm_faults$OFFSET);
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
    private int vmFaultOnce(long map, long va, int faultType, int faultFlags, Faultstate fs) {
        VmMap vm = kernel.vmMap();
        VmObject vo = kernel.vmObject();
        VmPage vp = kernel.vmPage();
        long[] out = new long[3];
        int[] protp = new int[1];
        int rv = vm.vmMapLookup(map, va, faultType, out, protp);
        if (rv != VmMap.KERN_SUCCESS) {
            if (rv != VmMap.KERN_PROTECTION_FAILURE || (faultFlags & VM_FAULT_WIRE_MASK) != VM_FAULT_USER_WIRE) {
                return rv;
            }
            // A user wiring of a segment the access may not touch: look it up for a write (so
            // a copy-on-write entry is shadowed now; wired, it could never be later), and a
            // segment that is not writable loses write from its maximum protection.
            rv = vm.vmMapLookup(map, va, Vm.VM_PROT_READ | Vm.VM_PROT_WRITE | Vm.VM_PROT_OVERRIDE_WRITE, out, protp);
            if (rv != VmMap.KERN_SUCCESS) {
                return VmMap.KERN_FAILURE;
            }
            if ((StructVmMapEntry.protection(km, out[0]) & Vm.VM_PROT_WRITE) == 0) {
                StructVmMapEntry.max_protection(km, out[0], StructVmMapEntry.max_protection(km, out[0]) & ~Vm.VM_PROT_WRITE);
            }
        }
        long entry = out[0];
        // FW_WIRED: the entry is wired; its page protection cannot change later, so the fault
        // is taken for the entry's full protection.
        boolean wired = StructVmMapEntry.wired_count(km, entry) != 0;
        if (wired) {
            faultType = protp[0];
        }
        long firstBa = out[1];
        long firstPindex = out[2];
        int prot = protp[0];
        long firstObject = StructVmMapEntry.ba_object(km, firstBa);
        if (km.load32(globals + VM_FAULT_BYPASS_COUNT) != 0 && (faultFlags & VM_FAULT_WIRE_MASK) == 0
                && vmFaultBypass(firstObject, firstPindex, prot)) {
            faultFlags &= ~VM_FAULT_BURST;
        }
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
                // Not resident: the C allocates in the head object (for the pager or a later
                // zero fill or copy) exclusively, and in a backing object only to page in.
                if (ba == firstBa) {
                    fs.firstShared = false;
                }
                int type = StructVmObject.type(km, object);
                // TRYPAGER: not a default object, and not a wiring fault unless the entry is wired.
                if (type != StructVmObject.OBJT_DEFAULT && ((faultFlags & VM_FAULT_WIRE_MASK) == 0 || wired)
                        && kernel.vmPager().vmPagerHasPage(type, object, pindex)) {
                    if (ba != firstBa) {
                        fs.firstShared = false;
                        fs.shared = false;
                    }
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

            // A writable mapping may dirty the head object; a write fault dirties the page now,
            // and a swap block it has no longer matches it: free it.
            if ((prot & Vm.VM_PROT_WRITE) != 0) {
                vo.vmObjectSetWriteableDirty(firstObject);
                vmSetNosync(m, entry);
                if ((faultFlags & VM_FAULT_DIRTY) != 0) {
                    vp.vmPageDirty(m);
                    if ((StructVmPage.flags(km, m) & StructVmPage.PG_SWAPPED) != 0) {
                        // The C retries here to hold the head object exclusively (the port
                        // always does); the retry's mark on the flags stays.
                        fs.firstShared = false;
                        kernel.swapPager().swapPagerUnswapped(m);
                    }
                }
            }

            long pmap = StructVmMap.pmap(km, map);
            kernel.pmap().pmapEnter(pmap, va, m, prot, wired, entry);
            // A page not wired goes where the pageout daemon finds it.
            if ((faultFlags & VM_FAULT_WIRE_MASK) != 0) {
                if (wired) {
                    vp.vmPageWire(m);
                } else {
                    vp.vmPageUnwire(m, true);
                }
            } else {
                vp.vmPageActivate(m);
            }
            vp.vmPageWakeup(m);
            // Burst: map some neighbours while the map is still locked.
            if ((faultFlags & VM_FAULT_BURST) != 0 && (faultFlags & VM_FAULT_WIRE_MASK) == 0 && !wired) {
                if (!fs.firstShared && !fs.shared) {
                    vmPrefault(pmap, va, entry, prot, faultFlags);
                } else {
                    vmPrefaultQuick(pmap, va, entry, prot, faultFlags);
                }
            }
            kernel.trace().faultResolved(traceKind, StructVmMapEntry.start(km, entry));
            vm.vmMapLookupDone(map);
            return VmMap.KERN_SUCCESS;
        } finally {
            vo.vmObjectDrop(firstObject);
        }
    }

    /**
     * Whether vm_fault_bypass() would resolve this fault without locks: the head object's page at
     * {@code firstPindex} is resident, not hard-busied, fully valid, active and has no swap block,
     * and for a writable mapping the object is writeable-dirty and the page wholly dirty. The
     * caller has the map locked; never blocks.
     *
     * <p>PORT: the C finds the page through vm_page_hash, a cache that may have forgotten it
     * (then the slow path runs and the burst happens); the port has no such hash and behaves as
     * if every page were in it.
     */
    private boolean vmFaultBypass(long obj, long firstPindex, int prot) {
        long m = kernel.vmPage().vmPageLookup(obj, firstPindex);
        if (m == 0 || (StructVmPage.busy_count(km, m) & StructVmPage.PBUSY_LOCKED) != 0) {
            return false;
        }
        if ((StructVmObject.flags(km, obj) & StructVmObject.OBJ_DEAD) != 0
                || StructVmPage.valid(km, m) != StructVmPage.VM_PAGE_BITS_ALL
                || StructVmPage.queue(km, m) - StructVmPage.pc(km, m) != StructVpgqueues.PQ_ACTIVE
                || (StructVmPage.flags(km, m) & StructVmPage.PG_SWAPPED) != 0) {
            return false;
        }
        if ((prot & Vm.VM_PROT_WRITE) != 0) {
            int both = StructVmObject.OBJ_WRITEABLE | StructVmObject.OBJ_MIGHTBEDIRTY;
            if ((StructVmObject.flags(km, obj) & both) != both
                    || StructVmPage.dirty(km, m) != StructVmPage.VM_PAGE_BITS_ALL) {
                return false;
            }
        }
        return true;
    }

    // After vm_wait_pfault(): a process being killed for low memory (P_LOWMEMKILL) gets
    // KERN_PROTECTION_FAILURE instead of retrying, so it returns to user mode and dies.
    private int afterVmWaitPfault() {
        long p = StructThread.td_proc(km, kernel.lwkt().curthread());
        if (p != 0 && (StructProc.p_flags(km, p) & StructProc.P_LOWMEMKILL) != 0) {
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

    /**
     * vm_fault_wire(): faults in every page of {@code entry} wired, by simulated faults
     * (VM_FAULT_USER_WIRE for a read with {@code userWire}, else VM_FAULT_CHANGE_WIRING for a
     * read-write), releasing the map lock around them; on a failed fault the pages wired so far
     * are unwired again and the fault's code returned. The map is locked on entry and on
     * return; the entry may have been clipped meanwhile. May block.
     *
     * <p>PORT: KM_NOTLBSYNC (VM_PROT_NOSYNC) is not ported; device objects (fictitious pages)
     * and UKSMAP entries do not exist in dfemu. kernel_map's wiring (vm_map_wire) keeps its own
     * resident-page version in {@link VmMap}.
     */
    public int vmFaultWire(long map, long entry, boolean userWire, int kmflags) {
        int wireProt;
        int faultFlags;
        if (userWire) {
            wireProt = Vm.VM_PROT_READ;
            faultFlags = VM_FAULT_USER_WIRE;
        } else {
            wireProt = Vm.VM_PROT_READ | Vm.VM_PROT_WRITE;
            faultFlags = VM_FAULT_CHANGE_WIRING;
        }
        long pmap = StructVmMap.pmap(km, map);
        long start = StructVmMapEntry.start(km, entry);
        long end = StructVmMapEntry.end(km, entry);
        if ((StructVmMapEntry.eflags(km, entry) & StructVmMapEntry.MAP_ENTRY_KSTACK) != 0) {
            start += Param.PAGE_SIZE;
        }
        km.store32(map + StructVmMap.timestamp$OFFSET, km.load32(map + StructVmMap.timestamp$OFFSET) + 1);
        VmMap vm = kernel.vmMap();
        VmPage vp = kernel.vmPage();
        vm.vmMapUnlock(map);
        int rv = VmMap.KERN_SUCCESS;
        for (long va = start; Long.compareUnsigned(va, end) < 0; va += Param.PAGE_SIZE) {
            rv = vmFault(map, va, wireProt, faultFlags);
            if (rv != VmMap.KERN_SUCCESS) {
                while (Long.compareUnsigned(va, start) > 0) {
                    va -= Param.PAGE_SIZE;
                    long m = kernel.pmap().pmapUnwire(pmap, va);
                    if (m != 0) {
                        vp.vmPageBusyWait(m, false, "vmwrpg");
                        vp.vmPageUnwire(m, true);
                        vp.vmPageWakeup(m);
                    }
                }
                break;
            }
        }
        vm.vmMapLock(map);
        return rv;
    }

    /**
     * vm_fault_copy_entry(): gives {@code dstEntry} (of a forked child) its own object holding a
     * copy of every page of the wired {@code srcEntry}, each entered in the child's pmap with the
     * entry's maximum protection and activated. The source pages are resident (wired); a missing
     * one panics, as in the C. Both maps locked. May block (vm_wait).
     */
    public void vmFaultCopyEntry(long dstMap, long srcMap, long dstEntry, long srcEntry) {
        long srcObject = StructVmMapEntry.object(km, srcEntry);
        long srcOffset = StructVmMapEntry.offset(km, srcEntry);
        kernel.vmMap().vmMapEntryAllocateObject(dstEntry);
        long dstObject = StructVmMapEntry.object(km, dstEntry);
        int prot = StructVmMapEntry.max_protection(km, dstEntry);
        VmObject vo = kernel.vmObject();
        VmPage vp = kernel.vmPage();
        vo.vmObjectHold(srcObject);
        vo.vmObjectHold(dstObject);
        try {
            long end = StructVmMapEntry.end(km, dstEntry);
            long dstOffset = 0;
            for (long vaddr = StructVmMapEntry.start(km, dstEntry); Long.compareUnsigned(vaddr, end) < 0;
                    vaddr += Param.PAGE_SIZE, dstOffset += Param.PAGE_SIZE) {
                long dstM;
                do {
                    dstM = vp.vmPageAlloc(dstObject, dstOffset >>> Param.PAGE_SHIFT, VmPage.VM_ALLOC_NORMAL);
                    if (dstM == 0) {
                        vp.vmWait(0);
                    }
                } while (dstM == 0);
                long srcM = vp.vmPageLookup(srcObject, (dstOffset + srcOffset) >>> Param.PAGE_SHIFT);
                if (srcM == 0) {
                    throw Kassert.panic("vm_fault_copy_wired: page missing");
                }
                kernel.vmPage2().vmPageCopy(srcM, dstM);
                kernel.pmap().pmapEnter(StructVmMap.pmap(km, dstMap), vaddr, dstM, prot, false, dstEntry);
                vp.vmPageActivate(dstM);
                vp.vmPageWakeup(dstM);
            }
        } finally {
            vo.vmObjectDrop(dstObject);
            vo.vmObjectDrop(srcObject);
        }
    }

    /**
     * vm_set_nosync(): a page mapped writable through a MAP_NOSYNC entry gets PG_NOSYNC unless it
     * is dirty already; through any other entry it loses PG_NOSYNC. The page is busied.
     */
    private void vmSetNosync(long m, long entry) {
        if ((StructVmMapEntry.eflags(km, entry) & StructVmMapEntry.MAP_ENTRY_NOSYNC) != 0) {
            if (StructVmPage.dirty(km, m) == 0) {
                kernel.vmPage2().vmPageFlagSet(m, StructVmPage.PG_NOSYNC);
            }
        } else {
            kernel.vmPage2().vmPageFlagClear(m, StructVmPage.PG_NOSYNC);
        }
    }

    /**
     * The first checks of vm_prefault() and vm_prefault_quick(): the page count to scan (at most
     * 1024), or 0 when the burst is off, the entry is not a normal mapping, or {@code pmap} is not
     * curthread's process's own (no foreign pmaps).
     */
    private int prefaultMaxpages(long pmap, long entry) {
        int maxpages = km.load32(globals + VM_PREFAULT_PAGES);
        if (maxpages <= 0 || StructVmMapEntry.maptype(km, entry) != StructVmMapEntry.VM_MAPTYPE_NORMAL) {
            return 0;
        }
        long p = StructThread.td_proc(km, kernel.lwkt().curthread());
        long vm = p == 0 ? 0 : StructProc.p_vmspace(km, p);
        if (vm == 0 || pmap != StructVmspace.vm_pmap(vm)) {
            return 0;
        }
        return Math.min(maxpages, 1024);
    }

    /**
     * The i-th address of a prefault scan around {@code addra}: odd i go below it (1, 2, ...
     * pages), even i above (1, 2, ... pages).
     */
    private static long prefaultAddr(long addra, int i) {
        if ((i & 1) != 0) {
            return addra - (long) ((i + 1) >> 1) * Param.PAGE_SIZE;
        }
        return addra + (long) ((i + 2) >> 1) * Param.PAGE_SIZE;
    }

    /**
     * vm_prefault(): after a fault at {@code addra} in {@code entry}, maps up to vm.prefault_pages
     * neighbours into {@code pmap} (alternately below and above, each direction stopping at the
     * entry's end or at an address already mapped). A neighbour's page is looked up through the
     * backing chain of OBJT_DEFAULT objects (mapped read-only from a backing object); with
     * vm.fast_fault, a writable mapping and paging not at vm_paging_min(), a neighbour backed by
     * nothing gets a zero-filled page of the head object, left inactive. The scan ends at the
     * first neighbour that has no page this way (a non-default object, say), or no free page. A
     * write fault (VM_FAULT_DIRTY) dirties each page it maps writable and frees its swap block.
     * The caller has the map locked and holds the head object; may block (lwkt_yield every 8
     * pages).
     */
    private void vmPrefault(long pmap, long addra, long entry, int prot, int faultFlags) {
        int maxpages = prefaultMaxpages(pmap, entry);
        if (maxpages == 0) {
            return;
        }
        VmObject vo = kernel.vmObject();
        VmPage vp = kernel.vmPage();
        long ba = StructVmMapEntry.ba(entry);
        long object = StructVmMapEntry.ba_object(km, ba);
        Kassert.kkassert(object != 0, "object != NULL", "vm_prefault");
        long start = StructVmMapEntry.ba_start(km, ba);
        long end = StructVmMapEntry.ba_end(km, ba);
        boolean[] error = new boolean[1];
        vo.vmObjectHold(object);
        boolean noneg = false;
        boolean nopos = false;
        for (int i = 0; i < maxpages; ++i) {
            if ((i & 7) == 7) {
                kernel.lwkt().lwktYield();
            }
            if ((i & 1) != 0 ? noneg : nopos) {
                continue;
            }
            long addr = prefaultAddr(addra, i);
            if (Long.compareUnsigned(addr, start) < 0) {
                noneg = true;
                if (nopos) break;
                continue;
            }
            if (Long.compareUnsigned(addr, end) >= 0) {
                nopos = true;
                if (noneg) break;
                continue;
            }
            if (!kernel.pmap().pmapPrefaultOk(pmap, addr)) {
                if ((i & 1) != 0) noneg = true; else nopos = true;
                if (noneg && nopos) break;
                continue;
            }

            // Down the chain of default objects; a zero fill of the head object at its end.
            long index = ((addr - start) + StructVmMapEntry.ba_offset(km, ba)) >>> Param.PAGE_SHIFT;
            long lastBa = ba;
            long lobject = object;
            long pindex = index;
            int pprot = prot;
            boolean allocated = false;
            long m;
            while ((m = vp.vmPageLookupBusyTry(lobject, pindex, true, error)) == 0) {
                if (StructVmObject.type(km, lobject) != StructVmObject.OBJT_DEFAULT) {
                    break;
                }
                long nextBa = StructVmMapEntry.ba_backing_ba(km, lastBa);
                if (nextBa == 0) {
                    if (km.load32(globals + VM_FAST_FAULT) == 0
                            || (prot & Vm.VM_PROT_WRITE) == 0 || kernel.vmPage2().vmPagingMin()) {
                        break;
                    }
                    m = vp.vmPageAlloc(object, index, VmPage.VM_ALLOC_NORMAL | VmPage.VM_ALLOC_ZERO
                            | VmPage.VM_ALLOC_USE_GD | VmPage.VM_ALLOC_NULL_OK);
                    if (m == 0) {
                        break;
                    }
                    allocated = true;
                    pprot = prot;
                    break;
                }
                if ((StructVmMapEntry.ba_offset(km, nextBa) & Param.PAGE_MASK) != 0) {
                    break;
                }
                long nobject = StructVmMapEntry.ba_object(km, nextBa);
                vo.vmObjectHold(nobject);
                pindex = pindex - (StructVmMapEntry.ba_offset(km, lastBa) >>> Param.PAGE_SHIFT)
                        + (StructVmMapEntry.ba_offset(km, nextBa) >>> Param.PAGE_SHIFT);
                if (lastBa != ba) {
                    vo.vmObjectDrop(lobject);
                }
                lobject = nobject;
                lastBa = nextBa;
                pprot &= ~Vm.VM_PROT_WRITE;
            }
            if (m == 0) {
                if (lastBa != ba) {
                    vo.vmObjectDrop(lobject);
                }
                break;
            }
            if ((pprot & Vm.VM_PROT_WRITE) != 0) {
                vo.vmObjectSetWriteableDirty(allocated ? object : lobject);
            }
            if (lastBa != ba) {
                vo.vmObjectDrop(lobject);
            }

            if (allocated) {
                kernel.pmap().pmapZeroPage(vp.VM_PAGE_TO_PHYS(m));
                cnt(StructVmmeter.v_zfod$OFFSET);
                StructVmPage.valid(km, m, StructVmPage.VM_PAGE_BITS_ALL);
                if ((pprot & Vm.VM_PROT_WRITE) != 0) {
                    vmSetNosync(m, entry);
                }
                kernel.pmap().pmapEnter(pmap, addr, m, pprot, false, entry);
                vp.vmPageDeactivate(m);
                prefaultDirty(m, entry, pprot, faultFlags);
                vp.vmPageWakeup(m);
            } else if (error[0]) {
                // Busy elsewhere: not ours to wake up.
            } else if (StructVmPage.valid(km, m) == StructVmPage.VM_PAGE_BITS_ALL
                    && (StructVmPage.flags(km, m) & StructVmPage.PG_FICTITIOUS) == 0) {
                if (StructVmPage.queue(km, m) - StructVmPage.pc(km, m) == StructVpgqueues.PQ_CACHE) {
                    vp.vmPageDeactivate(m);
                }
                prefaultDirty(m, entry, pprot, faultFlags);
                kernel.pmap().pmapEnter(pmap, addr, m, pprot, false, entry);
                vp.vmPageWakeup(m);
            } else {
                vp.vmPageWakeup(m);
            }
        }
        vo.vmObjectDrop(object);
    }

    /**
     * vm_prefault()'s treatment of a page it maps writable: PG_NOSYNC per the entry and, for a
     * write fault, the page dirtied and its swap block (if any) freed. The page is busied.
     */
    private void prefaultDirty(long m, long entry, int pprot, int faultFlags) {
        if ((pprot & Vm.VM_PROT_WRITE) != 0) {
            vmSetNosync(m, entry);
            if ((faultFlags & VM_FAULT_DIRTY) != 0) {
                kernel.vmPage().vmPageDirty(m);
                kernel.swapPager().swapPagerUnswapped(m);
            }
        }
    }

    /**
     * vm_prefault_quick(): the burst when the fault kept shared holds: maps up to
     * vm.prefault_pages neighbours (the same scan as vm_prefault) that are already resident and
     * fully valid in the head object; an entry with a backing chain gets none. It never
     * allocates, and stops at the first neighbour without a usable page, or (write fault) with a
     * swap block, since freeing that needs an exclusive hold. A write fault dirties the pages it
     * maps. The caller has the map locked and holds the head object; never blocks.
     */
    private void vmPrefaultQuick(long pmap, long addra, long entry, int prot, int faultFlags) {
        int maxpages = prefaultMaxpages(pmap, entry);
        if (maxpages == 0) {
            return;
        }
        VmPage vp = kernel.vmPage();
        long ba = StructVmMapEntry.ba(entry);
        long object = StructVmMapEntry.ba_object(km, ba);
        if (StructVmMapEntry.ba_backing_ba(km, ba) != 0) {
            return;
        }
        Kassert.kkassert(StructVmObject.hold_count(km, object) > 0, "object held", "vm_prefault_quick");
        long start = StructVmMapEntry.ba_start(km, ba);
        long end = StructVmMapEntry.ba_end(km, ba);
        boolean[] error = new boolean[1];
        boolean noneg = false;
        boolean nopos = false;
        for (int i = 0; i < maxpages; ++i) {
            if ((i & 1) != 0 ? noneg : nopos) {
                continue;
            }
            long addr = prefaultAddr(addra, i);
            if (Long.compareUnsigned(addr, start) < 0) {
                noneg = true;
                if (nopos) break;
                continue;
            }
            if (Long.compareUnsigned(addr, end) >= 0) {
                nopos = true;
                if (noneg) break;
                continue;
            }
            long pindex = ((addr - start) + StructVmMapEntry.ba_offset(km, ba)) >>> Param.PAGE_SHIFT;
            if (!kernel.pmap().pmapPrefaultOk(pmap, addr)) {
                if ((i & 1) != 0) noneg = true; else nopos = true;
                if (noneg && nopos) break;
                continue;
            }
            // Read-only: a soft-busied lookup will do, unless the page must leave PQ_CACHE.
            if ((prot & Vm.VM_PROT_WRITE) == 0) {
                long m = vp.vmPageLookupSbusyTry(object, pindex, 0, Param.PAGE_SIZE);
                if (m == 0) {
                    break;
                }
                if (StructVmPage.queue(km, m) - StructVmPage.pc(km, m) != StructVpgqueues.PQ_CACHE) {
                    kernel.pmap().pmapEnter(pmap, addr, m, prot, false, entry);
                    kernel.vmPage2().vmPageSbusyDrop(m);
                    continue;
                }
                kernel.vmPage2().vmPageSbusyDrop(m);
            }
            long m = vp.vmPageLookupBusyTry(object, pindex, true, error);
            if (m == 0 || error[0]) {
                break;
            }
            if (StructVmPage.valid(km, m) != StructVmPage.VM_PAGE_BITS_ALL
                    || (StructVmPage.flags(km, m) & StructVmPage.PG_FICTITIOUS) != 0
                    || ((StructVmPage.flags(km, m) & StructVmPage.PG_SWAPPED) != 0
                        && (prot & Vm.VM_PROT_WRITE) != 0 && (faultFlags & VM_FAULT_DIRTY) != 0)) {
                vp.vmPageWakeup(m);
                break;
            }
            if (StructVmPage.queue(km, m) - StructVmPage.pc(km, m) == StructVpgqueues.PQ_CACHE) {
                vp.vmPageDeactivate(m);
            }
            if ((prot & Vm.VM_PROT_WRITE) != 0) {
                kernel.vmObject().vmObjectSetWriteableDirty(StructVmPage.object(km, m));
                vmSetNosync(m, entry);
                if ((faultFlags & VM_FAULT_DIRTY) != 0) {
                    vp.vmPageDirty(m);
                }
            }
            kernel.pmap().pmapEnter(pmap, addr, m, prot, false, entry);
            vp.vmPageWakeup(m);
        }
    }
}
