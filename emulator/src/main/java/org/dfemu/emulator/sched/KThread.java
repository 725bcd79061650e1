package org.dfemu.emulator.sched;

import java.util.List;
import org.dfemu.emulator.time.VirtualClock;

/**
 * The scheduler's record of one kernel thread ({@code struct thread} as far as scheduling goes).
 *
 * <p>Ownership: every field is read and written only by whichever thread currently owns the
 * machine (the running kernel thread, or the host thread inside {@code run()} before the first
 * hand-off). The hand-off through the scheduler's volatile {@code current} orders those accesses,
 * so no field here needs to be volatile.
 */
final class KThread {
    final int tid;
    final String name;
    final int cpu;
    final long td;
    final Runnable body;
    /** The Java virtual thread that carries this kernel thread; started when first chosen. */
    Thread carrier;
    boolean started;
    /** Fires when a timed tsleep expires; created once per thread, not per sleep. */
    Runnable timeoutAction;

    ThreadState state = ThreadState.RUNNABLE;
    /** Wait channel and message while SLEEPING or LOCKWAIT. */
    long wchan;
    String wmesg;
    /** Links of the sleep queue of {@code wchan} (see {@link WaitQueues}); null when not queued. */
    KThread waitNext;
    KThread waitPrev;
    /** Pending timeout of the current tsleep, or null. */
    VirtualClock.Event timeout;
    /** Set at tsleep when its wmesg is one of the watchdog's ({@code watchdogWmesgs}), so a wakeup need not look again. */
    boolean watched;
    /** Set when the last tsleep ended by its timeout rather than a wakeup. */
    boolean timedOut;

    /** Lock this thread spins on (state RUNNABLE/RUNNING) or sleeps on (LOCKWAIT); mode null when none. */
    long waitLockPa;
    String waitLockName;
    LockMode waitLockMode;

    int critCount;
    final FrameStack frames = new FrameStack();
    /** The frames it had when it panicked (they are popped while the panic unwinds); null if it did not. */
    List<String> panicFrames;
    final HeldLocks held = new HeldLocks();

    /** Times this thread was handed the CPU. */
    long switches;
    /** Virtual CPU time it consumed. */
    long cpuNs;
    /** Context-switch time charged to this thread at its next scheduling point (the CPU-time model). */
    long switchNs;

    KThread(int tid, String name, int cpu, long td, Runnable body) {
        this.tid = tid;
        this.name = name;
        this.cpu = cpu;
        this.td = td;
        this.body = body;
    }

    boolean blocked() {
        return state == ThreadState.SLEEPING || state == ThreadState.LOCKWAIT;
    }

    void clearLockWait() {
        waitLockPa = 0;
        waitLockName = null;
        waitLockMode = null;
    }
}
