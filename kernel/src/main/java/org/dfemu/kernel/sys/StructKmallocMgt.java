package org.dfemu.kernel.sys;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_LONG;
import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * View of {@code struct kmalloc_mgt}, DragonFly's sys/sys/_malloc.h at commit 737b020b54
 * (2021-05-28): the slab management of one kmalloc_obj zone, used both per cpu (in each
 * {@code ks_use[cpu].mgt}: active and alternate) and per zone (the "ggm", {@code ks_mgt}: the
 * partial, full and empty lists).
 *
 * <pre>
 * struct kmalloc_mgt {
 *     struct spinlock spin;                //   0
 *     struct kmalloc_slab *active;         //   8  pcpu
 *     struct kmalloc_slab *alternate;      //  16  pcpu
 *     struct kmalloc_slab *partial;        //  24  global: some objects free
 *     struct kmalloc_slab *full;           //  32  global: every object free
 *     struct kmalloc_slab *empty;          //  40  global: no free objects (or not re-examined)
 *     struct kmalloc_slab **empty_tailp;   //  48  global
 *     size_t slab_offset;                  //  56  first object in slab
 *     size_t slab_count;                   //  64  objects per slab
 *     size_t npartial, nfull, nempty;      //  72, 80, 88
 *     size_t gcache_count;                 //  96  slabs returned to the gd cache
 *     size_t unused01, unused02;           // 104, 112
 * } __cachealign;                          // sizeof 128
 * </pre>
 *
 * Ownership: active/alternate belong to their cpu, inside a critical section; the global lists
 * and counts are changed only under {@code spin}.
 */
public final class StructKmallocMgt {
    private StructKmallocMgt() {}

    public static final long SIZEOF = 128;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            StructSpinlock.layout().withName("spin"),
            C_POINTER.withName("active"),
            C_POINTER.withName("alternate"),
            C_POINTER.withName("partial"),
            C_POINTER.withName("full"),
            C_POINTER.withName("empty"),
            C_POINTER.withName("empty_tailp"),
            C_LONG.withName("slab_offset"),
            C_LONG.withName("slab_count"),
            C_LONG.withName("npartial"),
            C_LONG.withName("nfull"),
            C_LONG.withName("nempty"),
            C_LONG.withName("gcache_count"),
            C_LONG.withName("unused01"),
            C_LONG.withName("unused02"),
            Ctypes.pad(8)).withName("kmalloc_mgt").withByteAlignment(64), SIZEOF);

    public static final long spin$OFFSET = Ctypes.offset(LAYOUT, "spin");
    public static final long active$OFFSET = Ctypes.offset(LAYOUT, "active");
    public static final long alternate$OFFSET = Ctypes.offset(LAYOUT, "alternate");
    public static final long partial$OFFSET = Ctypes.offset(LAYOUT, "partial");
    public static final long full$OFFSET = Ctypes.offset(LAYOUT, "full");
    public static final long empty$OFFSET = Ctypes.offset(LAYOUT, "empty");
    public static final long empty_tailp$OFFSET = Ctypes.offset(LAYOUT, "empty_tailp");
    public static final long slab_offset$OFFSET = Ctypes.offset(LAYOUT, "slab_offset");
    public static final long slab_count$OFFSET = Ctypes.offset(LAYOUT, "slab_count");
    public static final long npartial$OFFSET = Ctypes.offset(LAYOUT, "npartial");
    public static final long nfull$OFFSET = Ctypes.offset(LAYOUT, "nfull");
    public static final long nempty$OFFSET = Ctypes.offset(LAYOUT, "nempty");
    public static final long gcache_count$OFFSET = Ctypes.offset(LAYOUT, "gcache_count");

    public static StructLayout layout() { return LAYOUT; }

    public static long active(KernelMemory km, long mgt) { return km.load64(mgt + active$OFFSET); }
    public static void active(KernelMemory km, long mgt, long v) { km.store64(mgt + active$OFFSET, v); }

    public static long alternate(KernelMemory km, long mgt) { return km.load64(mgt + alternate$OFFSET); }
    public static void alternate(KernelMemory km, long mgt, long v) { km.store64(mgt + alternate$OFFSET, v); }

    public static long partial(KernelMemory km, long mgt) { return km.load64(mgt + partial$OFFSET); }
    public static void partial(KernelMemory km, long mgt, long v) { km.store64(mgt + partial$OFFSET, v); }

    public static long full(KernelMemory km, long mgt) { return km.load64(mgt + full$OFFSET); }
    public static void full(KernelMemory km, long mgt, long v) { km.store64(mgt + full$OFFSET, v); }

    public static long empty(KernelMemory km, long mgt) { return km.load64(mgt + empty$OFFSET); }
    public static void empty(KernelMemory km, long mgt, long v) { km.store64(mgt + empty$OFFSET, v); }

    /** {@code empty_tailp}: the address of the last empty slab's {@code next} (or of {@code empty}). */
    public static long empty_tailp(KernelMemory km, long mgt) { return km.load64(mgt + empty_tailp$OFFSET); }
    public static void empty_tailp(KernelMemory km, long mgt, long v) { km.store64(mgt + empty_tailp$OFFSET, v); }

    public static long slab_offset(KernelMemory km, long mgt) { return km.load64(mgt + slab_offset$OFFSET); }
    public static void slab_offset(KernelMemory km, long mgt, long v) { km.store64(mgt + slab_offset$OFFSET, v); }

    public static long slab_count(KernelMemory km, long mgt) { return km.load64(mgt + slab_count$OFFSET); }
    public static void slab_count(KernelMemory km, long mgt, long v) { km.store64(mgt + slab_count$OFFSET, v); }

    public static long npartial(KernelMemory km, long mgt) { return km.load64(mgt + npartial$OFFSET); }
    public static void npartial(KernelMemory km, long mgt, long v) { km.store64(mgt + npartial$OFFSET, v); }

    public static long nfull(KernelMemory km, long mgt) { return km.load64(mgt + nfull$OFFSET); }
    public static void nfull(KernelMemory km, long mgt, long v) { km.store64(mgt + nfull$OFFSET, v); }

    public static long nempty(KernelMemory km, long mgt) { return km.load64(mgt + nempty$OFFSET); }
    public static void nempty(KernelMemory km, long mgt, long v) { km.store64(mgt + nempty$OFFSET, v); }

    public static long gcache_count(KernelMemory km, long mgt) { return km.load64(mgt + gcache_count$OFFSET); }
    public static void gcache_count(KernelMemory km, long mgt, long v) { km.store64(mgt + gcache_count$OFFSET, v); }
}
