package org.dfemu.kernel.machine;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.Tree;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_LONG;
import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * View of {@code struct pv_entry}, DragonFly's sys/platform/pc64/include/pmap.h at commit
 * 737b020b54 (2021-05-28). Since 2019 a pv_entry tracks one page-table page (PT, PD, PDP or PML4)
 * of a user pmap, never a leaf PTE.
 *
 * <pre>
 * typedef struct pv_entry {
 *     pmap_t          pv_pmap;     //  0  pmap where mapping lies
 *     vm_pindex_t     pv_pindex;   //  8  PTE, PT, PD, PDP, or PML4
 *     RB_ENTRY(pv_entry) pv_entry; // 16  in pmap->pm_pvroot
 *     struct vm_page *pv_m;        // 48  page-table page being mapped
 *     u_int           pv_hold;     // 56  interlock action
 *     u_int           pv_flags;    // 60
 * } *pv_entry_t;                   // sizeof 64 (without PMAP_DEBUG)
 * </pre>
 *
 * pv_hold: {@link #PV_HOLD_LOCKED} | {@link #PV_HOLD_WAITING} | hold count
 * ({@link #PV_HOLD_MASK}); changed only by atomic ops.
 */
public final class StructPvEntry {
    private StructPvEntry() {}

    public static final long SIZEOF = 64;

    public static final int PV_HOLD_LOCKED = 0x80000000;
    public static final int PV_HOLD_WAITING = 0x40000000;
    public static final int PV_HOLD_UNUSED2000 = 0x20000000;
    public static final int PV_HOLD_MASK = 0x1FFFFFFF;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_POINTER.withName("pv_pmap"),
            C_LONG.withName("pv_pindex"),
            Tree.RB_ENTRY.withName("pv_entry"),
            C_POINTER.withName("pv_m"),
            C_INT.withName("pv_hold"),
            C_INT.withName("pv_flags")).withName("pv_entry"), SIZEOF);

    public static final long pv_pmap$OFFSET = Ctypes.offset(LAYOUT, "pv_pmap");
    public static final long pv_pindex$OFFSET = Ctypes.offset(LAYOUT, "pv_pindex");
    public static final long pv_entry$OFFSET = Ctypes.offset(LAYOUT, "pv_entry");
    public static final long pv_m$OFFSET = Ctypes.offset(LAYOUT, "pv_m");
    public static final long pv_hold$OFFSET = Ctypes.offset(LAYOUT, "pv_hold");
    public static final long pv_flags$OFFSET = Ctypes.offset(LAYOUT, "pv_flags");

    public static StructLayout layout() { return LAYOUT; }

    public static long pv_pmap(KernelMemory km, long pv) { return km.load64(pv + pv_pmap$OFFSET); }
    public static void pv_pmap(KernelMemory km, long pv, long v) { km.store64(pv + pv_pmap$OFFSET, v); }

    public static long pv_pindex(KernelMemory km, long pv) { return km.load64(pv + pv_pindex$OFFSET); }
    public static void pv_pindex(KernelMemory km, long pv, long v) { km.store64(pv + pv_pindex$OFFSET, v); }

    public static long pv_m(KernelMemory km, long pv) { return km.load64(pv + pv_m$OFFSET); }
    public static void pv_m(KernelMemory km, long pv, long v) { km.store64(pv + pv_m$OFFSET, v); }

    public static int pv_hold(KernelMemory km, long pv) { return km.load32(pv + pv_hold$OFFSET); }
    public static void pv_hold(KernelMemory km, long pv, int v) { km.store32(pv + pv_hold$OFFSET, v); }

    public static void pv_flags(KernelMemory km, long pv, int v) { km.store32(pv + pv_flags$OFFSET, v); }
}
