package org.dfemu.tools.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.regex.Pattern;
import org.dfemu.tools.DfemuRun;

/**
 * One in-process {@code dfemu} command run on a fuzzed input, and the rule every such run must
 * keep: exit status in the allowed set; for 2, exactly one line on stderr, starting with the
 * command's name; for 0 and 1, nothing on stderr but boot's host-CPU line; never a stack trace on any stream, including
 * what the JVM prints for an exception no one caught (System.out and System.err are captured
 * around the command for that).
 *
 * @param run     the command's status and streams
 * @param stray   what was written to System.out or System.err behind picocli's writers
 * @param problem null if the rule holds, else what broke it
 */
record Verdict(DfemuRun run, String stray, String problem) {
    private static final Pattern STACK = Pattern.compile("(?m)^\\s+at [\\w.$/]+\\(|Exception in thread|^\\S*(Exception|Error)(: |$)");

    boolean rejected() {
        return problem == null && run.status() == 2;
    }

    /**
     * Runs {@code dfemu args...} on {@code cli}; {@code allowed} are the exit statuses it may
     * give; {@code stray} holds what reached System.out and System.err meanwhile (the caller
     * installed it before it built {@code cli}: picocli's writers follow the System streams of
     * the time they were made).
     */
    static Verdict of(DfemuRun.Reused cli, Stray stray, Set<Integer> allowed, String... args) {
        stray.reset();
        DfemuRun run = cli.dfemu(args);
        String strayText = stray.text();
        return new Verdict(run, strayText, judge(run, strayText, allowed,
                "dfemu " + args[0] + (args[0].equals("trace") ? " " + args[1] : "") + ": "));
    }

    /** System.out and System.err, both into one buffer, for as long as it is installed. */
    static final class Stray implements AutoCloseable {
        private final PrintStream oldOut = System.out;
        private final PrintStream oldErr = System.err;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        Stray() {
            PrintStream capture = new PrintStream(bytes, true, StandardCharsets.UTF_8);
            System.setOut(capture);
            System.setErr(capture);
        }

        synchronized void reset() {
            bytes.reset();
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }

        @Override
        public void close() {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /**
     * The panic report's {@code java stack:} section: the panicking kernel thread's frames, which
     * the console shows on purpose (exit 1, "result: panic"), not an exception that escaped.
     */
    private static final Pattern PANIC_STACK = Pattern.compile("(?m)^java stack:\n(?:[ \t]+.*(?:\n|$))*");

    /** {@code dfemu boot}'s host-CPU summary, the one line a finished boot writes on stderr. */
    private static final Pattern HOST_CPU = Pattern.compile("(?m)^host cpu: .*(?:\n|$)");

    private static String judge(DfemuRun run, String stray, Set<Integer> allowed, String prefix) {
        String out = PANIC_STACK.matcher(run.out()).replaceAll("");
        if (STACK.matcher(run.err()).find() || STACK.matcher(out).find() || STACK.matcher(stray).find()) {
            return "a stack trace escaped (exit " + run.status() + ")";
        }
        if (!stray.isEmpty()) return "wrote to System.out/err directly: " + firstLine(stray);
        if (!allowed.contains(run.status())) return "exit status " + run.status() + ", expected one of " + allowed;
        if (run.status() == 2) {
            String err = run.err();
            if (!err.endsWith("\n") || err.indexOf('\n') != err.length() - 1) {
                return "exit 2 with " + err.lines().count() + " lines on stderr, expected one";
            }
            if (!err.startsWith(prefix) || err.length() <= prefix.length() + 1) {
                return "exit 2 line does not start with '" + prefix + "' and name a problem: " + firstLine(err);
            }
        } else if (run.status() == 1 && !run.out().contains("\nresult: ")) {
            return "exit 1 without a 'result:' line";
        } else if (!HOST_CPU.matcher(run.err()).replaceAll("").isEmpty()) {
            return "exit " + run.status() + " with stderr: " + firstLine(run.err());
        }
        return null;
    }

    /** The first line of the output and the first dfemu frame of a stack trace in it, for the report. */
    String where() {
        String all = run.err() + stray + run.out();
        java.util.regex.Matcher m = Pattern.compile("at (org\\.dfemu\\.[^\\n]*)").matcher(all);
        return firstLine(run.err() + stray) + (m.find() ? " at " + m.group(1) : "");
    }

    static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
