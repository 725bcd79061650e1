package org.dfemu.kernel.sys;

import org.dfemu.emulator.sched.RunResult;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.kern.Lwkt;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * kern_clock.c's pseudo_ticks (the existential locks' clock): cpu 0's hardclock advances it only
 * once every cpu has re-armed (gd_exisarmed), and a cpu re-arms itself only on odd ticks
 * (exis_hold_gd/exis_drop_gd in hardclock), so it advances every other tick, hz/2 per second; a
 * cpu holding an exis critical section stops it.
 */
class ExislockClockTest {
    private static final long MB = 1L << 20;

    @Test
    void pseudoTicksAdvanceEveryOtherTickAndStopWhileACpuHoldsAnExisSection() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 2, 7)) {
            Kernel k = mk.kernel;
            Lwkt lwkt = k.lwkt();
            long[] seen = new long[6];
            mk.thread("observer", 0, () -> {
                lwkt.tsleep(0x0e15L, "obs", 10);
                seen[0] = lwkt.ticks();
                seen[1] = k.kernClock().pseudoTicks();
                lwkt.tsleep(0x0e15L, "obs", 10);
                seen[2] = k.kernClock().pseudoTicks();
                // cpu 1 enters a type-safe section and stays: nothing advances any more.
                long gd1 = k.globaldata().globaldataFind(1);
                Exislock.exisHoldGd(k.km(), gd1);
                lwkt.tsleep(0x0e15L, "obs", 4);
                long held = k.kernClock().pseudoTicks();
                lwkt.tsleep(0x0e15L, "obs", 20);
                seen[3] = k.kernClock().pseudoTicks() - held;
                // Leaving it arms cpu 1 again.
                Exislock.exisDropGd(k.km(), gd1);
                long dropped = k.kernClock().pseudoTicks();
                lwkt.tsleep(0x0e15L, "obs", 20);
                seen[4] = k.kernClock().pseudoTicks() - dropped;
                seen[5] = held;
                mk.machine.scheduler().requestStop("observed");
            });
            RunResult r = mk.machine.scheduler().run();
            assertEquals(true, seen[0] >= 10, r.toString());
            assertEquals(1 + seen[0] / 2, seen[1], "1 + ticks/2 after " + seen[0] + " ticks");
            assertEquals(seen[1] + 5, seen[2], "10 ticks later: 5 pseudo_ticks");
            assertEquals(0, seen[3], "no advance while cpu 1 holds an exis section");
            // The drop armed cpu 1 at once and cpu 0 re-armed on its last odd tick, so the next
            // tick advances, then every other one: 10 or 11 in 20 ticks, by phase.
            assertEquals(true, seen[4] == 10 || seen[4] == 11, "every other tick again once it dropped it: " + seen[4]);
        }
    }
}
