package org.dfemu.tools.sweep;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.dfemu.tools.boot.BootCommand;

/**
 * What {@code dfemu sweep} and {@code dfemu explore} share about running many boots: the
 * {@code --jobs}, {@code --shard} and {@code --time} options' checks, a fixed pool that runs tasks
 * J at a time and returns their results in task order (so the output never depends on which
 * finished first), the progress bar on a terminal and the process's CPU time.
 */
public final class RunPool {
    private RunPool() {}

    private static final Pattern SHARD = Pattern.compile("([0-9]{1,9})/([0-9]{1,9})");

    /** {@code --shard i/n}: this process runs the runs k with k mod count = index. */
    public record Shard(int index, int count) {
        /** All of the runs. */
        public static final Shard ALL = new Shard(0, 1);

        /** True if run number {@code k} (counting from 0) is this shard's. */
        public boolean mine(long k) { return k % count == index; }
    }

    /** Parses {@code --shard} (null: {@link Shard#ALL}); IllegalArgumentException with one line. */
    public static Shard shard(String text) {
        if (text == null) return Shard.ALL;
        Matcher m = SHARD.matcher(text);
        if (!m.matches()) throw new IllegalArgumentException("--shard " + text + " is not i/n (e.g. 0/4)");
        int index = Integer.parseInt(m.group(1));
        int count = Integer.parseInt(m.group(2));
        if (count < 1 || index >= count) {
            throw new IllegalArgumentException("--shard " + text + ": i must be in 0..n-1 and n at least 1");
        }
        return new Shard(index, count);
    }

    /** {@code --jobs} (null: the host's processors), checked to be in 1..1024. */
    public static int jobs(Integer jobs) {
        int j = jobs == null ? Runtime.getRuntime().availableProcessors() : jobs;
        if (j < 1 || j > 1024) throw new IllegalArgumentException("--jobs " + j + " is not in 1..1024");
        return j;
    }

    /** {@code --time} in seconds (null: dfemu boot's default), checked to be in (0, 10^6]. */
    public static double timeSeconds(String time) {
        if (time == null) return BootCommand.DEFAULT_RUN_SECONDS;
        double t;
        try {
            t = Double.parseDouble(time);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--time " + time + " is not a number of seconds");
        }
        if (!(t > 0 && t <= 1e6)) throw new IllegalArgumentException("--time " + time + " is not in (0, 1000000] seconds");
        return t;
    }

    /**
     * Runs the tasks {@code jobs} at a time; returns their results in task order. An
     * IOException or IllegalArgumentException of a task is rethrown as is; anything else becomes
     * an IllegalStateException naming {@code what.get(i)}.
     */
    public static <T> List<T> runAll(List<? extends Callable<T>> tasks, int jobs, List<?> what) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(jobs, r -> {
            Thread t = new Thread(r, "runpool");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> t : tasks) futures.add(pool.submit(t));
            List<T> results = new ArrayList<>();
            for (int i = 0; i < futures.size(); i++) {
                try {
                    results.add(futures.get(i).get());
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof IOException io) throw io;
                    if (c instanceof IllegalArgumentException iae) throw iae;
                    throw new IllegalStateException("run " + what.get(i) + " failed: " + c, c);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                }
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    /** A progress bar on stderr for {@code runs} steps, or null (off, nothing to do, or stderr is not a terminal). */
    public static ProgressBar progressBar(String task, int runs, boolean off) {
        if (off || runs == 0 || !stderrIsTerminal()) return null;
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(runs).setUnit(" runs", 1)
                .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(new PrintStream(System.err, true)))
                .showSpeed(new java.text.DecimalFormat("0.0")).build();
    }

    /** True when file descriptor 2 is a terminal (Linux: /proc/self/fd/2 names a tty). */
    public static boolean stderrIsTerminal() {
        Path fd2 = Path.of("/proc/self/fd/2");
        try {
            if (Files.exists(fd2, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                String target = Files.readSymbolicLink(fd2).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
            }
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    /** The process's CPU time so far, in nanoseconds (0 where the JVM cannot tell). */
    public static long processCpuNs() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }
}
