package org.dfemu.kernel;

import org.dfemu.emulator.Machine;
import org.dfemu.emulator.MachineConfig;
import org.dfemu.emulator.disk.BlockDevice;
import org.dfemu.emulator.sched.RunResult;
import org.dfemu.kernel.harness.check.KernelCheck;
import org.dfemu.kernel.harness.check.PeriodicCheck;
import org.dfemu.kernel.kern.InitMain;
import org.dfemu.kernel.kern.KernProc;
import org.dfemu.kernel.harness.workload.Workload;
import java.util.Set;

/**
 * A kernel booted on a whole emulated machine, for tests that need kernel threads or emulated
 * CPUs, booted on the test's thread by {@link InitMain#miStartup} (the one boot entry point) with the
 * late SYSINITs the test asks for (none by default). Close it to power off.
 */
public final class MachineKernel implements AutoCloseable {
    public final Machine machine;
    public final Kernel kernel;
    /** The workload's processes ({@link InitMain.Sysinit#INIT}) and their report. */
    public final KernProc procs;
    /** The invariant checks {@link InitMain#miStartup} armed ({@link #CHECK_INTERVAL} unless the test set its own). */
    public final PeriodicCheck checks;

    /**
     * The suite's debug.check_interval for kernel tests: every 10 ms of virtual time (tests' runs
     * are short) {@link #run} checks every invariant ({@link KernelCheck}), and at the end.
     */
    public static final String CHECK_INTERVAL = "0.01";

    private MachineKernel(Machine machine, InitMain.Running r) {
        this.machine = machine;
        this.kernel = r.kernel();
        this.procs = r.procs();
        this.checks = r.checks();
    }

    /** A machine of {@code bytes} RAM and {@code ncpus} CPUs with a booted, attached kernel. */
    public static MachineKernel boot(long bytes, int ncpus, long seed) {
        return boot(MachineConfig.of(bytes, ncpus, seed), new KernelConfig(ncpus, 100));
    }

    /** A machine of {@code mc} with a kernel of {@code kc} booted and attached, no kernel thread started. */
    public static MachineKernel boot(MachineConfig mc, KernelConfig kc) {
        return boot(mc, kc, InitMain.NONE);
    }

    /** As above, with the late SYSINITs {@code sysinits} (no swap device, no workload). */
    public static MachineKernel boot(MachineConfig mc, KernelConfig kc, Set<InitMain.Sysinit> sysinits) {
        return start(new Machine(mc), kc, null, Workload.EMPTY, sysinits);
    }

    /**
     * Boots a kernel of {@code kc} on {@code m} through {@link InitMain#miStartup} with the late
     * SYSINITs {@code sysinits}, swap device {@code swapdev} (or null) and {@code workload}
     * (seeded from the machine's seed), with debug.check_interval={@link #CHECK_INTERVAL} unless
     * {@code kc}'s environment sets it. Closes the machine if the boot fails; a panic is rethrown
     * as the {@link KernelPanic} itself.
     */
    public static MachineKernel start(Machine m, KernelConfig kc, BlockDevice swapdev, Workload workload,
                                      Set<InitMain.Sysinit> sysinits) {
        try {
            String checkName = PeriodicCheck.DEBUG_CHECK_INTERVAL.name();
            KernelConfig checked = kc.kenv().getenv(checkName).isPresent() ? kc : kc.setenv(checkName, CHECK_INTERVAL);
            InitMain.Running r = InitMain.miStartup(m, checked, swapdev, workload, m.config().seed(), sysinits);
            return new MachineKernel(m, r);
        } catch (InitMain.StartupPanic e) {
            m.close();
            throw e.panic();
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
     * thread) as the exception that caused it, and fails on a deadlock or livelock, or on an
     * invariant violation found during the run or at its end.
     */
    public RunResult run() {
        RunResult r = machine.scheduler().run();
        if (checks.violation() != null) {
            throw new AssertionError("invariant violated: " + checks.violation() + " (" + r + ")");
        }
        switch (r.outcome()) {
            case ALL_EXITED -> {
                // At the end too; not quiescent: tests may hold objects and swap outside allproc.
                KernelCheck.Violation violation = checks.finish(false, r.timeNs());
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

    @Override
    public void close() {
        machine.close();
    }
}
