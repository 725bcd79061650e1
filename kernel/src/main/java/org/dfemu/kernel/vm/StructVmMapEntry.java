package org.dfemu.kernel.vm;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.Queue;
import org.dfemu.kernel.sys.Tree;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_CHAR;
import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_LONG;
import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * View of {@code struct vm_map_entry} with its embedded {@code struct vm_map_backing}, and the
 * map-entry constants, DragonFly's sys/vm/vm_map.h at commit 737b020b54 (2021-05-28).
 *
 * <pre>
 * struct vm_map_backing {           // (embedded at entry offset 40 as entry->ba)
 *     vm_offset_t start, end;       //  0,  8  range in the pmap
 *     struct pmap *pmap;            // 16
 *     struct vm_map_backing *backing_ba; // 24
 *     TAILQ_ENTRY(vm_map_backing) entry; // 32  in object->backing_list
 *     union { struct vm_object *object; struct vm_map *sub_map; ...; void *map_object; }; // 48
 *     void *aux_info;               // 56
 *     vm_ooffset_t offset;          // 64
 *     uint32_t flags;               // 72
 *     uint32_t backing_count;       // 76
 * };                                // sizeof 80
 *
 * struct vm_map_entry {
 *     RB_ENTRY(vm_map_entry) rb_entry;  //   0  (rbe_left doubles as MAPENT_FREELIST)
 *     union vm_map_aux aux;             //  32
 *     struct vm_map_backing ba;         //  40
 *     vm_eflags_t eflags;               // 120
 *     vm_maptype_t maptype;             // 124  (u_char)
 *     vm_prot_t protection;             // 125
 *     vm_prot_t max_protection;         // 126
 *     vm_inherit_t inheritance;         // 127
 *     int wired_count;                  // 128
 *     vm_subsys_t id;                   // 132
 * };                                    // sizeof 136
 * </pre>
 */
public final class StructVmMapEntry {
    private StructVmMapEntry() {}

    public static final long SIZEOF = 136;
    public static final long SIZEOF_BACKING = 80;

    // eflags
    public static final int MAP_ENTRY_NOSYNC = 0x0001;
    public static final int MAP_ENTRY_STACK = 0x0002;
    public static final int MAP_ENTRY_COW = 0x0004;
    public static final int MAP_ENTRY_NEEDS_COPY = 0x0008;
    public static final int MAP_ENTRY_NOFAULT = 0x0010;
    public static final int MAP_ENTRY_USER_WIRED = 0x0020;
    public static final int MAP_ENTRY_IN_TRANSITION = 0x0100;
    public static final int MAP_ENTRY_NEEDS_WAKEUP = 0x0200;
    public static final int MAP_ENTRY_NOCOREDUMP = 0x0400;
    public static final int MAP_ENTRY_KSTACK = 0x0800;

    // vm_maptype_t (vm.h)
    public static final int VM_MAPTYPE_UNSPECIFIED = 0;
    public static final int VM_MAPTYPE_NORMAL = 1;
    public static final int VM_MAPTYPE_VPAGETABLE = 2;
    public static final int VM_MAPTYPE_SUBMAP = 3;
    public static final int VM_MAPTYPE_UKSMAP = 4;

    // vm_inherit_t (vm_inherit.h)
    public static final int VM_INHERIT_SHARE = 0;
    public static final int VM_INHERIT_COPY = 1;
    public static final int VM_INHERIT_NONE = 2;
    public static final int VM_INHERIT_DEFAULT = VM_INHERIT_COPY;

    // vm_subsys_t
    public static final int VM_SUBSYS_UNKNOWN = 0;
    public static final int VM_SUBSYS_KMALLOC = 1;
    public static final int VM_SUBSYS_STACK = 2;
    public static final int VM_SUBSYS_IMGACT = 3;
    public static final int VM_SUBSYS_EFI = 4;
    public static final int VM_SUBSYS_RESERVED = 5;
    public static final int VM_SUBSYS_INIT = 6;
    public static final int VM_SUBSYS_PIPE = 7;
    public static final int VM_SUBSYS_PROC = 8;
    public static final int VM_SUBSYS_SHMEM = 9;
    public static final int VM_SUBSYS_SYSMAP = 10;
    public static final int VM_SUBSYS_MMAP = 11;
    public static final int VM_SUBSYS_BRK = 12;
    public static final int VM_SUBSYS_BOGUS = 13;
    public static final int VM_SUBSYS_BUF = 14;
    public static final int VM_SUBSYS_BUFDATA = 15;
    public static final int VM_SUBSYS_GD = 16;
    public static final int VM_SUBSYS_IPIQ = 17;
    public static final int VM_SUBSYS_PVENTRY = 18;
    public static final int VM_SUBSYS_PML4 = 19;
    public static final int VM_SUBSYS_MAPDEV = 20;
    public static final int VM_SUBSYS_ZALLOC = 21;

    /** vm_map_entry_reserve() count covering any single insertion, clipping included. */
    public static final int MAP_RESERVE_COUNT = 4;
    public static final int MAP_RESERVE_SLOP = 512;
    public static final int MAP_RESERVE_HYST = MAP_RESERVE_SLOP - MAP_RESERVE_SLOP / 8;

    private static final StructLayout BACKING = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_LONG.withName("start"),
            C_LONG.withName("end"),
            C_POINTER.withName("pmap"),
            C_POINTER.withName("backing_ba"),
            Queue.TAILQ_ENTRY.withName("entry"),
            C_POINTER.withName("object"),
            C_POINTER.withName("aux_info"),
            C_LONG.withName("offset"),
            C_INT.withName("flags"),
            C_INT.withName("backing_count")).withName("vm_map_backing"), SIZEOF_BACKING);

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            Tree.RB_ENTRY.withName("rb_entry"),
            C_LONG.withName("aux"),
            BACKING.withName("ba"),
            C_INT.withName("eflags"),
            C_CHAR.withName("maptype"),
            C_CHAR.withName("protection"),
            C_CHAR.withName("max_protection"),
            C_CHAR.withName("inheritance"),
            C_INT.withName("wired_count"),
            C_INT.withName("id")).withName("vm_map_entry"), SIZEOF);

    public static final long rb_entry$OFFSET = Ctypes.offset(LAYOUT, "rb_entry");
    public static final long aux$OFFSET = Ctypes.offset(LAYOUT, "aux");
    public static final long ba$OFFSET = Ctypes.offset(LAYOUT, "ba");
    public static final long eflags$OFFSET = Ctypes.offset(LAYOUT, "eflags");
    public static final long maptype$OFFSET = Ctypes.offset(LAYOUT, "maptype");
    public static final long protection$OFFSET = Ctypes.offset(LAYOUT, "protection");
    public static final long max_protection$OFFSET = Ctypes.offset(LAYOUT, "max_protection");
    public static final long inheritance$OFFSET = Ctypes.offset(LAYOUT, "inheritance");
    public static final long wired_count$OFFSET = Ctypes.offset(LAYOUT, "wired_count");
    public static final long id$OFFSET = Ctypes.offset(LAYOUT, "id");

    /** Offsets within {@code struct vm_map_backing}. */
    public static final long ba_start$OFFSET = Ctypes.offset(BACKING, "start");
    public static final long ba_end$OFFSET = Ctypes.offset(BACKING, "end");
    public static final long ba_pmap$OFFSET = Ctypes.offset(BACKING, "pmap");
    public static final long ba_backing_ba$OFFSET = Ctypes.offset(BACKING, "backing_ba");
    public static final long ba_entry$OFFSET = Ctypes.offset(BACKING, "entry");
    public static final long ba_object$OFFSET = Ctypes.offset(BACKING, "object");
    public static final long ba_aux_info$OFFSET = Ctypes.offset(BACKING, "aux_info");
    public static final long ba_offset$OFFSET = Ctypes.offset(BACKING, "offset");
    public static final long ba_flags$OFFSET = Ctypes.offset(BACKING, "flags");
    public static final long ba_backing_count$OFFSET = Ctypes.offset(BACKING, "backing_count");

    public static StructLayout layout() { return LAYOUT; }

    public static StructLayout backingLayout() { return BACKING; }

    /** {@code &entry->ba}. */
    public static long ba(long e) { return e + ba$OFFSET; }

    /** {@code MAPENT_FREELIST(entry)}: the free-list link, which is {@code rb_entry.rbe_left}. */
    public static long mapentFreelist(KernelMemory km, long e) { return km.load64(e + rb_entry$OFFSET); }
    public static void mapentFreelist(KernelMemory km, long e, long v) { km.store64(e + rb_entry$OFFSET, v); }

    // ---- vm_map_backing fields, by backing address ----------------------------------------
    public static long ba_start(KernelMemory km, long ba) { return km.load64(ba + ba_start$OFFSET); }
    public static void ba_start(KernelMemory km, long ba, long v) { km.store64(ba + ba_start$OFFSET, v); }
    public static long ba_end(KernelMemory km, long ba) { return km.load64(ba + ba_end$OFFSET); }
    public static void ba_end(KernelMemory km, long ba, long v) { km.store64(ba + ba_end$OFFSET, v); }
    public static long ba_pmap(KernelMemory km, long ba) { return km.load64(ba + ba_pmap$OFFSET); }
    public static void ba_pmap(KernelMemory km, long ba, long v) { km.store64(ba + ba_pmap$OFFSET, v); }
    public static long ba_backing_ba(KernelMemory km, long ba) { return km.load64(ba + ba_backing_ba$OFFSET); }
    public static void ba_backing_ba(KernelMemory km, long ba, long v) { km.store64(ba + ba_backing_ba$OFFSET, v); }
    public static long ba_object(KernelMemory km, long ba) { return km.load64(ba + ba_object$OFFSET); }
    public static void ba_object(KernelMemory km, long ba, long v) { km.store64(ba + ba_object$OFFSET, v); }
    public static void ba_aux_info(KernelMemory km, long ba, long v) { km.store64(ba + ba_aux_info$OFFSET, v); }
    public static long ba_offset(KernelMemory km, long ba) { return km.load64(ba + ba_offset$OFFSET); }
    public static void ba_offset(KernelMemory km, long ba, long v) { km.store64(ba + ba_offset$OFFSET, v); }
    public static void ba_flags(KernelMemory km, long ba, int v) { km.store32(ba + ba_flags$OFFSET, v); }
    public static int ba_backing_count(KernelMemory km, long ba) { return km.load32(ba + ba_backing_count$OFFSET); }
    public static void ba_backing_count(KernelMemory km, long ba, int v) { km.store32(ba + ba_backing_count$OFFSET, v); }

    // ---- entry fields ------------------------------------------------------------------------
    public static long start(KernelMemory km, long e) { return ba_start(km, ba(e)); }
    public static long end(KernelMemory km, long e) { return ba_end(km, ba(e)); }
    public static long object(KernelMemory km, long e) { return ba_object(km, ba(e)); }
    public static long offset(KernelMemory km, long e) { return ba_offset(km, ba(e)); }

    public static void aux(KernelMemory km, long e, long v) { km.store64(e + aux$OFFSET, v); }

    public static int eflags(KernelMemory km, long e) { return km.load32(e + eflags$OFFSET); }
    public static void eflags(KernelMemory km, long e, int v) { km.store32(e + eflags$OFFSET, v); }

    public static int maptype(KernelMemory km, long e) { return km.load8(e + maptype$OFFSET); }
    public static void maptype(KernelMemory km, long e, int v) { km.store8(e + maptype$OFFSET, v); }

    public static int protection(KernelMemory km, long e) { return km.load8(e + protection$OFFSET); }
    public static void protection(KernelMemory km, long e, int v) { km.store8(e + protection$OFFSET, v); }

    public static int max_protection(KernelMemory km, long e) { return km.load8(e + max_protection$OFFSET); }
    public static void max_protection(KernelMemory km, long e, int v) { km.store8(e + max_protection$OFFSET, v); }

    public static int inheritance(KernelMemory km, long e) { return km.load8(e + inheritance$OFFSET); }
    public static void inheritance(KernelMemory km, long e, int v) { km.store8(e + inheritance$OFFSET, v); }

    public static int wired_count(KernelMemory km, long e) { return km.load32(e + wired_count$OFFSET); }
    public static void wired_count(KernelMemory km, long e, int v) { km.store32(e + wired_count$OFFSET, v); }

    public static int id(KernelMemory km, long e) { return km.load32(e + id$OFFSET); }
    public static void id(KernelMemory km, long e, int v) { km.store32(e + id$OFFSET, v); }
}
