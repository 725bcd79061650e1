package org.dfemu.emulator.trace;

/**
 * Trace event types the machine itself emits. Types 0..63 belong to the emulator; the kernel
 * numbers its own from {@link #FIRST_KERNEL_TYPE}. The trace file's header carries the names, so
 * a reader never needs this class to print a trace.
 *
 * <p>Arguments per type are given in each constant's comment as (a0, a1, a2, a3).
 */
public final class EmulatorEvents {
    private EmulatorEvents() {}

    /** Never written; index 0 of the name table. */
    public static final int NONE = 0;
    /** Scheduler hands the CPU to a thread: (from tid, to tid, -, -). */
    public static final int SCHED_SWITCH = 1;
    /** Thread goes to sleep: (wait channel, timeout ns or 0, -, -). */
    public static final int SCHED_SLEEP = 2;
    /** Thread woken: (wait channel, woken tid, 1 if by timeout, -). */
    public static final int SCHED_WAKEUP = 3;
    /** Thread created: (tid, cpu, -, -). */
    public static final int SCHED_SPAWN = 4;
    /** Thread exited: (tid, -, -, -). */
    public static final int SCHED_EXIT = 5;
    /** Block I/O submitted: (request id, op, first sector, sector count). */
    public static final int IO_SUBMIT = 6;
    /** Block I/O completed: (request id, op, status, sector count). */
    public static final int IO_DONE = 7;
    /** TLB shootdown sent: (target cpu mask, va or -1 for all, 1 if global entries flushed too, -). */
    public static final int TLB_SHOOTDOWN = 8;
    /** Hardware page fault raised by the MMU: (va, x86 error code, cr3, -). */
    public static final int MMU_PAGE_FAULT = 9;
    /** Deadlock or watchdog stop: (number of threads, -, -, -). */
    public static final int SCHED_DEADLOCK = 10;

    public static final int FIRST_KERNEL_TYPE = 64;

    /** Names indexed by type; the kernel appends its own after {@link #FIRST_KERNEL_TYPE}. */
    public static String[] names() {
        String[] n = new String[FIRST_KERNEL_TYPE];
        for (int i = 0; i < n.length; i++) n[i] = "emu_reserved_" + i;
        n[NONE] = "none";
        n[SCHED_SWITCH] = "sched_switch";
        n[SCHED_SLEEP] = "sched_sleep";
        n[SCHED_WAKEUP] = "sched_wakeup";
        n[SCHED_SPAWN] = "sched_spawn";
        n[SCHED_EXIT] = "sched_exit";
        n[IO_SUBMIT] = "io_submit";
        n[IO_DONE] = "io_done";
        n[TLB_SHOOTDOWN] = "tlb_shootdown";
        n[MMU_PAGE_FAULT] = "mmu_page_fault";
        n[SCHED_DEADLOCK] = "sched_deadlock";
        return n;
    }
}
