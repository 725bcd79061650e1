package org.dfemu.emulator.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.dfemu.emulator.api.Held;
import org.dfemu.emulator.trace.EmulatorEvents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The neutral primitives a kernel builds its locks on: blocking for what another thread holds
 * ({@code blockOn}, {@code wakeupBlocked}), polling for it ({@code awaiting}, {@code yield}'s
 * answer), what each thread holds ({@code holdings}), and ending a run as a deadlock the software
 * found ({@code deadlock}). Reports show the caller's descriptions with the holders named.
 */
class WaitForOwnerTest {
    private static final long A = 0x1000;
    private static final long B = 0x1008;
    private static final long BARRIER = 0x5000;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void threadsBlockedOnWhatTheOtherHoldsAreADeadlockReportedWithHolders(long seed) {
        try (TestMachine m = new TestMachine(2, seed)) {
            LwktScheduler s = m.sched;
            int[] owner = new int[2];   // owner[0] holds A, owner[1] holds B
            s.holdings(tid -> {
                List<Held> out = new ArrayList<>();
                if (owner[0] == tid) out.add(new Held(A, "lock_a", "exclusive"));
                if (owner[1] == tid) out.add(new Held(B, "lock_b", "exclusive"));
                return out;
            });
            int[] arrived = {0};
            Runnable meet = () -> {
                if (++arrived[0] < 2) s.sleep(BARRIER, "barrier", 0); else s.wakeup(BARRIER);
            };
            s.spawn("alpha", 0, 0xa000, () -> {
                owner[0] = s.curtid();
                meet.run();
                s.pushFrame("grab_b");
                while (owner[1] != 0) s.blockOn(B, "lock_b", new TestAwaited(B, "lock_b", "exclusive", () -> owner[1]));
            });
            s.spawn("beta", 1, 0xb000, () -> {
                owner[1] = s.curtid();
                meet.run();
                s.pushFrame("grab_a");
                while (owner[0] != 0) s.blockOn(A, "lock_a", new TestAwaited(A, "lock_a", "exclusive", () -> owner[0]));
            });

            RunResult r = s.run();

            assertEquals(RunResult.Outcome.DEADLOCK, r.outcome(), r::toString);
            ThreadInfo alpha = r.deadlock().thread("alpha");
            ThreadInfo beta = r.deadlock().thread("beta");
            assertEquals(ThreadState.LOCKWAIT, alpha.state());
            assertEquals(B, alpha.wchan());
            assertEquals("lock_b", alpha.wmesg());
            assertEquals(List.of(new ThreadInfo.Holder(beta.tid(), "beta", ThreadState.LOCKWAIT)), alpha.waitsFor().holders());
            assertEquals(List.of(new Held(A, "lock_a", "exclusive")), alpha.held());
            String text = r.deadlock().toString();
            assertTrue(text.contains("waits for lock_b at 0x1008 (exclusive), held exclusively by tid 2 (beta, LOCKWAIT)"), text);
            assertTrue(text.contains("waits for lock_a at 0x1000 (exclusive), held exclusively by tid 1 (alpha, LOCKWAIT)"), text);
            assertTrue(text.contains("holds lock_a at 0x1000 (exclusive)"), text);
            assertEquals(1, m.log.count(EmulatorEvents.SCHED_DEADLOCK));
        }
    }

    @Test
    void wakeupBlockedWakesTheBlockedOnlyAndClearsWhatTheyWaitFor() {
        try (TestMachine m = new TestMachine(1, 2)) {
            LwktScheduler s = m.sched;
            int[] owner = {0};
            int[] waiting = {0};
            List<String> woke = new ArrayList<>();
            ThreadInfo[] blockedSeen = new ThreadInfo[1];
            s.spawn("holder", 0, 0, () -> {
                owner[0] = s.curtid();
                while (waiting[0] < 2) s.yield();
                blockedSeen[0] = s.threads().get(1);
                owner[0] = 0;
                s.wakeupBlocked(A);
                while (woke.isEmpty()) s.yield();
                assertEquals(ThreadState.SLEEPING, s.threads().get(2).state(), "a plain sleeper on the channel stays asleep");
                s.wakeup(A);
            });
            s.spawn("blocked", 0, 0, () -> {
                while (owner[0] == 0) s.yield();   // the holder first takes it
                while (owner[0] != 0) {
                    waiting[0]++;
                    s.blockOn(A, "lk", new TestAwaited(A, "lk", "exclusive", () -> owner[0]));
                }
                assertEquals(null, s.threads().get(1).waitsFor(), "woken: no longer waits");
                woke.add("blocked");
            });
            s.spawn("sleeper", 0, 0, () -> {
                waiting[0]++;
                s.sleep(A, "plain", 0);
                woke.add("sleeper");
            });
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.ALL_EXITED, r.outcome(), r::toString);
            assertEquals(List.of("blocked", "sleeper"), woke);
            assertEquals(ThreadState.LOCKWAIT, blockedSeen[0].state());
            assertEquals("lk at 0x1000 (exclusive), held exclusively by tid 1 (holder, RUNNING)", blockedSeen[0].waitsFor().toString());
        }
    }

    @Test
    void yieldSaysWhetherAnotherThreadRan() {
        try (TestMachine m = new TestMachine(2, 3)) {
            LwktScheduler s = m.sched;
            boolean[] seen = new boolean[3];
            s.spawn("alone", 0, 0, () -> {
                seen[0] = s.yield();
                s.spawn("other", 1, 0, () -> { });
                seen[1] = s.yield();
                s.preemptDisable();
                s.spawn("samecpu", 0, 0, () -> { });
                seen[2] = s.yield();
                s.preemptEnable();
            });
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.ALL_EXITED, r.outcome(), r::toString);
            assertFalse(seen[0], "nobody else to run");
            assertTrue(seen[1], "the other CPU's thread ran");
            assertFalse(seen[2], "the same CPU's thread is held off while preemption is disabled");
        }
    }

    @Test
    void theSoftwareEndsTheRunAsADeadlockWithPollersShownSpinning() {
        try (TestMachine m = new TestMachine(2, 4)) {
            LwktScheduler s = m.sched;
            int[] owner = new int[2];
            int[] arrived = {0};
            boolean[] rightSpinning = {false};
            boolean[] returned = {false};
            Runnable meet = () -> {
                if (++arrived[0] < 2) s.sleep(BARRIER, "barrier", 0); else s.wakeup(BARRIER);
            };
            s.spawn("left", 0, 0, () -> {
                owner[0] = s.curtid();
                meet.run();
                s.awaiting(new TestAwaited(B, "spin lock", "spin", () -> owner[1]));
                while (owner[1] != 0) {
                    if (rightSpinning[0]) {
                        Error unwind = s.deadlock("pollers wait for each other");
                        returned[0] = true;
                        throw unwind;
                    }
                    s.yield();
                }
            });
            s.spawn("right", 1, 0, () -> {
                owner[1] = s.curtid();
                meet.run();
                s.awaiting(new TestAwaited(A, "spin lock", "spin", () -> owner[0]));
                rightSpinning[0] = true;
                while (owner[0] != 0) s.yield();
            });
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.DEADLOCK, r.outcome(), r::toString);
            assertEquals("pollers wait for each other", r.reason());
            assertTrue(returned[0], "deadlock() returns the Error to unwind with once the run is over");
            String text = r.deadlock().toString();
            assertTrue(text.contains("spins on spin lock at 0x1008 (spin), held exclusively by tid 2 (right, RUNNABLE)"), text);
            assertTrue(text.contains("spins on spin lock at 0x1000 (spin), held exclusively by tid 1 (left, RUNNING)"), text);
            assertEquals(1, m.log.count(EmulatorEvents.SCHED_DEADLOCK));
        }
    }
}
