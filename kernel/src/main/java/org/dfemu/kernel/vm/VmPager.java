package org.dfemu.kernel.vm;

import org.dfemu.kernel.Kassert;

/**
 * vm_pager.c: DragonFly BSD sys/vm/vm_pager.c and the inline dispatchers of vm_pager.h at commit
 * 737b020b54 (2021-05-28): the per-object-type pager table ({@code pagertab}) and the calls that
 * route vm_fault's page-ins and vm_object_terminate's teardown to the object's pager.
 *
 * <p>OBJT_DEFAULT objects have the default pager (default_pager.c): it has no backing store, so
 * getpage fails (the fault zero-fills) and haspage is false. The swap pager registers itself for
 * OBJT_SWAP at boot; until then a SWAP object is a kernel bug and panics.
 *
 * <p>PORT: the table is a Java array filled in by the pagers (no kernel state is in it: the
 * pagers keep their state in emulated memory), rather than a static table of struct pointers.
 */
public final class VmPager {
    public static final int VM_PAGER_OK = 0;
    public static final int VM_PAGER_BAD = 1;
    public static final int VM_PAGER_FAIL = 2;
    public static final int VM_PAGER_PEND = 3;
    public static final int VM_PAGER_ERROR = 4;
    public static final int VM_PAGER_AGAIN = 5;

    /** default_pager.c: anonymous memory with no backing store yet. */
    private final VmPagerOps DEFAULT_PAGEROPS = new VmPagerOps() {
        @Override
        public int pgoGetpage(long object, long[] mpp, int seqaccess) { return VM_PAGER_FAIL; }

        @Override
        public boolean pgoHaspage(long object, long pindex) { return false; }

        @Override
        public void pgoDealloc(long object) { }

        // default_pager_putpages(): hands the pages to the swap pager (which converts the object).
        @Override
        public void pgoPutpages(long object, long[] m, int count, int flags, int[] rtvals) {
            ops(object, StructVmObject.OBJT_SWAP, "default_pager_putpages").pgoPutpages(object, m, count, flags, rtvals);
        }
    };

    private final VmPagerOps[] pagertab = new VmPagerOps[StructVmObject.OBJT_MARKER + 1];

    public VmPager() {
        pagertab[StructVmObject.OBJT_DEFAULT] = DEFAULT_PAGEROPS;
    }

    /** (boot only) Registers the pager of objects of {@code type}, as pagertab's initialiser does. */
    public void vmPagerSetOps(int type, VmPagerOps ops) {
        pagertab[type] = ops;
    }

    private VmPagerOps ops(long object, int type, String fn) {
        VmPagerOps ops = pagertab[type];
        if (ops == null) {
            throw Kassert.panic("%s: object 0x%x of type %d has no pager", fn, object, type);
        }
        return ops;
    }

    /** vm_pager_get_page(): see {@link VmPagerOps#pgoGetpage}. Object held; may block. */
    public int vmPagerGetPage(int type, long object, long[] mpp, int seqaccess) {
        return ops(object, type, "vm_pager_get_page").pgoGetpage(object, mpp, seqaccess);
    }

    /** vm_pager_has_page(): see {@link VmPagerOps#pgoHaspage}. Object held; never blocks. */
    public boolean vmPagerHasPage(int type, long object, long pindex) {
        return ops(object, type, "vm_pager_has_page").pgoHaspage(object, pindex);
    }

    /** vm_pager_put_pages(): see {@link VmPagerOps#pgoPutpages}. May block. */
    public void vmPagerPutPages(int type, long object, long[] m, int count, int flags, int[] rtvals) {
        ops(object, type, "vm_pager_put_pages").pgoPutpages(object, m, count, flags, rtvals);
    }

    /** vm_pager_deallocate(): see {@link VmPagerOps#pgoDealloc}. Object held; may block. */
    public void vmPagerDeallocate(int type, long object) {
        ops(object, type, "vm_pager_deallocate").pgoDealloc(object);
    }
}
