package org.dfemu.kernel;

import org.dfemu.emulator.Machine;
import org.dfemu.emulator.MachineConfig;
import org.dfemu.emulator.sched.RunResult;

/**
 * A kernel booted on a whole emulated machine, for tests that need kernel threads or emulated
 * CPUs: boot on the test's thread, then {@link Kernel#attachMachine}. Close it to power off.
 */
public final class MachineKernel implements AutoCloseable {
    public final Machine machine;
    public final Kernel kernel;

    private MachineKernel(Machine machine, Kernel kernel) {
        this.machine = machine;
        this.kernel = kernel;
    }

    /** A machine of {@code bytes} RAM and {@code ncpus} CPUs with a booted, attached kernel. */
    public static MachineKernel boot(long bytes, int ncpus, long seed) {
        return boot(MachineConfig.of(bytes, ncpus, seed), new KernelConfig(ncpus, 100));
    }

    public static MachineKernel boot(MachineConfig mc, KernelConfig kc) {
        Machine m = new Machine(mc);
        try {
            Kernel k = Kernel.boot(m.ram(), kc);
            k.attachMachine(m);
            return new MachineKernel(m, k);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Queues a kernel thread (lwkt_create) on {@code cpu}; started by {@link #run}. */
    public void thread(String name, int cpu, Runnable body) {
        kernel.lwkt().lwktCreate(name, cpu, 0, body);
    }

    /**
     * Runs the scheduler until every thread exited; rethrows a panic (or a failed assertion in a
     * thread) as the exception that caused it, and fails on a deadlock or livelock.
     */
    public RunResult run() {
        RunResult r = machine.scheduler().run();
        switch (r.outcome()) {
            case ALL_EXITED -> {
                return r;
            }
            case PANIC -> {
                Throwable t = r.panicCause();
                if (t instanceof RuntimeException re) {
                    throw re;
                }
                if (t instanceof Error err) {
                    throw err;
                }
                throw new AssertionError(r.toString(), t);
            }
            default -> throw new AssertionError(r.toString());
        }
    }

    @Override
    public void close() {
        machine.close();
    }
}
