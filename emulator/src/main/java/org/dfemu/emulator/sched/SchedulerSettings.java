package org.dfemu.emulator.sched;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.dfemu.emulator.api.Environment;
import org.dfemu.emulator.api.Tunable;

/**
 * Tunables of {@link LwktScheduler}; everything else about a run comes from the seed.
 *
 * @param switchProbability chance that a {@code consume} hands the CPU to another runnable
 *                          thread rather than continuing (0 = threads run until they block or
 *                          yield, 1 = switch at every consume)
 * @param watchdogNs        virtual interval without {@code progress()} after which a run with a
 *                          sleeping thread is stopped as a livelock; 0 disables the watchdog
 * @param watchdogWmesgs    the wait messages that arm the watchdog (the kernel's "waiting for
 *                          memory" sleeps); empty: any sleep arms it. With a set, the interval
 *                          counts from the later of the last progress and the first such sleep
 *                          since then, so an idle system whose daemons sleep is never a livelock
 */
public record SchedulerSettings(double switchProbability, long watchdogNs, Set<String> watchdogWmesgs) {
    public static final Tunable DEBUG_STALL_TIMEOUT = Tunable.seconds("debug.stall_timeout", "30",
            1_000L, 86_400_000_000_000L,
            "virtual seconds a thread may wait for memory with no page fault completed or swap I/O"
                    + " finished before the run stops as a deadlock (livelock), to the microsecond; 0: never");

    /** The scheduler's tunables, in the order reports list them. */
    public static final List<Tunable> TUNABLES = List.of(DEBUG_STALL_TIMEOUT);

    /** Switch at half of the consume points; no watchdog. */
    public static final SchedulerSettings DEFAULTS = new SchedulerSettings(0.5, 0);

    public SchedulerSettings {
        if (!(switchProbability >= 0 && switchProbability <= 1)) {
            throw new IllegalArgumentException("switchProbability " + switchProbability + " is not in [0, 1]");
        }
        if (watchdogNs < 0) throw new IllegalArgumentException("watchdogNs " + watchdogNs + " is negative");
        watchdogWmesgs = Set.copyOf(Objects.requireNonNull(watchdogWmesgs, "watchdogWmesgs"));
    }

    /** A watchdog any sleep arms. */
    public SchedulerSettings(double switchProbability, long watchdogNs) {
        this(switchProbability, watchdogNs, Set.of());
    }

    /**
     * {@link #DEFAULTS} with the watchdog of the boot environment's {@code debug.stall_timeout}
     * (virtual seconds, 0 = off), armed by any sleep until {@link #withWatchdogWmesgs} narrows it.
     */
    public static SchedulerSettings fromEnv(Environment env) {
        return DEFAULTS.withWatchdogNs(env.fetchNanos(DEBUG_STALL_TIMEOUT));
    }

    public SchedulerSettings withSwitchProbability(double p) { return new SchedulerSettings(p, watchdogNs, watchdogWmesgs); }

    public SchedulerSettings withWatchdogNs(long ns) { return new SchedulerSettings(switchProbability, ns, watchdogWmesgs); }

    /** This with the watchdog armed only by sleeps with one of {@code wmesgs} (empty: any sleep). */
    public SchedulerSettings withWatchdogWmesgs(Set<String> wmesgs) {
        return new SchedulerSettings(switchProbability, watchdogNs, wmesgs);
    }
}
