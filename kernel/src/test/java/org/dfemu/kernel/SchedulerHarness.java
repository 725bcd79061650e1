package org.dfemu.kernel;

import org.dfemu.emulator.api.Scheduler;
import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.emulator.sched.LwktScheduler;
import org.dfemu.emulator.sched.RunResult;
import org.dfemu.emulator.time.VirtualClock;

/**
 * Where kernel tests get the machine's real scheduler (no fake: these tests are about the real
 * one's semantics). The kernel's lock words live in its own RAM, which the scheduler never
 * touches; {@code ram} is the RAM the kernel booted on, kept in the signature for the callers.
 */
public final class SchedulerHarness {
    private SchedulerHarness() {}

    /** A scheduler and the means to run it. */
    public interface Machine {
        Scheduler scheduler();

        /** The virtual clock the scheduler advances (for the kernel's clock ticks). */
        VirtualClock clock();

        /** Runs the spawned threads until all have exited. Throws if the run ends any other way. */
        void run();
    }

    /** A scheduler for {@code config.ncpus()} cpus at {@code config.hz()} over {@code ram}, seeded by {@code seed}. */
    public static Machine create(long seed, KernelConfig config, PhysicalMemory ram) {
        VirtualClock clock = new VirtualClock();
        LwktScheduler sched = new LwktScheduler(clock, config.ncpus(), config.hz(), seed, TraceSink.NONE);
        return new Machine() {
            @Override
            public Scheduler scheduler() { return sched; }

            @Override
            public VirtualClock clock() { return clock; }

            @Override
            public void run() {
                RunResult r = sched.run();
                if (r.outcome() != RunResult.Outcome.ALL_EXITED) throw new AssertionError("run did not complete:\n" + r);
            }
        };
    }
}
