package org.dfemu.emulator.sched;

/**
 * Life cycle of a kernel thread as the scheduler sees it.
 *
 * <pre>
 *   spawn ──► RUNNABLE ◄──────────── wakeup / timeout / wakeupBlocked
 *               │   ▲                          ▲
 *        chosen │   │ preempted                │
 *               ▼   │                          │
 *             RUNNING ──── sleep ───────► SLEEPING
 *               │    └──── blockOn ─────► LOCKWAIT
 *               └── body returns ───────► EXITED
 * </pre>
 *
 * A thread polling for something another thread holds ({@code Scheduler.awaiting} and
 * {@code yield}) stays RUNNABLE/RUNNING; its report names what it polls for.
 */
public enum ThreadState {
    /** Ready to run, waiting to be chosen (possibly preempted while still holding its CPU). */
    RUNNABLE,
    /** The one thread that runs now, across all CPUs. */
    RUNNING,
    /** In {@code sleep} on a wait channel. */
    SLEEPING,
    /**
     * In {@code blockOn}: asleep until another thread lets go of what it waits for (a kernel's
     * sleep locks). The name is the one reports have always shown.
     */
    LOCKWAIT,
    /** Its body returned. */
    EXITED
}
