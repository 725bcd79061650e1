package org.dfemu.kernel.sys;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_LONG;
import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * View of {@code struct objcache_malloc_args}, DragonFly's sys/sys/objcache.h at commit
 * 737b020b54 (2021-05-28): the allocator argument of an objcache backed by kmalloc.
 *
 * <pre>
 * struct objcache_malloc_args {
 *     size_t        objsize;   // 0
 *     malloc_type_t mtype;     // 8
 * };                           // sizeof 16
 * </pre>
 */
public final class StructObjcacheMallocArgs {
    private StructObjcacheMallocArgs() {}

    public static final long SIZEOF = 16;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_LONG.withName("objsize"),
            C_POINTER.withName("mtype")).withName("objcache_malloc_args"), SIZEOF);

    public static final long objsize$OFFSET = Ctypes.offset(LAYOUT, "objsize");
    public static final long mtype$OFFSET = Ctypes.offset(LAYOUT, "mtype");

    public static StructLayout layout() { return LAYOUT; }

    public static long objsize(KernelMemory km, long margs) { return km.load64(margs + objsize$OFFSET); }
    public static void objsize(KernelMemory km, long margs, long v) { km.store64(margs + objsize$OFFSET, v); }

    public static long mtype(KernelMemory km, long margs) { return km.load64(margs + mtype$OFFSET); }
    public static void mtype(KernelMemory km, long margs, long v) { km.store64(margs + mtype$OFFSET, v); }
}
