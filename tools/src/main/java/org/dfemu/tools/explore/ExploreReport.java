package org.dfemu.tools.explore;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.dfemu.tools.sweep.SweepReport;

/**
 * The result of an exploration (or one shard of it, or shards merged): the sweep-style table
 * of every scenario run ({@link SweepReport}), the coverage (every run's counters summed by
 * name), and each distinct failure once, with the seed that first showed it, the other seeds
 * that showed it, its scenario, its shrunk scenario and the {@code dfemu boot} line that
 * reproduces the shrunk one. {@code --merge} reads shards back into it; sums and the choice of
 * the smallest seed per failure do not depend on how the runs were split.
 *
 * @param format   {@link #FORMAT}
 * @param table    the runs, as dfemu sweep tabulates them (variants are {@code -e}'s)
 * @param coverage every counter of every run's record, summed, by name
 * @param failures the distinct failures, by variant then first seed
 * @param cores    with {@code --cores}: every core file written (each failing run's, then each
 *                 shrunk reproducer's), in the order of the runs; empty without
 */
public record ExploreReport(String format, SweepReport table, Map<String, Long> coverage, List<Failure> failures,
                            List<String> cores) {
    public ExploreReport {
        cores = cores == null ? List.of() : List.copyOf(cores);
    }

    static final String FORMAT = "dfemu-explore 1";

    /**
     * One distinct failure: its variant and signature, the first seed that showed it and every
     * seed that did, the scenario as generated and as shrunk (spec text), their measures, the
     * shrunk run's headline, the boots shrinking took, the commands that rebuild and boot the
     * shrunk scenario, and with {@code --cores} the shrunk reproducer's core file ("" without).
     */
    public record Failure(String variant, String signature, long seed, List<Long> seeds, String headline,
                          String spec, List<Long> measure, String shrunkSpec, List<Long> shrunkMeasure,
                          String shrunkHeadline, int shrinkBoots, String mkimage, String boot, String core) {
        public Failure {
            core = core == null ? "" : core;
        }
    }

    static ExploreReport of(SweepReport table, Map<String, Long> coverage, List<Failure> failures, List<String> cores) {
        List<Failure> sorted = new ArrayList<>(failures);
        List<String> order = table.variants().stream().map(SweepReport.VariantSummary::variant).toList();
        sorted.sort(Comparator.<Failure>comparingInt(f -> order.indexOf(f.variant())).thenComparingLong(Failure::seed));
        return new ExploreReport(FORMAT, table, new TreeMap<>(coverage), List.copyOf(sorted), cores);
    }

    /** Prints the table, the coverage and the distinct failures. */
    void print(PrintWriter out) {
        table.print(out, "explore");
        out.println();
        out.printf(Locale.ROOT, "coverage: counters summed over %d run(s)%n", table.runs().size());
        List<String> zero = new ArrayList<>();
        for (Map.Entry<String, Long> e : coverage.entrySet()) {
            if (e.getValue() == 0) zero.add(e.getKey());
            else out.printf(Locale.ROOT, "  %-34s %14d%n", e.getKey(), e.getValue());
        }
        if (!zero.isEmpty()) out.println("  never counted: " + String.join(", ", zero));
        out.println();
        out.printf(Locale.ROOT, "distinct failures: %d%n", failures.size());
        int n = 0;
        for (Failure f : failures) {
            n++;
            out.println();
            out.printf(Locale.ROOT, "failure %d: %s%n", n, f.headline());
            if (!f.variant().isEmpty()) out.println("  variant " + f.variant());
            out.printf(Locale.ROOT, "  seeds: %s (first: %d)%n", seeds(f.seeds()), f.seed());
            out.printf(Locale.ROOT, "  shrunk in %d boot(s): %s -> %s%n", f.shrinkBoots(), measure(f.measure()),
                    measure(f.shrunkMeasure()));
            out.println("  shrunk run: " + f.shrunkHeadline());
            for (String line : f.shrunkSpec().split("\n")) out.println("    | " + line);
            out.println("  " + f.mkimage());
            out.println("  " + f.boot());
            if (!f.core().isEmpty()) out.println("  core: " + f.core() + " (dfemu inspect " + f.core() + ")");
        }
        if (!cores.isEmpty()) {
            out.println();
            out.printf(Locale.ROOT, "cores written: %d%n", cores.size());
            for (String c : cores) out.println("  " + c);
        }
        out.flush();
    }

    private static String seeds(List<Long> seeds) {
        StringBuilder sb = new StringBuilder();
        for (long s : seeds) {
            if (!sb.isEmpty()) sb.append(',');
            sb.append(s);
        }
        return sb.toString();
    }

    /** "2 programs, 3 processes, 17 instructions, 4096 pages, 16M, 2 cpus". */
    static String measure(List<Long> m) {
        return String.format(Locale.ROOT, "%d program(s), %d process(es), %d instruction(s), %d page(s) mapped, %d setting(s), %s, %d cpu(s)",
                m.get(0), m.get(1), m.get(2), m.get(3), m.get(6),
                org.dfemu.emulator.memory.PhysmemSize.format(m.get(7)), m.get(8));
    }

    boolean anyFailed() {
        return table.anyFailed();
    }

    private static ObjectMapper mapper() {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    /** Writes this report as JSON to {@code file}, gzipped if its name ends in ".gz". */
    void write(Path file) throws IOException {
        try (var out = org.dfemu.tools.sweep.JsonFiles.create(file)) {
            mapper().writeValue(out, this);
        }
    }

    /** Reads a report written by {@link #write}, gzipped or not. */
    static ExploreReport read(Path file) throws IOException {
        ExploreReport r;
        try (var in = org.dfemu.tools.sweep.JsonFiles.open(file)) {
            r = mapper().readValue(in, ExploreReport.class);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IllegalArgumentException(file + ": not a dfemu explore JSON file (" + e.getOriginalMessage() + ")");
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new IllegalArgumentException(file + ": not a dfemu explore JSON file (damaged gzip: " + e.getMessage() + ")");
        }
        if (r == null || !FORMAT.equals(r.format()) || r.table() == null) {
            throw new IllegalArgumentException(file + ": not a dfemu explore JSON file (format is not '" + FORMAT + "')");
        }
        return r;
    }

    /**
     * Merges shards: the tables as sweep merges them, the coverage summed, and per (variant,
     * signature) the failure of the smallest first seed, with the seeds of all shards.
     */
    static ExploreReport merge(List<Path> files, List<ExploreReport> parts) {
        List<SweepReport> tables = parts.stream().map(ExploreReport::table).toList();
        SweepReport table = SweepReport.merge(files, tables);
        Map<String, Long> coverage = new TreeMap<>();
        Map<String, Failure> byKey = new TreeMap<>();
        Map<String, List<Long>> seeds = new TreeMap<>();
        List<String> cores = new ArrayList<>();
        for (ExploreReport p : parts) {
            cores.addAll(p.cores());
            p.coverage().forEach((k, v) -> coverage.merge(k, v, Long::sum));
            for (Failure f : p.failures()) {
                String key = f.variant() + "\u0000" + f.signature();
                seeds.computeIfAbsent(key, k -> new ArrayList<>()).addAll(f.seeds());
                Failure had = byKey.get(key);
                if (had == null || f.seed() < had.seed()) byKey.put(key, f);
            }
        }
        List<Failure> failures = new ArrayList<>();
        for (Map.Entry<String, Failure> e : byKey.entrySet()) {
            Failure f = e.getValue();
            List<Long> all = new ArrayList<>(seeds.get(e.getKey()));
            all.sort(null);
            failures.add(new Failure(f.variant(), f.signature(), f.seed(), all, f.headline(), f.spec(), f.measure(),
                    f.shrunkSpec(), f.shrunkMeasure(), f.shrunkHeadline(), f.shrinkBoots(), f.mkimage(), f.boot(), f.core()));
        }
        return of(table, coverage, failures, cores);
    }
}
