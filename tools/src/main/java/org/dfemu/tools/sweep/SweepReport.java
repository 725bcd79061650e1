package org.dfemu.tools.sweep;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.dfemu.tools.boot.RunRecord;

/**
 * The result of a sweep (or of one shard of it, or of several shards merged): what was swept,
 * one {@link Run} per (variant, seed) run, and one {@link VariantSummary} per variant computed
 * from the runs. The text table and {@code --json} both come from this; {@code --merge} reads
 * shards' JSON back into it, so a merged table is computed the same way as an unsharded one.
 *
 * @param format     {@link #FORMAT}
 * @param image      the image as given on the command line ("" for the default image)
 * @param seeds      {@code --seeds} as given
 * @param seedCount  how many seeds that is
 * @param time       {@code --time} as given, or null
 * @param settings   the swept settings and their values, in the order given
 * @param shardCount n of {@code --shard i/n} (1 when not sharded)
 * @param shards     the shard indexes whose runs this holds, ascending
 * @param variants   per variant, in product order
 * @param runs       every run held, by variant then seed
 */
public record SweepReport(String format, String image, String seeds, long seedCount, String time, List<Variant.Axis> settings,
                   int shardCount, List<Integer> shards, List<VariantSummary> variants, List<Run> runs) {
    static final String FORMAT = "dfemu-sweep 1";

    /**
     * One run: the variant's label, the {@link RunRecord}'s fields, the command that reproduces
     * it, for a failure the last lines of its console, its SWAPMETA path counters
     * ({@code debug.swapmeta.*}), its reclaim-check sites, and the processes still running when
     * it ended ({@code RunRecord.stillRunning}; 0 in JSON written before it was kept).
     */
    public record Run(String variant, long seed, int exitStatus, RunRecord.Outcome outcome, long oomKills, long dataLossPages,
               long freeLow, long freeLowTimeNs, long timeNs, String headline, long scheduleDigest, long faults,
               long swapPagesMoved, String reproduce, List<String> consoleTail, Map<String, Long> swapmetaPaths,
               List<String> reclaimSites, long stillRunning) {
        public Run {
            swapmetaPaths = swapmetaPaths == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(swapmetaPaths));
            reclaimSites = reclaimSites == null ? List.of() : List.copyOf(reclaimSites);
        }

        public static Run of(String variant, RunRecord r, String reproduce, List<String> tail) {
            return new Run(variant, r.seed(), r.exitStatus(), r.outcome(), r.oomKills(), r.dataLossPages(), r.freeLow(),
                    r.freeLowTimeNs(), r.timeNs(), r.headline(), r.scheduleDigest(), r.faults(), r.swapPagesMoved(), reproduce,
                    r.failed() ? tail : null, r.swapmetaPaths(), r.reclaimSites(), r.stillRunning());
        }

        public boolean failed() { return outcome.failure(); }
    }

    /** A failed run as the table lists it. */
    public record Failure(long seed, RunRecord.Outcome outcome, String headline, String reproduce) {}

    /**
     * One variant's line of the table.
     *
     * @param deadlocks     runs that ended in a deadlock or a livelock
     * @param invariants    runs stopped by an invariant check ({@code debug.check_interval})
     * @param oomKills      processes killed for lack of memory, over all runs
     * @param freeLow       the lowest v_free_count any run reached (-1: none recorded)
     * @param freeLowSeed   the first seed that reached it (null: none)
     * @param freeLowTimeNs when in that run
     * @param reclaimChecks runs stopped by the reclaim-context checker ({@code debug.reclaim_check=2})
     * @param stoppedAtTime the seeds of the ok runs that {@code --time} ended with processes still
     *                      running (counted as ok: nothing failed, but their programs did not finish)
     * @param swapmetaPaths each SWAPMETA path counter summed over the runs
     * @param reclaimSites  each distinct reclaim-check site (without its first thread and time; the
     *                      pages guaranteed, or free+cache, as the range the runs saw) and the
     *                      number of runs that found it, in the order first found
     */
    public record VariantSummary(String variant, Map<String, String> settings, int runs, int ok, int deadlocks, int panics,
                          int dataLoss, int invariants, int unexpectedFates, long oomKills, long freeLow, Long freeLowSeed, Long freeLowTimeNs,
                          List<Failure> failures, int reclaimChecks, Map<String, Long> swapmetaPaths,
                          Map<String, Integer> reclaimSites, List<Long> stoppedAtTime) {}

    /**
     * A reclaim-check line as the same site in every run: without its "(first: thread at time)"
     * tail, and with the counts that depend on the moment ("guaranteed N", "free+cache N") as N.
     */
    static String siteOf(String line) {
        int i = line.lastIndexOf(" (first: ");
        String s = i < 0 ? line : line.substring(0, i);
        return SITE_COUNTS.matcher(s).replaceAll("$1 N");
    }

    private static final java.util.regex.Pattern SITE_COUNTS = java.util.regex.Pattern.compile("(guaranteed|free\\+cache) \\d+");

    /** The site's counts that {@link #siteOf} replaced by N: the first one (guaranteed, or free+cache), or -1. */
    private static long siteCount(String line) {
        int i = line.lastIndexOf(" (first: ");
        java.util.regex.Matcher m = SITE_COUNTS.matcher(i < 0 ? line : line.substring(0, i));
        return m.find() ? Long.parseLong(m.group().substring(m.group().lastIndexOf(' ') + 1)) : -1;
    }

    /** Builds the report: sorts {@code runs} by variant (product order) then seed, and summarizes. */
    public static SweepReport of(String image, SeedSet seeds, String time, List<Variant.Axis> axes, int shardCount,
                          List<Integer> shards, List<Run> runs) {
        return of(image, seeds.text(), seeds.seeds().length, time, axes, shardCount, shards, runs);
    }

    private static SweepReport of(String image, String seeds, long seedCount, String time, List<Variant.Axis> axes,
                                  int shardCount, List<Integer> shards, List<Run> runs) {
        List<Variant> variants = Variant.product(axes);
        Map<String, Integer> order = new LinkedHashMap<>();
        for (Variant v : variants) order.put(v.label(), order.size());
        List<Run> sorted = new ArrayList<>(runs);
        for (Run r : sorted) {
            if (!order.containsKey(r.variant())) throw new IllegalArgumentException("run of unknown variant '" + r.variant() + "'");
        }
        sorted.sort(Comparator.<Run>comparingInt(r -> order.get(r.variant())).thenComparingLong(Run::seed));
        List<VariantSummary> summaries = new ArrayList<>();
        for (Variant v : variants) summaries.add(summarize(v, sorted));
        return new SweepReport(FORMAT, image, seeds, seedCount, time, axes, shardCount,
                List.copyOf(new TreeSet<>(shards)), summaries, sorted);
    }

    private static VariantSummary summarize(Variant v, List<Run> runs) {
        int n = 0, ok = 0, deadlocks = 0, panics = 0, dataLoss = 0, invariants = 0, fates = 0, reclaimChecks = 0;
        Map<String, Long> paths = new LinkedHashMap<>();
        Map<String, Integer> sites = new LinkedHashMap<>();
        Map<String, long[]> siteRange = new LinkedHashMap<>();
        long oom = 0, low = -1;
        Long lowSeed = null, lowTime = null;
        List<Failure> failures = new ArrayList<>();
        List<Long> atTime = new ArrayList<>();
        for (Run r : runs) {
            if (!r.variant().equals(v.label())) continue;
            n++;
            switch (r.outcome()) {
                case OK -> ok++;
                case DEADLOCK, LIVELOCK -> deadlocks++;
                case PANIC -> panics++;
                case DATA_LOSS -> dataLoss++;
                case INVARIANT -> invariants++;
                case UNEXPECTED_FATE -> fates++;
                case RECLAIM_CHECK -> reclaimChecks++;
            }
            r.swapmetaPaths().forEach((k, x) -> paths.merge(k, x, Long::sum));
            for (String line : r.reclaimSites()) {
                String key = siteOf(line);
                sites.merge(key, 1, Integer::sum);
                long c = siteCount(line);
                siteRange.merge(key, new long[] {c, c}, (a, b) -> new long[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])});
            }
            oom += r.oomKills();
            if (r.freeLow() >= 0 && (low < 0 || r.freeLow() < low)) {
                low = r.freeLow();
                lowSeed = r.seed();
                lowTime = r.freeLowTimeNs();
            }
            if (r.failed()) failures.add(new Failure(r.seed(), r.outcome(), r.headline(), r.reproduce()));
            else if (r.stillRunning() > 0) atTime.add(r.seed());
        }
        // Each site with its N shown as the range the runs saw (one value if they agree).
        Map<String, Integer> ranged = new LinkedHashMap<>();
        sites.forEach((key, count) -> {
            long[] r = siteRange.get(key);
            String range = r[0] < 0 ? "N" : r[0] == r[1] ? Long.toString(r[0]) : r[0] + ".." + r[1];
            ranged.put(key.replace("guaranteed N", "guaranteed " + range).replace("free+cache N", "free+cache " + range), count);
        });
        return new VariantSummary(v.label(), v.settings(), n, ok, deadlocks, panics, dataLoss, invariants, fates, oom, low, lowSeed, lowTime,
                failures, reclaimChecks, paths, ranged, List.copyOf(atTime));
    }

    /** Runs this sweep has in all (every variant times every seed), over all shards. */
    long expectedRuns() {
        return Variant.product(settings).size() * seedCount;
    }

    /** True if any run held failed. */
    public boolean anyFailed() {
        return runs.stream().anyMatch(Run::failed);
    }

    /** Prints the table: a heading, then per variant its counts and one line per failure. */
    public void print(PrintWriter out) {
        print(out, "sweep");
    }

    /** {@link #print(PrintWriter)} headed by {@code dfemu COMMAND} (explore prints the same table). */
    public void print(PrintWriter out, String command) {
        out.printf(Locale.ROOT, "dfemu %s %s: seeds %s (%d), %d variant(s)%s%n", command,
                image.isEmpty() ? "(default image)" : image, seeds, seedCount, variants.size(),
                time == null ? "" : ", --time " + time);
        long expected = expectedRuns();
        if (runs.size() != expected) {
            out.printf(Locale.ROOT, "%d of %d runs (shard%s %s of %d)%n", runs.size(), expected,
                    shards.size() == 1 ? "" : "s", join(shards), shardCount);
        }
        for (VariantSummary v : variants) {
            out.println();
            out.println("variant " + (v.variant().isEmpty() ? "(the image's settings)" : v.variant()));
            out.printf(Locale.ROOT, "  %6s %6s %9s %6s %10s %10s %6s %10s %9s  %s%n",
                    "runs", "ok", "deadlock", "panic", "data-loss", "invariant", "fate", "oom-kills", "free-low", "(seed, time)");
            out.printf(Locale.ROOT, "  %6d %6d %9d %6d %10d %10d %6d %10d %9s  %s%n",
                    v.runs(), v.ok(), v.deadlocks(), v.panics(), v.dataLoss(), v.invariants(), v.unexpectedFates(), v.oomKills(),
                    v.freeLow() < 0 ? "-" : Long.toString(v.freeLow()),
                    v.freeLowSeed() == null ? "" : String.format(Locale.ROOT, "(seed %d, %.6f s)", v.freeLowSeed(), v.freeLowTimeNs() / 1e9));
            for (Failure f : v.failures()) {
                out.printf(Locale.ROOT, "  seed %d: %s%n", f.seed(), f.headline());
                out.println("    " + f.reproduce());
            }
            if (!v.stoppedAtTime().isEmpty()) {
                out.printf(Locale.ROOT, "  %d ok run(s) stopped at --time with processes still running: seed%s %s%n",
                        v.stoppedAtTime().size(), v.stoppedAtTime().size() == 1 ? "" : "s", seedList(v.stoppedAtTime()));
            }
            if (v.reclaimChecks() > 0) {
                out.printf(Locale.ROOT, "  %d run(s) stopped by the reclaim check%n", v.reclaimChecks());
            }
            StringBuilder nonzero = new StringBuilder();
            v.swapmetaPaths().forEach((k, x) -> {
                if (x != 0) nonzero.append(nonzero.isEmpty() ? "" : ", ").append(k).append(' ').append(x);
            });
            if (!nonzero.isEmpty()) out.println("  swapmeta paths (summed, nonzero): " + nonzero);
            v.reclaimSites().forEach((site, runsWith) ->
                    out.printf(Locale.ROOT, "  %s [%d of %d runs]%n", site, runsWith, v.runs()));
        }
        out.flush();
    }

    /** Up to 20 seeds, comma-separated, then "and N more". */
    private static String seedList(List<Long> seeds) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(20, seeds.size()); i++) sb.append(i == 0 ? "" : ", ").append(seeds.get(i));
        if (seeds.size() > 20) sb.append(" and ").append(seeds.size() - 20).append(" more");
        return sb.toString();
    }

    private static String join(List<Integer> xs) {
        StringBuilder sb = new StringBuilder();
        for (int x : xs) {
            if (!sb.isEmpty()) sb.append(',');
            sb.append(x);
        }
        return sb.toString();
    }

    // ---- JSON ---------------------------------------------------------------------------------

    private static ObjectMapper mapper() {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    /** Writes this report as JSON to {@code file}. */
    public void write(Path file) throws IOException {
        try (var out = JsonFiles.create(file)) {
            mapper().writeValue(out, this);
        }
    }

    /**
     * Reads a report written by {@link #write}, gzipped or not ({@link JsonFiles}); throws
     * IllegalArgumentException naming the file if it is not one.
     */
    public static SweepReport read(Path file) throws IOException {
        SweepReport r;
        try (var in = JsonFiles.open(file)) {
            r = mapper().readValue(in, SweepReport.class);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IllegalArgumentException(file + ": not a dfemu sweep JSON file (" + e.getOriginalMessage() + ")");
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new IllegalArgumentException(file + ": not a dfemu sweep JSON file (damaged gzip: " + e.getMessage() + ")");
        }
        if (r == null || !FORMAT.equals(r.format())) {
            throw new IllegalArgumentException(file + ": not a dfemu sweep JSON file (format is not '" + FORMAT + "')");
        }
        return r;
    }

    /**
     * Merges the shards' reports of one sweep: they must agree on the image, seeds, time,
     * settings and shard count, and hold no shard or run twice. Throws IllegalArgumentException
     * with a one-line message.
     */
    public static SweepReport merge(List<Path> files, List<SweepReport> parts) {
        SweepReport first = parts.getFirst();
        List<Run> runs = new ArrayList<>();
        List<Integer> shards = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < parts.size(); i++) {
            SweepReport p = parts.get(i);
            Path f = files.get(i);
            if (!p.image().equals(first.image()) || !p.seeds().equals(first.seeds())
                    || !java.util.Objects.equals(p.time(), first.time()) || !p.settings().equals(first.settings())
                    || p.shardCount() != first.shardCount()) {
                throw new IllegalArgumentException(f + ": not a shard of the same sweep as " + files.getFirst()
                        + " (image, seeds, settings, --time and shard count must be the same)");
            }
            for (int s : p.shards()) {
                if (shards.contains(s)) throw new IllegalArgumentException(f + ": shard " + s + " is given twice");
                shards.add(s);
            }
            for (Run r : p.runs()) {
                if (!seen.add(r.variant() + "\u0000" + r.seed())) {
                    throw new IllegalArgumentException(f + ": run of seed " + r.seed() + ", variant '" + r.variant() + "' is given twice");
                }
                runs.add(r);
            }
        }
        return of(first.image(), first.seeds(), first.seedCount(), first.time(), first.settings(), first.shardCount(),
                shards, runs);
    }
}
