package org.dfemu.kernel.vm;

import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.sys.Malloc;
import org.dfemu.kernel.sys.Queue;

import static org.dfemu.kernel.vm.StructVmObject.OBJ_DEAD;
import static org.dfemu.kernel.vm.StructVmObject.OBJ_MIGHTBEDIRTY;
import static org.dfemu.kernel.vm.StructVmObject.OBJ_WRITEABLE;
import static org.dfemu.kernel.vm.StructVmObject.OBJT_VNODE;

/**
 * vm_object.c: DragonFly BSD sys/vm/vm_object.c at commit 737b020b54 (2021-05-28), the functions
 * vm_page.c, vm_map.c and vm_kern.c call: holding and dropping an object, marking it possibly
 * dirty, object initialisation and {@code kernel_object}, allocation of anonymous objects from
 * the M_VM_OBJECT kmalloc_obj zone, references, termination on the last reference, page removal
 * by range and coalescing.
 *
 * <p>Globals (in the data segment): {@code struct vm_object kernel_object}.
 *
 * <p>PORT: an object's lock is its LWKT token, which the port does not model (see
 * {@link org.dfemu.kernel.kern.Lwkt}): with one thread running at a time and tokens released at
 * every scheduling point, acquiring a token always succeeds at once. Holding therefore keeps its
 * real effect, the hold_count that keeps the object from being freed, and lock_try always
 * succeeds.
 */
public final class VmObject {
    /** vm_object.h: default memory attribute (VM_MEMATTR_WRITE_BACK on pc64). */
    public static final int VM_MEMATTR_DEFAULT = 0x06;

    private final Kernel kernel;
    private final KernelMemory km;
    private final long kernelObject;
    /** TAILQ of vm_map_backing by entry ({@code object->backing_list}). */
    private final Queue.Tailq backingList;
    private final long mVmObject;

    /** (boot only) Lays out kernel_object. */
    public VmObject(Kernel kernel, DataSegment data) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.kernelObject = data.alloc("kernel_object", StructVmObject.layout());
        this.backingList = new Queue.Tailq(km, StructVmMapEntry.ba_entry$OFFSET, kernel.invariants());
        this.mVmObject = kernel.kernSlaballoc().mallocDefineObj(data, StructVmObject.SIZEOF, "vm_object");
    }

    /** {@code M_VM_OBJECT}: the kmalloc_obj zone vm_object_allocate() takes objects from. */
    public long mVmObject() { return mVmObject; }

    /** {@code &kernel_object}: the object behind every kmem_alloc'ed page. */
    public long kernelObject() { return kernelObject; }

    /** The {@code backing_list} TAILQ type (vm_map_backing elements). */
    public Queue.Tailq backingList() { return backingList; }

    /**
     * _vm_object_allocate(): initialises the zeroed-or-stale object at {@code object} as an empty
     * object of {@code type} and {@code size} pages with one reference, and returns it held.
     * PORT: the object hash list (vm_object_hash, for sysctl listings) is not kept, and the LWKT
     * token is not initialised (tokens are not modelled). No requirements; never blocks.
     */
    public void _vmObjectAllocate(int type, long size, long object) {
        kernel.vmPage().vmPageRbTree().rbInit(StructVmObject.rb_memq(object));
        backingList.tailqInit(object + StructVmObject.backing_list$OFFSET);
        kernel.lwkt().lockinit(object + StructVmObject.backing_lk$OFFSET);
        StructVmObject.type(km, object, type);
        StructVmObject.size(km, object, size);
        StructVmObject.ref_count(km, object, 1);
        km.store8(object + StructVmObject.memattr$OFFSET, VM_MEMATTR_DEFAULT);
        StructVmObject.hold_count(km, object, 0);
        StructVmObject.flags(km, object, 0);
        if (type == StructVmObject.OBJT_DEFAULT || type == StructVmObject.OBJT_SWAP) {
            vmObjectSetFlag(object, StructVmObject.OBJ_ONEMAPPING);
        }
        km.store32(object + StructVmObject.paging_in_progress$OFFSET, 0);
        StructVmObject.resident_page_count(km, object, 0);
        // cpu localization twist (vm_quickcolor()): the cpu's first page color.
        StructVmObject.pg_color(km, object, kernel.vmPage().vmGetPgColor(kernel.lwkt().mycpuid(), 0, 0));
        StructVmObject.handle(km, object, 0);
        km.fetchAdd32(object + StructVmObject.generation$OFFSET, 1);
        StructVmObject.swblock_count(km, object, 0);
        kernel.vmPage().vmPageRbTree().rbInit(object + StructVmObject.swblock_root$OFFSET);
        vmObjectHold(object);
    }

    /** vm_object_init(): an OBJT_DEFAULT object of {@code size} pages at {@code object}, not held. */
    public void vmObjectInit(long object, long size) {
        _vmObjectAllocate(StructVmObject.OBJT_DEFAULT, size, object);
        vmObjectDrop(object);
    }

    /**
     * vm_object_init1() (boot only): kernel_object, OBJT_DEFAULT, sized to cover all of KVA
     * (OFF_TO_IDX(KvaEnd)).
     */
    public void vmObjectInit1() {
        _vmObjectAllocate(StructVmObject.OBJT_DEFAULT, Param.atop(kernel.pmap().kvaEnd()), kernelObject);
        vmObjectDrop(kernelObject);
    }

    /**
     * vm_object_allocate(): a new, unheld object of {@code type} and {@code size} pages with one
     * reference, from the M_VM_OBJECT kmalloc_obj zone (M_INTWAIT | M_ZERO, as the C). May block
     * (vm_wait inside kmalloc_obj).
     */
    public long vmObjectAllocate(int type, long size) {
        long obj = kernel.kernKmalloc().kmallocObj(StructVmObject.SIZEOF, mVmObject, Malloc.M_INTWAIT | Malloc.M_ZERO);
        _vmObjectAllocate(type, size, obj);
        vmObjectDrop(obj);
        return obj;
    }

    /** vm_object_allocate_hold(): as {@link #vmObjectAllocate}, the object returned held. May block. */
    public long vmObjectAllocateHold(int type, long size) {
        long obj = kernel.kernKmalloc().kmallocObj(StructVmObject.SIZEOF, mVmObject, Malloc.M_INTWAIT | Malloc.M_ZERO);
        _vmObjectAllocate(type, size, obj);
        return obj;
    }

    /** vm_object_reference_locked(): adds a reference. The object must be held. Never blocks. */
    public void vmObjectReferenceLocked(long obj) {
        Kassert.kkassert(StructVmObject.hold_count(km, obj) > 0, "obj->hold_count > 0", "vm_object_reference_locked");
        km.fetchAdd32(obj + StructVmObject.ref_count$OFFSET, 1);
    }

    /** vm_object_reference_quick(): adds a reference to an object known to be referenced. */
    public void vmObjectReferenceQuick(long obj) {
        km.fetchAdd32(obj + StructVmObject.ref_count$OFFSET, 1);
    }

    /**
     * vm_object_deallocate(): drops a reference; the last one terminates the object (its pages
     * freed, its pager's resources released) and the object is freed when its last hold goes.
     * A NULL object is ignored. May block (busy pages, paging in progress).
     *
     * <p>PORT: the C's deallocate_locked also collapses a dying object's single shadow into its
     * parent (the pre-2019 shadow chains); at 737b020b54 shadowing is carried by vm_map_backing
     * chains and objects are never chained, so only the termination path remains.
     */
    public void vmObjectDeallocate(long obj) {
        if (obj == 0) {
            return;
        }
        vmObjectHold(obj);
        try {
            int ref = StructVmObject.ref_count(km, obj);
            Kassert.kkassert(ref > 0, "obj->ref_count > 0", "vm_object_deallocate");
            if (ref > 1) {
                km.fetchAdd32(obj + StructVmObject.ref_count$OFFSET, -1);
                return;
            }
            // Last reference: mark the object dead before anything can block, then tear it down.
            vmObjectSetFlag(obj, OBJ_DEAD);
            vmObjectTerminate(obj);
        } finally {
            vmObjectDrop(obj);
        }
    }

    /**
     * vm_object_terminate(): (object held, OBJ_DEAD set, last reference) waits out paging in
     * progress, frees every resident page (wired pages are only removed from the object), lets
     * the pager release its backing store (vm_pager_deallocate: the swap pager frees swap) and
     * drops the last reference; the final vm_object_drop() frees the structure. May block.
     * PORT: no vnode flushing (dfemu has no filesystems); the object list (vm_object_lists) is
     * not kept.
     */
    private void vmObjectTerminate(long obj) {
        Kassert.kkassert((StructVmObject.flags(km, obj) & OBJ_DEAD) != 0, "object->flags & OBJ_DEAD", "vm_object_terminate");
        vmObjectPipWait(obj, "objtrm");
        VmPage vp = kernel.vmPage();
        long p;
        while ((p = vp.vmPageRbTree().rbMin(StructVmObject.rb_memq(obj))) != 0) {
            // vm_object_terminate_callback(): busy the page, take it out of every pmap, free it.
            if (vp.vmPageBusyTry(p, true)) {
                vp.vmPageSleepBusy(p, true, "vmotrm");
                continue;
            }
            kernel.vmPage2().vmPageProtect(p, Vm.VM_PROT_NONE);
            if (StructVmPage.wire_count(km, p) != 0) {
                vp.vmPageRemove(p);
                vp.vmPageWakeup(p);
            } else {
                kernel.vmPage2().vmPageFree(p);
            }
        }
        Kassert.kkassert(StructVmObject.resident_page_count(km, obj) == 0, "object->resident_page_count == 0",
                "vm_object_terminate");
        kernel.vmPager().vmPagerDeallocate(StructVmObject.type(km, obj), obj);
        km.fetchAdd32(obj + StructVmObject.ref_count$OFFSET, -1);
        Kassert.kkassert(StructVmObject.ref_count(km, obj) == 0, "object->ref_count == 0", "vm_object_terminate");
        StructVmObject.type(km, obj, StructVmObject.OBJT_DEAD);
    }

    /** vm_object_pip_wait(): sleeps until no paging is in progress on the object. May block. */
    public void vmObjectPipWait(long obj, String waitid) {
        while (km.load32(obj + StructVmObject.paging_in_progress$OFFSET) != 0) {
            kernel.lwkt().tsleep(obj, waitid, 0);
        }
    }

    /** vm_object_clear_flag(). */
    public void vmObjectClearFlag(long obj, int bits) {
        StructVmObject.flags(km, obj, StructVmObject.flags(km, obj) & ~bits);
    }

    /** vm_object_pip_add(): paging in progress. */
    public void vmObjectPipAdd(long obj, int i) {
        km.fetchAdd32(obj + StructVmObject.paging_in_progress$OFFSET, i);
    }

    /**
     * vm_object_pip_wakeup(): ends one paging operation; the last one wakes threads waiting in
     * vm_object_pip_wait (on the object). PORT: the C's waiter flag bit is not kept; the wakeup
     * is issued whenever the count reaches 0.
     */
    public void vmObjectPipWakeup(long obj) {
        if (km.fetchAdd32(obj + StructVmObject.paging_in_progress$OFFSET, -1) == 1) {
            kernel.lwkt().wakeup(obj);
        }
    }

    /**
     * vm_object_madvise(): applies madvise {@code advise} to the resident pages of
     * {@code [pindex, pindex + count)} of {@code object} (the head object of a mapping only):
     * MADV_WILLNEED activates them; MADV_DONTNEED hands them to vm_page_dontneed (deactivated or
     * left alone, never freed: the data stays); MADV_FREE, on a default or swap object mapped
     * once (OBJ_ONEMAPPING), clears their modified state and dirty bits, deactivates them and
     * frees their swap, and frees the swap of pages that are not resident, so the pagedaemon may
     * drop them without writing. Wired, unqueued, fictitious, need-commit and partly valid pages
     * are skipped. May block (busy pages).
     */
    public void vmObjectMadvise(long object, long pindex, long count, int advise) {
        if (object == 0) {
            return;
        }
        long end = pindex + count;
        VmPage vp = kernel.vmPage();
        vmObjectHold(object);
        try {
            boolean[] error = new boolean[1];
            for (; Long.compareUnsigned(pindex, end) < 0; pindex++) {
                for (;;) {   // relookup
                    if (advise == org.dfemu.kernel.sys.Mman.MADV_FREE) {
                        int type = StructVmObject.type(km, object);
                        if ((type != StructVmObject.OBJT_DEFAULT && type != StructVmObject.OBJT_SWAP)
                                || (StructVmObject.flags(km, object) & StructVmObject.OBJ_ONEMAPPING) == 0) {
                            break;
                        }
                    }
                    long m = vp.vmPageLookupBusyTry(object, pindex, true, error);
                    if (error[0]) {
                        vp.vmPageSleepBusy(m, true, "madvpo");
                        continue;
                    }
                    if (m == 0) {
                        // Swap may be there without a resident page.
                        if (advise == org.dfemu.kernel.sys.Mman.MADV_FREE
                                && StructVmObject.type(km, object) == StructVmObject.OBJT_SWAP) {
                            kernel.swapPager().swapPagerFreespace(object, pindex, 1);
                        }
                        break;
                    }
                    if (StructVmPage.wire_count(km, m) != 0
                            || (StructVmPage.flags(km, m) & (StructVmPage.PG_FICTITIOUS | StructVmPage.PG_UNQUEUED
                                | StructVmPage.PG_NEED_COMMIT)) != 0
                            || StructVmPage.valid(km, m) != StructVmPage.VM_PAGE_BITS_ALL) {
                        vp.vmPageWakeup(m);
                        break;
                    }
                    if (advise == org.dfemu.kernel.sys.Mman.MADV_WILLNEED) {
                        vp.vmPageActivate(m);
                    } else if (advise == org.dfemu.kernel.sys.Mman.MADV_DONTNEED) {
                        vp.vmPageDontneed(m);
                    } else if (advise == org.dfemu.kernel.sys.Mman.MADV_FREE) {
                        // Clean, so the system may reclaim it without I/O; not freed nor
                        // unmapped, so a quick reuse does not fault.
                        kernel.pmap().pmapClearModify(m);
                        StructVmPage.dirty(km, m, 0);
                        StructVmPage.act_count(km, m, 0);
                        vp.vmPageDontneed(m);
                        if (StructVmObject.type(km, object) == StructVmObject.OBJT_SWAP) {
                            kernel.swapPager().swapPagerFreespace(object, pindex, 1);
                        }
                    }
                    vp.vmPageWakeup(m);
                    break;
                }
            }
        } finally {
            vmObjectDrop(object);
        }
    }

    /**
     * vm_object_page_remove(): removes the pages of [start, end) (end 0: to the end) from every
     * pmap mapping them (through the object's backing list), then frees them: wired pages are
     * only unmapped (and invalidated unless {@code cleanOnly}); with {@code cleanOnly} dirty
     * pages are kept. May block (busy pages, backing_lk).
     *
     * <p>PORT: the RB_SCAN of rb_memq is a lookup per pindex of the range (same pages, same
     * order). The range's swap is freed afterwards, as the C does, unless this is a clean-only
     * pass over a swap object (there the swap is the only copy of dirty data). backing_lk is taken
     * exclusively, as the C does.
     */
    public void vmObjectPageRemove(long object, long start, long end, boolean cleanOnly) {
        if (object == 0) {
            return;
        }
        vmObjectHold(object);
        try {
            if (StructVmObject.type(km, object) != StructVmObject.OBJT_MGTDEVICE
                    && StructVmObject.resident_page_count(km, object) == 0
                    && StructVmObject.swblock_count(km, object) == 0) {
                return;
            }
            Kassert.kassert(StructVmObject.type(km, object) != StructVmObject.OBJT_PHYS,
                    () -> "attempt to remove pages from a physical object");
            vmObjectPipAdd(object, 1);
            long endPindex;
            if (end == 0 || end == -1) {
                endPindex = -1;
                end = StructVmObject.size(km, object);
            } else {
                endPindex = end - 1;
            }
            boolean all = start == 0 && Long.compareUnsigned(endPindex, StructVmObject.size(km, object) - 1) >= 0;

            // Remove the pages from the pmaps via the backing scan.
            long lk = object + StructVmObject.backing_lk$OFFSET;
            kernel.lwkt().lockmgrExclusive(lk, "baclk");
            try {
                for (long ba = backingList.tailqFirst(object + StructVmObject.backing_list$OFFSET); ba != 0;
                        ba = backingList.tailqNext(ba)) {
                    long sba = StructVmMapEntry.ba_offset(km, ba) >>> Param.PAGE_SHIFT;
                    long eba = sba + ((StructVmMapEntry.ba_end(km, ba) - StructVmMapEntry.ba_start(km, ba)) >>> Param.PAGE_SHIFT);
                    if (Long.compareUnsigned(sba, start) < 0) {
                        sba = start;
                    }
                    if (Long.compareUnsigned(eba, end) > 0) {
                        eba = end;
                    }
                    if (Long.compareUnsigned(sba, eba) < 0) {
                        long sva = StructVmMapEntry.ba_start(km, ba) + Param.ptoa(sba) - StructVmMapEntry.ba_offset(km, ba);
                        long eva = sva + Param.ptoa(eba - sba);
                        kernel.pmap().pmapRemove(StructVmMapEntry.ba_pmap(km, ba), sva, eva);
                    }
                }
            } finally {
                kernel.lwkt().lockmgrRelease(lk);
            }

            // Remove and free the pages on the object list.
            VmPage vp = kernel.vmPage();
            long pindex = start;
            int count = 0;
            while (Long.compareUnsigned(pindex, endPindex) <= 0
                    && Long.compareUnsigned(pindex, StructVmObject.size(km, object)) < 0) {
                long p = vp.vmPageLookup(object, pindex);
                if (p == 0) {
                    ++pindex;
                    continue;
                }
                if (vp.vmPageBusyTry(p, true)) {
                    vp.vmPageSleepBusy(p, true, "vmopar");
                    continue;
                }
                if (StructVmPage.object(km, p) != object) {
                    vp.vmPageWakeup(p);
                    continue;
                }
                if (StructVmPage.wire_count(km, p) != 0) {
                    kernel.vmPage2().vmPageProtect(p, Vm.VM_PROT_NONE);
                    if (!cleanOnly) {
                        StructVmPage.valid(km, p, 0);
                    }
                    vp.vmPageWakeup(p);
                } else if (cleanOnly && StructVmPage.valid(km, p) != 0 && keepDirty(p)) {
                    vp.vmPageWakeup(p);
                } else {
                    kernel.vmPage2().vmPageProtect(p, Vm.VM_PROT_NONE);
                    if (cleanOnly && StructVmPage.valid(km, p) != 0 && keepDirty(p)) {
                        vp.vmPageWakeup(p);
                    } else {
                        kernel.vmPage2().vmPageFree(p);
                    }
                }
                if ((++count & 63) == 0) {
                    kernel.lwkt().lwktYield();
                }
                ++pindex;
            }

            // Any swap of the range goes too, except on a clean-only pass over a swap object.
            if (StructVmObject.type(km, object) != StructVmObject.OBJT_SWAP || !cleanOnly) {
                if (all) {
                    kernel.swapPager().swapPagerFreespaceAll(object);
                } else {
                    kernel.swapPager().swapPagerFreespace(object, start, endPindex - start + 1);
                }
            }
            vmObjectPipWakeup(object);
        } finally {
            vmObjectDrop(object);
        }
    }

    /** The clean_only test of vm_object_page_remove_callback(): is the page dirty or uncommitted? */
    private boolean keepDirty(long p) {
        kernel.vmPage().vmPageTestDirty(p);
        return (StructVmPage.valid(km, p) & StructVmPage.dirty(km, p)) != 0
                || (StructVmPage.flags(km, p) & StructVmPage.PG_NEED_COMMIT) != 0;
    }

    /**
     * vm_object_coalesce(): whether {@code prevObject} can be extended by nextSize bytes after
     * [prevPindex, prevPindex + prevSize pages): only anonymous objects (DEFAULT or SWAP) with one
     * reference, or being extended into new space. Stale pages in the new range are removed and
     * the object grown. A NULL object always coalesces. May block (page removal).
     */
    public boolean vmObjectCoalesce(long prevObject, long prevPindex, long prevSize, long nextSize) {
        if (prevObject == 0) {
            return true;
        }
        vmObjectHold(prevObject);
        try {
            int type = StructVmObject.type(km, prevObject);
            if (type != StructVmObject.OBJT_DEFAULT && type != StructVmObject.OBJT_SWAP) {
                return false;
            }
            prevSize >>>= Param.PAGE_SHIFT;
            nextSize >>>= Param.PAGE_SHIFT;
            long nextPindex = prevPindex + prevSize;
            if (StructVmObject.ref_count(km, prevObject) > 1 && StructVmObject.size(km, prevObject) != nextPindex) {
                return false;
            }
            if (Long.compareUnsigned(nextPindex, StructVmObject.size(km, prevObject)) < 0) {
                vmObjectPageRemove(prevObject, nextPindex, nextPindex + nextSize, false);
            }
            if (Long.compareUnsigned(nextPindex + nextSize, StructVmObject.size(km, prevObject)) > 0) {
                StructVmObject.size(km, prevObject, nextPindex + nextSize);
            }
            return true;
        } finally {
            vmObjectDrop(prevObject);
        }
    }

    /**
     * vm_object_hold(): takes a hold (and, in the C, the exclusive token) on {@code obj}, which
     * the caller's context keeps from being freed meanwhile. Never blocks in the port.
     */
    public void vmObjectHold(long obj) {
        Kassert.kkassert(obj != 0, "obj != NULL", "vm_object_hold");
        km.fetchAdd32(obj + StructVmObject.hold_count$OFFSET, 1);
    }

    /** vm_object_hold_try(): as vm_object_hold(); returns true (the token cannot be busy here). */
    public boolean vmObjectHoldTry(long obj) {
        Kassert.kkassert(obj != 0, "obj != NULL", "vm_object_hold_try");
        km.fetchAdd32(obj + StructVmObject.hold_count$OFFSET, 1);
        return true;
    }

    /** vm_object_hold_shared(): as vm_object_hold() with a shared token. */
    public void vmObjectHoldShared(long obj) {
        Kassert.kkassert(obj != 0, "obj != NULL", "vm_object_hold_shared");
        km.fetchAdd32(obj + StructVmObject.hold_count$OFFSET, 1);
    }

    /** vm_object_upgrade(): shared token to exclusive; nothing to do without tokens. */
    public void vmObjectUpgrade(long obj) {
        Kassert.kkassert(StructVmObject.hold_count(km, obj) > 0, "obj->hold_count > 0", "vm_object_upgrade");
    }

    /**
     * vm_object_drop(): drops a hold (and the token). Dropping the last hold of a dead,
     * unreferenced object frees it (kfree_obj, M_VM_OBJECT). A NULL object is ignored. Never
     * blocks.
     */
    public void vmObjectDrop(long obj) {
        if (obj == 0) {
            return;
        }
        Kassert.kkassert(StructVmObject.hold_count(km, obj) > 0, "obj->hold_count > 0", "vm_object_drop");
        if (km.fetchAdd32(obj + StructVmObject.hold_count$OFFSET, -1) == 1) {
            if (StructVmObject.ref_count(km, obj) == 0 && (StructVmObject.flags(km, obj) & OBJ_DEAD) != 0) {
                Kassert.kkassert(obj != kernelObject, "obj != &kernel_object", "vm_object_drop");
                kernel.kernKmalloc().kfreeObj(obj, mVmObject);
            }
        }
    }

    /** vm_object_set_flag(): sets object flags (the C uses an atomic op on the u_short). */
    public void vmObjectSetFlag(long obj, int bits) {
        StructVmObject.flags(km, obj, StructVmObject.flags(km, obj) | bits);
    }

    /**
     * vm_object_set_writeable_dirty(): marks the object writeable and possibly dirty. No
     * requirements (the object is kept alive by a busied page of the caller).
     *
     * <p>PORT: the C also flags the vnode of an OBJT_VNODE object for the syncer; dfemu has no
     * filesystems, so a vnode object here is a bug and panics.
     */
    public void vmObjectSetWriteableDirty(long obj) {
        if ((StructVmObject.flags(km, obj) & (OBJ_WRITEABLE | OBJ_MIGHTBEDIRTY)) != (OBJ_WRITEABLE | OBJ_MIGHTBEDIRTY)) {
            vmObjectSetFlag(obj, OBJ_WRITEABLE | OBJ_MIGHTBEDIRTY);
        }
        if (StructVmObject.type(km, obj) == OBJT_VNODE && StructVmObject.handle(km, obj) != 0) {
            throw Kassert.panic("vm_object_set_writeable_dirty: vnode object 0x%x but dfemu has no vnodes", obj);
        }
    }
}
