package org.dfemu.emulator;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.dfemu.emulator.api.Environment;
import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.api.Tunable;
import org.dfemu.emulator.cpu.CpuSettings;
import org.dfemu.emulator.memory.PhysicalMemory;
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
 * @param cpu          CPU feature settings (NXE, MAXPHYADDR, the TLB check)
 * @param trace        where trace records go ({@link TraceSink#NONE} for none)
 */
public record MachineConfig(long physmemBytes, int ncpus, int hz, long seed,
                            SchedulerSettings scheduler, CpuSettings cpu, TraceSink trace) {
    /** Largest hw.physmem an image may ask for; the host's own limit is checked at power-on. */
    private static final long PHYSMEM_MAX = 1L << 40;

    public static final Tunable HW_PHYSMEM = Tunable.size("hw.physmem", "64M", PhysicalMemory.MIN_SIZE, PHYSMEM_MAX,
            PhysicalMemory.PAGE_SIZE, "RAM size; a multiple of 4K (the host's limit is checked when the machine is built)");
    public static final Tunable HW_NCPU = Tunable.integer("hw.ncpu", "1", 1, 64, "number of CPUs");
    public static final Tunable KERN_HZ = Tunable.integer("kern.hz", "100", 10, 10_000,
            "clock interrupts per second of virtual time");

    /** The tunables the machine reads when it is built, in the order reports list them. */
    public static final List<Tunable> TUNABLES = List.of(HW_PHYSMEM, HW_NCPU, KERN_HZ);

    public MachineConfig {
        Objects.requireNonNull(scheduler, "scheduler");
        Objects.requireNonNull(cpu, "cpu");
        Objects.requireNonNull(trace, "trace");
        if (ncpus < HW_NCPU.min() || ncpus > HW_NCPU.max()) {
            throw new IllegalArgumentException("hw.ncpu " + ncpus + " is not in " + HW_NCPU.range());
        }
        if (hz < KERN_HZ.min() || hz > KERN_HZ.max()) {
            throw new IllegalArgumentException("kern.hz " + hz + " is not in " + KERN_HZ.range());
        }
    }

    /**
     * The machine the boot environment {@code env} describes: RAM, CPUs and clock rate from this
     * record's tunables, the scheduler's from {@link SchedulerSettings#fromEnv} with its watchdog
     * armed by the sleeps {@code watchdogWmesgs} (the kernel's "waiting for memory" messages), the
     * CPUs' from {@link CpuSettings#fromEnv}.
     *
     * @throws org.dfemu.emulator.api.TunableException if a value in {@code env} is invalid
     */
    public static MachineConfig fromEnv(Environment env, long seed, Set<String> watchdogWmesgs, TraceSink trace) {
        return new MachineConfig(env.fetchLong(HW_PHYSMEM), env.fetchInt(HW_NCPU), env.fetchInt(KERN_HZ), seed,
                SchedulerSettings.fromEnv(env).withWatchdogWmesgs(watchdogWmesgs), CpuSettings.fromEnv(env), trace);
    }

    /** A machine with default scheduler and CPU settings and no trace. */
    public static MachineConfig of(long physmemBytes, int ncpus, long seed) {
        return new MachineConfig(physmemBytes, ncpus, 100, seed, SchedulerSettings.DEFAULTS, CpuSettings.DEFAULT, TraceSink.NONE);
    }
}
