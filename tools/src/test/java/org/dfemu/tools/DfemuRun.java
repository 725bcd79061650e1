package org.dfemu.tools;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** One in-process {@code dfemu} command: its exit status and what it printed on each stream. */
public record DfemuRun(int status, String out, String err) {
    /** Runs {@code dfemu args...} in this JVM, capturing stdout and stderr. */
    public static DfemuRun dfemu(String... args) {
        return run(new CommandLine(new Dfemu()), args);
    }

    private static DfemuRun run(CommandLine cl, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        writers(cl, new PrintWriter(out), new PrintWriter(err));
        int status = cl.execute(args);
        return new DfemuRun(status, out.toString(), err.toString());
    }

    /**
     * Points every command of the tree at {@code out} and {@code err}: a reused tree's
     * subcommands keep the writers they were first given unless told again one by one.
     */
    private static void writers(CommandLine cl, PrintWriter out, PrintWriter err) {
        cl.setOut(out);
        cl.setErr(err);
        for (CommandLine sub : cl.getSubcommands().values()) writers(sub, out, err);
    }

    /**
     * The {@code dfemu} command line built once and run many times, for tests that run thousands
     * of commands (building picocli's model of every subcommand costs milliseconds a time).
     * picocli puts every option and parameter back to its initial value before each parse, so a
     * run sees nothing of the one before. One thread at a time.
     */
    public static final class Reused {
        private final CommandLine cl = new CommandLine(new Dfemu());

        /** As {@link DfemuRun#dfemu}. */
        public DfemuRun dfemu(String... args) {
            return run(cl, args);
        }
    }
}
