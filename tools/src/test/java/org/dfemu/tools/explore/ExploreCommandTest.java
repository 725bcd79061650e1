package org.dfemu.tools.explore;

import static org.dfemu.tools.DfemuRun.dfemu;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.disk.ImageMode;
import org.dfemu.kernel.harness.workload.Instruction;
import org.dfemu.kernel.harness.workload.Program;
import org.dfemu.tools.DfemuRun;
import org.dfemu.tools.boot.Boot;
import org.dfemu.tools.boot.BootPlan;
import org.dfemu.tools.boot.RunRecord;
import org.dfemu.tools.image.ImageSpec;
import org.dfemu.tools.image.ImageWriter;
import org.dfemu.tools.image.SpecParser;
import org.dfemu.tools.sweep.SweepReport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dfemu explore: the grammar is a function of the seed, its specs parse back to the same
 * scenario, swarm testing switches features off, the command's table and JSON do not depend on
 * --jobs or sharding, an emitted spec boots the same run, and the shrinker turns a planted
 * failure into a smaller scenario that fails the same way, the same on every try.
 */
class ExploreCommandTest {
    /** Cheap scenarios at --time 1 (small machines, little paging). */
    private static final String SEEDS = "1..3";
    private static final String TIME = "1";

    @TempDir
    static Path dir;
    static DfemuRun reference;
    static ExploreReport referenceJson;

    private static DfemuRun explore(String... extra) {
        List<String> args = new ArrayList<>(List.of("explore", "--no-progress", "--seeds", SEEDS, "--time", TIME, "--shrink-boots", "4"));
        args.addAll(List.of(extra));
        return dfemu(args.toArray(String[]::new));
    }

    @BeforeAll
    static void referenceExploration() throws Exception {
        Path json = dir.resolve("all.json");
        reference = explore("--jobs", "2", "--json", json.toString(), "--emit-spec", dir.resolve("specs").toString());
        assertTrue(reference.status() == 0 || reference.status() == 1, reference.err());
        referenceJson = ExploreReport.read(json);
    }

    @Test
    void sameSeedSameScenarioByteForByte() {
        for (long seed = 1; seed <= 40; seed++) {
            assertEquals(Grammar.generate(seed).spec(), Grammar.generate(seed).spec(), "seed " + seed);
        }
        assertNotEquals(Grammar.generate(1).spec(), Grammar.generate(2).spec());
    }

    @Test
    void emittedSpecParsesBackToTheSameScenario() throws Exception {
        java.util.Set<Class<?>> written = new java.util.HashSet<>();
        java.util.Set<Program.Fate> fates = new java.util.HashSet<>();
        for (long seed = 1; seed <= 40; seed++) {
            for (Program p : Grammar.generate(seed).programs()) {
                fates.add(p.expect());
                p.code().forEach(i -> written.add(i.getClass()));
            }
            Scenario s = Grammar.generate(seed).withFixed(Map.of("debug.check_interval", "0.1"));
            ImageSpec parsed = SpecParser.parse("x.spec", s.spec().getBytes(StandardCharsets.UTF_8));
            Scenario back = Scenario.fromSpec(seed, parsed, s.fixed().keySet());
            assertEquals(new Scenario(s.seed(), s.physmem(), s.ncpu(), s.swapBytes(), s.fixed(), s.drawn(), s.programs(), List.of()),
                    back, "seed " + seed);
            assertEquals(s.spec().replaceAll("(?m)^#.*\n", ""), back.spec().replaceAll("(?m)^#.*\n", ""));
        }
        // The round trip covers the new instructions and the expect clause.
        for (Class<?> c : List.of(Instruction.StartThread.class, Instruction.Wait.class, Instruction.Mprotect.class,
                Instruction.Madvise.class, Instruction.Mlock.class, Instruction.UnmapRange.class, Instruction.WriteRange.class)) {
            assertTrue(written.contains(c), c.getSimpleName() + " in none of seeds 1..40");
        }
        assertTrue(fates.contains(Program.Fate.SEGV), "no program of seeds 1..40 expects segv");
    }

    @Test
    void swarmSwitchesWholeFeaturesOff() {
        Map<String, Class<? extends Instruction>> kinds = Map.of("fork", Instruction.Fork.class, "loop", Instruction.Loop.class,
                "sleep", Instruction.Sleep.class, "touch", Instruction.Touch.class, "write", Instruction.Write.class,
                "verify", Instruction.Verify.class, "unmap", Instruction.Munmap.class);
        int forkOn = 0, forkOff = 0, oneCpu = 0, smp = 0;
        for (long seed = 1; seed <= 60; seed++) {
            Scenario s = Grammar.generate(seed);
            for (var k : kinds.entrySet()) {
                if (!s.off().contains(k.getKey())) continue;
                for (Program p : s.programs()) {
                    assertTrue(p.code().stream().noneMatch(k.getValue()::isInstance), "seed " + seed + ": " + k.getKey() + " is off");
                }
            }
            for (String group : Grammar.injectionGroups()) {
                if (s.off().contains(group)) assertTrue(s.drawn().keySet().stream().noneMatch(n -> n.startsWith(group + ".")), "seed " + seed);
            }
            if (s.off().contains("smp")) assertEquals(1, s.ncpu());
            if (s.off().contains("swap")) assertEquals(0, s.swapBytes());
            if (s.off().contains("fork")) forkOff++;
            else if (s.programs().stream().anyMatch(p -> p.code().stream().anyMatch(Instruction.Fork.class::isInstance))) forkOn++;
            if (s.ncpu() == 1) oneCpu++;
            else smp++;
            assertFalse(s.off().contains("map"));
        }
        assertTrue(forkOn > 5 && forkOff > 5, forkOn + " scenarios fork, " + forkOff + " have forks off");
        assertTrue(oneCpu > 5 && smp > 5, oneCpu + " on one CPU, " + smp + " on several");
    }

    @Test
    void regionSizesComeFromTheBootedKernelsThresholds() {
        for (long seed = 1; seed <= 20; seed++) {
            Scenario s = Grammar.generate(seed);
            Thresholds th = Thresholds.of(s.physmem(), s.ncpu());
            assertTrue(th.named().stream().anyMatch(n -> n.name().equals("v_free_min") && n.pages() > 0));
            for (Program p : s.programs()) {
                for (Instruction i : p.code()) {
                    if (!(i instanceof Instruction.Mmap m)) continue;
                    boolean derived = th.named().stream().map(Thresholds.Named::pages).anyMatch(b -> {
                        for (long c : new long[] {b - 1, b + 1, b / 2, b * 2, b}) {
                            if (Math.max(1, Math.min(c, th.freeAtBoot())) == m.pages()) return true;
                        }
                        return false;
                    });
                    assertTrue(derived, "seed " + seed + ": " + m.text() + " is near no threshold");
                }
            }
        }
    }

    @Test
    void jobsAndShardsDoNotChangeTheResult() throws Exception {
        Path one = dir.resolve("one.json");
        DfemuRun serial = explore("--jobs", "1", "--json", one.toString());
        assertEquals(reference.out(), serial.out());
        assertEquals(reference.status(), serial.status());
        assertEquals(Files.readString(dir.resolve("all.json")), Files.readString(one));

        Path s0 = dir.resolve("s0.json");
        Path s1 = dir.resolve("s1.json");
        explore("--jobs", "1", "--shard", "0/2", "--json", s0.toString());
        explore("--jobs", "1", "--shard", "1/2", "--json", s1.toString());
        DfemuRun merged = dfemu("explore", "--merge", s0.toString(), s1.toString());
        assertEquals(reference.out(), merged.out());
        assertEquals(reference.status(), merged.status());
    }

    @Test
    void anEmittedSpecBootsTheSameRun() throws Exception {
        for (SweepReport.Run run : referenceJson.table().runs()) {
            Path spec = dir.resolve("specs").resolve("explore-" + run.seed() + ".spec");
            Path image = dir.resolve("rebuilt-" + run.seed() + ".img");
            ImageWriter.write(SpecParser.parse(spec), image, true);
            RunRecord r = Boot.run(BootPlan.open(image, ImageMode.COPY_ON_WRITE, Map.of(), run.seed(), 1_000_000_000L),
                    TraceSink.NONE, new java.io.PrintWriter(java.io.Writer.nullWriter()));
            assertEquals(run.scheduleDigest(), r.scheduleDigest(), "seed " + run.seed());
            assertEquals(run.outcome(), r.outcome());
            assertEquals(run.timeNs(), r.timeNs());
        }
    }

    /** A planted failure: the first PV ENTRY zalloc fails, and pv_alloc dereferences the NULL (a panic). */
    private static final String PLANTED = """
            setting hw.physmem=32M
            setting hw.ncpu=2
            setting debug.check_interval=0.1
            setting debug.fail_zalloc.probability=100
            setting debug.fail_zalloc.zones=PV_ENTRY
            setting kern.hz=200
            setting vm.swapmeta_alloc=kmalloc_obj
            partition swap 16M
            program a copies 2
              sleep 2ms
              map r0 256K rw
              loop 2
                touch r0 random 20 read
                sleep 1ms
              endloop
              write r0
              verify r0
            end
            program b copies 2
              map r1 128K rw
              sleep 5ms
              write r1
              fork
                touch r1 seq write
              endfork
              unmap r1
            end
            """;

    @Test
    void shrinkingAPlantedFailureGivesASmallerScenarioThatFailsTheSameWay() throws Exception {
        Set<String> fixed = Set.of("debug.check_interval", "debug.fail_zalloc.probability", "debug.fail_zalloc.zones");
        Scenario planted = Scenario.fromSpec(3, SpecParser.parse("planted.spec", PLANTED.getBytes(StandardCharsets.UTF_8)), fixed);
        Path scratch = Files.createDirectories(dir.resolve("scratch"));
        RunRecord first = ScenarioRun.run(planted, 2_000_000_000L, scratch, java.io.Writer.nullWriter());
        assertEquals(RunRecord.Outcome.PANIC, first.outcome(), first.headline());

        Shrinker.Result two = new Shrinker(2_000_000_000L, scratch, 2, 60).shrink(planted, first);
        assertTrue(Scenario.smaller(two.scenario().measure(), planted.measure()),
                two.scenario().measure() + " is not smaller than " + planted.measure());
        assertEquals(ScenarioRun.Signature.of(first), ScenarioRun.Signature.of(two.record()));
        assertTrue(two.scenario().programs().size() < planted.programs().size(), two.scenario().spec());
        assertEquals(16L << 20, two.scenario().physmem(), two.scenario().spec());
        assertEquals(fixed, Set.copyOf(two.scenario().fixed().keySet()));

        Shrinker.Result one = new Shrinker(2_000_000_000L, scratch, 1, 60).shrink(planted, first);
        assertEquals(two.scenario().spec(), one.scenario().spec(), "the shrunk scenario depends on --jobs");
        assertEquals(two.record(), one.record());
        assertEquals(one.boots(), two.boots(), "the boots a shrink reports (its spec's header, the JSON) depend on --jobs");

        // Candidates ran only to twice the failure's time plus the slack; the one kept fails
        // identically when booted for the whole --time.
        long cap = Shrinker.candidateNs(2_000_000_000L, first.timeNs());
        assertTrue(cap < 2_000_000_000L, "the planted panic at " + first.timeNs() + " ns leaves no cap");
        assertTrue(two.record().timeNs() <= cap, two.record().toString());
        assertEquals(two.record(), ScenarioRun.run(two.scenario(), 2_000_000_000L, scratch, java.io.Writer.nullWriter()));
    }

    @Test
    void aShrinkCandidateRunsToTwiceTheFailuresTimePlusSlackNeverPastTime() {
        assertEquals(2 * 300_000_000L + Shrinker.CAP_SLACK_NS, Shrinker.candidateNs(5_000_000_000L, 300_000_000L));
        assertEquals(5_000_000_000L, Shrinker.candidateNs(5_000_000_000L, 2_500_000_000L));
        assertEquals(Shrinker.CAP_SLACK_NS, Shrinker.candidateNs(5_000_000_000L, 0));
    }

    @Test
    void eachDistinctFailureIsShrunkAndItsEmittedSpecFailsTheSameWay() throws Exception {
        Path specs = dir.resolve("failing");
        Path json = dir.resolve("failing.json");
        Path cores = dir.resolve("cores");
        DfemuRun r = dfemu("explore", "--no-progress", "--seeds", SEEDS, "--time", TIME, "--jobs", "2",
                "-e", "debug.fail_zalloc.probability=100:debug.fail_zalloc.zones=PV_ENTRY",
                "--shrink-boots", "12", "--emit-spec", specs.toString(), "--json", json.toString(), "--cores", cores.toString());
        assertEquals(1, r.status(), r.out() + r.err());
        ExploreReport report = ExploreReport.read(json);
        assertFalse(report.failures().isEmpty(), r.out());
        assertTrue(r.out().contains("distinct failures: " + report.failures().size()), r.out());
        for (ExploreReport.Failure f : report.failures()) {
            assertTrue(f.seeds().contains(f.seed()));
            assertTrue(f.shrinkBoots() > 0 && f.shrinkBoots() <= 12, f.toString());
            assertFalse(Scenario.smaller(f.measure(), f.shrunkMeasure()), f.toString());
            assertTrue(r.out().contains("  " + f.boot() + "\n"), r.out());
            String name = "explore-" + f.seed() + "-shrunk";
            assertEquals(f.shrunkSpec(), Files.readString(specs.resolve(name + ".spec")));
            Path image = dir.resolve(name + ".img");
            ImageWriter.write(SpecParser.parse(specs.resolve(name + ".spec")), image, true);
            RunRecord again = Boot.run(BootPlan.open(image, ImageMode.COPY_ON_WRITE, Map.of(), f.seed(), 1_000_000_000L),
                    TraceSink.NONE, new java.io.PrintWriter(java.io.Writer.nullWriter()));
            assertEquals(f.signature(), ScenarioRun.Signature.of(again).toString(), f.shrunkSpec());
            // --cores: the shrunk reproducer's core, named as sweep names a run's, opens in dfemu inspect.
            String variant = "debug.fail_zalloc.probability=100_debug.fail_zalloc.zones=PV_ENTRY";
            assertEquals(cores.resolve(name + "-" + variant + "-seed" + f.seed() + ".core").toString(), f.core());
            assertTrue(r.out().contains("  core: " + f.core()), r.out());
            DfemuRun inspect = dfemu("inspect", f.core(), "ps");
            assertEquals(0, inspect.status(), inspect.err());
            assertFalse(inspect.out().isBlank());
            assertTrue(Files.isRegularFile(cores.resolve(name + ".img")), "the core's image is kept beside it");
        }
        // Every failing run wrote its own core too, and the report names each core written.
        for (SweepReport.Run run : report.table().runs()) {
            Path c = cores.resolve("explore-" + run.seed() + "-debug.fail_zalloc.probability=100_debug.fail_zalloc.zones=PV_ENTRY-seed"
                    + run.seed() + ".core");
            assertEquals(run.failed(), Files.isRegularFile(c), c.toString());
            assertEquals(run.failed(), report.cores().contains(c.toString()), c.toString());
            assertEquals(run.failed(), Files.exists(cores.resolve("explore-" + run.seed() + ".img")), "image of seed " + run.seed());
        }
    }

    @Test
    void badInputIsOneLineAndStatus2() throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        Path notJson = Files.writeString(dir.resolve("not.json"), "{}");
        String[][] bad = {
                {"explore"},
                {"explore", "--seeds", "x"},
                {"explore", "--seeds", "3..1"},
                {"explore", "--seeds", "1", "-e", "no.such=1"},
                {"explore", "--seeds", "1", "-e", "hw.ncpu=100"},
                {"explore", "--seeds", "1", "-e", "hw.ncpu"},
                {"explore", "--seeds", "1", "--time", "0"},
                {"explore", "--seeds", "1", "--time", "soon"},
                {"explore", "--seeds", "1", "--jobs", "0"},
                {"explore", "--seeds", "1", "--jobs", "x"},
                {"explore", "--seeds", "1", "--shard", "2/2"},
                {"explore", "--seeds", "1", "--shard", "a/b"},
                {"explore", "--seeds", "1", "--shrink-boots", "-1"},
                {"explore", "--seeds", "1", "--emit-spec", file.toString()},
                {"explore", "--seeds", "1", "--cores", file.toString()},
                {"explore", "--merge", "--cores", dir.toString(), notJson.toString()},
                {"explore", "--seeds", "1", "--json", dir.resolve("no/such/dir/x.json").toString()},
                {"explore", "--seeds", "1", dir.resolve("missing.img").toString()},
                {"explore", "--seeds", "1", file.toString()},
                {"explore", "--seeds", "1", "a.img", "b.img"},
                {"explore", "--merge"},
                {"explore", "--merge", "--seeds", "1", notJson.toString()},
                {"explore", "--merge", dir.resolve("missing.json").toString()},
                {"explore", "--merge", notJson.toString()},
        };
        for (String[] args : bad) {
            DfemuRun r = dfemu(args);
            assertEquals(2, r.status(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), String.join(" ", args) + ": " + r.err());
            assertTrue(r.out().isEmpty(), String.join(" ", args) + ": " + r.out());
        }
        // What picocli itself refuses (an unknown option, an option without its value) is usage: status 2 too.
        assertEquals(2, dfemu("explore", "--no-such-option").status());
        assertEquals(2, dfemu("explore", "--seeds").status());
    }
}
