package org.dfemu.kernel.sys;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.List;

import static org.dfemu.kernel.Ctypes.C_CHAR;
import static org.dfemu.kernel.Ctypes.C_INT;

/**
 * View of {@code struct vmmeter}, DragonFly's sys/sys/vmmeter.h at commit 737b020b54 (2021-05-28):
 * the per-cpu event counters ({@code gd_cnt}) the vm.stats.sys and vm.stats.vm sysctls sum.
 *
 * <pre>
 * struct vmmeter {
 *     u_int v_swtch ... v_soft;             // general activity (7)
 *     u_int v_vm_faults ... v_pdpages;      // VM activity (17)
 *     u_int v_dfree, v_pfree, v_tfree;
 *     u_int v_forks ... v_kthreadpages;     // fork activity (9)
 *     u_int v_intrans_coll ... v_lock_colls; // (8)
 *     char  v_lock_name[16];
 *     u_int v_wakeup_colls, v_reserved7;
 * };                                        // sizeof 200
 * </pre>
 *
 * Every counter is a {@code u_int} reached by its offset ({@code VMMETEROFF(var)} in the C):
 * {@link #get} and {@link #inc} take one of the {@code x$OFFSET} constants.
 */
public final class StructVmmeter {
    private StructVmmeter() {}

    public static final long SIZEOF = 200;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_INT.withName("v_swtch"),
            C_INT.withName("v_trap"),
            C_INT.withName("v_syscall"),
            C_INT.withName("v_intr"),
            C_INT.withName("v_ipi"),
            C_INT.withName("v_timer"),
            C_INT.withName("v_soft"),
            C_INT.withName("v_vm_faults"),
            C_INT.withName("v_cow_faults"),
            C_INT.withName("v_cow_optim"),
            C_INT.withName("v_zfod"),
            C_INT.withName("v_ozfod"),
            C_INT.withName("v_swapin"),
            C_INT.withName("v_swapout"),
            C_INT.withName("v_swappgsin"),
            C_INT.withName("v_swappgsout"),
            C_INT.withName("v_vnodein"),
            C_INT.withName("v_vnodeout"),
            C_INT.withName("v_vnodepgsin"),
            C_INT.withName("v_vnodepgsout"),
            C_INT.withName("v_intrans"),
            C_INT.withName("v_reactivated"),
            C_INT.withName("v_pdwakeups"),
            C_INT.withName("v_pdpages"),
            C_INT.withName("v_dfree"),
            C_INT.withName("v_pfree"),
            C_INT.withName("v_tfree"),
            C_INT.withName("v_forks"),
            C_INT.withName("v_vforks"),
            C_INT.withName("v_rforks"),
            C_INT.withName("v_exec"),
            C_INT.withName("v_kthreads"),
            C_INT.withName("v_forkpages"),
            C_INT.withName("v_vforkpages"),
            C_INT.withName("v_rforkpages"),
            C_INT.withName("v_kthreadpages"),
            C_INT.withName("v_intrans_coll"),
            C_INT.withName("v_intrans_wait"),
            C_INT.withName("v_forwarded_ints"),
            C_INT.withName("v_forwarded_hits"),
            C_INT.withName("v_forwarded_misses"),
            C_INT.withName("v_smpinvltlb"),
            C_INT.withName("v_ppwakeups"),
            C_INT.withName("v_lock_colls"),
            MemoryLayout.sequenceLayout(16, C_CHAR).withName("v_lock_name"),
            C_INT.withName("v_wakeup_colls"),
            C_INT.withName("v_reserved7")).withName("vmmeter"), SIZEOF);

    public static final long v_swtch$OFFSET = Ctypes.offset(LAYOUT, "v_swtch");
    public static final long v_trap$OFFSET = Ctypes.offset(LAYOUT, "v_trap");
    public static final long v_syscall$OFFSET = Ctypes.offset(LAYOUT, "v_syscall");
    public static final long v_intr$OFFSET = Ctypes.offset(LAYOUT, "v_intr");
    public static final long v_ipi$OFFSET = Ctypes.offset(LAYOUT, "v_ipi");
    public static final long v_timer$OFFSET = Ctypes.offset(LAYOUT, "v_timer");
    public static final long v_soft$OFFSET = Ctypes.offset(LAYOUT, "v_soft");
    public static final long v_vm_faults$OFFSET = Ctypes.offset(LAYOUT, "v_vm_faults");
    public static final long v_cow_faults$OFFSET = Ctypes.offset(LAYOUT, "v_cow_faults");
    public static final long v_cow_optim$OFFSET = Ctypes.offset(LAYOUT, "v_cow_optim");
    public static final long v_zfod$OFFSET = Ctypes.offset(LAYOUT, "v_zfod");
    public static final long v_ozfod$OFFSET = Ctypes.offset(LAYOUT, "v_ozfod");
    public static final long v_swapin$OFFSET = Ctypes.offset(LAYOUT, "v_swapin");
    public static final long v_swapout$OFFSET = Ctypes.offset(LAYOUT, "v_swapout");
    public static final long v_swappgsin$OFFSET = Ctypes.offset(LAYOUT, "v_swappgsin");
    public static final long v_swappgsout$OFFSET = Ctypes.offset(LAYOUT, "v_swappgsout");
    public static final long v_vnodein$OFFSET = Ctypes.offset(LAYOUT, "v_vnodein");
    public static final long v_vnodeout$OFFSET = Ctypes.offset(LAYOUT, "v_vnodeout");
    public static final long v_vnodepgsin$OFFSET = Ctypes.offset(LAYOUT, "v_vnodepgsin");
    public static final long v_vnodepgsout$OFFSET = Ctypes.offset(LAYOUT, "v_vnodepgsout");
    public static final long v_intrans$OFFSET = Ctypes.offset(LAYOUT, "v_intrans");
    public static final long v_reactivated$OFFSET = Ctypes.offset(LAYOUT, "v_reactivated");
    public static final long v_pdwakeups$OFFSET = Ctypes.offset(LAYOUT, "v_pdwakeups");
    public static final long v_pdpages$OFFSET = Ctypes.offset(LAYOUT, "v_pdpages");
    public static final long v_dfree$OFFSET = Ctypes.offset(LAYOUT, "v_dfree");
    public static final long v_pfree$OFFSET = Ctypes.offset(LAYOUT, "v_pfree");
    public static final long v_tfree$OFFSET = Ctypes.offset(LAYOUT, "v_tfree");
    public static final long v_forks$OFFSET = Ctypes.offset(LAYOUT, "v_forks");
    public static final long v_vforks$OFFSET = Ctypes.offset(LAYOUT, "v_vforks");
    public static final long v_rforks$OFFSET = Ctypes.offset(LAYOUT, "v_rforks");
    public static final long v_exec$OFFSET = Ctypes.offset(LAYOUT, "v_exec");
    public static final long v_kthreads$OFFSET = Ctypes.offset(LAYOUT, "v_kthreads");
    public static final long v_forkpages$OFFSET = Ctypes.offset(LAYOUT, "v_forkpages");
    public static final long v_vforkpages$OFFSET = Ctypes.offset(LAYOUT, "v_vforkpages");
    public static final long v_rforkpages$OFFSET = Ctypes.offset(LAYOUT, "v_rforkpages");
    public static final long v_kthreadpages$OFFSET = Ctypes.offset(LAYOUT, "v_kthreadpages");
    public static final long v_intrans_coll$OFFSET = Ctypes.offset(LAYOUT, "v_intrans_coll");
    public static final long v_intrans_wait$OFFSET = Ctypes.offset(LAYOUT, "v_intrans_wait");
    public static final long v_forwarded_ints$OFFSET = Ctypes.offset(LAYOUT, "v_forwarded_ints");
    public static final long v_forwarded_hits$OFFSET = Ctypes.offset(LAYOUT, "v_forwarded_hits");
    public static final long v_forwarded_misses$OFFSET = Ctypes.offset(LAYOUT, "v_forwarded_misses");
    public static final long v_smpinvltlb$OFFSET = Ctypes.offset(LAYOUT, "v_smpinvltlb");
    public static final long v_ppwakeups$OFFSET = Ctypes.offset(LAYOUT, "v_ppwakeups");
    public static final long v_lock_colls$OFFSET = Ctypes.offset(LAYOUT, "v_lock_colls");
    public static final long v_wakeup_colls$OFFSET = Ctypes.offset(LAYOUT, "v_wakeup_colls");
    public static final long v_reserved7$OFFSET = Ctypes.offset(LAYOUT, "v_reserved7");

    /** Names of the u_int counters in declaration order (the sysctl leaves vcnt() serves). */
    public static final List<String> COUNTERS = List.of(
            "v_swtch",
            "v_trap",
            "v_syscall",
            "v_intr",
            "v_ipi",
            "v_timer",
            "v_soft",
            "v_vm_faults",
            "v_cow_faults",
            "v_cow_optim",
            "v_zfod",
            "v_ozfod",
            "v_swapin",
            "v_swapout",
            "v_swappgsin",
            "v_swappgsout",
            "v_vnodein",
            "v_vnodeout",
            "v_vnodepgsin",
            "v_vnodepgsout",
            "v_intrans",
            "v_reactivated",
            "v_pdwakeups",
            "v_pdpages",
            "v_dfree",
            "v_pfree",
            "v_tfree",
            "v_forks",
            "v_vforks",
            "v_rforks",
            "v_exec",
            "v_kthreads",
            "v_forkpages",
            "v_vforkpages",
            "v_rforkpages",
            "v_kthreadpages",
            "v_intrans_coll",
            "v_intrans_wait",
            "v_forwarded_ints",
            "v_forwarded_hits",
            "v_forwarded_misses",
            "v_smpinvltlb",
            "v_ppwakeups",
            "v_lock_colls",
            "v_wakeup_colls",
            "v_reserved7");

    public static StructLayout layout() { return LAYOUT; }

    /** Offset of the counter named {@code name}. */
    public static long offsetOf(String name) { return Ctypes.offset(LAYOUT, name); }

    /** The u_int counter at {@code fieldOffset}, zero-extended. */
    public static long get(KernelMemory km, long cnt, long fieldOffset) {
        return Integer.toUnsignedLong(km.load32(cnt + fieldOffset));
    }

    /** {@code gd->gd_cnt.FIELD++} (the C's plain per-cpu increment). */
    public static void inc(KernelMemory km, long cnt, long fieldOffset) {
        km.store32(cnt + fieldOffset, km.load32(cnt + fieldOffset) + 1);
    }
}
