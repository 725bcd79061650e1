package org.dfemu.kernel.sys;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_LONG;
import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * View of {@code struct kmalloc_slab} and the kmalloc_obj slab constants, DragonFly's
 * sys/sys/_malloc.h at commit 737b020b54 (2021-05-28). The header sits in-band at the start of
 * each 128 KiB, 128 KiB-aligned slab, so {@code obj & ~KMALLOC_SLAB_MASK} is the slab of any
 * object.
 *
 * <pre>
 * struct kmalloc_slab {
 *     struct spinlock spin;            //   0
 *     struct kmalloc_slab *next;       //   8  next slab in a list
 *     struct malloc_type *type;        //  16  owner (NULL in the gd cache)
 *     uint32_t magic;                  //  24  KMALLOC_SLAB_MAGIC
 *     uint32_t orig_cpuid;             //  28  allocated on
 *     size_t offset;                   //  32  first object (copied from kmalloc_mgt)
 *     size_t objsize;                  //  40  copied from malloc_type
 *     size_t ncount;                   //  48  objects per slab (slab_count)
 *     size_t aindex;                   //  56  start of allocations
 *     size_t findex;                   //  64  end of frees
 *     size_t xindex;                   //  72  synchronizer
 *     exislock_t exis;                 //  80  existential lock state
 *     void *unused01;                  //  88  (was the mgt back-pointer)
 *     uint64_t bmap[32];               //  96  double-free bitmap, one bit per object
 *     void *fobjs[1];                  // 352  circular array of free objects
 * } __cachealign;                      // sizeof 384
 * </pre>
 *
 * fobjs[] is indexed modulo ncount, and the indexes never decrease, with
 * {@code aindex <= xindex <= findex}: slots in [aindex, xindex) hold free objects, slots in
 * [xindex, findex) are reserved by frees still storing their pointer.
 */
public final class StructKmallocSlab {
    private StructKmallocSlab() {}

    public static final long SIZEOF = 384;

    /** Bytes per slab. (The C comment still says "typically 32KB".) */
    public static final long KMALLOC_SLAB_SIZE = 128 * 1024;
    public static final long KMALLOC_SLAB_MASK = KMALLOC_SLAB_SIZE - 1;
    /** At most one object per cache line. */
    public static final long KMALLOC_SLAB_MAXOBJS = KMALLOC_SLAB_SIZE / Malloc.VM_CACHELINE_SIZE;
    /** Per-cpu loosememuse is rolled into ks_loosememuse past this. */
    public static final long KMALLOC_LOOSE_SIZE = KMALLOC_SLAB_SIZE * 4;
    public static final int KMALLOC_SLAB_MAGIC = 0x6b736c62;
    /** Full slabs a zone keeps before the poller retires the excess. */
    public static final int KMALLOC_MAXFREEMAGS = 4;
    /** Slabs each cpu's free-slab cache ({@code gd_kmslab}) holds at most. */
    public static final int KMGD_MAXFREESLABS = 128;

    private static final int BMAP_WORDS = (int) ((KMALLOC_SLAB_MAXOBJS + 63) / 64);

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            StructSpinlock.layout().withName("spin"),
            C_POINTER.withName("next"),
            C_POINTER.withName("type"),
            C_INT.withName("magic"),
            C_INT.withName("orig_cpuid"),
            C_LONG.withName("offset"),
            C_LONG.withName("objsize"),
            C_LONG.withName("ncount"),
            C_LONG.withName("aindex"),
            C_LONG.withName("findex"),
            C_LONG.withName("xindex"),
            C_LONG.withName("exis"),
            C_POINTER.withName("unused01"),
            MemoryLayout.sequenceLayout(BMAP_WORDS, C_LONG).withName("bmap"),
            MemoryLayout.sequenceLayout(1, C_POINTER).withName("fobjs"),
            Ctypes.pad(24)).withName("kmalloc_slab").withByteAlignment(64), SIZEOF);

    public static final long spin$OFFSET = Ctypes.offset(LAYOUT, "spin");
    public static final long next$OFFSET = Ctypes.offset(LAYOUT, "next");
    public static final long type$OFFSET = Ctypes.offset(LAYOUT, "type");
    public static final long magic$OFFSET = Ctypes.offset(LAYOUT, "magic");
    public static final long orig_cpuid$OFFSET = Ctypes.offset(LAYOUT, "orig_cpuid");
    public static final long offset$OFFSET = Ctypes.offset(LAYOUT, "offset");
    public static final long objsize$OFFSET = Ctypes.offset(LAYOUT, "objsize");
    public static final long ncount$OFFSET = Ctypes.offset(LAYOUT, "ncount");
    public static final long aindex$OFFSET = Ctypes.offset(LAYOUT, "aindex");
    public static final long findex$OFFSET = Ctypes.offset(LAYOUT, "findex");
    public static final long xindex$OFFSET = Ctypes.offset(LAYOUT, "xindex");
    public static final long exis$OFFSET = Ctypes.offset(LAYOUT, "exis");
    public static final long bmap$OFFSET = Ctypes.offset(LAYOUT, "bmap");
    public static final long fobjs$OFFSET = Ctypes.offset(LAYOUT, "fobjs");

    public static StructLayout layout() { return LAYOUT; }

    /** {@code offsetof(struct kmalloc_slab, fobjs[n])}. */
    public static long offsetofFobjs(long n) { return fobjs$OFFSET + n * 8; }

    public static long next(KernelMemory km, long s) { return km.load64(s + next$OFFSET); }
    public static void next(KernelMemory km, long s, long v) { km.store64(s + next$OFFSET, v); }

    public static long type(KernelMemory km, long s) { return km.load64(s + type$OFFSET); }
    public static void type(KernelMemory km, long s, long v) { km.store64(s + type$OFFSET, v); }

    public static int magic(KernelMemory km, long s) { return km.load32(s + magic$OFFSET); }
    public static void magic(KernelMemory km, long s, int v) { km.store32(s + magic$OFFSET, v); }

    public static int orig_cpuid(KernelMemory km, long s) { return km.load32(s + orig_cpuid$OFFSET); }
    public static void orig_cpuid(KernelMemory km, long s, int v) { km.store32(s + orig_cpuid$OFFSET, v); }

    public static long offset(KernelMemory km, long s) { return km.load64(s + offset$OFFSET); }
    public static void offset(KernelMemory km, long s, long v) { km.store64(s + offset$OFFSET, v); }

    public static long objsize(KernelMemory km, long s) { return km.load64(s + objsize$OFFSET); }
    public static void objsize(KernelMemory km, long s, long v) { km.store64(s + objsize$OFFSET, v); }

    public static long ncount(KernelMemory km, long s) { return km.load64(s + ncount$OFFSET); }
    public static void ncount(KernelMemory km, long s, long v) { km.store64(s + ncount$OFFSET, v); }

    public static long aindex(KernelMemory km, long s) { return km.load64(s + aindex$OFFSET); }
    public static void aindex(KernelMemory km, long s, long v) { km.store64(s + aindex$OFFSET, v); }

    public static long findex(KernelMemory km, long s) { return km.load64(s + findex$OFFSET); }
    public static void findex(KernelMemory km, long s, long v) { km.store64(s + findex$OFFSET, v); }

    public static long xindex(KernelMemory km, long s) { return km.load64(s + xindex$OFFSET); }
    public static void xindex(KernelMemory km, long s, long v) { km.store64(s + xindex$OFFSET, v); }

    /** {@code &slab->exis}. */
    public static long exis(long s) { return s + exis$OFFSET; }

    /** {@code &slab->bmap[i]}. */
    public static long bmap(long s, long i) { return s + bmap$OFFSET + i * 8; }

    /** {@code slab->fobjs[i]}. */
    public static long fobjs(KernelMemory km, long s, long i) { return km.load64(s + offsetofFobjs(i)); }
    public static void fobjs(KernelMemory km, long s, long i, long v) { km.store64(s + offsetofFobjs(i), v); }
}
