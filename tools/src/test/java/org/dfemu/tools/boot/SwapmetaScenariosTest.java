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
 * The scenarios built for the SWAPMETA answer (docs/swapmeta.md), each on one pinned seed: the
 * mechanism its header names is reached, as the path counters print it.
 */
class SwapmetaScenariosTest {
    @TempDir
    static Path dir;

    /**
     * swapmeta-zalloc-deep: one swblock per laundered page outruns a single ready slab. The slab is
     * taken, no M_INTNOWAIT refill finds 32 pages, and the pagedaemon falls back to the blocking
     * kmem_slab_alloc and sleeps in vm_wait: the run ends as a livelock with the plain variant's
     * wait chain.
     */
    @Test
    void oneReadySlabIsOutrunOnZallocDeepAndThePagedaemonBlocks() throws Exception {
        Path image = RunPinTest.build(dir, "swapmeta-zalloc-deep.spec");
        DfemuRun r = dfemu("boot", image.toString(), "--seed", "1", "-e", "vm.swapmeta_alloc=kmalloc_obj_reserve",
                "-e", "kern.kmalloc_obj_reserve_slabs=1");
        assertEquals(1, r.status(), r.out());
        assertTrue(r.out().contains("result: livelock"), r.out());
        Map<String, Long> p = SwapmetaPathsTest.paths(r.out());
        assertTrue(p.get("reserve_takes") >= 1, p.toString());
        assertTrue(p.get("reserve_refill_failures") >= 1, p.toString());
        assertTrue(p.get("blocking_slab_allocs") >= 1, p.toString());
        assertTrue(p.get("pageout_vm_waits") >= 1, p.toString());
        assertTrue(SwapmetaPathsTest.sites(r.out()).stream().anyMatch(s -> s.contains("-> kmem_slab_alloc(M_WAITOK) needs 32 pages")),
                r.out());
    }

    /** swapmeta-swapfull: swap fills, the filler meets its expected OOM kill, the churners finish. */
    @Test
    void swapFullEndsWithTheFillersExpectedKill() throws Exception {
        Path image = RunPinTest.build(dir, "swapmeta-swapfull.spec");
        DfemuRun r = dfemu("boot", image.toString(), "--seed", "1");
        assertEquals(0, r.status(), r.out());
        assertTrue(r.out().contains("pid 1 filler: killed: out of swap space"), r.out());
        for (int pid = 2; pid <= 5; pid++) assertTrue(r.out().contains("pid " + pid + " churner: exited"), r.out());
    }
}
