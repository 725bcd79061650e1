package org.dfemu.kernel.vm;

import org.dfemu.kernel.harness.check.PmapCheck;
import org.dfemu.emulator.sched.ThreadInfo;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.KernelPanic;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.sys.StructGlobaldata;
import org.dfemu.kernel.sys.StructVmstats;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** zalloc (vm_zone.c, May 2021) as docs/dragonfly-map.md §3 describes it. */
class VmZoneTest {
    private static final long MB = 1L << 20;
    private static final long PAGE = 4096;

    private static long freeCount(Kernel k) {
        return TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET);
    }

    /** Allocates free pages with VM_ALLOC_INTERRUPT until only {@code leave} remain. */
    private static List<Long> drainFreePages(Kernel k, long leave) {
        List<Long> pages = new ArrayList<>();
        while (freeCount(k) > leave) {
            long m = k.vmPage().vmPageAlloc(0, pages.size(), VmPage.VM_ALLOC_INTERRUPT | VmPage.VM_ALLOC_SYSTEM);
            assertNotEquals(0, m);
            pages.add(m);
        }
        return pages;
    }

    private static void freePages(Kernel k, List<Long> pages) {
        for (long m : pages) {
            k.vmPage2().vmPageFree(m);
        }
    }

    /**
     * With v_free_count == 1 a ZONE_INTERRUPT zone still makes progress: zalloc takes the last
     * page (VM_ALLOC_INTERRUPT) and hands out floor(4096/zsize) items from it, without sleeping
     * and without touching KVA, kernel_map or map entries; with no free page left it returns NULL.
     */
    @Test
    void interruptZoneMakesProgressWithOneFreePage() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 1, 11)) {
            Kernel k = mk.kernel;
            KernelMemory km = k.km();
            mk.thread("zonetest", 0, () -> {
                VmZone vz = k.vmZone();
                long z = vz.zinit("TESTMETA", 304, 10_000, StructVmZone.ZONE_INTERRUPT);
                assertNotEquals(0, z);
                long zsize = StructVmZone.zsize(km, z);
                assertEquals(320, zsize, "304 rounded up to ZONE_ROUNDING");

                // Take the items zalloc can hand out without calling zget().
                List<Long> items = new ArrayList<>();
                long pcpu = StructVmZone.zpcpu(z, 0);
                while (StructVmZpcpu.zfreecnt(km, pcpu) > 0
                        || StructVmZone.zfreecnt(km, z) > StructVmZone.zfreemin(km, z)) {
                    items.add(vz.zalloc(z));
                }
                long left = vz.zfreeTotal(z);

                List<Long> drained = drainFreePages(k, 1);
                long map = k.vmMap().kernelMap();
                int nentries = StructVmMap.nentries(km, map);
                long mapSize = StructVmMap.size(km, map);
                long kvmEnd = k.pmap().kernelVmEnd();
                long gd = k.globaldata().mycpu();
                int vmeAvail = StructGlobaldata.gd_vme_avail(km, gd);
                long pages0 = StructVmZone.zpagecount(km, z);
                long total0 = StructVmZone.ztotal(km, z);

                long got = 0;
                long item;
                while ((item = vz.zalloc(z)) != 0) {
                    items.add(item);
                    got++;
                }
                assertEquals(left + PAGE / zsize, got, "the leftover items plus one page's worth");
                assertEquals(0, freeCount(k), "the zone took the last free page");
                assertEquals(pages0 + 1, StructVmZone.zpagecount(km, z));
                assertEquals(total0 + PAGE / zsize, StructVmZone.ztotal(km, z));
                assertEquals(0, vz.zalloc(z), "no free page: NULL, not a panic or a sleep");
                assertEquals(nentries, StructVmMap.nentries(km, map), "no map entry used");
                assertEquals(mapSize, StructVmMap.size(km, map), "no KVA allocated");
                assertEquals(kvmEnd, k.pmap().kernelVmEnd(), "no kernel page table grown");
                assertEquals(vmeAvail, StructGlobaldata.gd_vme_avail(km, gd), "no map entry reserved");

                // zfree never gives pages back to the VM.
                long pagesNow = StructVmZone.zpagecount(km, z);
                for (long it : items) {
                    vz.zfree(z, it);
                }
                assertEquals(0, freeCount(k));
                assertEquals(pagesNow, StructVmZone.zpagecount(km, z));
                freePages(k, drained);
            });
            mk.run();
            ThreadInfo t = mk.machine.scheduler().threads().stream().filter(ti -> ti.name().equals("zonetest")).findFirst().orElseThrow();
            assertEquals(1, t.switches(), "the thread never gave up the CPU: zalloc on an interrupt zone never sleeps");
        }
    }

    /** The reserved KVA bounds the zone: at zpagecount == zpagemax zalloc fails with pages free. */
    @Test
    void interruptZoneFailsWhenItsKvaIsUsedUp() {
        try (TestKernel t = TestKernel.boot(32 * MB)) {
            Kernel k = t.kernel;
            KernelMemory km = k.km();
            VmZone vz = k.vmZone();
            long z = vz.zinit("SMALL", 320, 24, StructVmZone.ZONE_INTERRUPT);
            assertEquals(2, StructVmZone.zpagemax(km, z), "round_page(24 * 320) is 2 pages");
            assertEquals(2, StructVmZone.zpagecount(km, z), "populated at creation, clamped to zpagemax");
            long n = 0;
            while (vz.zalloc(z) != 0) {
                n++;
            }
            assertEquals(2 * PAGE / 320, n);
            long free = freeCount(k);
            assertEquals(0, vz.zalloc(z));
            assertEquals(free, freeCount(k), "pages taken past zpagemax are given back");
            assertTrue(free > 1000);
            assertTrue(vz.sysctlVmZone().contains("SMALL:        000320, 00000024, 000025, 000000, 00000026"),
                    vz.sysctlVmZone().toString());
        }
    }

    @Test
    void panicfailZonePanicsInsteadOfReturningNull() {
        try (TestKernel t = TestKernel.boot(32 * MB)) {
            VmZone vz = t.kernel.vmZone();
            long z = vz.zinit("PANICKY", 320, 24, StructVmZone.ZONE_INTERRUPT | StructVmZone.ZONE_PANICFAIL);
            for (int i = 0; i < 25; i++) {
                vz.zalloc(z);
            }
            KernelPanic p = assertThrows(KernelPanic.class, () -> vz.zalloc(z));
            assertEquals("zalloc(PANICKY) failed", p.panicString());
        }
    }

    /** Items are type stable: only the first two words change while an item is free. */
    @Test
    void itemsAreTypeStableAndDoubleFreesPanicUnderInvariants() {
        try (TestKernel t = TestKernel.boot(32 * MB)) {
            KernelMemory km = t.kernel.km();
            VmZone vz = t.kernel.vmZone();
            long z = vz.zinit("STABLE", 64, 1000, StructVmZone.ZONE_INTERRUPT);
            long item = vz.zalloc(z);
            assertEquals(0, km.load64(item + 8), "ZENTRY_FREE cleared on allocation");
            km.store64(item + 16, 0xfeedL);
            vz.zfree(z, item);
            assertEquals(VmZone.ZENTRY_FREE, km.load64(item + 8));
            assertEquals(0xfeedL, km.load64(item + 16), "data past the first two words survives the free");
            KernelPanic p = assertThrows(KernelPanic.class, () -> vz.zfree(z, item));
            assertEquals("zone: freeing free entry", p.panicString());
        }
    }

    @Test
    void withoutInvariantsNoMarkerIsWritten() {
        try (TestKernel t = TestKernel.boot(32 * MB, new KernelConfig(1, 100).setenv(Kernel.KERN_INVARIANTS.name(), "0"))) {
            KernelMemory km = t.kernel.km();
            VmZone vz = t.kernel.vmZone();
            long z = vz.zinit("PLAIN", 64, 1000, StructVmZone.ZONE_INTERRUPT);
            long item = vz.zalloc(z);
            km.store64(item + 8, 0x77L);
            vz.zfree(z, item);
            assertEquals(0x77L, km.load64(item + 8));
            assertEquals(item, vz.zalloc(z), "the per-cpu cache is LIFO");
        }
    }

    /** A normal zone refills with kmem_alloc3: 32 wired pages of kernel_map per zget. */
    @Test
    void normalZoneRefillsFromKernelMap() {
        try (TestKernel t = TestKernel.boot(32 * MB)) {
            Kernel k = t.kernel;
            KernelMemory km = k.km();
            VmZone vz = k.vmZone();
            long map = k.vmMap().kernelMap();
            plugSmallHoles(k, map, 64 * PAGE);
            long z = vz.zinit("NORMAL", 100, 0, 0);
            int entries = StructVmMap.nentries(km, map);
            long mapSize = StructVmMap.size(km, map);
            long kernPages = k.sysctl().read("vm.zone_kern_pages");
            long item = vz.zalloc(z);
            assertNotEquals(0, item);
            assertEquals(32 * PAGE / 128, StructVmZone.ztotal(km, z));
            assertEquals(kernPages + 32, k.sysctl().read("vm.zone_kern_pages"));
            assertEquals(mapSize + 32 * PAGE, StructVmMap.size(km, map));
            // The refill lands right after the zone header (also kmem_alloc'ed, wired, ZALLOC):
            // vm_map_wire's unclip simplifies the two kernel_object entries into one.
            assertEquals(entries, StructVmMap.nentries(km, map));
            new PmapCheck(k).assertKernel();
        }
    }

    /**
     * Fills kernel_map's free holes smaller than {@code bytes} (below the first larger one) with
     * one-page VM_SUBSYS_BUF entries, which merge with none of boot's, so that the next
     * kmem_alloc lands in front of at least {@code bytes} of free space: where boot's allocations
     * left holes depends on everything boot allocates, and the test is about what follows the
     * zone header, not about those holes.
     */
    private static void plugSmallHoles(Kernel k, long map, long bytes) {
        KernelMemory km = k.km();
        for (;;) {
            long va = k.vmKern().kmemAlloc(map, PAGE, StructVmMapEntry.VM_SUBSYS_BUF);
            long[] e = new long[1];
            k.vmMap().vmMapLock(map);
            boolean taken = k.vmMap().vmMapLookupEntry(map, va + PAGE, e);
            long next = taken ? 0 : k.vmMap().vmMapRbTree().rbNext(e[0]);
            k.vmMap().vmMapUnlock(map);
            long room = taken ? 0 : (next == 0 ? StructVmMap.max_addr(km, map) : StructVmMapEntry.start(km, next)) - (va + PAGE);
            if (room >= bytes) {
                k.vmKern().kmemFree(map, va, PAGE);
                return;
            }
        }
    }

    /**
     * The MAP ENTRY zone (ZONE_SPECIAL) outlives its boot items: its refill takes map entries
     * from the per-cpu kreserve instead of recursing into itself.
     */
    @Test
    void mapEntryZoneRefillsWithoutRecursion() {
        try (TestKernel t = TestKernel.boot(32 * MB)) {
            Kernel k = t.kernel;
            KernelMemory km = k.km();
            long mapentzone = k.vmMap().mapentzone();
            long total0 = StructVmZone.ztotal(km, mapentzone);
            assertEquals(VmMap.MAX_MAPENT, total0);
            long map = k.vmMap().kernelMap();
            int n = 0;
            while (StructVmZone.ztotal(km, mapentzone) == total0) {
                // Alternating ids keep vm_map_insert from coalescing the entries.
                long va = k.vmKern().kmemAllocPageable(map, PAGE, 1 + (n % 2));
                assertNotEquals(0, va);
                n++;
            }
            assertTrue(n > VmMap.MAX_MAPENT - 100, "the boot items went first: " + n);
            assertEquals(total0 + 32 * PAGE / StructVmMapEntry.SIZEOF, StructVmZone.ztotal(km, mapentzone));
            assertTrue(StructGlobaldata.gd_vme_avail(km, k.globaldata().mycpu()) >= 0);
            assertNotEquals(0, k.vmKern().kmemAllocPageable(map, PAGE, 3));
        }
    }

    @Test
    void bootCreatesTheMapEntryAndPvEntryZones() {
        try (TestKernel t = TestKernel.boot(32 * MB)) {
            List<String> z = t.kernel.vmZone().sysctlVmZone();
            assertEquals("ITEM            SIZE     LIMIT    USED    FREE  REQUESTS", z.get(0));
            assertTrue(z.stream().anyMatch(l -> l.startsWith("PV ENTRY:     000064, ")), z.toString());
            assertTrue(z.stream().anyMatch(l -> l.startsWith("MAP ENTRY:    000136, 00000000, ")), z.toString());
        }
    }
}
