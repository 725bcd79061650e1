package org.dfemu.emulator.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.dfemu.emulator.trace.EmulatorEvents;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Deadlocks are found whatever the interleaving, and reported with who waits for what and who holds it. */
class DeadlockTest {
    private static final long LOCK_A = 0x1000;
    private static final long LOCK_B = 0x1008;
    private static final long BARRIER = 0x5000;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void twoThreadsEachHoldingTheLockTheOtherWants(long seed) {
        try (TestMachine m = new TestMachine(2, seed)) {
            LwktScheduler s = m.sched;
            int[] arrived = {0};
            // Both threads take their first lock before either asks for its second, in every interleaving.
            Runnable meet = () -> {
                if (++arrived[0] < 2) {
                    s.tsleep(BARRIER, "barrier", 0);
                } else {
                    s.wakeup(BARRIER);
                }
            };
            s.spawn("alpha", 0, 0xa000, () -> {
                s.pushFrame("alpha_main");
                s.lockExclusive(LOCK_A, "lock_a");
                meet.run();
                s.pushFrame("grab_b");
                s.lockExclusive(LOCK_B, "lock_b");
            });
            s.spawn("beta", 1, 0xb000, () -> {
                s.pushFrame("beta_main");
                s.lockExclusive(LOCK_B, "lock_b");
                meet.run();
                s.pushFrame("grab_a");
                s.lockExclusive(LOCK_A, "lock_a");
            });

            RunResult r = s.run();

            assertEquals(RunResult.Outcome.DEADLOCK, r.outcome(), r::toString);
            DeadlockReport rep = r.deadlock();
            assertEquals(DeadlockReport.Kind.DEADLOCK, rep.kind());
            ThreadInfo alpha = rep.thread("alpha");
            ThreadInfo beta = rep.thread("beta");
            assertEquals(ThreadState.LOCKWAIT, alpha.state());
            assertEquals(LOCK_B, alpha.wchan());
            assertEquals("lock_b", alpha.wmesg());
            assertEquals(List.of(new ThreadInfo.Holder(beta.tid(), "beta", ThreadState.LOCKWAIT)), alpha.lockWait().holders());
            assertEquals(List.of(new ThreadInfo.HeldLock(LOCK_A, "lock_a", LockMode.EXCLUSIVE)), alpha.held());
            assertEquals(ThreadState.LOCKWAIT, beta.state());
            assertEquals(LOCK_A, beta.wchan());
            assertEquals("lock_a", beta.wmesg());
            assertEquals(List.of(new ThreadInfo.Holder(alpha.tid(), "alpha", ThreadState.LOCKWAIT)), beta.lockWait().holders());
            assertEquals("alpha in grab_b, from alpha_main", alpha.frameChain());

            String text = rep.toString();
            assertTrue(text.contains("0x0000000000001008"), text);
            assertTrue(text.contains("waits for lock_b at 0x1008 (exclusive), held exclusively by tid 2 (beta, LOCKWAIT)"), text);
            assertTrue(text.contains("waits for lock_a at 0x1000 (exclusive), held exclusively by tid 1 (alpha, LOCKWAIT)"), text);
            assertEquals(1, m.log.count(EmulatorEvents.SCHED_DEADLOCK));
        }
    }

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
                s.tsleep(0xfeed000L, "vmwait", 0);
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

    @ParameterizedTest
    @ValueSource(longs = {11, 12, 13})
    void spinnersWaitingOnEachOtherAreADeadlock(long seed) {
        SchedulerSettings alwaysSwitch = SchedulerSettings.DEFAULTS.withSwitchProbability(1.0);
        try (TestMachine m = new TestMachine(2, seed, alwaysSwitch)) {
            LwktScheduler s = m.sched;
            s.spawn("left", 0, 0, () -> {
                s.spinLock(0x100);
                s.consume(10);
                s.spinLock(0x108);
            });
            s.spawn("right", 1, 0, () -> {
                s.spinLock(0x108);
                s.consume(10);
                s.spinLock(0x100);
            });

            RunResult r = s.run();

            assertEquals(RunResult.Outcome.DEADLOCK, r.outcome(), r::toString);
            assertTrue(r.reason().startsWith("spin lock deadlock: threads 1 -> 2 -> 1")
                    || r.reason().startsWith("spin lock deadlock: threads 2 -> 1 -> 2"), r.reason());
            ThreadInfo left = r.deadlock().thread("left");
            assertNotNull(left.lockWait());
            assertEquals(LockMode.SPIN, left.lockWait().mode());
            assertEquals(0x108, left.lockWait().pa());
            assertEquals("right", left.lockWait().holders().getFirst().name());
        }
    }
}
