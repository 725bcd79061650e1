package org.dfemu.kernel.vm;

import static org.dfemu.kernel.vm.VmTestSupport.drainTo;
import static org.dfemu.kernel.vm.VmTestSupport.free;
import static org.dfemu.kernel.vm.VmTestSupport.reserved;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.TestKernel;
import org.junit.jupiter.api.Test;

/** dfemu's low-water mark of v_free_count (debug.dfemu.v_free_low): follows every page taken, never a page freed. */
class VmMeterFreeLowTest {
    @Test
    void theLowWaterMarkFollowsAllocationsAndStaysWhenPagesComeBack() {
        try (TestKernel t = TestKernel.boot(16 << 20)) {
            Kernel k = t.kernel;
            long afterBoot = k.sysctl().read("debug.dfemu.v_free_low");
            assertTrue(afterBoot > 0 && afterBoot <= free(k), "boot took pages; the low is never above the free count");
            List<Long> taken = drainTo(k, reserved(k) - 3);
            assertEquals(reserved(k) - 3, k.sysctl().read("debug.dfemu.v_free_low"));
            for (long m : taken) k.vmPage2().vmPageFree(m);
            assertEquals(reserved(k) - 3, k.sysctl().read("debug.dfemu.v_free_low"), "freeing does not raise it");
            assertTrue(free(k) > reserved(k));
            assertEquals(0, k.sysctl().read("debug.dfemu.v_free_low_time"), "boot context: time 0");
        }
    }
}
