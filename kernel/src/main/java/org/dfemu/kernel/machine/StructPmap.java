package org.dfemu.kernel.machine;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.Queue;
import org.dfemu.kernel.sys.StructSpinlock;
import org.dfemu.kernel.sys.Tree;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_LONG;
import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * View of {@code struct pmap} and the pmap.h constants, DragonFly's
 * sys/platform/pc64/include/pmap.h at commit 737b020b54 (2021-05-28), with the full C layout
 * (offsets hand-computed for LP64 with MAXCPU 256, so cpumask_t is 4 longs).
 *
 * <pre>
 * struct pmap {
 *     pml4_entry_t *pm_pml4;            //    0  KVA of level 4 page table
 *     pml4_entry_t *pm_pml4_iso;        //    8  (isolated version)
 *     struct pv_entry *pm_pmlpv;        //   16  PV entry for pml4
 *     struct pv_entry *pm_pmlpv_iso;    //   24
 *     TAILQ_ENTRY(pmap) pm_pmnode;      //   32
 *     RB_HEAD(pv_entry_rb_tree, pv_entry) pm_pvroot; // 48
 *     int pm_count;                     //   72  reference count
 *     cpulock_t pm_active_lock;         //   76
 *     cpumask_t pm_active;              //   80  active on cpus (4 x uint64)
 *     int pm_flags;                     //  112
 *     uint32_t pm_softhold;             //  116
 *     struct pmap_statistics pm_stats;  //  120  { resident_count, wired_count }
 *     struct spinlock pm_spin;          //  136
 *     struct pv_entry *pm_pvhint_pt;    //  144  pv_entry lookup hint
 *     struct pv_entry *pm_pvhint_unused;//  152
 *     vm_pindex_t pm_placemarks[64];    //  160
 *     long pm_invgen;                   //  672
 *     uint64_t pmap_bits[13];           //  680
 *     uint64_t protection_codes[8];     //  784
 *     pt_entry_t pmap_cache_bits_pte[8];//  848
 *     pt_entry_t pmap_cache_bits_pde[8];//  912
 *     pt_entry_t pmap_cache_mask_pte;   //  976
 *     pt_entry_t pmap_cache_mask_pde;   //  984
 *     int (*copyinstr)(...) ... 13 user-access function pointers // 992
 * };                                    // sizeof 1096
 * </pre>
 *
 * PORT: the emulated machine has at most 64 CPUs, so only {@code pm_active.ary[0]} is used; the
 * user-access function pointers stay NULL (user accesses go through the emulated CPU).
 */
public final class StructPmap {
    private StructPmap() {}

    public static final long SIZEOF = 1096;

    // ---- pmap.h constants -----------------------------------------------------------------
    /** Number of PDPs (PML4 slots) in a user page table, total and reserved for userland. */
    public static final long NUPDP_TOTAL = Param.NPML4EPG;
    public static final long NUPD_TOTAL = (long) Param.NPDPEPG * NUPDP_TOTAL;
    public static final long NUPT_TOTAL = (long) Param.NPDEPG * NUPD_TOTAL;
    public static final long NUPTE_TOTAL = (long) Param.NPTEPG * NUPT_TOTAL;
    public static final long NUPTE_USER = (long) Param.NPTEPG * Param.NPDEPG * Param.NPDPEPG * Vmparam.NUPDP_USER;

    /** Bit indexes into pmap_bits[]. */
    public static final int TYPE_IDX = 0;
    public static final int PG_V_IDX = 1;
    public static final int PG_RW_IDX = 2;
    public static final int PG_U_IDX = 3;
    public static final int PG_A_IDX = 4;
    public static final int PG_M_IDX = 5;
    public static final int PG_PS_IDX = 6;
    public static final int PG_G_IDX = 7;
    public static final int PG_W_IDX = 8;
    public static final int PG_MANAGED_IDX = 9;
    public static final int PG_UNUSED10_IDX = 10;
    public static final int PG_N_IDX = 11;
    public static final int PG_NX_IDX = 12;
    public static final int PG_BITS_SIZE = 13;

    public static final int PROTECTION_CODES_SIZE = 8;
    public static final int PAT_INDEX_SIZE = 8;

    public static final int PM_PLACEMARKS = 64;
    public static final long PM_NOPLACEMARK = -1L;
    public static final long PM_PLACEMARK_WAKEUP = 0x8000000000000000L;

    public static final int REGULAR_PMAP = 0;

    public static final int PMAP_FLAG_SIMPLE = 0x00000001;
    public static final int PMAP_EMULATE_AD_BITS = 0x00000002;
    public static final int PMAP_HVM = 0x00000004;
    public static final int PMAP_SEGSHARED = 0x00000008;
    public static final int PMAP_MULTI = 0x00000010;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_POINTER.withName("pm_pml4"),
            C_POINTER.withName("pm_pml4_iso"),
            C_POINTER.withName("pm_pmlpv"),
            C_POINTER.withName("pm_pmlpv_iso"),
            Queue.TAILQ_ENTRY.withName("pm_pmnode"),
            Tree.RB_HEAD.withName("pm_pvroot"),
            C_INT.withName("pm_count"),
            C_INT.withName("pm_active_lock"),
            MemoryLayout.sequenceLayout(4, C_LONG).withName("pm_active"),
            C_INT.withName("pm_flags"),
            C_INT.withName("pm_softhold"),
            C_LONG.withName("resident_count"),
            C_LONG.withName("wired_count"),
            StructSpinlock.layout().withName("pm_spin"),
            C_POINTER.withName("pm_pvhint_pt"),
            C_POINTER.withName("pm_pvhint_unused"),
            MemoryLayout.sequenceLayout(PM_PLACEMARKS, C_LONG).withName("pm_placemarks"),
            C_LONG.withName("pm_invgen"),
            MemoryLayout.sequenceLayout(PG_BITS_SIZE, C_LONG).withName("pmap_bits"),
            MemoryLayout.sequenceLayout(PROTECTION_CODES_SIZE, C_LONG).withName("protection_codes"),
            MemoryLayout.sequenceLayout(PAT_INDEX_SIZE, C_LONG).withName("pmap_cache_bits_pte"),
            MemoryLayout.sequenceLayout(PAT_INDEX_SIZE, C_LONG).withName("pmap_cache_bits_pde"),
            C_LONG.withName("pmap_cache_mask_pte"),
            C_LONG.withName("pmap_cache_mask_pde"),
            MemoryLayout.sequenceLayout(13, C_POINTER).withName("user_access_fns")).withName("pmap"), SIZEOF);

    public static final long pm_pml4$OFFSET = Ctypes.offset(LAYOUT, "pm_pml4");
    public static final long pm_pml4_iso$OFFSET = Ctypes.offset(LAYOUT, "pm_pml4_iso");
    public static final long pm_pmlpv$OFFSET = Ctypes.offset(LAYOUT, "pm_pmlpv");
    public static final long pm_pvroot$OFFSET = Ctypes.offset(LAYOUT, "pm_pvroot");
    public static final long pm_count$OFFSET = Ctypes.offset(LAYOUT, "pm_count");
    public static final long pm_active$OFFSET = Ctypes.offset(LAYOUT, "pm_active");
    public static final long pm_flags$OFFSET = Ctypes.offset(LAYOUT, "pm_flags");
    public static final long resident_count$OFFSET = Ctypes.offset(LAYOUT, "resident_count");
    public static final long wired_count$OFFSET = Ctypes.offset(LAYOUT, "wired_count");
    public static final long pm_spin$OFFSET = Ctypes.offset(LAYOUT, "pm_spin");
    public static final long pm_pvhint_pt$OFFSET = Ctypes.offset(LAYOUT, "pm_pvhint_pt");
    public static final long pm_pvhint_unused$OFFSET = Ctypes.offset(LAYOUT, "pm_pvhint_unused");
    public static final long pm_placemarks$OFFSET = Ctypes.offset(LAYOUT, "pm_placemarks");
    public static final long pmap_bits$OFFSET = Ctypes.offset(LAYOUT, "pmap_bits");
    public static final long protection_codes$OFFSET = Ctypes.offset(LAYOUT, "protection_codes");
    public static final long pmap_cache_bits_pte$OFFSET = Ctypes.offset(LAYOUT, "pmap_cache_bits_pte");
    public static final long pmap_cache_bits_pde$OFFSET = Ctypes.offset(LAYOUT, "pmap_cache_bits_pde");
    public static final long pmap_cache_mask_pte$OFFSET = Ctypes.offset(LAYOUT, "pmap_cache_mask_pte");
    public static final long pmap_cache_mask_pde$OFFSET = Ctypes.offset(LAYOUT, "pmap_cache_mask_pde");

    public static StructLayout layout() { return LAYOUT; }

    public static long pm_pml4(KernelMemory km, long p) { return km.load64(p + pm_pml4$OFFSET); }
    public static void pm_pml4(KernelMemory km, long p, long v) { km.store64(p + pm_pml4$OFFSET, v); }

    public static long pm_pmlpv(KernelMemory km, long p) { return km.load64(p + pm_pmlpv$OFFSET); }
    public static void pm_pmlpv(KernelMemory km, long p, long v) { km.store64(p + pm_pmlpv$OFFSET, v); }

    /** {@code &pmap->pm_pvroot}. */
    public static long pm_pvroot(long p) { return p + pm_pvroot$OFFSET; }

    public static int pm_count(KernelMemory km, long p) { return km.load32(p + pm_count$OFFSET); }
    public static void pm_count(KernelMemory km, long p, int v) { km.store32(p + pm_count$OFFSET, v); }

    /** {@code pm_active.ary[0]}: the cpus this pmap is active on (see the PORT note). */
    public static long pm_active(KernelMemory km, long p) { return km.load64(p + pm_active$OFFSET); }
    public static void pm_active(KernelMemory km, long p, long v) { km.store64(p + pm_active$OFFSET, v); }

    public static int pm_flags(KernelMemory km, long p) { return km.load32(p + pm_flags$OFFSET); }
    public static void pm_flags(KernelMemory km, long p, int v) { km.store32(p + pm_flags$OFFSET, v); }

    public static long resident_count(KernelMemory km, long p) { return km.load64(p + resident_count$OFFSET); }
    public static long wired_count(KernelMemory km, long p) { return km.load64(p + wired_count$OFFSET); }

    public static long pm_pvhint_pt(KernelMemory km, long p) { return km.load64(p + pm_pvhint_pt$OFFSET); }
    public static void pm_pvhint_pt(KernelMemory km, long p, long v) { km.store64(p + pm_pvhint_pt$OFFSET, v); }

    /** {@code &pmap->pm_placemarks[i]}. */
    public static long pm_placemark(long p, int i) { return p + pm_placemarks$OFFSET + 8L * i; }

    /** {@code pmap->pmap_bits[idx]}. */
    public static long pmap_bits(KernelMemory km, long p, int idx) { return km.load64(p + pmap_bits$OFFSET + 8L * idx); }

    /** {@code pmap->protection_codes[prot]}. */
    public static long protection_codes(KernelMemory km, long p, int prot) {
        return km.load64(p + protection_codes$OFFSET + 8L * prot);
    }

    /** {@code pmap->pmap_cache_bits_pte[pat_mode]}. */
    public static long pmap_cache_bits_pte(KernelMemory km, long p, int patMode) {
        return km.load64(p + pmap_cache_bits_pte$OFFSET + 8L * patMode);
    }
}
