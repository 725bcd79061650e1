package org.dfemu.kernel.harness.check;

import java.util.List;
import org.dfemu.emulator.Machine;
import org.dfemu.emulator.api.Tunable;
import org.dfemu.kernel.Kernel;

/**
 * (dfemu only) {@code debug.check_interval}: {@link KernelCheck} inside a run, every interval of
 * virtual time from a housekeeping clock event and once more when the run is over. The first
 * violation asks the scheduler to stop, as the shutdown event does. {@link
 * org.dfemu.kernel.kern.InitMain#miStartup} starts one for every boot, so whatever boots a
 * kernel (dfemu boot, sweep, the tests) is checked when its environment asks for it.
 *
 * <p>The event only reads emulated memory (no store, lock, scheduler call or virtual time), so a
 * run is the same with checks on or off, and it does not keep an otherwise finished run alive.
 * Mutable per run (passes made, the violation found); used on the scheduler's thread only.
 */
public final class PeriodicCheck {
    /** Virtual seconds between checks; 0: off. */
    public static final Tunable DEBUG_CHECK_INTERVAL = Tunable.seconds("debug.check_interval", "0",
            1_000L, 3_600_000_000_000L,
            "virtual seconds between full invariant checks (pmap, page queues, swap, zones, kmalloc_obj, vmstats),"
                    + " also run at the end; a violation ends the run as result: invariant; 0: off"
                    + " (dfemu sweep uses 0.1 unless given, the test suite 0.05)");

    /** The tunables this class fetches. */
    public static final List<Tunable> TUNABLES = List.of(DEBUG_CHECK_INTERVAL);

    private final Machine machine;
    private final Kernel kernel;
    private final long intervalNs;
    private long passes;
    private KernelCheck.Violation violation;
    private long violationNs;

    private PeriodicCheck(Machine machine, Kernel kernel, long intervalNs) {
        this.machine = machine;
        this.kernel = kernel;
        this.intervalNs = intervalNs;
    }

    /**
     * Reads {@code debug.check_interval} from the kernel's environment and, unless it is 0,
     * schedules the first check one interval from now. Call before the scheduler runs, in boot
     * context. Never blocks.
     */
    public static PeriodicCheck start(Machine machine, Kernel kernel) {
        PeriodicCheck c = new PeriodicCheck(machine, kernel, kernel.kenv().fetchNanos(DEBUG_CHECK_INTERVAL));
        if (c.intervalNs > 0) c.schedule();
        return c;
    }

    private void schedule() {
        machine.clock().scheduleIn(intervalNs, "invariant check", false, () -> {
            if (pass(false, machine.clock().now())) {
                machine.scheduler().requestStop("invariant violated: " + violation);
            } else {
                schedule();
            }
        });
    }

    /**
     * The end-of-run pass, if checks are on and none failed yet: call after the scheduler
     * returned (all threads exited or stopped), at virtual time {@code nowNs}. {@code quiescent}:
     * no process is left, so no operation on user memory can be half done (see
     * {@link KernelCheck}). Returns the violation found (now or before), or null.
     */
    public KernelCheck.Violation finish(boolean quiescent, long nowNs) {
        if (intervalNs > 0 && violation == null) pass(quiescent, nowNs);
        return violation;
    }

    private boolean pass(boolean quiescent, long nowNs) {
        passes++;
        // Read as an instrument: the checks change nothing of the run, its CPU time and TLBs included.
        org.dfemu.emulator.cpu.Cpu token = kernel.km().instrumentBegin();
        try {
            violation = KernelCheck.run(kernel, quiescent);
        } finally {
            kernel.km().instrumentEnd(token);
        }
        violationNs = nowNs;
        return violation != null;
    }

    /** The interval in virtual nanoseconds; 0: checks are off. */
    public long intervalNs() { return intervalNs; }

    /** Passes made so far. */
    public long passes() { return passes; }

    /** The first violation found, or null. */
    public KernelCheck.Violation violation() { return violation; }

    /** Virtual time of the pass that found {@link #violation()}. */
    public long violationNs() { return violationNs; }
}
