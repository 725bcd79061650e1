package org.dfemu.kernel.vm;

import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.harness.report.SwapmetaPaths;
import org.dfemu.kernel.kern.KernSlaballoc;
import org.dfemu.kernel.sys.StructKmallocMgt;
import org.dfemu.kernel.sys.StructKmallocUse;
import org.dfemu.kernel.sys.StructMallocType;
import org.dfemu.kernel.vm.SwapPager.SwapmetaAlloc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.dfemu.kernel.kern.SubrBlist.SWAPBLK_NONE;
import static org.dfemu.kernel.sys.Errno.ENOMEM;
import static org.dfemu.kernel.sys.Malloc.M_INTNOWAIT;
import static org.dfemu.kernel.sys.Malloc.M_NOWAIT;
import static org.dfemu.kernel.sys.Malloc.M_WAITOK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * vm.swapmeta_alloc=kmalloc_obj_nowait: swp_pager_meta_build asked with M_NOWAIT (as
 * swap_pager_putpages asks for the pageout daemons) fails softly, without sleeping and with
 * nothing recorded, when the ready slabs are used up and kmem_slab_alloc cannot build a slab
 * without blocking; the same call succeeds once memory is back. Where kmalloc_obj_reserve would
 * sleep in vm_wait (SwapmetaAllocTest), this variant returns.
 */
class SwapmetaNowaitTest {
    private static final long MB = SwapRig.MB;

    @TempDir
    Path dir;

    /** A booted rig of {@code variant} with SWAPMETA's three ready slabs and kernel_map warmed up. */
    private record Setup(SwapRig rig, Kernel k, KernelMemory km, SwapPager sp, SwapmetaPaths paths, long ggm, long obj,
                         long perSlab) {
        static Setup boot(Path dir, SwapmetaAlloc variant) throws IOException {
            SwapRig rig = SwapRig.boot(dir, 32 * MB, 8 * MB, variant, 41);
            Kernel k = rig.mk.kernel;
            KernelMemory km = k.km();
            SwapPager sp = k.swapPager();
            long type = sp.swapmetaType();
            long ggm = StructMallocType.ks_mgt(type);
            long obj = VmTestSupport.newObject(k, 1L << 30);
            assertEquals(3, StructKmallocMgt.nfull(km, ggm), "swap_pager_swap_init built the reserve");
            // Kernel_map's page tables and map-entry caches warmed up, so only the slab's pages count.
            KernSlaballoc sa = k.kernSlaballoc();
            sa.kfree(sa.kmalloc(128 * 1024, sa.mDevbuf(), M_WAITOK), sa.mDevbuf());
            long perSlab = StructKmallocMgt.slab_count(km, StructKmallocUse.mgt(StructMallocType.ks_use(km, type, 0)));
            return new Setup(rig, k, km, sp, k.swapmetaPaths(), ggm, obj, perSlab);
        }
    }

    @Test
    void metaBuildWithNowaitFailsSoftlyWhenNoSlabCanBeHadWithoutBlocking() throws IOException {
        Setup s = Setup.boot(dir, SwapmetaAlloc.KMALLOC_OBJ_NOWAIT);
        try (SwapRig rig = s.rig()) {
            Kernel k = s.k();
            KernelMemory km = s.km();
            SwapPager sp = s.sp();
            SwapmetaPaths paths = s.paths();
            long ggm = s.ggm(), obj = s.obj(), perSlab = s.perSlab();
            boolean[] done = {false};

            rig.mk.thread("pager", 0, () -> {
                long blk = sp.swpPagerGetswapspace(obj, 2);
                List<Long> hog = VmTestSupport.drainTo(k, VmTestSupport.interruptFreeMin(k));
                // Use up the three ready slabs; at v_interrupt_free_min no refill finds 32 pages.
                for (long i = 0; i < 3 * perSlab; i++) {
                    sp.swpPagerMetaBuild(obj, 32L * i, blk);
                }
                assertEquals(0, StructKmallocMgt.nfull(km, ggm));
                long swblocks = StructVmObject.swblock_count(km, obj);
                long free = VmTestSupport.free(k);
                long now = rig.mk.machine.clock().now();
                long index = 32L * 3 * perSlab;

                assertEquals(ENOMEM, sp.swpPagerMetaBuild(obj, index, blk + 1, M_NOWAIT));
                assertEquals(now, rig.mk.machine.clock().now(), "never slept");
                assertEquals(swblocks, StructVmObject.swblock_count(km, obj), "no swblock added");
                assertEquals(SWAPBLK_NONE, sp.swpPagerMetaCtl(obj, index, 0), "nothing recorded");
                assertEquals(free, VmTestSupport.free(k), "the failed slab gave its pages back");
                assertEquals(1, paths.get(SwapmetaPaths.NOWAIT_SLAB_FAILURES), paths.values().toString());
                assertEquals(0, paths.get(SwapmetaPaths.BLOCKING_SLAB_ALLOCS), paths.values().toString());
                assertEquals(0, paths.get(SwapmetaPaths.PAGEOUT_VM_WAITS), paths.values().toString());

                // With memory back the same non-blocking request builds a slab and records the block.
                for (long m : hog) {
                    k.vmPage2().vmPageFree(m);
                }
                assertEquals(0, sp.swpPagerMetaBuild(obj, index, blk + 1, M_NOWAIT));
                assertEquals(blk + 1, sp.swpPagerMetaCtl(obj, index, 0));
                assertEquals(swblocks + 1, StructVmObject.swblock_count(km, obj));
                assertEquals(1, paths.get(SwapmetaPaths.NOWAIT_SLAB_ALLOCS), paths.values().toString());
                done[0] = true;
            });
            rig.mk.run();
            assertTrue(done[0]);
        }
    }

    /**
     * vm.swapmeta_alloc=kmalloc_obj_intnowait: the pageout daemons ask for a swblock with
     * M_INTNOWAIT instead of M_NOWAIT. With the ready slabs used up and fewer than 32 pages above the
     * SYSTEM class's floor (v_interrupt_free_min) but 32 or more free in all, the M_NOWAIT request
     * fails (kmalloc_obj_nowait defers the page: the spin of swapmeta-refill seed 3) and the
     * M_INTNOWAIT one builds its slab from the interrupt reserve without sleeping. Below 32 free
     * pages both fail softly.
     */
    @Test
    void intnowaitBuildsTheSlabFromTheInterruptReserveWhereNowaitFails() throws IOException {
        Setup s = Setup.boot(dir, SwapmetaAlloc.KMALLOC_OBJ_INTNOWAIT);
        try (SwapRig rig = s.rig()) {
            Kernel k = s.k();
            KernelMemory km = s.km();
            SwapPager sp = s.sp();
            SwapmetaPaths paths = s.paths();
            long ggm = s.ggm(), obj = s.obj(), perSlab = s.perSlab();
            boolean[] done = {false};

            rig.mk.thread("pager", 0, () -> {
                long blk = sp.swpPagerGetswapspace(obj, 3);
                long floor = VmTestSupport.interruptFreeMin(k);
                // Use up the ready slabs at v_interrupt_free_min, where no refill finds 32 pages.
                java.util.List<Long> hog = VmTestSupport.drainTo(k, floor);
                for (long i = 0; i < 3 * perSlab; i++) {
                    sp.swpPagerMetaBuild(obj, 32L * i, blk);
                }
                assertEquals(0, StructKmallocMgt.nfull(km, ggm), "the ready slabs are used up");
                // Then 20 pages back: too few above the SYSTEM floor for a slab, 20 + floor in all.
                for (int i = 0; i < 20; i++) {
                    k.vmPage2().vmPageFree(hog.get(i));
                }
                long index = 32L * 3 * perSlab;
                long now = rig.mk.machine.clock().now();
                assertTrue(VmTestSupport.free(k) - floor < 32 && VmTestSupport.free(k) >= 32,
                        "free " + VmTestSupport.free(k) + ", floor " + floor);

                assertEquals(ENOMEM, sp.swpPagerMetaBuild(obj, index, blk + 1, M_NOWAIT), "the SYSTEM class has no 32 pages");
                assertEquals(0, sp.swpPagerMetaBuild(obj, index, blk + 1, M_INTNOWAIT), "the INTERRUPT class has");
                assertEquals(blk + 1, sp.swpPagerMetaCtl(obj, index, 0));
                assertEquals(now, rig.mk.machine.clock().now(), "never slept");
                assertTrue(VmTestSupport.free(k) < floor, "the slab took pages below v_interrupt_free_min");
                assertEquals(1, paths.get(SwapmetaPaths.NOWAIT_SLAB_FAILURES), paths.values().toString());
                assertEquals(1, paths.get(SwapmetaPaths.NOWAIT_SLAB_ALLOCS), paths.values().toString());
                long failures = paths.get(SwapmetaPaths.NOWAIT_SLAB_FAILURES);
                assertEquals(0, paths.get(SwapmetaPaths.BLOCKING_SLAB_ALLOCS), paths.values().toString());

                // Use that slab up too; with fewer than 32 pages free even M_INTNOWAIT fails softly.
                for (long i = 1; i < perSlab; i++) {
                    sp.swpPagerMetaBuild(obj, index + 32L * i, blk + 2, M_INTNOWAIT);
                }
                long next = index + 32L * perSlab;
                assertTrue(VmTestSupport.free(k) < 32, "free " + VmTestSupport.free(k));
                assertEquals(ENOMEM, sp.swpPagerMetaBuild(obj, next, blk + 2, M_INTNOWAIT));
                assertEquals(failures + 1, paths.get(SwapmetaPaths.NOWAIT_SLAB_FAILURES), paths.values().toString());
                assertEquals(now, rig.mk.machine.clock().now(), "never slept");
                assertEquals(0, paths.get(SwapmetaPaths.PAGEOUT_VM_WAITS), paths.values().toString());
                done[0] = true;
            });
            rig.mk.run();
            assertTrue(done[0]);
        }
    }
}
