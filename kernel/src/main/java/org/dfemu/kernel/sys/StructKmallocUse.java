package org.dfemu.kernel.sys;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_LONG;

/**
 * View of {@code struct kmalloc_use}, DragonFly's sys/sys/_malloc.h at commit 737b020b54
 * (2021-05-28): one cpu's statistics of a malloc type, and (for kmalloc_obj types) that cpu's
 * slab management.
 *
 * <pre>
 * struct kmalloc_use {
 *     size_t  memuse;               //   0
 *     size_t  inuse;                //   8
 *     int64_t calls;                //  16  allocations (total)
 *     size_t  loosememuse;          //  24  rolled into ks_loosememuse now and then
 *     struct kmalloc_mgt mgt;       //  64  pcpu object store
 * } __cachealign;                   // sizeof 192
 * </pre>
 *
 * The entries are only meaningful summed over all cpus: a cpu freeing memory subtracts from its
 * own slot, not from the allocating cpu's, so one slot may go negative.
 */
public final class StructKmallocUse {
    private StructKmallocUse() {}

    public static final long SIZEOF = 192;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_LONG.withName("memuse"),
            C_LONG.withName("inuse"),
            C_LONG.withName("calls"),
            C_LONG.withName("loosememuse"),
            Ctypes.pad(32),
            StructKmallocMgt.layout().withName("mgt")).withName("kmalloc_use").withByteAlignment(64), SIZEOF);

    public static final long memuse$OFFSET = Ctypes.offset(LAYOUT, "memuse");
    public static final long inuse$OFFSET = Ctypes.offset(LAYOUT, "inuse");
    public static final long calls$OFFSET = Ctypes.offset(LAYOUT, "calls");
    public static final long loosememuse$OFFSET = Ctypes.offset(LAYOUT, "loosememuse");
    public static final long mgt$OFFSET = Ctypes.offset(LAYOUT, "mgt");

    public static StructLayout layout() { return LAYOUT; }

    public static long memuse(KernelMemory km, long use) { return km.load64(use + memuse$OFFSET); }
    public static void memuse(KernelMemory km, long use, long v) { km.store64(use + memuse$OFFSET, v); }

    public static long inuse(KernelMemory km, long use) { return km.load64(use + inuse$OFFSET); }
    public static void inuse(KernelMemory km, long use, long v) { km.store64(use + inuse$OFFSET, v); }

    public static long calls(KernelMemory km, long use) { return km.load64(use + calls$OFFSET); }
    public static void calls(KernelMemory km, long use, long v) { km.store64(use + calls$OFFSET, v); }

    public static long loosememuse(KernelMemory km, long use) { return km.load64(use + loosememuse$OFFSET); }
    public static void loosememuse(KernelMemory km, long use, long v) { km.store64(use + loosememuse$OFFSET, v); }

    /** {@code &use->mgt}. */
    public static long mgt(long use) { return use + mgt$OFFSET; }
}
