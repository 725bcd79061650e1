package org.dfemu.tools.boot;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.dfemu.emulator.MachineConfig;
import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.api.Tunable;
import org.dfemu.emulator.disk.ImageMode;
import org.dfemu.emulator.trace.TraceCategories;
import org.dfemu.emulator.trace.TraceWriter;
import org.dfemu.kernel.harness.trace.KernelEvents;
import org.dfemu.tools.boot.BootPlan.BadInput;
import org.dfemu.tools.image.BootSettings;
import org.dfemu.tools.image.MachineSettings;
import org.dfemu.tools.image.SpecException;
import org.dfemu.tools.inspect.CoreWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code dfemu boot}: reads a disk image's label and boot settings, merges the command line's,
 * powers on the machine with the image attached (copy-on-write unless {@code -r}), and boots.
 * Speaks vkernel's option language where it fits ({@code -m -r -R -e -n -v}).
 */
@Command(name = "boot", mixinStandardHelpOptions = true, versionProvider = org.dfemu.tools.Version.class,
        exitCodeOnInvalidInput = 2,
        description = {"Boot a disk image (copy-on-write) or, with no image, the bundled default image.",
                "Exit status: 0 ok, 1 kernel panic, deadlock, data loss or invariant violation (-e debug.check_interval=SECONDS),",
                "2 bad usage or bad input."})
public final class BootCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "IMAGE", description = "Disk image to boot copy-on-write (as -R IMAGE).")
    Path image;

    @Option(names = "-R", paramLabel = "IMAGE", description = "Copy-on-write: writes go to an overlay, the image file is never modified.")
    Path cowImage;

    @Option(names = "-r", paramLabel = "IMAGE", description = "Read/write: the swap partition is written in the image itself.")
    Path rwImage;

    @Option(names = "-m", paramLabel = "SIZE", description = "RAM size (k/m/g suffixes); overrides the image's hw.physmem.")
    String memory;

    @Option(names = "-n", paramLabel = "NCPUS", description = "Number of CPUs; overrides the image's hw.ncpu.")
    Integer ncpus;

    @Option(names = "-e", paramLabel = "name=val[:name=val...]",
            description = "Settings, overriding the image's (repeatable). `dfemu boot --settings` lists them.")
    List<String> settings = new ArrayList<>();

    @Option(names = "-v", description = "Verbose boot: every threshold and the machine inventory.")
    boolean verbose;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Master seed of the run (default: ${DEFAULT-VALUE}).")
    long seed;

    /** Virtual seconds a run may last by default: long enough for any committed image's workload to end by itself. */
    public static final double DEFAULT_RUN_SECONDS = 600;

    @Option(names = "--time", paramLabel = "SECONDS", defaultValue = "600",
            description = "Virtual seconds to run after boot before shutdown; the run ends sooner when the last workload process exits (default: ${DEFAULT-VALUE}).")
    double runSeconds;

    @Option(names = "--report-every", paramLabel = "SECONDS", defaultValue = "0",
            description = "Print a vmstat line every SECONDS of virtual time during the run (0: off).")
    double reportEverySeconds;

    @Option(names = "--trace", paramLabel = "FILE",
            description = "Record the run's trace events to FILE (format: emulator/.../trace/TraceFormat).")
    Path traceFile;

    @Option(names = "--trace-events", paramLabel = "LIST", defaultValue = "all",
            description = "With --trace: what to record, a comma-separated list of categories (faults, vm, swap, alloc, "
                    + "sched, and the machine's io, tlb, mmu), event names (e.g. vm_page_alloc) or all (default: ${DEFAULT-VALUE}).")
    String traceEvents;

    @Option(names = "--core", paramLabel = "FILE",
            description = "Write a core file of the machine to FILE if the run fails (deadlock, livelock, panic, data loss, invariant); read it with `dfemu inspect FILE`.")
    Path coreFile;

    @Option(names = "--core-at-end", description = "With --core: write the core at the end of the run whatever its outcome.")
    boolean coreAtEnd;

    @Option(names = "--settings", description = "List every boot setting with its default and range, and exit.")
    boolean listSettings;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (listSettings) {
            for (Tunable st : BootSettings.all()) {
                out.printf("%-34s %-8s default %-8s range %-16s %s%n", st.name(), st.type().name().toLowerCase(java.util.Locale.ROOT), st.defaultValue(), st.range(), st.description());
            }
            out.flush();
            return 0;
        }
        if (!(reportEverySeconds >= 0 && reportEverySeconds <= 1e6) || (reportEverySeconds > 0 && reportEverySeconds < 1e-6)) {
            err.println("dfemu boot: --report-every " + reportEverySeconds + " is not 0 or in [0.000001, 1000000] seconds");
            err.flush();
            return 2;
        }
        if (!(runSeconds > 0 && runSeconds <= 1e6)) {
            err.println("dfemu boot: --time " + runSeconds + " is not in (0, 1000000] seconds");
            err.flush();
            return 2;
        }
        try {
            // Checked before anything is built, so a bad list costs nothing.
            BitSet mask = TraceCategories.select(List.of(KernelEvents.names()), traceEvents);
            if (traceFile == null && spec.commandLine().getParseResult().hasMatchedOption("--trace-events")) {
                throw new BadInput("--trace-events needs --trace FILE");
            }
            if (coreAtEnd && coreFile == null) throw new BadInput("--core-at-end needs --core FILE");
            BootPlan plan = plan();
            RunRecord record = boot(plan, out, mask);
            // After the console is flushed, on stderr: the figure varies from run to run.
            err.println(HostCpu.line(HostCpu.processCpuNs(), record));
            err.flush();
            return record.exitStatus();
        } catch (BadInput | IOException | SpecException | IllegalArgumentException e) {
            err.println("dfemu boot: " + e.getMessage());
            err.flush();
            return 2;
        }
    }

    private BootPlan plan() throws IOException, SpecException {
        int given = (image != null ? 1 : 0) + (cowImage != null ? 1 : 0) + (rwImage != null ? 1 : 0);
        if (given > 1) throw new BadInput("give one image: IMAGE, -R IMAGE or -r IMAGE");
        Path path = rwImage != null ? rwImage : cowImage != null ? cowImage : image;
        ImageMode mode = rwImage != null ? ImageMode.DIRECT : ImageMode.COPY_ON_WRITE;
        if (path == null) path = DefaultImage.ensureBuilt();
        Map<String, String> overrides = new LinkedHashMap<>();
        for (String group : settings) {
            for (String assignment : group.split(":")) {
                if (assignment.isEmpty()) continue;
                Map.Entry<String, String> kv = MachineSettings.parseAssignment(assignment);
                overrides.put(kv.getKey(), kv.getValue());
            }
        }
        if (memory != null) overrides.put(MachineConfig.HW_PHYSMEM.name(), memory);
        if (ncpus != null) overrides.put(MachineConfig.HW_NCPU.name(), Integer.toString(ncpus));
        return BootPlan.open(path, mode, overrides, seed, (long) (runSeconds * 1e9))
                .withConsole((long) (reportEverySeconds * 1e9), verbose);
    }

    private RunRecord boot(BootPlan plan, PrintWriter out, BitSet mask) throws IOException {
        CoreWriter.Request core = coreFile == null ? null : new CoreWriter.Request(coreFile, coreAtEnd);
        if (traceFile != null) {
            // The machine's events (scheduler, I/O, TLB shootdowns, MMU faults) and the kernel's.
            try (TraceWriter trace = TraceWriter.open(traceFile, List.of(KernelEvents.names()), mask)) {
                RunRecord record = Boot.run(plan, trace, out, core);
                out.printf("trace: %d records in %s%n", trace.recordCount(), traceFile);
                out.flush();
                return record;
            }
        }
        return Boot.run(plan, TraceSink.NONE, out, core);
    }
}
