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
import static org.dfemu.kernel.Ctypes.C_SHORT;

/**
 * View of {@code struct vm_object}, DragonFly's sys/vm/vm_object.h at commit 737b020b54
 * (2021-05-28), with the full C layout (offsets hand-computed for LP64) and accessors for the
 * fields the vm_page code uses; the vm_object port adds the rest.
 *
 * <pre>
 * struct vm_object {
 *     struct lwkt_token token;            //   0  (32)
 *     struct lock backing_lk;             //  32  (32)
 *     TAILQ_ENTRY(vm_object) object_entry;//  64
 *     TAILQ_HEAD(, vm_map_backing) backing_list; // 80
 *     struct vm_page_rb_tree rb_memq;     //  96  resident pages, by pindex
 *     int generation;                     // 120
 *     vm_pindex_t size;                   // 128
 *     int ref_count;                      // 136
 *     vm_memattr_t memattr;               // 140  (char)
 *     objtype_t type;                     // 141  (u_char)
 *     u_short flags;                      // 142
 *     u_short pg_color;                   // 144
 *     u_int paging_in_progress;           // 148
 *     long resident_page_count;           // 152
 *     TAILQ_ENTRY(vm_object) pager_object_entry; // 160
 *     void *handle;                       // 176
 *     int hold_count;                     // 184
 *     union { struct { TAILQ_HEAD devp_pglist; ops; dev; } devp; } un_pager; // 192
 *     struct swblock_rb_tree swblock_root;// 224
 *     long swblock_count;                 // 248
 *     struct md_object md;                // 256  { void *dummy_unused; }
 * };                                      // sizeof 264
 * </pre>
 */
public final class StructVmObject {
    private StructVmObject() {}

    public static final long SIZEOF = 264;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            MemoryLayout.structLayout(
                    C_LONG.withName("t_count"),
                    C_POINTER.withName("t_ref"),
                    C_LONG.withName("t_collisions"),
                    C_POINTER.withName("t_desc")).withName("token"),
            MemoryLayout.structLayout(
                    C_INT.withName("lk_flags"),
                    C_INT.withName("lk_timo"),
                    C_LONG.withName("lk_count"),
                    C_POINTER.withName("lk_wmesg"),
                    C_POINTER.withName("lk_lockholder")).withName("backing_lk"),
            Queue.TAILQ_ENTRY.withName("object_entry"),
            Queue.TAILQ_HEAD.withName("backing_list"),
            Tree.RB_HEAD.withName("rb_memq"),
            C_INT.withName("generation"),
            Ctypes.pad(4),
            C_LONG.withName("size"),
            C_INT.withName("ref_count"),
            C_CHAR.withName("memattr"),
            C_CHAR.withName("type"),
            C_SHORT.withName("flags"),
            C_SHORT.withName("pg_color"),
            Ctypes.pad(2),
            C_INT.withName("paging_in_progress"),
            C_LONG.withName("resident_page_count"),
            Queue.TAILQ_ENTRY.withName("pager_object_entry"),
            C_POINTER.withName("handle"),
            C_INT.withName("hold_count"),
            Ctypes.pad(4),
            MemoryLayout.structLayout(
                    Queue.TAILQ_HEAD.withName("devp_pglist"),
                    C_POINTER.withName("ops"),
                    C_POINTER.withName("dev")).withName("un_pager"),
            Tree.RB_HEAD.withName("swblock_root"),
            C_LONG.withName("swblock_count"),
            C_POINTER.withName("md")).withName("vm_object"), SIZEOF);

    public static final long token$OFFSET = Ctypes.offset(LAYOUT, "token");
    public static final long backing_lk$OFFSET = Ctypes.offset(LAYOUT, "backing_lk");
    public static final long object_entry$OFFSET = Ctypes.offset(LAYOUT, "object_entry");
    public static final long backing_list$OFFSET = Ctypes.offset(LAYOUT, "backing_list");
    public static final long rb_memq$OFFSET = Ctypes.offset(LAYOUT, "rb_memq");
    public static final long generation$OFFSET = Ctypes.offset(LAYOUT, "generation");
    public static final long size$OFFSET = Ctypes.offset(LAYOUT, "size");
    public static final long ref_count$OFFSET = Ctypes.offset(LAYOUT, "ref_count");
    public static final long memattr$OFFSET = Ctypes.offset(LAYOUT, "memattr");
    public static final long type$OFFSET = Ctypes.offset(LAYOUT, "type");
    public static final long flags$OFFSET = Ctypes.offset(LAYOUT, "flags");
    public static final long pg_color$OFFSET = Ctypes.offset(LAYOUT, "pg_color");
    public static final long paging_in_progress$OFFSET = Ctypes.offset(LAYOUT, "paging_in_progress");
    public static final long resident_page_count$OFFSET = Ctypes.offset(LAYOUT, "resident_page_count");
    public static final long pager_object_entry$OFFSET = Ctypes.offset(LAYOUT, "pager_object_entry");
    public static final long handle$OFFSET = Ctypes.offset(LAYOUT, "handle");
    public static final long hold_count$OFFSET = Ctypes.offset(LAYOUT, "hold_count");
    public static final long un_pager$OFFSET = Ctypes.offset(LAYOUT, "un_pager");
    public static final long swblock_root$OFFSET = Ctypes.offset(LAYOUT, "swblock_root");
    public static final long swblock_count$OFFSET = Ctypes.offset(LAYOUT, "swblock_count");
    public static final long md$OFFSET = Ctypes.offset(LAYOUT, "md");

    public static StructLayout layout() { return LAYOUT; }

    // enum obj_type
    public static final int OBJT_DEFAULT = 0;
    public static final int OBJT_SWAP = 1;
    public static final int OBJT_VNODE = 2;
    public static final int OBJT_DEVICE = 3;
    public static final int OBJT_MGTDEVICE = 4;
    public static final int OBJT_PHYS = 5;
    public static final int OBJT_DEAD = 6;
    public static final int OBJT_MARKER = 7;

    // flags
    public static final int OBJ_ACTIVE = 0x0004;
    public static final int OBJ_DEAD = 0x0008;
    public static final int OBJ_NOSPLIT = 0x0010;
    public static final int OBJ_NOPAGEIN = 0x0040;
    public static final int OBJ_WRITEABLE = 0x0080;
    public static final int OBJ_MIGHTBEDIRTY = 0x0100;
    public static final int OBJ_CLEANING = 0x0200;
    public static final int OBJ_DEADWNT = 0x1000;
    public static final int OBJ_ONEMAPPING = 0x2000;
    public static final int OBJ_NOMSYNC = 0x4000;

    /** {@code &object->rb_memq}: the head of the object's resident-page tree. */
    public static long rb_memq(long object) { return object + rb_memq$OFFSET; }

    public static int generation(KernelMemory km, long o) { return km.load32(o + generation$OFFSET); }
    public static void generation(KernelMemory km, long o, int v) { km.store32(o + generation$OFFSET, v); }

    public static long size(KernelMemory km, long o) { return km.load64(o + size$OFFSET); }
    public static void size(KernelMemory km, long o, long v) { km.store64(o + size$OFFSET, v); }

    public static int ref_count(KernelMemory km, long o) { return km.load32(o + ref_count$OFFSET); }
    public static void ref_count(KernelMemory km, long o, int v) { km.store32(o + ref_count$OFFSET, v); }

    public static int type(KernelMemory km, long o) { return km.load8(o + type$OFFSET); }
    public static void type(KernelMemory km, long o, int v) { km.store8(o + type$OFFSET, v); }

    public static int flags(KernelMemory km, long o) { return km.load16(o + flags$OFFSET); }
    public static void flags(KernelMemory km, long o, int v) { km.store16(o + flags$OFFSET, v); }

    public static int pg_color(KernelMemory km, long o) { return km.load16(o + pg_color$OFFSET); }
    public static void pg_color(KernelMemory km, long o, int v) { km.store16(o + pg_color$OFFSET, v); }

    public static long resident_page_count(KernelMemory km, long o) { return km.load64(o + resident_page_count$OFFSET); }
    public static void resident_page_count(KernelMemory km, long o, long v) { km.store64(o + resident_page_count$OFFSET, v); }

    public static long handle(KernelMemory km, long o) { return km.load64(o + handle$OFFSET); }
    public static void handle(KernelMemory km, long o, long v) { km.store64(o + handle$OFFSET, v); }

    public static int hold_count(KernelMemory km, long o) { return km.load32(o + hold_count$OFFSET); }
    public static void hold_count(KernelMemory km, long o, int v) { km.store32(o + hold_count$OFFSET, v); }

    public static long swblock_count(KernelMemory km, long o) { return km.load64(o + swblock_count$OFFSET); }
    public static void swblock_count(KernelMemory km, long o, long v) { km.store64(o + swblock_count$OFFSET, v); }
}
