package org.dfemu.kernel.kern;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_LONG;
import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * View of {@code struct percpu_objcache}, DragonFly's sys/kern/kern_objcache.c at commit
 * 737b020b54 (2021-05-28): one cpu's two magazines of an objcache and its statistics. Every field
 * is its cpu's, protected by a critical section.
 *
 * <pre>
 * struct percpu_objcache {
 *     struct magazine *loaded_magazine;    //  0  the active magazine
 *     struct magazine *previous_magazine;  //  8  the backup magazine
 *     u_long gets_cumulative;              // 16  calls to objcache_get
 *     u_long gets_null;                    // 24  objcache_get returned NULL
 *     u_long allocs_cumulative;            // 32  calls to the back-end allocator
 *     u_long puts_cumulative;              // 40  calls to objcache_put
 *     u_long gets_exhausted;               // 48  gets that found the limit reached
 *     int    waiting;                      // 56  this cpu's sleepers in objcache_get
 * } __cachealign;                          // sizeof 64
 * </pre>
 */
public final class StructPercpuObjcache {
    private StructPercpuObjcache() {}

    public static final long SIZEOF = 64;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_POINTER.withName("loaded_magazine"),
            C_POINTER.withName("previous_magazine"),
            C_LONG.withName("gets_cumulative"),
            C_LONG.withName("gets_null"),
            C_LONG.withName("allocs_cumulative"),
            C_LONG.withName("puts_cumulative"),
            C_LONG.withName("gets_exhausted"),
            C_INT.withName("waiting"),
            Ctypes.pad(4)).withName("percpu_objcache").withByteAlignment(64), SIZEOF);

    public static final long loaded_magazine$OFFSET = Ctypes.offset(LAYOUT, "loaded_magazine");
    public static final long previous_magazine$OFFSET = Ctypes.offset(LAYOUT, "previous_magazine");
    public static final long gets_cumulative$OFFSET = Ctypes.offset(LAYOUT, "gets_cumulative");
    public static final long gets_null$OFFSET = Ctypes.offset(LAYOUT, "gets_null");
    public static final long allocs_cumulative$OFFSET = Ctypes.offset(LAYOUT, "allocs_cumulative");
    public static final long puts_cumulative$OFFSET = Ctypes.offset(LAYOUT, "puts_cumulative");
    public static final long gets_exhausted$OFFSET = Ctypes.offset(LAYOUT, "gets_exhausted");
    public static final long waiting$OFFSET = Ctypes.offset(LAYOUT, "waiting");

    public static StructLayout layout() { return LAYOUT; }

    public static long loaded_magazine(KernelMemory km, long cc) { return km.load64(cc + loaded_magazine$OFFSET); }
    public static void loaded_magazine(KernelMemory km, long cc, long mag) { km.store64(cc + loaded_magazine$OFFSET, mag); }

    public static long previous_magazine(KernelMemory km, long cc) { return km.load64(cc + previous_magazine$OFFSET); }
    public static void previous_magazine(KernelMemory km, long cc, long mag) { km.store64(cc + previous_magazine$OFFSET, mag); }

    public static long gets_cumulative(KernelMemory km, long cc) { return km.load64(cc + gets_cumulative$OFFSET); }
    public static void gets_cumulative(KernelMemory km, long cc, long v) { km.store64(cc + gets_cumulative$OFFSET, v); }

    public static long gets_null(KernelMemory km, long cc) { return km.load64(cc + gets_null$OFFSET); }
    public static void gets_null(KernelMemory km, long cc, long v) { km.store64(cc + gets_null$OFFSET, v); }

    public static long allocs_cumulative(KernelMemory km, long cc) { return km.load64(cc + allocs_cumulative$OFFSET); }
    public static void allocs_cumulative(KernelMemory km, long cc, long v) { km.store64(cc + allocs_cumulative$OFFSET, v); }

    public static long puts_cumulative(KernelMemory km, long cc) { return km.load64(cc + puts_cumulative$OFFSET); }
    public static void puts_cumulative(KernelMemory km, long cc, long v) { km.store64(cc + puts_cumulative$OFFSET, v); }

    public static long gets_exhausted(KernelMemory km, long cc) { return km.load64(cc + gets_exhausted$OFFSET); }
    public static void gets_exhausted(KernelMemory km, long cc, long v) { km.store64(cc + gets_exhausted$OFFSET, v); }

    public static int waiting(KernelMemory km, long cc) { return km.load32(cc + waiting$OFFSET); }
    public static void waiting(KernelMemory km, long cc, int v) { km.store32(cc + waiting$OFFSET, v); }
}
