package org.dfemu.kernel.kern;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.dfemu.emulator.Machine;
import org.dfemu.emulator.disk.BlockDevice;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.KernelPanic;
import org.dfemu.kernel.harness.check.PeriodicCheck;
import org.dfemu.kernel.harness.workload.Workload;

/**
 * init_main.c at 737b020b54: {@code mi_startup}, the one way a kernel boots. Everything that
 * boots a kernel on a machine ({@code dfemu boot}, sweep, the benchmarks, the tests) comes here,
 * so the boot order is written down once.
 *
 * <p>The order, as mi_startup runs its SYSINITs: link and early boot ({@link Kernel#boot}: from
 * init_param1 to the pageout thresholds, in boot context); attach the machine (dfemu's stand-in
 * for starting the APs and the clocks: scheduler, CPUs, trap vector, fault-injection seed, trace);
 * then the late SYSINITs of {@link Sysinit}, in that enum's order; finally start_init, which here
 * starts the image's workload, one process per program copy. Last, dfemu's invariant checks
 * ({@link PeriodicCheck}, debug.check_interval) are armed, so every boot gets them.
 *
 * <p>PORT: DragonFly walks a sorted linker set of SYSINITs; the port has a fixed sequence of
 * calls. swapon is rc's job in DragonFly (swapon -a after init); with no userland here, the boot
 * does it for the image's swap partition, before init, as KernelRun always did.
 */
public final class InitMain {
    private InitMain() {}

    /**
     * The SYSINITs after the machine is attached, in the order they run. A full boot runs all;
     * a test may leave some out to study one subsystem alone, never reorder them.
     */
    public enum Sysinit {
        /** kmalloc_poller (kern_slaballoc.c, SI_SUB_KTHREAD_PAGE): trims kmalloc_obj zones. */
        KMALLOC_POLLER,
        /** vm_pageout (SI_SUB_KTHREAD_PAGE): the pagedaemon and the emergency pager; the pagedaemon's setup runs swap_pager_swap_init. */
        PAGEDAEMON,
        /** swaponvp of the swap device, if one is given (an error is printed and the boot goes on). */
        SWAPON,
        /** The swap completion thread "swapintr", if a swap device is given. */
        SWAPINTR,
        /** start_init: the workload's processes (none for an empty workload). */
        INIT
    }

    /** Every SYSINIT: a full boot. */
    public static final Set<Sysinit> ALL = EnumSet.allOf(Sysinit.class);

    /** None after attaching the machine: a kernel whose threads a test creates itself. */
    public static final Set<Sysinit> NONE = EnumSet.noneOf(Sysinit.class);

    /**
     * A booted kernel whose threads are created and wait for the machine's scheduler to run.
     *
     * @param kernel the kernel
     * @param procs  its process table's runner: the workload's processes and their report. When
     *               the last process ends it asks the scheduler to stop ("all processes exited").
     * @param checks the run's invariant checks (debug.check_interval; off at 0): the caller runs
     *               {@link PeriodicCheck#finish} after the scheduler and reports a violation
     */
    public record Running(Kernel kernel, KernProc procs, PeriodicCheck checks) {}

    /**
     * A panic during boot. {@link #kernel()} is null if it happened while the kernel was linked
     * or in the early boot (nothing was printed to a console that could be shown), else the
     * kernel, whose console and sysctls can still be read.
     */
    public static final class StartupPanic extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Kernel kernel;

        StartupPanic(KernelPanic panic, Kernel kernel) {
            super(panic.getMessage(), panic);
            this.kernel = kernel;
        }

        /** The panic itself. */
        public KernelPanic panic() { return (KernelPanic) getCause(); }

        /** The kernel if the early boot had completed, else null. */
        public Kernel kernel() { return kernel; }
    }

    /** A full boot: {@link #miStartup(Machine, KernelConfig, BlockDevice, Workload, long, Set, Consumer)} with every SYSINIT. */
    public static Running miStartup(Machine machine, KernelConfig config, BlockDevice swapdev, Workload workload, long seed) {
        return miStartup(machine, config, swapdev, workload, seed, ALL, k -> { });
    }

    /** A boot that runs only the late SYSINITs in {@code sysinits}, with nothing to do before init. */
    public static Running miStartup(Machine machine, KernelConfig config, BlockDevice swapdev, Workload workload, long seed,
                                    Set<Sysinit> sysinits) {
        return miStartup(machine, config, swapdev, workload, seed, sysinits, k -> { });
    }

    /**
     * Boots a kernel on {@code machine}: links it over the machine's RAM with {@code config}
     * (its environment carries the tunables), runs the early boot, attaches the machine, runs the
     * late SYSINITs in {@code sysinits} (swap ones only with a {@code swapdev}), calls
     * {@code beforeInit} (the boot console is complete: callers print it there, before any process
     * allocates memory) and, with {@link Sysinit#INIT}, starts {@code workload}'s processes, their
     * interpreters seeded from {@code seed}; finally arms the invariant checks the environment's
     * debug.check_interval asks for. Returns with the kernel's threads created; the caller runs
     * the machine's scheduler.
     *
     * <p>Call once per machine, on the thread that becomes the boot context (thread0), before
     * the scheduler runs. Never blocks.
     *
     * @throws StartupPanic if the kernel panics before init
     */
    public static Running miStartup(Machine machine, KernelConfig config, BlockDevice swapdev, Workload workload, long seed,
                                    Set<Sysinit> sysinits, Consumer<Kernel> beforeInit) {
        Objects.requireNonNull(workload, "workload");
        Kernel kernel;
        try {
            kernel = Kernel.boot(machine.ram(), machine.cpus(), config);
        } catch (KernelPanic p) {
            throw new StartupPanic(p, null);
        }
        try {
            kernel.attachMachine(machine);
            if (sysinits.contains(Sysinit.KMALLOC_POLLER)) {
                kernel.kernSlaballoc().kmallocPollerStart();
            }
            if (sysinits.contains(Sysinit.PAGEDAEMON)) {
                kernel.vmPageout().vmPageoutStart();
            }
            if (swapdev != null && sysinits.contains(Sysinit.SWAPON)) {
                int error = kernel.vmSwap().swaponvp(swapdev);
                if (error != 0) {
                    kernel.kprintf("swapon: " + swapdev.name() + ": error " + error);
                }
            }
            if (swapdev != null && sysinits.contains(Sysinit.SWAPINTR)) {
                kernel.swapPager().swapPagerIntrStart();
            }
        } catch (KernelPanic p) {
            throw new StartupPanic(p, kernel);
        }
        beforeInit.accept(kernel);
        KernProc procs = new KernProc(kernel, machine, () -> machine.scheduler().requestStop("all processes exited"));
        if (sysinits.contains(Sysinit.INIT) && !workload.programs().isEmpty()) {
            // Only kernel daemons remain once the last process ended: the run is over then.
            procs.startWorkload(workload, seed);
        }
        // PORT: dfemu's harness, not a SYSINIT: a read-only clock event, so no run changes by it.
        PeriodicCheck checks = PeriodicCheck.start(machine, kernel);
        return new Running(kernel, procs, checks);
    }
}
