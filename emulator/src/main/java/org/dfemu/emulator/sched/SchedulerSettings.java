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
 * @param runawayNs         virtual CPU time a thread may count without reaching a scheduling point
 *                          before the run stops as a livelock (also bounded by a nonzero
 *                          {@code watchdogNs}); 0: only the watchdog's interval bounds it
 */
public record SchedulerSettings(double switchProbability, long watchdogNs, Set<String> watchdogWmesgs, long runawayNs) {
    public static final Tunable DEBUG_STALL_TIMEOUT = Tunable.seconds("debug.stall_timeout", "30",
            1_000L, 86_400_000_000_000L,
            "virtual seconds a thread may wait for memory with no page fault completed or swap I/O"
                    + " finished before the run stops as a deadlock (livelock), to the microsecond; 0: never");

    /**
     * {@code debug.runaway_timeout}. The clock moves only at scheduling points, so a kernel loop
     * that retries without sleeping or yielding stops virtual time; the CPU-time model still
     * counts its work, and this bounds it. A second of CPU with no scheduling point is far past
     * any path of the ported kernel (the pagedaemon's scans yield), while the stall watchdog's
     * 30 s would cost the host about an hour and a half of such a loop.
     */
    public static final Tunable DEBUG_RUNAWAY_TIMEOUT = Tunable.seconds("debug.runaway_timeout", "1",
            1_000L, 86_400_000_000_000L,
            "virtual seconds of CPU time a kernel thread may count without reaching a scheduling point"
                    + " (no sleep, yield or lock wait) before the run stops as a livelock (the stall"
                    + " timeout also bounds it), to the microsecond; 0: only the stall timeout");

    /** The scheduler's tunables, in the order reports list them. */
    public static final List<Tunable> TUNABLES = List.of(DEBUG_STALL_TIMEOUT, DEBUG_RUNAWAY_TIMEOUT);

    /** Switch at half of the consume points; no watchdog; no runaway bound but the watchdog's. */
    public static final SchedulerSettings DEFAULTS = new SchedulerSettings(0.5, 0);

    public SchedulerSettings {
        if (!(switchProbability >= 0 && switchProbability <= 1)) {
            throw new IllegalArgumentException("switchProbability " + switchProbability + " is not in [0, 1]");
        }
        if (watchdogNs < 0) throw new IllegalArgumentException("watchdogNs " + watchdogNs + " is negative");
        if (runawayNs < 0) throw new IllegalArgumentException("runawayNs " + runawayNs + " is negative");
        watchdogWmesgs = Set.copyOf(Objects.requireNonNull(watchdogWmesgs, "watchdogWmesgs"));
    }

    /** A watchdog any sleep arms. */
    public SchedulerSettings(double switchProbability, long watchdogNs) {
        this(switchProbability, watchdogNs, Set.of(), 0);
    }

    /**
     * {@link #DEFAULTS} with the watchdog of the boot environment's {@code debug.stall_timeout}
     * (virtual seconds, 0 = off), armed by any sleep until {@link #withWatchdogWmesgs} narrows it.
     */
    public static SchedulerSettings fromEnv(Environment env) {
        return DEFAULTS.withWatchdogNs(env.fetchNanos(DEBUG_STALL_TIMEOUT)).withRunawayNs(env.fetchNanos(DEBUG_RUNAWAY_TIMEOUT));
    }

    public SchedulerSettings withSwitchProbability(double p) {
        return new SchedulerSettings(p, watchdogNs, watchdogWmesgs, runawayNs);
    }

    public SchedulerSettings withWatchdogNs(long ns) { return new SchedulerSettings(switchProbability, ns, watchdogWmesgs, runawayNs); }

    public SchedulerSettings withRunawayNs(long ns) { return new SchedulerSettings(switchProbability, watchdogNs, watchdogWmesgs, ns); }

    /** The CPU time without a scheduling point that ends a run: the shorter nonzero of the two bounds; 0: none. */
    public long runawayLimitNs() {
        if (runawayNs == 0) return watchdogNs;
        return watchdogNs == 0 ? runawayNs : Math.min(watchdogNs, runawayNs);
    }

    /** This with the watchdog armed only by sleeps with one of {@code wmesgs} (empty: any sleep). */
    public SchedulerSettings withWatchdogWmesgs(Set<String> wmesgs) {
        return new SchedulerSettings(switchProbability, watchdogNs, wmesgs, runawayNs);
    }
}
