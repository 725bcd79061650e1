package org.dfemu.kernel.machine;

import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.KernelPanic;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.vm.StructVmMapEntry;
import org.dfemu.kernel.vm.VmPage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * KernelMemory's kernel_map translation cache never answers with a translation the kernel page
 * tables no longer hold: a KVA page read (and so cached) and then remapped by each of the pmap's
 * ways of changing a kernel PTE, with or without its invalidation, reads the new page, and an
 * unmapped one faults as it did before the cache.
 */
class KvaTranslationCacheTest {
    private static final long PAGE = Param.PAGE_SIZE;

    private TestKernel t;
    private Kernel k;
    private KernelMemory km;
    private Pmap pmap;
    private long va;
    private long pa1;
    private long pa2;

    @BeforeEach
    void setUp() {
        t = TestKernel.boot(32L << 20);
        k = t.kernel;
        km = k.km();
        pmap = k.pmap();
        va = k.vmKern().kmemAllocPageable(k.vmMap().kernelMap(), 2 * PAGE, StructVmMapEntry.VM_SUBSYS_KMALLOC);
        assertNotEquals(0, va);
        pa1 = newPage(0x1111_0000_0000_0000L);
        pa2 = newPage(0x2222_0000_0000_0000L);
    }

    @AfterEach
    void tearDown() {
        t.close();
    }

    /** A wired page whose words read pattern + word index, through the DMAP. */
    private long newPage(long pattern) {
        long m = k.vmPage().vmPageAlloc(0, 0, VmPage.VM_ALLOC_NORMAL);
        k.vmPage().vmPageWire(m);
        long pa = k.vmPage().VM_PAGE_TO_PHYS(m);
        for (long off = 0; off < PAGE; off += 8) {
            t.ram.store64(pa + off, pattern + off / 8);
        }
        return pa;
    }

    private void assertMaps(long pa, String how) {
        assertEquals(t.ram.load64(pa + 8 * 17), km.load64(va + 8 * 17), how + ": a load reads the new page");
        km.store64(va + 8 * 5, 0x5a5aL + pa);
        assertEquals(0x5a5aL + pa, t.ram.load64(pa + 8 * 5), how + ": a store lands in the new page");
        assertEquals(pa + 8 * 5, km.pa(va + 8 * 5), how);
    }

    private void assertFaults(String how) {
        KernelPanic p = assertThrows(KernelPanic.class, () -> km.load64(va + 8), how);
        assertTrue(p.panicString().startsWith("kernel page fault"), how + ": " + p.panicString());
    }

    @Test
    void aRemappedPageIsReadThroughItsNewPte() {
        pmap.pmapKenter(va, pa1);
        assertMaps(pa1, "pmap_kenter");
        km.load64(va);                                  // cached now
        pmap.pmapKenterQuick(va, pa2);
        assertMaps(pa2, "pmap_kenter_quick over a live mapping");
        pmap.pmapKenter(va, pa1);
        assertMaps(pa1, "pmap_kenter over a live mapping");
        pmap.pmapQenter(va, new long[] {k.vmPage().PHYS_TO_VM_PAGE(pa2)}, 1);
        assertMaps(pa2, "pmap_qenter");
        // A PTE rewritten through its DMAP alias with no pmap function and no invalidation at all
        // (as a *_noinval caller's window before its pmap_invalidate_range): the cache re-reads
        // the PTE, so even then it is never stale.
        long ptep = pmap.pmapPte(pmap.kernelPmap(), va);
        assertTrue(km.isDmap(ptep));
        km.store64(ptep, (km.load64(ptep) & ~Pmap.PG_FRAME) | pa1);
        assertMaps(pa1, "PTE store through the DMAP");
    }

    @Test
    void anUnmappedPageFaultsAfterBeingCached() {
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
        assertEquals(t.ram.load64(pa2 + 8 * 3), km.load64(va + PAGE + 8 * 3), "pmap_qenter: second page");
        pmap.pmapQremove(va, 2);
        assertFaults("pmap_qremove");
        assertThrows(KernelPanic.class, () -> km.load64(va + PAGE), "pmap_qremove: second page");
    }

    @Test
    void pagesSharingACacheSlotEvictEachOther() {
        // Two pages KVA_CACHE_SLOTS pages apart use the same slot: alternating between them must
        // each time give the page's own contents.
        long span = (long) KernelMemory.KVA_CACHE_SLOTS * PAGE;
        long far = k.vmKern().kmemAllocPageable(k.vmMap().kernelMap(), 2 * span, StructVmMapEntry.VM_SUBSYS_KMALLOC);
        assertNotEquals(0, far);
        long a = far;
        long b = far + span;
        pmap.pmapKenter(a, pa1);
        pmap.pmapKenter(b, pa2);
        for (int i = 0; i < 3; i++) {
            assertEquals(t.ram.load64(pa1 + 8), km.load64(a + 8));
            assertEquals(t.ram.load64(pa2 + 8), km.load64(b + 8));
        }
        pmap.pmapKremove(a);
        assertEquals(t.ram.load64(pa2 + 8), km.load64(b + 8));
        assertThrows(KernelPanic.class, () -> km.load64(a + 8));
    }
}
