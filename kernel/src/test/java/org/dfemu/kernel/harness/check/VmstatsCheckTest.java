package org.dfemu.kernel.harness.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.sys.StructGlobaldata;
import org.dfemu.kernel.sys.StructVmstats;
import org.junit.jupiter.api.Test;

/**
 * VmstatsCheck judges the true counts (global plus every cpu's pending gd_vmstats_adj), not the
 * global alone: a cpu that folds a large queue removal early (below -1024) can leave the global
 * count negative while another cpu's matching additions wait for its hardclock, as in the C.
 * Found by `dfemu explore` (seed 1921 of --seeds 1..2000 --shard 0/2 --time 5, 16M, 4 cpus:
 * inactive and active both -1025 in the global at 4.8 ms, before any hardclock).
 */
class VmstatsCheckTest {
    @Test
    void aNegativeGlobalCountWithPendingAdjustmentsIsConsistentAndATrueNegativeIsNot() {
        try (MachineKernel mk = MachineKernel.boot(32L << 20, 2, 5)) {
            Kernel k = mk.kernel;
            KernelMemory km = k.km();
            long vs = k.vmMeter().vmstats();
            assertEquals(List.of(), VmstatsCheck.check(k), "after boot");
            long inactive = StructVmstats.v_inactive_count(km, vs);
            long adj1 = StructGlobaldata.gd_vmstats_adj(k.globaldata().globaldataFind(1));
            long pending = km.load64(adj1 + StructVmstats.v_inactive_count$OFFSET);
            // cpu 0 folded -1025 into the global; cpu 1 holds +1025 of additions not yet folded.
            km.store64(vs + StructVmstats.v_inactive_count$OFFSET, inactive - 1025);
            km.store64(adj1 + StructVmstats.v_inactive_count$OFFSET, pending + 1025);
            assertTrue(inactive < 1025 && StructVmstats.v_inactive_count(km, vs) < 0, "the global alone is negative");
            assertEquals(List.of(), VmstatsCheck.check(k), "the true count is what it was");
            // Now a true count below zero: the additions were never made.
            km.store64(adj1 + StructVmstats.v_inactive_count$OFFSET, pending);
            List<String> errors = VmstatsCheck.check(k);
            assertEquals(1, errors.size(), errors.toString());
            assertTrue(errors.getFirst().startsWith("counts out of range: "), errors.toString());
        }
    }
}
