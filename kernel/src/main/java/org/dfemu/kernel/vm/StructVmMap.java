package org.dfemu.kernel.vm;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.StructLock;
import org.dfemu.kernel.sys.StructSpinlock;
import org.dfemu.kernel.sys.Tree;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_CHAR;
import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_LONG;
import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * View of {@code struct vm_map}, DragonFly's sys/vm/vm_map.h at commit 737b020b54 (2021-05-28).
 *
 * <pre>
 * struct vm_map_freehint { vm_offset_t start, length, align; int unused01; };  // 32 bytes
 *
 * struct vm_map {
 *     struct lock lock;                 //   0  lock for map data (lockmgr)
 *     struct vm_map_rb_tree rb_root;    //  32  map entries by address
 *     vm_offset_t min_addr;             //  56
 *     vm_offset_t max_addr;             //  64
 *     int nentries;                     //  72
 *     unsigned int timestamp;           //  76  version number
 *     vm_size_t size;                   //  80  virtual size
 *     u_char system_map;                //  88
 *     u_char freehint_newindex;         //  89
 *     u_char unused02, unused03;        //  90
 *     vm_flags_t flags;                 //  92
 *     vm_map_freehint_t freehint[VM_MAP_FFCOUNT]; // 96
 *     struct pmap *pmap;                // 224  physical map
 *     struct vm_map_ilock *ilock_base;  // 232
 *     struct spinlock ilock_spin;       // 240
 *     struct lwkt_token token;          // 248  soft serializer
 *     vm_offset_t pgout_offset;         // 280
 * };                                    // sizeof 288
 * </pre>
 */
public final class StructVmMap {
    private StructVmMap() {}

    public static final long SIZEOF = 288;

    public static final int VM_MAP_FFCOUNT = 4;
    public static final int VM_MAP_FFMASK = VM_MAP_FFCOUNT - 1;

    private static final StructLayout FREEHINT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_LONG.withName("start"),
            C_LONG.withName("length"),
            C_LONG.withName("align"),
            C_INT.withName("unused01"),
            Ctypes.pad(4)).withName("vm_map_freehint"), 32);

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            StructLock.layout().withName("lock"),
            Tree.RB_HEAD.withName("rb_root"),
            C_LONG.withName("min_addr"),
            C_LONG.withName("max_addr"),
            C_INT.withName("nentries"),
            C_INT.withName("timestamp"),
            C_LONG.withName("size"),
            C_CHAR.withName("system_map"),
            C_CHAR.withName("freehint_newindex"),
            C_CHAR.withName("unused02"),
            C_CHAR.withName("unused03"),
            C_INT.withName("flags"),
            MemoryLayout.sequenceLayout(VM_MAP_FFCOUNT, FREEHINT).withName("freehint"),
            C_POINTER.withName("pmap"),
            C_POINTER.withName("ilock_base"),
            StructSpinlock.layout().withName("ilock_spin"),
            MemoryLayout.structLayout(
                    C_LONG.withName("t_count"),
                    C_POINTER.withName("t_ref"),
                    C_LONG.withName("t_collisions"),
                    C_POINTER.withName("t_desc")).withName("token"),
            C_LONG.withName("pgout_offset")).withName("vm_map"), SIZEOF);

    public static final long lock$OFFSET = Ctypes.offset(LAYOUT, "lock");
    public static final long rb_root$OFFSET = Ctypes.offset(LAYOUT, "rb_root");
    public static final long min_addr$OFFSET = Ctypes.offset(LAYOUT, "min_addr");
    public static final long max_addr$OFFSET = Ctypes.offset(LAYOUT, "max_addr");
    public static final long nentries$OFFSET = Ctypes.offset(LAYOUT, "nentries");
    public static final long timestamp$OFFSET = Ctypes.offset(LAYOUT, "timestamp");
    public static final long size$OFFSET = Ctypes.offset(LAYOUT, "size");
    public static final long system_map$OFFSET = Ctypes.offset(LAYOUT, "system_map");
    public static final long freehint_newindex$OFFSET = Ctypes.offset(LAYOUT, "freehint_newindex");
    public static final long flags$OFFSET = Ctypes.offset(LAYOUT, "flags");
    public static final long freehint$OFFSET = Ctypes.offset(LAYOUT, "freehint");
    public static final long pmap$OFFSET = Ctypes.offset(LAYOUT, "pmap");
    public static final long ilock_spin$OFFSET = Ctypes.offset(LAYOUT, "ilock_spin");

    public static final long FREEHINT_SIZEOF = FREEHINT.byteSize();
    public static final long fh_start$OFFSET = Ctypes.offset(FREEHINT, "start");
    public static final long fh_length$OFFSET = Ctypes.offset(FREEHINT, "length");
    public static final long fh_align$OFFSET = Ctypes.offset(FREEHINT, "align");

    public static StructLayout layout() { return LAYOUT; }

    /** {@code &map->lock}. */
    public static long lock(long map) { return map + lock$OFFSET; }

    /** {@code &map->rb_root}. */
    public static long rb_root(long map) { return map + rb_root$OFFSET; }

    /** {@code &map->freehint[i]}. */
    public static long freehint(long map, int i) { return map + freehint$OFFSET + i * FREEHINT_SIZEOF; }

    public static long min_addr(KernelMemory km, long map) { return km.load64(map + min_addr$OFFSET); }
    public static void min_addr(KernelMemory km, long map, long v) { km.store64(map + min_addr$OFFSET, v); }

    public static long max_addr(KernelMemory km, long map) { return km.load64(map + max_addr$OFFSET); }
    public static void max_addr(KernelMemory km, long map, long v) { km.store64(map + max_addr$OFFSET, v); }

    public static int nentries(KernelMemory km, long map) { return km.load32(map + nentries$OFFSET); }
    public static void nentries(KernelMemory km, long map, int v) { km.store32(map + nentries$OFFSET, v); }

    public static int timestamp(KernelMemory km, long map) { return km.load32(map + timestamp$OFFSET); }
    public static void timestamp(KernelMemory km, long map, int v) { km.store32(map + timestamp$OFFSET, v); }

    public static long size(KernelMemory km, long map) { return km.load64(map + size$OFFSET); }
    public static void size(KernelMemory km, long map, long v) { km.store64(map + size$OFFSET, v); }

    public static int system_map(KernelMemory km, long map) { return km.load8(map + system_map$OFFSET); }
    public static void system_map(KernelMemory km, long map, int v) { km.store8(map + system_map$OFFSET, v); }

    public static int freehint_newindex(KernelMemory km, long map) { return km.load8(map + freehint_newindex$OFFSET); }
    public static void freehint_newindex(KernelMemory km, long map, int v) { km.store8(map + freehint_newindex$OFFSET, v); }

    /** vm_map.h map->flags: wire all future pages (mlockall MCL_FUTURE). */
    public static final int MAP_WIREFUTURE = 0x0001;

    public static int flags(KernelMemory km, long map) { return km.load32(map + flags$OFFSET); }
    public static void flags(KernelMemory km, long map, int v) { km.store32(map + flags$OFFSET, v); }

    public static long pmap(KernelMemory km, long map) { return km.load64(map + pmap$OFFSET); }
    public static void pmap(KernelMemory km, long map, long v) { km.store64(map + pmap$OFFSET, v); }
}
