package org.dfemu.tools.explore;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.dfemu.emulator.api.TunableException;
import org.dfemu.kernel.harness.check.PeriodicCheck;
import org.dfemu.tools.boot.BootPlan;
import org.dfemu.tools.boot.RunRecord;
import org.dfemu.tools.image.DiskImage;
import org.dfemu.tools.image.ImageFormatException;
import org.dfemu.tools.image.PartitionType;
import org.dfemu.tools.image.SpecException;
import org.dfemu.tools.inspect.CoreWriter;
import org.dfemu.tools.sweep.RunPool;
import org.dfemu.tools.sweep.SweepCommand;
import org.dfemu.tools.sweep.SeedSet;
import org.dfemu.tools.sweep.SweepReport;
import org.dfemu.tools.sweep.Variant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code dfemu explore}: boots one generated scenario per seed ({@link Grammar}, with swarm
 * testing), per variant of {@code -e}, J at a time; tabulates the outcomes as {@code dfemu sweep}
 * does, sums the runs' counters as coverage, and shrinks each distinct failure ({@link Shrinker})
 * to a small scenario printed as a spec with the command that reproduces it.
 */
@Command(name = "explore", mixinStandardHelpOptions = true, versionProvider = org.dfemu.tools.Version.class,
        exitCodeOnInvalidInput = 2, exitCodeOnExecutionException = 2,
        description = {"Boot generated scenarios (machine, settings, programs drawn from each seed, with swarm testing),",
                "tabulate what broke, and shrink each distinct failure to a small spec that reproduces it.",
                "  dfemu explore --seeds 1..200 --time 20 --jobs 2 --json out.json --emit-spec scenarios/",
                "  dfemu explore --merge shard-0.json shard-1.json ...",
                "IMAGE, if given, fixes its boot settings and swap partition for every scenario.",
                "Runs check the kernel's invariants every " + ExploreCommand.CHECK_INTERVAL + " s of virtual time unless -e or IMAGE say otherwise.",
                "Exit status: 0 every run ok, 1 a run panicked, deadlocked, livelocked, lost data or broke an invariant, 2 bad usage or bad input."})
public final class ExploreCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "IMAGE | JSON",
            description = "A base image whose settings and swap every scenario keeps (default: none); with --merge, the shards' JSON files.")
    List<String> files = new ArrayList<>();

    @Option(names = "--seeds", paramLabel = "SEEDS", description = "Scenarios to run: N, A..B, or a comma list of those (1..200, 5,9,12).")
    String seeds;

    @Option(names = "-e", paramLabel = "name=v1,v2[:name=v1,v2...]",
            description = "Settings every scenario takes (repeatable); several values make variants, as in dfemu sweep.")
    List<String> settings = new ArrayList<>();

    @Option(names = "--jobs", paramLabel = "J", description = "Runs at a time (default: the host's processors).")
    String jobs;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the table, coverage and failures as JSON.")
    Path jsonFile;

    @Option(names = "--shard", paramLabel = "i/n", description = "Run only shard i (0..n-1) of n: runs k with k mod n = i, k counting variants then seeds.")
    String shard;

    @Option(names = "--time", paramLabel = "SECONDS",
            description = "Virtual seconds each run may last after boot (default: " + ExploreCommand.DEFAULT_TIME + ").")
    String time;

    @Option(names = "--emit-spec", paramLabel = "DIR", description = "Write every scenario, and every shrunk failure, as a spec in DIR.")
    Path emitDir;

    @Option(names = "--cores", paramLabel = "DIR",
            description = {"Write a core file of every failing run to DIR, named as dfemu sweep names them (SCENARIO-VARIANT-seedN.core,",
                    "SCENARIO being explore-SEED), and of each shrunk reproducer (explore-SEED-shrunk-VARIANT-seedN.core);",
                    "each core's image is kept beside it. Read them with dfemu inspect."})
    Path coresDir;

    @Option(names = "--shrink-boots", paramLabel = "N",
            description = "Boots the shrinking of one failure may take (default: " + ExploreCommand.SHRINK_BOOTS + "; 0: do not shrink).")
    String shrinkBoots;

    @Option(names = "--no-progress", description = "No progress bar (there is none anyway when stderr is not a terminal).")
    boolean noProgress;

    @Option(names = "--merge", description = "Combine the JSON files of an exploration's shards and print the result.")
    boolean merge;

    /** As dfemu sweep: invariant checks every 0.1 s of virtual time unless said otherwise. */
    static final String CHECK_INTERVAL = "0.1";
    private static final String CHECK_SETTING = PeriodicCheck.DEBUG_CHECK_INTERVAL.name();
    /** Generated workloads end within seconds; a stall needs debug.stall_timeout (30 s by default) to show. */
    static final String DEFAULT_TIME = "60";
    static final int SHRINK_BOOTS = 200;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            return merge ? merge(out) : explore(out, err);
        } catch (BootPlan.BadInput | IllegalArgumentException | IOException | SpecException e) {
            err.println("dfemu explore: " + e.getMessage());
            err.flush();
            return 2;
        }
    }

    private int merge(PrintWriter out) throws IOException {
        if (seeds != null || !settings.isEmpty() || shard != null || time != null || jobs != null || emitDir != null
                || shrinkBoots != null || coresDir != null) {
            throw new IllegalArgumentException("--merge takes only the shards' JSON files (and --json)");
        }
        if (files.isEmpty()) throw new IllegalArgumentException("--merge: give the shards' JSON files");
        List<Path> paths = new ArrayList<>();
        List<ExploreReport> parts = new ArrayList<>();
        for (String f : files) {
            Path p = Path.of(f);
            if (!Files.isRegularFile(p)) throw new IllegalArgumentException(f + ": no such file");
            paths.add(p);
            parts.add(ExploreReport.read(p));
        }
        ExploreReport merged = ExploreReport.merge(paths, parts);
        merged.print(out);
        if (jsonFile != null) merged.write(jsonFile);
        return merged.anyFailed() ? 1 : 0;
    }

    private record Job(int variant, long seed) {
        @Override
        public String toString() { return "scenario " + seed + " of variant " + variant; }
    }

    private int explore(PrintWriter out, PrintWriter err) throws IOException, SpecException {
        if (files.size() > 1) throw new IllegalArgumentException("give at most one base image (got " + files.size() + "; --merge combines JSON files)");
        if (seeds == null) throw new IllegalArgumentException("--seeds is required (e.g. --seeds 1..100)");
        SeedSet seedSet = SeedSet.parse(seeds);
        List<Variant.Axis> axes = Variant.parseAxes(settings);
        List<Variant> variants = Variant.product(axes);
        int j = RunPool.jobs(number("--jobs", jobs));
        RunPool.Shard sh = RunPool.shard(shard);
        String timeText = time == null ? DEFAULT_TIME : time;
        long runNs = (long) (1e9 * RunPool.timeSeconds(timeText));
        Integer sb = number("--shrink-boots", shrinkBoots);
        int budget = sb == null ? SHRINK_BOOTS : sb;
        if (budget < 0 || budget > 100_000) throw new IllegalArgumentException("--shrink-boots " + budget + " is not in 0..100000");
        if (emitDir != null) {
            if (Files.exists(emitDir) && !Files.isDirectory(emitDir)) throw new IllegalArgumentException("--emit-spec " + emitDir + ": not a directory");
            Files.createDirectories(emitDir);
        }
        if (coresDir != null) {
            if (Files.exists(coresDir) && !Files.isDirectory(coresDir)) throw new IllegalArgumentException("--cores " + coresDir + ": not a directory");
            Files.createDirectories(coresDir);
        }
        if (jsonFile != null && jsonFile.toAbsolutePath().getParent() != null && !Files.isDirectory(jsonFile.toAbsolutePath().getParent())) {
            throw new IllegalArgumentException("--json " + jsonFile + ": no such directory");
        }

        // The base image: its settings are fixed in every scenario, its swap partition replaces the drawn one.
        String imageText = files.isEmpty() ? "" : files.getFirst();
        Map<String, String> base = new LinkedHashMap<>();
        long baseSwap = -1;
        if (!imageText.isEmpty()) {
            Path image = Path.of(imageText);
            if (!Files.isRegularFile(image)) throw new BootPlan.BadInput(image + ": no such image file");
            DiskImage label;
            try {
                label = DiskImage.open(image);
            } catch (ImageFormatException e) {
                throw new BootPlan.BadInput(image + ": " + e.getMessage());
            }
            base.putAll(label.bootSettings());
            baseSwap = label.partition(PartitionType.SWAP).map(p -> p.byteLength()).orElse(0L);
        }

        List<Job> mine = new ArrayList<>();
        long k = 0;
        for (int v = 0; v < variants.size(); v++) {
            for (long s : seedSet.seeds()) {
                if (sh.mine(k++)) mine.add(new Job(v, s));
            }
        }
        // Every scenario is drawn (and checked to parse) before anything boots.
        List<Scenario> scenarios = new ArrayList<>();
        for (Job job : mine) {
            Map<String, String> fixed = new LinkedHashMap<>(base);
            fixed.putAll(variants.get(job.variant()).settings());
            fixed.putIfAbsent(CHECK_SETTING, CHECK_INTERVAL);
            Scenario s = Grammar.generate(job.seed()).withFixed(fixed);
            if (baseSwap >= 0) s = s.withMachine(s.physmem(), s.ncpu(), baseSwap);
            s = s.withFatesForMemory();
            s = withStallWithin(s, runNs);
            try {
                s.imageSpec();
            } catch (SpecException e) {
                throw new IllegalArgumentException("scenario " + job.seed() + " with " + variants.get(job.variant()).label() + ": " + e.getMessage());
            } catch (TunableException e) {
                throw new IllegalArgumentException(e.getMessage());
            }
            scenarios.add(s);
        }

        Path scratch = Files.createTempDirectory("dfemu-explore");
        try {
            long cpu0 = RunPool.processCpuNs();
            long wall0 = System.nanoTime();
            List<RunRecord> records;
            try (ProgressBar bar = RunPool.progressBar("explore", mine.size(), noProgress)) {
                List<Callable<RunRecord>> tasks = new ArrayList<>();
                for (int i = 0; i < scenarios.size(); i++) {
                    Scenario s = scenarios.get(i);
                    Job job = mine.get(i);
                    String name = specName(job, variants.size());
                    tasks.add(() -> {
                        RunRecord r = coresDir == null ? ScenarioRun.run(s, runNs, scratch, ScenarioRun.nullWriter())
                                : ScenarioRun.run(s, runNs, coresDir.resolve(name + ".img"), ScenarioRun.nullWriter(),
                                        coreRequest(name, variants.get(job.variant()), job.seed()));
                        if (bar != null) bar.step();
                        return r;
                    });
                }
                records = RunPool.runAll(tasks, j, mine);
            }
            double runCpu = (RunPool.processCpuNs() - cpu0) / 1e9;
            double runWall = (System.nanoTime() - wall0) / 1e9;

            List<SweepReport.Run> runs = new ArrayList<>();
            Map<String, Long> coverage = new LinkedHashMap<>();
            List<String> cores = new ArrayList<>();
            for (int i = 0; i < mine.size(); i++) {
                Job job = mine.get(i);
                RunRecord r = records.get(i);
                String name = specName(job, variants.size());
                runs.add(SweepReport.Run.of(variants.get(job.variant()).label(), r, reproduce(name, job.seed(), timeText), null));
                r.counters().forEach((c, v) -> coverage.merge(c, v, Long::sum));
                if (coresDir != null && r.failed()) cores.add(corePath(name, variants.get(job.variant()), job.seed()));
                if (emitDir != null) {
                    Files.writeString(emitDir.resolve(name + ".spec"), scenarios.get(i).spec(), StandardCharsets.UTF_8);
                }
            }
            SweepReport table = SweepReport.of(imageText.isEmpty() ? "(generated)" : imageText, seedSet, timeText, axes,
                    sh.count(), List.of(sh.index()), runs);

            // Each distinct failure (variant, signature) once, from its first seed, shrunk.
            long shrinkCpu0 = RunPool.processCpuNs();
            long shrinkWall0 = System.nanoTime();
            Map<String, Integer> firstOf = new LinkedHashMap<>();
            Map<String, List<Long>> seedsOf = new LinkedHashMap<>();
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < mine.size(); i++) order.add(i);
            order.sort(Comparator.<Integer>comparingInt(i -> mine.get(i).variant()).thenComparingLong(i -> mine.get(i).seed()));
            for (int i : order) {
                RunRecord r = records.get(i);
                if (!r.failed()) continue;
                String key = variants.get(mine.get(i).variant()).label() + "\u0000" + ScenarioRun.Signature.of(r);
                firstOf.putIfAbsent(key, i);
                seedsOf.computeIfAbsent(key, x -> new ArrayList<>()).add(mine.get(i).seed());
            }
            Shrinker shrinker = new Shrinker(runNs, scratch, j, budget);
            List<ExploreReport.Failure> failures = new ArrayList<>();
            for (Map.Entry<String, Integer> e : firstOf.entrySet()) {
                int i = e.getValue();
                Job job = mine.get(i);
                Scenario s = scenarios.get(i);
                RunRecord r = records.get(i);
                Shrinker.Result shrunk = shrinker.shrink(s, r);
                String name = specName(job, variants.size()) + "-shrunk";
                String shrunkSpec = "# shrunk by dfemu explore in " + shrunk.boots() + " boot(s); it fails as: "
                        + ScenarioRun.Signature.of(shrunk.record()) + "\n" + shrunk.scenario().spec();
                if (emitDir != null) {
                    Files.writeString(emitDir.resolve(name + ".spec"), shrunkSpec, StandardCharsets.UTF_8);
                }
                String core = "";
                if (coresDir != null) {
                    Variant v = variants.get(job.variant());
                    if (shrunk.boots() == 0) {
                        // Nothing was shrunk: the reproducer is the run itself, whose core is written.
                        core = corePath(specName(job, variants.size()), v, job.seed());
                    } else {
                        // The shrinker's boots write no core; the shrunk scenario boots once more to write one.
                        ScenarioRun.run(shrunk.scenario(), runNs, coresDir.resolve(name + ".img"), ScenarioRun.nullWriter(),
                                coreRequest(name, v, job.seed()));
                        core = corePath(name, v, job.seed());
                        cores.add(core);
                    }
                }
                failures.add(new ExploreReport.Failure(variants.get(job.variant()).label(), ScenarioRun.Signature.of(r).toString(),
                        job.seed(), seedsOf.get(e.getKey()), r.headline(), s.spec(), s.measure(), shrunkSpec,
                        shrunk.scenario().measure(), shrunk.record().headline(), shrunk.boots(),
                        "dfemu mkimage " + name + ".spec -o " + name + ".img",
                        reproduceBoot(name, job.seed(), timeText), core));
            }
            double shrinkCpu = (RunPool.processCpuNs() - shrinkCpu0) / 1e9;
            double shrinkWall = (System.nanoTime() - shrinkWall0) / 1e9;

            ExploreReport report = ExploreReport.of(table, coverage, failures, cores);
            report.print(out);
            if (jsonFile != null) report.write(jsonFile);
            // Host timing goes to stderr only: the table and the JSON are the same on every host.
            if (!mine.isEmpty()) {
                err.printf(Locale.ROOT, "dfemu explore: %d scenarios in %.1f s on %d thread(s), %.1f s of host CPU: %.2f scenarios per host-core-second%n",
                        mine.size(), runWall, j, runCpu, runCpu > 0 ? mine.size() / runCpu : 0.0);
            }
            if (!failures.isEmpty()) {
                int boots = failures.stream().mapToInt(ExploreReport.Failure::shrinkBoots).sum();
                err.printf(Locale.ROOT, "dfemu explore: shrank %d failure(s) in %d boots, %.1f s, %.1f s of host CPU (%.1f s per failure)%n",
                        failures.size(), boots, shrinkWall, shrinkCpu, shrinkWall / failures.size());
            }
            err.flush();
            return report.anyFailed() ? 1 : 0;
        } finally {
            deleteTree(scratch);
        }
    }

    /** An integer option's value (null if not given); IllegalArgumentException with one line if it is not a number. */
    private static Integer number(String option, String text) {
        if (text == null) return null;
        try {
            return Integer.valueOf(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " " + text + " is not a whole number");
        }
    }

    /** The core of the scenario (or shrunk reproducer) {@code name}: named as dfemu sweep names a run's core. */
    private CoreWriter.Request coreRequest(String name, Variant v, long seed) {
        return new CoreWriter.Request(Path.of(corePath(name, v, seed)), false);
    }

    private String corePath(String name, Variant v, long seed) {
        return coresDir.resolve(SweepCommand.coreName(Path.of(name + ".img"), v, seed)).toString();
    }

    /** explore-SEED, or explore-SEED-vK for variant K when there are several. */
    private static String specName(Job job, int variants) {
        return "explore-" + job.seed() + (variants > 1 ? "-v" + job.variant() : "");
    }

    private static final String STALL_SETTING = org.dfemu.emulator.sched.SchedulerSettings.DEBUG_STALL_TIMEOUT.name();

    /**
     * The shortest stall watchdog explore sets: how long DragonFly's OOM kill may take to act.
     * vm_pageout_scan_cache kills only once {@code pass / MAXSCAN_DIVIDER > 1}, 20 passes in a
     * row that did not meet the shortage, and with swap full (or none configured) the
     * pagedaemon sleeps hz/5 after each: 4 s; then at most one kill a second. A shorter
     * watchdog calls a machine a livelock while the kernel is still on its way to a kill.
     */
    static final long STALL_FLOOR_NS = 5_000_000_000L;

    /**
     * The scenario with a stall watchdog that can fire within the run: when neither {@code -e}
     * nor the base image sets debug.stall_timeout and the drawn (or default, 30 s) value is more
     * than half of {@code --time}, it is fixed at half of {@code --time}, but never below
     * {@link #STALL_FLOOR_NS}, so a stall that starts in the first half of a run of at least
     * 10 s is reported as the livelock it is instead of ending "ok, stopped at --time".
     */
    static Scenario withStallWithin(Scenario s, long runNs) {
        if (s.fixed().containsKey(STALL_SETTING)) return s;
        String drawn = s.drawn().get(STALL_SETTING);
        long stallNs = (Long) org.dfemu.emulator.sched.SchedulerSettings.DEBUG_STALL_TIMEOUT.parse(
                drawn != null ? drawn : org.dfemu.emulator.sched.SchedulerSettings.DEBUG_STALL_TIMEOUT.defaultValue());
        long within = Math.max(STALL_FLOOR_NS, runNs / 2 / 1_000_000 * 1_000_000);
        if (stallNs > 0 && stallNs <= within) return s;
        return s.withFixed(Map.of(STALL_SETTING, org.dfemu.emulator.api.Tunable.seconds(within)));
    }

    private static String reproduce(String name, long seed, String time) {
        return "dfemu mkimage " + name + ".spec -o " + name + ".img && " + reproduceBoot(name, seed, time);
    }

    private static String reproduceBoot(String name, long seed, String time) {
        return "dfemu boot " + name + ".img --seed " + seed + " --time " + BootPlan.shellWord(time);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) Files.deleteIfExists(p);
        }
        Files.deleteIfExists(dir);
    }
}
