package org.dfemu.emulator.sched;

import java.util.List;
import org.dfemu.emulator.api.Awaited;
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
    /** Fires when a timed sleep expires; created once per thread, not per sleep. */
    Runnable timeoutAction;

    ThreadState state = ThreadState.RUNNABLE;
    /** Wait channel and message while SLEEPING or LOCKWAIT. */
    long wchan;
    String wmesg;
    /** Links of the sleep queue of {@code wchan} (see {@link WaitQueues}); null when not queued. */
    KThread waitNext;
    KThread waitPrev;
    /** Pending timeout of the current sleep, or null. */
    VirtualClock.Event timeout;
    /** Set at sleep when its wmesg is one of the watchdog's ({@code watchdogWmesgs}), so a wakeup need not look again. */
    boolean watched;
    /** Set when the last sleep ended by its timeout rather than a wakeup. */
    boolean timedOut;

    /**
     * What this thread waits for, as its software described it: while blocked on it (LOCKWAIT,
     * cleared at the wakeup) or while polling for it (RUNNABLE/RUNNING, until the software clears
     * it). Null when none.
     */
    Awaited awaited;

    /** Preemption-disable count: while it is above 0 and this thread holds its CPU, no other thread of the CPU runs. */
    int preemptCount;
    final FrameStack frames = new FrameStack();
    /** The frames it had when it panicked (they are popped while the panic unwinds); null if it did not. */
    List<String> panicFrames;

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
}
