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
 * View of {@code struct thread}, DragonFly's sys/sys/thread.h at commit 737b020b54 (2021-05-28):
 * the fields the port uses, with their C names and types.
 *
 * <pre>
 * struct thread {            // (port subset)
 *     struct proc *td_proc;  // (optional) associated process
 *     u_int  td_flags;       // TDF flags
 *     int    td_critcount;   // critical section count (boot context only, see Lwkt)
 *     char   *td_kstack;     // kernel stack (kernel_map, guard page first)
 *     int    td_kstack_size; // size of kernel stack, guard included
 *     char   td_comm[MAXCOMLEN+1];
 * };                         // sizeof 48
 * </pre>
 *
 * PORT: DragonFly's struct thread is several hundred bytes of LWKT run queues, message ports,
 * token references and the kernel stack pointer; here the emulator's scheduler owns all of that,
 * so the struct keeps only what kernel code reads, and its layout size is the port's own (48).
 * What a thread costs in memory is the C's: lwkt_create allocates {@link #SIZEOF_C} bytes from
 * M_THREAD and a {@link #LWKT_THREAD_STACK} kernel stack, whatever the view uses. The thread's address is the {@code td} value given to
 * {@link org.dfemu.emulator.api.Scheduler#spawn}.
 */
public final class StructThread {
    private StructThread() {}

    public static final long SIZEOF = 48;

    /**
     * {@code sizeof(struct thread)} of the C on x86_64 at 737b020b54 (the LWKT queues, the token
     * array, the message port...): what lwkt_alloc_thread takes from M_THREAD for each thread.
     * Measured by compiling sys/sys/thread.h for x86_64.
     */
    public static final long SIZEOF_C = 1600;

    /** {@code LWKT_THREAD_STACK}: UPAGES pages of kernel stack per thread, the guard page included. */
    public static final int LWKT_THREAD_STACK = Param.UPAGES * Param.PAGE_SIZE;

    /** Reserve memory may be used (vm_page_alloc() adds VM_ALLOC_SYSTEM). */
    public static final int TDF_SYSTHREAD = 0x00000100;
    /** The struct thread came from M_THREAD (lwkt_alloc_thread's thread cache). */
    public static final int TDF_ALLOCATED_THREAD = 0x00000200;
    /** The kernel stack came from kmem_alloc_stack and goes back with kmem_free. */
    public static final int TDF_ALLOCATED_STACK = 0x00000400;
    /** Interrupt thread (kfree() defers oversized frees from these). */
    public static final int TDF_INTTHREAD = 0x00010000;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_POINTER.withName("td_proc"),
            C_INT.withName("td_flags"),
            C_INT.withName("td_critcount"),
            C_POINTER.withName("td_kstack"),
            C_INT.withName("td_kstack_size"),
            MemoryLayout.sequenceLayout(Param.MAXCOMLEN + 1, C_CHAR).withName("td_comm"),
            Ctypes.pad(3)).withName("thread"), SIZEOF);

    public static final long td_proc$OFFSET = Ctypes.offset(LAYOUT, "td_proc");
    public static final long td_flags$OFFSET = Ctypes.offset(LAYOUT, "td_flags");
    public static final long td_critcount$OFFSET = Ctypes.offset(LAYOUT, "td_critcount");
    public static final long td_kstack$OFFSET = Ctypes.offset(LAYOUT, "td_kstack");
    public static final long td_kstack_size$OFFSET = Ctypes.offset(LAYOUT, "td_kstack_size");
    public static final long td_comm$OFFSET = Ctypes.offset(LAYOUT, "td_comm");

    public static StructLayout layout() { return LAYOUT; }

    public static long td_proc(KernelMemory km, long td) { return km.load64(td + td_proc$OFFSET); }
    public static void td_proc(KernelMemory km, long td, long p) { km.store64(td + td_proc$OFFSET, p); }

    public static int td_flags(KernelMemory km, long td) { return km.load32(td + td_flags$OFFSET); }
    public static void td_flags(KernelMemory km, long td, int v) { km.store32(td + td_flags$OFFSET, v); }

    public static int td_critcount(KernelMemory km, long td) { return km.load32(td + td_critcount$OFFSET); }
    public static void td_critcount(KernelMemory km, long td, int v) { km.store32(td + td_critcount$OFFSET, v); }

    public static long td_kstack(KernelMemory km, long td) { return km.load64(td + td_kstack$OFFSET); }
    public static void td_kstack(KernelMemory km, long td, long v) { km.store64(td + td_kstack$OFFSET, v); }

    public static int td_kstack_size(KernelMemory km, long td) { return km.load32(td + td_kstack_size$OFFSET); }
    public static void td_kstack_size(KernelMemory km, long td, int v) { km.store32(td + td_kstack_size$OFFSET, v); }

    public static String td_comm(KernelMemory km, long td) {
        return km.loadString(td + td_comm$OFFSET, Param.MAXCOMLEN + 1);
    }
    public static void td_comm(KernelMemory km, long td, String name) {
        km.storeString(td + td_comm$OFFSET, name, Param.MAXCOMLEN + 1);
    }
}
