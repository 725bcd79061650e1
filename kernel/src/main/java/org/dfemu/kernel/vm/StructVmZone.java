package org.dfemu.kernel.vm;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.sys.StructLock;
import org.dfemu.kernel.sys.StructSpinlock;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_LONG;
import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * View of {@code struct vm_zone} and the zone flags, DragonFly's sys/vm/vm_zone.h at commit
 * 737b020b54 (2021-05-28).
 *
 * <pre>
 * typedef struct vm_zone {
 *     vm_zpcpu_t  zpcpu[SMP_MAXCPU];  //    0  per-cpu caches (64 bytes each)
 *     struct spinlock zspin;          // 16384  lock for the global portion
 *     void       *zitems;             // 16392  linked list of items
 *     long        zfreecnt;           // 16400  free entries
 *     long        zfreemin;           // 16408  minimum number of free entries
 *     long        znalloc;            // 16416  allocations from global
 *     vm_offset_t zkva;               // 16424  base kva of zone
 *     vm_pindex_t zpagecount;         // 16432  total # of allocated pages
 *     vm_pindex_t zpagemax;           // 16440  max address space
 *     long        zmax;               // 16448  max number of entries allocated
 *     long        zmax_pcpu;          // 16456  max pcpu cache
 *     long        ztotal;             // 16464  total entries allocated now
 *     long        zsize;              // 16472  size of each entry
 *     long        zalloc;             // 16480  hint for # of pages to alloc
 *     long        zflags;             // 16488
 *     uint32_t    zallocflag;         // 16496  flag for allocation
 *     char       *zname;              // 16504  name for diags
 *     LIST_ENTRY(vm_zone) zlink;      // 16512  link in zlist
 *     vm_offset_t *zkmvec;            // 16528  (ZONE_DESTROYABLE)
 *     long        zkmcur;             // 16536
 *     long        zkmmax;             // 16544
 *     struct lock zgetlk;             // 16552  special zget interlock
 * } *vm_zone_t;                       // sizeof 16640 (cache-aligned)
 * </pre>
 *
 * SMP_MAXCPU is 256 ({@link Param#SMP_MAXCPU}), as in the C.
 * Locking: zpcpu[n] belongs to cpu n (critical section); zitems, zfreecnt, znalloc, zpagecount
 * and ztotal are under zspin; zgetlk serialises refills of non-interrupt zones.
 */
public final class StructVmZone {
    private StructVmZone() {}

    public static final long SIZEOF = 16640;

    public static final int ZONE_INTERRUPT = 0x0001;
    public static final int ZONE_PANICFAIL = 0x0002;
    public static final int ZONE_SPECIAL = 0x0004;
    public static final int ZONE_BOOT = 0x0010;
    public static final int ZONE_USE_RESERVE = 0x0020;
    public static final int ZONE_DESTROYABLE = 0x0040;

    /** Max VM pages burst in zget(). */
    public static final int ZONE_MAXPGLOAD = 32;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(Param.SMP_MAXCPU, StructVmZpcpu.layout()).withName("zpcpu"),
            StructSpinlock.layout().withName("zspin"),
            C_POINTER.withName("zitems"),
            C_LONG.withName("zfreecnt"),
            C_LONG.withName("zfreemin"),
            C_LONG.withName("znalloc"),
            C_LONG.withName("zkva"),
            C_LONG.withName("zpagecount"),
            C_LONG.withName("zpagemax"),
            C_LONG.withName("zmax"),
            C_LONG.withName("zmax_pcpu"),
            C_LONG.withName("ztotal"),
            C_LONG.withName("zsize"),
            C_LONG.withName("zalloc"),
            C_LONG.withName("zflags"),
            C_INT.withName("zallocflag"),
            Ctypes.pad(4),
            C_POINTER.withName("zname"),
            MemoryLayout.structLayout(
                    C_POINTER.withName("le_next"),
                    C_POINTER.withName("le_prev")).withName("zlink"),
            C_POINTER.withName("zkmvec"),
            C_LONG.withName("zkmcur"),
            C_LONG.withName("zkmmax"),
            StructLock.layout().withName("zgetlk"),
            Ctypes.pad(56)).withName("vm_zone").withByteAlignment(64), SIZEOF);

    public static final long zpcpu$OFFSET = Ctypes.offset(LAYOUT, "zpcpu");
    public static final long zspin$OFFSET = Ctypes.offset(LAYOUT, "zspin");
    public static final long zitems$OFFSET = Ctypes.offset(LAYOUT, "zitems");
    public static final long zfreecnt$OFFSET = Ctypes.offset(LAYOUT, "zfreecnt");
    public static final long zfreemin$OFFSET = Ctypes.offset(LAYOUT, "zfreemin");
    public static final long znalloc$OFFSET = Ctypes.offset(LAYOUT, "znalloc");
    public static final long zkva$OFFSET = Ctypes.offset(LAYOUT, "zkva");
    public static final long zpagecount$OFFSET = Ctypes.offset(LAYOUT, "zpagecount");
    public static final long zpagemax$OFFSET = Ctypes.offset(LAYOUT, "zpagemax");
    public static final long zmax$OFFSET = Ctypes.offset(LAYOUT, "zmax");
    public static final long zmax_pcpu$OFFSET = Ctypes.offset(LAYOUT, "zmax_pcpu");
    public static final long ztotal$OFFSET = Ctypes.offset(LAYOUT, "ztotal");
    public static final long zsize$OFFSET = Ctypes.offset(LAYOUT, "zsize");
    public static final long zalloc$OFFSET = Ctypes.offset(LAYOUT, "zalloc");
    public static final long zflags$OFFSET = Ctypes.offset(LAYOUT, "zflags");
    public static final long zallocflag$OFFSET = Ctypes.offset(LAYOUT, "zallocflag");
    public static final long zname$OFFSET = Ctypes.offset(LAYOUT, "zname");
    public static final long zlink$OFFSET = Ctypes.offset(LAYOUT, "zlink");
    public static final long zkmvec$OFFSET = Ctypes.offset(LAYOUT, "zkmvec");
    public static final long zkmcur$OFFSET = Ctypes.offset(LAYOUT, "zkmcur");
    public static final long zkmmax$OFFSET = Ctypes.offset(LAYOUT, "zkmmax");
    public static final long zgetlk$OFFSET = Ctypes.offset(LAYOUT, "zgetlk");

    public static StructLayout layout() { return LAYOUT; }

    /** {@code &z->zpcpu[cpu]}. */
    public static long zpcpu(long z, int cpu) { return z + zpcpu$OFFSET + cpu * StructVmZpcpu.SIZEOF; }

    /** {@code &z->zspin}. */
    public static long zspin(long z) { return z + zspin$OFFSET; }

    /** {@code &z->zgetlk}. */
    public static long zgetlk(long z) { return z + zgetlk$OFFSET; }

    public static long zitems(KernelMemory km, long z) { return km.load64(z + zitems$OFFSET); }
    public static void zitems(KernelMemory km, long z, long v) { km.store64(z + zitems$OFFSET, v); }

    public static long zfreecnt(KernelMemory km, long z) { return km.load64(z + zfreecnt$OFFSET); }
    public static void zfreecnt(KernelMemory km, long z, long v) { km.store64(z + zfreecnt$OFFSET, v); }

    public static long zfreemin(KernelMemory km, long z) { return km.load64(z + zfreemin$OFFSET); }
    public static void zfreemin(KernelMemory km, long z, long v) { km.store64(z + zfreemin$OFFSET, v); }

    public static long znalloc(KernelMemory km, long z) { return km.load64(z + znalloc$OFFSET); }
    public static void znalloc(KernelMemory km, long z, long v) { km.store64(z + znalloc$OFFSET, v); }

    public static long zkva(KernelMemory km, long z) { return km.load64(z + zkva$OFFSET); }
    public static void zkva(KernelMemory km, long z, long v) { km.store64(z + zkva$OFFSET, v); }

    public static long zpagecount(KernelMemory km, long z) { return km.load64(z + zpagecount$OFFSET); }
    public static void zpagecount(KernelMemory km, long z, long v) { km.store64(z + zpagecount$OFFSET, v); }

    public static long zpagemax(KernelMemory km, long z) { return km.load64(z + zpagemax$OFFSET); }
    public static void zpagemax(KernelMemory km, long z, long v) { km.store64(z + zpagemax$OFFSET, v); }

    public static long zmax(KernelMemory km, long z) { return km.load64(z + zmax$OFFSET); }
    public static void zmax(KernelMemory km, long z, long v) { km.store64(z + zmax$OFFSET, v); }

    public static long zmax_pcpu(KernelMemory km, long z) { return km.load64(z + zmax_pcpu$OFFSET); }
    public static void zmax_pcpu(KernelMemory km, long z, long v) { km.store64(z + zmax_pcpu$OFFSET, v); }

    public static long ztotal(KernelMemory km, long z) { return km.load64(z + ztotal$OFFSET); }
    public static void ztotal(KernelMemory km, long z, long v) { km.store64(z + ztotal$OFFSET, v); }

    public static long zsize(KernelMemory km, long z) { return km.load64(z + zsize$OFFSET); }
    public static void zsize(KernelMemory km, long z, long v) { km.store64(z + zsize$OFFSET, v); }

    public static long zalloc(KernelMemory km, long z) { return km.load64(z + zalloc$OFFSET); }
    public static void zalloc(KernelMemory km, long z, long v) { km.store64(z + zalloc$OFFSET, v); }

    public static long zflags(KernelMemory km, long z) { return km.load64(z + zflags$OFFSET); }
    public static void zflags(KernelMemory km, long z, long v) { km.store64(z + zflags$OFFSET, v); }

    public static int zallocflag(KernelMemory km, long z) { return km.load32(z + zallocflag$OFFSET); }
    public static void zallocflag(KernelMemory km, long z, int v) { km.store32(z + zallocflag$OFFSET, v); }

    public static long zname(KernelMemory km, long z) { return km.load64(z + zname$OFFSET); }
    public static void zname(KernelMemory km, long z, long v) { km.store64(z + zname$OFFSET, v); }

    public static long zlink_next(KernelMemory km, long z) { return km.load64(z + zlink$OFFSET); }
    public static void zlink_next(KernelMemory km, long z, long v) { km.store64(z + zlink$OFFSET, v); }
    public static void zlink_prev(KernelMemory km, long z, long v) { km.store64(z + zlink$OFFSET + 8, v); }
    public static long zlink_prev(KernelMemory km, long z) { return km.load64(z + zlink$OFFSET + 8); }

    public static void zkmvec(KernelMemory km, long z, long v) { km.store64(z + zkmvec$OFFSET, v); }
    public static void zkmcur(KernelMemory km, long z, long v) { km.store64(z + zkmcur$OFFSET, v); }
    public static void zkmmax(KernelMemory km, long z, long v) { km.store64(z + zkmmax$OFFSET, v); }
}
