package org.dfemu.kernel.sys;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_INT;

/**
 * View of {@code SLGlobalData}, one cpu's kmalloc slab state ({@code gd->gd_slab}), DragonFly's
 * sys/sys/slaballoc.h at commit 737b020b54 (2021-05-28).
 *
 * <pre>
 * typedef struct SLGlobalData {
 *     SLZoneList ZoneAry[NZONES];      //    0  zones with z_NFree > 0, per size class
 *     SLZoneList FreeZones;            // 1152  whole zones that became free
 *     SLZoneList FreeOvZones;          // 1168  oversized frees deferred from interrupts
 *     int        NFreeZones;           // 1184
 *     int        JunkIndex;            // 1188
 *     struct malloc_type ZoneInfo;     // 1216  stats on meta-zones
 * } SLGlobalData;                      // sizeof 1600
 * </pre>
 *
 * Owned by its cpu; changed only inside a critical section on that cpu.
 */
public final class StructSLGlobalData {
    private StructSLGlobalData() {}

    public static final long SIZEOF = 1600;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(StructSLZone.NZONES, Queue.TAILQ_HEAD).withName("ZoneAry"),
            Queue.TAILQ_HEAD.withName("FreeZones"),
            Queue.TAILQ_HEAD.withName("FreeOvZones"),
            C_INT.withName("NFreeZones"),
            C_INT.withName("JunkIndex"),
            Ctypes.pad(24),
            StructMallocType.layout().withName("ZoneInfo")).withName("SLGlobalData"), SIZEOF);

    public static final long ZoneAry$OFFSET = Ctypes.offset(LAYOUT, "ZoneAry");
    public static final long FreeZones$OFFSET = Ctypes.offset(LAYOUT, "FreeZones");
    public static final long FreeOvZones$OFFSET = Ctypes.offset(LAYOUT, "FreeOvZones");
    public static final long NFreeZones$OFFSET = Ctypes.offset(LAYOUT, "NFreeZones");
    public static final long JunkIndex$OFFSET = Ctypes.offset(LAYOUT, "JunkIndex");
    public static final long ZoneInfo$OFFSET = Ctypes.offset(LAYOUT, "ZoneInfo");

    public static StructLayout layout() { return LAYOUT; }

    /** {@code &slgd->ZoneAry[zi]}. */
    public static long ZoneAry(long slgd, int zi) { return slgd + ZoneAry$OFFSET + zi * Queue.TAILQ_HEAD.byteSize(); }

    /** {@code &slgd->FreeZones}. */
    public static long FreeZones(long slgd) { return slgd + FreeZones$OFFSET; }

    /** {@code &slgd->FreeOvZones}. */
    public static long FreeOvZones(long slgd) { return slgd + FreeOvZones$OFFSET; }

    public static int NFreeZones(KernelMemory km, long slgd) { return km.load32(slgd + NFreeZones$OFFSET); }
    public static void NFreeZones(KernelMemory km, long slgd, int v) { km.store32(slgd + NFreeZones$OFFSET, v); }

    public static int JunkIndex(KernelMemory km, long slgd) { return km.load32(slgd + JunkIndex$OFFSET); }
    public static void JunkIndex(KernelMemory km, long slgd, int v) { km.store32(slgd + JunkIndex$OFFSET, v); }
}
