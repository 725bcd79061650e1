package org.dfemu.kernel.kern;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * View of {@code struct objcache}, DragonFly's sys/kern/kern_objcache.c at commit 737b020b54
 * (2021-05-28): a two-level object cache, one depot of magazines per NUMA cluster (MAXCLUSTERS is
 * 1) and two magazines per cpu.
 *
 * <pre>
 * struct objcache {
 *     objcache_ctor_fn  *ctor;                     //   0  builds an object from blank storage
 *     objcache_dtor_fn  *dtor;                     //   8
 *     void              *privdata;                 //  16  ctor/dtor argument
 *     objcache_alloc_fn *alloc;                    //  24  the underlying allocator
 *     objcache_free_fn  *free;                     //  32
 *     void              *allocator_args;           //  40  alloc/free argument
 *     struct objcache_desc *desc;                  //  48
 *     struct magazinedepot depot[MAXCLUSTERS];     //  64
 *     struct percpu_objcache cache_percpu[];       // 128  one per cpu
 * };                                               // sizeof 128 (+ 64 per cpu)
 * </pre>
 *
 * PORT: the four function pointers are Java objects that {@link KernObjcache} keeps by the
 * objcache's address (code does not live in emulated memory); their slots stay 0.
 */
public final class StructObjcache {
    private StructObjcache() {}

    public static final long SIZEOF = 128;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_POINTER.withName("ctor"),
            C_POINTER.withName("dtor"),
            C_POINTER.withName("privdata"),
            C_POINTER.withName("alloc"),
            C_POINTER.withName("free"),
            C_POINTER.withName("allocator_args"),
            C_POINTER.withName("desc"),
            Ctypes.pad(8),
            MemoryLayout.sequenceLayout(KernObjcache.MAXCLUSTERS, StructMagazinedepot.layout()).withName("depot"))
            .withName("objcache").withByteAlignment(64), SIZEOF);

    public static final long privdata$OFFSET = Ctypes.offset(LAYOUT, "privdata");
    public static final long allocator_args$OFFSET = Ctypes.offset(LAYOUT, "allocator_args");
    public static final long desc$OFFSET = Ctypes.offset(LAYOUT, "desc");
    public static final long depot$OFFSET = Ctypes.offset(LAYOUT, "depot");
    public static final long cache_percpu$OFFSET = SIZEOF;

    public static StructLayout layout() { return LAYOUT; }

    /** {@code __offsetof(struct objcache, cache_percpu[ncpus])}: an objcache's kmalloc size. */
    public static long sizeFor(int ncpus) { return cache_percpu$OFFSET + StructPercpuObjcache.SIZEOF * ncpus; }

    public static long privdata(KernelMemory km, long oc) { return km.load64(oc + privdata$OFFSET); }
    public static void privdata(KernelMemory km, long oc, long v) { km.store64(oc + privdata$OFFSET, v); }

    public static long allocator_args(KernelMemory km, long oc) { return km.load64(oc + allocator_args$OFFSET); }
    public static void allocator_args(KernelMemory km, long oc, long v) { km.store64(oc + allocator_args$OFFSET, v); }

    public static long desc(KernelMemory km, long oc) { return km.load64(oc + desc$OFFSET); }
    public static void desc(KernelMemory km, long oc, long v) { km.store64(oc + desc$OFFSET, v); }

    /** {@code &oc->depot[cluster]} (a {@link StructMagazinedepot}). */
    public static long depot(long oc, int cluster) { return oc + depot$OFFSET + StructMagazinedepot.SIZEOF * cluster; }

    /** {@code &oc->cache_percpu[cpu]} (a {@link StructPercpuObjcache}). */
    public static long cache_percpu(long oc, int cpu) { return oc + cache_percpu$OFFSET + StructPercpuObjcache.SIZEOF * cpu; }
}
