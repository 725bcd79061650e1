package org.dfemu.kernel.kern;

import org.dfemu.kernel.TestKernel;
import org.dfemu.emulator.sched.ThreadInfo;
import org.dfemu.emulator.sched.ThreadState;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.sys.StructVmstats;
import org.dfemu.kernel.vm.VmPage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.dfemu.kernel.sys.Malloc.M_INTNOWAIT;
import static org.dfemu.kernel.sys.Malloc.M_NOWAIT;
import static org.dfemu.kernel.sys.Malloc.M_WAITOK;
import static org.dfemu.kernel.sys.Malloc.M_ZERO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Low memory on the emulated machine (docs/dragonfly-map.md, behaviours 6 and 7): a kmalloc_obj
 * zone whose slabs are used up allocates its next 128 KiB slab with kmem_slab_alloc(..., M_WAITOK)
 * whatever flags it was called with, so it takes pages with VM_ALLOC_NORMAL only, and when fewer
 * than the slab's 32 pages can be had it sleeps in vm_wait() holding the pages it already got;
 * plain kmalloc passes the caller's M_INTNOWAIT down and returns NULL instead.
 *
 * <p>A "hog" thread first takes pages straight from vm_page_alloc() to set the free count; the
 * allocation runs in its own thread, and the hog watches it through the scheduler's thread
 * snapshot (state, wait message, kernel frames) and the free count, then gives its pages back.
 */
class KmemSlabWaitTest {
    private static final long MB = 1L << 20;

    private static long vs(Kernel k) { return k.vmMeter().vmstats(); }

    private static long free(Kernel k) { return TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET); }

    private static long reserved(Kernel k) { return StructVmstats.v_free_reserved(k.km(), vs(k)); }

    /** Takes pages (busied, no object) until the free count is {@code target}. */
    private static List<Long> hogUntil(Kernel k, long target) {
        List<Long> pages = new ArrayList<>();
        while (free(k) > target) {
            long m = k.vmPage().vmPageAlloc(0, 0, VmPage.VM_ALLOC_NORMAL | VmPage.VM_ALLOC_INTERRUPT);
            if (m == 0) {
                // This cpu's copy of the counts does not yet show pages other cpus freed: wait a tick.
                k.lwkt().tsleep(k.vmMeter().vmstats(), "tick", 1);
                continue;
            }
            pages.add(m);
        }
        assertEquals(target, free(k));
        return pages;
    }

    private static ThreadInfo info(MachineKernel mk, String name) {
        return mk.machine.scheduler().threads().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
    }

    /** Sleeps a tick at a time until {@code name} sleeps in vm_wait (at most 10 s of virtual time). */
    private static ThreadInfo awaitVmWait(MachineKernel mk, long chan, String name) {
        for (int i = 0; i < 1000; i++) {
            ThreadInfo ti = info(mk, name);
            if (ti.state() == ThreadState.SLEEPING && "vmwait".equals(ti.wmesg())) {
                return ti;
            }
            mk.kernel.lwkt().tsleep(chan, "watch", 1);
        }
        throw new AssertionError(name + " never slept in vm_wait: " + info(mk, name));
    }

    /** M_INTNOWAIT and M_NOWAIT would use the reserve in kmalloc; kmalloc_obj ignores them. */
    @ParameterizedTest(name = "kmalloc_obj with {0}")
    @ValueSource(ints = {M_INTNOWAIT, M_NOWAIT, M_WAITOK})
    void kmallocObjSleepsInVmWaitHoldingItsPages(int flags) {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 2, 11)) {
            Kernel k = mk.kernel;
            KernelMemory km = k.km();
            KernSlaballoc sa = k.kernSlaballoc();
            long typep = sa.kmalloc(8, sa.mTemp(), M_WAITOK | M_ZERO);
            sa._kmallocCreateObj(typep, "swapmeta", 320);
            long zone = km.load64(typep);
            long chan = typep;
            long[] result = {0};

            boolean[] go = {false};
            long goChan = sa.kmalloc(8, sa.mTemp(), M_WAITOK | M_ZERO);
            // Created up front: lwkt_create itself needs memory (a kernel stack).
            mk.thread("allocator", 0, () -> {
                while (!go[0]) {
                    k.lwkt().tsleep(goChan, "go", 0);
                }
                result[0] = k.kernKmalloc().kmallocObj(320, zone, flags);
                k.lwkt().wakeup(chan);
            });

            mk.thread("hog", 1, () -> {
                // A tick first, so every cpu's copy of the counts is current.
                k.lwkt().tsleep(chan, "tick", 1);
                long before = free(k);
                // The hog, on cpu 1, leaves 20 free pages, fewer than a slab's 32; cpu 0's copy
                // of the counts does not see its allocations until cpu 0's next hardclock.
                List<Long> pages = hogUntil(k, 20);

                go[0] = true;
                k.lwkt().wakeup(goChan);

                ThreadInfo ti = awaitVmWait(mk, chan, "allocator");
                assertEquals(List.of("vm_wait", "kmem_slab_alloc", "_kmalloc_obj(swapmeta)"), ti.frames(),
                        ti.frameChain());
                assertEquals(0, free(k), "against cpu 0's stale copy the allocator took all 20 free pages; "
                        + "the empty queue forced a vmstats_rollup() and the fresh copy refused the 21st");

                // It retries every second (vm_wait(0) sleeps hz ticks), failing each time, and
                // keeps what it has.
                k.lwkt().tsleep(chan, "watch", 3 * k.lwkt().hz());
                ti = info(mk, "allocator");
                assertEquals(ThreadState.SLEEPING, ti.state());
                assertEquals("vmwait", ti.wmesg());
                assertEquals(0, free(k));
                assertEquals(0, result[0]);

                // Memory comes back: the slab completes and the object is handed out.
                for (long m : pages) {
                    k.vmPage2().vmPageFree(m);
                }
                while (result[0] == 0) {
                    k.lwkt().tsleep(chan, "watch", k.lwkt().hz());
                }
                // The allocator, created before the count, may have exited; its exit keeps its
                // kernel-stack pages (lwkt_exit parks it in gd_freetd), so no correction is due,
                // but wait for it so the count is taken at one point.
                while (mk.machine.scheduler().threads().stream()
                        .anyMatch(t -> t.name().equals("allocator") && t.state() != ThreadState.EXITED)) {
                    k.lwkt().tsleep(chan, "watch", 1);
                }
                long used = before - free(k);
                assertTrue(used >= 32 && used <= 34, "a slab is 32 pages (+ page tables): " + used);
            });
            mk.run();
            assertNotEquals(0, result[0]);
        }
    }

    @ParameterizedTest(name = "{0} free pages")
    @ValueSource(longs = {0, 20})
    void kmallocReturnsNullWhereKmallocObjWaits(long target) {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 1, 12)) {
            Kernel k = mk.kernel;
            KernelMemory km = k.km();
            KernSlaballoc sa = k.kernSlaballoc();
            long devbuf = sa.mDevbuf();
            long typep = sa.kmalloc(8, sa.mTemp(), M_WAITOK | M_ZERO);
            sa._kmallocCreateObj(typep, "swapmeta", 320);
            long zone = km.load64(typep);
            long chan = typep;
            // Warm up: kernel_map's page tables and the map-entry caches, so that only the
            // 32 pages of the allocation itself are at stake below.
            sa.kfree(sa.kmalloc(128 * 1024, devbuf, M_WAITOK), devbuf);
            long goChan = sa.kmalloc(8, sa.mTemp(), M_WAITOK | M_ZERO);
            long[] result = {0};
            boolean[] go = {false};

            // Created up front: lwkt_create itself needs memory (a kernel stack).
            mk.thread("allocator", 0, () -> {
                while (!go[0]) {
                    k.lwkt().tsleep(goChan, "go", 0);
                }
                result[0] = k.kernKmalloc().kmallocObj(320, zone, M_INTNOWAIT);
                k.lwkt().wakeup(chan);
            });

            mk.thread("hog", 0, () -> {
                List<Long> pages = hogUntil(k, target);

                // The same 32 pages through plain kmalloc: M_INTNOWAIT is SYSTEM|INTERRUPT, which
                // may take the last free page, but not 32 of 20; it gives back what it got.
                assertEquals(0, sa.kmalloc(128 * 1024, devbuf, M_INTNOWAIT));
                assertEquals(target, free(k), "the pages taken were freed again");

                go[0] = true;
                k.lwkt().wakeup(goChan);
                ThreadInfo ti = awaitVmWait(mk, chan, "allocator");
                assertNotNull(ti);
                assertEquals(List.of("vm_wait", "kmem_slab_alloc", "_kmalloc_obj(swapmeta)"), ti.frames());
                assertEquals(target, free(k), "below v_free_reserved NORMAL gets nothing, not even one page");

                for (long m : pages) {
                    k.vmPage2().vmPageFree(m);
                }
                while (result[0] == 0) {
                    k.lwkt().tsleep(chan, "watch", k.lwkt().hz());
                }
            });
            mk.run();
            assertNotEquals(0, result[0]);
        }
    }
}
