package org.dfemu.kernel.kern;

import org.dfemu.emulator.time.VirtualClock;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.vm.VmMeter;

/**
 * kern_clock.c: DragonFly BSD sys/kern/kern_clock.c at commit 737b020b54 (2021-05-28), the one
 * part of hardclock() the port needs: every cpu, on each of its clock ticks, folds its pending
 * vmstats adjustments into the global vmstats (vmstats_rollup_cpu) and then refreshes its own copy
 * ({@code mycpu->gd_vmstats = vmstats}), which its paging thresholds are tested against until the
 * next tick.
 *
 * <p>PORT: the emulator has no per-cpu clock interrupt (its {@code ticks} is derived from virtual
 * time), so {@link #attachClock} schedules one housekeeping event on the machine's clock at each
 * instant {@code ticks} advances, and its action runs every cpu's hardclock in cpu order. The C's
 * cpus take their ticks at their own phases within the tick; here they all take it at the tick
 * boundary. The rest of hardclock (timers, callouts, statistics, scheduling) is the emulator's or
 * not modelled. Holds no state: the next tick is derived from the clock.
 */
public final class KernClock {
    private static final long NS_PER_SEC = 1_000_000_000L;

    private final Kernel kernel;

    public KernClock(Kernel kernel) {
        this.kernel = kernel;
    }

    /**
     * hardclock()'s per-cpu vmstats work for {@code cpu}: roll up its adjustments, then refresh its
     * copy of vmstats. Any context (an interrupt action, or boot); never blocks.
     */
    public void hardclock(int cpu) {
        long gd = kernel.globaldata().globaldataFind(cpu);
        VmMeter meter = kernel.vmMeter();
        meter.vmstatsRollupCpu(gd);
        meter.gdVmstatsRefresh(gd);
    }

    /**
     * (boot only, from attachMachine) Starts the clock interrupts: from tick 1 on, every cpu's
     * hardclock at the virtual instant each tick begins. The events never keep a run alive.
     */
    public void attachClock(VirtualClock clock, int hz) {
        scheduleTick(clock, hz, 1);
    }

    private void scheduleTick(VirtualClock clock, int hz, long tick) {
        clock.schedule(tickStart(tick, hz), "hardclock", false, () -> {
            for (int cpu = 0; cpu < kernel.config().ncpus(); cpu++) {
                hardclock(cpu);
            }
            scheduleTick(clock, hz, tick + 1);
        });
    }

    /** The first virtual ns at which {@code floor(now * hz / 1e9)} reaches {@code tick}, without overflow. */
    static long tickStart(long tick, int hz) {
        return tick / hz * NS_PER_SEC + (tick % hz * NS_PER_SEC + hz - 1) / hz;
    }
}
