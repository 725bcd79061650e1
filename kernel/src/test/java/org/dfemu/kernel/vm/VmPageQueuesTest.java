package org.dfemu.kernel.vm;

import org.dfemu.kernel.harness.check.VmPageQueueCheck;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.KernelPanic;
import org.dfemu.kernel.TestKernel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.dfemu.kernel.vm.StructVpgqueues.PQ_ACTIVE;
import static org.dfemu.kernel.vm.StructVpgqueues.PQ_CACHE;
import static org.dfemu.kernel.vm.StructVpgqueues.PQ_FREE;
import static org.dfemu.kernel.vm.StructVpgqueues.PQ_HOLD;
import static org.dfemu.kernel.vm.StructVpgqueues.PQ_INACTIVE;
import static org.dfemu.kernel.vm.VmTestSupport.free;
import static org.dfemu.kernel.vm.VmTestSupport.newObject;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Page movement keeps the queues and vmstats in step: seeded random sequences of alloc, free,
 * wire/unwire, hold/unhold, activate, deactivate, cache and dontneed, with the queue checker
 * (lists against lcnt against vmstats) run throughout; plus the hold, busy and free rules.
 */
class VmPageQueuesTest {
    /** What the test knows of a page it owns. */
    private static final class Page {
        boolean busy = true;
        int wired;
        int held;
    }

    private static int base(KernelMemory km, long m) {
        return StructVmPage.queue(km, m) - StructVmPage.pc(km, m);
    }

    /**
     * With {@code pressure}, the free queue is first drained to just above v_free_reserved, so
     * allocations hit the reserve, recycle the test's own cache pages and fail.
     */
    @ParameterizedTest(name = "seed {0}, {1} cpus, pressure {2}")
    @CsvSource({"1, 1, false", "2, 1, true", "3, 2, false", "4, 2, true", "20210528, 4, true"})
    void randomPageMovementKeepsQueuesConsistent(long seed, int ncpus, boolean pressure) {
        try (TestKernel t = TestKernel.boot(16 << 20, new KernelConfig(ncpus, 100))) {
            Kernel k = t.kernel;
            KernelMemory km = k.km();
            VmPage vp = k.vmPage();
            long obj = newObject(k, 1 << 20);
            if (pressure) {
                VmTestSupport.drainTo(k, VmTestSupport.reserved(k) + 20);
            }
            long freeAtStart = free(k);
            SplittableRandom rnd = new SplittableRandom(seed);
            TreeMap<Long, Page> pages = new TreeMap<>();
            List<Long> freedWhileHeld = new ArrayList<>();

            for (int step = 0; step < 3000; step++) {
                int op = rnd.nextInt(100);
                if (op < 30 || pages.isEmpty()) {
                    int cls = switch (rnd.nextInt(3)) {
                        case 0 -> VmPage.VM_ALLOC_NORMAL;
                        case 1 -> VmPage.VM_ALLOC_SYSTEM;
                        default -> VmPage.VM_ALLOC_INTERRUPT;
                    };
                    if (rnd.nextBoolean()) {
                        cls |= VmPage.VM_ALLOC_CPU(rnd.nextInt(ncpus));
                    }
                    boolean inObject = rnd.nextBoolean();
                    long m = vp.vmPageAlloc(inObject ? obj : 0, rnd.nextLong(4096),
                            cls | VmPage.VM_ALLOC_NULL_OK);
                    if (m != 0) {
                        // A recycled cache page of ours comes back as a new allocation.
                        pages.put(m, new Page());
                    }
                } else {
                    long m = pick(pages, rnd);
                    Page p = pages.get(m);
                    if (base(km, m) == PQ_FREE) {
                        // Recycled away from under us and freed again: no longer ours.
                        pages.remove(m);
                        continue;
                    }
                    if (!p.busy && rnd.nextInt(3) > 0) {
                        if (vp.vmPageBusyTry(m, true)) {
                            throw new AssertionError("could not busy our own unbusied page");
                        }
                        p.busy = true;
                    }
                    if (op < 45) {
                        if (!p.busy) {
                            continue;
                        }
                        while (p.wired > 0) {
                            vp.vmPageUnwire(m, false);
                            p.wired--;
                        }
                        vp.vmPageFreeToq(m);
                        pages.remove(m);
                        if (p.held > 0) {
                            assertEquals(PQ_HOLD, base(km, m), "a held page is freed to PQ_HOLD");
                            for (int i = 0; i < p.held; i++) {
                                freedWhileHeld.add(m);
                            }
                        } else {
                            assertEquals(PQ_FREE, base(km, m));
                        }
                    } else if (op < 55 && p.busy) {
                        vp.vmPageWire(m);
                        p.wired++;
                    } else if (op < 62 && p.busy && p.wired > 0) {
                        vp.vmPageUnwire(m, rnd.nextBoolean());
                        p.wired--;
                    } else if (op < 68) {
                        vp.vmPageHold(m);
                        p.held++;
                    } else if (op < 74 && p.held > 0) {
                        vp.vmPageUnhold(m);
                        p.held--;
                    } else if (op < 82) {
                        vp.vmPageActivate(m);
                    } else if (op < 90) {
                        vp.vmPageDeactivate(m);
                    } else if (op < 96 && p.busy) {
                        vp.vmPageSetValidclean(m, 0, 4096);
                        vp.vmPageCache(m);
                        p.busy = false;
                    } else if (p.busy) {
                        vp.vmPageDontneed(m);
                    }
                    if (p.busy && rnd.nextInt(4) == 0 && pages.containsKey(m)) {
                        vp.vmPageWakeup(m);
                        p.busy = false;
                    }
                }
                if (!freedWhileHeld.isEmpty() && rnd.nextInt(10) == 0) {
                    long m = freedWhileHeld.remove(rnd.nextInt(freedWhileHeld.size()));
                    vp.vmPageUnhold(m);
                    if (!freedWhileHeld.contains(m)) {
                        assertEquals(PQ_FREE, base(km, m), "the last unhold moves a freed page to PQ_FREE");
                    }
                }
                if (step % 50 == 0) {
                    VmPageQueueCheck.assertConsistent(k);
                }
            }
            VmPageQueueCheck.assertConsistent(k);

            // Give everything back: the free count returns to where it started.
            for (long m : freedWhileHeld) {
                vp.vmPageUnhold(m);
            }
            for (var e : pages.entrySet()) {
                long m = e.getKey();
                Page p = e.getValue();
                if (base(km, m) == PQ_FREE) {
                    continue;
                }
                while (p.held-- > 0) {
                    vp.vmPageUnhold(m);
                }
                if (!p.busy) {
                    vp.vmPageBusyWait(m, true, "test");
                }
                while (p.wired-- > 0) {
                    vp.vmPageUnwire(m, false);
                }
                vp.vmPageFreeToq(m);
            }
            VmPageQueueCheck.assertConsistent(k);
            assertEquals(freeAtStart, free(k));
            assertEquals(0, StructVmObject.resident_page_count(km, obj));
        }
    }

    private static long pick(TreeMap<Long, Page> pages, SplittableRandom rnd) {
        long key = pages.firstKey() + rnd.nextLong(pages.lastKey() - pages.firstKey() + 1);
        Long m = pages.ceilingKey(key);
        return m != null ? m : pages.firstKey();
    }

    @Test
    void queueMovesFollowTheirRules() {
        try (TestKernel t = TestKernel.boot(16 << 20)) {
            Kernel k = t.kernel;
            KernelMemory km = k.km();
            VmPage vp = k.vmPage();
            long m = vp.vmPageAlloc(0, 0, VmPage.VM_ALLOC_NORMAL);

            vp.vmPageActivate(m);
            assertEquals(PQ_ACTIVE, base(km, m));
            assertEquals(StructVmPage.ACT_INIT, StructVmPage.act_count(km, m));
            vp.vmPageDeactivate(m);
            assertEquals(PQ_INACTIVE, base(km, m));

            // A wired page stays where it is; its last unwire deactivates it (never caches it).
            vp.vmPageWire(m);
            vp.vmPageActivate(m);
            vp.vmPageUnwire(m, false);
            assertEquals(PQ_INACTIVE, base(km, m));

            // Only clean pages reach the cache; a dirty one is deactivated instead.
            vp.vmPageSetValiddirty(m, 0, 4096);
            vp.vmPageActivate(m);
            vp.vmPageCache(m);
            assertEquals(PQ_INACTIVE, base(km, m));
            assertEquals(0, StructVmPage.busy_count(km, m), "vm_page_cache always releases the busy");
            assertFalse(vp.vmPageBusyTry(m, true));
            vp.vmPageClearDirty(m, 0, 4096);
            vp.vmPageCache(m);
            assertEquals(PQ_CACHE, base(km, m));
            VmPageQueueCheck.assertConsistent(k);
        }
    }

    @Test
    void freeingRulesPanicAsTheCDoes() {
        try (TestKernel t = TestKernel.boot(16 << 20)) {
            VmPage vp = t.kernel.vmPage();
            long m = vp.vmPageAlloc(0, 0, VmPage.VM_ALLOC_NORMAL);
            vp.vmPageWire(m);
            KernelPanic wired = assertThrows(KernelPanic.class, () -> vp.vmPageFreeToq(m));
            assertEquals("panic: vm_page_free: freeing wired page", wired.getMessage());

            long m2 = vp.vmPageAlloc(0, 0, VmPage.VM_ALLOC_NORMAL);
            vp.vmPageFreeToq(m2);
            assertTrue(vp.vmPageBusyTry(m2, true) == false, "a free page can be busied (by the allocator)");
            KernelPanic twice = assertThrows(KernelPanic.class, () -> vp.vmPageFreeToq(m2));
            assertEquals("panic: vm_page_free: freeing free page", twice.getMessage());

            long m3 = vp.vmPageAlloc(0, 0, VmPage.VM_ALLOC_NORMAL);
            vp.vmPageIoStart(m3);
            KernelPanic sbusy = assertThrows(KernelPanic.class, () -> vp.vmPageFreeToq(m3));
            assertEquals("panic: vm_page_free: freeing busy page", sbusy.getMessage());

            long m4 = vp.vmPageAlloc(0, 0, VmPage.VM_ALLOC_NORMAL);
            vp.vmPageWakeup(m4);
            KernelPanic notBusy = assertThrows(KernelPanic.class, () -> vp.vmPageWakeup(m4));
            assertEquals("panic: vm_page_wakeup: page not busy!!!", notBusy.getMessage());
        }
    }

    @Test
    void busyTryAndSoftBusy() {
        try (TestKernel t = TestKernel.boot(16 << 20)) {
            VmPage vp = t.kernel.vmPage();
            long m = vp.vmPageAlloc(0, 0, VmPage.VM_ALLOC_NORMAL);
            assertTrue(vp.vmPageBusyTry(m, false), "already hard-busy: busy_try fails");
            assertTrue(vp.vmPageSbusyTry(m), "hard-busy blocks soft-busy");
            vp.vmPageIoStart(m);
            vp.vmPageWakeup(m);
            assertTrue(vp.vmPageBusyTry(m, true), "soft-busied: busy_try(also_m_busy) fails");
            assertFalse(vp.vmPageBusyTry(m, false), "soft-busied: plain busy_try succeeds");
            vp.vmPageWakeup(m);
            vp.vmPageIoFinish(m);
            assertEquals(0, StructVmPage.busy_count(t.kernel.km(), m));
            assertFalse(vp.vmPageSbusyTry(m));
            t.kernel.vmPage2().vmPageSbusyDrop(m);
            assertEquals(0, StructVmPage.busy_count(t.kernel.km(), m));
        }
    }
}
