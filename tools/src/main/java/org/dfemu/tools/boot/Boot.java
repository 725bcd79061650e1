package org.dfemu.tools.boot;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.BiConsumer;
import org.dfemu.emulator.Machine;
import org.dfemu.emulator.MachineConfig;
import org.dfemu.emulator.api.Environment;
import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.disk.BlockDevice;
import org.dfemu.emulator.disk.Disk;
import org.dfemu.emulator.disk.ImageMode;
import org.dfemu.emulator.disk.LatencyModel;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.harness.report.DdbDeadlock;
import org.dfemu.tools.image.MachineSettings;
import org.dfemu.tools.inspect.CoreNotes;
import org.dfemu.tools.inspect.CoreWriter;
import org.dfemu.tools.image.Partition;
import org.dfemu.tools.image.PartitionType;

/**
 * One boot as an in-process call: powers on a machine for a {@link BootPlan}, attaches the image,
 * boots the kernel ({@link org.dfemu.kernel.kern.InitMain#miStartup}), runs it to shutdown and returns the {@link RunRecord}, with the console text
 * going to the given writer. Holds no state: many runs may go at once on different threads
 * ({@code dfemu sweep}).
 */
public final class Boot {
    private Boot() {}

    /**
     * Runs {@code plan}, writing the console to {@code out} (flushed on return) and the machine's
     * trace events to {@code trace}.
     *
     * @throws IOException if the image cannot be read or its overlay written
     * @throws IllegalArgumentException if the host cannot build the machine the settings ask for
     */
    public static RunRecord run(BootPlan plan, TraceSink trace, PrintWriter out) throws IOException {
        return run(plan, trace, out, (machine, kernel) -> { });
    }

    /**
     * {@link #run(BootPlan, TraceSink, PrintWriter)}, calling {@code beforeRun} with the machine
     * and the started kernel right before the scheduler runs (tests: schedule a clock event that
     * plants a corruption).
     */
    static RunRecord run(BootPlan plan, TraceSink trace, PrintWriter out,
                         BiConsumer<Machine, Kernel> beforeRun) throws IOException {
        return run(plan, trace, out, beforeRun, null);
    }

    /**
     * {@link #run(BootPlan, TraceSink, PrintWriter)}, writing a core file as {@code core} asks
     * (null: none) once the run has stopped, and naming it and the first inspect commands worth
     * typing after the {@code result:} line. The core is read from the stopped machine, so the
     * run is the same with or without it.
     */
    public static RunRecord run(BootPlan plan, TraceSink trace, PrintWriter out, CoreWriter.Request core) throws IOException {
        return run(plan, trace, out, (machine, kernel) -> { }, core);
    }

    static RunRecord run(BootPlan plan, TraceSink trace, PrintWriter out,
                         BiConsumer<Machine, Kernel> beforeRun, CoreWriter.Request core) throws IOException {
        MachineSettings s = plan.settings();
        long seed = plan.seed();
        // The loader's environment: the machine and the kernel each fetch their own tunables.
        Environment env = s.environment();
        // The stall watchdog (debug.stall_timeout) is armed only by the kernel's waits for memory.
        MachineConfig config = MachineConfig.fromEnv(env, seed, DdbDeadlock.MEMORY_WAIT_WMESGS, trace);
        try (Machine machine = new Machine(config)) {
            Partition swap = plan.label().partition(PartitionType.SWAP).orElse(null);
            Disk.Builder disk = Disk.builder(plan.image(), machine.clock())
                    .mode(plan.mode())
                    .latency(LatencyModel.fromEnv(env))
                    .trace(machine.trace(), machine.scheduler()::traceCpu, machine.scheduler()::traceTid);
            if (swap != null) disk.writable(swap.firstSector(), swap.sectorCount());
            Disk opened = disk.open();
            machine.attach(opened);
            BlockDevice swapdev = swap == null ? null : opened.device().partition(swap.firstSector(), swap.sectorCount());

            out.println("dfemu: booting " + plan.image() + " (" + (plan.mode() == ImageMode.DIRECT ? "-r, read/write" : "-R, copy-on-write")
                    + "), seed " + seed);
            for (String line : machine.inventory()) out.println(line);
            if (plan.verbose()) {
                for (MachineSettings.Value v : s.values()) {
                    out.printf("setting %s=\"%s\" (%s)%n", v.setting().name(), v.text(), v.source().name().toLowerCase(Locale.ROOT));
                }
            }
            if (swap != null) {
                out.printf("swap partition: sectors %d..%d (%d MiB)%n", swap.firstSector(), swap.endSector() - 1, swap.byteLength() >> 20);
            }
            var workload = plan.label().workload();
            out.printf("workload: %d program(s), %d process(es) at boot%n", workload.programs().size(), workload.processesAtBoot());
            KernelConfig kc = KernelConfig.forMachine(config, env);
            Kernel[] booted = {null};
            RunRecord record = KernelRun.run(machine, kc, swapdev, workload, seed, plan.runNs(), plan.reportEveryNs(),
                    plan.verbose(), plan.reproduce(), (m, k) -> {
                        booted[0] = k;
                        beforeRun.accept(m, k);
                    }, out);
            if (core != null && (record.failed() || core.atEnd())) {
                CoreNotes.write(core.file(), machine, booted[0], plan, env, record, out);
            }
            out.flush();
            return record;
        }
    }
}
