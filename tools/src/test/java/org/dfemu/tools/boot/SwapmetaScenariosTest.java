package org.dfemu.tools.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scenarios built for the SWAPMETA answer (docs/swapmeta.md), each on one pinned seed: the
 * mechanism its header names is reached, as the run's record (what sweep --json keeps) counts it.
 */
class SwapmetaScenariosTest {
    @TempDir
    static Path dir;

    /**
     * swapmeta-zalloc-deep under zalloc: SWAPMETA demand past the prefill while the writers on the
     * other cpus have taken the free count down, so zget takes pages with VM_ALLOC_INTERRUPT at or
     * below v_interrupt_free_min (zalloc's one-page progress), hands out items below zfreemin,
     * and even when zget finds no page at all (zget_failures: swp_pager_meta_build waits in
     * vm_wait and retries) the run completes. Seed 2 of 1..12 reaches all three (4 reaches the
     * interrupt pages and zfreemin, 5 and 8 the interrupt pages only, 1, 7 and 11 none; 3, 6, 9,
     * 10 and 12 livelock in swp_pager_meta_build's vm_wait, since boot's thread cache, as the C
     * creates it, holds pages these runs used to have).
     */
    @Test
    void zallocDeepTakesInterruptPagesAndCompletes() throws Exception {
        Path image = image("swapmeta-zalloc-deep.spec");
        RecordedBoot b = RecordedBoot.boot(image, 2);
        assertEquals(RunRecord.Outcome.OK, b.record().outcome(), b.console());
        Map<String, Long> p = b.record().swapmetaPaths();
        assertTrue(p.get("zget_calls") > 1, p.toString());
        assertTrue(p.get("zget_interrupt_pages") > 0, p.toString());
        assertTrue(p.get("zfreemin_handouts") > 0, p.toString());
        assertTrue(p.get("zget_failures") > 0, p.toString());
    }

    /**
     * swapmeta-zalloc-deep: one swblock per laundered page outruns a single ready slab. The slab is
     * taken, no M_INTNOWAIT refill finds 32 pages, and the pagedaemon falls back to the blocking
     * kmem_slab_alloc and sleeps in vm_wait: the run ends as a livelock with the plain variant's
     * wait chain.
     */
    @Test
    void oneReadySlabIsOutrunOnZallocDeepAndThePagedaemonBlocks() throws Exception {
        Path image = image("swapmeta-zalloc-deep.spec");
        RecordedBoot b = RecordedBoot.boot(image, 1, "vm.swapmeta_alloc=kmalloc_obj_reserve", "kern.kmalloc_obj_reserve_slabs=1");
        assertEquals(RunRecord.Outcome.LIVELOCK, b.record().outcome(), b.console());
        Map<String, Long> p = b.record().swapmetaPaths();
        assertTrue(p.get("reserve_takes") >= 1, p.toString());
        assertTrue(p.get("reserve_refill_failures") >= 1, p.toString());
        assertTrue(p.get("blocking_slab_allocs") >= 1, p.toString());
        assertTrue(p.get("pageout_vm_waits") >= 1, p.toString());
        assertTrue(b.record().reclaimSites().stream().anyMatch(s -> s.contains("-> kmem_slab_alloc(M_WAITOK) needs 32 pages")),
                b.console());
    }

    /**
     * swapmeta-swapfull: swap fills with one swblock per swapped page, so the SWAPMETA zone grows
     * past its prefill with free pages below v_free_reserved; the filler meets its expected OOM
     * kill and the churners, whose pages go to swap and come back, finish.
     */
    @Test
    void swapFullGrowsSwapmetaAndEndsWithTheFillersExpectedKill() throws Exception {
        Path image = image("swapmeta-swapfull.spec");
        RecordedBoot b = RecordedBoot.boot(image, 1);
        // ok: every process met the fate its program expects (the filler: killed; the churners: exit).
        assertEquals(RunRecord.Outcome.OK, b.record().outcome(), b.console());
        assertEquals(0L, b.record().stillRunning(), b.console());
        assertEquals(1L, b.record().oomKills(), b.console());
        Map<String, Long> p = b.record().swapmetaPaths();
        assertTrue(p.get("zget_calls") > 1, p.toString());
        assertTrue(p.get("zget_low_pages") > 0, p.toString());
        assertTrue(b.counter("v_swapin") > 0, b.console());
    }

    /**
     * swapmeta-refill: with 1 and with 2 ready slabs, a take is followed by M_INTNOWAIT refills
     * that find fewer than a slab's 32 pages, the ready slabs run out and the pageout daemon
     * falls back to the blocking kmem_slab_alloc; on these seeds the run still completes. With 1
     * slab every seed of 1..12 blocks (3, 7 and 8 then livelock); with 2, seeds 3, 9 and 11 of
     * 1..12 do (all fail refills; seed 8 stopped blocking when boot's thread cache came in).
     */
    @Test
    void refillIsOutpacedWithOneAndWithTwoReadySlabs() throws Exception {
        Path image = image("swapmeta-refill.spec");
        for (String[] slabsSeed : new String[][] {{"1", "1"}, {"2", "3"}}) {
            String slabs = slabsSeed[0];
            RecordedBoot b = RecordedBoot.boot(image, Long.parseLong(slabsSeed[1]), "kern.kmalloc_obj_reserve_slabs=" + slabs);
            assertEquals(RunRecord.Outcome.OK, b.record().outcome(), slabs + " slab(s): " + b.console());
            Map<String, Long> p = b.record().swapmetaPaths();
            assertTrue(p.get("reserve_takes") > 0, slabs + " slab(s): " + p);
            assertTrue(p.get("reserve_refill_failures") > 0, slabs + " slab(s): " + p);
            assertTrue(p.get("blocking_slab_allocs") > 0, slabs + " slab(s): " + p);
        }
    }

    /**
     * swapmeta-kva: the splitters grow the MAP ENTRY zone past its 9216 boot items while the
     * pageout daemon's refills reserve map entries for kernel_map; no KVA search fails.
     */
    @Test
    void kvaGrowsTheMapEntryZoneUnderThePageoutPathsSlabAllocations() throws Exception {
        Path image = image("swapmeta-kva.spec");
        RecordedBoot b = RecordedBoot.boot(image, 1);
        assertEquals(RunRecord.Outcome.OK, b.record().outcome(), b.console());
        Map<String, Long> p = b.record().swapmetaPaths();
        assertTrue(p.get("map_entry_reserve_waits") > 1000, p.toString());
        assertEquals(0, p.get("kva_failures"), p.toString());
        assertTrue(zoneItems(b.console(), "MAP ENTRY") > 9216, b.console());
        assertTrue(b.record().reclaimSites().stream().anyMatch(s -> s.contains("-> kmem_slab_alloc -> zalloc(MAP ENTRY)")),
                b.console());
    }

    /** swapmeta-ptp: PV entries taken below v_free_reserved while the pageout path runs. */
    @Test
    void ptpTakesPvEntriesBelowTheReserve() throws Exception {
        Path image = image("swapmeta-ptp.spec");
        RecordedBoot b = RecordedBoot.boot(image, 1);
        assertEquals(RunRecord.Outcome.OK, b.record().outcome(), b.console());
        assertTrue(b.record().swapmetaPaths().get("pv_low_allocs") > 0, b.record().swapmetaPaths().toString());
    }

    /**
     * swapmeta-refill, seed 53 (the first of the 2 failures of 200 with three refilled ready slabs,
     * seeds 53 and 136; docs/swapmeta.md's one, seed 181, completes since boot's thread cache
     * moved the runs): the slabs and their M_INTNOWAIT refills run out, the pageout path falls
     * back to the blocking kmem_slab_alloc and the run livelocks with the plain conversion's wait
     * chain, on a seed where zalloc completes.
     */
    @Test
    void threeRefilledSlabsLivelockOnRefillSeed53WhereZallocCompletes() throws Exception {
        Path image = image("swapmeta-refill.spec");
        RecordedBoot reserve = RecordedBoot.boot(image, 53, "vm.swapmeta_alloc=kmalloc_obj_reserve",
                "kern.kmalloc_obj_reserve_slabs=3");
        assertEquals(RunRecord.Outcome.LIVELOCK, reserve.record().outcome(), reserve.console());
        Map<String, Long> p = reserve.record().swapmetaPaths();
        assertTrue(p.get("reserve_refill_failures") > 0, p.toString());
        assertTrue(p.get("blocking_slab_allocs") > 0, p.toString());
        assertTrue(reserve.console().contains("pagedaemon in vm_wait (wchan &vm_pageout_pages_needed, \"VMWait\""), reserve.console());
        assertTrue(reserve.console().contains("from kmem_slab_alloc, from _kmalloc_obj(SWAPMETA), from swp_pager_meta_build"),
                reserve.console());
        RecordedBoot zalloc = RecordedBoot.boot(image, 53, "vm.swapmeta_alloc=zalloc");
        assertEquals(RunRecord.Outcome.OK, zalloc.record().outcome(), zalloc.console());
    }

    /**
     * swapmeta-refill, seed 14 under zalloc (the first of its 7 livelocks in 1..40; seed 1, one of
     * the 42 of 200 in docs/swapmeta.md, completes since boot's thread cache moved the runs): the
     * free count reaches 0, zget finds no page, and swp_pager_meta_build waits in vm_wait with the
     * pageout daemons.
     */
    @Test
    void zallocLivelocksOnRefillSeed14WithTheFreeCountAtZero() throws Exception {
        RecordedBoot b = RecordedBoot.boot(image("swapmeta-refill.spec"), 14, "vm.swapmeta_alloc=zalloc");
        assertEquals(RunRecord.Outcome.LIVELOCK, b.record().outcome(), b.console());
        assertEquals(0L, b.record().freeLow(), b.console());
        assertTrue(b.record().swapmetaPaths().get("zget_failures") > 0, b.record().swapmetaPaths().toString());
        assertTrue(b.console().contains("pagedaemon in vm_wait (wchan &vm_pageout_pages_needed, \"VMWait\""), b.console());
        assertTrue(b.console().contains("from swp_pager_meta_build, from swap_pager_putpages"), b.console());
    }

    /**
     * swapmeta-first-slab (explore's scenario 1818, shrunk): one process writes 24M on a 16M,
     * 1-cpu machine. Under plain kmalloc_obj the pagedaemon's first swblock needs the first
     * SWAPMETA slab, 32 pages that its SYSTEM class is guaranteed only 29 of, and it sleeps in
     * vm_wait before any page reaches swap; zalloc and the ready-slab proposal launder and the
     * process exits; on 20M (guaranteed 31) the plain conversion still hangs, on 22M (32) it
     * gets its slab.
     */
    @Test
    void theFirstSwblockDeadlocksPlainKmallocObjOnASmallMachine() throws Exception {
        Path image = image("swapmeta-first-slab.spec");
        RecordedBoot k = RecordedBoot.boot(image, 1, "vm.swapmeta_alloc=kmalloc_obj");
        assertEquals(RunRecord.Outcome.LIVELOCK, k.record().outcome(), k.console());
        assertEquals(0L, k.counter("v_swappgsout"), "nothing reached swap");
        assertTrue(k.console().contains("pagedaemon in vm_wait (wchan &vm_pageout_pages_needed, \"VMWait\""), k.console());
        assertTrue(k.console().contains("from kmem_slab_alloc, from _kmalloc_obj(SWAPMETA), from swp_pager_meta_build"), k.console());
        assertTrue(k.record().reclaimSites().stream().anyMatch(
                s -> s.contains("kmem_slab_alloc(M_WAITOK) needs 32 pages, the SYSTEM class is guaranteed 29")), k.console());
        for (String alloc : new String[] {"zalloc", "kmalloc_obj_reserve"}) {
            RecordedBoot b = RecordedBoot.boot(image, 1, "vm.swapmeta_alloc=" + alloc);
            assertEquals(RunRecord.Outcome.OK, b.record().outcome(), b.console());
            assertEquals(0L, b.record().stillRunning(), b.console());
            assertTrue(b.counter("v_swappgsout") > 0, b.console());
        }
        RecordedBoot at20 = RecordedBoot.boot(image, 1, "vm.swapmeta_alloc=kmalloc_obj", "hw.physmem=20M");
        assertEquals(RunRecord.Outcome.LIVELOCK, at20.record().outcome(), at20.console());
        RecordedBoot at22 = RecordedBoot.boot(image, 1, "vm.swapmeta_alloc=kmalloc_obj", "hw.physmem=22M");
        assertEquals(RunRecord.Outcome.OK, at22.record().outcome(), at22.console());
        assertTrue(at22.record().reclaimSites().stream().anyMatch(
                s -> s.contains("kmem_slab_alloc(M_WAITOK) needs 32 pages, the SYSTEM class is guaranteed 32")), at22.console());
    }

    /** The image of the committed disk-images/{@code spec}, built once for the class. */
    private static Path image(String spec) throws Exception {
        Path built = dir.resolve(spec.replace(".spec", ".img"));
        return Files.exists(built) ? built : RunPinTest.build(dir, spec);
    }

    /** USED + FREE of zone {@code zone} in the {@code vmstat -z} block: the items the zone has made. */
    private static long zoneItems(String out, String zone) {
        for (String line : out.split("\n")) {
            if (line.startsWith(zone + ":")) {
                String[] f = line.substring(zone.length() + 1).split(",");
                return Long.parseLong(f[2].trim()) + Long.parseLong(f[3].trim());
            }
        }
        throw new AssertionError("no " + zone + " line in:\n" + out);
    }
}
