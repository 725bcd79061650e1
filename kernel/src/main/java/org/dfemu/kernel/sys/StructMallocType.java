package org.dfemu.kernel.sys;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_LONG;
import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * View of {@code struct malloc_type}, DragonFly's sys/sys/_malloc.h at commit 737b020b54
 * (2021-05-28): one kmalloc type ({@code M_DEVBUF}) or kmalloc_obj zone ({@code M_VM_OBJECT_obj},
 * with KSF_OBJSIZE).
 *
 * <pre>
 * struct malloc_type {
 *     struct malloc_type *ks_next;      //   0  kmemstatistics list
 *     size_t   ks_loosememuse;          //   8  (inaccurate) aggregate memuse
 *     size_t   ks_limit;                //  16  most that may exist
 *     uint64_t ks_unused0;              //  24
 *     uint32_t ks_flags;                //  32  KSF_*
 *     uint32_t ks_magic;                //  36  M_MAGIC
 *     const char *ks_shortdesc;         //  40
 *     size_t   ks_objsize;              //  48  single size if non-zero
 *     struct kmalloc_use *ks_use;       //  56  [ncpus]
 *     struct kmalloc_use ks_use0;       //  64  used before SMP startup
 *     struct kmalloc_mgt ks_mgt;        // 256  rollup object store (the "ggm")
 * };                                    // sizeof 384 (cache aligned members)
 * </pre>
 */
public final class StructMallocType {
    private StructMallocType() {}

    public static final long SIZEOF = 384;

    /** Zone used for one object type/size (kmalloc_obj). */
    public static final int KSF_OBJSIZE = 0x00000001;
    /** The kmalloc poller is polling this type. */
    public static final int KSF_POLLING = 0x00000002;
    /**
     * VARIANT (dfemu, not in DragonFly): a kmalloc_obj zone that keeps ready slabs, the
     * 2021-05-14 mail's proposal (KernKmalloc, vm.swapmeta_alloc=kmalloc_obj_reserve).
     */
    public static final int KSF_OBJRESERVE = 0x00000004;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_POINTER.withName("ks_next"),
            C_LONG.withName("ks_loosememuse"),
            C_LONG.withName("ks_limit"),
            C_LONG.withName("ks_unused0"),
            C_INT.withName("ks_flags"),
            C_INT.withName("ks_magic"),
            C_POINTER.withName("ks_shortdesc"),
            C_LONG.withName("ks_objsize"),
            C_POINTER.withName("ks_use"),
            StructKmallocUse.layout().withName("ks_use0"),
            StructKmallocMgt.layout().withName("ks_mgt")).withName("malloc_type"), SIZEOF);

    public static final long ks_next$OFFSET = Ctypes.offset(LAYOUT, "ks_next");
    public static final long ks_loosememuse$OFFSET = Ctypes.offset(LAYOUT, "ks_loosememuse");
    public static final long ks_limit$OFFSET = Ctypes.offset(LAYOUT, "ks_limit");
    public static final long ks_flags$OFFSET = Ctypes.offset(LAYOUT, "ks_flags");
    public static final long ks_magic$OFFSET = Ctypes.offset(LAYOUT, "ks_magic");
    public static final long ks_shortdesc$OFFSET = Ctypes.offset(LAYOUT, "ks_shortdesc");
    public static final long ks_objsize$OFFSET = Ctypes.offset(LAYOUT, "ks_objsize");
    public static final long ks_use$OFFSET = Ctypes.offset(LAYOUT, "ks_use");
    public static final long ks_use0$OFFSET = Ctypes.offset(LAYOUT, "ks_use0");
    public static final long ks_mgt$OFFSET = Ctypes.offset(LAYOUT, "ks_mgt");

    /** Bytes of {@code ks_shortdesc} read back, NUL included (vmstat's buffer). */
    public static final int SHORTDESC_MAX = 1024;

    public static StructLayout layout() { return LAYOUT; }

    public static long ks_next(KernelMemory km, long t) { return km.load64(t + ks_next$OFFSET); }
    public static void ks_next(KernelMemory km, long t, long v) { km.store64(t + ks_next$OFFSET, v); }

    public static long ks_loosememuse(KernelMemory km, long t) { return km.load64(t + ks_loosememuse$OFFSET); }
    public static void ks_loosememuse(KernelMemory km, long t, long v) { km.store64(t + ks_loosememuse$OFFSET, v); }

    public static long ks_limit(KernelMemory km, long t) { return km.load64(t + ks_limit$OFFSET); }
    public static void ks_limit(KernelMemory km, long t, long v) { km.store64(t + ks_limit$OFFSET, v); }

    public static int ks_flags(KernelMemory km, long t) { return km.load32(t + ks_flags$OFFSET); }
    public static void ks_flags(KernelMemory km, long t, int v) { km.store32(t + ks_flags$OFFSET, v); }

    public static int ks_magic(KernelMemory km, long t) { return km.load32(t + ks_magic$OFFSET); }
    public static void ks_magic(KernelMemory km, long t, int v) { km.store32(t + ks_magic$OFFSET, v); }

    public static long ks_shortdesc(KernelMemory km, long t) { return km.load64(t + ks_shortdesc$OFFSET); }
    public static void ks_shortdesc(KernelMemory km, long t, long v) { km.store64(t + ks_shortdesc$OFFSET, v); }

    /** The string {@code ks_shortdesc} points to. */
    public static String shortdesc(KernelMemory km, long t) {
        return km.loadString(ks_shortdesc(km, t), SHORTDESC_MAX);
    }

    public static long ks_objsize(KernelMemory km, long t) { return km.load64(t + ks_objsize$OFFSET); }
    public static void ks_objsize(KernelMemory km, long t, long v) { km.store64(t + ks_objsize$OFFSET, v); }

    public static long ks_use(KernelMemory km, long t) { return km.load64(t + ks_use$OFFSET); }
    public static void ks_use(KernelMemory km, long t, long v) { km.store64(t + ks_use$OFFSET, v); }

    /** {@code &type->ks_use[cpu]}. */
    public static long ks_use(KernelMemory km, long t, int cpu) {
        return ks_use(km, t) + cpu * StructKmallocUse.SIZEOF;
    }

    /** {@code &type->ks_use0}. */
    public static long ks_use0(long t) { return t + ks_use0$OFFSET; }

    /** {@code &type->ks_mgt}: the per-zone (global) slab management, the "ggm". */
    public static long ks_mgt(long t) { return t + ks_mgt$OFFSET; }
}
