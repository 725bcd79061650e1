package org.dfemu.kernel.vm;

import org.dfemu.kernel.harness.check.VmPageQueueCheck;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.KernelPanic;
import org.dfemu.kernel.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.dfemu.kernel.vm.VmPage.VM_ALLOC_NORMAL;
import static org.dfemu.kernel.vm.VmPage.VM_ALLOC_NULL_OK;
import static org.dfemu.kernel.vm.VmPage.VM_ALLOC_RETRY;
import static org.dfemu.kernel.vm.VmPage.VM_ALLOC_ZERO;
import static org.dfemu.kernel.vm.VmTestSupport.free;
import static org.dfemu.kernel.vm.VmTestSupport.newObject;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Object association: insert, lookup, remove, next, rename, grab, the insert race, valid bits. */
class VmPageObjectTest {
    private TestKernel t;
    private Kernel k;
    private KernelMemory km;
    private VmPage vp;
    private long obj;

    @BeforeEach
    void boot() {
        t = TestKernel.boot(16 << 20);
        k = t.kernel;
        km = k.km();
        vp = k.vmPage();
        obj = newObject(k, 1 << 16);
    }

    @AfterEach
    void close() {
        VmPageQueueCheck.assertConsistent(k);
        t.close();
    }

    @Test
    void pagesAreFoundByPindexAndLeaveTheirObjectWhenFreed() {
        SplittableRandom rnd = new SplittableRandom(5);
        TreeMap<Long, Long> oracle = new TreeMap<>(Long::compareUnsigned);
        for (int i = 0; i < 400; i++) {
            long pindex = rnd.nextLong(1000);
            long m = vp.vmPageAlloc(obj, pindex, VM_ALLOC_NORMAL | VM_ALLOC_NULL_OK);
            if (oracle.containsKey(pindex)) {
                assertEquals(0, m, "a taken slot with NULL_OK gives NULL");
            } else {
                assertNotEquals(0, m);
                assertEquals(obj, StructVmPage.object(km, m));
                vp.vmPageWakeup(m);
                oracle.put(pindex, m);
            }
            if (rnd.nextInt(3) == 0 && !oracle.isEmpty()) {
                long victim = oracle.pollFirstEntry().getValue();
                vp.vmPageBusyWait(victim, true, "test");
                vp.vmPageFreeToq(victim);
                assertEquals(0, StructVmPage.object(km, victim));
            }
        }
        assertEquals(oracle.size(), StructVmObject.resident_page_count(km, obj));
        for (long pindex = 0; pindex < 1000; pindex++) {
            Long expected = oracle.get(pindex);
            assertEquals(expected == null ? 0 : expected, vp.vmPageLookup(obj, pindex), "pindex " + pindex);
        }
        for (var e : oracle.entrySet()) {
            Long next = oracle.get(e.getKey() + 1);
            assertEquals(next == null ? 0 : next, vp.vmPageNext(e.getValue()), "vm_page_next");
        }
        assertTrue(StructVmObject.generation(km, obj) > 0, "every insert and remove bumps the generation");
    }

    @Test
    void anInsertRaceWithoutNullOkPanics() {
        long m = vp.vmPageAlloc(obj, 3, VM_ALLOC_NORMAL);
        long before = free(k);
        KernelPanic p = assertThrows(KernelPanic.class, () -> vp.vmPageAlloc(obj, 3, VM_ALLOC_NORMAL));
        assertTrue(p.getMessage().startsWith("panic: PAGE RACE"), p.getMessage());
        assertEquals(before, free(k), "the losing page went back to the free queue before the panic");
        assertEquals(m, vp.vmPageLookup(obj, 3));
    }

    @Test
    void renameMovesAndDirtiesThePage() {
        long obj2 = newObject(k, 16);
        long m = vp.vmPageAlloc(obj, 9, VM_ALLOC_NORMAL);
        vp.vmPageRename(m, obj2, 2);
        assertEquals(0, vp.vmPageLookup(obj, 9));
        assertEquals(m, vp.vmPageLookup(obj2, 2));
        assertEquals(StructVmPage.VM_PAGE_BITS_ALL, StructVmPage.dirty(km, m));
        int flags = StructVmObject.flags(km, obj2);
        assertEquals(StructVmObject.OBJ_WRITEABLE | StructVmObject.OBJ_MIGHTBEDIRTY,
                flags & (StructVmObject.OBJ_WRITEABLE | StructVmObject.OBJ_MIGHTBEDIRTY));
        assertThrows(KernelPanic.class, () -> vp.vmPageRename(vp.vmPageAlloc(obj, 1, VM_ALLOC_NORMAL), obj2, 2));
    }

    @Test
    void grabFindsOrAllocatesAndZeroes() {
        long m = vp.vmPageAlloc(obj, 5, VM_ALLOC_NORMAL);
        km.ram().store64(vp.VM_PAGE_TO_PHYS(m) + 8, 0xdeadbeefL);
        vp.vmPageWakeup(m);
        assertEquals(m, vp.vmPageGrab(obj, 5, VM_ALLOC_NORMAL | VM_ALLOC_RETRY), "an existing page is returned");
        assertEquals(0, StructVmPage.valid(km, m));
        vp.vmPageWakeup(m);

        long g = vp.vmPageGrab(obj, 5, VM_ALLOC_NORMAL | VM_ALLOC_ZERO);
        assertEquals(m, g);
        assertEquals(0, km.ram().load64(vp.VM_PAGE_TO_PHYS(g) + 8), "an invalid page is zeroed with ZERO");
        assertEquals(StructVmPage.VM_PAGE_BITS_ALL, StructVmPage.valid(km, g));
        vp.vmPageWakeup(g);

        long n = vp.vmPageGrab(obj, 6, VM_ALLOC_NORMAL | VM_ALLOC_RETRY);
        assertNotEquals(0, n);
        assertEquals(n, vp.vmPageLookup(obj, 6));
        assertEquals(0, StructVmObject.hold_count(km, obj), "grab drops its hold");
        // The page is busy and the grab may not retry: the C dereferences NULL (a DragonFly
        // bug at 737b020b54, still at HEAD), which the port reports as the panic it is.
        KernelPanic p = assertThrows(KernelPanic.class, () -> vp.vmPageGrab(obj, 6, VM_ALLOC_NORMAL));
        assertTrue(p.getMessage().startsWith("panic: vm_page_grab: NULL page dereferenced"), p.getMessage());
        assertEquals(0, StructVmObject.hold_count(km, obj), "the hold was dropped on the way out");

        // An allocation failure without RETRY returns NULL after one vm_wait.
        VmTestSupport.drainTo(k, 0);
        assertEquals(0, vp.vmPageGrab(obj, 7, VM_ALLOC_NORMAL));
    }

    @Test
    void aRetryingGrabWithNoMemoryInBootContextPanicsInsteadOfSpinning() {
        // Thread0 cannot sleep and no daemon runs yet: the retry loop would never end.
        VmTestSupport.drainTo(k, 0);
        KernelPanic p = assertThrows(KernelPanic.class, () -> vp.vmPageGrab(obj, 8, VM_ALLOC_NORMAL | VM_ALLOC_RETRY));
        assertTrue(p.getMessage().startsWith("panic: vm_wait: out of memory in boot context (free 0,"), p.getMessage());
    }

    @Test
    void softBusyLookupNeedsAValidUnbusiedPage() {
        long m = vp.vmPageAlloc(obj, 4, VM_ALLOC_NORMAL);
        assertEquals(0, vp.vmPageLookupSbusyTry(obj, 4, 0, 4096), "invalid page");
        vp.vmPageSetValidclean(m, 0, 1024);
        assertEquals(0, vp.vmPageLookupSbusyTry(obj, 4, 0, 1024), "hard-busied page");
        vp.vmPageWakeup(m);
        assertEquals(m, vp.vmPageLookupSbusyTry(obj, 4, 0, 1024));
        assertEquals(1, StructVmPage.busy_count(km, m), "one soft-busy taken");
        assertEquals(0, vp.vmPageLookupSbusyTry(obj, 4, 0, 2048), "range not valid");
        assertEquals(0, vp.vmPageLookupSbusyTry(obj, 5, 0, 1024), "no page");
        k.vmPage2().vmPageSbusyDrop(m);
    }

    @Test
    void validAndDirtyBits() {
        assertEquals(0, VmPage.vmPageBits(0, 0));
        assertEquals(0x01, VmPage.vmPageBits(0, 1));
        assertEquals(0x01, VmPage.vmPageBits(0, 512));
        assertEquals(0x03, VmPage.vmPageBits(0, 513));
        assertEquals(0x06, VmPage.vmPageBits(600, 500));
        assertEquals(0xff, VmPage.vmPageBits(0, 4096));
        assertEquals(0x80, VmPage.vmPageBits(4095, 1));
        assertThrows(KernelPanic.class, () -> VmPage.vmPageBits(4000, 200));

        long m = vp.vmPageAlloc(obj, 0, VM_ALLOC_NORMAL);
        long pa = vp.VM_PAGE_TO_PHYS(m);
        byte[] ones = new byte[4096];
        java.util.Arrays.fill(ones, (byte) 1);
        km.ram().write(pa, ones, 0, 4096);
        // Valid [100, 700): chunks 0 and 1; the invalid heads and tails of those chunks are zeroed.
        vp.vmPageSetValidclean(m, 100, 600);
        assertEquals(0x03, StructVmPage.valid(km, m));
        byte[] got = new byte[1024];
        km.ram().read(pa, got, 0, 1024);
        assertEquals(0, got[0]);
        assertEquals(0, got[99]);
        assertEquals(1, got[100]);
        assertEquals(1, got[699]);
        assertEquals(0, got[700]);
        assertEquals(0, got[1023]);
        assertTrue(vp.vmPageIsValid(m, 0, 1024));
        assertFalse(vp.vmPageIsValid(m, 0, 1025));

        // zero_invalid zeroes chunks 2..7 and may mark all valid.
        km.ram().write(pa, ones, 0, 4096);
        vp.vmPageZeroInvalid(m, true);
        byte[] page = new byte[4096];
        km.ram().read(pa, page, 0, 4096);
        byte[] expected = new byte[4096];
        java.util.Arrays.fill(expected, 0, 1024, (byte) 1);
        assertArrayEquals(expected, page);
        assertEquals(0xff, StructVmPage.valid(km, m));

        vp.vmPageDirty(m);
        assertEquals(0xff, StructVmPage.dirty(km, m));
        k.vmPage2().vmPageClearDirtyEndNonincl(m, 0, 1000);
        assertEquals(0xfe, StructVmPage.dirty(km, m), "a partial last block stays dirty");
        k.vmPage2().vmPageClearDirtyBegNonincl(m, 1000, 3096);
        assertEquals(0x02, StructVmPage.dirty(km, m), "a partial first block stays dirty");
        vp.vmPageSetInvalid(m, 512, 512);
        assertEquals(0xfd, StructVmPage.valid(km, m));
        assertEquals(0, StructVmPage.dirty(km, m));
    }
}
