package org.dfemu.kernel.machine;

import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.KernelPanic;
import org.dfemu.kernel.vm.StructVmPage;
import org.dfemu.kernel.vm.StructVpgqueues;
import org.dfemu.kernel.vm.VmPage;
import org.dfemu.kernel.harness.check.VmPageQueueCheck;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Boot memory: page 0, the kernel image, early boot pages and ranges the boot reserves never
 * reach the free queues; vm_page_array covers them all the same (PHYS_TO_VM_PAGE works).
 */
class MachdepTest {
    @Test
    void takenRangesNeverReachTheAllocator() {
        try (PhysicalMemory ram = new PhysicalMemory(16 << 20)) {
            Kernel k = new Kernel(ram, KernelConfig.defaults());
            Machdep md = k.machdep();
            long early = md.allocpages(4);
            assertEquals(k.physfree(), early, "early boot pages follow the kernel image");
            // A range the boot code says is taken, in the middle of the big range.
            long rbeg = 8 << 20;
            long rend = rbeg + 10 * Param.PAGE_SIZE;
            md.reservePhys(rbeg + 1, rend - 1);
            md.getmemsize();
            // getmemsize() ran pmap_bootstrap(), whose page tables follow the early pages.
            long bootEnd = md.firstaddr();
            assertTrue(bootEnd > early + 4 * Param.PAGE_SIZE, "pmap_bootstrap took pages after the early ones");
            assertEquals(Param.PAGE_SIZE, md.physAvailBeg(0));
            assertEquals(Vmparam.KERNLOAD, md.physAvailEnd(0));
            assertEquals(bootEnd, md.physAvailBeg(1));
            assertEquals(rbeg, md.physAvailEnd(1));
            assertEquals(rend, md.physAvailBeg(2));
            assertEquals(16 << 20, md.physAvailEnd(2));
            assertEquals(0, md.physAvailEnd(3));
            assertThrows(KernelPanic.class, () -> md.allocpages(1), "no boot pages once the VM owns RAM");
            assertThrows(KernelPanic.class, () -> md.reservePhys(0, 4096));

            // The rest of Kernel.boot(), after its getmemsize().
            k.vmPage().vmPageStartup();
            k.vmPage().vmPageStartupFinish();
            k.vmPageout().vmPageoutThreadSetup();
            VmPage vp = k.vmPage();
            KernelMemory km = k.km();
            assertEquals(1, vp.firstPage(), "page 0 has no vm_page: it was never available");
            long n = 0;
            long m;
            while ((m = vp.vmPageAlloc(0, 0, VmPage.VM_ALLOC_INTERRUPT)) != 0) {
                long pa = vp.VM_PAGE_TO_PHYS(m);
                assertTrue(pa >= Param.PAGE_SIZE);
                assertFalse(pa >= Vmparam.KERNLOAD && pa < bootEnd, "kernel image, boot page or boot page table");
                assertFalse(pa >= rbeg && pa < rend, "reserved range");
                n++;
            }
            // v_page_count also counts the DMA reserve's pages, which vm_page_alloc never hands out.
            assertEquals(k.sysctl().read("vm.stats.vm.v_page_count") - vp.vmContigFreePages(), n,
                    "every counted page but the DMA reserve's, and only those");
            long reservedPage = vp.PHYS_TO_VM_PAGE(rbeg);
            assertEquals(rbeg, StructVmPage.phys_addr(km, reservedPage));
            assertEquals(StructVpgqueues.PQ_NONE, StructVmPage.queue(km, reservedPage));
            VmPageQueueCheck.assertConsistent(k);
        }
    }
}
