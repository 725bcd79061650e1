package org.dfemu.kernel.machine;

import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.cpu.CpuSettings;
import org.dfemu.emulator.cpu.Cpus;
import org.dfemu.emulator.cpu.TrapHandler;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.KernelPanic;
import org.dfemu.kernel.vm.StructVmMapEntry;
import org.dfemu.kernel.vm.VmPage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernel's own accesses go through the boot CPU's TLB: each of the pmap's ways of changing a
 * kernel PTE invalidates it, so a page read (and so cached) and then remapped or unmapped reads
 * the new page or faults; a PTE changed with no invalidation is stale, as on hardware, and the
 * TLB check ({@code debug.tlb_check}) catches the hit on it.
 */
class KernelTlbTest {
    private static final long PAGE = Param.PAGE_SIZE;

    private PhysicalMemory ram;
    private Kernel k;
    private KernelMemory km;
    private Pmap pmap;
    private long va;
    private long pa1;
    private long pa2;

    /** Boots a 32M kernel on one boot CPU (checked or not) and maps nothing yet at {@code va}. */
    private void boot(boolean tlbCheck) {
        ram = new PhysicalMemory(32L << 20);
        Cpus cpus = new Cpus(1, ram, CpuSettings.DEFAULT.withTlbCheck(tlbCheck), TrapHandler.FATAL, TraceSink.NONE,
                () -> 0, () -> 0);
        k = new Kernel(ram, cpus, KernelConfig.defaults());
        k.boot();
        km = k.km();
        pmap = k.pmap();
        assertSame(cpus.cpu(0), km.cpu(), "boot context runs on the boot CPU");
        va = k.vmKern().kmemAllocPageable(k.vmMap().kernelMap(), 2 * PAGE, StructVmMapEntry.VM_SUBSYS_KMALLOC);
        assertNotEquals(0, va);
        pa1 = newPage(0x1111_0000_0000_0000L);
        pa2 = newPage(0x2222_0000_0000_0000L);
    }

    @AfterEach
    void tearDown() {
        if (ram != null) ram.close();
    }

    /** A wired page whose words read pattern + word index, through the DMAP. */
    private long newPage(long pattern) {
        long m = k.vmPage().vmPageAlloc(0, 0, VmPage.VM_ALLOC_NORMAL);
        k.vmPage().vmPageWire(m);
        long pa = k.vmPage().VM_PAGE_TO_PHYS(m);
        for (long off = 0; off < PAGE; off += 8) {
            ram.store64(pa + off, pattern + off / 8);
        }
        return pa;
    }

    private void assertMaps(long pa, String how) {
        assertEquals(ram.load64(pa + 8 * 17), km.load64(va + 8 * 17), how + ": a load reads the new page");
        km.store64(va + 8 * 5, 0x5a5aL + pa);
        assertEquals(0x5a5aL + pa, ram.load64(pa + 8 * 5), how + ": a store lands in the new page");
        assertEquals(pa + 8 * 5, km.pa(va + 8 * 5), how);
    }

    private void assertFaults(String how) {
        KernelPanic p = assertThrows(KernelPanic.class, () -> km.load64(va + 8), how);
        assertTrue(p.panicString().startsWith("kernel page fault"), how + ": " + p.panicString());
    }

    @Test
    void aRemappedPageIsReadThroughItsNewPte() {
        boot(true);
        pmap.pmapKenter(va, pa1);
        assertMaps(pa1, "pmap_kenter");
        pmap.pmapKenterQuick(va, pa2);
        assertMaps(pa2, "pmap_kenter_quick over a live mapping");
        pmap.pmapKenter(va, pa1);
        assertMaps(pa1, "pmap_kenter over a live mapping");
        pmap.pmapQenter(va, new long[] {k.vmPage().PHYS_TO_VM_PAGE(pa2)}, 1);
        assertMaps(pa2, "pmap_qenter");
    }

    @Test
    void anUnmappedPageFaultsAfterBeingCached() {
        boot(true);
        pmap.pmapKenter(va, pa1);
        assertMaps(pa1, "pmap_kenter");
        pmap.pmapKremove(va);
        assertFaults("pmap_kremove");

        pmap.pmapKenter(va, pa2);
        assertMaps(pa2, "pmap_kenter after pmap_kremove");
        pmap.pmapKremoveQuick(va);
        assertFaults("pmap_kremove_quick");

        pmap.pmapQenter(va, new long[] {k.vmPage().PHYS_TO_VM_PAGE(pa1), k.vmPage().PHYS_TO_VM_PAGE(pa2)}, 2);
        assertMaps(pa1, "pmap_qenter");
        assertEquals(ram.load64(pa2 + 8 * 3), km.load64(va + PAGE + 8 * 3), "pmap_qenter: second page");
        pmap.pmapQremove(va, 2);
        assertFaults("pmap_qremove");
        assertThrows(KernelPanic.class, () -> km.load64(va + PAGE), "pmap_qremove: second page");
    }

    /** Rewrites va's PTE to map {@code pa} through its DMAP alias: no pmap function, no invalidation. */
    private void remapWithoutInvalidation(long pa) {
        long ptep = pmap.pmapPte(pmap.kernelPmap(), va);
        assertTrue(km.isDmap(ptep));
        km.store64(ptep, (km.load64(ptep) & ~Pmap.PG_FRAME) | pa);
    }

    @Test
    void aPteChangedWithoutInvalidationIsStale() {
        boot(false);
        pmap.pmapKenter(va, pa1);
        assertMaps(pa1, "pmap_kenter");
        remapWithoutInvalidation(pa2);
        assertEquals(ram.load64(pa1 + 8 * 17), km.load64(va + 8 * 17), "the TLB still maps the old page");
        pmap.pmapInvalidateRange(pmap.kernelPmap(), va, va + PAGE);
        assertMaps(pa2, "after the invalidation");
    }

    @Test
    void theTlbCheckCatchesAMissingInvalidation() {
        boot(true);
        pmap.pmapKenter(va, pa1);
        assertMaps(pa1, "pmap_kenter");
        remapWithoutInvalidation(pa2);
        KernelPanic p = assertThrows(KernelPanic.class, () -> km.load64(va + 8 * 17));
        String expected = String.format("panic: cpu0: TLB check: stale translation for kernel read of 0x%016x (cr3 0x%x): "
                + "cached pa 0x%x (4K W X D), page tables pa 0x%x (4K W X D)", va + 8 * 17, pmap.kpml4phys(),
                pa1 + 8 * 17, pa2 + 8 * 17);
        assertEquals(expected, p.getMessage());
    }
}
