package org.dfemu.kernel.kern;

import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.KernelPanic;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.sys.StructKmallocUse;
import org.dfemu.kernel.sys.StructMallocType;
import org.dfemu.kernel.sys.StructSLGlobalData;
import org.dfemu.kernel.sys.StructSLZone;
import org.dfemu.kernel.sys.StructVmstats;
import org.dfemu.kernel.vm.StructVmPage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static org.dfemu.kernel.sys.Malloc.M_CACHEALIGN;
import static org.dfemu.kernel.sys.Malloc.M_INTNOWAIT;
import static org.dfemu.kernel.sys.Malloc.M_NULLOK;
import static org.dfemu.kernel.sys.Malloc.M_USE_RESERVE;
import static org.dfemu.kernel.sys.Malloc.M_WAITOK;
import static org.dfemu.kernel.sys.Malloc.M_ZERO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Plain kmalloc in boot context: zone sizing by memory, the malloc types set up at boot, chunk
 * sizes and alignment, zones becoming free, oversized allocations, krealloc, the INVARIANTS
 * double-free check, and what happens when kernel_map has no room (behaviour 7: M_WAITOK without
 * M_NULLOK panics, M_NULLOK and M_INTNOWAIT return NULL, kmalloc_obj panics whatever its flags).
 */
class KmallocTest {
    private static final long MB = 1L << 20;

    private static long freeCount(Kernel k) {
        return TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET);
    }

    @ParameterizedTest(name = "{0} MiB: ZoneSize {1} KiB, ZoneLimit {2} KiB")
    @CsvSource({"64, 32, 8", "96, 64, 16", "160, 128, 16"})
    void zoneSizeFollowsMemory(long mib, int zoneKb, int limitKb) {
        try (TestKernel t = TestKernel.boot(mib * MB)) {
            KernSlaballoc sa = t.kernel.kernSlaballoc();
            assertEquals(zoneKb * 1024, sa.zoneSize());
            assertEquals(limitKb * 1024, sa.zoneLimit());
            assertEquals(-(zoneKb * 1024L), sa.zoneMask());
            assertTrue(t.kernel.dmesg().contains("Slab ZoneSize set to " + zoneKb + "KB"), t.kernel.dmesg().toString());
        }
    }

    @Test
    void bootSetsUpTheTypes() {
        try (TestKernel t = TestKernel.boot(32 * MB)) {
            Kernel k = t.kernel;
            KernelMemory km = k.km();
            KernSlaballoc sa = k.kernSlaballoc();
            long limit = sa.kmemLimSize() * MB / 10;
            List<String> names = new ArrayList<>();
            for (long ty = sa.kmemstatistics(); ty != 0; ty = StructMallocType.ks_next(km, ty)) {
                names.add(StructMallocType.shortdesc(km, ty));
                assertEquals(limit, StructMallocType.ks_limit(km, ty), "ks_limit = limsize / 10");
                assertEquals(StructMallocType.ks_use0(ty), StructMallocType.ks_use(km, ty), "one cpu: ks_use0");
            }
            // malloc_init pushes on the head: the reverse of the definition order.
            assertEquals(List.of("lwp", "proc", "SWAP", "vmspace", "map_backing", "vm_object", "pageout", "objcache mag", "objcache", "thread", "ip6ndp", "ip6opt", "m_drm", "temp", "devbuf", "cache"), names);
            assertTrue(k.dmesg().contains("kmalloc: devbuf: limit " + limit / 1024 + "K"), k.dmesg().toString());
            assertNotEquals(0, sa.zeroPage());
            assertEquals(0, km.load64(sa.zeroPage() + 4088));
        }
    }

    @Test
    void fourCpusGetUseArrays() {
        try (TestKernel t = TestKernel.boot(32 * MB, new KernelConfig(4, 100))) {
            KernelMemory km = t.kernel.km();
            KernSlaballoc sa = t.kernel.kernSlaballoc();
            assertEquals(4, sa.ncpus());
            long devbuf = sa.mDevbuf();
            long use = StructMallocType.ks_use(km, devbuf);
            assertNotEquals(StructMallocType.ks_use0(devbuf), use, "malloc_reinit_ncpus kmalloc'd the array");
            // The array is M_TEMP memory (4 x 192 bytes, chunk 768).
            long temp = sa.mTemp();
            long tempInuse = 0;
            for (int i = 0; i < 4; i++) {
                tempInuse += StructKmallocUse.inuse(km, StructMallocType.ks_use(km, temp, i));
            }
            assertEquals(16, tempInuse, "one use array per type (kern_objcache.c's two included)");
        }
    }

    @Test
    void chunksAreSizedAndAligned() {
        try (TestKernel t = TestKernel.boot(32 * MB)) {
            KernelMemory km = t.kernel.km();
            KernSlaballoc sa = t.kernel.kernSlaballoc();
            long devbuf = sa.mDevbuf();

            long p64 = sa.kmalloc(64, devbuf, M_WAITOK);
            assertEquals(0, p64 % 64, "power-of-2 sizes are aligned to their size");
            long p100a = sa.kmalloc(100, devbuf, M_WAITOK);
            long p100b = sa.kmalloc(100, devbuf, M_WAITOK);
            assertEquals(104, Math.abs(p100b - p100a), "100 bytes: 104-byte chunks, consecutive");
            long c = sa.kmalloc(24, devbuf, M_WAITOK | M_CACHEALIGN);
            assertEquals(0, c % 64, "M_CACHEALIGN");
            long p600 = sa.kmalloc(600, devbuf, M_WAITOK);
            long zone = p600 & sa.zoneMask();
            assertEquals(StructSLZone.ZALLOC_SLAB_MAGIC, StructSLZone.z_Magic(km, zone));
            assertEquals(640, StructSLZone.z_ChunkSize(km, zone));
            assertEquals(640 / 64 + 23, StructSLZone.z_ZoneIndex(km, zone));
            assertEquals(-1, StructVmPage.ku_pagecnt(km, t.kernel.pmap().pmapKvtom(zone)), "-(cpu + 1)");

            assertEquals(KernSlaballoc.ZERO_LENGTH_PTR, sa.kmalloc(0, devbuf, M_WAITOK));
            sa.kfree(KernSlaballoc.ZERO_LENGTH_PTR, devbuf);

            // A freed chunk is reused first (LIFO) and, without M_ZERO, marked by c_Next = -1.
            km.store64(p100b + 8, 0x1234);
            sa.kfree(p100b, devbuf);
            long again = sa.kmalloc(100, devbuf, M_WAITOK);
            assertEquals(p100b, again);
            assertEquals(-1L, km.load64(again));
            sa.kfree(again, devbuf);
            long zeroed = sa.kmalloc(100, devbuf, M_WAITOK | M_ZERO);
            assertEquals(p100b, zeroed);
            for (long off = 0; off < 104; off += 8) {
                assertEquals(0, km.load64(zeroed + off));
            }

            long use = StructMallocType.ks_use(km, devbuf, 0);
            assertEquals(5, StructKmallocUse.inuse(km, use));
            assertEquals(64 + 104 + 64 + 640 + 104, StructKmallocUse.memuse(km, use));
        }
    }

    @Test
    void wholeFreeZonesMoveToFreeZones() {
        try (TestKernel t = TestKernel.boot(32 * MB)) {
            KernelMemory km = t.kernel.km();
            KernSlaballoc sa = t.kernel.kernSlaballoc();
            long devbuf = sa.mDevbuf();
            long slgd = sa.slgd(0);
            // 2048-byte chunks in 32 KiB zones: 15 per zone (the header takes the first chunk).
            List<Long> chunks = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                chunks.add(sa.kmalloc(2048, devbuf, M_WAITOK));
            }
            long z1 = chunks.get(0) & sa.zoneMask();
            long z2 = chunks.get(19) & sa.zoneMask();
            assertNotEquals(z1, z2);
            assertEquals(15, StructSLZone.z_NMax(km, z1));
            int nfree = StructSLGlobalData.NFreeZones(km, slgd);
            for (long c : chunks) {
                sa.kfree(c, devbuf);
            }
            // One zone stays listed for the size class, the other wholly free zone moves.
            assertEquals(nfree + 1, StructSLGlobalData.NFreeZones(km, slgd));
            assertEquals(-1, StructSLZone.z_Magic(km, z1), "the first zone, freed while the second was listed");
            assertEquals(StructSLZone.ZALLOC_SLAB_MAGIC, StructSLZone.z_Magic(km, z2), "the last zone of its class stays");
        }
    }

    @Test
    void oversizedAllocationsUseWholePages() {
        try (TestKernel t = TestKernel.boot(32 * MB)) {
            Kernel k = t.kernel;
            KernelMemory km = k.km();
            KernSlaballoc sa = k.kernSlaballoc();
            long devbuf = sa.mDevbuf();
            // Warm up kernel_map so the page tables for the range exist.
            sa.kfree(sa.kmalloc(64 * 1024, devbuf, M_WAITOK), devbuf);

            long free = freeCount(k);
            long p = sa.kmalloc(64 * 1024, devbuf, M_WAITOK | M_ZERO);
            assertEquals(free - 16, freeCount(k), "16 pages");
            assertEquals(0, p & 4095);
            assertEquals(16, StructVmPage.ku_pagecnt(km, k.pmap().pmapKvtom(p)), "ku_pagecnt");
            for (long off = 0; off < 64 * 1024; off += 4096) {
                assertEquals(0, km.load64(p + off));
            }
            sa.kfree(p, devbuf);
            assertEquals(free, freeCount(k), "kfree gives the pages back");
            assertEquals(0, StructVmPage.ku_pagecnt(km, k.pmap().pmapKvtom(sa.zeroPage())));
        }
    }

    @Test
    void kreallocKeepsTheChunkWhenTheClassDoesNotChange() {
        try (TestKernel t = TestKernel.boot(32 * MB)) {
            KernelMemory km = t.kernel.km();
            KernSlaballoc sa = t.kernel.kernSlaballoc();
            long devbuf = sa.mDevbuf();
            long p = sa.kmalloc(100, devbuf, M_WAITOK);
            km.store64(p, 0x1122334455667788L);
            km.store64(p + 96, 42);
            assertEquals(p, sa.krealloc(p, 104, devbuf, M_WAITOK));
            long q = sa.krealloc(p, 300, devbuf, M_WAITOK);
            assertNotEquals(p, q);
            assertEquals(0x1122334455667788L, km.load64(q));
            assertEquals(42, km.load64(q + 96));
            assertEquals(0, sa.krealloc(q, 0, devbuf, M_WAITOK));
        }
    }

    @Test
    void doubleKfreePanics() {
        try (TestKernel t = TestKernel.boot(32 * MB)) {
            KernSlaballoc sa = t.kernel.kernSlaballoc();
            long devbuf = sa.mDevbuf();
            long p = sa.kmalloc(100, devbuf, M_WAITOK);
            sa.kmalloc(100, devbuf, M_WAITOK);
            sa.kfree(p, devbuf);
            KernelPanic e = assertThrows(KernelPanic.class, () -> sa.kfree(p, devbuf));
            assertEquals(String.format("memory chunk 0x%x is already free!", p), e.panicString());
            KernelPanic n = assertThrows(KernelPanic.class, () -> sa.kfree(0, devbuf));
            assertEquals("trying to free NULL pointer", n.panicString());
        }
    }

    @Test
    void limitExceededPanicsOrReturnsNull() {
        try (TestKernel t = TestKernel.boot(32 * MB)) {
            KernelMemory km = t.kernel.km();
            KernSlaballoc sa = t.kernel.kernSlaballoc();
            long typep = sa.kmalloc(8, sa.mTemp(), M_WAITOK | M_ZERO);
            sa.kmallocCreate(typep, "limited");
            long type = km.load64(typep);
            long limit = StructMallocType.ks_limit(km, type);
            // Oversized allocations fold into ks_loosememuse at once (each is >= ZoneSize).
            long chunk = 1 * MB;
            long n = 0;
            while (n * chunk < limit) {
                assertNotEquals(0, sa.kmalloc(chunk, type, M_WAITOK));
                n++;
            }
            assertEquals(0, sa.kmalloc(64, type, M_WAITOK | M_NULLOK));
            KernelPanic p = assertThrows(KernelPanic.class, () -> sa.kmalloc(64, type, M_WAITOK));
            assertEquals("limited: malloc limit exceeded", p.panicString());
        }
    }

    /** A 64 MiB machine with 32 MiB of KVA, M_DEVBUF allowed all of it. */
    private static TestKernel smallKva() {
        return TestKernel.boot(64 * MB, new KernelConfig(1, 100).withKvaSize(32 * MB));
    }

    @Test
    void waitokWithoutNullokPanicsWhenKvaRunsOut() {
        try (TestKernel t = smallKva()) {
            KernSlaballoc sa = t.kernel.kernSlaballoc();
            long devbuf = sa.mDevbuf();
            long free = freeCount(t.kernel);
            assertEquals(0, sa.kmalloc(48 * MB, devbuf, M_WAITOK | M_NULLOK), "M_NULLOK: NULL");
            assertEquals(0, sa.kmalloc(48 * MB, devbuf, M_INTNOWAIT), "M_INTNOWAIT: NULL");
            assertEquals(free, freeCount(t.kernel), "nothing allocated");
            KernelPanic p = assertThrows(KernelPanic.class, () -> sa.kmalloc(48 * MB, devbuf, M_WAITOK));
            assertEquals("kmem_slab_alloc(): kernel_map ran out of space!", p.panicString());
            KernelPanic q = assertThrows(KernelPanic.class,
                    () -> sa.kmalloc(48 * MB, devbuf, M_WAITOK | M_USE_RESERVE));
            assertEquals("kmem_slab_alloc(): kernel_map ran out of space!", q.panicString());
            // Each of the four found no room in kernel_map (debug.swapmeta.kva_failures).
            assertEquals(4, t.kernel.swapmetaPaths().get(org.dfemu.kernel.harness.report.SwapmetaPaths.KVA_FAILURES));
        }
    }

    @Test
    void kmallocObjPanicsWhenKvaRunsOutWhateverItsFlags() {
        try (TestKernel t = smallKva()) {
            KernelMemory km = t.kernel.km();
            KernSlaballoc sa = t.kernel.kernSlaballoc();
            KernKmalloc ko = t.kernel.kernKmalloc();
            long devbuf = sa.mDevbuf();
            long typep = sa.kmalloc(8, sa.mTemp(), M_WAITOK | M_ZERO);
            sa._kmallocCreateObj(typep, "swapmeta", 320);
            long zone = km.load64(typep);

            // Eat kernel_map in 1 MiB, then 64 KiB pieces until no 64 KiB fit (M_NULLOK: NULL).
            sa.kmallocRaiseLimit(devbuf, 0);
            int pieces = 0;
            while (sa.kmalloc(MB, devbuf, M_WAITOK | M_NULLOK) != 0) {
                pieces++;
            }
            assertTrue(pieces > 8 && pieces < 32, "pieces " + pieces);
            while (sa.kmalloc(64 * 1024, devbuf, M_WAITOK | M_NULLOK) != 0) {
                pieces++;
            }
            assertEquals(0, sa.kmalloc(64 * 1024, devbuf, M_INTNOWAIT), "plain kmalloc M_INTNOWAIT: NULL");

            // kmalloc_obj needs a new 128 KiB slab: kmem_slab_alloc(..., M_WAITOK), whatever
            // the caller asked, and M_WAITOK without M_NULLOK panics.
            KernelPanic p = assertThrows(KernelPanic.class, () -> ko.kmallocObj(320, zone, M_INTNOWAIT));
            assertEquals("kmem_slab_alloc(): kernel_map ran out of space!", p.panicString());
        }
    }
}
