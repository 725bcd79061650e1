package org.dfemu.tools.sweep;

import org.dfemu.tools.DfemuRun;
import static org.dfemu.tools.DfemuRun.dfemu;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.dfemu.tools.image.ImageWriter;
import org.dfemu.tools.image.SpecParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outcome of each SWAPMETA allocator, pinned on a short sweep of the committed
 * disk-images/swapmeta-pressure.spec: zalloc finishes, the plain kmalloc_obj conversion stops with
 * the pagedaemon and the emergency pager asleep in vm_wait under _kmalloc_obj(SWAPMETA), and the
 * ready-slab reserve finishes with 1, 3 and 8 slabs. A change to the port that alters any of these
 * fails here, and docs/swapmeta.md must be measured again.
 *
 * <p>Every variant's lowest free count is 0, in the first tick (about 0.3 ms): with DragonFly's
 * per-cpu vmstats each cpu's admission test reads its own copy (gd_vmstats), which follows that
 * cpu's own allocations but not the other cpu's until both hardclocks have run (the first is at
 * 10 ms). The writers on cpu 0 and the writer on cpu 1 each see only their own share go, so they
 * empty the free queue far below v_free_reserved (47); the miss makes vm_page_alloc run
 * vmstats_rollup(), whose fresh copy refuses them.
 */
class SwapmetaPressureTest {
    private static final String SEEDS = "1..3";

    @TempDir
    static Path dir;
    static Path image;
    static SweepReport plain;
    static SweepReport reserve;

    @BeforeAll
    static void sweepEveryVariant() throws Exception {
        // Surefire runs in the module directory; the spec is the committed one, beside it.
        Path spec = Path.of("..", "disk-images", "swapmeta-pressure.spec");
        image = dir.resolve("swapmeta-pressure.img");
        ImageWriter.write(SpecParser.parse(spec.getFileName().toString(), Files.readAllBytes(spec)), image, false);

        Path a = dir.resolve("plain.json");
        DfemuRun r = dfemu("sweep", image.toString(), "--no-progress", "--seeds", SEEDS, "--jobs", "2",
                "-e", "vm.swapmeta_alloc=zalloc,kmalloc_obj", "--json", a.toString());
        assertEquals(1, r.status(), "kmalloc_obj fails, so the sweep reports a failure: " + r.out() + r.err());
        plain = SweepReport.read(a);

        Path b = dir.resolve("reserve.json");
        r = dfemu("sweep", image.toString(), "--no-progress", "--seeds", SEEDS, "--jobs", "2",
                "-e", "vm.swapmeta_alloc=kmalloc_obj_reserve", "-e", "kern.kmalloc_obj_reserve_slabs=1,3,8",
                "--json", b.toString());
        assertEquals(0, r.status(), "every reserve size pages through: " + r.out() + r.err());
        reserve = SweepReport.read(b);
    }

    private static SweepReport.VariantSummary variant(SweepReport report, String name) {
        return report.variants().stream().filter(v -> v.variant().equals(name)).findFirst().orElseThrow(
                () -> new AssertionError("no variant " + name));
    }

    @Test
    void zallocPagesThroughEverySeed() {
        SweepReport.VariantSummary v = variant(plain, "vm.swapmeta_alloc=zalloc");
        assertEquals(3, v.runs());
        assertEquals(3, v.ok(), v.toString());
        // The writers empty the free queue against their cpus' lagging copies (see above);
        // zalloc's pageout still pages through: one zalloc page serves 12 swblocks.
        assertEquals(0, v.freeLow(), "lowest free count");
    }

    @Test
    void kmallocObjStallsInTheSlabAllocationOnEverySeed() {
        SweepReport.VariantSummary v = variant(plain, "vm.swapmeta_alloc=kmalloc_obj");
        assertEquals(3, v.runs());
        assertEquals(3, v.deadlocks(), v.toString());
        assertEquals(0, v.ok());
        // The writers emptied the free queue before the pagedaemon ran (see above); the daemons'
        // slab allocations then find nothing, short of the 32 pages a slab needs.
        assertEquals(0, v.freeLow());
    }

    @Test
    void theReproduceCommandShowsThePagedaemonInVmWaitUnderKmallocObjSwapmeta() {
        SweepReport.VariantSummary v = variant(plain, "vm.swapmeta_alloc=kmalloc_obj");
        String reproduce = v.failures().getFirst().reproduce();
        assertEquals("dfemu boot " + image + " --seed 1 -e vm.swapmeta_alloc=kmalloc_obj", reproduce);
        String[] words = reproduce.split(" ");
        DfemuRun boot = dfemu(Arrays.copyOfRange(words, 1, words.length));
        assertEquals(1, boot.status());
        assertTrue(boot.out().strip().endsWith("result: livelock"), boot.out());
        assertTrue(boot.out().contains("  pagedaemon in vm_wait (wchan &vm_pageout_pages_needed, \"VMWait\"")
                        && boot.out().contains("), from kmem_slab_alloc, from _kmalloc_obj(SWAPMETA), from swp_pager_meta_build,"
                        + " from swap_pager_putpages, from vm_pageout_flush"),
                boot.out());
        assertTrue(boot.out().contains("v_interrupt_free_min         17  BELOW"), boot.out());
    }

    @Test
    void theReserveOfReadySlabsPagesThroughEverySeedWithOneThreeAndEightSlabs() {
        // Even one ready slab is enough: the first pageout pass starts after the writers were
        // refused and went to sleep, and a slab's refill then finds the pages the pagedaemon freed.
        for (String slabs : List.of("1", "3", "8")) {
            SweepReport.VariantSummary v = variant(reserve,
                    "vm.swapmeta_alloc=kmalloc_obj_reserve:kern.kmalloc_obj_reserve_slabs=" + slabs);
            assertEquals(3, v.runs());
            assertEquals(3, v.ok(), v.toString());
            assertEquals(0, v.freeLow(), "lowest free count");
        }
    }

    @Test
    void theReclaimCheckFlagsKmallocObjAtTheFirstSwapOutOnEverySeedAndNothingUnderZalloc() {
        String slabSite = "pageout path may block: vm_pageout_scan_inactive -> vm_pageout_clean_helper -> vm_pageout_flush"
                + " -> swap_pager_putpages -> swp_pager_meta_build -> _kmalloc_obj(SWAPMETA) -> kmem_slab_alloc(M_WAITOK)"
                + " needs 32 pages";
        for (SweepReport.Run r : plain.runs()) {
            if (r.variant().equals("vm.swapmeta_alloc=zalloc")) {
                assertEquals(List.of(), r.reclaimSites(), "seed " + r.seed());
                assertEquals(0, r.swapmetaPaths().get("blocking_slab_allocs"), "seed " + r.seed());
            } else {
                assertTrue(r.reclaimSites().getFirst().startsWith(slabSite), "seed " + r.seed() + ": " + r.reclaimSites());
                assertTrue(r.swapmetaPaths().get("blocking_slab_allocs") > 0, "seed " + r.seed());
            }
        }
        SweepReport.VariantSummary k = variant(plain, "vm.swapmeta_alloc=kmalloc_obj");
        assertEquals(3, k.reclaimSites().entrySet().stream()
                .filter(e -> e.getKey().startsWith(slabSite)).findFirst().orElseThrow().getValue());
        assertTrue(k.swapmetaPaths().get("blocking_slab_allocs") >= 3, k.swapmetaPaths().toString());
        assertTrue(variant(plain, "vm.swapmeta_alloc=zalloc").reclaimSites().isEmpty());
    }

    @Test
    void theReserveReachesTheBlockingFallbackOnceWithOneSlabAndNeverWithThreeOrEight() {
        // With one ready slab, _kmalloc_obj(SWAPMETA) takes it, the non-blocking refill finds no
        // pages, and the next new slab is the blocking kmem_slab_alloc(M_WAITOK), once per seed;
        // by then the pagedaemon has freed enough that it does not sleep (the run is ok).
        for (SweepReport.Run r : reserve.runs()) {
            String what = r.variant() + " seed " + r.seed() + ": " + r.swapmetaPaths() + " " + r.reclaimSites();
            boolean one = r.variant().endsWith("slabs=1");
            assertEquals(one ? 1 : 0, r.swapmetaPaths().get("blocking_slab_allocs"), what);
            assertTrue(r.swapmetaPaths().get("reserve_takes") > 0, what);
            assertTrue(r.swapmetaPaths().get("reserve_refills") > 0, what);
            assertEquals(one, r.reclaimSites().stream().anyMatch(s -> s.contains("_kmalloc_obj(SWAPMETA) -> kmem_slab_alloc(M_WAITOK)")),
                    what);
            assertTrue(r.reclaimSites().stream().anyMatch(s -> s.contains(
                    "_kmalloc_obj(SWAPMETA) -> kmalloc_obj_reserve_fill(SWAPMETA) -> kmem_slab_alloc -> vm_map_entry_reserve(4)")), what);
        }
    }
}
