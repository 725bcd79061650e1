package org.dfemu.tools.inspect;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.dfemu.emulator.Machine;
import org.dfemu.emulator.api.Environment;
import org.dfemu.emulator.sched.ThreadInfo;
import org.dfemu.emulator.sched.ThreadState;
import org.dfemu.kernel.Kernel;
import org.dfemu.tools.boot.BootPlan;
import org.dfemu.tools.boot.RunRecord;

/**
 * The boot's side of a core: writes it after the run ({@link CoreWriter}) and prints, after the
 * {@code result:} line, where it went and the first {@code dfemu inspect} commands worth typing
 * for that failure.
 */
public final class CoreNotes {
    private CoreNotes() {}

    /**
     * Writes the core of the stopped run to {@code file} and prints the note to {@code out};
     * {@code kernel} is null when the kernel panicked during boot (no core then: the machine never
     * ran, the console says all there is).
     */
    public static void write(Path file, Machine machine, Kernel kernel, BootPlan plan, Environment env, RunRecord record,
                             PrintWriter out) throws IOException {
        if (kernel == null) {
            out.println("core: none written (the kernel panicked during boot, before the machine ran)");
            return;
        }
        String word = record.outcome().name().toLowerCase(Locale.ROOT).replace('_', ' ');
        String headline = record.headline() == null ? "" : record.headline();
        String kind = record.outcome().name();
        if (headline.startsWith(word + ": ")) headline = headline.substring(word.length() + 2);
        CoreWriter.Outcome outcome = new CoreWriter.Outcome(word, kind, headline, record.timeNs(), record.scheduleDigest());
        long bytes = CoreWriter.write(file, machine, kernel, plan.image(), env.vars(), plan.seed(), outcome, plan.reproduce());
        out.printf(Locale.ROOT, "core: %s (%.1f MiB); dfemu inspect %s, then: %s%n", file, bytes / 1048576.0,
                BootPlan.shellWord(file.toString()), String.join(", ", firstCommands(record.outcome(), machine.scheduler().threads(),
                        env.getenv("vm.swapmeta_alloc").orElse("zalloc"))));
        out.flush();
    }

    /** The inspect commands to type first for a run that ended as {@code outcome}. */
    static List<String> firstCommands(RunRecord.Outcome outcome, List<ThreadInfo> threads, String swapmetaAlloc) {
        List<String> cmds = new ArrayList<>();
        ThreadInfo first = null;
        if (outcome == RunRecord.Outcome.DEADLOCK || outcome == RunRecord.Outcome.LIVELOCK) {
            first = Inspector.firstBlocked(threads);
        } else if (outcome == RunRecord.Outcome.PANIC) {
            for (ThreadInfo t : threads) {
                if (t.state() == ThreadState.RUNNING) {
                    first = t;
                    break;
                }
            }
        }
        if (first != null) cmds.add("trace " + first.tid());
        cmds.add("ps");
        cmds.add("vmstat");
        if (outcome == RunRecord.Outcome.DEADLOCK || outcome == RunRecord.Outcome.LIVELOCK) {
            cmds.add(swapmetaAlloc.startsWith("kmalloc_obj") ? "vmstat -m" : "show zone SWAPMETA");
            cmds.add("swapinfo");
        }
        return cmds;
    }
}
