package org.dfemu.kernel.kern;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.Queue;
import org.dfemu.kernel.sys.StructSpinlock;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_INT;

/**
 * View of {@code struct magazinedepot}, DragonFly's sys/kern/kern_objcache.c at commit 737b020b54
 * (2021-05-28): an objcache's cluster-level store of completely full and completely empty
 * magazines, and the count of objects the cache may still allocate. Every field is protected by
 * {@code spin}; the depot is also the wait channel of objcache_get's sleepers.
 *
 * <pre>
 * struct magazinedepot {
 *     struct magazinelist fullmagazines;   //  0  SLIST_HEAD
 *     struct magazinelist emptymagazines;  //  8  SLIST_HEAD
 *     int    magcapacity;                  // 16
 *     struct spinlock spin;                // 20  (port: 24)
 *     int    unallocated_objects;          // 28  (port: 32) objects not yet allocated towards the limit
 *     int    cluster_limit;                // 32  (port: 36) the limit, kept for adjustments
 *     int    waiting;                      // 36  (port: 40) sleepers waiting for a full magazine
 *     int    contested;                    // 40  (port: 44) depot contention count
 * } __cachealign;                          // sizeof 64
 * </pre>
 *
 * PORT: the port's spin-lock word is 64-bit and must be 8-byte aligned ({@link
 * KernSpinlock}), so 4 bytes of padding put {@code spin} at 24 and the fields after it 4 bytes
 * later than in the C; the size is the C's.
 */
public final class StructMagazinedepot {
    private StructMagazinedepot() {}

    public static final long SIZEOF = 64;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            Queue.SLIST_HEAD.withName("fullmagazines"),
            Queue.SLIST_HEAD.withName("emptymagazines"),
            C_INT.withName("magcapacity"),
            Ctypes.pad(4),
            StructSpinlock.layout().withName("spin"),
            C_INT.withName("unallocated_objects"),
            C_INT.withName("cluster_limit"),
            C_INT.withName("waiting"),
            C_INT.withName("contested"),
            Ctypes.pad(16)).withName("magazinedepot").withByteAlignment(64), SIZEOF);

    public static final long fullmagazines$OFFSET = Ctypes.offset(LAYOUT, "fullmagazines");
    public static final long emptymagazines$OFFSET = Ctypes.offset(LAYOUT, "emptymagazines");
    public static final long magcapacity$OFFSET = Ctypes.offset(LAYOUT, "magcapacity");
    public static final long spin$OFFSET = Ctypes.offset(LAYOUT, "spin");
    public static final long unallocated_objects$OFFSET = Ctypes.offset(LAYOUT, "unallocated_objects");
    public static final long cluster_limit$OFFSET = Ctypes.offset(LAYOUT, "cluster_limit");
    public static final long waiting$OFFSET = Ctypes.offset(LAYOUT, "waiting");
    public static final long contested$OFFSET = Ctypes.offset(LAYOUT, "contested");

    public static StructLayout layout() { return LAYOUT; }

    /** {@code &depot->fullmagazines}. */
    public static long fullmagazines(long depot) { return depot + fullmagazines$OFFSET; }

    /** {@code &depot->emptymagazines}. */
    public static long emptymagazines(long depot) { return depot + emptymagazines$OFFSET; }

    /** {@code &depot->spin}. */
    public static long spin(long depot) { return depot + spin$OFFSET; }

    public static int magcapacity(KernelMemory km, long depot) { return km.load32(depot + magcapacity$OFFSET); }
    public static void magcapacity(KernelMemory km, long depot, int v) { km.store32(depot + magcapacity$OFFSET, v); }

    public static int unallocated_objects(KernelMemory km, long depot) { return km.load32(depot + unallocated_objects$OFFSET); }
    public static void unallocated_objects(KernelMemory km, long depot, int v) { km.store32(depot + unallocated_objects$OFFSET, v); }

    public static int cluster_limit(KernelMemory km, long depot) { return km.load32(depot + cluster_limit$OFFSET); }
    public static void cluster_limit(KernelMemory km, long depot, int v) { km.store32(depot + cluster_limit$OFFSET, v); }

    public static int waiting(KernelMemory km, long depot) { return km.load32(depot + waiting$OFFSET); }
    public static void waiting(KernelMemory km, long depot, int v) { km.store32(depot + waiting$OFFSET, v); }
}
