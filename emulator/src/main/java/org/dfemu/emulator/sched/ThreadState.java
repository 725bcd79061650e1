package org.dfemu.emulator.sched;

/**
 * Life cycle of a kernel thread as the scheduler sees it.
 *
 * <pre>
 *   spawn ──► RUNNABLE ◄──────────── wakeup / timeout / lock released
 *               │   ▲                          ▲
 *        chosen │   │ preempted                │
 *               ▼   │                          │
 *             RUNNING ──── tsleep ──────► SLEEPING
 *               │    └──── lock busy ───► LOCKWAIT
 *               └── body returns ───────► EXITED
 * </pre>
 *
 * A thread spinning on a spin lock stays RUNNABLE/RUNNING (it never sleeps); its report names
 * the lock it spins on.
 */
public enum ThreadState {
    /** Ready to run, waiting to be chosen (possibly preempted while still holding its CPU). */
    RUNNABLE,
    /** The one thread that runs now, across all CPUs. */
    RUNNING,
    /** In {@code tsleep} on a wait channel. */
    SLEEPING,
    /** Asleep on a sleepable (lockmgr) lock's address until its holder releases it. */
    LOCKWAIT,
    /** Its body returned. */
    EXITED
}
