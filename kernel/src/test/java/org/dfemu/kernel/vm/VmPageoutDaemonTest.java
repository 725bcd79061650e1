package org.dfemu.kernel.vm;

import org.dfemu.kernel.harness.check.VmPageQueueCheck;
import org.dfemu.emulator.MachineConfig;
import org.dfemu.emulator.sched.RunResult;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.kern.InitMain;
import org.dfemu.kernel.kern.Lwkt;
import org.dfemu.kernel.sys.StructVmmeter;
import org.dfemu.kernel.sys.StructVmstats;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pageout daemon of vm_pageout.c: what it does with one inactive page (vm_pageout_page), the
 * emergency pager's wait for a stalled primary, and the daemon's rescue of vm_wait sleepers.
 */
class VmPageoutDaemonTest {
    private static final long MB = 1L << 20;

    private static int base(KernelMemory km, long m) {
        return StructVmPage.queue(km, m) - StructVmPage.pc(km, m);
    }

    /** A busied, valid page of {@code obj} on the inactive queue; dirty if asked. */
    private static long inactivePage(Kernel k, long obj, long pindex, boolean dirty) {
        VmPage vp = k.vmPage();
        long m = vp.vmPageAlloc(obj, pindex, VmPage.VM_ALLOC_NORMAL);
        assertNotEquals(0, m);
        StructVmPage.valid(k.km(), m, StructVmPage.VM_PAGE_BITS_ALL);
        if (dirty) vp.vmPageDirty(m);
        vp.vmPageDeactivate(m);
        assertEquals(StructVpgqueues.PQ_INACTIVE, base(k.km(), m));
        return m;
    }

    private static int pageout(Kernel k, long m, int pass, long[] counts) {
        int flags = VmPageout.OBJPC_ALLOW_ACTIVE;
        if ((StructVmPage.flags(k.km(), m) & StructVmPage.PG_WINATCFLS) != 0) flags |= VmPageout.OBJPC_TRY_TO_CACHE;
        return k.vmPageout().vmPageoutPage(m, new long[]{10}, new long[]{0}, pass, flags, counts);
    }

    @Test
    void cleanPagesAreCachedInvalidOnesFreedAndDirtyOnesGoRoundTwiceThenStayInactiveWhenSwapFails() {
        try (TestKernel tk = TestKernel.boot(16 * MB)) {
            Kernel k = tk.kernel;
            KernelMemory km = k.km();
            k.swapPager().swapPagerSwapInit();   // the daemon's setup; no swapon: every put fails
            long obj = k.vmObject().vmObjectAllocate(StructVmObject.OBJT_DEFAULT, 16);
            VmPage vp = k.vmPage();
            long[] counts = new long[4];

            long clean = inactivePage(k, obj, 0, false);
            assertEquals(1, pageout(k, clean, 0, counts));
            assertEquals(StructVpgqueues.PQ_CACHE, base(km, clean), "a clean inactive page is cached");

            long invalid = vp.vmPageAlloc(obj, 1, VmPage.VM_ALLOC_NORMAL);
            vp.vmPageDeactivate(invalid);
            long freeBefore = TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET);
            assertEquals(1, pageout(k, invalid, 0, counts));
            assertEquals(StructVpgqueues.PQ_FREE, base(km, invalid), "an invalid page is freed");
            assertEquals(freeBefore + 1, TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET));

            // Far from its neighbours (pindex 8: the clean and free pages do not join its cluster).
            long dirty = inactivePage(k, obj, 8, true);
            assertEquals(0, pageout(k, dirty, 0, counts), "first encounter: nothing laundered");
            assertTrue((StructVmPage.flags(km, dirty) & StructVmPage.PG_WINATCFLS) != 0, "marked for the second trip");
            assertEquals(StructVpgqueues.PQ_INACTIVE, base(km, dirty));
            assertEquals(1, counts[2]);
            assertEquals(0, counts[0]);

            assertTrue(vp.vmPageBusyTry(dirty, true) == false);
            assertEquals(0, pageout(k, dirty, 0, counts), "second encounter: laundering fails without swap");
            assertEquals(StructVpgqueues.PQ_INACTIVE, base(km, dirty), "VM_PAGER_FAIL leaves the page inactive");
            assertNotEquals(0, StructVmPage.dirty(km, dirty), "still dirty, to be tried again");
            assertEquals(0, StructVmPage.busy_count(km, dirty) & StructVmPage.PBUSY_MASK, "no I/O left pending");
            assertEquals(0, StructVmPage.busy_count(km, dirty) & StructVmPage.PBUSY_LOCKED, "unbusied");
            assertEquals(1, k.swapPager().swapPagerFull() != 0 ? 1 : 0, "the failed put marked swap full");
            VmPageQueueCheck.assertConsistent(k);
        }
    }

    @Test
    void referencedInactivePageIsReactivatedWithAnActCountBoost() {
        try (TestKernel tk = TestKernel.boot(16 * MB)) {
            Kernel k = tk.kernel;
            long obj = k.vmObject().vmObjectAllocate(StructVmObject.OBJT_DEFAULT, 4);
            long m = inactivePage(k, obj, 0, true);
            k.vmPage2().vmPageFlagSet(m, StructVmPage.PG_REFERENCED);
            int before = StructVmPage.act_count(k.km(), m);
            long[] counts = new long[4];
            assertEquals(0, pageout(k, m, 0, counts));
            assertEquals(StructVpgqueues.PQ_ACTIVE, base(k.km(), m));
            assertTrue(StructVmPage.act_count(k.km(), m) >= Math.max(before, StructVmPage.ACT_INIT) + StructVmPage.ACT_ADVANCE + 1);
            assertEquals(1, counts[3]);
        }
    }

    /**
     * The emergency pager with a primary that did its setup and then hung: with paging needed
     * it does nothing for 2 seconds of the primary's silence, then runs passes of its own.
     */
    @Test
    void emergencyPagerStaysIdleUntilThePrimaryHasStalledForTwoSeconds() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 1, 5)) {
            Kernel k = mk.kernel;
            Lwkt lwkt = k.lwkt();
            VmPageout po = k.vmPageout();
            long[] pdwakeups = new long[2];
            // A stalled primary: its setup, then a sleep nobody ends.
            po.pagethread(lwkt.lwktCreate("pagedaemon", 0, 0, () -> {
                po.vmPageoutPrimarySetup();
                lwkt.tsleep(0x5747L, "stuck", 0);
            }));
            po.emergpager(lwkt.lwktCreate("emergpager", 0, 0, po::vmPageoutThread));
            mk.thread("observer", 0, () -> {
                po.vmPagesNeeded(1);
                lwkt.wakeup(po.vmPagedaemonUptimeAddr());
                lwkt.tsleep(0x0b5L, "obs", lwkt.hz() * 3 / 2);           // 1.5 s
                pdwakeups[0] = k.vmMeter().vcnt(StructVmmeter.v_pdwakeups$OFFSET);
                lwkt.tsleep(0x0b5L, "obs", lwkt.hz() * 2);               // 3.5 s
                pdwakeups[1] = k.vmMeter().vcnt(StructVmmeter.v_pdwakeups$OFFSET);
                mk.machine.scheduler().requestStop("observed");
            });
            RunResult r = mk.machine.scheduler().run();
            assertEquals(RunResult.Outcome.STOPPED, r.outcome(), r.toString());
            assertEquals(0, pdwakeups[0], "no emergency pass while the primary's stall is under 2 s");
            assertTrue(pdwakeups[1] > 0, "the emergency pager took over after 2 s");
        }
    }

    /**
     * A thread in vm_wait below the trip point, with the memory held as clean inactive pages:
     * the daemon (woken by vm_wait) caches them and the sleeper is woken well before its hz
     * timeout.
     */
    @Test
    void vmWaitSleeperIsWokenOnceTheDaemonFreesPages() {
        try (MachineKernel mk = MachineKernel.boot(MachineConfig.of(32 * MB, 1, 6), new KernelConfig(1, 100),
                EnumSet.of(InitMain.Sysinit.PAGEDAEMON))) {
            Kernel k = mk.kernel;
            Lwkt lwkt = k.lwkt();
            KernelMemory km = k.km();
            long vs = k.vmMeter().vmstats();
            long[] sleptNs = {-1};
            long[] cachedAfter = {0};
            mk.thread("consumer", 0, () -> {
                // Let the daemons start first, as they do at boot (SI_SUB_KTHREAD_PAGE).
                lwkt.tsleep(0x0c0L, "later", 1);
                long obj = k.vmObject().vmObjectAllocate(StructVmObject.OBJT_DEFAULT, 1 << 20);
                VmPage vp = k.vmPage();
                List<Long> pages = new ArrayList<>();
                long pindex = 0;
                // Take pages as clean inactive ones until below the trip point of vm_wait.
                while (!k.vmPage2().vmPagingMinNice(1)) {
                    long m = vp.vmPageAlloc(obj, pindex++, VmPage.VM_ALLOC_NORMAL);
                    if (m == 0) break;
                    StructVmPage.valid(km, m, StructVmPage.VM_PAGE_BITS_ALL);
                    vp.vmPageDeactivate(m);
                    vp.vmPageWakeup(m);
                    pages.add(m);
                }
                assertTrue(k.vmPage2().vmPagingMinNice(1), "below the trip point");
                long t0 = mk.machine.scheduler().now();
                vp.vmWait(0);
                sleptNs[0] = mk.machine.scheduler().now() - t0;
                cachedAfter[0] = TestKernel.trueCount(k, StructVmstats.v_cache_count$OFFSET);
                mk.machine.scheduler().requestStop("done");
            });
            RunResult r = mk.machine.scheduler().run();
            assertEquals(RunResult.Outcome.STOPPED, r.outcome(), r.toString());
            assertTrue(sleptNs[0] >= 0 && sleptNs[0] < 1_000_000_000L / 2,
                    "woken by the daemon, not by vm_wait's hz timeout: slept " + sleptNs[0] + " ns");
            assertTrue(cachedAfter[0] > 0, "the daemon cached clean inactive pages");
            assertTrue(k.vmMeter().vcnt(StructVmmeter.v_pdwakeups$OFFSET) > 0);
        }
    }

    /**
     * The daemons' markers come from M_PAGEOUT, vm_pageout.c's own malloc type: PQ_L2_SIZE
     * struct markers (three vm_pages each) per daemon thread, plus the inactive-scan marker the C
     * keeps on the daemon's stack (see VmPageout's PORT note); M_TEMP gets none of it.
     */
    @Test
    void theDaemonsMarkersAreChargedToMPageout() {
        try (MachineKernel mk = MachineKernel.boot(MachineConfig.of(32 * MB, 1, 6), new KernelConfig(1, 100),
                EnumSet.of(InitMain.Sysinit.PAGEDAEMON))) {
            Kernel k = mk.kernel;
            long tempBefore = memuse(k, "temp");
            mk.thread("observer", 0, () -> {
                k.lwkt().tsleep(0x0b5L, "obs", 2);
                mk.machine.scheduler().requestStop("observed");
            });
            RunResult r = mk.machine.scheduler().run();
            assertEquals(RunResult.Outcome.STOPPED, r.outcome(), r.toString());
            long perDaemon = 3 * StructVmPage.SIZEOF * StructVpgqueues.PQ_L2_SIZE + StructVmPage.SIZEOF;
            assertEquals(2 * perDaemon, memuse(k, "pageout"), "pagedaemon and emergpager, from M_PAGEOUT");
            assertEquals(tempBefore, memuse(k, "temp"), "nothing of it from M_TEMP");
        }
    }

    private static long memuse(Kernel k, String type) {
        return org.dfemu.kernel.harness.report.MallocStats.rows(k).stream()
                .filter(row -> row.type().equals(type)).mapToLong(row -> row.memUse()).sum();
    }
}
