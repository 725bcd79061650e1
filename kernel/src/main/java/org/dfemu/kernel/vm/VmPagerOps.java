package org.dfemu.kernel.vm;

/**
 * {@code struct pagerops}, DragonFly's sys/vm/vm_pager.h at commit 737b020b54 (2021-05-28): the
 * operations a pager provides for the objects of its type, reduced to what vm_fault and
 * vm_object_terminate call. The swap pager implements it for OBJT_SWAP objects and registers it
 * with {@link VmPager#vmPagerSetOps}.
 *
 * <p>PORT: pgo_putpages (pageout) is the pageout daemon's business and joins this interface with
 * it; the C's function-pointer table becomes a Java interface.
 */
public interface VmPagerOps {
    /**
     * pgo_getpage(): fills the busied page {@code mpp[0]} (object, pindex already set) from
     * backing store; may replace it by another busied page in {@code mpp[0]}. Returns
     * {@link VmPager#VM_PAGER_OK} (page valid), {@link VmPager#VM_PAGER_FAIL} (no backing store
     * for it: the caller zero-fills) or {@link VmPager#VM_PAGER_ERROR} (I/O error). The object is
     * held by the caller. May block (I/O).
     */
    int pgoGetpage(long object, long[] mpp, int seqaccess);

    /**
     * pgo_haspage(): whether backing store holds page {@code pindex} of {@code object}. The object
     * is held by the caller. Never blocks.
     */
    boolean pgoHaspage(long object, long pindex);

    /**
     * pgo_dealloc(): releases all backing store of a terminating object (held, OBJ_DEAD, no
     * resident pages left). May block.
     */
    void pgoDealloc(long object);

    /**
     * pgo_putpages(): writes the {@code count} busied pages {@code m} of {@code object} to backing
     * store; rtvals[i] gets VM_PAGER_OK, PEND (completion pending) or FAIL. {@code flags} are the
     * pager's put flags. May block. A pager without backing store fails every page.
     */
    default void pgoPutpages(long object, long[] m, int count, int flags, int[] rtvals) {
        for (int i = 0; i < count; i++) rtvals[i] = VmPager.VM_PAGER_FAIL;
    }
}
