package org.dfemu.kernel.vm;

import org.dfemu.emulator.disk.DiskStats;
import org.dfemu.emulator.sched.RunResult;
import org.dfemu.kernel.Kernel;
import org.dfemu.emulator.api.TraceSink;
import org.dfemu.kernel.vm.SwapPager.SwapmetaAlloc;
import org.dfemu.kernel.harness.trace.KernelEvents;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.KernelSymbols;
import org.dfemu.kernel.TraceRecords;
import org.dfemu.kernel.machine.Vmparam;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemoryLayout;
import java.nio.file.Path;
import java.util.List;

import static org.dfemu.kernel.vm.StructVmPage.PBUSY_MASK;
import static org.dfemu.kernel.vm.StructVmPage.PG_SWAPPED;
import static org.dfemu.kernel.vm.StructVmPage.VM_PAGE_BITS_ALL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Paging to swap and back through the emulated disk (docs/dragonfly-map.md §6.3): putpages writes
 * the page from its physical address, the completion cleans it and marks it PG_SWAPPED; after the
 * page is freed, getpage reads the same bytes into a new page, sleeping until the read completes.
 */
class SwapPagerIoTest {
    private static final long MB = SwapRig.MB;
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    private static long kva(Kernel k, long m) {
        return Vmparam.PHYS_TO_DMAP(StructVmPage.phys_addr(k.km(), m));
    }

    private static byte[] pattern(int seed) {
        byte[] b = new byte[PAGE];
        for (int i = 0; i < PAGE; i++) {
            b[i] = (byte) (i * 31 + seed * 7 + (i >> 8));
        }
        return b;
    }

    private static void fill(Kernel k, long m, byte[] b) {
        for (int i = 0; i < PAGE; i++) {
            k.km().store8(kva(k, m) + i, b[i]);
        }
    }

    private static byte[] read(Kernel k, long m) {
        byte[] b = new byte[PAGE];
        for (int i = 0; i < PAGE; i++) {
            b[i] = (byte) k.km().load8(kva(k, m) + i);
        }
        return b;
    }

    /** A dirty, valid page of {@code obj} at {@code pindex} holding {@code data}, soft-busied for pageout. */
    private static long dirtyPage(Kernel k, long obj, long pindex, byte[] data) {
        long m = k.vmPage().vmPageAlloc(obj, pindex, VmPage.VM_ALLOC_NORMAL);
        assertNotEquals(0, m);
        fill(k, m, data);
        StructVmPage.valid(k.km(), m, VM_PAGE_BITS_ALL);
        k.vmPage().vmPageDirty(m);
        k.vmPage().vmPageIoStart(m);
        k.vmPage().vmPageWakeup(m);
        return m;
    }

    @Test
    void pageWrittenToSwapReadsBackTheSameBytes() throws IOException {
        try (SwapRig rig = SwapRig.boot(dir, 32 * MB, 8 * MB, SwapmetaAlloc.ZALLOC, 21, true, TraceSink.NONE, SwapRig.SWAPON_SWAPINTR)) {
            Kernel k = rig.mk.kernel;
            KernelMemory km = k.km();
            SwapPager sp = k.swapPager();
            long obj = VmTestSupport.newObject(k, 64);
            boolean[] done = {false};

            rig.mk.thread("user", 0, () -> {
                byte[][] data = {pattern(1), pattern(2), pattern(3)};
                long[] m = new long[3];
                for (int i = 0; i < 3; i++) {
                    m[i] = dirtyPage(k, obj, 10 + i, data[i]);
                }
                int[] rtvals = new int[3];
                // Not the pagedaemon: forced synchronous; returns after the completion.
                sp.swapPagerPutpages(obj, m, 3, 0, rtvals);
                for (int i = 0; i < 3; i++) {
                    assertEquals(VmPager.VM_PAGER_PEND, rtvals[i]);
                    assertEquals(0, StructVmPage.dirty(km, m[i]), "cleaned by the completion");
                    assertTrue((StructVmPage.flags(km, m[i]) & PG_SWAPPED) != 0);
                    assertEquals(0, StructVmPage.busy_count(km, m[i]) & (PBUSY_MASK | StructVmPage.PBUSY_SWAPINPROG));
                    assertTrue(sp.swapPagerHaspage(obj, 10 + i));
                }
                assertEquals(StructVmObject.OBJT_SWAP, StructVmObject.type(km, obj));
                long blk = sp.swpPagerMetaCtl(obj, 10, 0);
                assertEquals(blk + 1, sp.swpPagerMetaCtl(obj, 11, 0), "one cluster, contiguous blocks");
                assertEquals(1, rig.disk.stats().writes(), "the cluster is one request");

                // Throw the pages away, then fault them back from swap into fresh pages.
                for (int i = 0; i < 3; i++) {
                    k.vmPage().vmPageBusyWait(m[i], false, "test");
                    k.vmPage2().vmPageFree(m[i]);
                }
                for (int i = 2; i >= 0; i--) {
                    long n = k.vmPage().vmPageAlloc(obj, 10 + i, VmPage.VM_ALLOC_NORMAL);
                    km.bzero(kva(k, n), PAGE);
                    long[] mpp = {n};
                    // Through pagertab, as vm_fault calls it: OBJT_SWAP goes to the swap pager.
                    assertTrue(k.vmPager().vmPagerHasPage(StructVmObject.type(km, obj), obj, 10 + i));
                    assertEquals(VmPager.VM_PAGER_OK, k.vmPager().vmPagerGetPage(StructVmObject.type(km, obj), obj, mpp, 0));
                    assertEquals(VM_PAGE_BITS_ALL, StructVmPage.valid(km, n));
                    assertEquals(0, StructVmPage.dirty(km, n));
                    assertTrue((StructVmPage.flags(km, n) & PG_SWAPPED) != 0);
                    assertTrue((StructVmPage.busy_count(km, n) & StructVmPage.PBUSY_LOCKED) != 0, "left busy");
                    org.junit.jupiter.api.Assertions.assertArrayEquals(data[i], read(k, n), "page " + (10 + i));
                    k.vmPage().vmPageWakeup(n);
                }

                // A page without swap: VM_PAGER_FAIL, no I/O.
                long z = k.vmPage().vmPageAlloc(obj, 40, VmPage.VM_ALLOC_NORMAL);
                assertEquals(VmPager.VM_PAGER_FAIL, sp.swapPagerGetpage(obj, new long[] {z}, 0));
                assertEquals(3, rig.disk.stats().reads());
                k.vmPage().vmPageWakeup(z);
                done[0] = true;
                rig.mk.machine.scheduler().requestStop("test done");
            });
            RunResult r = rig.mk.machine.scheduler().run();
            assertEquals(RunResult.Outcome.STOPPED, r.outcome(), r.toString());
            assertTrue(done[0]);
        }
    }

    /**
     * swap_pager_putpages sends a full cluster (nsw_cluster_max = 16 pages) as one buf, and
     * swap_pager_getpage with burst reads brings the run back in one buf: each is ONE device
     * request with one completion and one swp_pager_async_iodone (its swap_io_done event).
     */
    @Test
    void sixteenPageClusterIsWrittenAndReadAsOneRequestWithOneCompletion() throws IOException {
        TraceRecords trace = new TraceRecords();
        try (SwapRig rig = SwapRig.boot(dir, 32 * MB, 8 * MB, SwapmetaAlloc.ZALLOC, 24, true, trace, SwapRig.SWAPON_SWAPINTR)) {
            Kernel k = rig.mk.kernel;
            KernelMemory km = k.km();
            SwapPager sp = k.swapPager();
            int n = sp.nswClusterMax();
            assertEquals(16, n, "nsw_cluster_max");
            long obj = VmTestSupport.newObject(k, 64);
            boolean[] done = {false};
            rig.mk.thread("user", 0, () -> {
                byte[][] data = new byte[n][];
                long[] m = new long[n];
                for (int i = 0; i < n; i++) {
                    data[i] = pattern(100 + i);
                    m[i] = dirtyPage(k, obj, i, data[i]);
                }
                DiskStats before = rig.disk.stats();
                sp.swapPagerPutpages(obj, m, n, 0, new int[n]);   // synchronous: returns after the completion
                DiskStats written = rig.disk.stats();
                assertOneRequest(true, n, before, written, trace, 1);
                long blk = sp.swpPagerMetaCtl(obj, 0, 0);
                for (int i = 0; i < n; i++) {
                    assertEquals(blk + i, sp.swpPagerMetaCtl(obj, i, 0), "contiguous blocks");
                    assertEquals(0, StructVmPage.dirty(km, m[i]));
                    k.vmPage().vmPageBusyWait(m[i], false, "test");
                    k.vmPage2().vmPageFree(m[i]);
                }

                // Read the run back: page 0 faulted, 15 more read with it (vm.swap_burst_read).
                km.store32(symbol(k, "swap_burst_read"), n - 1);
                long first = k.vmPage().vmPageAlloc(obj, 0, VmPage.VM_ALLOC_NORMAL);
                assertEquals(VmPager.VM_PAGER_OK, sp.swapPagerGetpage(obj, new long[] {first}, 0));
                assertOneRequest(false, n, written, rig.disk.stats(), trace, 2);
                for (int i = 0; i < n; i++) {
                    long p = i == 0 ? first : k.vmPage().vmPageLookup(obj, i);
                    assertNotEquals(0, p, "page " + i + " read ahead");
                    assertEquals(VM_PAGE_BITS_ALL, StructVmPage.valid(km, p));
                    org.junit.jupiter.api.Assertions.assertArrayEquals(data[i], read(k, p), "page " + i);
                }
                k.vmPage().vmPageWakeup(first);
                done[0] = true;
                rig.mk.machine.scheduler().requestStop("test done");
            });
            RunResult r = rig.mk.machine.scheduler().run();
            assertEquals(RunResult.Outcome.STOPPED, r.outcome(), r.toString());
            assertTrue(done[0]);
        }
    }

    /**
     * Between {@code before} and {@code after} the disk served exactly one request, a write or a
     * read of {@code npages} pages, completed once; and the kernel traced one more swbuf of that
     * many pages (the {@code swbufs}-th) with its swp_pager_async_iodone.
     */
    private static void assertOneRequest(boolean write, int npages, DiskStats before, DiskStats after,
                                         TraceRecords trace, int swbufs) {
        assertEquals(1, after.requests() - before.requests(), "one device request for " + npages + " pages");
        assertEquals(1, write ? after.writes() - before.writes() : after.reads() - before.reads(), "completed once");
        assertEquals((long) npages * PAGE, write ? after.bytesWritten() - before.bytesWritten()
                : after.bytesRead() - before.bytesRead());
        List<TraceRecords.Rec> starts = trace.of(KernelEvents.SWAP_IO_START);
        assertEquals(write ? 1 : 0, starts.getLast().a1(), "direction");
        assertEquals(npages, starts.getLast().a3(), "its page count");
        assertEquals(starts.size(), trace.of(KernelEvents.SWAP_IO_DONE).size(), "one swp_pager_async_iodone per swbuf");
        assertEquals(swbufs, starts.size(), "one swbuf per cluster");
    }

    /** The address of swap_pager.c's global {@code name} (sysctl vm.{@code name}). */
    private static long symbol(Kernel k, String name) {
        KernelSymbols.Symbol g = k.symbols().symbols().stream()
                .filter(s -> s.layout() != null && s.layout().name().orElse("").equals("swap_pager_globals"))
                .findFirst().orElseThrow(() -> new AssertionError("no swap_pager_globals"));
        return g.va() + g.layout().byteOffset(MemoryLayout.PathElement.groupElement(name));
    }

    /** The pagedaemon's writes are asynchronous: PEND at once, the swapintr thread completes them. */
    @Test
    void pagedaemonWritesAreAsync() throws IOException {
        try (SwapRig rig = SwapRig.boot(dir, 32 * MB, 8 * MB, SwapmetaAlloc.ZALLOC, 22, true, TraceSink.NONE, SwapRig.SWAPON_SWAPINTR)) {
            Kernel k = rig.mk.kernel;
            KernelMemory km = k.km();
            SwapPager sp = k.swapPager();
            long obj = VmTestSupport.newObject(k, 64);
            boolean[] done = {false};

            long td = k.lwkt().lwktCreate("pagedaemon", 0, 0, () -> {
                long m = dirtyPage(k, obj, 3, pattern(9));
                int[] rtvals = new int[1];
                long writes = rig.disk.stats().writes();
                sp.swapPagerPutpages(obj, new long[] {m}, 1, 0, rtvals);
                assertEquals(VmPager.VM_PAGER_PEND, rtvals[0]);
                assertEquals(3, sp.nswWcountAsync(), "one async pbuf in use");
                assertEquals(writes, rig.disk.stats().writes(), "not completed yet");
                while (sp.nswWcountAsync() != 4) {
                    k.lwkt().tsleep(obj, "wait", 1);
                }
                assertEquals(0, StructVmPage.dirty(km, m));
                assertTrue((StructVmPage.flags(km, m) & PG_SWAPPED) != 0);
                assertEquals(0, StructVmPage.busy_count(km, m) & (PBUSY_MASK | StructVmPage.PBUSY_SWAPINPROG));
                done[0] = true;
                rig.mk.machine.scheduler().requestStop("test done");
            });
            k.vmPageout().pagethread(td);
            RunResult r = rig.mk.machine.scheduler().run();
            assertEquals(RunResult.Outcome.STOPPED, r.outcome(), r.toString());
            assertTrue(done[0]);
        }
    }

    /** A failed swap write forgets the block and keeps the data: the page is dirty and active again. */
    @Test
    void failedWriteRedirtiesThePage() throws IOException {
        try (SwapRig rig = SwapRig.boot(dir, 32 * MB, 8 * MB, SwapmetaAlloc.ZALLOC, 23, false, TraceSink.NONE, SwapRig.SWAPON_SWAPINTR)) {
            Kernel k = rig.mk.kernel;
            KernelMemory km = k.km();
            SwapPager sp = k.swapPager();
            long obj = VmTestSupport.newObject(k, 64);
            boolean[] done = {false};
            rig.mk.thread("user", 0, () -> {
                int max = k.vmSwap().vmSwapMax();
                long m = dirtyPage(k, obj, 5, pattern(4));
                int[] rtvals = new int[1];
                sp.swapPagerPutpages(obj, new long[] {m}, 1, 0, rtvals);
                assertEquals(VmPager.VM_PAGER_PEND, rtvals[0]);
                assertNotEquals(0, StructVmPage.dirty(km, m), "re-dirtied");
                assertEquals(0, StructVmPage.flags(km, m) & PG_SWAPPED);
                assertEquals(0, StructVmPage.busy_count(km, m) & (PBUSY_MASK | StructVmPage.PBUSY_SWAPINPROG));
                assertTrue(!sp.swapPagerHaspage(obj, 5), "the block was forgotten");
                assertEquals(max, k.vmSwap().vmSwapSize(), "and freed");
                assertTrue(k.dmesg().stream().anyMatch(l -> l.startsWith("swap_pager: I/O error - pageout failed")),
                        k.dmesg().toString());
                done[0] = true;
                rig.mk.machine.scheduler().requestStop("test done");
            });
            RunResult r = rig.mk.machine.scheduler().run();
            assertEquals(RunResult.Outcome.STOPPED, r.outcome(), r.toString());
            assertTrue(done[0]);
        }
    }
}
