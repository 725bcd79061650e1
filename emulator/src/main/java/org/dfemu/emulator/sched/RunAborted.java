package org.dfemu.emulator.sched;

/**
 * Thrown inside a kernel thread that is being abandoned because the run ended (deadlock, panic,
 * stop): it unwinds the thread's Java stack so its virtual thread terminates. An {@link Error}
 * so that kernel code catching {@code Exception} does not swallow it; kernel code must never
 * catch it. One shared instance without a stack trace, since nobody reads it.
 */
final class RunAborted extends Error {
    static final RunAborted INSTANCE = new RunAborted();

    private RunAborted() {
        super("run ended; kernel thread abandoned", null, false, false);
    }
}
