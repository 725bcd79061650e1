package org.dfemu.emulator.sched;

import java.util.List;

/**
 * How a run of the scheduler ended.
 *
 * @param outcome         why it ended
 * @param timeNs          virtual time at the end
 * @param reason          one line: the stop reason, the panic message, the deadlock headline
 * @param threads         every thread not yet exited at the end, by thread id
 * @param deadlock        the report for {@link Outcome#DEADLOCK} and {@link Outcome#LIVELOCK}, else null
 * @param panicThread     for {@link Outcome#PANIC}: the thread that panicked (tid 0, named
 *                        "interrupt", when an event action panicked), else null
 * @param panicCause      for {@link Outcome#PANIC}: the exception, else null
 * @param contextSwitches hand-offs performed during the run
 * @param scheduleDigest  a hash of every scheduling decision (time, from, to): two runs with the
 *                        same digest made the same choices, a cheap determinism check
 */
public record RunResult(Outcome outcome, long timeNs, String reason, List<ThreadInfo> threads,
                        DeadlockReport deadlock, ThreadInfo panicThread, Throwable panicCause,
                        long contextSwitches, long scheduleDigest) {
    public enum Outcome {
        /** Every kernel thread's body returned. */
        ALL_EXITED,
        /** No thread could run and nothing pending could wake one (see {@link #deadlock()}). */
        DEADLOCK,
        /** The watchdog saw no progress for its interval (see {@link #deadlock()}). */
        LIVELOCK,
        /** An uncaught exception in a kernel thread or an event action. */
        PANIC,
        /** {@code requestStop} was called. */
        STOPPED
    }

    private static final int JAVA_FRAMES_SHOWN = 24;

    public RunResult {
        threads = List.copyOf(threads);
    }

    /** Multi-line summary: the outcome line, then the panic or deadlock details. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        switch (outcome) {
            case ALL_EXITED -> sb.append("all threads exited at ").append(VirtualTime.seconds(timeNs))
                    .append(" (").append(contextSwitches).append(" context switches)\n");
            case DEADLOCK, LIVELOCK -> sb.append(deadlock);
            case PANIC -> {
                sb.append("panic at ").append(VirtualTime.seconds(timeNs)).append(" in tid ")
                        .append(panicThread.tid()).append(" (").append(panicThread.name()).append("): ")
                        .append(reason).append('\n');
                sb.append(ThreadInfo.header()).append('\n').append(panicThread).append('\n');
                appendJavaStack(sb);
                sb.append("other threads:\n");
                appendThreads(sb);
            }
            case STOPPED -> {
                sb.append("stopped at ").append(VirtualTime.seconds(timeNs)).append(": ").append(reason).append('\n');
                appendThreads(sb);
            }
        }
        return sb.toString();
    }

    /**
     * The panic's Java stack, innermost first: the ported functions keep their DragonFly names,
     * so this is the backtrace when kernel frames were already popped by the unwinding.
     */
    private void appendJavaStack(StringBuilder sb) {
        StackTraceElement[] stack = panicCause.getStackTrace();
        if (stack.length == 0) return;
        sb.append("java stack:\n");
        int shown = Math.min(stack.length, JAVA_FRAMES_SHOWN);
        for (int i = 0; i < shown; i++) sb.append("          at ").append(stack[i]).append('\n');
        if (shown < stack.length) sb.append("          ... ").append(stack.length - shown).append(" more\n");
    }

    private void appendThreads(StringBuilder sb) {
        sb.append(ThreadInfo.header()).append('\n');
        for (ThreadInfo t : threads) {
            if (panicThread == null || t.tid() != panicThread.tid()) sb.append(t).append('\n');
        }
    }
}
