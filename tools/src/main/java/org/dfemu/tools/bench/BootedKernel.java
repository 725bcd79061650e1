package org.dfemu.tools.bench;

import org.dfemu.emulator.Machine;
import org.dfemu.emulator.MachineConfig;
import org.dfemu.emulator.api.Environment;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.kern.InitMain;
import org.dfemu.kernel.sys.StructThread;
import org.dfemu.kernel.harness.workload.Workload;

/**
 * A one-CPU machine with the ported kernel booted on it, for the allocator benchmarks. The thread
 * that creates it is the kernel's boot context (thread0): allocator calls made on it take
 * {@code Lwkt}'s boot-context paths (a critical section is thread0's td_critcount, a spin lock a
 * CAS of its word) and never need the scheduler, which is attached but never run.
 */
final class BootedKernel implements AutoCloseable {
    /** RAM of the benchmark machine: the allocators' fast paths do not depend on it. */
    static final long RAM = 256L << 20;
    static final long SEED = 42;

    final Machine machine;
    final Kernel kernel;

    /** Powers on the machine, boots the kernel (INVARIANTS as given) and attaches the machine. */
    BootedKernel(boolean invariants) {
        machine = new Machine(MachineConfig.of(RAM, 1, SEED));
        // No kernel thread: the allocators are measured in boot context.
        kernel = InitMain.miStartup(machine,
                KernelConfig.forMachine(machine.config(), Environment.of(Kernel.KERN_INVARIANTS.name() + "=" + (invariants ? 1 : 0))),
                null, Workload.EMPTY, SEED, InitMain.NONE).kernel();
    }

    /**
     * Throws unless the caller is still the boot thread with no critical section open: JMH keeps
     * one worker thread per fork, the one that booted, but if it ever changed, allocator calls would
     * go to a scheduler that is not running.
     */
    void checkBootContext(String benchmark) {
        if (!kernel.lwkt().bootContext()) {
            throw new IllegalStateException(benchmark + ": not on the kernel's boot thread");
        }
        if (StructThread.td_critcount(kernel.km(), kernel.lwkt().thread0()) != 0) {
            throw new IllegalStateException(benchmark + ": critical section left open");
        }
    }

    @Override
    public void close() { machine.close(); }
}
