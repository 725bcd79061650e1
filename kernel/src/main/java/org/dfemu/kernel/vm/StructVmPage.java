package org.dfemu.kernel.vm;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.Queue;
import org.dfemu.kernel.sys.StructSpinlock;
import org.dfemu.kernel.sys.Tree;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_CHAR;
import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_LONG;
import static org.dfemu.kernel.Ctypes.C_POINTER;
import static org.dfemu.kernel.Ctypes.C_SHORT;

/**
 * View of {@code struct vm_page} and its flag words, DragonFly's sys/vm/vm_page.h at commit
 * 737b020b54 (2021-05-28). One exists per physical page, in the vm_page_array carved out of RAM
 * by vm_page_startup().
 *
 * <pre>
 * struct vm_page {
 *     TAILQ_ENTRY(vm_page) pageq;    //   0  vm_page_queues[] list
 *     RB_ENTRY(vm_page) rb_entry;    //  16  red-black tree based at object
 *     struct spinlock spin;          //  48
 *     struct md_page md;             //  56  { long interlock_count, writeable_count_unused }
 *     uint32_t wire_count;           //  72
 *     uint32_t busy_count;           //  76  soft-busy count | PBUSY_* bits
 *     int      hold_count;           //  80
 *     int      ku_pagecnt;           //  84
 *     struct vm_object *object;      //  88
 *     vm_pindex_t pindex;            //  96
 *     vm_paddr_t phys_addr;          // 104
 *     uint16_t queue;                // 112  page queue index (PQ_NONE or base + pc)
 *     uint16_t pc;                   // 114  page color
 *     uint8_t  act_count;            // 116
 *     uint8_t  pat_mode;             // 117
 *     uint8_t  valid;                // 118  map of valid DEV_BSIZE chunks
 *     uint8_t  dirty;                // 119
 *     uint32_t flags;                // 120  PG_*
 *     int      unused01;             // 124
 * };                                 // sizeof 128
 * </pre>
 *
 * Locking rules are vm_page.h's: the page must be hard-busied to change object/pindex, valid, a
 * wire_count transition to or from 0, or to clear PG_MAPPED/PG_WRITEABLE; queue moves need the
 * page spinlock and then the queue spinlock.
 */
public final class StructVmPage {
    private StructVmPage() {}

    public static final long SIZEOF = 128;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            Queue.TAILQ_ENTRY.withName("pageq"),
            Tree.RB_ENTRY.withName("rb_entry"),
            StructSpinlock.layout().withName("spin"),
            MemoryLayout.structLayout(
                    C_LONG.withName("interlock_count"),
                    C_LONG.withName("writeable_count_unused")).withName("md"),
            C_INT.withName("wire_count"),
            C_INT.withName("busy_count"),
            C_INT.withName("hold_count"),
            C_INT.withName("ku_pagecnt"),
            C_POINTER.withName("object"),
            C_LONG.withName("pindex"),
            C_LONG.withName("phys_addr"),
            C_SHORT.withName("queue"),
            C_SHORT.withName("pc"),
            C_CHAR.withName("act_count"),
            C_CHAR.withName("pat_mode"),
            C_CHAR.withName("valid"),
            C_CHAR.withName("dirty"),
            C_INT.withName("flags"),
            C_INT.withName("unused01")).withName("vm_page"), SIZEOF);

    public static final long pageq$OFFSET = Ctypes.offset(LAYOUT, "pageq");
    public static final long rb_entry$OFFSET = Ctypes.offset(LAYOUT, "rb_entry");
    public static final long spin$OFFSET = Ctypes.offset(LAYOUT, "spin");
    public static final long md$OFFSET = Ctypes.offset(LAYOUT, "md");
    public static final long wire_count$OFFSET = Ctypes.offset(LAYOUT, "wire_count");
    public static final long busy_count$OFFSET = Ctypes.offset(LAYOUT, "busy_count");
    public static final long hold_count$OFFSET = Ctypes.offset(LAYOUT, "hold_count");
    public static final long ku_pagecnt$OFFSET = Ctypes.offset(LAYOUT, "ku_pagecnt");
    public static final long object$OFFSET = Ctypes.offset(LAYOUT, "object");
    public static final long pindex$OFFSET = Ctypes.offset(LAYOUT, "pindex");
    public static final long phys_addr$OFFSET = Ctypes.offset(LAYOUT, "phys_addr");
    public static final long queue$OFFSET = Ctypes.offset(LAYOUT, "queue");
    public static final long pc$OFFSET = Ctypes.offset(LAYOUT, "pc");
    public static final long act_count$OFFSET = Ctypes.offset(LAYOUT, "act_count");
    public static final long pat_mode$OFFSET = Ctypes.offset(LAYOUT, "pat_mode");
    public static final long valid$OFFSET = Ctypes.offset(LAYOUT, "valid");
    public static final long dirty$OFFSET = Ctypes.offset(LAYOUT, "dirty");
    public static final long flags$OFFSET = Ctypes.offset(LAYOUT, "flags");

    public static StructLayout layout() { return LAYOUT; }

    // ---- busy_count bits -------------------------------------------------------------------
    public static final int PBUSY_LOCKED = 0x80000000;
    public static final int PBUSY_WANTED = 0x40000000;
    public static final int PBUSY_SWAPINPROG = 0x20000000;
    public static final int PBUSY_MASK = 0x1FFFFFFF;

    // ---- flags ---------------------------------------------------------------------------
    public static final int PG_WINATCFLS = 0x00000004;
    public static final int PG_FICTITIOUS = 0x00000008;
    public static final int PG_WRITEABLE = 0x00000010;
    public static final int PG_MAPPED = 0x00000020;
    public static final int PG_MAPPEDMULTI = 0x00000040;
    public static final int PG_REFERENCED = 0x00000080;
    public static final int PG_CLEANCHK = 0x00000100;
    public static final int PG_NOSYNC = 0x00000400;
    public static final int PG_UNQUEUED = 0x00000800;
    public static final int PG_MARKER = 0x00001000;
    public static final int PG_RAM = 0x00002000;
    public static final int PG_SWAPPED = 0x00004000;
    public static final int PG_NOTMETA = 0x00008000;
    public static final int PG_NEED_COMMIT = 0x00040000;
    /** Flags vm_page_alloc() keeps on a new page (none). */
    public static final int PG_KEEP_NEWPAGE_MASK = 0;

    // ---- act_count -----------------------------------------------------------------------
    public static final int ACT_DECLINE = 1;
    public static final int ACT_ADVANCE = 3;
    public static final int ACT_INIT = 5;
    public static final int ACT_MAX = 64;

    /** All DEV_BSIZE chunks of a 4 KiB page valid/dirty. */
    public static final int VM_PAGE_BITS_ALL = 0xff;

    /** x86 PAT index for write-back memory (PAT_WRITE_BACK), the default pat_mode. */
    public static final int PAT_WRITE_BACK = 0x06;

    // ---- accessors (jextract shape: getter and setter named after the field) ------------
    public static int wire_count(KernelMemory km, long m) { return km.load32(m + wire_count$OFFSET); }
    public static void wire_count(KernelMemory km, long m, int v) { km.store32(m + wire_count$OFFSET, v); }

    public static int busy_count(KernelMemory km, long m) { return km.load32(m + busy_count$OFFSET); }
    public static void busy_count(KernelMemory km, long m, int v) { km.store32(m + busy_count$OFFSET, v); }

    public static int hold_count(KernelMemory km, long m) { return km.load32(m + hold_count$OFFSET); }
    public static void hold_count(KernelMemory km, long m, int v) { km.store32(m + hold_count$OFFSET, v); }

    public static int ku_pagecnt(KernelMemory km, long m) { return km.load32(m + ku_pagecnt$OFFSET); }
    public static void ku_pagecnt(KernelMemory km, long m, int v) { km.store32(m + ku_pagecnt$OFFSET, v); }

    public static long object(KernelMemory km, long m) { return km.load64(m + object$OFFSET); }
    public static void object(KernelMemory km, long m, long v) { km.store64(m + object$OFFSET, v); }

    public static long pindex(KernelMemory km, long m) { return km.load64(m + pindex$OFFSET); }
    public static void pindex(KernelMemory km, long m, long v) { km.store64(m + pindex$OFFSET, v); }

    public static long phys_addr(KernelMemory km, long m) { return km.load64(m + phys_addr$OFFSET); }
    public static void phys_addr(KernelMemory km, long m, long v) { km.store64(m + phys_addr$OFFSET, v); }

    public static int queue(KernelMemory km, long m) { return km.load16(m + queue$OFFSET); }
    public static void queue(KernelMemory km, long m, int v) { km.store16(m + queue$OFFSET, v); }

    public static int pc(KernelMemory km, long m) { return km.load16(m + pc$OFFSET); }
    public static void pc(KernelMemory km, long m, int v) { km.store16(m + pc$OFFSET, v); }

    public static int act_count(KernelMemory km, long m) { return km.load8(m + act_count$OFFSET); }
    public static void act_count(KernelMemory km, long m, int v) { km.store8(m + act_count$OFFSET, v); }

    public static int pat_mode(KernelMemory km, long m) { return km.load8(m + pat_mode$OFFSET); }
    public static void pat_mode(KernelMemory km, long m, int v) { km.store8(m + pat_mode$OFFSET, v); }

    public static int valid(KernelMemory km, long m) { return km.load8(m + valid$OFFSET); }
    public static void valid(KernelMemory km, long m, int v) { km.store8(m + valid$OFFSET, v); }

    public static int dirty(KernelMemory km, long m) { return km.load8(m + dirty$OFFSET); }
    public static void dirty(KernelMemory km, long m, int v) { km.store8(m + dirty$OFFSET, v); }

    public static int flags(KernelMemory km, long m) { return km.load32(m + flags$OFFSET); }
    public static void flags(KernelMemory km, long m, int v) { km.store32(m + flags$OFFSET, v); }
}
