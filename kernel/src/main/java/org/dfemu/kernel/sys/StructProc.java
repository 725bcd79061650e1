package org.dfemu.kernel.sys;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.machine.Param;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_CHAR;
import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * View of {@code struct proc}, DragonFly's sys/sys/proc.h at commit 737b020b54 (2021-05-28): the
 * fields the port reads, in the C's order.
 *
 * <pre>
 * struct proc {                  // (port subset)
 *     LIST_ENTRY(proc) p_list;   //  0  allproc hash chain (kern_proc.c)
 *     int  p_flags;              // 16  P_* flags
 *     int  p_pid;                // 20
 *     struct vmspace *p_vmspace; // 24  address space
 *     char p_comm[MAXCOMLEN+1];  // 32  command name
 *     char p_pad3;               // 49
 *     char p_nice;               // 50  process "nice" value
 *     int  p_nthreads;           // 52  number of threads (LWPs) in the process
 * };                             // sizeof 56
 * </pre>
 *
 * PORT: the real struct proc is large and mostly about signals, credentials and process groups;
 * the port keeps the fields the process list (p_list, p_pid, p_comm), vm_wait()/vm_wait_pfault(),
 * the OOM killer and the trap (p_vmspace) need, and p_nthreads for lwp_create/lwp_exit. Its
 * layout size is the port's own; what a process costs in memory is the C's: fork1 allocates
 * {@link #SIZEOF_C} bytes from M_PROC, and each of its LWPs {@link #LWP_SIZEOF_C} bytes from M_LWP
 * (struct lwp, also proc.h, has no fields the port reads, so it has no view).
 */
public final class StructProc {
    private StructProc() {}

    public static final long SIZEOF = 56;

    /**
     * {@code sizeof(struct proc)} of the C on x86_64 at 737b020b54: what fork1 kmallocs from
     * M_PROC. Measured by compiling sys/sys/proc.h for x86_64.
     */
    public static final long SIZEOF_C = 1208;

    /** {@code sizeof(struct lwp)} of the C on x86_64 at 737b020b54: what lwp_fork kmallocs from M_LWP. */
    public static final long LWP_SIZEOF_C = 608;

    /** Trying to kill due to low memory: vm_wait_pfault() stops stalling such a process. */
    public static final int P_LOWMEMKILL = 0x00010000;
    /** Working on exiting (master exit): the other threads of the process end at their next step. */
    public static final int P_WEXIT = 0x00002000;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            Queue.LIST_ENTRY.withName("p_list"),
            C_INT.withName("p_flags"),
            C_INT.withName("p_pid"),
            C_POINTER.withName("p_vmspace"),
            MemoryLayout.sequenceLayout(Param.MAXCOMLEN + 1, C_CHAR).withName("p_comm"),
            C_CHAR.withName("p_pad3"),
            C_CHAR.withName("p_nice"),
            Ctypes.pad(1),
            C_INT.withName("p_nthreads")).withName("proc"), SIZEOF);

    public static final long p_list$OFFSET = Ctypes.offset(LAYOUT, "p_list");
    public static final long p_flags$OFFSET = Ctypes.offset(LAYOUT, "p_flags");
    public static final long p_pid$OFFSET = Ctypes.offset(LAYOUT, "p_pid");
    public static final long p_vmspace$OFFSET = Ctypes.offset(LAYOUT, "p_vmspace");
    public static final long p_comm$OFFSET = Ctypes.offset(LAYOUT, "p_comm");
    public static final long p_nice$OFFSET = Ctypes.offset(LAYOUT, "p_nice");
    public static final long p_nthreads$OFFSET = Ctypes.offset(LAYOUT, "p_nthreads");

    public static StructLayout layout() { return LAYOUT; }

    public static int p_flags(KernelMemory km, long p) { return km.load32(p + p_flags$OFFSET); }
    public static void p_flags(KernelMemory km, long p, int v) { km.store32(p + p_flags$OFFSET, v); }

    public static int p_pid(KernelMemory km, long p) { return km.load32(p + p_pid$OFFSET); }
    public static void p_pid(KernelMemory km, long p, int v) { km.store32(p + p_pid$OFFSET, v); }

    /** p_nice, sign-extended (-20..20). */
    public static int p_nice(KernelMemory km, long p) { return (byte) km.load8(p + p_nice$OFFSET); }
    public static void p_nice(KernelMemory km, long p, int v) { km.store8(p + p_nice$OFFSET, v); }

    public static int p_nthreads(KernelMemory km, long p) { return km.load32(p + p_nthreads$OFFSET); }
    public static void p_nthreads(KernelMemory km, long p, int v) { km.store32(p + p_nthreads$OFFSET, v); }

    public static long p_vmspace(KernelMemory km, long p) { return km.load64(p + p_vmspace$OFFSET); }
    public static void p_vmspace(KernelMemory km, long p, long vm) { km.store64(p + p_vmspace$OFFSET, vm); }

    /** p_comm: the command name, at most MAXCOMLEN characters (longer names are truncated). */
    public static String p_comm(KernelMemory km, long p) {
        return km.loadString(p + p_comm$OFFSET, Param.MAXCOMLEN + 1);
    }
    public static void p_comm(KernelMemory km, long p, String name) {
        km.storeString(p + p_comm$OFFSET, name, Param.MAXCOMLEN + 1);
    }
}
