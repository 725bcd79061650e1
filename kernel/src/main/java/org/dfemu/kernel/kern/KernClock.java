package org.dfemu.kernel.kern;

import org.dfemu.emulator.time.VirtualClock;
import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.Exislock;
import org.dfemu.kernel.sys.StructGlobaldata;
import org.dfemu.kernel.vm.VmMeter;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_LONG;

/**
 * kern_clock.c: DragonFly BSD sys/kern/kern_clock.c at commit 737b020b54 (2021-05-28), the
 * parts of hardclock() the port needs: every cpu, on each of its clock ticks, folds its pending
 * vmstats adjustments into the global vmstats (vmstats_rollup_cpu) and then refreshes its own copy
 * ({@code mycpu->gd_vmstats = vmstats}), which its paging thresholds are tested against until the
 * next tick; and the existential locks' clock: cpu 0 advances the global {@code pseudo_ticks}
 * (and disarms every cpu) only when every cpu is armed, and each cpu re-arms itself on odd ticks
 * (exis_hold_gd/exis_drop_gd), so pseudo_ticks advances at most every other tick (hz/2).
 *
 * <p>PORT: the C's callout code (kern_timeout.c: _callout_gettoc, the cancel/stop path, the
 * softclock loop) also holds and drops the exis count, re-arming its cpu; the port has no
 * callouts, so only hardclock re-arms, which is the C's rate on cpus that run no callout.
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

    private static final StructLayout GLOBALS = MemoryLayout.structLayout(
            C_LONG.withName("pseudo_ticks")).withName("kern_clock_globals");
    private static final long PSEUDO_TICKS = 0;

    private final Kernel kernel;
    private final KernelMemory km;
    private final long globals;

    /** (boot only) Lays out kern_clock.c's globals: {@code pseudo_ticks = 1}. */
    public KernClock(Kernel kernel, DataSegment data) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.globals = data.alloc(GLOBALS);
        km.store64(globals + PSEUDO_TICKS, 1);
    }

    /** {@code pseudo_ticks}: the existential locks' clock ({@link Exislock}). Any context. */
    public long pseudoTicks() { return km.load64(globals + PSEUDO_TICKS); }

    /**
     * hardclock()'s per-cpu vmstats work for {@code cpu}: roll up its adjustments, then refresh its
     * copy of vmstats. Any context (an interrupt action, or boot); never blocks.
     */
    public void hardclock(int cpu) {
        long gd = kernel.globaldata().globaldataFind(cpu);
        int ncpus = kernel.config().ncpus();
        if (cpu == 0) {
            // exislock pseudo_ticks: advance once every cpu has been armed, disarming them all.
            int n;
            for (n = 0; n < ncpus; ++n) {
                if (StructGlobaldata.gd_exisarmed(km, kernel.globaldata().globaldataFind(n)) == 0) {
                    break;
                }
            }
            if (n == ncpus) {
                for (n = 0; n < ncpus; ++n) {
                    StructGlobaldata.gd_exisarmed(km, kernel.globaldata().globaldataFind(n), 0);
                }
                km.store64(globals + PSEUDO_TICKS, km.load64(globals + PSEUDO_TICKS) + 1);
            }
        }
        VmMeter meter = kernel.vmMeter();
        meter.vmstatsRollupCpu(gd);
        meter.gdVmstatsRefresh(gd);
        // Cycle the exis lock on odd ticks to re-arm this cpu.
        if ((kernel.lwkt().ticks() & 1) != 0) {
            Exislock.exisHoldGd(km, gd);
            Exislock.exisDropGd(km, gd);
        }
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
