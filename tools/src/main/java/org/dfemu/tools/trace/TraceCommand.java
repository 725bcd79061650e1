package org.dfemu.tools.trace;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.dfemu.emulator.trace.TraceFormatException;
import org.dfemu.emulator.trace.TraceReader;
import org.dfemu.tools.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code dfemu trace}: reads a trace file written by {@code dfemu boot --trace} (format:
 * emulator/.../trace/TraceFormat, events: EmulatorEvents and KernelEvents) and summarises it,
 * lists its faults, exports it for Perfetto or plots it. Every subcommand reads the file as a
 * stream through a mapped cursor. Exit status: 0 ok, 2 bad usage or a file that is not a readable
 * trace (one line says what is wrong).
 */
@Command(name = "trace", mixinStandardHelpOptions = true, versionProvider = Version.class,
        exitCodeOnInvalidInput = 2,
        description = {"Read a trace file recorded by `dfemu boot --trace FILE`.",
                "Exit status: 0 ok, 2 bad usage or a file that is not a readable trace."},
        subcommands = {TraceCommand.Summary.class, TraceCommand.Faults.class, TraceCommand.Export.class,
                TraceCommand.Plot.class})
public final class TraceCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** A bad option value or output path: printed as one line, exit status 2. */
    static final class BadInput extends Exception {
        BadInput(String message) {
            super(message);
        }
    }

    /** The part each subcommand implements: the reader is open and valid. */
    interface Body {
        void run(TraceReader reader, PrintWriter out) throws IOException, BadInput;
    }

    /**
     * Opens {@code file}, runs {@code body} and maps every failure to one line on stderr and exit
     * status 2: a missing file, a file that is not a readable trace (TraceFormatException names
     * the problem), an unwritable output. May block on file I/O.
     */
    static int run(CommandLine.Model.CommandSpec spec, String command, Path file, Body body) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String prefix = "dfemu trace " + command + ": ";
        try {
            if (!Files.exists(file)) throw new BadInput(file + ": no such file");
            if (Files.isDirectory(file)) throw new BadInput(file + ": is a directory, not a trace file");
            try (TraceReader reader = TraceReader.open(file)) {
                body.run(reader, out);
            }
            out.flush();
            return 0;
        } catch (TraceFormatException e) {
            out.flush();
            err.println(prefix + e.getMessage());
        } catch (BadInput e) {
            out.flush();
            err.println(prefix + e.getMessage());
        } catch (NoSuchFileException e) {
            out.flush();
            err.println(prefix + e.getFile() + ": no such file or directory");
        } catch (AccessDeniedException e) {
            out.flush();
            err.println(prefix + e.getFile() + ": permission denied");
        } catch (IOException e) {
            out.flush();
            err.println(prefix + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        err.flush();
        return 2;
    }

    @Command(name = "summary", mixinStandardHelpOptions = true, versionProvider = Version.class,
            exitCodeOnInvalidInput = 2,
            description = {"Faults by kind and process, top pages and map entries, fault latency percentiles,"
                    + " pageout and swap totals, the lowest free-page count, allocations that slept, OOM kills,"
                    + " panics and deadlocks."})
    static final class Summary implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "the trace file")
        Path file;

        @Override
        public Integer call() {
            return run(spec, "summary", file, (reader, out) -> TraceSummary.print(reader, String.valueOf(file), out));
        }
    }

    @Command(name = "faults", mixinStandardHelpOptions = true, versionProvider = Version.class,
            exitCodeOnInvalidInput = 2,
            description = {"One line per page fault (time, cpu, pid, tid, va, error code, kind, map entry, duration),"
                    + " for grepping.",
                    "Error code letters: P present (protection fault), W write, U user mode, I instruction fetch;"
                            + " '-' for a clear bit."})
    static final class Faults implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "the trace file")
        Path file;

        @Option(names = "--pid", paramLabel = "P", description = "only faults of process P (0: kernel faults)")
        String pid;

        @Option(names = "--va-range", paramLabel = "A-B", description = "only faults at A <= va < B (hex with 0x, or decimal)")
        String vaRange;

        @Option(names = "--kind", paramLabel = "K",
                description = "only faults of kind K: zero-fill, copy-on-write, swap-in, protection, SIGSEGV, resident")
        String kind;

        @Override
        public Integer call() {
            return run(spec, "faults", file, (reader, out) -> FaultList.print(reader, FaultList.Filter.parse(pid, vaRange, kind), out));
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true, versionProvider = Version.class,
            exitCodeOnInvalidInput = 2,
            description = {"Chrome trace-event JSON for ui.perfetto.dev and chrome://tracing: a track per CPU and per"
                    + " thread, spans for faults, swap I/O, pageout passes, vm_wait and sleeps, counters for free"
                    + " pages, swap used and faults/s."})
    static final class Export implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "the trace file")
        Path file;

        @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.json", description = "the JSON file to write")
        Path output;

        @Override
        public Integer call() {
            return run(spec, "export", file, (reader, out) -> {
                ChromeTraceExport.Result r = ChromeTraceExport.write(reader, output);
                out.printf(java.util.Locale.ROOT, "wrote %s: %d spans on %d tracks (%d moved to overlap lanes), %d counter samples%n",
                        output, r.spans(), r.tracks(), r.moved(), r.counterSamples());
            });
        }
    }

    @Command(name = "plot", mixinStandardHelpOptions = true, versionProvider = Version.class,
            exitCodeOnInvalidInput = 2,
            description = {"Free pages against the reserve thresholds over virtual time, with faults/s and swap I/O"
                    + " beneath; PNG or SVG by the output's extension."})
    static final class Plot implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "the trace file")
        Path file;

        @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.png|OUT.svg", description = "the image to write")
        Path output;

        @Option(names = "--width", paramLabel = "PIXELS", defaultValue = "1400", description = "image width (default: ${DEFAULT-VALUE})")
        int width;

        @Option(names = "--height", paramLabel = "PIXELS", defaultValue = "1000", description = "image height (default: ${DEFAULT-VALUE})")
        int height;

        @Override
        public Integer call() {
            return run(spec, "plot", file, (reader, out) -> {
                String name = String.valueOf(output.getFileName()).toLowerCase(java.util.Locale.ROOT);
                boolean svg = name.endsWith(".svg");
                if (!svg && !name.endsWith(".png")) {
                    throw new BadInput("output " + output + " must end in .png or .svg");
                }
                if (width < 200 || width > 10000 || height < 200 || height > 10000) {
                    throw new BadInput("image size " + width + "x" + height + " is not within 200..10000 pixels each way");
                }
                TracePlot.write(reader, String.valueOf(file.getFileName()), output, svg, width, height);
                out.printf("wrote %s%n", output);
            });
        }
    }
}
