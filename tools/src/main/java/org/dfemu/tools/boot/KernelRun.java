package org.dfemu.tools.boot;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import org.dfemu.emulator.Machine;
import org.dfemu.emulator.disk.BlockDevice;
import org.dfemu.emulator.sched.RunResult;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.KernelPanic;
import org.dfemu.kernel.kern.KernProc;
import org.dfemu.kernel.kern.MallocStats;
import org.dfemu.kernel.kern.ProcReport;
import org.dfemu.kernel.sys.Sysctl;
import org.dfemu.kernel.user.Workload;

/**
 * Boots the ported kernel on a powered-on machine, runs it until shutdown, and prints the console
 * and the reports. Returns the process exit status: 0 for a clean run, 1 for a kernel panic,
 * deadlock, livelock or data loss.
 */
final class KernelRun {
    private KernelRun() {}

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

    /**
     * Boots, attaches {@code swapdev} (the image's swap partition, or null) as the swap device,
     * starts {@code workload}'s processes (interpreters seeded from {@code seed}) and runs until
     * the last process ended or {@code runNs} of virtual time passed (an image without programs
     * idles for {@code runNs}); prints the console, the shutdown reports and the processes'
     * summary. Returns the exit status (0 ok, 1 panic, deadlock or data loss).
     */
    /**
     * {@code --report-every}: one vmstat-style line every {@code everyNs} of virtual time, printed
     * from a housekeeping clock event (it only reads kernel memory, so the run is the same with or
     * without it, and it does not keep an otherwise finished run alive).
     */
    private static void scheduleReport(Machine machine, Kernel kernel, long everyNs, PrintWriter out) {
        machine.clock().scheduleIn(everyNs, "report", false, () -> {
            Sysctl sysctl = kernel.sysctl();
            long swapUsed = kernel.vmSwap().vmSwapMax() - kernel.vmSwap().vmSwapSize();
            out.printf(Locale.ROOT, "%10.3f %8d %8d %8d %8d %8d %10d%n", machine.clock().now() / 1e9,
                    sysctl.read("vm.stats.vm.v_free_count"), sysctl.read("vm.stats.vm.v_cache_count"),
                    sysctl.read("vm.stats.vm.v_inactive_count"), sysctl.read("vm.stats.vm.v_active_count"),
                    sysctl.read("vm.stats.vm.v_wire_count"), swapUsed);
            scheduleReport(machine, kernel, everyNs, out);
        });
    }

    static int run(Machine machine, KernelConfig config, BlockDevice swapdev, Workload workload, long seed, long runNs,
                   long reportEveryNs, boolean verbose, PrintWriter out) {
        Kernel kernel;
        try {
            kernel = new Kernel(machine.ram(), config);
            kernel.boot();
        } catch (KernelPanic p) {
            out.println(p.getMessage());
            out.println("result: panic during boot");
            return 1;
        }
        kernel.attachMachine(machine);
        kernel.kernSlaballoc().kmallocPollerStart();
        // The pageout daemon and the emergency pager (SI_SUB_KTHREAD_PAGE); the daemon runs
        // swap_pager_swap_init in its setup, before its first pass.
        kernel.vmPageout().vmPageoutStart();
        if (swapdev != null) {
            try {
                // swapon of the image's swap partition and the disk's completion thread for swap I/O.
                int error = kernel.vmSwap().swaponvp(swapdev);
                if (error != 0) {
                    kernel.kprintf("swapon: " + swapdev.name() + ": error " + error);
                }
                kernel.swapPager().swapPagerIntrStart();
            } catch (KernelPanic p) {
                for (String line : kernel.dmesg()) out.println(line);
                out.println(p.getMessage());
                out.println("result: panic during boot");
                return 1;
            }
        }
        for (String line : kernel.dmesg()) out.println(line);
        Sysctl sysctl = kernel.sysctl();
        if (verbose) {
            for (String name : VERBOSE_SYSCTLS) {
                if (sysctl.exists(name)) out.printf(Locale.ROOT, "%s: %d%n", name, sysctl.read(name));
            }
        }
        out.flush();

        KernProc procs = new KernProc(kernel, machine, () -> machine.scheduler().requestStop("all processes exited"));
        if (!workload.programs().isEmpty()) {
            // Only kernel daemons remain once the last process ended: the run is over then.
            procs.startWorkload(workload, seed);
        }
        machine.clock().schedule(runNs, "shutdown", false, () -> machine.scheduler().requestStop("shutdown"));
        if (reportEveryNs > 0) {
            out.printf(Locale.ROOT, "%10s %8s %8s %8s %8s %8s %10s%n", "time(s)", "free", "cache", "inact", "act", "wire", "swap-used");
            scheduleReport(machine, kernel, reportEveryNs, out);
        }
        RunResult result = machine.scheduler().run();

        out.println();
        out.println("--- vmstat (pages) ---");
        for (String name : VMSTAT) {
            if (sysctl.exists(name)) out.printf(Locale.ROOT, "%-34s %10d%n", name.substring(name.lastIndexOf('.') + 1), sysctl.read(name));
        }
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
        out.printf(Locale.ROOT, "virtual time: %.3f s%n", result.timeNs() / 1e9);
        return switch (result.outcome()) {
            case ALL_EXITED, STOPPED -> {
                if (report.dataLossPages() > 0) {
                    out.println("result: data loss");
                    yield 1;
                }
                long running = report.running();
                out.println(running == 0 ? "result: ok"
                        : "result: ok (stopped at --time with " + running + " process(es) still running)");
                yield 0;
            }
            case PANIC -> {
                out.println(result);
                out.println("result: panic");
                yield 1;
            }
            case DEADLOCK, LIVELOCK -> {
                for (String line : org.dfemu.kernel.ddb.DdbDeadlock.report(kernel, result.deadlock())) out.println(line);
                out.println(result);
                out.println("result: " + result.outcome().name().toLowerCase(Locale.ROOT));
                yield 1;
            }
        };
    }
}
