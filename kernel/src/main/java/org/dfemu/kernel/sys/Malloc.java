package org.dfemu.kernel.sys;

/**
 * malloc.h: DragonFly BSD sys/sys/malloc.h at commit 737b020b54 (2021-05-28), the flags of
 * kmalloc()/kmalloc_obj() and the constants of the malloc types. The functions the header
 * declares are in {@link org.dfemu.kernel.kern.KernSlaballoc} (kmalloc, kfree, malloc_init,
 * kmem_slab_alloc) and {@link org.dfemu.kernel.kern.KernKmalloc} (kmalloc_obj, kfree_obj).
 *
 * <p>The composites matter more than the bits. How kmem_slab_alloc() maps them onto the page
 * allocator's classes (docs/dragonfly-map.md §4.2):
 * <pre>
 *   M_WAITOK     NORMAL                    blocks in vm_wait, panics when KVA runs out
 *   M_SYSWAIT    NORMAL|SYSTEM             blocks
 *   M_INTWAIT    NORMAL|SYSTEM|INTERRUPT   blocks
 *   M_NOWAIT     SYSTEM                    never blocks for pages; NULL on failure
 *   M_INTNOWAIT  SYSTEM|INTERRUPT          never blocks for pages; NULL on failure, KVA too
 * </pre>
 * In DragonFly, unlike FreeBSD, M_NOWAIT allocations really do fail fairly often; they are for
 * callers that can live with NULL.
 */
public final class Malloc {
    private Malloc() {}

    /** Do not block. */
    public static final int M_RNOWAIT = 0x0001;
    /** Wait for resources. */
    public static final int M_WAITOK = 0x0002;
    /** Zero the allocation. */
    public static final int M_ZERO = 0x0100;
    /** May eat into the free-list reserve (VM_ALLOC_SYSTEM). */
    public static final int M_USE_RESERVE = 0x0200;
    /** Return NULL instead of panicking. */
    public static final int M_NULLOK = 0x0400;
    /** (internal to the slab code only) the memory is known to be zero already. */
    public static final int M_PASSIVE_ZERO = 0x0800;
    /** May exhaust the free list entirely (VM_ALLOC_INTERRUPT). */
    public static final int M_USE_INTERRUPT_RESERVE = 0x1000;
    /** Round the size up to the nearest power of 2. */
    public static final int M_POWEROF2 = 0x2000;
    /** Force cpu cache-line alignment. */
    public static final int M_CACHEALIGN = 0x4000;
    /**
     * VARIANT (dfemu, not in DragonFly; vm.swapmeta_alloc=kmalloc_obj_nowait): kmalloc_obj may
     * not block for a new slab either. With M_NULLOK and without M_WAITOK, _kmalloc_obj builds a
     * missing slab with kmem_slab_alloc and the caller's other flags, and returns NULL when that
     * fails, instead of calling kmem_slab_alloc(M_WAITOK) whatever the flags. A per-call flag
     * (rather than a zone flag) so that the unchanged kernel reads nothing more.
     */
    public static final int M_NOSLABWAIT = 0x8000;

    /** Critical allocations from interrupts: can still fail, less often than M_NOWAIT. */
    public static final int M_INTNOWAIT = M_RNOWAIT | M_NULLOK | M_USE_RESERVE | M_USE_INTERRUPT_RESERVE;
    public static final int M_SYSNOWAIT = M_RNOWAIT | M_NULLOK | M_USE_RESERVE;
    public static final int M_INTWAIT = M_WAITOK | M_USE_RESERVE | M_USE_INTERRUPT_RESERVE;
    /** Critical infrastructure allocations by the kernel proper. */
    public static final int M_SYSWAIT = M_WAITOK | M_USE_RESERVE;
    /** A set of flags, for equivalence with earlier use of the name. */
    public static final int M_NOWAIT = M_RNOWAIT | M_NULLOK | M_USE_RESERVE;
    public static final int M_SYSALLOC = M_SYSWAIT;

    /** {@code ks_magic} of every valid malloc type ("time when first defined"). */
    public static final int M_MAGIC = 877983977;

    /** Smallest allocation: {@code sizeof(void *)}. */
    public static final int MINALLOCSIZE = 8;

    /** x86_64 {@code __VM_CACHELINE_SIZE}. */
    public static final int VM_CACHELINE_SIZE = 64;
    public static final long VM_CACHELINE_MASK = VM_CACHELINE_SIZE - 1;

    /** {@code __VM_CACHELINE_ALIGN(n)}: {@code n} rounded up to a cache line. */
    public static long VM_CACHELINE_ALIGN(long n) {
        return (n + VM_CACHELINE_MASK) & ~VM_CACHELINE_MASK;
    }
}
