package org.dfemu.tools;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** One in-process {@code dfemu} command: its exit status and what it printed on each stream. */
public record DfemuRun(int status, String out, String err) {
    /**
     * The suite's {@code debug.check_interval}: every test's {@code dfemu boot} checks the
     * kernel's invariants this often, and at the end, unless the test sets it itself.
     */
    public static final String CHECK_INTERVAL = "0.05";

    /**
     * Runs {@code dfemu args...} in this JVM, capturing stdout and stderr; a {@code boot} gets
     * {@code -e debug.check_interval=}{@link #CHECK_INTERVAL} first unless its arguments name the
     * setting (sweep turns checks on by itself).
     */
    public static DfemuRun dfemu(String... args) {
        return run(new CommandLine(new Dfemu()), withChecks(args));
    }

    /** {@code args} with {@code -e debug.check_interval=}{@link #CHECK_INTERVAL} after a {@code boot} that does not name the setting. */
    private static String[] withChecks(String... args) {
        if (args.length == 0 || !args[0].equals("boot")
                || java.util.Arrays.stream(args).anyMatch(a -> a.contains("debug.check_interval"))) {
            return args;
        }
        String[] checked = new String[args.length + 2];
        checked[0] = "boot";
        checked[1] = "-e";
        checked[2] = "debug.check_interval=" + CHECK_INTERVAL;
        System.arraycopy(args, 1, checked, 3, args.length - 1);
        return checked;
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

        /**
         * As {@link DfemuRun#dfemu}, but without the suite's invariant checks: its callers test
         * how input is read and refused (InputFuzzTest), and run the same commands as before.
         */
        public DfemuRun dfemu(String... args) {
            return run(cl, args);
        }
    }
}
