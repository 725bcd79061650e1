package org.dfemu.tools.trace;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.dfemu.tools.Dfemu;
import picocli.CommandLine;

/** Runs {@code dfemu trace ...} in-process and keeps its output. */
final class TraceTestSupport {
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    int run(String... args) {
        CommandLine cl = new CommandLine(new Dfemu());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        String[] full = new String[args.length + 1];
        full[0] = "trace";
        System.arraycopy(args, 0, full, 1, args.length);
        return cl.execute(full);
    }
}
