package org.dfemu.kernel.vm;

import org.dfemu.kernel.harness.check.VmPageQueueCheck;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.machine.Vmparam;
import org.dfemu.kernel.sys.StructVmstats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The free-page thresholds come out of boot as vm_pageout_free_page_calc() and the pageout
 * daemon's setup compute them (docs/dragonfly-map.md §1.1), from the v_page_count
 * vm_page_startup() actually finds: RAM less page 0, the kernel image, the minidump bitmap and
 * vm_page_array.
 */
class VmPageThresholdsTest {
    private static final long PAGE = 4096;

    /** Expected values, computed here from the formulas' text, independently of the port. */
    private record Ladder(long min, long reserved, long severe, long pageoutFreeMin, long interruptFreeMin,
                          long freeTarget, long pagingWait, long start, long target1, long target2) {
        static Ladder of(long pageCount) {
            long min = 64 + pageCount / 200;
            return new Ladder(min, min * 4 / 8 + 7, min * 4 / 8, min * 2 / 8 + 7, min / 8 + 7,
                    2 * min, 2 * min, 3 * min, 4 * min, 5 * min);
        }
    }

    private static Ladder actual(KernelMemory km, long vs) {
        return new Ladder(StructVmstats.v_free_min(km, vs), StructVmstats.v_free_reserved(km, vs),
                StructVmstats.v_free_severe(km, vs), StructVmstats.v_pageout_free_min(km, vs),
                StructVmstats.v_interrupt_free_min(km, vs), StructVmstats.v_free_target(km, vs),
                StructVmstats.v_paging_wait(km, vs), StructVmstats.v_paging_start(km, vs),
                StructVmstats.v_paging_target1(km, vs), StructVmstats.v_paging_target2(km, vs));
    }

    @ParameterizedTest(name = "{0} MiB")
    @ValueSource(longs = {16, 64, 1024})
    void thresholdsFollowTheFormulasForTheCountedPages(long mib) {
        checkMachine(mib);
    }

    /** The 4 GiB machine (RAM is lazily zeroed, so this costs only the pages the boot touches). */
    @Test
    void fourGibMachine() {
        checkMachine(4096);
    }

    private static void checkMachine(long mib) {
        try (TestKernel t = TestKernel.boot(mib << 20)) {
            KernelMemory km = t.kernel.km();
            long vs = t.kernel.vmMeter().vmstats();

            // v_page_count, derived independently: every RAM page but page 0, the kernel image
            // with the early page tables pmap_bootstrap() took after it (up to where
            // phys_avail[1] starts), the minidump bitmap (one bit per page up to the end of RAM)
            // and the vm_page array (128 bytes per page from page 1 to the end of RAM).
            long ramPages = (mib << 20) / PAGE;
            long imagePages = (t.kernel.machdep().physAvailBeg(1) - Vmparam.KERNLOAD) / PAGE;
            long dumpPages = ceilDiv(ceilDiv(ramPages, 8), PAGE);
            long arrayPages = ceilDiv((ramPages - 1) * 128, PAGE);
            long pageCount = ramPages - 1 - imagePages - dumpPages - arrayPages;
            assertEquals(pageCount, StructVmstats.v_page_count(km, vs), "v_page_count");
            // Boot's own allocations (kmem_alloc'ed pv entries, zone pages, kernel page tables)
            // are wired; every other counted page is still free.
            long free = StructVmstats.v_free_count(km, vs);
            assertEquals(pageCount, free + StructVmstats.v_wire_count(km, vs), "counted pages are free or wired after boot");

            assertEquals(Ladder.of(pageCount), actual(km, vs));
            assertEquals(free / 16, StructVmstats.v_inactive_target(km, vs), "v_inactive_target = free/16");
            assertEquals(free / 3, t.kernel.vmPageout().vmPageMaxWired(), "vm_page_max_wired = free/3");
            assertEquals(ramPages / 256 + 16, t.kernel.vmPageout().vmMaxLaunder(), "vm_max_launder = physmem/256+16");
            VmPageQueueCheck.assertConsistent(t.kernel);
        }
    }

    /** docs/dragonfly-map.md §1.1, the worked values for 262,144 pages (1 GiB). */
    @Test
    void oneGibTableFromTheMap() {
        try (TestKernel t = TestKernel.boot(16 << 20)) {
            Ladder l = recompute(t, 262_144);
            assertEquals(178, l.interruptFreeMin());
            assertEquals(350, l.pageoutFreeMin());
            assertEquals(687, l.severe());
            assertEquals(694, l.reserved());
            assertEquals(1374, l.min());
            assertEquals(2748, l.pagingWait());
            assertEquals(2748, l.freeTarget());
            assertEquals(4122, l.start());
            assertEquals(5496, l.target1());
            assertEquals(6870, l.target2());
        }
    }

    /** Dillon's commit e91e64c7af quotes a 32 GiB machine: reserved 20,216 ... target2 202,095. */
    @Test
    void thirtyTwoGibExampleFromCommitE91e64c7af() {
        try (TestKernel t = TestKernel.boot(16 << 20)) {
            Ladder l = recompute(t, 8_071_000);
            assertEquals(20_216, l.reserved());
            assertEquals(40_419, l.min());
            assertEquals(80_838, l.pagingWait());
            assertEquals(121_257, l.start());
            assertEquals(161_676, l.target1());
            assertEquals(202_095, l.target2());
        }
    }

    // Reruns the daemon's setup over a given v_page_count.
    private static Ladder recompute(TestKernel t, long pageCount) {
        KernelMemory km = t.kernel.km();
        long vs = t.kernel.vmMeter().vmstats();
        StructVmstats.v_page_count(km, vs, pageCount);
        t.kernel.vmPageout().vmPageoutThreadSetup();
        return actual(km, vs);
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
