package org.dfemu.tools.boot;

import static org.dfemu.tools.DfemuRun.dfemu;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.dfemu.tools.DfemuRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The second patch, vm.swapmeta_alloc=kmalloc_obj_nowait (section 4 of docs/porting-a-patch.md), on the
 * scenario where the mail's proposal with one ready slab livelocks (SwapmetaScenariosTest):
 * swapmeta-zalloc-deep, seed 1, one ready slab. The pageout path never blocks for SWAPMETA: when
 * no slab can be had without blocking, the page is left dirty for a later pass, the daemons go on
 * freeing the pages they did write, and the run ends ok with every process's data verified.
 * And where it is not a fix: on swapmeta-refill, seed 3, the pageout path spins instead of
 * sleeping (docs/swapmeta.md).
 */
class SwapmetaNextFixTest {
    @TempDir
    static Path dir;

    @Test
    void pageoutDefersPagesInsteadOfBlockingAndZallocDeepEndsOk() throws Exception {
        Path image = RunPinTest.build(dir, "swapmeta-zalloc-deep.spec");
        DfemuRun r = dfemu("boot", image.toString(), "--seed", "1", "-e", "vm.swapmeta_alloc=kmalloc_obj_nowait",
                "-e", "kern.kmalloc_obj_reserve_slabs=1");
        assertEquals(0, r.status(), r.out());
        assertTrue(r.out().contains("result: ok"), r.out());
        assertTrue(r.out().contains("pid 1 sparse: exited") && r.out().contains("pid 2 sparse: exited"), r.out());
        Map<String, Long> p = SwapmetaPathsTest.paths(r.out());
        // The reserve was outrun as under kmalloc_obj_reserve, but nothing blocked for a slab:
        // the non-blocking slab allocation failed and putpages deferred those pages instead.
        assertTrue(p.get("reserve_takes") >= 1, p.toString());
        assertTrue(p.get("nowait_slab_failures") >= 1, p.toString());
        assertTrue(p.get("pageout_meta_deferrals") >= 1, p.toString());
        assertEquals(0L, p.get("blocking_slab_allocs"), p.toString());
        assertEquals(0L, p.get("pageout_vm_waits"), p.toString());
        assertTrue(SwapmetaPathsTest.sites(r.out()).stream().noneMatch(s -> s.contains("kmem_slab_alloc(M_WAITOK)")),
                r.out());
    }

    /**
     * swapmeta-refill, seed 3, one ready slab: the slab's 398 swblocks go to the first 398 pages
     * laundered, its refill fails, and from then on every page the pagedaemon tries needs a new
     * slab that a non-blocking kmem_slab_alloc cannot build (free sits above the SYSTEM class's
     * floor by fewer than 32 pages), so it is deferred, again and again. Nothing sleeps, nothing
     * more is laundered, the writers do not finish; the stall watchdog does not call it a livelock
     * (each failed slab attempt frees the pages it took), so the run goes on to --time. 0.15
     * virtual seconds already show it (2 seconds: 1,529,680 deferrals, the same 398 pages out).
     */
    @Test
    void onSwapmetaRefillSeed3ThePageoutPathSpinsInsteadOfSleeping() throws Exception {
        Path image = RunPinTest.build(dir, "swapmeta-refill.spec");
        DfemuRun r = dfemu("boot", image.toString(), "--seed", "3", "--time", "0.15", "-e",
                "vm.swapmeta_alloc=kmalloc_obj_nowait", "-e", "kern.kmalloc_obj_reserve_slabs=1");
        assertEquals(0, r.status(), r.out());
        assertTrue(r.out().contains("result: ok (stopped at --time with 4 process(es) still running)"), r.out());
        Map<String, Long> p = SwapmetaPathsTest.paths(r.out());
        assertEquals(1L, p.get("reserve_takes"), p.toString());
        assertTrue(p.get("reserve_refill_failures") >= 1, p.toString());
        assertTrue(p.get("nowait_slab_failures") > 50_000, p.toString());
        assertEquals(p.get("nowait_slab_failures"), p.get("pageout_meta_deferrals"), p.toString());
        assertEquals(0L, p.get("blocking_slab_allocs"), p.toString());
        assertEquals(0L, p.get("pageout_vm_waits"), p.toString());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^v_swappgsout +(\\d+)$").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertEquals(398, Long.parseLong(m.group(1)), "one slab's swblocks, one page each, and no more");
    }
}
