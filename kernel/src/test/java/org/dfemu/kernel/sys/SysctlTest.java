package org.dfemu.kernel.sys;

import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.vm.VmPage;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sysctl names of vm_meter.c and vm_pageout.c read live values from emulated memory. */
class SysctlTest {
    @Test
    void vmStatsAndThresholdsReadEmulatedMemory() {
        try (TestKernel t = TestKernel.boot(64 << 20)) {
            Kernel k = t.kernel;
            KernelMemory km = k.km();
            Sysctl s = k.sysctl();
            long vs = k.vmMeter().vmstats();
            assertEquals(StructVmstats.v_free_min(km, vs), s.read("vm.v_free_min"));
            assertEquals(StructVmstats.v_free_reserved(km, vs), s.read("vm.v_free_reserved"));
            assertEquals(StructVmstats.v_free_severe(km, vs), s.read("vm.v_free_severe"));
            assertEquals(StructVmstats.v_pageout_free_min(km, vs), s.read("vm.v_pageout_free_min"));
            assertEquals(StructVmstats.v_interrupt_free_min(km, vs), s.read("vm.stats.vm.v_interrupt_free_min"));
            for (String n : new String[] {"wait", "start", "target1", "target2"}) {
                assertEquals(s.read("vm.v_paging_" + n), s.read("vm.stats.vm.v_paging_" + n));
            }
            assertEquals(4096, s.read("vm.stats.vm.v_page_size"));
            assertEquals(16, s.read("vm.page_free_hysteresis"));
            // As in the C, v_interrupt_free_min exists only under vm.stats.vm.
            assertFalse(s.exists("vm.v_interrupt_free_min"));

            long free = s.read("vm.stats.vm.v_free_count");
            long m = k.vmPage().vmPageAlloc(0, 0, VmPage.VM_ALLOC_NORMAL);
            // The sysctl reads the global vmstats: the allocation sits in this cpu's
            // gd_vmstats_adj until a hardclock (or vmstats_rollup) folds it in.
            assertEquals(free, s.read("vm.stats.vm.v_free_count"), "not yet rolled up");
            TestKernel.tick(k);
            assertEquals(free - 1, s.read("vm.stats.vm.v_free_count"), "exact after the rollup");
            long tfree = s.read("vm.stats.vm.v_tfree");
            k.vmPage().vmPageFreeToq(m);
            assertEquals(tfree + 1, s.read("vm.stats.vm.v_tfree"), "per-cpu gd_cnt summed (vcnt)");

            assertTrue(s.names().contains("vm.stats.sys.v_swtch"));
            assertEquals(s.names().first(), s.names().stream().sorted().findFirst().orElseThrow());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.read("vm.nope"));
            assertEquals("sysctl: unknown oid 'vm.nope'", e.getMessage());
        }
    }
}
