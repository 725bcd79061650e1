package org.dfemu.kernel.vm;

import static org.dfemu.kernel.harness.trace.KernelEvents.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.dfemu.emulator.sched.RunResult;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.vm.SwapPager.SwapmetaAlloc;
import org.dfemu.kernel.TraceRecords;
import org.dfemu.kernel.TraceRecords.Rec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The swap pager's trace: swap_io_start/done pairs with matching ids around each swbuf's I/O,
 * and swap_alloc/swap_free with the swap in use, through direct swap_pager_putpages and getpage
 * calls (the pageout daemon is not ported yet, so no workload pages on its own).
 */
class KernelTraceSwapTest {
    private static final long MB = 1L << 20;

    @TempDir
    Path dir;

    @Test
    void swapIoStartAndDonePairUpByIdAndSwapSpaceIsCounted() throws IOException {
        TraceRecords trace = new TraceRecords();
        long[] firstBlk = {0};
        try (SwapRig rig = SwapRig.boot(dir, 32 * MB, 8 * MB, SwapmetaAlloc.ZALLOC, 41, true, trace, SwapRig.SWAPON_SWAPINTR)) {
            Kernel k = rig.mk.kernel;
            SwapPager sp = k.swapPager();
            long obj = VmTestSupport.newObject(k, 64);
            rig.mk.thread("user", 0, () -> {
                long[] m = new long[4];
                for (int i = 0; i < 4; i++) {
                    m[i] = k.vmPage().vmPageAlloc(obj, 20 + i, VmPage.VM_ALLOC_NORMAL);
                    assertNotEquals(0, m[i]);
                    StructVmPage.valid(k.km(), m[i], StructVmPage.VM_PAGE_BITS_ALL);
                    k.vmPage().vmPageDirty(m[i]);
                    k.vmPage().vmPageIoStart(m[i]);
                    k.vmPage().vmPageWakeup(m[i]);
                }
                sp.swapPagerPutpages(obj, m, 4, 0, new int[4]);   // synchronous: one write of 4 pages
                firstBlk[0] = sp.swpPagerMetaCtl(obj, 20, 0);
                for (int i = 0; i < 4; i++) {
                    k.vmPage().vmPageBusyWait(m[i], false, "test");
                    k.vmPage2().vmPageFree(m[i]);
                }
                long n = k.vmPage().vmPageAlloc(obj, 21, VmPage.VM_ALLOC_NORMAL);
                assertEquals(VmPager.VM_PAGER_OK, sp.swapPagerGetpage(obj, new long[] {n}, 0));
                k.vmPage().vmPageWakeup(n);
                sp.swapPagerFreespace(obj, 20, 4);
                rig.mk.machine.scheduler().requestStop("test done");
            });
            RunResult r = rig.mk.machine.scheduler().run();
            assertEquals(RunResult.Outcome.STOPPED, r.outcome(), r.toString());
        }
        List<Rec> starts = trace.of(SWAP_IO_START);
        List<Rec> dones = trace.of(SWAP_IO_DONE);
        assertTrue(starts.size() >= 2, "a write and a read: " + starts);
        assertEquals(starts.size(), dones.size());
        Rec write = starts.getFirst();
        assertEquals(1, write.a1(), "a write");
        assertEquals(firstBlk[0], write.a2(), "its first swap block");
        assertEquals(4, write.a3(), "pages");
        Rec read = starts.get(1);
        assertEquals(0, read.a1(), "then a read");
        assertEquals(firstBlk[0] + 1, read.a2(), "of page 21's block");
        List<Rec> all = trace.all();
        for (Rec s : starts) {
            Rec d = dones.stream().filter(x -> x.a0() == s.a0()).findFirst().orElseThrow(() -> new AssertionError("no done for " + s));
            assertEquals(1, dones.stream().filter(x -> x.a0() == s.a0()).count(), "ids are unique");
            assertTrue(all.indexOf(d) > all.indexOf(s), "done after start");
            assertEquals(s.a1(), d.a1(), "same direction");
            assertEquals(0, d.a2(), "no error");
            assertTrue(d.a3() > 0 && d.a3() == d.timeNs() - s.timeNs(), "duration is the span: " + s + " " + d);
        }
        Rec alloc = trace.of(SWAP_ALLOC).getFirst();
        assertEquals(firstBlk[0], alloc.a0());
        assertEquals(4, alloc.a1());
        assertEquals(4, alloc.a2(), "swap pages in use after");
        long freed = trace.of(SWAP_FREE).stream().mapToLong(Rec::a1).sum();
        assertEquals(4, freed, "freespace gave all four back");
        assertEquals(0, trace.of(SWAP_FREE).getLast().a2(), "nothing in use at the end");
    }
}
