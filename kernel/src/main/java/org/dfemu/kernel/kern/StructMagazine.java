package org.dfemu.kernel.kern;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.Queue;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_INT;

/**
 * View of {@code struct magazine}, DragonFly's sys/kern/kern_objcache.c at commit 737b020b54
 * (2021-05-28): a stack of up to {@code capacity} cached objects, {@code rounds} of them present.
 *
 * <pre>
 * struct magazine {
 *     int   rounds;                          //  0  objects present
 *     int   capacity;                        //  4  slots in objects[]
 *     SLIST_ENTRY(magazine) nextmagazine;    //  8  the depot's full or empty list
 *     void *objects[];                       // 16  the objects, objects[rounds - 1] on top
 * };                                         // MAGAZINE_HDRSIZE 16
 * </pre>
 *
 * A magazine is a kmalloc from M_OBJMAG of {@code MAGAZINE_HDRSIZE + capacity * 8} bytes, a
 * multiple of the cache line. Owned by one cpu's cache (critical section) or by the depot (its
 * spin lock).
 */
public final class StructMagazine {
    private StructMagazine() {}

    /** {@code MAGAZINE_HDRSIZE}: {@code __offsetof(struct magazine, objects[0])}. */
    public static final long MAGAZINE_HDRSIZE = 16;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_INT.withName("rounds"),
            C_INT.withName("capacity"),
            Queue.SLIST_ENTRY.withName("nextmagazine")).withName("magazine"), MAGAZINE_HDRSIZE);

    public static final long rounds$OFFSET = Ctypes.offset(LAYOUT, "rounds");
    public static final long capacity$OFFSET = Ctypes.offset(LAYOUT, "capacity");
    public static final long nextmagazine$OFFSET = Ctypes.offset(LAYOUT, "nextmagazine");
    public static final long objects$OFFSET = MAGAZINE_HDRSIZE;

    public static StructLayout layout() { return LAYOUT; }

    /** {@code __offsetof(struct magazine, objects[capacity])}: a magazine's kmalloc size. */
    public static long sizeFor(int capacity) { return objects$OFFSET + 8L * capacity; }

    public static int rounds(KernelMemory km, long mag) { return km.load32(mag + rounds$OFFSET); }
    public static void rounds(KernelMemory km, long mag, int v) { km.store32(mag + rounds$OFFSET, v); }

    public static int capacity(KernelMemory km, long mag) { return km.load32(mag + capacity$OFFSET); }
    public static void capacity(KernelMemory km, long mag, int v) { km.store32(mag + capacity$OFFSET, v); }

    /** {@code mag->objects[i]}. */
    public static long objects(KernelMemory km, long mag, int i) { return km.load64(mag + objects$OFFSET + 8L * i); }
    public static void objects(KernelMemory km, long mag, int i, long obj) { km.store64(mag + objects$OFFSET + 8L * i, obj); }
}
