import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Groups a JFR recording of dfemu into the cost groups of docs/profile.md and prints one table.
 * Run as a single-file program (no build needed): {@code java tools/bench/JfrGroups.java FILE.jfr
 * [FAULTS] [HANDOFFS]}; tools/bench/profile.sh does so.
 *
 * <p>Self time: each jdk.ExecutionSample counts for the group of its top frame. JDK library
 * frames (a HashMap lookup, a bounds check) count for the first dfemu frame below them, since
 * that is the code that chose to call them; except the virtual-thread machinery (park, unpark,
 * continuation switch), which is the scheduler's hand-off, and string building and boxing,
 * which are their own group. A sample whose stack does not run in a kernel thread (no
 * VirtualThread.run frame) is boot or per-run setup and reporting on the host thread.
 *
 * <p>Besides the samples: GC CPU (jdk.GCCPUTime), JIT compiler time (jdk.CompilerStatistics),
 * and heap bytes allocated (the sum of jdk.ObjectAllocationSample weights, which JFR scales to
 * estimate the total), per fault and per hand-off when the caller gives their counts.
 */
public final class JfrGroups {
    static final String BOOT = "boot, setup and report (host thread)";
    static final String ACCESS = "emulated-access mechanics";
    static final String HANDOFF = "scheduler hand-offs (park/unpark/continuations)";
    static final String SCHED = "scheduler and LWKT bookkeeping";
    static final String TRACE = "tracing";
    static final String STRINGS = "string building and boxing";
    static final String PORTED = "ported logic";
    static final String OTHER = "other (JDK, JFR, tools)";

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: java JfrGroups.java FILE.jfr [FAULTS] [HANDOFFS]");
            System.exit(2);
        }
        long faults = args.length > 1 ? Long.parseLong(args[1]) : 0;
        long handoffs = args.length > 2 ? Long.parseLong(args[2]) : 0;
        Map<String, Long> groups = new LinkedHashMap<>();
        for (String g : List.of(ACCESS, HANDOFF, SCHED, PORTED, STRINGS, TRACE, BOOT, OTHER)) groups.put(g, 0L);
        Map<String, Long> topFrames = new TreeMap<>();
        long samples = 0;
        long allocBytes = 0;
        long gcCpuNs = 0;
        long gcPauseNs = 0;
        int cores = Runtime.getRuntime().availableProcessors();
        Map<String, Double> threadCpu = new TreeMap<>();
        Map<Long, Long> lastLoad = new java.util.HashMap<>();
        long startNs = Long.MAX_VALUE;
        List<RecordedEvent> events = RecordingFile.readAllEvents(Path.of(args[0]));
        for (RecordedEvent e : events) startNs = Math.min(startNs, epochNs(e));
        for (RecordedEvent e : events) {
            switch (e.getEventType().getName()) {
                case "jdk.ExecutionSample" -> {
                    RecordedStackTrace st = e.getStackTrace();
                    if (st == null || st.getFrames().isEmpty()) continue;
                    samples++;
                    String g = group(st.getFrames());
                    groups.merge(g, 1L, Long::sum);
                    topFrames.merge(g + " | " + name(st.getFrames().getFirst()), 1L, Long::sum);
                }
                case "jdk.ObjectAllocationSample" -> allocBytes += e.getLong("weight");
                case "jdk.GCCPUTime" -> gcCpuNs += e.getLong("userTime") + e.getLong("systemTime");
                case "jdk.GarbageCollection" -> gcPauseNs += e.getLong("sumOfPauses");
                case "jdk.CPUInformation" -> cores = e.getInt("hwThreads");
                case "jdk.ThreadCPULoad" -> {
                    // user and system are fractions of the whole machine since the thread's last event.
                    long id = e.getThread().getJavaThreadId();
                    long now = epochNs(e);
                    long dt = now - lastLoad.getOrDefault(id, startNs);
                    lastLoad.put(id, now);
                    double s = (e.getFloat("user") + e.getFloat("system")) * cores * dt / 1e9;
                    threadCpu.merge(threadKind(e.getThread().getJavaName()), s, Double::sum);
                }
                default -> { }
            }
        }
        System.out.printf(Locale.ROOT, "| group | samples | share |%n|---|---:|---:|%n");
        for (var g : groups.entrySet()) {
            System.out.printf(Locale.ROOT, "| %s | %d | %.1f%% |%n", g.getKey(), g.getValue(),
                    samples == 0 ? 0.0 : 100.0 * g.getValue() / samples);
        }
        System.out.printf(Locale.ROOT, "| (execution samples, Java threads) | %d | 100%% |%n%n", samples);
        System.out.printf(Locale.ROOT, "CPU by thread (jdk.ThreadCPULoad):");
        threadCpu.forEach((k, v) -> System.out.printf(Locale.ROOT, " %s %.1f s;", k, v));
        System.out.printf(Locale.ROOT, " GC %.1f s (pauses %.2f s)%n", gcCpuNs / 1e9, gcPauseNs / 1e9);
        System.out.printf(Locale.ROOT, "heap allocated (JFR estimate): %.1f MB", allocBytes / 1e6);
        if (faults > 0) System.out.printf(Locale.ROOT, ", %.0f bytes per fault (%d faults)", (double) allocBytes / faults, faults);
        if (handoffs > 0) System.out.printf(Locale.ROOT, ", %.0f bytes per hand-off (%d hand-offs)", (double) allocBytes / handoffs, handoffs);
        System.out.println();
        if (System.getenv("JFRGROUPS_TOP") != null) {
            int n = Integer.parseInt(System.getenv("JFRGROUPS_TOP"));
            System.out.println();
            topFrames.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(n)
                    .forEach(t -> System.out.printf(Locale.ROOT, "%6d  %s%n", t.getValue(), t.getKey()));
        }
    }

    /** The group of one sample; frames top (innermost) first. */
    static String group(List<RecordedFrame> frames) {
        boolean kernelThread = false;
        for (RecordedFrame f : frames) {
            if (cls(f).equals("java.lang.VirtualThread") && f.getMethod().getName().equals("run")) kernelThread = true;
        }
        String top = cls(frames.getFirst());
        if (isHandoff(top)) return HANDOFF;
        if (isStrings(top)) return STRINGS;
        if (!kernelThread) {
            for (RecordedFrame f : frames) if (cls(f).startsWith("org.dfemu.")) return BOOT;
            return OTHER;
        }
        if (isAccess(top)) return ACCESS;
        for (RecordedFrame f : frames) {
            String c = cls(f);
            if (c.startsWith("org.dfemu.")) return dfemuGroup(c);
            if (isHandoff(c)) return HANDOFF;
            if (isStrings(c)) return STRINGS;
        }
        return OTHER;
    }

    static String dfemuGroup(String c) {
        if (c.startsWith("org.dfemu.emulator.memory.") || c.equals("org.dfemu.kernel.KernelMemory")
                || c.startsWith("org.dfemu.emulator.cpu.") || c.startsWith("org.dfemu.emulator.mmu.")) return ACCESS;
        if (c.startsWith("org.dfemu.emulator.sched.") || c.equals("org.dfemu.kernel.kern.Lwkt")
                || c.startsWith("org.dfemu.emulator.time.") || isSync(c)) return SCHED;
        if (c.startsWith("org.dfemu.emulator.trace.") || c.equals("org.dfemu.kernel.harness.trace.KernelTrace")) return TRACE;
        if (c.startsWith("org.dfemu.kernel.") || c.startsWith("org.dfemu.emulator.")) return PORTED;
        return BOOT;
    }

    /**
     * The kernel's synchronisation (ports of kern_synch.c, kern_lock.c, kern_spinlock.c,
     * thread2.h, and the witness): counted with the scheduler, where it lived before it moved to
     * the kernel, so that profiles stay comparable.
     */
    static boolean isSync(String c) {
        return c.startsWith("org.dfemu.kernel.kern.KernSynch") || c.startsWith("org.dfemu.kernel.kern.KernLock")
                || c.startsWith("org.dfemu.kernel.kern.KernSpinlock") || c.startsWith("org.dfemu.kernel.sys.Thread2")
                || c.startsWith("org.dfemu.kernel.harness.witness.");
    }

    /** JDK code of the memory API (bounds checks, scoped access): the access mechanics themselves. */
    static boolean isAccess(String c) {
        return c.startsWith("jdk.internal.foreign.") || c.equals("jdk.internal.misc.ScopedMemoryAccess")
                || c.startsWith("java.lang.invoke.VarHandleSegment") || c.startsWith("java.lang.foreign.");
    }

    static boolean isHandoff(String c) {
        return c.equals("java.lang.VirtualThread") || c.startsWith("jdk.internal.vm.Continuation")
                || c.equals("java.util.concurrent.locks.LockSupport") || c.startsWith("java.util.concurrent.ForkJoin");
    }

    static boolean isStrings(String c) {
        return c.equals("java.lang.StringBuilder") || c.equals("java.lang.AbstractStringBuilder")
                || c.equals("java.lang.StringConcatHelper") || c.equals("java.util.Formatter")
                || c.startsWith("java.util.Formatter$") || c.equals("java.lang.Long") || c.equals("java.lang.Integer")
                || c.equals("java.lang.String") || c.equals("java.lang.StringLatin1") || c.equals("java.lang.StringUTF16");
    }

    static String threadKind(String name) {
        if (name == null) return "other";
        if (name.contains("CompilerThread")) return "JIT compiler";
        if (name.startsWith("ForkJoinPool")) return "kernel threads (carriers)";
        if (name.equals("main") || name.equals("sweep")) return "host threads";
        return "other";
    }

    static long epochNs(RecordedEvent e) {
        return e.getStartTime().getEpochSecond() * 1_000_000_000L + e.getStartTime().getNano();
    }

    static String cls(RecordedFrame f) { return f.getMethod().getType().getName(); }

    static String name(RecordedFrame f) { return cls(f) + "." + f.getMethod().getName(); }
}
