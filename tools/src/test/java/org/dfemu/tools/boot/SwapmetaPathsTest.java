package org.dfemu.tools.boot;

import static org.dfemu.tools.DfemuRun.dfemu;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dfemu.kernel.harness.report.SwapmetaPaths;
import org.dfemu.tools.DfemuRun;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SWAPMETA path counters ({@code debug.swapmeta.*}), the reclaim-context checker
 * ({@code debug.reclaim_check}) and {@code kern.kmalloc_obj_reserve_refill} on the committed
 * disk-images/swapmeta-pressure.spec (docs/swapmeta-paths.md). The counters and sites of seeds 1-3
 * in every variant are pinned by SwapmetaPressureTest's sweeps; here: the printed blocks, the
 * counters each variant reaches on seed 1, the trace event, reclaim_check=2, refill=0 and bad input.
 */
class SwapmetaPathsTest {
    @TempDir
    static Path dir;
    static Path image;
    static final Map<String, RecordedBoot> seed1 = new LinkedHashMap<>();
    /** kmalloc_obj, seed 1, debug.reclaim_check=2, every vm event traced to {@link #reclaimTrace}. */
    static DfemuRun reclaimCheckTwo;
    static Path reclaimTrace;

    /**
     * Boots each run the tests read once: seed 1 in every variant, and the plain kmalloc_obj run
     * with reclaim_check=2, traced (recording a trace changes no run: BootCommandTest), whose
     * console one test reads and whose trace another.
     */
    @BeforeAll
    static void bootSeed1InEveryVariant() throws Exception {
        image = RunPinTest.build(dir, "swapmeta-pressure.spec");
        for (String v : List.of("zalloc", "kmalloc_obj", "kmalloc_obj_reserve")) {
            seed1.put(v, RecordedBoot.boot(image, 1, "vm.swapmeta_alloc=" + v));
        }
        reclaimTrace = dir.resolve("kmalloc_obj.dftrace");
        reclaimCheckTwo = dfemu("boot", image.toString(), "--seed", "1", "-e", "vm.swapmeta_alloc=kmalloc_obj",
                "-e", "debug.reclaim_check=2", "--trace", reclaimTrace.toString(), "--trace-events", "vm");
    }

    /** The {@code --- swapmeta paths ---} block of a boot's console, by name (the console's format test only). */
    static Map<String, Long> paths(String out) {
        Map<String, Long> m = new LinkedHashMap<>();
        int at = out.indexOf("--- swapmeta paths ---\n");
        assertTrue(at >= 0, out);
        String[] lines = out.substring(at).split("\n");
        for (int i = 1; i <= SwapmetaPaths.NAMES.size(); i++) {
            String[] w = lines[i].trim().split("\\s+");
            m.put(w[0], Long.parseLong(w[1]));
        }
        return m;
    }

    /** The counters above zero. */
    static List<String> nonzero(Map<String, Long> paths) {
        List<String> out = new ArrayList<>();
        paths.forEach((k, v) -> {
            if (v > 0) out.add(k);
        });
        return out;
    }

    /** The {@code --- reclaim check ---} block's site lines (the console's format test only). */
    static List<String> sites(String out) {
        int at = out.indexOf("--- reclaim check ---\n");
        assertTrue(at >= 0, out);
        List<String> s = new ArrayList<>();
        for (String line : out.substring(at).split("\n")) {
            if (line.startsWith("pageout path may block: ")) s.add(line);
        }
        return s;
    }

    /**
     * The console's blocks, pinned once: every counter in order after the vmstat blocks, with the
     * record's values, then the reclaim check with the record's sites. The other tests read the record.
     */
    @Test
    void everyCounterIsPrintedInOrderAfterTheVmstatBlocks() {
        for (RecordedBoot r : seed1.values()) {
            String out = r.console();
            assertEquals(SwapmetaPaths.NAMES, List.copyOf(paths(out).keySet()));
            assertEquals(r.record().swapmetaPaths(), paths(out));
            assertEquals(r.record().reclaimSites(), sites(out));
            assertTrue(out.indexOf("--- vmstat -m ---") < out.indexOf("--- swapmeta paths ---"), out);
            assertTrue(out.indexOf("--- swapmeta paths ---") < out.indexOf("--- reclaim check ---"), out);
        }
        assertTrue(seed1.get("zalloc").console().contains(
                "--- reclaim check ---\nno allocation that may sleep for memory on the pageout path\n"),
                seed1.get("zalloc").console());
    }

    @Test
    void zallocReachesThePrefillAndTheMapEntryReserveOnly() {
        RunRecord r = seed1.get("zalloc").record();
        assertEquals(RunRecord.Outcome.OK, r.outcome(), r.headline());
        Map<String, Long> p = r.swapmetaPaths();
        assertEquals(List.of("zalloc_prefill_items", "zget_calls", "map_entry_reserve_waits"), nonzero(p), p.toString());
        assertEquals(List.of(), r.reclaimSites());
    }

    @Test
    void kmallocObjReachesTheBlockingSlabAllocationAndThePageoutVmWait() {
        RunRecord r = seed1.get("kmalloc_obj").record();
        assertEquals(1, r.exitStatus(), r.headline());
        Map<String, Long> p = r.swapmetaPaths();
        assertEquals(List.of("blocking_slab_allocs", "pageout_vm_waits", "map_entry_reserve_waits"), nonzero(p), p.toString());
        List<String> s = r.reclaimSites();
        assertTrue(s.getFirst().startsWith("pageout path may block: vm_pageout_scan_inactive -> vm_pageout_clean_helper"
                + " -> vm_pageout_flush -> swap_pager_putpages -> swp_pager_meta_build -> _kmalloc_obj(SWAPMETA)"
                + " -> kmem_slab_alloc(M_WAITOK) needs 32 pages, the SYSTEM class is guaranteed 0 (first: pagedaemon at"), s.toString());
    }

    @Test
    void theReserveTakesAndRefillsAndNeverReachesTheBlockingFallback() {
        RunRecord r = seed1.get("kmalloc_obj_reserve").record();
        assertEquals(RunRecord.Outcome.OK, r.outcome(), r.headline());
        Map<String, Long> p = r.swapmetaPaths();
        // pv_low_allocs, 1 here before kernel threads took their stacks from kernel_map, is 0 since:
        // the PV entry zone's pages are taken at other moments. swapmeta-ptp.spec reaches it.
        assertEquals(List.of("reserve_takes", "reserve_refills", "reserve_refill_failures", "map_entry_reserve_waits"),
                nonzero(p), p.toString());
        for (String site : r.reclaimSites()) {
            assertFalse(site.contains("-> kmem_slab_alloc(M_WAITOK)"), site);
            assertTrue(site.contains("_kmalloc_obj(SWAPMETA) -> kmalloc_obj_reserve_fill(SWAPMETA) -> kmem_slab_alloc"
                    + " -> vm_map_entry_reserve(4)"), site);
        }
    }

    @Test
    void withoutRefillsTheReserveKeepsOnlyItsSwapInitSlabs() throws Exception {
        RunRecord r = RecordedBoot.boot(image, 1, "vm.swapmeta_alloc=kmalloc_obj_reserve",
                "kern.kmalloc_obj_reserve_refill=0").record();
        Map<String, Long> p = r.swapmetaPaths();
        assertEquals(0, p.get("reserve_refills"), p.toString());
        assertEquals(0, p.get("reserve_refill_failures"), p.toString());
        assertTrue(p.get("reserve_takes") > 0, p.toString());
    }

    @Test
    void reclaimCheckTwoFailsThePlainKmallocObjRunAtTheSlabAllocation() {
        DfemuRun r = reclaimCheckTwo;
        assertEquals(1, r.status(), r.out());
        // The run is traced: the trace's own line comes after the result.
        String out = r.out().replaceAll("(?m)^trace: .*\\R", "");
        assertTrue(out.strip().endsWith("result: reclaim check"), r.out());
        assertTrue(r.out().contains("reclaim check failed (debug.reclaim_check=2): pageout path may block: "
                + "vm_pageout_scan_inactive -> vm_pageout_clean_helper -> vm_pageout_flush -> swap_pager_putpages"
                + " -> swp_pager_meta_build -> _kmalloc_obj(SWAPMETA) -> kmem_slab_alloc(M_WAITOK) needs 32 pages"), r.out());
    }

    @Test
    void theCountersAreTraceEventsThatTraceSummaryNames() {
        assertEquals(1, reclaimCheckTwo.status(), reclaimCheckTwo.out());
        DfemuRun s = dfemu("trace", "summary", reclaimTrace.toString());
        assertEquals(0, s.status(), s.out() + s.err());
        assertTrue(s.out().contains("  vm_swapmeta_path"), s.out());
        assertTrue(s.out().contains("swapmeta paths (vm_swapmeta_path)\n"), s.out());
        assertTrue(s.out().matches("(?s).*\n  blocking_slab_allocs +1  0\\.00\\d+ s\n.*"), s.out());
    }

    @Test
    void badValuesOfTheNewSettingsAreOneLineAndStatusTwo() {
        for (String bad : List.of("debug.reclaim_check=3", "debug.reclaim_check=x", "kern.kmalloc_obj_reserve_refill=2")) {
            DfemuRun r = dfemu("boot", image.toString(), "--seed", "1", "-e", bad);
            assertEquals(2, r.status(), bad + ": " + r.out() + r.err());
            String err = r.err().strip();
            assertEquals(1, err.lines().count(), err);
            assertTrue(err.contains(bad.substring(0, bad.indexOf('='))), err);
        }
    }
}
