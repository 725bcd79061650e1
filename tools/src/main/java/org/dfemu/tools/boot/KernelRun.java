package org.dfemu.tools.boot;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.function.BiConsumer;
import org.dfemu.emulator.Machine;
import org.dfemu.emulator.api.Tunable;
import org.dfemu.emulator.disk.BlockDevice;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.emulator.sched.RunResult;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.KernelPanic;
import org.dfemu.kernel.harness.check.KernelCheck;
import org.dfemu.kernel.harness.check.PeriodicCheck;
import org.dfemu.kernel.harness.check.ReclaimCheck;
import org.dfemu.kernel.kern.InitMain;
import org.dfemu.kernel.kern.KernProc;
import org.dfemu.kernel.harness.report.MallocStats;
import org.dfemu.kernel.harness.report.ProcReport;
import org.dfemu.kernel.sys.Sysctl;
import org.dfemu.kernel.harness.workload.Workload;
import org.dfemu.tools.boot.RunRecord.Outcome;

/**
 * Boots the ported kernel on a powered-on machine ({@link InitMain#miStartup}), runs it until
 * shutdown, and prints the console and the reports. Returns the run's {@link RunRecord}, whose
 * exit status is 0 for a clean run, 1 for a kernel panic, deadlock, livelock, data loss, invariant
 * violation or a process meeting another fate than its program expects (debug.check_interval: {@link PeriodicCheck}, armed by the boot).
 */
public final class KernelRun {
    private KernelRun() {}

    /**
     * The shutdown's {@code vmstat} (page counts) and {@code vmstat -s} (event counters) blocks,
     * headings included, read from {@code kernel}'s sysctls; {@code dfemu inspect}'s
     * {@code vmstat} prints the same lines from a core.
     */
    public static List<String> vmstat(Kernel kernel) {
        Sysctl sysctl = kernel.sysctl();
        List<String> out = new java.util.ArrayList<>();
        out.add("--- vmstat (pages) ---");
        for (String name : VMSTAT) {
            if (sysctl.exists(name)) out.add(String.format(Locale.ROOT, "%-34s %10d", name.substring(name.lastIndexOf('.') + 1), sysctl.read(name)));
        }
        out.add("--- vmstat -s (events) ---");
        for (String name : VMSTAT_EVENTS) {
            if (sysctl.exists(name)) out.add(String.format(Locale.ROOT, "%-34s %10d", name.substring(name.lastIndexOf('.') + 1), sysctl.read(name)));
        }
        return out;
    }

    /** The thresholds and counters {@code -v} prints after boot, by their sysctl names. */
    private static final List<String> VERBOSE_SYSCTLS = List.of(
            "vm.stats.vm.v_page_count", "vm.stats.vm.v_free_count", "vm.stats.vm.v_wire_count",
            "vm.stats.vm.v_interrupt_free_min", "vm.stats.vm.v_pageout_free_min", "vm.v_free_severe",
            "vm.stats.vm.v_free_reserved", "vm.stats.vm.v_free_min", "vm.stats.vm.v_free_target",
            "vm.stats.vm.v_paging_wait", "vm.stats.vm.v_paging_start", "vm.stats.vm.v_paging_target1",
            "vm.stats.vm.v_paging_target2", "vm.stats.vm.v_inactive_target");

    /** The page counts of the shutdown {@code vmstat}-style summary. */
    private static final List<String> VMSTAT = List.of(
            "vm.stats.vm.v_free_count", "vm.stats.vm.v_cache_count", "vm.stats.vm.v_inactive_count",
            "vm.stats.vm.v_active_count", "vm.stats.vm.v_wire_count");

    /** The event counters of the shutdown summary (vmstat -s): faults by kind, swap, pageout. */
    private static final List<String> VMSTAT_EVENTS = List.of(
            "vm.stats.vm.v_vm_faults", "vm.stats.vm.v_zfod", "vm.stats.vm.v_cow_faults",
            "vm.stats.vm.v_swapin", "vm.stats.vm.v_swappgsin", "vm.stats.vm.v_swapout", "vm.stats.vm.v_swappgsout",
            "vm.stats.vm.v_pdwakeups", "vm.stats.vm.v_pdpages", "vm.stats.vm.v_dfree", "vm.stats.vm.v_reactivated",
            "vm.stats.vm.v_tfree");

    /**
     * Boots, attaches {@code swapdev} (the image's swap partition, or null) as the swap device,
     * starts {@code workload}'s processes (interpreters seeded from {@code seed}) and runs until
     * the last process ended or {@code runNs} of virtual time passed (an image without programs
     * idles for {@code runNs}); prints the console, the shutdown reports and the processes'
     * summary. {@code reproduce} is the boot command that repeats the run, printed with an
     * invariant violation; {@code beforeRun} gets the machine and the kernel right before the
     * scheduler runs (tests plant corruptions from there). Returns the run's record (exit status
     * 0 ok, 1 panic, deadlock, data loss or invariant violation).
     */
    static RunRecord run(Machine machine, KernelConfig config, BlockDevice swapdev, Workload workload, long seed, long runNs,
                         long reportEveryNs, boolean verbose, String reproduce, BiConsumer<Machine, Kernel> beforeRun,
                         PrintWriter out) {
        InitMain.Running running;
        long[] bootLines = {0};
        try {
            running = InitMain.miStartup(machine, config, swapdev, workload, seed, InitMain.ALL,
                    kernel -> bootLines[0] = printBootConsole(kernel, verbose, out));
        } catch (InitMain.StartupPanic sp) {
            KernelPanic p = sp.panic();
            Kernel kernel = sp.kernel();
            if (kernel == null) {
                out.println(p.getMessage());
                out.println("result: panic during boot");
                return new RunRecord(seed, 1, Outcome.PANIC, 0, 0, -1, 0, 0, headline(p.getMessage()), 0, 0, 0);
            }
            for (String line : kernel.dmesg()) out.println(line);
            out.println(p.getMessage());
            out.println("result: panic during boot");
            return new RunRecord(seed, 1, Outcome.PANIC, 0, 0, sysctlOr(kernel, FREE_LOW), sysctlOr(kernel, FREE_LOW_TIME), 0,
                    headline(p.getMessage()), 0, 0, 0);
        }
        return run(running, bootLines[0], machine, swapdev, seed, runNs, reportEveryNs, verbose, reproduce, beforeRun, out);
    }

    /**
     * The boot console, printed once the kernel is up and before init: dmesg and, with
     * {@code verbose}, the thresholds. Returns the console's line count then (the run's
     * messages are those after it).
     */
    private static long printBootConsole(Kernel kernel, boolean verbose, PrintWriter out) {
        for (String line : kernel.dmesg()) out.println(line);
        long bootLines = kernel.dmesgLines();
        Sysctl sysctl = kernel.sysctl();
        if (verbose) {
            for (String name : VERBOSE_SYSCTLS) {
                if (sysctl.exists(name)) out.printf(Locale.ROOT, "%s: %d%n", name, sysctl.read(name));
            }
        }
        out.flush();
        return bootLines;
    }

    /** The first line of a multi-line message. */
    private static String headline(String message) {
        if (message == null) return "";
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    /**
     * {@code --report-every}: one vmstat-style line every {@code everyNs} of virtual time, printed
     * from a housekeeping clock event (it only reads kernel memory, so the run is the same with or
     * without it, and it does not keep an otherwise finished run alive).
     */
    private static void scheduleReport(Machine machine, Kernel kernel, long everyNs, PrintWriter out) {
        machine.clock().scheduleIn(everyNs, "report", false, () -> {
            Sysctl sysctl = kernel.sysctl();
            // An instrument's reads: not the CPUs' work, no TLB use (the run stays the same).
            org.dfemu.emulator.cpu.Cpu token = kernel.km().instrumentBegin();
            try {
                long swapUsed = kernel.vmSwap().vmSwapMax() - kernel.vmSwap().vmSwapSize();
                out.printf(Locale.ROOT, "%10.3f %8d %8d %8d %8d %8d %10d%n", machine.clock().now() / 1e9,
                        sysctl.read("vm.stats.vm.v_free_count"), sysctl.read("vm.stats.vm.v_cache_count"),
                        sysctl.read("vm.stats.vm.v_inactive_count"), sysctl.read("vm.stats.vm.v_active_count"),
                        sysctl.read("vm.stats.vm.v_wire_count"), swapUsed);
            } finally {
                kernel.km().instrumentEnd(token);
            }
            scheduleReport(machine, kernel, everyNs, out);
        });
    }

    private static RunRecord run(InitMain.Running booted, long bootLines, Machine machine, BlockDevice swapdev, long seed,
                                 long runNs, long reportEveryNs, boolean verbose, String reproduce,
                                 BiConsumer<Machine, Kernel> beforeRun, PrintWriter out) {
        Kernel kernel = booted.kernel();
        KernProc procs = booted.procs();
        PeriodicCheck checks = booted.checks();
        Sysctl sysctl = kernel.sysctl();
        machine.clock().schedule(runNs, "shutdown", false, () -> machine.scheduler().requestStop("shutdown"));
        if (reportEveryNs > 0) {
            out.printf(Locale.ROOT, "%10s %8s %8s %8s %8s %8s %10s%n", "time(s)", "free", "cache", "inact", "act", "wire", "swap-used");
            scheduleReport(machine, kernel, reportEveryNs, out);
        }
        beforeRun.accept(machine, kernel);
        RunResult result = machine.scheduler().run();
        kernel.lwkt().bootContextResumed();
        KernelCheck.Violation violation = null;
        if (result.outcome() == RunResult.Outcome.ALL_EXITED || result.outcome() == RunResult.Outcome.STOPPED) {
            // Quiescent only when no process is left: no operation on user memory can be half done.
            violation = checks.finish(procs.report().running() == 0, result.timeNs());
        }

        List<String> runMessages = kernel.dmesgSince(bootLines);
        if (!runMessages.isEmpty()) {
            out.println("--- kernel messages during the run ---");
            for (String line : runMessages) out.println(line);
        }
        out.println();
        for (String line : vmstat(kernel)) out.println(line);
        out.println("--- vmstat -z ---");
        for (String line : kernel.vmZone().sysctlVmZone()) out.println(line);
        out.println("--- vmstat -m ---");
        for (String line : MallocStats.vmstatM(kernel, verbose)) out.println(line);
        if (swapdev != null) {
            out.println("--- swapinfo ---");
            for (String line : kernel.vmSwap().swapinfo()) out.println(line);
        }
        ProcReport report = procs.report();
        if (!report.procs().isEmpty()) {
            out.println("--- processes ---");
            for (String line : report.summary()) out.println(line);
            for (ProcReport.DataLoss loss : report.losses()) out.println(loss);
            if (report.dataLossPages() > report.losses().size()) {
                out.printf(Locale.ROOT, "(%d more pages with data loss not listed)%n", report.dataLossPages() - report.losses().size());
            }
        }
        for (String line : kernel.failAlloc().report()) out.println(line);
        for (String line : kernel.swapmetaPaths().report()) out.println(line);
        for (String line : kernel.reclaimCheck().report()) out.println(line);
        out.printf(Locale.ROOT, "virtual time: %.3f s%n", result.timeNs() / 1e9);
        if (PhysicalMemory.COUNT_ACCESSES) {
            long[] n = machine.ram().accessCounts();
            out.printf(Locale.ROOT, "emulated memory accesses: %d loads, %d stores, %d atomics, %d bulk%n",
                    n[0], n[1], n[2], n[3]);
            for (int i = 0; i < machine.cpus().count(); i++) {
                var c = machine.cpu(i).counters();
                out.printf(Locale.ROOT, "cpu%d TLB: %d hits, %d walks, %d invlpg, %d flushes%n", i, c.tlbHits(),
                        c.tlbMisses(), c.invlpgs(), c.tlbFlushes());
            }
        }
        long freeLow = sysctlOr(kernel, FREE_LOW);
        long freeLowTime = sysctlOr(kernel, FREE_LOW_TIME);
        Outcome outcome;
        String headline = null;
        String waitTop = null;
        if (checks.intervalNs() > 0) {
            out.printf(Locale.ROOT, "invariant checks: %d pass(es), every %s s of virtual time and at the end%n", checks.passes(),
                    Tunable.seconds(checks.intervalNs()));
        }
        switch (result.outcome()) {
            case ALL_EXITED, STOPPED -> {
                ReclaimCheck.Site stop = kernel.reclaimCheck().failure();
                if (stop != null) {
                    out.println("reclaim check failed (debug.reclaim_check=2): " + stop.line());
                    out.println("reproduce: " + reproduce);
                    out.println("result: reclaim check");
                    outcome = Outcome.RECLAIM_CHECK;
                    headline = "reclaim check: " + stop.line();
                } else if (violation != null) {
                    out.printf(Locale.ROOT, "invariant violated at %.9f s: %s%n", checks.violationNs() / 1e9, violation);
                    out.println("reproduce: " + reproduce);
                    out.println("result: invariant");
                    outcome = Outcome.INVARIANT;
                    headline = "invariant " + violation;
                } else if (report.dataLossPages() > 0) {
                    out.println("result: data loss");
                    outcome = Outcome.DATA_LOSS;
                    headline = "data loss: " + report.dataLossPages() + " page(s), first: " + report.losses().getFirst();
                } else if (!report.unexpected().isEmpty()) {
                    for (ProcReport.Proc p : report.unexpected()) {
                        out.println(unexpectedFate(p));
                    }
                    out.println("result: unexpected fate");
                    outcome = Outcome.UNEXPECTED_FATE;
                    headline = unexpectedFate(report.unexpected().getFirst());
                } else {
                    long running = report.running();
                    out.println(running == 0 ? "result: ok"
                            : "result: ok (stopped at --time with " + running + " process(es) still running)");
                    outcome = Outcome.OK;
                }
            }
            case PANIC -> {
                out.println(result);
                out.println("result: panic");
                outcome = Outcome.PANIC;
                headline = headline(result.panicCause() instanceof KernelPanic p ? p.getMessage() : result.reason());
            }
            case DEADLOCK, LIVELOCK -> {
                for (String line : org.dfemu.kernel.harness.report.DdbDeadlock.report(kernel, result.deadlock())) out.println(line);
                out.println(result);
                out.println("result: " + result.outcome().name().toLowerCase(Locale.ROOT));
                outcome = result.outcome() == RunResult.Outcome.DEADLOCK ? Outcome.DEADLOCK : Outcome.LIVELOCK;
                waitTop = firstBlockedFrame(result.deadlock());
                headline = result.outcome().name().toLowerCase(Locale.ROOT) + ": "
                        + headline(result.deadlock() != null ? result.deadlock().headline() : result.reason());
            }
            default -> throw new IllegalStateException("unknown outcome " + result.outcome());
        }
        Map<String, Long> counters = new LinkedHashMap<>();
        for (String name : VMSTAT_EVENTS) {
            if (sysctl.exists(name)) counters.put(name.substring(name.lastIndexOf('.') + 1), sysctl.read(name));
        }
        kernel.swapmetaPaths().values().forEach(counters::put);
        return new RunRecord(seed, outcome.failure() ? 1 : 0, outcome, report.oomKills(), report.dataLossPages(), freeLow,
                freeLowTime, result.timeNs(), headline, result.scheduleDigest(), sysctl.read("vm.stats.vm.v_vm_faults"),
                sysctl.read("vm.stats.vm.v_swappgsout") + sysctl.read("vm.stats.vm.v_swappgsin"),
                kernel.swapmetaPaths().values(), kernel.reclaimCheck().sites().stream().map(ReclaimCheck.Site::line).toList(),
                waitTop, counters, report.running());
    }

    /** "unexpected fate: pid N (name) expected exit, met segv: SIGSEGV at ...". */
    private static String unexpectedFate(ProcReport.Proc p) {
        return String.format(Locale.ROOT, "unexpected fate: pid %d (%s) expected %s, met %s: %s", p.pid(), p.name(),
                p.expect().word(), p.met().word(), p.fate());
    }

    /**
     * The innermost kernel frame of the first blocked thread in the order DdbDeadlock lists them
     * ("" if that thread has no frames or nothing is blocked; "" without a report).
     */
    // The first blocked thread that is inside the kernel: one asleep with no kernel frames is a
    // daemon idle between passes (the kmalloc poller, a pager in its loop's sleep), which every
    // report lists first and which says nothing of where the run is stuck.
    private static String firstBlockedFrame(org.dfemu.emulator.sched.DeadlockReport deadlock) {
        if (deadlock == null) return "";
        for (org.dfemu.emulator.sched.ThreadInfo t : deadlock.threads()) {
            if (t.asleep() && !t.frames().isEmpty()) return t.frames().getFirst();
        }
        return "";
    }

    /** dfemu's low-water mark of v_free_count and its time (kernel/vm/VmMeter). */
    private static final String FREE_LOW = "debug.dfemu.v_free_low";
    private static final String FREE_LOW_TIME = "debug.dfemu.v_free_low_time";

    private static long sysctlOr(Kernel kernel, String name) {
        return kernel.sysctl().exists(name) ? kernel.sysctl().read(name) : -1;
    }
}
