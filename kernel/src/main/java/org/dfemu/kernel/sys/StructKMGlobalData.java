package org.dfemu.kernel.sys;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_LONG;
import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * View of {@code KMGlobalData}, DragonFly's sys/sys/_malloc.h at commit 737b020b54 (2021-05-28):
 * one cpu's cache of free kmalloc_obj slabs ({@code gd->gd_kmslab}), which belong to no type.
 *
 * <pre>
 * typedef struct KMGlobalData {
 *     struct kmalloc_slab *free_slabs;         //  0  owner cpu only
 *     struct kmalloc_slab *remote_free_slabs;  //  8  atomic swap / push only
 *     size_t free_count;                       // 16  atomic ops only
 *     void *reserved[5];                       // 24
 * } KMGlobalData;                              // sizeof 64
 * </pre>
 */
public final class StructKMGlobalData {
    private StructKMGlobalData() {}

    public static final long SIZEOF = 64;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_POINTER.withName("free_slabs"),
            C_POINTER.withName("remote_free_slabs"),
            C_LONG.withName("free_count"),
            MemoryLayout.sequenceLayout(5, C_POINTER).withName("reserved")).withName("KMGlobalData"), SIZEOF);

    public static final long free_slabs$OFFSET = Ctypes.offset(LAYOUT, "free_slabs");
    public static final long remote_free_slabs$OFFSET = Ctypes.offset(LAYOUT, "remote_free_slabs");
    public static final long free_count$OFFSET = Ctypes.offset(LAYOUT, "free_count");

    public static StructLayout layout() { return LAYOUT; }

    public static long free_slabs(KernelMemory km, long kmgd) { return km.load64(kmgd + free_slabs$OFFSET); }
    public static void free_slabs(KernelMemory km, long kmgd, long v) { km.store64(kmgd + free_slabs$OFFSET, v); }

    public static long remote_free_slabs(KernelMemory km, long kmgd) { return km.load64(kmgd + remote_free_slabs$OFFSET); }

    public static long free_count(KernelMemory km, long kmgd) { return km.load64(kmgd + free_count$OFFSET); }
}
