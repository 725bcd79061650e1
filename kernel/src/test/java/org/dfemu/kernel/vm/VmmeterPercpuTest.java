package org.dfemu.kernel.vm;

import org.dfemu.kernel.harness.check.VmPageQueueCheck;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.sys.StructGlobaldata;
import org.dfemu.kernel.sys.StructVmstats;
import org.dfemu.kernel.sys.Sysctl;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The per-cpu vmstats of DragonFly 737b020b54 (vm_page.c, vm_page2.h, vm_meter.c, kern_clock.c):
 * a cpu's queue changes go to its own gd_vmstats_adj and its own gd_vmstats copy, so it sees them
 * at once; another cpu's admission test and paging predicates read that other cpu's copy, which
 * sees them only after its own hardclock (or a vmstats_rollup() it runs). Two cpus, two threads, no virtual time spent in between: the
 * first hardclock is at 10 ms.
 */
class VmmeterPercpuTest {
    private static final long MB = 1L << 20;

    @Test
    void anAllocationOnOneCpuIsInvisibleToAnotherUntilItsHardclock() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 2, 21)) {
            Kernel k = mk.kernel;
            KernelMemory km = k.km();
            VmMeter meter = k.vmMeter();
            long vs = meter.vmstats();
            long reserved = StructVmstats.v_free_reserved(km, vs);
            long chan = vs + StructVmstats.v_page_count$OFFSET;
            boolean[] drained = {false};
            List<Long> taken = new ArrayList<>();

            // cpu 1 takes pages until the true free count is 10 below v_free_reserved.
            mk.thread("hog", 1, () -> {
                // Creating the two threads took pages on cpu 0 (kernel stacks, the M_THREAD
                // zone) after cpu 1's copy was made; a rollup run on cpu 1 makes its copy exact,
                // so what follows measures only the hog's own changes. No tick runs.
                meter.vmstatsRollup();
                long before = StructVmstats.v_free_count(km, StructGlobaldata.gd_vmstats(k.globaldata().globaldataFind(1)));
                while (meter.trueCount(StructVmstats.v_free_count$OFFSET) > reserved - 10) {
                    long m = k.vmPage().vmPageAlloc(0, 0, VmPage.VM_ALLOC_INTERRUPT);
                    assertNotEquals(0, m);
                    taken.add(m);
                }
                assertEquals(0, k.lwkt().ticks(), "no tick yet");
                // Each queue removal also adjusted cpu 1's own copy: it sees the shortage at
                // once, with no rollup and no tick.
                long after = StructVmstats.v_free_count(km, StructGlobaldata.gd_vmstats(k.globaldata().globaldataFind(1)));
                assertEquals(before - taken.size(), after, "cpu 1's copy follows its own changes, page by page");
                assertTrue(after < reserved, "cpu 1 sees the shortage");
                assertTrue(k.vmPage2().vmPagingMin(), "cpu 1 without a rollup: below v_free_min");
                assertTrue(k.vmPage2().vmPagingSevere());
                assertEquals(0, k.vmPage().vmPageAlloc(0, 3, VmPage.VM_ALLOC_NORMAL),
                        "cpu 1 refuses a NORMAL allocation below v_free_reserved");
                drained[0] = true;
                k.lwkt().wakeup(chan);
            });

            mk.thread("writer", 0, () -> {
                while (!drained[0]) {
                    k.lwkt().tsleep(chan, "go", 0);
                }
                assertEquals(0, k.lwkt().ticks(), "still no tick");
                long free = meter.trueCount(StructVmstats.v_free_count$OFFSET);
                assertEquals(reserved - 10, free,
                        "10 below; the hog's exit kept its 3 kernel-stack pages (parked in cpu 1's gd_freetd)");
                long copy = StructGlobaldata.gd_vmstats(k.globaldata().globaldataFind(0));
                assertTrue(StructVmstats.v_free_count(km, copy) > reserved, "cpu 0's copy is from boot");

                // Against that copy cpu 0 sees plenty: no paging predicate trips, and a NORMAL
                // allocation is admitted ten pages below v_free_reserved.
                assertFalse(k.vmPage2().vmPagingMin(), "cpu 0: vm_paging_min() reads its stale copy");
                assertFalse(k.vmPage2().vmPagingSevere());
                assertFalse(k.vmPage2().vmPagingStart(0));
                long m = k.vmPage().vmPageAlloc(0, 1, VmPage.VM_ALLOC_NORMAL);
                assertNotEquals(0, m, "the writer overshoots v_free_reserved");
                taken.add(m);

                // Tick 1 (10 ms): cpu 0's hardclock runs first, folding only its own adjustment;
                // cpu 1's then folds the hog's remainder (what the early fold below -1024 left)
                // into the global vmstats. Tick 2: cpu 0's copy takes that global state.
                k.lwkt().tsleep(chan, "tick", 2);
                assertEquals(2, k.lwkt().ticks());
                assertTrue(k.vmPage2().vmPagingMin(), "cpu 0 after both cpus' hardclocks");
                assertTrue(k.vmPage2().vmPagingSevere());
                assertEquals(0, k.vmPage().vmPageAlloc(0, 2, VmPage.VM_ALLOC_NORMAL),
                        "refused once the copy shows the shortage");
                assertEquals(free - 1, StructVmstats.v_free_count(km, copy),
                        "the copy has the hog's pages and cpu 0's own allocation");

                for (long p : taken) {
                    k.vmPage2().vmPageFree(p);
                }
            });
            mk.run();
            VmPageQueueCheck.assertConsistent(k);
        }
    }

    @Test
    void aRollupOnTheReadingCpuAlsoRefreshesItsCopy() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 2, 22)) {
            Kernel k = mk.kernel;
            KernelMemory km = k.km();
            VmMeter meter = k.vmMeter();
            long vs = meter.vmstats();
            long min = StructVmstats.v_free_min(km, vs);
            long chan = vs + StructVmstats.v_page_count$OFFSET;
            boolean[] drained = {false};
            List<Long> taken = new ArrayList<>();

            mk.thread("hog", 1, () -> {
                while (meter.trueCount(StructVmstats.v_free_count$OFFSET) > min - 5) {
                    taken.add(k.vmPage().vmPageAlloc(0, 0, VmPage.VM_ALLOC_INTERRUPT));
                }
                drained[0] = true;
                k.lwkt().wakeup(chan);
            });
            mk.thread("reader", 0, () -> {
                while (!drained[0]) {
                    k.lwkt().tsleep(chan, "go", 0);
                }
                assertFalse(k.vmPage2().vmPagingMin(), "cpu 0's copy predates cpu 1's allocations");
                meter.vmstatsRollup();
                assertEquals(0, k.lwkt().ticks(), "no hardclock: the rollup alone did it");
                assertTrue(k.vmPage2().vmPagingMin(), "vmstats_rollup() on cpu 0 refreshed cpu 0's copy");
                for (long p : taken) {
                    k.vmPage2().vmPageFree(p);
                }
            });
            mk.run();
        }
    }

    /** The sysctl counts (the global vmstats) lag the queues, and are exact after a rollup. */
    @Test
    void sysctlCountsAreExactAfterTheRollup() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 2, 23)) {
            Kernel k = mk.kernel;
            Sysctl s = k.sysctl();
            VmMeter meter = k.vmMeter();
            mk.thread("churn", 1, () -> {
                // Whatever boot and thread creation left unfolded on either cpu, as a base.
                long lag0 = s.read("vm.stats.vm.v_free_count") - meter.trueCount(StructVmstats.v_free_count$OFFSET);
                List<Long> taken = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    taken.add(k.vmPage().vmPageAlloc(0, i, VmPage.VM_ALLOC_NORMAL));
                }
                for (int i = 0; i < 30; i++) {
                    k.vmPage().vmPageFreeToq(taken.removeLast());
                }
                long trueFree = meter.trueCount(StructVmstats.v_free_count$OFFSET);
                assertEquals(trueFree + lag0 + 70, s.read("vm.stats.vm.v_free_count"), "70 pages not rolled up yet");
                meter.vmstatsRollup();
                for (String n : new String[] {"free", "cache", "inactive", "active", "wire"}) {
                    long off = StructVmstats.layout().byteOffset(
                            java.lang.foreign.MemoryLayout.PathElement.groupElement("v_" + n + "_count"));
                    assertEquals(meter.trueCount(off), s.read("vm.stats.vm.v_" + n + "_count"), n);
                }
                // Give half back, then let one tick pass: every cpu's hardclock folds its
                // adjustments, so the sysctl counts are exact again without an explicit rollup.
                for (int i = 0; i < 35; i++) {
                    k.vmPage().vmPageFreeToq(taken.removeLast());
                }
                assertNotEquals(meter.trueCount(StructVmstats.v_free_count$OFFSET), s.read("vm.stats.vm.v_free_count"));
                k.lwkt().tsleep(meter.vmstats(), "tick", 1);
                for (String n : new String[] {"free", "cache", "inactive", "active", "wire"}) {
                    long off = StructVmstats.layout().byteOffset(
                            java.lang.foreign.MemoryLayout.PathElement.groupElement("v_" + n + "_count"));
                    assertEquals(meter.trueCount(off), s.read("vm.stats.vm.v_" + n + "_count"), n + " after a tick");
                }
                for (long p : taken) {
                    k.vmPage().vmPageFreeToq(p);
                }
            });
            mk.run();
            VmPageQueueCheck.assertConsistent(k);
        }
    }
}
