package org.dfemu.kernel.sys;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * View of {@code SLZone}, the in-band header of a kmalloc zone, and the slab constants of
 * DragonFly's sys/sys/slaballoc.h at commit 737b020b54 (2021-05-28). A zone is ZoneSize bytes,
 * ZoneSize-aligned, so {@code ptr & ZoneMask} is the zone of any chunk.
 *
 * <pre>
 * typedef struct SLZone {
 *     int32_t z_Magic;              //   0  ZALLOC_SLAB_MAGIC
 *     int     z_Cpu;                //   4  owning cpu
 *     struct globaldata *z_CpuGd;   //   8  owning cpu
 *     TAILQ_ENTRY(SLZone) z_Entry;  //  16  ZoneAry[] if z_NFree != 0, else Free*Zones
 *     void   *z_UNused01;           //  32
 *     int     z_NFree;              //  40  free chunks / ualloc space
 *     int     z_NMax;               //  44  most free chunks
 *     char   *z_BasePtr;            //  48  first chunk
 *     int     z_UIndex;             //  56  current initial allocation index
 *     int     z_UEndIndex;          //  60  last (first) allocation index
 *     int     z_ChunkSize;          //  64
 *     int     z_ZoneIndex;          //  68
 *     int     z_Flags;              //  72  SLZF_*
 *     SLChunk *z_LChunks;           //  80  chunks freed by the owning cpu
 *     SLChunk **z_LChunksp;         //  88  its tail pointer
 *     SLChunk *z_RChunks;           //  96  chunks freed by remote cpus (atomic)
 *     int     z_RSignal;            // 104  signal interlock
 *     int     z_RCount;             // 108  in-flight IPIs
 *     uint32_t z_Bitmap[];          // 112  (INVARIANTS) allocated chunks
 * } SLZone;                         // sizeof 112
 * </pre>
 *
 * All fields are the owning cpu's except z_RChunks, which remote cpus push onto atomically.
 */
public final class StructSLZone {
    private StructSLZone() {}

    public static final long SIZEOF = 112;

    /** Largest slab-managed allocation. */
    public static final int ZALLOC_ZONE_LIMIT = 16 * 1024;
    public static final int ZALLOC_MIN_ZONE_SIZE = 32 * 1024;
    public static final int ZALLOC_MAX_ZONE_SIZE = 128 * 1024;
    public static final int ZALLOC_SLAB_MAGIC = 0x736c6162;
    public static final int ZALLOC_OVSZ_MAGIC = 0x736c6163;
    /** Bytes the first allocation of each new zone slides by. */
    public static final int ZALLOC_SLAB_SLIDE = 20;
    /** Zones (size classes) for ZALLOC_ZONE_LIMIT 16 KiB. */
    public static final int NZONES = 72;

    /** The zone's never-used area is not known to be zero (a zone reused from FreeZones). */
    public static final int SLZF_UNOTZEROD = 0x0001;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_INT.withName("z_Magic"),
            C_INT.withName("z_Cpu"),
            C_POINTER.withName("z_CpuGd"),
            Queue.TAILQ_ENTRY.withName("z_Entry"),
            C_POINTER.withName("z_UNused01"),
            C_INT.withName("z_NFree"),
            C_INT.withName("z_NMax"),
            C_POINTER.withName("z_BasePtr"),
            C_INT.withName("z_UIndex"),
            C_INT.withName("z_UEndIndex"),
            C_INT.withName("z_ChunkSize"),
            C_INT.withName("z_ZoneIndex"),
            C_INT.withName("z_Flags"),
            Ctypes.pad(4),
            C_POINTER.withName("z_LChunks"),
            C_POINTER.withName("z_LChunksp"),
            C_POINTER.withName("z_RChunks"),
            C_INT.withName("z_RSignal"),
            C_INT.withName("z_RCount")).withName("SLZone"), SIZEOF);

    public static final long z_Magic$OFFSET = Ctypes.offset(LAYOUT, "z_Magic");
    public static final long z_Cpu$OFFSET = Ctypes.offset(LAYOUT, "z_Cpu");
    public static final long z_CpuGd$OFFSET = Ctypes.offset(LAYOUT, "z_CpuGd");
    public static final long z_Entry$OFFSET = Ctypes.offset(LAYOUT, "z_Entry");
    public static final long z_NFree$OFFSET = Ctypes.offset(LAYOUT, "z_NFree");
    public static final long z_NMax$OFFSET = Ctypes.offset(LAYOUT, "z_NMax");
    public static final long z_BasePtr$OFFSET = Ctypes.offset(LAYOUT, "z_BasePtr");
    public static final long z_UIndex$OFFSET = Ctypes.offset(LAYOUT, "z_UIndex");
    public static final long z_UEndIndex$OFFSET = Ctypes.offset(LAYOUT, "z_UEndIndex");
    public static final long z_ChunkSize$OFFSET = Ctypes.offset(LAYOUT, "z_ChunkSize");
    public static final long z_ZoneIndex$OFFSET = Ctypes.offset(LAYOUT, "z_ZoneIndex");
    public static final long z_Flags$OFFSET = Ctypes.offset(LAYOUT, "z_Flags");
    public static final long z_LChunks$OFFSET = Ctypes.offset(LAYOUT, "z_LChunks");
    public static final long z_LChunksp$OFFSET = Ctypes.offset(LAYOUT, "z_LChunksp");
    public static final long z_RChunks$OFFSET = Ctypes.offset(LAYOUT, "z_RChunks");
    public static final long z_RSignal$OFFSET = Ctypes.offset(LAYOUT, "z_RSignal");
    public static final long z_RCount$OFFSET = Ctypes.offset(LAYOUT, "z_RCount");
    /** {@code offsetof(SLZone, z_Bitmap[0])} (INVARIANTS). */
    public static final long z_Bitmap$OFFSET = SIZEOF;

    public static StructLayout layout() { return LAYOUT; }

    /** {@code offsetof(SLZone, z_Bitmap[n])}. */
    public static long offsetofBitmap(long n) { return z_Bitmap$OFFSET + n * 4; }

    public static int z_Magic(KernelMemory km, long z) { return km.load32(z + z_Magic$OFFSET); }
    public static void z_Magic(KernelMemory km, long z, int v) { km.store32(z + z_Magic$OFFSET, v); }

    public static int z_Cpu(KernelMemory km, long z) { return km.load32(z + z_Cpu$OFFSET); }
    public static void z_Cpu(KernelMemory km, long z, int v) { km.store32(z + z_Cpu$OFFSET, v); }

    public static long z_CpuGd(KernelMemory km, long z) { return km.load64(z + z_CpuGd$OFFSET); }
    public static void z_CpuGd(KernelMemory km, long z, long v) { km.store64(z + z_CpuGd$OFFSET, v); }

    public static int z_NFree(KernelMemory km, long z) { return km.load32(z + z_NFree$OFFSET); }
    public static void z_NFree(KernelMemory km, long z, int v) { km.store32(z + z_NFree$OFFSET, v); }

    public static int z_NMax(KernelMemory km, long z) { return km.load32(z + z_NMax$OFFSET); }
    public static void z_NMax(KernelMemory km, long z, int v) { km.store32(z + z_NMax$OFFSET, v); }

    public static long z_BasePtr(KernelMemory km, long z) { return km.load64(z + z_BasePtr$OFFSET); }
    public static void z_BasePtr(KernelMemory km, long z, long v) { km.store64(z + z_BasePtr$OFFSET, v); }

    public static int z_UIndex(KernelMemory km, long z) { return km.load32(z + z_UIndex$OFFSET); }
    public static void z_UIndex(KernelMemory km, long z, int v) { km.store32(z + z_UIndex$OFFSET, v); }

    public static int z_UEndIndex(KernelMemory km, long z) { return km.load32(z + z_UEndIndex$OFFSET); }
    public static void z_UEndIndex(KernelMemory km, long z, int v) { km.store32(z + z_UEndIndex$OFFSET, v); }

    public static int z_ChunkSize(KernelMemory km, long z) { return km.load32(z + z_ChunkSize$OFFSET); }
    public static void z_ChunkSize(KernelMemory km, long z, int v) { km.store32(z + z_ChunkSize$OFFSET, v); }

    public static int z_ZoneIndex(KernelMemory km, long z) { return km.load32(z + z_ZoneIndex$OFFSET); }
    public static void z_ZoneIndex(KernelMemory km, long z, int v) { km.store32(z + z_ZoneIndex$OFFSET, v); }

    public static int z_Flags(KernelMemory km, long z) { return km.load32(z + z_Flags$OFFSET); }
    public static void z_Flags(KernelMemory km, long z, int v) { km.store32(z + z_Flags$OFFSET, v); }

    public static long z_LChunks(KernelMemory km, long z) { return km.load64(z + z_LChunks$OFFSET); }
    public static void z_LChunks(KernelMemory km, long z, long v) { km.store64(z + z_LChunks$OFFSET, v); }

    public static long z_LChunksp(KernelMemory km, long z) { return km.load64(z + z_LChunksp$OFFSET); }
    public static void z_LChunksp(KernelMemory km, long z, long v) { km.store64(z + z_LChunksp$OFFSET, v); }

    public static long z_RChunks(KernelMemory km, long z) { return km.load64(z + z_RChunks$OFFSET); }

    public static int z_RSignal(KernelMemory km, long z) { return km.load32(z + z_RSignal$OFFSET); }
    public static void z_RSignal(KernelMemory km, long z, int v) { km.store32(z + z_RSignal$OFFSET, v); }

    public static int z_RCount(KernelMemory km, long z) { return km.load32(z + z_RCount$OFFSET); }
}
