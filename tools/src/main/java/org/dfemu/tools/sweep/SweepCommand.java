package org.dfemu.tools.sweep;

import org.dfemu.tools.boot.BootCommand;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.disk.ImageMode;
import org.dfemu.kernel.harness.check.PeriodicCheck;
import org.dfemu.tools.boot.Boot;
import org.dfemu.tools.inspect.CoreWriter;
import org.dfemu.tools.boot.BootPlan;
import org.dfemu.tools.boot.DefaultImage;
import org.dfemu.tools.boot.RunRecord;
import org.dfemu.tools.image.MachineSettings;
import org.dfemu.tools.image.SpecException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code dfemu sweep}: boots an image once per seed and per combination of the swept settings,
 * J runs at a time on a fixed pool of host threads, and tabulates the outcomes per variant with
 * the {@code dfemu boot} command that reproduces each failure. {@code --shard i/n} runs a
 * deterministic share of the runs (for batch runners), {@code --merge} combines the shards' JSON.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true, versionProvider = org.dfemu.tools.Version.class,
        exitCodeOnInvalidInput = 2, exitCodeOnExecutionException = 2,
        description = {"Boot an image over many seeds and setting variants, in parallel, and tabulate what broke.",
                "  dfemu sweep IMAGE --seeds 1..200 -e vm.swapmeta_alloc=zalloc,kmalloc_obj --jobs 2 --json out.json",
                "  dfemu sweep --merge shard-0.json shard-1.json ...",
                "Runs check the kernel's invariants every " + SweepCommand.CHECK_INTERVAL + " s of virtual time unless -e debug.check_interval=... says otherwise.",
                "Exit status: 0 every run ok, 1 a run panicked, deadlocked, livelocked, lost data or broke an invariant, 2 bad usage or bad input",
                "(or a host-side crash of the emulator itself)."})
public final class SweepCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "IMAGE | JSON",
            description = "The disk image to sweep (default: the bundled default image); with --merge, the shards' JSON files.")
    List<String> files = new ArrayList<>();

    @Option(names = "--seeds", paramLabel = "SEEDS", description = "Seeds to run: N, A..B, or a comma list of those (1..200, 5,9,12).")
    String seeds;

    @Option(names = "-e", paramLabel = "name=v1,v2[:name=v1,v2...]",
            description = "Settings to sweep (repeatable): every combination of the listed values is a variant.")
    List<String> sweepSettings = new ArrayList<>();

    @Option(names = "--jobs", paramLabel = "J", description = "Runs at a time (default: the host's processors).")
    Integer jobs;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the table and every run's record as JSON.")
    Path jsonFile;

    @Option(names = "--shard", paramLabel = "i/n", description = "Run only shard i (0..n-1) of n: runs k with k mod n = i, k counting variants then seeds.")
    String shard;

    @Option(names = "--time", paramLabel = "SECONDS",
            description = "Virtual seconds each run may last after boot, as for dfemu boot (default: boot's).")
    String time;

    @Option(names = "--cores", paramLabel = "DIR",
            description = "Write a core file of every failing run to DIR, named IMAGE-VARIANT-seedN.core (read with dfemu inspect).")
    Path coresDir;

    @Option(names = "--no-progress", description = "No progress bar (there is none anyway when stderr is not a terminal).")
    boolean noProgress;

    @Option(names = "--merge", description = "Combine the JSON files of a sweep's shards and print the table.")
    boolean merge;

    /**
     * {@code debug.check_interval} of every run unless the image or {@code -e} sets it. A full
     * pass costs about 3 ms of host time on swapmeta-pressure, so every 0.1 s of virtual time
     * (about 80 passes in its 8-second runs) costs about a tenth of the sweep's throughput
     * (measured: 0.38-0.40 runs per host-core-second against 0.41-0.47 without; 0.05 gave
     * 0.34-0.36), and still catches a corruption within some hundreds of page faults of its cause.
     */
    static final String CHECK_INTERVAL = "0.1";

    /** The setting {@link #CHECK_INTERVAL} is the default of (declared by the kernel's harness). */
    private static final String CHECK_SETTING = PeriodicCheck.DEBUG_CHECK_INTERVAL.name();

    /** Lines of a failed run's console kept in the JSON. */
    static final int TAIL_LINES = 40;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            return merge ? merge(out) : sweep(out, err);
        } catch (BootPlan.BadInput | IllegalArgumentException | IOException | SpecException e) {
            err.println("dfemu sweep: " + e.getMessage());
            err.flush();
            return 2;
        }
    }

    private int merge(PrintWriter out) throws IOException {
        if (seeds != null || !sweepSettings.isEmpty() || shard != null || time != null || jobs != null) {
            throw new IllegalArgumentException("--merge takes only the shards' JSON files (and --json)");
        }
        if (files.isEmpty()) throw new IllegalArgumentException("--merge: give the shards' JSON files");
        List<Path> paths = new ArrayList<>();
        List<SweepReport> parts = new ArrayList<>();
        for (String f : files) {
            Path p = Path.of(f);
            if (!Files.isRegularFile(p)) throw new IllegalArgumentException(f + ": no such file");
            paths.add(p);
            parts.add(SweepReport.read(p));
        }
        SweepReport merged = SweepReport.merge(paths, parts);
        merged.print(out);
        if (jsonFile != null) merged.write(jsonFile);
        return merged.anyFailed() ? 1 : 0;
    }

    private int sweep(PrintWriter out, PrintWriter err) throws IOException, SpecException {
        if (files.size() > 1) throw new IllegalArgumentException("give one image (got " + files.size() + "; --merge combines JSON files)");
        if (seeds == null) throw new IllegalArgumentException("--seeds is required (e.g. --seeds 1..100)");
        SeedSet seedSet = SeedSet.parse(seeds);
        List<Variant.Axis> axes = Variant.parseAxes(sweepSettings);
        List<Variant> variants = Variant.product(axes);
        int j = RunPool.jobs(jobs);
        RunPool.Shard sh = RunPool.shard(shard);
        int shardIndex = sh.index();
        int shardCount = sh.count();
        long runNs = (long) (1e9 * RunPool.timeSeconds(time));

        String imageText = files.isEmpty() ? "" : files.getFirst();
        Path image = files.isEmpty() ? DefaultImage.ensureBuilt() : Path.of(imageText);
        // Every variant's settings are resolved against the image before anything runs.
        List<BootPlan> plans = new ArrayList<>();
        for (Variant v : variants) {
            plans.add(BootPlan.open(image, ImageMode.COPY_ON_WRITE, v.settings(), 0, runNs)
                    .withToolDefault(CHECK_SETTING, CHECK_INTERVAL));
        }

        record Job(int variant, long seed) {
            @Override
            public String toString() { return "seed " + seed + " of variant " + variant; }
        }
        List<Job> mine = new ArrayList<>();
        long k = 0;
        for (int v = 0; v < variants.size(); v++) {
            for (long s : seedSet.seeds()) {
                if (k++ % shardCount == shardIndex) mine.add(new Job(v, s));
            }
        }

        long cpu0 = RunPool.processCpuNs();
        long wall0 = System.nanoTime();
        List<SweepReport.Run> runs = new ArrayList<>();
        try (ProgressBar bar = RunPool.progressBar("sweep", mine.size(), noProgress)) {
            List<Callable<SweepReport.Run>> tasks = new ArrayList<>();
            for (Job job : mine) {
                Variant v = variants.get(job.variant());
                BootPlan plan = plans.get(job.variant()).withSeed(job.seed());
                String reproduce = reproduce(imageText, job.seed(), v, time);
                // A check's violation needs the checks on to show again; every other outcome is
                // the same with them off (they change no scheduling decision).
                boolean sweepChecks = plan.settings().source(CHECK_SETTING) == MachineSettings.Source.TOOL;
                String reproduceChecked = sweepChecks
                        ? reproduce(imageText, job.seed(), v.with(CHECK_SETTING, CHECK_INTERVAL), time)
                        : reproduce;
                CoreWriter.Request core = coresDir == null ? null
                        : new CoreWriter.Request(coresDir.resolve(coreName(image, v, job.seed())), false);
                tasks.add(() -> {
                    TailWriter tail = new TailWriter(TAIL_LINES);
                    RunRecord r = Boot.run(plan, TraceSink.NONE, new PrintWriter(tail), core);
                    if (bar != null) bar.step();
                    return SweepReport.Run.of(v.label(), r,
                            r.outcome() == RunRecord.Outcome.INVARIANT ? reproduceChecked : reproduce, tail.tail());
                });
            }
            runs.addAll(RunPool.runAll(tasks, j, mine));
        }
        double wall = (System.nanoTime() - wall0) / 1e9;
        double cpu = (RunPool.processCpuNs() - cpu0) / 1e9;

        SweepReport report = SweepReport.of(imageText, seedSet, time, axes, shardCount, List.of(shardIndex), runs);
        report.print(out);
        if (jsonFile != null) report.write(jsonFile);
        // Host timing goes to stderr only: the table and the JSON are the same on every host.
        if (!mine.isEmpty()) {
            err.printf(Locale.ROOT, "dfemu sweep: %d runs in %.1f s on %d thread(s), %.1f s of host CPU: %.2f runs per host-core-second%n",
                    mine.size(), wall, j, cpu, cpu > 0 ? mine.size() / cpu : 0.0);
            err.flush();
        }
        return report.anyFailed() ? 1 : 0;
    }

    /**
     * The core file name of one run: the image's name without its extension, the variant's
     * settings (characters other than letters, digits, '.', '_' and '=' made '_'; "default" for
     * none) and the seed: {@code swapmeta-pressure-vm.swapmeta_alloc=kmalloc_obj-seed1.core}.
     */
    public static String coreName(Path image, Variant v, long seed) {
        String stem = image.getFileName().toString().replaceFirst("\\.[^.]*$", "");
        String label = v.label().isEmpty() ? "default" : v.label().replaceAll("[^A-Za-z0-9._=]", "_");
        return stem + "-" + label + "-seed" + seed + ".core";
    }

    /**
     * The {@code dfemu boot} command that repeats one run exactly: the image as given, the seed,
     * the variant's settings as one {@code -e}, and {@code --time} if the sweep had one.
     */
    static String reproduce(String image, long seed, Variant v, String time) {
        StringBuilder sb = new StringBuilder("dfemu boot");
        if (!image.isEmpty()) sb.append(' ').append(shellWord(image));
        sb.append(" --seed ").append(seed);
        if (!v.settings().isEmpty()) sb.append(" -e ").append(shellWord(v.label()));
        if (time != null) sb.append(" --time ").append(shellWord(time));
        return sb.toString();
    }

    /** {@code s} as one shell word ({@link BootPlan#shellWord}). */
    static String shellWord(String s) {
        return BootPlan.shellWord(s);
    }
}
