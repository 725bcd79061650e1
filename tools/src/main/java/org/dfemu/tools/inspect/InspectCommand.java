package org.dfemu.tools.inspect;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.dfemu.tools.inspect.CoreFile.CoreException;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code dfemu inspect CORE [COMMAND...]}: opens a core file ({@code boot --core},
 * {@code sweep --cores}) and runs one ddb-style command on it, or, without one, a prompt with
 * history, line editing and completion of the commands and of kernel symbol, zone and sysctl
 * names (JLine).
 */
@Command(name = "inspect", mixinStandardHelpOptions = true, versionProvider = org.dfemu.tools.Version.class,
        exitCodeOnInvalidInput = 2, modelTransformer = InspectCommand.StopAtCommand.class,
        description = {"Read a core file written by `dfemu boot --core` or `dfemu sweep --cores`, in the manner of ddb.",
                "With a COMMAND, run it and exit; without, open a prompt (`help` lists the commands, `quit` or EOF leaves).",
                "Exit status: 0 ok, 2 bad usage, a bad command, or a missing, truncated or corrupt core."})
public final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "CORE", description = "The core file.")
    Path coreFile;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "COMMAND", description = "One command, e.g. `trace 5` or `show zone SWAPMETA`.")
    List<String> command = new ArrayList<>();

    /** {@code inspect CORE vmstat -z}: everything after the core file is the command, options included. */
    public static final class StopAtCommand implements picocli.CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            spec.parser().stopAtPositional(true);
            return spec;
        }
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        DeadKernel dead;
        try {
            dead = DeadKernel.open(CoreFile.read(coreFile));
        } catch (CoreException e) {
            err.println("dfemu inspect: " + coreFile + ": " + e.getMessage());
            err.flush();
            return 2;
        }
        try (dead) {
            Inspector in = new Inspector(dead);
            if (!command.isEmpty()) {
                Inspector.Output o = in.run(String.join(" ", command));
                boolean bad = !o.ok();
                for (String l : o.lines()) (bad ? err : out).println(bad ? "dfemu inspect: " + l : l);
                out.flush();
                err.flush();
                return bad ? 2 : 0;
            }
            try (Terminal terminal = TerminalBuilder.builder().system(true).dumb(true).build()) {
                return prompt(in, terminal, dead);
            } catch (IOException e) {
                err.println("dfemu inspect: cannot open the terminal: " + e.getMessage());
                err.flush();
                return 2;
            }
        }
    }

    /** The interactive prompt on {@code in} and {@code out} (tests: piped streams, a dumb terminal). */
    public static int prompt(Inspector in, InputStream input, OutputStream output, DeadKernel dead) throws IOException {
        // A dumb terminal on the streams themselves (TerminalBuilder would open a pty and pump
        // the streams through it on threads of its own).
        try (Terminal terminal = new org.jline.terminal.impl.DumbTerminal("dumb", "dumb", input, output, StandardCharsets.UTF_8)) {
            return prompt(in, terminal, dead);
        }
    }

    private static int prompt(Inspector in, Terminal terminal, DeadKernel dead) {
        LineReader reader = LineReaderBuilder.builder()
                .terminal(terminal)
                .appName("dfemu-inspect")
                .completer(completer(in))
                .variable(LineReader.HISTORY_SIZE, 1000)
                .build();
        PrintWriter w = terminal.writer();
        CoreFile.Core core = dead.core();
        w.println("dfemu inspect: " + core.meta("outcome") + " at " + String.format(java.util.Locale.ROOT, "%.3f s",
                Long.parseLong(core.meta("time_ns")) / 1e9) + ": " + core.meta("headline"));
        w.println("image " + core.meta("image") + ", seed " + core.meta("seed") + "; `help` lists the commands, `quit` leaves");
        w.flush();
        while (true) {
            String line;
            try {
                line = reader.readLine("db> ");
            } catch (UserInterruptException e) {
                continue;
            } catch (EndOfFileException e) {
                return 0;
            }
            if (line == null) return 0;
            String t = line.trim();
            if (t.equals("quit") || t.equals("exit") || t.equals("q")) return 0;
            for (String l : in.run(t).lines()) w.println(l);
            w.flush();
        }
    }

    /** Completes the first word from the commands, later words from symbols, zones, sysctls and subcommands. */
    static Completer completer(Inspector in) {
        List<String> symbols = in.symbolNames();
        List<String> sysctls = in.sysctlNames();
        List<String> zones = in.zoneNames();
        return (reader, line, candidates) -> {
            List<String> words = line.words();
            int i = line.wordIndex();
            String first = words.isEmpty() ? "" : words.getFirst();
            if (i == 0) {
                for (String c : List.of("ps", "trace", "deadlock", "vmstat", "swapinfo", "show", "x/", "sysctl", "dmesg", "info", "help", "quit")) {
                    candidates.add(new Candidate(c, c, null, null, null, null, !c.endsWith("/")));
                }
                return;
            }
            List<String> pool = switch (first) {
                case "show" -> i == 1 ? List.of("page", "object", "map", "pmap", "slab", "zone", "cpus", "tlb", "io")
                        : i == 2 && words.size() > 1 && words.get(1).equals("zone") ? zones : symbols;
                case "vmstat" -> List.of("-z", "-m", "-s");
                case "sysctl" -> sysctls;
                default -> first.startsWith("x/") ? symbols : List.of();
            };
            for (String c : pool) candidates.add(new Candidate(c));
        };
    }
}
