package org.dfemu.kernel;

import org.dfemu.kernel.harness.check.KernelCheck;

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
        scheduleCheck();
        RunResult r = machine.scheduler().run();
        if (violation != null) {
            throw new AssertionError("invariant violated: " + violation + " (" + r + ")");
        }
        switch (r.outcome()) {
            case ALL_EXITED -> {
                // At the end too; not quiescent: tests may hold objects and swap outside allproc.
                violation = KernelCheck.run(kernel, false);
                if (violation != null) {
                    throw new AssertionError("invariant violated at the end: " + violation);
                }
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

    /** Virtual time between the invariant checks of {@link #run} (the suite's debug.check_interval). */
    public static final long CHECK_INTERVAL_NS = 10_000_000L;

    private KernelCheck.Violation violation;

    /**
     * Every {@link #CHECK_INTERVAL_NS} of virtual time, a housekeeping clock event runs every
     * checker ({@link KernelCheck}): it reads only, so the test's run is unchanged, and a
     * violation stops the run.
     */
    private void scheduleCheck() {
        machine.clock().scheduleIn(CHECK_INTERVAL_NS, "invariant check", false, () -> {
            violation = KernelCheck.run(kernel, false);
            if (violation != null) {
                machine.scheduler().requestStop("invariant violated");
            } else {
                scheduleCheck();
            }
        });
    }

    @Override
    public void close() {
        machine.close();
    }
}
