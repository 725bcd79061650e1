package org.dfemu.emulator.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Deadlocks are found whatever the interleaving, and reported with each thread's channel, message
 * and frames. (Lock deadlocks are the kernel's: kernel/.../kern/KernLockTest and KernSpinlockTest;
 * the neutral wait-for reports are in {@link WaitForOwnerTest}.)
 */
class DeadlockTest {
    @ParameterizedTest
    @ValueSource(longs = {7, 8})
    void sleepWithoutWakerIsReportedWithChannelMessageAndFrames(long seed) {
        try (TestMachine m = new TestMachine(2, seed)) {
            LwktScheduler s = m.sched;
            // A housekeeping event does not keep the run alive and must not be waited for.
            m.clock.scheduleIn(10_000_000_000L, "hardclock", false, () -> {});
            s.spawn("worker", 1, 0, () -> s.consume(5_000));
            s.spawn("pagedaemon", 0, 0, () -> {
                s.pushFrame("_kmalloc_obj(SWAPMETA)");
                s.pushFrame("kmem_slab_alloc");
                s.pushFrame("vm_wait");
                s.sleep(0xfeed000L, "vmwait", 0);
            });

            RunResult r = s.run();

            assertEquals(RunResult.Outcome.DEADLOCK, r.outcome(), r::toString);
            assertTrue(r.timeNs() < 10_000_000_000L, "waited for a housekeeping event");
            ThreadInfo pd = r.deadlock().thread("pagedaemon");
            assertEquals(1, r.deadlock().threads().size(), "exited threads are not listed");
            assertEquals(ThreadState.SLEEPING, pd.state());
            assertEquals(0xfeed000L, pd.wchan());
            assertEquals("vmwait", pd.wmesg());
            assertEquals("pagedaemon in vm_wait, from kmem_slab_alloc, from _kmalloc_obj(SWAPMETA)", pd.frameChain());
            String text = r.toString();
            assertTrue(text.contains("0x000000000feed000"), text);
            assertTrue(text.contains("vmwait"), text);
            assertTrue(text.contains("pagedaemon in vm_wait, from kmem_slab_alloc, from _kmalloc_obj(SWAPMETA)"), text);
        }
    }
}
