package org.dfemu.tools.sweep;

import org.dfemu.tools.DfemuRun;
import static org.dfemu.tools.DfemuRun.dfemu;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.disk.ImageMode;
import org.dfemu.tools.boot.Boot;
import org.dfemu.tools.boot.BootPlan;
import org.dfemu.tools.boot.RunRecord;
import org.dfemu.tools.image.ImageWriter;
import org.dfemu.tools.image.SpecParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dfemu sweep against individual boots. The image's one process writes 20M of anonymous memory
 * with SWAPMETA from plain kmalloc_obj: on 16M the pagedaemon's first swap-out blocks in
 * kmem_slab_alloc(M_WAITOK) for a 32-page slab it cannot get and the run stops as a livelock
 * after 2 virtual seconds (debug.stall_timeout=2), the deadlock the SWAPMETA question is about;
 * on 32M the region fits and the run is ok. So the sweep sees honest failures and honest
 * successes, each a second or two of host CPU. (It forked 1200 sleepers into the vmspace malloc
 * limit until threads got their C-sized kernel stacks: now memory runs out first and the forks
 * wait for it, which costs minutes.)
 */
class SweepCommandTest {
    private static final String SPEC = org.dfemu.tools.FailingSpecs.KMALLOC_OBJ_LIVELOCK;
    private static final String[] SWEEP = {"--seeds", "1..2", "-e", "hw.physmem=16M,32M", "--time", "10"};

    @TempDir
    static Path dir;
    static Path image;
    /** The reference sweep: 2 jobs, unsharded. */
    static DfemuRun reference;
    static SweepReport referenceJson;

    private static DfemuRun sweep(String... extra) {
        List<String> args = new ArrayList<>(List.of("sweep", image.toString(), "--no-progress"));
        args.addAll(List.of(SWEEP));
        args.addAll(List.of(extra));
        return dfemu(args.toArray(String[]::new));
    }

    @BeforeAll
    static void buildImageAndSweep() throws Exception {
        image = dir.resolve("fk.img");
        ImageWriter.write(SpecParser.parse("fk.spec", SPEC.getBytes(StandardCharsets.UTF_8)), image, false);
        Path json = dir.resolve("all.json");
        reference = sweep("--jobs", "2", "--json", json.toString());
        referenceJson = SweepReport.read(json);
    }

    @Test
    void countsEqualIndividualBoots() throws Exception {
        assertEquals(1, reference.status(), reference.out() + reference.err());
        assertEquals(4, referenceJson.runs().size());
        for (SweepReport.VariantSummary v : referenceJson.variants()) {
            int ok = 0, livelocks = 0;
            long low = Long.MAX_VALUE;
            for (long seed = 1; seed <= 2; seed++) {
                DfemuRun boot = dfemu("boot", image.toString(), "--seed", Long.toString(seed), "-e", v.variant(), "--time", "10");
                BootPlan plan = BootPlan.open(image, ImageMode.COPY_ON_WRITE, v.settings(), seed, 10_000_000_000L);
                RunRecord r = Boot.run(plan, TraceSink.NONE, new PrintWriter(new StringWriter()));
                assertEquals(r.exitStatus(), boot.status(), boot.out());
                if (r.outcome() == RunRecord.Outcome.OK) ok++;
                if (r.outcome() == RunRecord.Outcome.LIVELOCK) livelocks++;
                low = Math.min(low, r.freeLow());
                // The low-water mark is at most the free count the boot printed at shutdown.
                Matcher m = Pattern.compile("(?m)^v_free_count +(\\d+)$").matcher(boot.out());
                assertTrue(m.find(), boot.out());
                assertTrue(r.freeLow() > 0 && r.freeLow() <= Long.parseLong(m.group(1)), r + " vs " + m.group());
                final long s = seed;
                SweepReport.Run swept = referenceJson.runs().stream()
                        .filter(x -> x.variant().equals(v.variant()) && x.seed() == s).findFirst().orElseThrow();
                assertEquals(sweptPart(r), record(swept), "the sweep's record of seed " + seed + " " + v.variant());
            }
            assertEquals(2, v.runs());
            assertEquals(ok, v.ok(), v.toString());
            assertEquals(livelocks, v.deadlocks(), v.toString());
            assertEquals(low, v.freeLow(), v.toString());
        }
        // The scenario: 16M livelocks at the first swap-out for both seeds, 32M is ok.
        assertEquals(2, referenceJson.variants().get(0).deadlocks());
        assertEquals(2, referenceJson.variants().get(1).ok());
        assertTrue(reference.out().contains("""
                variant hw.physmem=16M
                    runs     ok  deadlock  panic  data-loss  invariant   fate  oom-kills  free-low  (seed, time)
                       2      0         2      0          0          0      0          0"""), reference.out());
    }

    @Test
    void invariantRunsHaveTheirOwnColumnAndSurviveTheJson() throws Exception {
        SweepReport.Run ok = new SweepReport.Run("", 1, 0, RunRecord.Outcome.OK, 0, 0, 50, 1, 2, null, 7, 0, 0, "dfemu boot x --seed 1", null, null, null, 0);
        SweepReport.Run bad = new SweepReport.Run("", 2, 1, RunRecord.Outcome.INVARIANT, 0, 0, 40, 1, 3,
                "invariant swap: blist: bl_free 9, tree holds 10 free blocks", 8, 0, 0,
                "dfemu boot x --seed 2 -e debug.check_interval=0.05", List.of("result: invariant"), null, null, 0);
        SweepReport r = SweepReport.of("x", SeedSet.parse("1..2"), null, List.of(), 1, List.of(0), List.of(bad, ok));
        SweepReport.VariantSummary v = r.variants().getFirst();
        assertEquals(List.of(2, 1, 0, 0, 0, 1), List.of(v.runs(), v.ok(), v.deadlocks(), v.panics(), v.dataLoss(), v.invariants()));
        assertTrue(r.anyFailed());
        StringWriter text = new StringWriter();
        r.print(new PrintWriter(text));
        assertTrue(text.toString().contains("""
                variant (the image's settings)
                    runs     ok  deadlock  panic  data-loss  invariant   fate  oom-kills  free-low  (seed, time)
                       2      1         0      0          0          1      0          0        40  (seed 2, 0.000000 s)
                  seed 2: invariant swap: blist: bl_free 9, tree holds 10 free blocks
                    dfemu boot x --seed 2 -e debug.check_interval=0.05"""), text.toString());
        Path json = dir.resolve("invariant.json");
        r.write(json);
        assertEquals(r, SweepReport.read(json));
    }

    /**
     * A run that {@code --time} ended before its programs finished is ok (nothing failed), but a
     * sweep must not let it pass for a finished one: the table lists its seed, and the count of
     * processes still running survives the JSON.
     */
    @Test
    void okRunsStoppedAtTimeWithWorkLeftAreListedAndSurviveTheJson() throws Exception {
        SweepReport.Run done = new SweepReport.Run("", 1, 0, RunRecord.Outcome.OK, 0, 0, 50, 1, 2, null, 7, 0, 0,
                "dfemu boot x --seed 1 --time 1", null, null, null, 0);
        SweepReport.Run cut = new SweepReport.Run("", 2, 0, RunRecord.Outcome.OK, 0, 0, 40, 1, 3, null, 8, 0, 0,
                "dfemu boot x --seed 2 --time 1", null, null, null, 4);
        SweepReport r = SweepReport.of("x", SeedSet.parse("1..2"), "1", List.of(), 1, List.of(0), List.of(cut, done));
        SweepReport.VariantSummary v = r.variants().getFirst();
        assertEquals(2, v.ok());
        assertEquals(List.of(2L), v.stoppedAtTime());
        assertFalse(r.anyFailed());
        StringWriter text = new StringWriter();
        r.print(new PrintWriter(text));
        assertTrue(text.toString().contains("\n  1 ok run(s) stopped at --time with processes still running: seed 2\n"), text.toString());
        Path json = dir.resolve("at-time.json");
        r.write(json);
        SweepReport back = SweepReport.read(json);
        assertEquals(r, back);
        assertEquals(4, back.runs().stream().filter(x -> x.seed() == 2).findFirst().orElseThrow().stillRunning());
    }

    /** {@code r} without what a sweep's JSON does not keep (the wait chain's top frame, the counters). */
    private static RunRecord sweptPart(RunRecord r) {
        return new RunRecord(r.seed(), r.exitStatus(), r.outcome(), r.oomKills(), r.dataLossPages(), r.freeLow(),
                r.freeLowTimeNs(), r.timeNs(), r.headline(), r.scheduleDigest(), r.faults(), r.swapPagesMoved(),
                r.swapmetaPaths(), r.reclaimSites(), null, null, r.stillRunning());
    }

    private static RunRecord record(SweepReport.Run r) {
        return new RunRecord(r.seed(), r.exitStatus(), r.outcome(), r.oomKills(), r.dataLossPages(), r.freeLow(),
                r.freeLowTimeNs(), r.timeNs(), r.headline(), r.scheduleDigest(), r.faults(), r.swapPagesMoved(),
                r.swapmetaPaths(), r.reclaimSites(), null, null, r.stillRunning());
    }

    @Test
    void aPrintedReproduceCommandGivesTheSameFailureThroughBoot() {
        String expected = "dfemu boot " + image + " --seed 2 -e hw.physmem=16M --time 10";
        assertTrue(reference.out().contains("  seed 2: livelock: no progress for 2.000000000 s of virtual time while waiting for memory"), reference.out());
        assertTrue(reference.out().contains("\n    " + expected + "\n"), reference.out());
        SweepReport.Run failed = referenceJson.runs().stream()
                .filter(x -> x.seed() == 2 && x.variant().equals("hw.physmem=16M")).findFirst().orElseThrow();
        assertEquals(expected, failed.reproduce());
        assertTrue(failed.consoleTail().getLast().equals("result: livelock"), failed.consoleTail().toString());

        String[] words = expected.split(" ");
        DfemuRun boot = dfemu(java.util.Arrays.copyOfRange(words, 1, words.length));
        assertEquals(1, boot.status());
        // The headline is the boot's "--- livelock at T: ... ---" line without its time.
        assertTrue(failed.headline().startsWith("livelock: "), failed.headline());
        assertTrue(boot.out().contains("--- livelock at 2.003 s: " + failed.headline().substring("livelock: ".length()) + " ---"), boot.out());
        assertTrue(boot.out().strip().endsWith("result: livelock"), boot.out());
        // The boot's console ends as the sweep's kept tail of that run.
        List<String> lines = boot.out().lines().toList();
        assertEquals(failed.consoleTail(), lines.subList(lines.size() - failed.consoleTail().size(), lines.size()));
    }

    @Test
    void parallelRunsGiveTheSameResultsAsSequentialOnes() throws Exception {
        Path json = dir.resolve("seq.json");
        DfemuRun seq = sweep("--jobs", "1", "--json", json.toString());
        assertEquals(reference.out(), seq.out());
        assertEquals(referenceJson, SweepReport.read(json));
        DfemuRun wide = sweep("--jobs", "4");
        assertEquals(reference.out(), wide.out());
    }

    @Test
    void shardsPartitionTheRunsAndTheirMergeIsTheUnshardedTable() throws Exception {
        List<String> files = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        int total = 0;
        for (int i = 0; i < 3; i++) {
            Path json = dir.resolve("shard-" + i + ".json");
            sweep("--jobs", "2", "--shard", i + "/3", "--json", json.toString());
            files.add(json.toString());
            for (SweepReport.Run r : SweepReport.read(json).runs()) {
                assertTrue(seen.add(r.variant() + " " + r.seed()), "run twice: " + r);
                total++;
            }
        }
        assertEquals(4, total);
        List<String> args = new ArrayList<>(List.of("sweep", "--merge"));
        args.addAll(files);
        Path mergedJson = dir.resolve("merged.json");
        args.addAll(List.of("--json", mergedJson.toString()));
        DfemuRun merged = dfemu(args.toArray(String[]::new));
        assertEquals(1, merged.status(), merged.err());
        assertEquals(reference.out(), merged.out());
        SweepReport m = SweepReport.read(mergedJson);
        assertEquals(referenceJson.runs(), m.runs());
        assertEquals(referenceJson.variants(), m.variants());
        assertEquals(List.of(0, 1, 2), m.shards());

        DfemuRun twice = dfemu("sweep", "--merge", files.get(0), files.get(0));
        assertBad(twice, "given twice");
        DfemuRun other = dfemu("sweep", "--merge", files.get(0), dir.resolve("all.json").toString());
        assertBad(other, "not a shard of the same sweep");
    }

    /**
     * A sweep's JSON written as .gz (how docs/swapmeta/ keeps 200-seed sweeps) merges to the same
     * table as the plain file; a damaged gzip is bad input, one line, exit 2.
     */
    @Test
    void gzippedJsonMergesToTheSameTableAndADamagedOneIsBadInput() throws Exception {
        Path gz = dir.resolve("all.json.gz");
        referenceJson.write(gz);
        byte[] bytes = Files.readAllBytes(gz);
        assertEquals(0x1f, bytes[0] & 0xff, "gzip magic");
        assertEquals(referenceJson, SweepReport.read(gz));
        DfemuRun merged = dfemu("sweep", "--merge", gz.toString());
        assertEquals(1, merged.status(), merged.err());
        assertEquals(reference.out(), merged.out());
        Path cut = dir.resolve("cut.json.gz");
        Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertBad(dfemu("sweep", "--merge", cut.toString()), "not a dfemu sweep JSON file");
    }

    @Test
    void badInputIsOneLineBeforeAnythingRuns() {
        String img = image.toString();
        assertBad(dfemu("sweep", img, "--seeds", "1..3", "-e", "vm.nonesuch=1,2"), "unknown setting 'vm.nonesuch'");
        assertBad(dfemu("sweep", img, "--seeds", "1..3", "-e", "hw.physmem=16M,8M"), "hw.physmem: 8M is out of range");
        assertBad(dfemu("sweep", img, "--seeds", "1..3", "-e", "vm.swapmeta_alloc=zalloc,slab"), "vm.swapmeta_alloc");
        assertBad(dfemu("sweep", img, "--seeds", "1..3", "-e", "kern.hz=100", "-e", "kern.hz=250"), "given twice");
        assertBad(dfemu("sweep", img, "--seeds", "3..1"), "range 3..1 is empty");
        assertBad(dfemu("sweep", img, "--seeds", "1..x"), "'x' is not a seed");
        assertBad(dfemu("sweep", img), "--seeds is required");
        assertBad(dfemu("sweep", img, "--seeds", "1", "--shard", "3/3"), "--shard 3/3");
        assertBad(dfemu("sweep", img, "--seeds", "1", "--shard", "a"), "--shard a");
        assertBad(dfemu("sweep", img, "--seeds", "1", "--jobs", "0"), "--jobs 0");
        assertBad(dfemu("sweep", img, "--seeds", "1", "--time", "-1"), "--time -1");
        assertBad(dfemu("sweep", dir.resolve("none.img").toString(), "--seeds", "1"), "no such image file");
        assertBad(dfemu("sweep", "--merge", dir.resolve("none.json").toString()), "no such file");
    }

    private static void assertBad(DfemuRun r, String mention) {
        assertEquals(2, r.status(), r.out() + r.err());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, "one line: " + r.err());
        assertTrue(lines[0].startsWith("dfemu sweep: "), lines[0]);
        assertTrue(lines[0].contains(mention), lines[0]);
        assertEquals("", r.out());
    }

    @Test
    void seedsAreRangesAndListsInAscendingOrder() {
        assertArrayEquals(new long[] {1, 2, 3, 7, 9}, SeedSet.parse("9,1..3,7").seeds());
        assertArrayEquals(new long[] {0}, SeedSet.parse("0").seeds());
        assertThrows(IllegalArgumentException.class, () -> SeedSet.parse("1..3,2"));
        assertThrows(IllegalArgumentException.class, () -> SeedSet.parse(""));
        assertThrows(IllegalArgumentException.class, () -> SeedSet.parse("-1"));
    }

    @Test
    void variantsAreTheProductInTheOrderGiven() {
        var axes = Variant.parseAxes(List.of("vm.swapmeta_alloc=zalloc,kmalloc_obj:kern.hz=100", "kern.kmalloc_obj_reserve_slabs=1,3"));
        List<String> labels = Variant.product(axes).stream().map(Variant::label).toList();
        assertEquals(List.of(
                "vm.swapmeta_alloc=zalloc:kern.hz=100:kern.kmalloc_obj_reserve_slabs=1",
                "vm.swapmeta_alloc=zalloc:kern.hz=100:kern.kmalloc_obj_reserve_slabs=3",
                "vm.swapmeta_alloc=kmalloc_obj:kern.hz=100:kern.kmalloc_obj_reserve_slabs=1",
                "vm.swapmeta_alloc=kmalloc_obj:kern.hz=100:kern.kmalloc_obj_reserve_slabs=3"), labels);
        assertEquals(List.of(""), Variant.product(List.of()).stream().map(Variant::label).toList());
        assertEquals("dfemu boot 'my disk.img' --seed 4", SweepCommand.reproduce("my disk.img", 4, new Variant(Map.of()), null));
        assertEquals("dfemu boot --seed 4 -e kern.hz=250 --time 2.5",
                SweepCommand.reproduce("", 4, new Variant(Map.of("kern.hz", "250")), "2.5"));
        assertNull(referenceJson.runs().stream().filter(r -> !r.failed()).findFirst().orElseThrow().consoleTail(),
                "an ok run keeps no console");
    }
}
