package org.dfemu.tools.bench;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code dfemu bench}: runs the JMH benchmarks of this package in forked JVMs (with the project's
 * JVM flags) and prints one table of scores followed by the project's speed targets
 * (docs/benchmarks.md): ratios of two scores from the same run, and limits on single scores.
 * Benchmarks never run as part of the build or the tests.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Run the JMH benchmarks and print a table of scores, target ratios and target limits.",
                "Figures depend on the host: README lists those measured on the reference machine."})
public final class BenchCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", paramLabel = "REGEX",
            description = "Benchmarks to run (JMH include patterns; default: all dfemu benchmarks).")
    List<String> includes = new ArrayList<>();

    @Option(names = "--quick", description = "1 fork, 3x1s warm-up, 5x1s measurement (default: 2 forks, 5x1s, 5x1s).")
    boolean quick;

    @Option(names = "--list", description = "List the benchmarks and exit.")
    boolean list;

    @Override
    public Integer call() throws RunnerException {
        // jvmArgs, not jvmArgsAppend: the forks get exactly the build's flags, not also whatever
        // the host JVM was started with (the launcher passes the same flags, which doubled them).
        ChainedOptionsBuilder opts = new OptionsBuilder()
                .jvmArgs(jvmFlags())
                .shouldFailOnError(true);
        if (includes.isEmpty()) opts.include("org\\.dfemu\\.tools\\.bench\\..*");
        for (String inc : includes) opts.include(inc);
        if (quick) {
            opts.forks(1).warmupIterations(3).warmupTime(TimeValue.seconds(1))
                    .measurementIterations(5).measurementTime(TimeValue.seconds(1));
        } else {
            opts.forks(2).warmupIterations(5).warmupTime(TimeValue.seconds(1))
                    .measurementIterations(5).measurementTime(TimeValue.seconds(1));
        }
        if (list) {
            new Runner(opts.build()).list();
            return 0;
        }
        Collection<RunResult> results = new Runner(opts.build()).run();
        Map<String, Double> reference = Map.of();
        if (results.stream().anyMatch(r -> r.getParams().getBenchmark().matches(".*(Kmalloc|Zalloc).*"))) {
            reference = CMallocReference.measure(List.of(64, 256, 1024));
        }
        System.out.print(BenchTable.render(results, reference));
        return 0;
    }

    /** The JVM flags the build recorded (the parent pom's dfemu.jvm.flags), for the forked JVMs. */
    static String[] jvmFlags() {
        Properties p = new Properties();
        try (InputStream in = BenchCommand.class.getResourceAsStream("/dfemu-version.properties")) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the build's JVM flags", e);
        }
        String flags = p.getProperty("jvm.flags", "").trim();
        List<String> out = new ArrayList<>();
        for (String f : flags.split("\\s+")) if (!f.isEmpty()) out.add(f);
        out.add("-Xss4m");
        // The checkout, for benchmarks that read its files (TraceBenchmark: the default image's spec).
        String home = System.getProperty("dfemu.home");
        if (home != null) out.add("-Ddfemu.home=" + home);
        return out.toArray(String[]::new);
    }

    /** Formats JMH results, the target ratios and the target limits. */
    static final class BenchTable {
        private BenchTable() {}

        /** One benchmark's primary result, keyed in {@link #render} by its printed name. */
        private record Score(double value, String unit) {}

        /** Renders JMH results plus native reference scores (ns/op, no error bar) such as the C malloc's. */
        static String render(Collection<RunResult> results, Map<String, Double> reference) {
            Map<String, Score> byName = new LinkedHashMap<>();
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "%-58s %14s %10s  %s%n", "benchmark", "score", "error", "unit"));
            for (Map.Entry<String, Double> e : reference.entrySet()) {
                byName.put(e.getKey(), new Score(e.getValue(), "ns/op"));
                sb.append(String.format(Locale.ROOT, "%-58s %14.3f %10s  %s%n", e.getKey(), e.getValue(), "(C)", "ns/op"));
            }
            for (RunResult r : results) {
                var p = r.getParams();
                StringBuilder name = new StringBuilder(shortName(p.getBenchmark()));
                for (String k : p.getParamsKeys()) name.append(' ').append(k).append('=').append(p.getParam(k));
                var s = r.getPrimaryResult();
                byName.put(name.toString(), new Score(s.getScore(), s.getScoreUnit()));
                sb.append(String.format(Locale.ROOT, "%-58s %14.3f %10.3f  %s%n",
                        name, s.getScore(), s.getScoreError(), s.getScoreUnit()));
            }
            StringBuilder ratios = new StringBuilder();
            for (BenchTargets.Ratio t : BenchTargets.RATIOS) {
                Score num = byName.get(t.numerator());
                Score den = byName.get(t.denominator());
                if (num == null || den == null || den.value() == 0) continue;
                double ratio = num.value() / den.value();
                ratios.append(String.format(Locale.ROOT, "%-58s %14.2f  target %s %s%n",
                        t.label(), ratio, t.target(), t.met(ratio) ? "(met)" : "(NOT met)"));
            }
            StringBuilder limits = new StringBuilder();
            for (BenchTargets.Limit t : BenchTargets.LIMITS) {
                Score s = byName.get(t.benchmark());
                if (s == null) continue;
                // A score in another unit (e.g. a run with -tu) cannot be held against the bound.
                String verdict = !s.unit().equals(t.unit()) ? "(unit " + s.unit() + ", not compared)"
                        : t.met(s.value()) ? "(met)" : "(NOT met)";
                limits.append(String.format(Locale.ROOT, "%-58s %14.2f  target %s %s%n",
                        t.label(), s.value(), t.target(), verdict));
            }
            StringBuilder rates = new StringBuilder();
            for (BenchTargets.Rate t : BenchTargets.RATES) {
                Score a = byName.get(t.minuend());
                Score b = byName.get(t.subtrahend());
                if (a == null || b == null) continue;
                if (!a.unit().equals("ms/op") || !b.unit().equals("ms/op") || a.value() <= b.value()) {
                    rates.append(String.format(Locale.ROOT, "%-58s %14s  target %s (not computable from these scores)%n",
                            t.label(), "-", t.target()));
                    continue;
                }
                double rate = t.perSecond(a.value(), b.value());
                rates.append(String.format(Locale.ROOT, "%-58s %,14.0f  target %s %s%n",
                        t.label(), rate, t.target(), t.met(rate) ? "(met)" : "(NOT met)"));
            }
            String nl = System.lineSeparator();
            if (!rates.isEmpty()) sb.append(nl).append("rates").append(nl).append(rates);
            if (!ratios.isEmpty()) sb.append(nl).append("ratios").append(nl).append(ratios);
            if (!limits.isEmpty()) sb.append(nl).append("limits").append(nl).append(limits);
            return sb.toString();
        }

        static String shortName(String fqn) {
            String prefix = "org.dfemu.tools.bench.";
            return fqn.startsWith(prefix) ? fqn.substring(prefix.length()) : fqn;
        }
    }
}
