package org.dfemu.kernel.sys;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * View of {@code struct mdglobaldata} (pc64's per-cpu data, whose first member is the machine
 * independent {@code struct globaldata}), DragonFly's sys/sys/globaldata.h and
 * sys/platform/pc64/include/globaldata.h at commit 737b020b54 (2021-05-28): the fields the port
 * uses, with their C names and types.
 *
 * <pre>
 * struct mdglobaldata {                     // (port subset)
 *     struct globaldata {
 *         int gd_cpuid;
 *         int gd_vme_avail;                 // vm_map_entry reservation
 *         struct vm_map_entry *gd_vme_base; // vm_map_entry reservation (free list)
 *         int gd_rand_incr;                 // random pcpu incrementor
 *         struct vmstats gd_vmstats;        //  24  this cpu's copy of vmstats, refreshed by rollups
 *         struct vmstats gd_vmstats_adj;    // 280  this cpu's pending count changes
 *     } mi;
 *     struct pv_entry *gd_newpv;            // 536  pmap: one cached pv_entry
 *     int gd_exislockcnt;                   // 544  (mi) exis_hold_gd() depth
 *     int gd_exisarmed;                     // 548  (mi) re-armed since pseudo_ticks last advanced
 *     struct thread *gd_freetd;             // 552  (mi) the last exited thread, kept through its exit
 * };                                        // sizeof 576 (nine cache lines)
 * </pre>
 *
 * PORT: the C structure holds the cpu's LWKT queues, IPI queues, statistics and much more; the
 * emulator's scheduler owns those, so the port keeps only what ported kernel code reads and
 * writes, and the size is the port's own. Per-cpu statistics ({@code gd_cnt}) are kept by
 * {@link org.dfemu.kernel.vm.VmMeter}. Fields written only by their own cpu inside a critical
 * section (gd_vme_base, gd_freetd) or atomically (gd_vme_avail, gd_newpv, gd_vmstats_adj), as in the C;
 * gd_vmstats is rewritten by its cpu's rollups (and, for a forced fold, by the cpu that folds).
 */
public final class StructGlobaldata {
    private StructGlobaldata() {}

    public static final long SIZEOF = 576;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_INT.withName("gd_cpuid"),
            C_INT.withName("gd_vme_avail"),
            C_POINTER.withName("gd_vme_base"),
            C_INT.withName("gd_rand_incr"),
            Ctypes.pad(4),
            StructVmstats.layout().withName("gd_vmstats"),
            StructVmstats.layout().withName("gd_vmstats_adj"),
            C_POINTER.withName("gd_newpv"),
            C_INT.withName("gd_exislockcnt"),
            C_INT.withName("gd_exisarmed"),
            C_POINTER.withName("gd_freetd"),
            Ctypes.pad(16)).withName("mdglobaldata").withByteAlignment(64), SIZEOF);

    public static final long gd_cpuid$OFFSET = Ctypes.offset(LAYOUT, "gd_cpuid");
    public static final long gd_vme_avail$OFFSET = Ctypes.offset(LAYOUT, "gd_vme_avail");
    public static final long gd_vme_base$OFFSET = Ctypes.offset(LAYOUT, "gd_vme_base");
    public static final long gd_rand_incr$OFFSET = Ctypes.offset(LAYOUT, "gd_rand_incr");
    public static final long gd_vmstats$OFFSET = Ctypes.offset(LAYOUT, "gd_vmstats");
    public static final long gd_vmstats_adj$OFFSET = Ctypes.offset(LAYOUT, "gd_vmstats_adj");
    public static final long gd_newpv$OFFSET = Ctypes.offset(LAYOUT, "gd_newpv");
    public static final long gd_exislockcnt$OFFSET = Ctypes.offset(LAYOUT, "gd_exislockcnt");
    public static final long gd_exisarmed$OFFSET = Ctypes.offset(LAYOUT, "gd_exisarmed");
    public static final long gd_freetd$OFFSET = Ctypes.offset(LAYOUT, "gd_freetd");

    public static StructLayout layout() { return LAYOUT; }

    public static int gd_cpuid(KernelMemory km, long gd) { return km.load32(gd + gd_cpuid$OFFSET); }
    public static void gd_cpuid(KernelMemory km, long gd, int v) { km.store32(gd + gd_cpuid$OFFSET, v); }

    public static int gd_vme_avail(KernelMemory km, long gd) { return km.load32(gd + gd_vme_avail$OFFSET); }

    public static long gd_vme_base(KernelMemory km, long gd) { return km.load64(gd + gd_vme_base$OFFSET); }
    public static void gd_vme_base(KernelMemory km, long gd, long v) { km.store64(gd + gd_vme_base$OFFSET, v); }

    /** {@code &gd->gd_vmstats}: the cpu's copy of the global vmstats (a {@link StructVmstats}). */
    public static long gd_vmstats(long gd) { return gd + gd_vmstats$OFFSET; }

    /** {@code &gd->gd_vmstats_adj}: the cpu's pending count changes (a {@link StructVmstats}). */
    public static long gd_vmstats_adj(long gd) { return gd + gd_vmstats_adj$OFFSET; }

    public static int gd_exislockcnt(KernelMemory km, long gd) { return km.load32(gd + gd_exislockcnt$OFFSET); }
    public static void gd_exislockcnt(KernelMemory km, long gd, int v) { km.store32(gd + gd_exislockcnt$OFFSET, v); }

    public static int gd_exisarmed(KernelMemory km, long gd) { return km.load32(gd + gd_exisarmed$OFFSET); }
    public static void gd_exisarmed(KernelMemory km, long gd, int v) { km.store32(gd + gd_exisarmed$OFFSET, v); }

    /** {@code gd->gd_freetd}: lwkt_exit's parked thread (its cpu's, in a critical section). */
    public static long gd_freetd(KernelMemory km, long gd) { return km.load64(gd + gd_freetd$OFFSET); }
    public static void gd_freetd(KernelMemory km, long gd, long td) { km.store64(gd + gd_freetd$OFFSET, td); }

    /** {@code mycpu->gd_rand_incr++}: returns the old value. */
    public static int gd_rand_incr_next(KernelMemory km, long gd) {
        return km.fetchAdd32(gd + gd_rand_incr$OFFSET, 1);
    }
}
