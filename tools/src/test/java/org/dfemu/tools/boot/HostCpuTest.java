package org.dfemu.tools.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The host-CPU line {@code dfemu boot} prints on stderr: its arithmetic and its wording. */
class HostCpuTest {
    private static RunRecord record(long faults, long moved) {
        return new RunRecord(1, 0, RunRecord.Outcome.OK, 0, 0, -1, 0, 0, null, 0, faults, moved);
    }

    @Test
    void dividesTheProcessCpuByFaultsAndByPagesMoved() {
        assertEquals("host cpu: 12.3 s; 42.4 us per fault (290000 faults); 82.0 us per page moved (150000 pages)",
                HostCpu.line(12_300_000_000L, record(290_000, 150_000)));
    }

    @Test
    void saysSoWhenNothingWasCounted() {
        assertEquals("host cpu: 1.0 s; no faults; no pages moved through swap", HostCpu.line(1_000_000_000L, record(0, 0)));
        assertEquals("host cpu: not available on this platform", HostCpu.line(-1, record(5, 5)));
    }

    @Test
    void theProcessCpuGrowsAndIsPositiveOnThisJvm() {
        long a = HostCpu.processCpuNs();
        assertTrue(a > 0, "process CPU " + a);
        long x = 0;
        for (int i = 0; i < 50_000_000; i++) x += i ^ (x >>> 3);
        assertTrue(HostCpu.processCpuNs() >= a, "CPU time never goes back (" + x + ")");
    }
}
