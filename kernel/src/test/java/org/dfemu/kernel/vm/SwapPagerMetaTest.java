package org.dfemu.kernel.vm;

import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.vm.SwapPager.SwapmetaAlloc;
import org.dfemu.kernel.KernelMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.dfemu.kernel.kern.SubrBlist.SWAPBLK_NONE;
import static org.dfemu.kernel.vm.SwapPager.SWM_FREE;
import static org.dfemu.kernel.vm.SwapPager.SWM_POP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * swap_pager.c metadata, swap space and vm_swap.c's swapon/swapinfo (docs/dragonfly-map.md §6.1,
 * §6.2).
 */
class SwapPagerMetaTest {
    private static final long MB = SwapRig.MB;

    @TempDir
    Path dir;

    @Test
    void metaBuildCtlFreeRoundTrip() throws IOException {
        try (SwapRig rig = SwapRig.boot(dir, 32 * MB, 8 * MB, SwapmetaAlloc.ZALLOC, 1)) {
            Kernel k = rig.mk.kernel;
            KernelMemory km = k.km();
            SwapPager sp = k.swapPager();
            VmSwap vs = k.vmSwap();
            long obj = VmTestSupport.newObject(k, 256);
            int max = vs.vmSwapMax();
            // Converted first, so that the space counts as anonymous (vm_swap_anon_use) both ways.
            sp.swpPagerMetaConvert(obj);
            assertEquals(StructVmObject.OBJT_SWAP, StructVmObject.type(km, obj));

            long a = sp.swpPagerGetswapspace(obj, 1);
            long b = sp.swpPagerGetswapspace(obj, 1);
            long c = sp.swpPagerGetswapspace(obj, 1);
            long d = sp.swpPagerGetswapspace(obj, 1);
            assertEquals(max - 4, vs.vmSwapSize());
            assertEquals(4, vs.swNused(0));
            assertEquals(4, sp.vmSwapAnonUse());

            sp.swpPagerMetaBuild(obj, 5, a);
            sp.swpPagerMetaBuild(obj, 40, b);
            sp.swpPagerMetaBuild(obj, 6, c);
            assertEquals(2, StructVmObject.swblock_count(km, obj), "pages 5 and 6 share the swblock of 0..31");
            long swb = sp.swpPagerLookup(obj, 31);
            assertEquals(0, StructSwblock.swb_index(km, swb));
            assertEquals(2, StructSwblock.swb_count(km, swb));
            assertEquals(a, sp.swpPagerMetaCtl(obj, 5, 0));
            assertEquals(b, sp.swpPagerMetaCtl(obj, 40, 0));
            assertEquals(SWAPBLK_NONE, sp.swpPagerMetaCtl(obj, 7, 0));
            assertEquals(SWAPBLK_NONE, sp.swpPagerMetaCtl(obj, 200, 0), "no swblock at all there");

            // A new block for page 5 frees the old one.
            sp.swpPagerMetaBuild(obj, 5, d);
            assertEquals(max - 3, vs.vmSwapSize());
            assertEquals(d, sp.swpPagerMetaCtl(obj, 5, 0));

            // POP takes it out of the metadata but keeps the block allocated; FREE frees it.
            assertEquals(d, sp.swpPagerMetaCtl(obj, 5, SWM_POP));
            assertEquals(SWAPBLK_NONE, sp.swpPagerMetaCtl(obj, 5, 0));
            assertEquals(max - 3, vs.vmSwapSize());
            assertEquals(SWAPBLK_NONE, sp.swpPagerMetaCtl(obj, 6, SWM_FREE));
            assertEquals(max - 2, vs.vmSwapSize());
            assertEquals(1, StructVmObject.swblock_count(km, obj), "the emptied swblock of 0..31 was freed");
            assertEquals(0, sp.swpPagerLookup(obj, 5));

            assertTrue(sp.swapPagerHaspage(obj, 40));
            sp.swapPagerFreespace(obj, 32, 64);
            assertTrue(!sp.swapPagerHaspage(obj, 40));
            assertEquals(0, StructVmObject.swblock_count(km, obj));
            sp.swpPagerFreeswapspace(obj, d, 1);
            assertEquals(max, vs.vmSwapSize());
            assertEquals(0, vs.swNused(0));
            assertEquals(0, sp.vmSwapAnonUse());
        }
    }

    @Test
    void metaFreeAllAndPartialRanges() throws IOException {
        try (SwapRig rig = SwapRig.boot(dir, 32 * MB, 8 * MB, SwapmetaAlloc.ZALLOC, 2)) {
            Kernel k = rig.mk.kernel;
            KernelMemory km = k.km();
            SwapPager sp = k.swapPager();
            VmSwap vs = k.vmSwap();
            long obj = VmTestSupport.newObject(k, 1024);
            int max = vs.vmSwapMax();
            assertEquals(StructVmObject.OBJT_DEFAULT, StructVmObject.type(km, obj));
            long zone = sp.swapZone();
            long freeItems = k.vmZone().zfreeTotal(zone);
            for (long pindex = 0; pindex < 200; pindex += 3) {
                sp.swpPagerMetaBuild(obj, pindex, sp.swpPagerGetswapspace(obj, 1));
            }
            assertEquals(StructVmObject.OBJT_SWAP, StructVmObject.type(km, obj), "meta_build made it OBJT_SWAP");
            assertEquals(7, StructVmObject.swblock_count(km, obj), "indices 0..198 span 7 swblocks");
            assertEquals(max - 67, vs.vmSwapSize());

            // Pages 30..65: frees 30, 33, ..., 63 and keeps the swblocks that still hold blocks.
            sp.swapPagerFreespace(obj, 30, 36);
            for (long pindex = 0; pindex < 200; pindex += 3) {
                boolean inRange = pindex >= 30 && pindex < 66;
                assertEquals(!inRange, sp.swapPagerHaspage(obj, pindex), "page " + pindex);
            }
            assertEquals(max - 67 + 12, vs.vmSwapSize());

            sp.swapPagerFreespaceAll(obj);
            assertEquals(0, StructVmObject.swblock_count(km, obj));
            assertEquals(max, vs.vmSwapSize());
            assertTrue(k.vmZone().zfreeTotal(zone) >= freeItems, "every swblock went back to SWAPMETA");
        }
    }

    /** vm_object_page_remove frees the range's swap too, but a clean-only pass keeps it. */
    @Test
    void pageRemoveFreesTheRangesSwapUnlessCleanOnly() throws IOException {
        try (SwapRig rig = SwapRig.boot(dir, 32 * MB, 8 * MB, SwapmetaAlloc.ZALLOC, 6)) {
            Kernel k = rig.mk.kernel;
            SwapPager sp = k.swapPager();
            VmSwap vs = k.vmSwap();
            long obj = VmTestSupport.newObject(k, 256);
            int max = vs.vmSwapMax();
            for (long pindex = 0; pindex < 64; pindex++) {
                sp.swpPagerMetaBuild(obj, pindex, sp.swpPagerGetswapspace(obj, 1));
            }
            assertEquals(max - 64, vs.vmSwapSize());
            k.vmObject().vmObjectPageRemove(obj, 10, 20, true);
            assertEquals(max - 64, vs.vmSwapSize(), "clean-only keeps a swap object's swap");
            k.vmObject().vmObjectPageRemove(obj, 10, 20, false);
            assertEquals(max - 54, vs.vmSwapSize(), "pages 10..19 lost their swap");
            for (long pindex = 0; pindex < 64; pindex++) {
                assertEquals(pindex < 10 || pindex >= 20, sp.swapPagerHaspage(obj, pindex), "page " + pindex);
            }
            k.vmObject().vmObjectPageRemove(obj, 0, 0, false);
            assertEquals(max, vs.vmSwapSize(), "the whole object: swap_pager_freespace_all");
        }
    }

    /** vm_object_terminate's vm_pager_deallocate reaches swap_pager_dealloc through pagertab. */
    @Test
    void pagerDeallocFreesAllSwap() throws IOException {
        try (SwapRig rig = SwapRig.boot(dir, 32 * MB, 8 * MB, SwapmetaAlloc.ZALLOC, 5)) {
            Kernel k = rig.mk.kernel;
            KernelMemory km = k.km();
            SwapPager sp = k.swapPager();
            long obj = VmTestSupport.newObject(k, 512);
            int max = k.vmSwap().vmSwapMax();
            for (long pindex = 0; pindex < 300; pindex += 7) {
                sp.swpPagerMetaBuild(obj, pindex, sp.swpPagerGetswapspace(obj, 1));
            }
            assertTrue(StructVmObject.swblock_count(km, obj) > 0);
            k.vmPager().vmPagerDeallocate(StructVmObject.type(km, obj), obj);
            assertEquals(0, StructVmObject.swblock_count(km, obj));
            assertEquals(max, k.vmSwap().vmSwapSize());
            assertEquals(0, k.vmSwap().swNused(0));
        }
    }

    @Test
    void swaponAndSwapinfo() throws IOException {
        // 8 MiB + 4.5 KiB: the half page is cut, 2049 pages round up to 2112 (33 stripes), of
        // which the first stripe is never used.
        try (SwapRig rig = SwapRig.boot(dir, 32 * MB, 8 * MB + 4608, SwapmetaAlloc.ZALLOC, 3)) {
            Kernel k = rig.mk.kernel;
            SwapPager sp = k.swapPager();
            VmSwap vs = k.vmSwap();
            assertEquals(2112, vs.swNblks(0));
            assertEquals(2112 * 4, vs.nswap(), "nswap = aligned_nblks * nswdev");
            assertEquals(2048, vs.vmSwapMax());
            assertEquals(2048, vs.vmSwapSize());
            assertEquals(VmSwap.SW_FREED, vs.swFlags(0));
            assertEquals(2048 * 4 / 100, sp.nswapLowat());
            assertEquals(2048 * 6 / 100, sp.nswapHiwat());
            assertTrue(k.dmesg().contains("swap low/high-water marks set to 81/122"), k.dmesg().toString());
            assertEquals(VmSwap.EBUSY, vs.swaponvp(rig.swapdev));

            long obj = VmTestSupport.newObject(k, 16);
            long blk = sp.swpPagerGetswapspace(obj, 64);
            assertNotEquals(SWAPBLK_NONE, blk);
            assertTrue(blk >= 64 && blk % 64 == 0, "the first stripe is never handed out: " + blk);
            List<String> info = vs.swapinfo();
            assertEquals(2, info.size());
            assertEquals(List.of("Device", "1K-blocks", "Used", "Avail", "Capacity"), List.of(info.get(0).trim().split("\\s+")));
            String[] f = info.get(1).trim().split("\\s+");
            assertEquals(rig.swapdev.name(), f[0]);
            assertEquals("8192", f[1]);
            assertEquals("256", f[2]);
            assertEquals("7936", f[3]);
            assertEquals("3%", f[4]);
        }
    }

    @Test
    void swapFullFailsPutpagesAndSetsSwapPagerFull() throws IOException {
        // 128 pages: 64 usable; low water 2, high water 3.
        try (SwapRig rig = SwapRig.boot(dir, 32 * MB, 512 * 1024, SwapmetaAlloc.ZALLOC, 4)) {
            Kernel k = rig.mk.kernel;
            SwapPager sp = k.swapPager();
            long obj = VmTestSupport.newObject(k, 16);
            long all = sp.swpPagerGetswapspace(obj, 64);
            assertNotEquals(SWAPBLK_NONE, all);
            assertEquals(0, k.vmSwap().vmSwapSize());
            assertEquals(1, sp.swapPagerAlmostFull());
            assertEquals(0, sp.swapPagerFull());

            long m = k.vmPage().vmPageAlloc(obj, 3, VmPage.VM_ALLOC_NORMAL);
            assertNotEquals(0, m);
            k.vmPage().vmPageIoStart(m);
            k.vmPage().vmPageWakeup(m);
            int[] rtvals = new int[1];
            sp.swapPagerPutpages(obj, new long[] {m}, 1, 0, rtvals);
            assertEquals(VmPager.VM_PAGER_FAIL, rtvals[0]);
            assertEquals(2, sp.swapPagerFull());
            assertTrue(k.dmesg().contains("swap_pager_getswapspace: swap full allocating 1 pages"), k.dmesg().toString());

            // Freeing swap above the low-water mark clears swap_pager_full.
            sp.swpPagerFreeswapspace(obj, all, 8);
            assertEquals(0, sp.swapPagerFull());
            assertEquals(0, sp.swapPagerAlmostFull(), "above the high-water mark");
        }
    }
}
