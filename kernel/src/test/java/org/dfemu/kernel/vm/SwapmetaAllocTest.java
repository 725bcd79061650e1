package org.dfemu.kernel.vm;

import org.dfemu.emulator.sched.RunResult;
import org.dfemu.emulator.sched.ThreadInfo;
import org.dfemu.emulator.sched.ThreadState;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.vm.SwapPager.SwapmetaAlloc;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.harness.report.SwapmetaPaths;
import org.dfemu.kernel.kern.KernSlaballoc;
import org.dfemu.kernel.sys.StructKmallocMgt;
import org.dfemu.kernel.sys.StructKmallocUse;
import org.dfemu.kernel.sys.StructMallocType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.dfemu.kernel.sys.Malloc.M_WAITOK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SWAPMETA under each vm.swapmeta_alloc variant with the free count at v_interrupt_free_min (where
 * only VM_ALLOC_INTERRUPT may take a page): zalloc builds about 12 swblocks per page without
 * sleeping (docs/dragonfly-map.md §3.4, behaviour 9); kmalloc_obj needs a 32-page
 * VM_ALLOC_NORMAL slab and sleeps in vm_wait inside kmem_slab_alloc (behaviour 6);
 * kmalloc_obj_reserve takes a ready slab without sleeping and rebuilds its reserve with
 * M_INTNOWAIT (the 2021-05-14 mail, docs/the-question.md).
 */
class SwapmetaAllocTest {
    private static final long MB = SwapRig.MB;

    @TempDir
    Path dir;

    private static long ggm(Kernel k) {
        return StructMallocType.ks_mgt(k.swapPager().swapmetaType());
    }

    /** Kernel_map's page tables and map-entry caches warmed up, so only the pages at stake count. */
    private static void warmUp(Kernel k) {
        KernSlaballoc sa = k.kernSlaballoc();
        sa.kfree(sa.kmalloc(128 * 1024, sa.mDevbuf(), M_WAITOK), sa.mDevbuf());
    }

    private static ThreadInfo info(SwapRig rig, String name) {
        return rig.mk.machine.scheduler().threads().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void zallocBuildsTwelveSwblocksPerPageWithoutSleeping() throws IOException {
        try (SwapRig rig = SwapRig.boot(dir, 32 * MB, 8 * MB, SwapmetaAlloc.ZALLOC, 31)) {
            Kernel k = rig.mk.kernel;
            KernelMemory km = k.km();
            SwapPager sp = k.swapPager();
            long obj = VmTestSupport.newObject(k, 4096);
            long zone = sp.swapZone();
            boolean[] done = {false};
            rig.mk.thread("pager", 0, () -> {
                long blk = sp.swpPagerGetswapspace(obj, 64);
                long ready = k.vmZone().zfreeTotal(zone);
                long min = VmTestSupport.interruptFreeMin(k);
                List<Long> hog = VmTestSupport.drainTo(k, min);
                long now = rig.mk.machine.clock().now();
                int waiting = k.vmPage().vmPagesWaiting();
                int perPage = 4096 / 320;
                int n = (int) ready + perPage;
                for (int i = 0; i < n; i++) {
                    sp.swpPagerMetaBuild(obj, 32L * i, blk + i);
                }
                assertEquals(n, StructVmObject.swblock_count(km, obj));
                long pages = min - VmTestSupport.free(k);
                assertTrue(pages >= 1, "zget took VM_ALLOC_INTERRUPT pages at v_interrupt_free_min");
                // zget carves items across the pages of one call: floor(pages * 4096 / 320).
                assertEquals(ready + pages * 4096 / 320 - n, k.vmZone().zfreeTotal(zone));

                // Down to the very last free page: one page still gives 12 swblocks.
                hog.addAll(VmTestSupport.drainTo(k, 1));
                int more = (int) k.vmZone().zfreeTotal(zone) + perPage;
                for (int i = 0; i < more; i++) {
                    sp.swpPagerMetaBuild(obj, 32L * (n + i), blk + 12 + i % 40);
                }
                assertEquals(0, VmTestSupport.free(k), "the last page was taken");
                assertEquals(0, k.vmZone().zfreeTotal(zone));
                assertEquals(n + more, StructVmObject.swblock_count(km, obj));
                assertEquals(now, rig.mk.machine.clock().now(), "never slept");
                assertEquals(waiting, k.vmPage().vmPagesWaiting());
                for (long m : hog) {
                    k.vmPage2().vmPageFree(m);
                }
                done[0] = true;
            });
            rig.mk.run();
            assertTrue(done[0]);
            // The SWAPMETA path counters saw zget take pages below v_free_reserved and at
            // v_interrupt_free_min and below (docs/swapmeta-paths.md).
            SwapmetaPaths paths = k.swapmetaPaths();
            assertTrue(paths.get(SwapmetaPaths.ZGET_LOW_PAGES) >= 2, paths.values().toString());
            assertTrue(paths.get(SwapmetaPaths.ZGET_INTERRUPT_PAGES) >= 2, paths.values().toString());
            assertTrue(paths.get(SwapmetaPaths.ZALLOC_PREFILL_ITEMS) > 0, paths.values().toString());
            assertEquals(0, paths.get(SwapmetaPaths.ZGET_FAILURES), paths.values().toString());
        }
    }

    /** Behaviour 9: with no free page at all zalloc returns NULL; meta_build waits in vm_wait(0) and retries. */
    @Test
    void zallocWithNoFreePageRetriesAfterVmWait() throws IOException {
        try (SwapRig rig = SwapRig.boot(dir, 32 * MB, 8 * MB, SwapmetaAlloc.ZALLOC, 35)) {
            Kernel k = rig.mk.kernel;
            KernelMemory km = k.km();
            SwapPager sp = k.swapPager();
            long obj = VmTestSupport.newObject(k, 1 << 20);
            long zone = sp.swapZone();
            boolean[] go = {false};
            int[] built = {0};
            long chan = obj + 8;

            rig.mk.thread("pager", 0, () -> {
                while (!go[0]) {
                    k.lwkt().tsleep(chan, "go", 0);
                }
                long blk = sp.swpPagerGetswapspace(obj, 64);
                // Use up the items ready, then one more swblock needs a page.
                int n = (int) k.vmZone().zfreeTotal(zone) + 1;
                for (int i = 0; i < n; i++) {
                    sp.swpPagerMetaBuild(obj, 32L * i, blk + i % 64);
                    built[0]++;
                }
            });
            rig.mk.thread("hog", 0, () -> {
                List<Long> hog = VmTestSupport.drainTo(k, 0);
                go[0] = true;
                k.lwkt().wakeup(chan);
                ThreadInfo ti = null;
                for (int i = 0; i < 100; i++) {
                    k.lwkt().tsleep(chan, "watch", 1);
                    ti = info(rig, "pager");
                    if (ti.state() == ThreadState.SLEEPING && "vmwait".equals(ti.wmesg())) {
                        break;
                    }
                }
                assertEquals(ThreadState.SLEEPING, ti.state(), ti.toString());
                assertEquals(List.of("vm_wait", "swp_pager_meta_build"), ti.frames(), ti.frameChain());
                int before = built[0];
                // It keeps retrying (vm_wait(0) sleeps hz ticks), never failing, never panicking.
                k.lwkt().tsleep(chan, "watch", 3 * k.lwkt().hz());
                assertEquals(before, built[0]);
                assertEquals("vmwait", info(rig, "pager").wmesg());

                // One page back is enough for zalloc to make progress.
                k.vmPage2().vmPageFree(hog.remove(hog.size() - 1));
                while (info(rig, "pager").state() != ThreadState.EXITED && built[0] == before) {
                    k.lwkt().tsleep(chan, "watch", k.lwkt().hz());
                }
                assertEquals(before + 1, built[0]);
                for (long m : hog) {
                    k.vmPage2().vmPageFree(m);
                }
            });
            rig.mk.run();
            assertEquals(StructVmObject.swblock_count(km, obj), built[0]);
            // zget found no page and no item: debug.swapmeta.zget_failures.
            assertTrue(k.swapmetaPaths().get(SwapmetaPaths.ZGET_FAILURES) > 0, k.swapmetaPaths().values().toString());
        }
    }

    @Test
    void kmallocObjWithoutReadySlabSleepsInVmWait() throws IOException {
        try (SwapRig rig = SwapRig.boot(dir, 32 * MB, 8 * MB, SwapmetaAlloc.KMALLOC_OBJ, 32)) {
            Kernel k = rig.mk.kernel;
            KernelMemory km = k.km();
            SwapPager sp = k.swapPager();
            long obj = VmTestSupport.newObject(k, 4096);
            assertNotEquals(0, sp.swapmetaType());
            assertEquals(0, StructKmallocMgt.nfull(km, ggm(k)), "no ready slab in this variant");
            warmUp(k);
            boolean[] go = {false};
            boolean[] built = {false};
            long chan = obj + 8;

            // Created up front: lwkt_create itself needs a page.
            rig.mk.thread("pager", 0, () -> {
                while (!go[0]) {
                    k.lwkt().tsleep(chan, "go", 0);
                }
                sp.swpPagerMetaBuild(obj, 0, sp.swpPagerGetswapspace(obj, 1));
                built[0] = true;
            });
            rig.mk.thread("hog", 0, () -> {
                List<Long> hog = VmTestSupport.drainTo(k, VmTestSupport.interruptFreeMin(k));
                go[0] = true;
                k.lwkt().wakeup(chan);
                ThreadInfo ti = null;
                for (int i = 0; i < 100; i++) {
                    k.lwkt().tsleep(chan, "watch", 1);
                    ti = info(rig, "pager");
                    if (ti.state() == ThreadState.SLEEPING && "vmwait".equals(ti.wmesg())) {
                        break;
                    }
                }
                assertEquals(ThreadState.SLEEPING, ti.state(), ti.toString());
                assertEquals(List.of("vm_wait", "kmem_slab_alloc", "_kmalloc_obj(SWAPMETA)", "swp_pager_meta_build"),
                        ti.frames(), ti.frameChain());
                assertTrue(!built[0]);

                for (long m : hog) {
                    k.vmPage2().vmPageFree(m);
                }
                while (!built[0]) {
                    k.lwkt().tsleep(chan, "watch", k.lwkt().hz());
                }
                assertEquals(1, StructVmObject.swblock_count(km, obj));
            });
            rig.mk.run();
            assertTrue(built[0]);
        }
    }

    @Test
    void kmallocObjReserveTakesAReadySlabWithoutSleeping() throws IOException {
        try (SwapRig rig = SwapRig.boot(dir, 32 * MB, 8 * MB, SwapmetaAlloc.KMALLOC_OBJ_RESERVE, 33)) {
            Kernel k = rig.mk.kernel;
            KernelMemory km = k.km();
            SwapPager sp = k.swapPager();
            long obj = VmTestSupport.newObject(k, 4096);
            assertEquals(3, StructKmallocMgt.nfull(km, ggm(k)), "swap_pager_swap_init built the reserve");
            warmUp(k);
            boolean[] done = {false};
            rig.mk.thread("pager", 0, () -> {
                long blk = sp.swpPagerGetswapspace(obj, 1);
                long min = VmTestSupport.interruptFreeMin(k);
                List<Long> hog = VmTestSupport.drainTo(k, min);
                long now = rig.mk.machine.clock().now();
                sp.swpPagerMetaBuild(obj, 0, blk);
                assertEquals(1, StructVmObject.swblock_count(km, obj));
                assertEquals(now, rig.mk.machine.clock().now(), "never slept");
                // The refill tried M_INTNOWAIT: fewer than 32 pages, so it gave them back.
                assertEquals(2, StructKmallocMgt.nfull(km, ggm(k)));
                assertEquals(min, VmTestSupport.free(k));
                for (long m : hog) {
                    k.vmPage2().vmPageFree(m);
                }
                done[0] = true;
            });
            rig.mk.run();
            assertTrue(done[0]);
        }
    }

    /**
     * When the ready slabs are used up and M_INTNOWAIT cannot rebuild them (free at
     * v_interrupt_free_min, fewer than 32 pages), the next slab falls back to the blocking
     * kmem_slab_alloc(M_WAITOK) and sleeps in vm_wait, as the mail's proposal says it must.
     */
    @Test
    void kmallocObjReserveFallsBackToBlockingWhenTheReserveIsUsedUp() throws IOException {
        try (SwapRig rig = SwapRig.boot(dir, 32 * MB, 8 * MB, SwapmetaAlloc.KMALLOC_OBJ_RESERVE, 36)) {
            Kernel k = rig.mk.kernel;
            KernelMemory km = k.km();
            SwapPager sp = k.swapPager();
            long obj = VmTestSupport.newObject(k, 1L << 30);
            warmUp(k);
            boolean[] go = {false};
            int[] built = {0};
            long chan = obj + 8;
            long perSlab = StructKmallocMgt.slab_count(km,
                    StructKmallocUse.mgt(StructMallocType.ks_use(km, sp.swapmetaType(), 0)));

            rig.mk.thread("pager", 0, () -> {
                while (!go[0]) {
                    k.lwkt().tsleep(chan, "go", 0);
                }
                long blk = sp.swpPagerGetswapspace(obj, 1);
                for (long i = 0; i < 3 * perSlab + 1; i++) {
                    sp.swpPagerMetaBuild(obj, 32L * i, blk);
                    built[0]++;
                }
            });
            rig.mk.thread("hog", 0, () -> {
                List<Long> hog = VmTestSupport.drainTo(k, VmTestSupport.interruptFreeMin(k));
                go[0] = true;
                k.lwkt().wakeup(chan);
                ThreadInfo ti = null;
                for (int i = 0; i < 100; i++) {
                    k.lwkt().tsleep(chan, "watch", 1);
                    ti = info(rig, "pager");
                    if (ti.state() == ThreadState.SLEEPING && "vmwait".equals(ti.wmesg())) {
                        break;
                    }
                }
                assertEquals(ThreadState.SLEEPING, ti.state(), ti.toString());
                assertEquals(List.of("vm_wait", "kmem_slab_alloc", "_kmalloc_obj(SWAPMETA)", "swp_pager_meta_build"),
                        ti.frames(), ti.frameChain());
                assertEquals(3 * perSlab, built[0], "every object of the three ready slabs was used first");
                assertEquals(0, StructKmallocMgt.nfull(km, ggm(k)));

                for (long m : hog) {
                    k.vmPage2().vmPageFree(m);
                }
                while (built[0] == 3 * perSlab) {
                    k.lwkt().tsleep(chan, "watch", k.lwkt().hz());
                }
                // With memory back, the reserve is rebuilt after the blocking allocation.
                assertEquals(3, StructKmallocMgt.nfull(km, ggm(k)));
            });
            rig.mk.run();
            assertEquals(3 * perSlab + 1, built[0]);
        }
    }

    @Test
    void kmallocObjReserveRefillsWithIntNowaitBelowReserved() throws IOException {
        try (SwapRig rig = SwapRig.boot(dir, 128 * MB, 8 * MB, SwapmetaAlloc.KMALLOC_OBJ_RESERVE, 34)) {
            Kernel k = rig.mk.kernel;
            KernelMemory km = k.km();
            SwapPager sp = k.swapPager();
            long obj = VmTestSupport.newObject(k, 4096);
            warmUp(k);
            boolean[] done = {false};
            rig.mk.thread("pager", 0, () -> {
                long blk = sp.swpPagerGetswapspace(obj, 1);
                // Below v_free_reserved VM_ALLOC_NORMAL gets nothing; SYSTEM|INTERRUPT may go on.
                long target = VmTestSupport.reserved(k) - 1;
                assertTrue(target > 40, "room for a 32-page slab below v_free_reserved: " + target);
                List<Long> hog = VmTestSupport.drainTo(k, target);
                long now = rig.mk.machine.clock().now();
                sp.swpPagerMetaBuild(obj, 0, blk);
                assertEquals(now, rig.mk.machine.clock().now(), "never slept");
                assertEquals(3, StructKmallocMgt.nfull(km, ggm(k)), "the taken slab was replaced at once");
                long used = target - VmTestSupport.free(k);
                assertTrue(used >= 32 && used <= 34, "one 32-page slab (+ page tables): " + used);
                for (long m : hog) {
                    k.vmPage2().vmPageFree(m);
                }
                done[0] = true;
            });
            rig.mk.run();
            assertTrue(done[0]);
        }
    }

    /**
     * kmalloc_obj_reserve's refill takes a new slab the way _kmalloc_obj's new-slab path does:
     * from the cpu's slab cache (gslab_alloc) when the poller (malloc_mgt_poll) has retired slabs
     * there, calling kmem_slab_alloc (32 pages) only when the cache is empty.
     */
    @Test
    void kmallocObjReserveRefillReusesASlabThePollerCached() throws IOException {
        try (SwapRig rig = SwapRig.boot(dir, 32 * MB, 8 * MB, SwapmetaAlloc.KMALLOC_OBJ_RESERVE, 37)) {
            Kernel k = rig.mk.kernel;
            KernelMemory km = k.km();
            org.dfemu.kernel.kern.KernKmalloc ko = k.kernKmalloc();
            long type = k.swapPager().swapmetaType();
            long objsize = StructMallocType.ks_objsize(km, type);
            long gd = ko.kmgd(0);
            boolean[] done = {false};
            rig.mk.thread("pager", 0, () -> {
                k.lwkt().tsleep(0x5a5aL, "later", k.lwkt().hz());
                long ncount = StructKmallocMgt.slab_count(km, StructKmallocUse.mgt(StructMallocType.ks_use(km, type, 0)));
                // Ten slabs' worth taken and given back: the zone ends up with many wholly free slabs.
                long[] objs = new long[(int) (10 * ncount)];
                for (int i = 0; i < objs.length; i++) {
                    objs[i] = ko.kmallocObj(objsize, type, M_WAITOK);
                }
                for (long o : objs) {
                    ko.kfreeObj(o, type);
                }
                // The poller files them on the full list, then (pseudo_ticks later) retires the
                // ones beyond KMALLOC_MAXFREEMAGS into cpu 0's slab cache.
                ko.mallocMgtPoll(type);
                k.lwkt().tsleep(0x5a5aL, "later", k.lwkt().hz());
                while (!ko.mallocMgtPoll(type)) {
                    // until the scan reaches the end of the full list
                }
                ko.mallocMgtPoll(type);
                long cached = org.dfemu.kernel.sys.StructKMGlobalData.free_count(km, gd);
                assertTrue(cached > 0, "the poller cached retired slabs on cpu 0");
                assertEquals(4, StructKmallocMgt.nfull(km, StructMallocType.ks_mgt(type)));

                // Take objects until a ready slab is taken and the reserve refilled.
                long free0 = VmTestSupport.free(k);
                for (int i = 0; i < 8 * ncount
                        && org.dfemu.kernel.sys.StructKMGlobalData.free_count(km, gd) == cached
                        && VmTestSupport.free(k) == free0; i++) {
                    ko.kmallocObj(objsize, type, M_WAITOK);
                }
                assertEquals(cached - 1, org.dfemu.kernel.sys.StructKMGlobalData.free_count(km, gd),
                        "the refill took a cached slab");
                assertEquals(free0, VmTestSupport.free(k), "and no pages: kmem_slab_alloc was not called");
                assertEquals(3, StructKmallocMgt.nfull(km, StructMallocType.ks_mgt(type)));
                done[0] = true;
            });
            rig.mk.run();
            assertTrue(done[0]);
        }
    }
}
