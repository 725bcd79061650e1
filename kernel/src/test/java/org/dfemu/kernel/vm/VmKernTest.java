package org.dfemu.kernel.vm;

import org.dfemu.kernel.harness.check.VmPageQueueCheck;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.KernelPanic;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.machine.Pmap;
import org.dfemu.kernel.harness.check.PmapCheck;
import org.dfemu.kernel.sys.StructVmstats;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** kernel_map and the kmem_alloc family (vm_kern.c), in boot context. */
class VmKernTest {
    private static final long PAGE = 4096;

    @Test
    void bootLogShowsMemoryAndZones() {
        try (TestKernel t = TestKernel.boot(32L << 20)) {
            List<String> dmesg = t.kernel.dmesg();
            assertTrue(dmesg.stream().anyMatch(l -> l.equals("real memory  = 33554432 (32 MB)")), dmesg.toString());
            assertTrue(dmesg.stream().anyMatch(l -> l.startsWith("avail memory = ")), dmesg.toString());
            assertTrue(dmesg.stream().anyMatch(l -> l.startsWith("zone MAP ENTRY:")), dmesg.toString());
            assertTrue(dmesg.stream().anyMatch(l -> l.startsWith("zone PV ENTRY:") && l.contains("ZONE_INTERRUPT")),
                    dmesg.toString());
        }
    }

    /**
     * The map-entry id of the ranges whose entry counts the tests follow: one no boot allocation
     * uses, so that vm_map_simplify_entry cannot merge them with boot's wired VM_SUBSYS_KMALLOC
     * entries (the ZeroPage, the kmalloc zones), whose layout moves whenever boot allocates more.
     */
    private static final int TEST_SUBSYS = StructVmMapEntry.VM_SUBSYS_BUF;

    @Test
    void kmemAllocGivesWiredZeroedMemoryAndKmemFreeReturnsIt() {
        try (TestKernel t = TestKernel.boot(32L << 20)) {
            KernelMemory km = t.kernel.km();
            long vs = t.kernel.vmMeter().vmstats();
            VmKern kern = t.kernel.vmKern();
            long map = t.kernel.vmMap().kernelMap();
            long free0 = TestKernel.trueCount(t.kernel, StructVmstats.v_free_count$OFFSET);
            long wired0 = TestKernel.trueCount(t.kernel, StructVmstats.v_wire_count$OFFSET);
            int entries0 = StructVmMap.nentries(km, map);

            long va = kern.kmemAlloc(map, 3 * PAGE, TEST_SUBSYS);
            assertNotEquals(0, va);
            assertEquals(wired0 + 3, TestKernel.trueCount(t.kernel, StructVmstats.v_wire_count$OFFSET));
            assertEquals(free0 - 3, TestKernel.trueCount(t.kernel, StructVmstats.v_free_count$OFFSET));
            for (long off = 0; off < 3 * PAGE; off += 8) {
                assertEquals(0, km.load64(va + off));
            }
            km.store64(va + 2 * PAGE + 8, 0x1122334455667788L);
            assertEquals(0x1122334455667788L, km.load64(va + 2 * PAGE + 8));
            Pmap pmap = t.kernel.pmap();
            long m = pmap.pmapKvtom(va + 2 * PAGE);
            assertEquals(1, StructVmPage.wire_count(km, m));
            assertEquals(entries0 + 1, StructVmMap.nentries(km, map));

            kern.kmemFree(map, va, 3 * PAGE);
            assertEquals(free0, TestKernel.trueCount(t.kernel, StructVmstats.v_free_count$OFFSET));
            assertEquals(wired0, TestKernel.trueCount(t.kernel, StructVmstats.v_wire_count$OFFSET));
            assertEquals(entries0, StructVmMap.nentries(km, map));
            VmPageQueueCheck.assertConsistent(t.kernel);
        }
    }

    @Test
    void kvaExhaustionIsObservable() {
        long kva = 64L << 20;
        try (TestKernel t = TestKernel.boot(32L << 20, KernelConfig.defaults().withKvaSize(kva))) {
            KernelMemory km = t.kernel.km();
            VmKern kern = t.kernel.vmKern();
            long map = t.kernel.vmMap().kernelMap();
            assertEquals(kva, t.kernel.pmap().kvaSize());
            long chunk = 4L << 20;
            int n = 0;
            long last = -1;
            while ((last = kern.kmemAllocPageable(map, chunk, StructVmMapEntry.VM_SUBSYS_KMALLOC)) != 0) {
                n++;
            }
            assertEquals(0, last);
            assertTrue(n > 0 && (long) n * chunk <= kva, "allocated " + n + " chunks of 4 MiB in 64 MiB of KVA");
            // Whatever is left is smaller than a chunk.
            assertTrue(StructVmMap.size(km, map) > kva - chunk);
        }
    }

    /**
     * KVA past the preallocated page tables gets kernel page tables from pmap_growkernel(): PT
     * pages (wired) and, past the preallocated PD page's gigabyte, a PD page, all from
     * vm_page_alloc; kernel_vm_end follows, and the new KVA is usable through pmap_kenter.
     */
    @Test
    void kernelPageTablesGrowWithKernelMap() {
        try (TestKernel t = TestKernel.boot(32L << 20, KernelConfig.defaults().withKvaSize(4L << 30))) {
            Kernel k = t.kernel;
            KernelMemory km = k.km();
            long vs = k.vmMeter().vmstats();
            Pmap pmap = k.pmap();
            long end0 = pmap.kernelVmEnd();
            long prealloc = pmap.kvaStart() + pmap.nkptphys() * (2L << 20);
            long free0 = TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET);
            long wired0 = TestKernel.trueCount(k, StructVmstats.v_wire_count$OFFSET);

            long size = 1536L << 20;
            long va = k.vmKern().kmemAllocPageable(k.vmMap().kernelMap(), size, StructVmMapEntry.VM_SUBSYS_KMALLOC);
            assertNotEquals(0, va);
            long top = va + size;
            assertTrue(Long.compareUnsigned(pmap.kernelVmEnd(), top) >= 0, "kernel_vm_end covers the new range");
            assertTrue(Long.compareUnsigned(end0, top) < 0);
            long newPts = (top - prealloc + (2L << 20) - 1) / (2L << 20);
            long taken = free0 - TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET);
            assertEquals(newPts, TestKernel.trueCount(k, StructVmstats.v_wire_count$OFFSET) - wired0, "one wired PT page per new 2 MiB");
            assertEquals(newPts + 1, taken, "plus one PD page for the second gigabyte (not wired, as in the C)");
            new PmapCheck(k).assertKernel();

            // The last page of the new KVA is usable.
            long m = k.vmPage().vmPageAlloc(0, 0, VmPage.VM_ALLOC_NORMAL);
            k.vmPage().vmPageWire(m);
            long last = top - PAGE;
            pmap.pmapKenter(last, k.vmPage().VM_PAGE_TO_PHYS(m));
            km.store64(last + 8, 0xabcdL);
            assertEquals(0xabcdL, km.load64(last + 8));
            assertEquals(k.vmPage().VM_PAGE_TO_PHYS(m), pmap.pmapKextract(last));
            new PmapCheck(k).assertKernel();
            pmap.pmapKremove(last);
            KernelPanic p = assertThrows(KernelPanic.class, () -> km.load64(last));
            assertTrue(p.panicString().startsWith("kernel page fault"), p.panicString());
        }
    }

    /** pmap_growkernel() cannot wait: with no free page it panics, as in DragonFly. */
    @Test
    void growkernelPanicsWithoutMemory() {
        try (TestKernel t = TestKernel.boot(32L << 20, KernelConfig.defaults().withKvaSize(4L << 30))) {
            Kernel k = t.kernel;
            KernelMemory km = k.km();
            long vs = k.vmMeter().vmstats();
            while (TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET) > 0) {
                assertNotEquals(0, k.vmPage().vmPageAlloc(0, 0, VmPage.VM_ALLOC_INTERRUPT));
            }
            KernelPanic p = assertThrows(KernelPanic.class, () -> k.vmKern().kmemAllocPageable(
                    k.vmMap().kernelMap(), 1L << 30, StructVmMapEntry.VM_SUBSYS_KMALLOC));
            assertEquals("pmap_growkernel: no memory to grow kernel", p.panicString());
        }
    }

    /**
     * Two kmem_alloc'ed ranges side by side become one map entry (vm_map_wire simplifies them);
     * freeing one of them clips the entry and frees only its pages.
     */
    @Test
    void kmemFreeOfHalfAMergedEntryClipsIt() {
        try (TestKernel t = TestKernel.boot(32L << 20)) {
            Kernel k = t.kernel;
            KernelMemory km = k.km();
            long vs = k.vmMeter().vmstats();
            long map = k.vmMap().kernelMap();
            VmKern kern = k.vmKern();
            int entries0 = StructVmMap.nentries(km, map);
            long a = kern.kmemAlloc(map, 2 * PAGE, TEST_SUBSYS);
            long b = kern.kmemAlloc(map, 2 * PAGE, TEST_SUBSYS);
            assertEquals(a + 2 * PAGE, b);
            assertEquals(entries0 + 1, StructVmMap.nentries(km, map), "merged");
            km.store64(b + 8, 77);
            long free = TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET);
            kern.kmemFree(map, a, 2 * PAGE);
            assertEquals(free + 2, TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET));
            assertEquals(entries0 + 1, StructVmMap.nentries(km, map), "split, then the front part deleted");
            assertEquals(77, km.load64(b + 8), "the other half is still mapped and wired");
            new PmapCheck(k).assertKernel();
            kern.kmemFree(map, b, 2 * PAGE);
            assertEquals(free + 4, TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET));
            assertEquals(entries0, StructVmMap.nentries(km, map));
            VmPageQueueCheck.assertConsistent(k);
        }
    }
}
