package org.dfemu.kernel.kern;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.Queue;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_CHAR;
import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * View of {@code struct objcache_desc}, DragonFly's sys/kern/kern_objcache.c at commit 737b020b54
 * (2021-05-28): the rarely used part of an objcache, on the {@code allobjcaches} list.
 *
 * <pre>
 * struct objcache_desc {
 *     LIST_ENTRY(objcache_desc) next;        //  0  allobjcaches
 *     struct objcache *objcache;             // 16
 *     int    total_objects;                  // 24  the limit, with the magazines' slack
 *     int    reserved;                       // 28
 *     char   name[OBJCACHE_NAMELEN];         // 32
 * };                                         // sizeof 64
 * </pre>
 */
public final class StructObjcacheDesc {
    private StructObjcacheDesc() {}

    public static final long SIZEOF = 64;
    /** {@code OBJCACHE_NAMELEN} (sys/objcache.h). */
    public static final int OBJCACHE_NAMELEN = 32;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            Queue.LIST_ENTRY.withName("next"),
            C_POINTER.withName("objcache"),
            C_INT.withName("total_objects"),
            C_INT.withName("reserved"),
            MemoryLayout.sequenceLayout(OBJCACHE_NAMELEN, C_CHAR).withName("name")).withName("objcache_desc"), SIZEOF);

    public static final long next$OFFSET = Ctypes.offset(LAYOUT, "next");
    public static final long objcache$OFFSET = Ctypes.offset(LAYOUT, "objcache");
    public static final long total_objects$OFFSET = Ctypes.offset(LAYOUT, "total_objects");
    public static final long name$OFFSET = Ctypes.offset(LAYOUT, "name");

    public static StructLayout layout() { return LAYOUT; }

    public static long objcache(KernelMemory km, long desc) { return km.load64(desc + objcache$OFFSET); }
    public static void objcache(KernelMemory km, long desc, long oc) { km.store64(desc + objcache$OFFSET, oc); }

    public static int total_objects(KernelMemory km, long desc) { return km.load32(desc + total_objects$OFFSET); }
    public static void total_objects(KernelMemory km, long desc, int v) { km.store32(desc + total_objects$OFFSET, v); }

    public static String name(KernelMemory km, long desc) { return km.loadString(desc + name$OFFSET, OBJCACHE_NAMELEN); }
    /** {@code strlcpy(desc->name, name, sizeof(desc->name))}. */
    public static void name(KernelMemory km, long desc, String name) { km.storeString(desc + name$OFFSET, name, OBJCACHE_NAMELEN); }
}
