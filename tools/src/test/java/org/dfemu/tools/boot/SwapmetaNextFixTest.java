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
}
