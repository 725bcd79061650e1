package org.dfemu.kernel.kern;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_LONG;

/**
 * View of {@code blmeta_t}, one node of a blist's radix tree, DragonFly's sys/sys/blist.h at
 * commit 737b020b54 (2021-05-28).
 *
 * <pre>
 * typedef struct blmeta {
 *     union {
 *         swblk_t   bmu_avail;   //  0  meta node: free blocks under this node
 *         u_swblk_t bmu_bitmap;  //  0  leaf: one bit per block, 1 = free
 *     } u;
 *     swblk_t bm_bighint;        //  8  no free run under this node is longer (may be stale high);
 *                                //     -1 marks a terminator: no node here or after it
 * } blmeta_t;                    // sizeof 16
 * </pre>
 *
 * The nodes of one tree form a single array ({@code bl_root}); {@link #elem} is the C's
 * {@code &scan[i]}. Owned by the blist's user (the swap pager holds vm_token around every call).
 */
public final class StructBlmeta {
    private StructBlmeta() {}

    public static final long SIZEOF = 16;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            MemoryLayout.unionLayout(
                    C_LONG.withName("bmu_avail"),
                    C_LONG.withName("bmu_bitmap")).withName("u"),
            C_LONG.withName("bm_bighint")).withName("blmeta"), SIZEOF);

    public static final long bmu_avail$OFFSET = Ctypes.offset(LAYOUT, "u", "bmu_avail");
    public static final long bmu_bitmap$OFFSET = Ctypes.offset(LAYOUT, "u", "bmu_bitmap");
    public static final long bm_bighint$OFFSET = Ctypes.offset(LAYOUT, "bm_bighint");

    public static StructLayout layout() { return LAYOUT; }

    /** {@code &scan[i]}: the address of node {@code i} of the array at {@code scan}. */
    public static long elem(long scan, long i) { return scan + i * SIZEOF; }

    public static long bmu_avail(KernelMemory km, long scan) { return km.load64(scan + bmu_avail$OFFSET); }
    public static void bmu_avail(KernelMemory km, long scan, long v) { km.store64(scan + bmu_avail$OFFSET, v); }

    /** The leaf bitmap, unsigned in the C: compare with {@code Long.compareUnsigned} if ordering matters. */
    public static long bmu_bitmap(KernelMemory km, long scan) { return km.load64(scan + bmu_bitmap$OFFSET); }
    public static void bmu_bitmap(KernelMemory km, long scan, long v) { km.store64(scan + bmu_bitmap$OFFSET, v); }

    public static long bm_bighint(KernelMemory km, long scan) { return km.load64(scan + bm_bighint$OFFSET); }
    public static void bm_bighint(KernelMemory km, long scan, long v) { km.store64(scan + bm_bighint$OFFSET, v); }
}
