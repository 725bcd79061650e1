package org.dfemu.kernel.kern;

import org.dfemu.emulator.MachineConfig;
import org.dfemu.emulator.api.Environment;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.vm.VmPage;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.dfemu.kernel.sys.Malloc.M_NOWAIT;
import static org.dfemu.kernel.sys.Malloc.M_WAITOK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fault injection (debug.fail_page_alloc, debug.failslab, debug.fail_zalloc): failures follow
 * Linux's should_fail() rules, come from the run's seed, hit only the chosen classes or zones,
 * and take the C's own failure path.
 */
class FailAllocTest {
    private static final long MB = 1L << 20;

    /** The kernel environment setting {@code target}'s probability, interval and times, plus {@code more}. */
    private static Environment target(String target, int probability, long interval, long times, String... more) {
        Environment env = Environment.of("debug." + target + ".probability=" + probability,
                "debug." + target + ".interval=" + interval, "debug." + target + ".times=" + times);
        for (String a : more) env = env.setenv(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
        return env;
    }

    private static MachineKernel boot(long seed, Environment kenv) {
        return MachineKernel.boot(MachineConfig.of(32 * MB, 1, seed), new KernelConfig(1, 100, 0, kenv));
    }

    /** Allocates and frees {@code n} pages of {@code pageReq} in a kernel thread; returns the indices that failed. */
    private static List<Integer> failedAllocs(MachineKernel mk, int[] pageReqs, int n) {
        Kernel k = mk.kernel;
        List<Integer> failed = new ArrayList<>();
        mk.thread("alloc", 0, () -> {
            for (int i = 0; i < n; i++) {
                long m = k.vmPage().vmPageAlloc(0, 0, pageReqs[i % pageReqs.length]);
                if (m == 0) {
                    failed.add(i);
                } else {
                    k.vmPage2().vmPageFree(m);
                }
            }
        });
        mk.run();
        return failed;
    }

    private static final int[] NORMAL = {VmPage.VM_ALLOC_NORMAL};

    @Test
    void theSameSeedGivesTheSameFailures() {
        Environment s = target("fail_page_alloc", 30, 1, -1, "debug.fail_page_alloc.classes=normal");
        List<Integer> a;
        List<Integer> b;
        List<Integer> c;
        try (MachineKernel mk = boot(7, s)) {
            a = failedAllocs(mk, NORMAL, 200);
            assertEquals(a.size(), mk.kernel.sysctl().read("debug.fail_page_alloc.injected"));
            assertEquals(200, mk.kernel.sysctl().read("debug.fail_page_alloc.calls"));
        }
        try (MachineKernel mk = boot(7, s)) {
            b = failedAllocs(mk, NORMAL, 200);
        }
        try (MachineKernel mk = boot(8, s)) {
            c = failedAllocs(mk, NORMAL, 200);
        }
        assertEquals(a, b);
        assertNotEquals(a, c, "another seed, other failures");
        assertTrue(a.size() > 30 && a.size() < 90, "about 30% of 200: " + a.size());
    }

    @Test
    void probability100Times3FailsExactlyThreeOfTheChosenClassOnly() {
        Environment s = target("fail_page_alloc", 100, 1, 3, "debug.fail_page_alloc.classes=system");
        int[] mix = {VmPage.VM_ALLOC_NORMAL, VmPage.VM_ALLOC_NORMAL | VmPage.VM_ALLOC_SYSTEM, VmPage.VM_ALLOC_INTERRUPT};
        try (MachineKernel mk = boot(3, s)) {
            int deficitBefore = mk.kernel.vmPageout().vmPageoutDeficit();
            List<Integer> failed = failedAllocs(mk, mix, 30);
            // The system-class calls are 1, 4, 7, ...: the first three fail, nothing else does.
            assertEquals(List.of(1, 4, 7), failed);
            assertEquals(3, mk.kernel.failAlloc().injectedPage());
            // The C's failure path: vm_pageout_deficit++ per failure.
            assertEquals(deficitBefore + 3, mk.kernel.vmPageout().vmPageoutDeficit());
        }
    }

    @Test
    void anInterruptClassIntervalFailsEveryNth() {
        Environment s = target("fail_page_alloc", 100, 4, -1, "debug.fail_page_alloc.classes=interrupt");
        int[] mix = {VmPage.VM_ALLOC_INTERRUPT, VmPage.VM_ALLOC_NORMAL};
        try (MachineKernel mk = boot(4, s)) {
            List<Integer> failed = failedAllocs(mk, mix, 40);
            // Interrupt calls are the even indices; every 4th of them fails: calls 4, 8, ... = index 6, 14, ...
            assertEquals(List.of(6, 14, 22, 30, 38), failed);
        }
    }

    @Test
    void zallocFailsOnlyInTheChosenZones() {
        Environment s = target("fail_zalloc", 100, 1, 2, "debug.fail_zalloc.zones=PV ENTRY");
        try (MachineKernel mk = boot(5, s)) {
            Kernel k = mk.kernel;
            long pv = k.pmap().pvzone();
            long mapent = k.vmMap().mapentzone();
            List<Long> got = new ArrayList<>();
            mk.thread("zalloc", 0, () -> {
                got.add(k.vmZone().zalloc(mapent));
                got.add(k.vmZone().zalloc(pv));
                got.add(k.vmZone().zalloc(pv));
                got.add(k.vmZone().zalloc(pv));
                got.add(k.vmZone().zalloc(mapent));
            });
            mk.run();
            assertNotEquals(0L, got.get(0));
            assertEquals(0L, got.get(1));
            assertEquals(0L, got.get(2));
            assertNotEquals(0L, got.get(3), "times=2: the third PV ENTRY allocation succeeds");
            assertNotEquals(0L, got.get(4));
            assertEquals(2, k.sysctl().read("debug.fail_zalloc.injected"));
        }
    }

    @Test
    void failslabSparesMWaitokUnlessAskedAndThenTakesTheVmWaitPath() {
        long size = 128 * 1024;
        Environment exempt = target("failslab", 100, 1, 1, "debug.failslab.ignore_waitok=1");
        try (MachineKernel mk = boot(6, exempt)) {
            KernSlaballoc sa = mk.kernel.kernSlaballoc();
            long[] got = new long[3];
            mk.thread("slab", 0, () -> {
                got[0] = sa.kmemSlabAlloc(size, size, M_WAITOK);
                got[1] = sa.kmemSlabAlloc(size, size, M_NOWAIT);
                got[2] = sa.kmemSlabAlloc(size, size, M_NOWAIT);
            });
            mk.run();
            assertNotEquals(0L, got[0], "M_WAITOK is exempt (ignore_waitok)");
            assertEquals(0L, got[1], "kmem_slab_alloc's NULL for a non-blocking caller");
            assertNotEquals(0L, got[2], "times=1");
            assertEquals(1, mk.kernel.failAlloc().injectedSlab());
        }
        Environment waitok = target("failslab", 100, 1, 1, "debug.failslab.ignore_waitok=0");
        try (MachineKernel mk = boot(6, waitok)) {
            KernSlaballoc sa = mk.kernel.kernSlaballoc();
            long[] got = new long[1];
            mk.thread("slab", 0, () -> got[0] = sa.kmemSlabAlloc(size, size, M_WAITOK));
            mk.run();
            // A blocking caller never sees NULL: the failed page sends it through vm_wait(0) and a retry.
            assertNotEquals(0L, got[0]);
            assertEquals(1, mk.kernel.failAlloc().injectedSlab());
        }
    }

    @Test
    void bootAllocationsNeverFail() {
        Environment s = target("fail_page_alloc", 100, 1, -1, "debug.fail_page_alloc.classes=normal,system,interrupt");
        try (MachineKernel mk = boot(9, s)) {
            assertNotEquals(0L, mk.kernel.vmPage().vmPageAlloc(0, 0, VmPage.VM_ALLOC_NORMAL));
            assertEquals(0, mk.kernel.failAlloc().injectedPage());
        }
    }
}
