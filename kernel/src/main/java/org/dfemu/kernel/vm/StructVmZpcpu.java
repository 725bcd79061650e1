package org.dfemu.kernel.vm;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_LONG;
import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * View of {@code struct vm_zpcpu}, a zone's per-cpu item cache, DragonFly's sys/vm/vm_zone.h at
 * commit 737b020b54 (2021-05-28).
 *
 * <pre>
 * struct vm_zpcpu {
 *     void *zitems;    //  0  free items, linked through word 0
 *     long  zfreecnt;  //  8
 *     long  znalloc;   // 16  allocations from pcpu
 * } __cachealign;      // sizeof 64
 * </pre>
 *
 * Touched only by its own cpu inside a critical section.
 */
public final class StructVmZpcpu {
    private StructVmZpcpu() {}

    public static final long SIZEOF = 64;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_POINTER.withName("zitems"),
            C_LONG.withName("zfreecnt"),
            C_LONG.withName("znalloc"),
            Ctypes.pad(40)).withName("vm_zpcpu").withByteAlignment(64), SIZEOF);

    public static final long zitems$OFFSET = Ctypes.offset(LAYOUT, "zitems");
    public static final long zfreecnt$OFFSET = Ctypes.offset(LAYOUT, "zfreecnt");
    public static final long znalloc$OFFSET = Ctypes.offset(LAYOUT, "znalloc");

    public static StructLayout layout() { return LAYOUT; }

    public static long zitems(KernelMemory km, long z) { return km.load64(z + zitems$OFFSET); }
    public static void zitems(KernelMemory km, long z, long v) { km.store64(z + zitems$OFFSET, v); }

    public static long zfreecnt(KernelMemory km, long z) { return km.load64(z + zfreecnt$OFFSET); }
    public static void zfreecnt(KernelMemory km, long z, long v) { km.store64(z + zfreecnt$OFFSET, v); }

    public static long znalloc(KernelMemory km, long z) { return km.load64(z + znalloc$OFFSET); }
    public static void znalloc(KernelMemory km, long z, long v) { km.store64(z + znalloc$OFFSET, v); }
}
