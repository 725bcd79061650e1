package org.dfemu.emulator.sched;

/**
 * Tunables of {@link LwktScheduler}; everything else about a run comes from the seed.
 *
 * @param switchProbability chance that a {@code consume} hands the CPU to another runnable
 *                          thread rather than continuing (0 = threads run until they block or
 *                          yield, 1 = switch at every consume)
 * @param watchdogNs        virtual interval without {@code progress()} after which a run with a
 *                          sleeping thread is stopped as a livelock; 0 disables the watchdog
 */
public record SchedulerSettings(double switchProbability, long watchdogNs) {
    /** Switch at half of the consume points; no watchdog. */
    public static final SchedulerSettings DEFAULTS = new SchedulerSettings(0.5, 0);

    public SchedulerSettings {
        if (!(switchProbability >= 0 && switchProbability <= 1)) {
            throw new IllegalArgumentException("switchProbability " + switchProbability + " is not in [0, 1]");
        }
        if (watchdogNs < 0) throw new IllegalArgumentException("watchdogNs " + watchdogNs + " is negative");
    }

    public SchedulerSettings withSwitchProbability(double p) { return new SchedulerSettings(p, watchdogNs); }

    public SchedulerSettings withWatchdogNs(long ns) { return new SchedulerSettings(switchProbability, ns); }
}
