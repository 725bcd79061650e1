package org.dfemu.emulator.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Spin locks and lockmgr locks on memory words: exclusion, sharing, the word encoding, misuse panics. */
class LockTest {
    private static final long SPIN = 0x100;
    private static final long LK = 0x200;
    private static final long COUNTER = 0x1000;
    private static final long CHAN = 0x2000;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void spinLockExcludesThreadsOfOtherCpus(long seed) {
        try (TestMachine m = new TestMachine(4, seed, SchedulerSettings.DEFAULTS.withSwitchProbability(0.8))) {
            LwktScheduler s = m.sched;
            int[] maxSpinners = {0};
            for (int i = 0; i < 4; i++) {
                s.spawn("inc" + i, i, 0, () -> {
                    for (int k = 0; k < 25; k++) {
                        s.spinLock(SPIN);
                        assertEquals(1, s.critCount(), "a spin lock holder is in a critical section");
                        assertEquals(s.curtid(), m.memory.load64(SPIN), "spin word holds the owner tid");
                        long v = m.memory.load64(COUNTER);
                        s.consume(50);
                        m.memory.store64(COUNTER, v + 1);
                        s.spinUnlock(SPIN);
                        assertEquals(0, s.critCount());
                    }
                });
            }
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.ALL_EXITED, r.outcome(), r::toString);
            assertEquals(100, m.memory.load64(COUNTER));
            assertEquals(0, m.memory.load64(SPIN));
        }
    }

    @Test
    void sharedHoldersCoexistAndAWriterWaitsForAllOfThem() {
        try (TestMachine m = new TestMachine(2, 4)) {
            LwktScheduler s = m.sched;
            List<String> events = new ArrayList<>();
            long[] wordWithTwoReaders = {-1};
            int[] readersIn = {0};
            for (int i = 0; i < 2; i++) {
                String name = "reader" + i;
                s.spawn(name, i, 0, () -> {
                    s.lockShared(LK, "vmobj");
                    events.add(name + " in");
                    if (++readersIn[0] < 2) {
                        s.tsleep(CHAN, "both", 0);
                    } else {
                        wordWithTwoReaders[0] = m.memory.load64(LK);
                        s.wakeup(CHAN);
                    }
                    s.consume(1_000);
                    events.add(name + " out");
                    s.lockRelease(LK);
                });
            }
            s.spawn("writer", 1, 0, () -> {
                while (readersIn[0] == 0) s.yield();
                s.lockExclusive(LK, "vmobj");
                events.add("writer in");
                assertEquals(Long.MIN_VALUE | s.curtid(), m.memory.load64(LK), "bit 63 plus owner tid");
                s.lockRelease(LK);
            });
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.ALL_EXITED, r.outcome(), r::toString);
            assertEquals(2, wordWithTwoReaders[0], "share count of two");
            assertEquals("writer in", events.getLast(), events::toString);
            assertEquals(0, m.memory.load64(LK));
        }
    }

    @Test
    void tryLocksNeverBlock() {
        try (TestMachine m = new TestMachine(1, 1)) {
            LwktScheduler s = m.sched;
            boolean[] got = new boolean[4];
            boolean[] ready = {false};
            s.spawn("holder", 0, 0, () -> {
                s.lockExclusive(LK, "lk");
                m.memory.store64(SPIN, 99);  // as if another thread held the spin lock
                ready[0] = true;
                s.tsleep(CHAN, "hold", 1_000);
                m.memory.store64(SPIN, 0);
                s.lockRelease(LK);
            });
            s.spawn("trier", 0, 0, () -> {
                while (!ready[0]) s.yield();
                got[0] = s.lockTryExclusive(LK, "lk");
                got[1] = s.spinTryLock(SPIN);
                s.tsleep(CHAN, "later", 2_000);
                got[2] = s.lockTryExclusive(LK, "lk");
                got[3] = s.spinTryLock(SPIN);
                assertEquals(1, s.critCount());
                s.spinUnlock(SPIN);
                s.lockRelease(LK);
            });
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.ALL_EXITED, r.outcome(), r::toString);
            assertFalse(got[0] || got[1], "acquired a held lock");
            assertTrue(got[2] && got[3], "failed on a free lock");
        }
    }

    @Test
    void tsleepHoldingASpinLockPanics() {
        try (TestMachine m = new TestMachine(2, 3)) {
            LwktScheduler s = m.sched;
            s.spawn("other", 1, 0, () -> s.tsleep(CHAN, "idle", 0));
            s.spawn("culprit", 0, 0, () -> {
                s.pushFrame("vm_page_alloc");
                s.spinLock(0x3000);
                s.tsleep(CHAN, "vmwait", 0);
            });
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.PANIC, r.outcome(), r::toString);
            assertEquals("culprit", r.panicThread().name());
            SchedulerPanic p = assertInstanceOf(SchedulerPanic.class, r.panicCause());
            assertEquals("tsleep(vmwait): culprit would sleep holding spin lock 0x3000", p.getMessage());
            assertEquals(List.of("vm_page_alloc"), r.panicThread().frames());
            assertTrue(r.toString().contains("culprit in vm_page_alloc"), r::toString);
        }
    }

    @Test
    void lockmgrWithASpinLockHeldPanicsEvenUncontended() {
        try (TestMachine m = new TestMachine(1, 3)) {
            LwktScheduler s = m.sched;
            s.spawn("culprit", 0, 0, () -> {
                s.spinLock(0x3000);
                s.lockShared(LK, "vm_map");
            });
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.PANIC, r.outcome(), r::toString);
            assertEquals("lockmgr(vm_map): culprit would sleep holding spin lock 0x3000", r.panicCause().getMessage());
            assertEquals(0, m.memory.load64(LK), "the lock was taken anyway");
        }
    }

    @Test
    void releasingALockHeldByAnotherThreadPanics() {
        try (TestMachine m = new TestMachine(1, 3)) {
            LwktScheduler s = m.sched;
            s.spawn("owner", 0, 0, () -> {
                s.lockExclusive(LK, "lk");
                s.tsleep(CHAN, "hold", 0);
            });
            s.spawn("thief", 0, 0, () -> {
                while (m.memory.load64(LK) == 0) s.yield();
                s.lockRelease(LK);
            });
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.PANIC, r.outcome(), r::toString);
            assertEquals("thief", r.panicThread().name());
            assertTrue(r.reason().contains("lockmgr: release of 0x200 by tid 2 (thief), but tid 1 holds it exclusively"), r.reason());
        }
    }

    @Test
    void relockingAnExclusiveLockPanics() {
        try (TestMachine m = new TestMachine(1, 3)) {
            LwktScheduler s = m.sched;
            s.spawn("twice", 0, 0, () -> {
                s.lockExclusive(LK, "lk");
                s.lockExclusive(LK, "lk");
            });
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.PANIC, r.outcome(), r::toString);
            assertTrue(r.reason().contains("locking against myself"), r.reason());
        }
    }
}
