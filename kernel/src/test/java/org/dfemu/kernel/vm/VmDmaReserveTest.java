package org.dfemu.kernel.vm;

import org.dfemu.emulator.api.Tunable;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.KernelTunables;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.harness.check.VmPageQueueCheck;
import org.dfemu.kernel.machine.Machdep;
import org.dfemu.kernel.sys.StructVmstats;
import org.junit.jupiter.api.Test;

import static org.dfemu.kernel.machine.Param.PAGE_SIZE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DMA reserve of pc64 (vm_page.c): vm_page_startup parks every page below
 * vm_low_phys_reserved = min(256M, total / 4) in vm_contig_alist (wired, PG_FICTITIOUS, off the
 * queues) and vm_page_startup_finish returns all of it but vm_dma_reserved, by default
 * min(128M, total / 16), keeping the lowest pages. So a booted kernel has that many pages fewer
 * free than one booted with vm.dma_reserved at one page.
 */
class VmDmaReserveTest {
    private static final long RAM = 16 << 20;

    /** total as vm_page_startup computes it: the page-aligned phys_avail ranges' bytes. */
    private static long total(Kernel k) {
        Machdep md = k.machdep();
        long total = 0;
        for (int i = 0; md.physAvailEnd(i) != 0; i++) {
            total += md.physAvailEnd(i) - md.physAvailBeg(i);
        }
        return total;
    }

    private static long availBelow(Kernel k, long limit) {
        Machdep md = k.machdep();
        long pages = 0;
        for (int i = 0; md.physAvailEnd(i) != 0; i++) {
            long beg = md.physAvailBeg(i);
            long end = Math.min(md.physAvailEnd(i), limit);
            if (end > beg) {
                pages += (end - beg + PAGE_SIZE - 1) / PAGE_SIZE;
            }
        }
        return pages;
    }

    private static long freeAfterBoot(String dmaReserved) {
        KernelConfig config = KernelConfig.defaults();
        if (dmaReserved != null) {
            config = config.setenv("vm.dma_reserved", dmaReserved);
        }
        try (TestKernel t = TestKernel.boot(RAM, config)) {
            VmPageQueueCheck.assertConsistent(t.kernel);
            return TestKernel.trueCount(t.kernel, StructVmstats.v_free_count$OFFSET);
        }
    }

    @Test
    void bootKeepsMinOf128MAndASixteenthOfRamInTheReserve() {
        try (TestKernel t = TestKernel.boot(RAM)) {
            Kernel k = t.kernel;
            KernelMemory km = k.km();
            VmPage vp = k.vmPage();
            long total = total(k);
            long keep = Math.min(128L << 20, total / 16) / PAGE_SIZE;
            assertTrue(keep > 0);
            assertEquals(Math.min(128L << 20, total / 16), vp.vmDmaReserved());
            assertEquals(keep, vp.vmContigFreePages(), "vm.dma_free_pages");
            assertEquals(keep, TestKernel.trueCount(k, StructVmstats.v_dma_pages$OFFSET));
            assertEquals(vp.vmDmaReserved(), k.sysctl().read("vm.dma_reserved"));

            // The kept pages are the lowest ones: wired, fictitious, on no queue.
            long low = vp.vmLowPhysReserved();
            assertEquals(keep, availBelow(k, low));
            long fictitious = 0;
            for (long i = 0; i < vp.vmPageArraySize(); i++) {
                long m = vp.vmPageArray() + i * StructVmPage.SIZEOF;
                if ((StructVmPage.flags(km, m) & StructVmPage.PG_FICTITIOUS) != 0) {
                    fictitious++;
                    assertTrue(StructVmPage.phys_addr(km, m) < low);
                    assertEquals(1, StructVmPage.wire_count(km, m));
                    assertEquals(StructVpgqueues.PQ_NONE, StructVmPage.queue(km, m));
                }
            }
            assertEquals(keep, fictitious);
            VmPageQueueCheck.assertConsistent(k);
        }
    }

    @Test
    void freePagesAfterBootLowerByTheReserve() {
        long total;
        try (TestKernel t = TestKernel.boot(RAM)) {
            total = total(t.kernel);
        }
        long keep = Math.min(128L << 20, total / 16) / PAGE_SIZE;
        assertEquals(keep - 1, freeAfterBoot("4K") - freeAfterBoot(null),
                "the default reserve keeps min(128M, total/16) bytes, vm.dma_reserved=4K one page");
    }

    @Test
    void aReserveAboveTheLowQuarterKeepsAllOfIt() {
        try (TestKernel t = TestKernel.boot(RAM, KernelConfig.defaults().setenv("vm.dma_reserved", "64M"))) {
            Kernel k = t.kernel;
            long quarter = availBelow(k, total(k) / 4);
            assertEquals(quarter, k.vmPage().vmContigFreePages(), "nothing returned: bfree <= vm_dma_reserved");
            assertEquals(total(k) / 4, k.vmPage().vmLowPhysReserved());
        }
    }

    @Test
    void theTunableIsDeclaredWithItsRange() {
        Tunable t = KernelTunables.ALL.stream().filter(x -> x.name().equals("vm.dma_reserved")).findFirst().orElseThrow();
        assertEquals(Tunable.Type.SIZE, t.type());
        assertEquals(0, t.min());
        assertEquals(256L << 20, t.max());
        assertEquals("0", t.defaultValue());
    }
}
