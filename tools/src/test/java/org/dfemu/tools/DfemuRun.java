package org.dfemu.tools;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** One in-process {@code dfemu} command: its exit status and what it printed on each stream. */
public record DfemuRun(int status, String out, String err) {
    /** Runs {@code dfemu args...} in this JVM, capturing stdout and stderr. */
    public static DfemuRun dfemu(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new Dfemu());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int status = cl.execute(args);
        return new DfemuRun(status, out.toString(), err.toString());
    }
}
