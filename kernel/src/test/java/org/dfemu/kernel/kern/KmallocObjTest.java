package org.dfemu.kernel.kern;

import org.dfemu.kernel.harness.report.MallocStats;

import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.KernelPanic;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.sys.StructKmallocMgt;
import org.dfemu.kernel.sys.StructKmallocSlab;
import org.dfemu.kernel.sys.StructKmallocUse;
import org.dfemu.kernel.sys.StructMallocType;
import org.dfemu.kernel.sys.StructVmstats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.dfemu.kernel.sys.Malloc.M_INTNOWAIT;
import static org.dfemu.kernel.sys.Malloc.M_NOWAIT;
import static org.dfemu.kernel.sys.Malloc.M_WAITOK;
import static org.dfemu.kernel.sys.Malloc.M_ZERO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kmalloc_obj in boot context: the slab geometry of malloc_mgt_init(), slab rotation through
 * active, alternate and the zone's partial/full/empty lists step by step as _kmalloc_obj() does
 * it, kfree_obj() recording frees without moving anything, the double-free check, and the
 * vmstat -m view of a zone.
 *
 * <p>The zones here use 8192-byte objects: (131072 - 352) / 8200 = 15 objects per slab, so a
 * handful of calls walks a slab through every list.
 */
class KmallocObjTest {
    private static final long MB = 1L << 20;
    private static final int PER_SLAB = 15;

    private TestKernel t;
    private Kernel k;
    private KernelMemory km;
    private KernSlaballoc sa;
    private KernKmalloc ko;

    @BeforeEach
    void boot() {
        t = TestKernel.boot(32 * MB);
        k = t.kernel;
        km = k.km();
        sa = k.kernSlaballoc();
        ko = k.kernKmalloc();
    }

    @AfterEach
    void close() {
        t.close();
    }

    /** _kmalloc_create_obj() into a fresh M_TEMP word; returns the zone. */
    private long createZone(String name, long objsize) {
        long typep = sa.kmalloc(8, sa.mTemp(), M_WAITOK | M_ZERO);
        sa._kmallocCreateObj(typep, name, objsize);
        long type = km.load64(typep);
        assertNotEquals(0, type);
        return type;
    }

    private long mgt(long type) {
        return StructKmallocUse.mgt(StructMallocType.ks_use(km, type, 0));
    }

    private long active(long type) { return StructKmallocMgt.active(km, mgt(type)); }

    private long alternate(long type) { return StructKmallocMgt.alternate(km, mgt(type)); }

    private List<Long> list(long type, long fieldOffset) {
        List<Long> out = new ArrayList<>();
        for (long s = km.load64(StructMallocType.ks_mgt(type) + fieldOffset); s != 0; s = StructKmallocSlab.next(km, s)) {
            out.add(s);
        }
        return out;
    }

    private List<Long> partial(long type) { return list(type, StructKmallocMgt.partial$OFFSET); }

    private List<Long> full(long type) { return list(type, StructKmallocMgt.full$OFFSET); }

    private List<Long> empty(long type) { return list(type, StructKmallocMgt.empty$OFFSET); }

    private long ggm(long type) { return StructMallocType.ks_mgt(type); }

    private static long slabOf(long obj) { return obj & ~StructKmallocSlab.KMALLOC_SLAB_MASK; }

    private long[] alloc(long type, int n, int flags) {
        long[] objs = new long[n];
        for (int i = 0; i < n; i++) {
            objs[i] = ko.kmallocObj(8192, type, flags);
            assertNotEquals(0, objs[i]);
        }
        return objs;
    }

    private long freeCount() {
        return TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET);
    }

    @ParameterizedTest(name = "{0}-byte objects: {1} per slab, first at {2}")
    @CsvSource({
            "320, 398, 3584",      // docs/dragonfly-map.md §5.2
            "64, 1815, 14912",     // ... and the last object ends exactly at 128 KiB
            "8192, 15, 512",
            "100, 961, 8064",      // kmalloc_obj rounds 100 up to 128; 8064 + 961 * 128 = 128 KiB
            "65536, 1, 384",
    })
    void objectsPerSlab(long objsize, long count, long offset) {
        long type = createZone("geom", objsize);
        long ggm = ggm(type);
        assertEquals(count, StructKmallocMgt.slab_count(km, ggm), "slab_count");
        assertEquals(offset, StructKmallocMgt.slab_offset(km, ggm), "slab_offset");
        assertEquals(count, StructKmallocMgt.slab_count(km, mgt(type)), "the per-cpu mgt agrees");
        // The geometry, derived independently: fobjs[] after the 352-byte header, objects from the
        // next cache line on, all inside the slab.
        long objsz = (objsize + 63) & ~63L;
        assertEquals((131072 - 352) / (objsz + 8), count);
        assertEquals((352 + count * 8 + 63) & ~63L, offset);
        assertTrue(offset + count * objsz <= 131072);
    }

    @Test
    void rotationFollowsTheC() {
        long type = createZone("rot", 8192);
        long dummy = ko.kslabDummy();
        assertEquals(dummy, active(type));
        assertEquals(dummy, alternate(type));

        // First allocation: nothing anywhere, so a new slab A becomes active, the dummy alternate.
        long[] a = alloc(type, PER_SLAB, M_WAITOK);
        long slabA = slabOf(a[0]);
        for (long o : a) {
            assertEquals(slabA, slabOf(o));
        }
        assertEquals(slabA, active(type));
        assertEquals(dummy, alternate(type));
        assertEquals(List.of(), empty(type));

        // A exhausted: new slab B; A moves to alternate, the dummy is not listed anywhere.
        long[] b = alloc(type, PER_SLAB, M_NOWAIT);
        long slabB = slabOf(b[0]);
        assertNotEquals(slabA, slabB);
        assertEquals(slabB, active(type));
        assertEquals(slabA, alternate(type));
        assertEquals(List.of(), empty(type));

        // Both exhausted: new slab C; the old alternate A goes to the tail of G(empty).
        long[] c = alloc(type, 1, M_INTNOWAIT);
        long slabC = slabOf(c[0]);
        assertEquals(slabC, active(type));
        assertEquals(slabB, alternate(type));
        assertEquals(List.of(slabA), empty(type));
        assertEquals(1, StructKmallocMgt.nempty(km, ggm(type)));

        // A free into A is only recorded: A stays on empty.
        ko.kfreeObj(a[3], type);
        assertEquals(List.of(slabA), empty(type));
        assertEquals(List.of(), partial(type));

        // Exhaust C; the next allocation finds nothing in partial/full, polls empty (A has one
        // object: to partial), rotates A in: alternate C, the old alternate B to empty.
        alloc(type, PER_SLAB - 1, M_WAITOK);
        long again = ko.kmallocObj(8192, type, M_WAITOK);
        assertEquals(a[3], again, "the freed object comes back");
        assertEquals(slabA, active(type));
        assertEquals(slabC, alternate(type));
        assertEquals(List.of(slabB), empty(type));
        assertEquals(List.of(), partial(type));
        assertEquals(0, StructKmallocMgt.npartial(km, ggm(type)));

        // Free all of B (on empty) and one object of C (the alternate). The next allocation:
        // active A is exhausted, alternate C has one object: swap, allocate from C.
        for (long o : b) {
            ko.kfreeObj(o, type);
        }
        ko.kfreeObj(c[0], type);
        assertEquals(c[0], ko.kmallocObj(8192, type, M_WAITOK));
        assertEquals(slabC, active(type));
        assertEquals(slabA, alternate(type));

        // Both exhausted again: poll moves B (every object free) to full; full rotates in, and
        // the old alternate A goes to empty.
        long fromB = ko.kmallocObj(8192, type, M_WAITOK);
        assertEquals(slabB, slabOf(fromB));
        assertEquals(b[0], fromB, "B hands out its objects in the order they were freed");
        assertEquals(slabB, active(type));
        assertEquals(slabC, alternate(type));
        assertEquals(List.of(slabA), empty(type));
        assertEquals(List.of(), full(type));
        assertEquals(0, km.load64(StructKmallocSlab.exis(slabB)), "exis_setlive when a full slab is rotated in");
    }

    @Test
    void partialIsPreferredToFull() {
        long type = createZone("pref", 8192);
        long[] a = alloc(type, PER_SLAB, M_WAITOK);
        long[] b = alloc(type, PER_SLAB, M_WAITOK);
        long[] c = alloc(type, PER_SLAB, M_WAITOK);
        long[] d = alloc(type, PER_SLAB, M_WAITOK); // D active, C alternate; A, B on empty
        long slabA = slabOf(a[0]);
        long slabB = slabOf(b[0]);
        assertEquals(List.of(slabA, slabB), empty(type));

        for (long o : a) {
            ko.kfreeObj(o, type);                   // A: all free (full once polled)
        }
        ko.kfreeObj(b[7], type);                    // B: one free (partial once polled)
        for (int i = 0; i < PER_SLAB; i++) {
            ko.kfreeObj(c[i], type);                // C: the alternate, refilled too
        }
        // C first (alternate with objects), 15 of them.
        for (int i = 0; i < PER_SLAB; i++) {
            assertEquals(slabOf(c[0]), slabOf(ko.kmallocObj(8192, type, M_WAITOK)));
        }
        // Then the poll of empty: A to full, B to partial; partial is taken first.
        assertEquals(b[7], ko.kmallocObj(8192, type, M_WAITOK));
        assertEquals(List.of(slabA), full(type));
        assertEquals(1, StructKmallocMgt.nfull(km, ggm(type)));
        assertEquals(List.of(slabOf(d[0])), empty(type), "the old alternate D");
        // B exhausted again, C exhausted: now the full slab A.
        assertEquals(slabA, slabOf(ko.kmallocObj(8192, type, M_WAITOK)));
        assertEquals(List.of(), full(type));
    }

    @Test
    void allocationPollsSixteenEmptySlabs() {
        long type = createZone("poll16", 8192);
        List<long[]> bySlab = new ArrayList<>();
        for (int s = 0; s < 22; s++) {
            bySlab.add(alloc(type, PER_SLAB, M_WAITOK));
        }
        // 20 slabs on empty, the last two are active (V) and alternate (U).
        List<Long> onEmpty = empty(type);
        assertEquals(20, onEmpty.size());
        for (int s = 0; s < 20; s++) {
            for (long o : bySlab.get(s)) {
                ko.kfreeObj(o, type);
            }
        }
        long slabU = alternate(type);

        // One allocation: active and alternate are exhausted, partial and full are empty, so
        // malloc_mgt_poll_empty_locked(16) moves the first 16 (all objects free) to full, each
        // pushed on the head; the rotation takes the head of full and sends U to empty's tail.
        long obj = ko.kmallocObj(8192, type, M_WAITOK);
        long slab16 = onEmpty.get(15);
        assertEquals(slab16, slabOf(obj), "the last slab moved to full is the head of full");
        List<Long> expectFull = new ArrayList<>(onEmpty.subList(0, 15));
        Collections.reverse(expectFull);
        assertEquals(expectFull, full(type));
        assertEquals(15, StructKmallocMgt.nfull(km, ggm(type)));
        List<Long> expectEmpty = new ArrayList<>(onEmpty.subList(16, 20));
        expectEmpty.add(slabU);
        assertEquals(expectEmpty, empty(type), "four never examined, then the old alternate");
        assertEquals(5, StructKmallocMgt.nempty(km, ggm(type)));
    }

    @Test
    void kfreeObjOnlyRecords() {
        long type = createZone("rec", 8192);
        long[] a = alloc(type, PER_SLAB, M_WAITOK);
        alloc(type, PER_SLAB, M_WAITOK);
        alloc(type, 1, M_WAITOK);                   // A on empty
        long slabA = slabOf(a[0]);
        long ggm = ggm(type);
        List<Long> emptyBefore = empty(type);
        long free = freeCount();
        long findex = StructKmallocSlab.findex(km, slabA);
        long xindex = StructKmallocSlab.xindex(km, slabA);
        long aindex = StructKmallocSlab.aindex(km, slabA);

        for (long o : a) {
            ko.kfreeObj(o, type);
        }

        assertEquals(findex + PER_SLAB, StructKmallocSlab.findex(km, slabA), "findex counts the frees");
        assertEquals(xindex + PER_SLAB, StructKmallocSlab.xindex(km, slabA), "xindex follows");
        assertEquals(aindex, StructKmallocSlab.aindex(km, slabA));
        for (int i = 0; i < PER_SLAB; i++) {
            assertEquals(a[i], StructKmallocSlab.fobjs(km, slabA, (findex + i) % PER_SLAB), "fobjs[findex + i]");
        }
        assertEquals(emptyBefore, empty(type), "no list moves");
        assertEquals(0, StructKmallocMgt.nfull(km, ggm));
        assertEquals(0, StructKmallocMgt.npartial(km, ggm));
        assertEquals(free, freeCount(), "no memory back to the VM");
        long use = StructMallocType.ks_use(km, type, 0);
        assertEquals(PER_SLAB + 1, StructKmallocUse.inuse(km, use));
        assertEquals((PER_SLAB + 1) * 8192L, StructKmallocUse.memuse(km, use));
        assertEquals(2 * PER_SLAB + 1, StructKmallocUse.calls(km, use));
    }

    @Test
    void doubleFreePanicsInBmapClr() {
        long type = createZone("dbl", 8192);
        long[] a = alloc(type, 2, M_WAITOK);
        ko.kfreeObj(a[0], type);
        KernelPanic p = assertThrows(KernelPanic.class, () -> ko.kfreeObj(a[0], type));
        assertEquals("assertion \"i < slab->ncount && (*ptr & mask) != 0\" failed in bmap_clr", p.panicString());
    }

    @Test
    void freeingIntoAWhollyFreeSlabPanicsInKfreeObj() {
        long type = createZone("dbl2", 8192);
        long[] a = alloc(type, 1, M_WAITOK);
        ko.kfreeObj(a[0], type);
        KernelPanic p = assertThrows(KernelPanic.class, () -> ko.kfreeObj(a[0], type));
        assertEquals("assertion \"slab->magic == KMALLOC_SLAB_MAGIC && delta != slab->ncount\" failed in _kfree_obj",
                p.panicString());
    }

    @Test
    void wrongSizePanics() {
        long type = createZone("size", 8192);
        KernelPanic p = assertThrows(KernelPanic.class, () -> ko._kmallocObj(4096, type, M_WAITOK));
        assertEquals("assertion \"size == type->ks_objsize\" failed in _kmalloc_obj", p.panicString());
    }

    @Test
    void slabUsesThirtyTwoPagesOfKernelObject() {
        long type = createZone("pages", 8192);
        long free = freeCount();
        long obj = ko.kmallocObj(8192, type, M_ZERO | M_WAITOK);
        long slab = slabOf(obj);
        // 32 pages for the slab, and possibly kernel page-table pages the first time this KVA
        // range is used (pmap_growkernel).
        long used = free - freeCount();
        assertTrue(used >= 32 && used <= 34, "pages used " + used);
        assertEquals(0, slab % StructKmallocSlab.KMALLOC_SLAB_SIZE, "128 KiB-aligned");
        assertEquals(StructKmallocSlab.KMALLOC_SLAB_MAGIC, StructKmallocSlab.magic(km, slab));
        assertEquals(type, StructKmallocSlab.type(km, slab));
        for (long off = 0; off < 8192; off += 8) {
            assertEquals(0, km.load64(obj + off));
        }
    }

    @Test
    void vmstatShowsTheZone() {
        long type = createZone("vm object", 320);
        for (int i = 0; i < 400; i++) {                  // 398 per slab: two slabs
            assertNotEquals(0, ko.kmallocObj(320, type, M_WAITOK));
        }
        MallocStats.Row row = MallocStats.rows(k).stream().filter(r -> r.type().equals("vm_object")).findFirst()
                .orElseThrow();
        assertEquals(400, row.count());
        assertEquals(400 * 320L, row.memUse());
        assertEquals(2 * 128 * 1024L, row.slabUse(), "active and alternate");
        assertEquals(400, row.requests());
        assertEquals(StructMallocType.ks_limit(km, type), row.limit());

        List<String> lines = MallocStats.vmstatM(k, false);
        assertEquals("Memory statistics by type", lines.get(1));
        assertTrue(lines.contains("          vm_object     400    125K    256K   " + MallocStats.formatnum(row.limit())
                + "      400"), String.join("\n", lines));
    }
}
