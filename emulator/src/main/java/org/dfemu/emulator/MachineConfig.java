package org.dfemu.emulator;

import java.util.Objects;
import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.cpu.CpuSettings;
import org.dfemu.emulator.sched.SchedulerSettings;

/**
 * Everything that defines a machine before power-on. Together with the disk image and the kernel's
 * settings, these values and the seed fully determine a run.
 *
 * @param physmemBytes RAM size (hw.physmem)
 * @param ncpus        emulated CPUs (hw.ncpu)
 * @param hz           clock interrupt frequency (kern.hz)
 * @param seed         the run's master seed; every subsystem gets its own sub-seed drawn from it
 * @param scheduler    preemption probability and watchdog interval
 * @param cpu          CPU feature settings (NXE, MAXPHYADDR)
 * @param trace        where trace records go ({@link TraceSink#NONE} for none)
 */
public record MachineConfig(long physmemBytes, int ncpus, int hz, long seed,
                            SchedulerSettings scheduler, CpuSettings cpu, TraceSink trace) {
    public MachineConfig {
        Objects.requireNonNull(scheduler, "scheduler");
        Objects.requireNonNull(cpu, "cpu");
        Objects.requireNonNull(trace, "trace");
        if (ncpus < 1 || ncpus > 64) throw new IllegalArgumentException("hw.ncpu " + ncpus + " is not in 1..64");
        if (hz < 10 || hz > 10_000) throw new IllegalArgumentException("kern.hz " + hz + " is not in 10..10000");
    }

    /** A machine with default scheduler and CPU settings and no trace. */
    public static MachineConfig of(long physmemBytes, int ncpus, long seed) {
        return new MachineConfig(physmemBytes, ncpus, 100, seed, SchedulerSettings.DEFAULTS, CpuSettings.DEFAULT, TraceSink.NONE);
    }
}
