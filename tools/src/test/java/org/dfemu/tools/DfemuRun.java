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
        if (args.length > 0 && args[0].equals("boot")
                && java.util.Arrays.stream(args).noneMatch(a -> a.contains("debug.check_interval"))) {
            String[] checked = new String[args.length + 2];
            checked[0] = "boot";
            checked[1] = "-e";
            checked[2] = "debug.check_interval=" + CHECK_INTERVAL;
            System.arraycopy(args, 1, checked, 3, args.length - 1);
            return run(checked);
        }
        return run(args);
    }

    private static DfemuRun run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new Dfemu());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int status = cl.execute(args);
        return new DfemuRun(status, out.toString(), err.toString());
    }
}
