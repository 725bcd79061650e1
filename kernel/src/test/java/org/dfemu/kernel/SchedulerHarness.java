package org.dfemu.kernel;

import org.dfemu.emulator.api.Scheduler;
import org.junit.jupiter.api.Assumptions;

/**
 * Where kernel tests get a real scheduler. WIRING POINT: until the emulator's Scheduler
 * implementation is on main, {@link #create} aborts, so tests that need threads (tagged
 * "needs-scheduler", e.g. {@code VmWaitTest}) are reported as skipped, not failed. To enable them,
 * make {@link #create} build the emulator's scheduler for the given seed, cpus and hz, and
 * {@link Machine#run} run it until every thread has exited (throwing on deadlock).
 * No fake scheduler is provided on purpose: these tests are about the real one's semantics.
 */
public final class SchedulerHarness {
    private SchedulerHarness() {}

    /** A scheduler and the means to run it. */
    public interface Machine {
        Scheduler scheduler();

        /** Runs the spawned threads until all have exited. Throws if they deadlock. */
        void run();
    }

    /** A scheduler for {@code config.ncpus()} cpus at {@code config.hz()}, seeded by {@code seed}. */
    public static Machine create(long seed, KernelConfig config) {
        Assumptions.abort("no Scheduler implementation wired into SchedulerHarness yet (seed " + seed
                + ", " + config.ncpus() + " cpus)");
        throw new AssertionError("unreachable");
    }
}
