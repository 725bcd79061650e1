package org.dfemu.kernel.vm;

import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.machine.Pmap;
import org.dfemu.kernel.sys.StructVmstats;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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

    @Test
    void kmemAllocGivesWiredZeroedMemoryAndKmemFreeReturnsIt() {
        try (TestKernel t = TestKernel.boot(32L << 20)) {
            KernelMemory km = t.kernel.km();
            long vs = t.kernel.vmMeter().vmstats();
            VmKern kern = t.kernel.vmKern();
            long map = t.kernel.vmMap().kernelMap();
            long free0 = StructVmstats.v_free_count(km, vs);
            long wired0 = StructVmstats.v_wire_count(km, vs);
            int entries0 = StructVmMap.nentries(km, map);

            long va = kern.kmemAlloc(map, 3 * PAGE, StructVmMapEntry.VM_SUBSYS_KMALLOC);
            assertNotEquals(0, va);
            assertEquals(wired0 + 3, StructVmstats.v_wire_count(km, vs));
            assertEquals(free0 - 3, StructVmstats.v_free_count(km, vs));
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
            assertEquals(free0, StructVmstats.v_free_count(km, vs));
            assertEquals(wired0, StructVmstats.v_wire_count(km, vs));
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
}
