package org.dfemu.kernel.kern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.dfemu.emulator.sched.LwktScheduler;
import org.dfemu.emulator.sched.RunResult;
import org.dfemu.emulator.sched.SchedulerSettings;
import org.dfemu.emulator.sched.ThreadInfo;
import org.dfemu.kernel.KernelPanic;
import org.dfemu.kernel.sys.Thread2;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * kern_spinlock.c's port: exclusion across CPUs, the holder's critical section, the word naming
 * the holder, trylock, no sleeping with a spin lock (kern_synch's check), and spinners waiting
 * for each other in a cycle ending the run as a deadlock.
 */
class KernSpinlockTest {
    private static final long CHAN = 0x2000;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void spinLockExcludesThreadsOfOtherCpus(long seed) {
        try (LockRig rig = new LockRig(4, seed, SchedulerSettings.DEFAULTS.withSwitchProbability(0.8))) {
            LwktScheduler s = rig.sched;
            KernSpinlock sl = rig.k.kernSpinlock();
            Thread2 crit = rig.k.thread2();
            long spin = rig.word(0);
            long counter = rig.word(8);
            for (int i = 0; i < 4; i++) {
                s.spawn("inc" + i, i, 0, () -> {
                    for (int k = 0; k < 25; k++) {
                        sl.spinLock(spin);
                        assertEquals(1, crit.critCount(), "a spin lock holder is in a critical section");
                        assertEquals(s.curtid(), rig.k.km().load64(spin), "spin word holds the owner tid");
                        long v = rig.k.km().load64(counter);
                        s.consume(50);
                        rig.k.km().store64(counter, v + 1);
                        sl.spinUnlock(spin);
                        assertEquals(0, crit.critCount());
                    }
                });
            }
            RunResult r = rig.run();
            assertEquals(RunResult.Outcome.ALL_EXITED, r.outcome(), r::toString);
            assertEquals(100, rig.peek(counter));
            assertEquals(0, rig.peek(spin));
        }
    }

    @Test
    void trylockNeverBlocks() {
        try (LockRig rig = new LockRig(1, 1)) {
            LwktScheduler s = rig.sched;
            KernSpinlock sl = rig.k.kernSpinlock();
            long spin = rig.word(0);
            boolean[] got = new boolean[2];
            boolean[] ready = {false};
            s.spawn("holder", 0, 0, () -> {
                rig.k.km().store64(spin, 99);  // as if another thread held the spin lock
                ready[0] = true;
                s.sleep(CHAN, "hold", 1_000);
                rig.k.km().store64(spin, 0);
            });
            s.spawn("trier", 0, 0, () -> {
                while (!ready[0]) s.yield();
                got[0] = sl.spinTrylock(spin);
                s.sleep(CHAN, "later", 2_000);
                got[1] = sl.spinTrylock(spin);
                assertEquals(1, rig.k.thread2().critCount());
                sl.spinUnlock(spin);
            });
            RunResult r = rig.run();
            assertEquals(RunResult.Outcome.ALL_EXITED, r.outcome(), r::toString);
            assertFalse(got[0], "acquired a held lock");
            assertTrue(got[1], "failed on a free lock");
        }
    }

    @Test
    void tsleepHoldingASpinLockPanics() {
        try (LockRig rig = new LockRig(2, 3)) {
            LwktScheduler s = rig.sched;
            long spin = rig.word(0);
            s.spawn("other", 1, 0, () -> s.sleep(CHAN, "idle", 0));
            s.spawn("culprit", 0, 0, () -> {
                s.pushFrame("vm_page_alloc");
                rig.k.kernSpinlock().spinLock(spin);
                rig.k.kernSynch().tsleep(CHAN, 0, "vmwait", 0);
            });
            RunResult r = rig.run();
            assertEquals(RunResult.Outcome.PANIC, r.outcome(), r::toString);
            assertEquals("culprit", r.panicThread().name());
            KernelPanic p = (KernelPanic) r.panicCause();
            assertTrue(p.getMessage().startsWith("panic: tsleep(vmwait): culprit would sleep holding spin lock 0x"
                    + Long.toHexString(rig.pa(spin))), p.getMessage());
            assertEquals(List.of("vm_page_alloc"), r.panicThread().frames());
            assertTrue(r.toString().contains("culprit in vm_page_alloc"), r::toString);
            assertTrue(r.toString().contains("holds spin lock at 0x" + Long.toHexString(rig.pa(spin)) + " (spin)"), r::toString);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {11, 12, 13})
    void spinnersWaitingOnEachOtherAreADeadlock(long seed) {
        SchedulerSettings alwaysSwitch = SchedulerSettings.DEFAULTS.withSwitchProbability(1.0);
        try (LockRig rig = new LockRig(2, seed, alwaysSwitch)) {
            LwktScheduler s = rig.sched;
            KernSpinlock sl = rig.k.kernSpinlock();
            long a = rig.word(0);
            long b = rig.word(8);
            s.spawn("left", 0, 0, () -> {
                sl.spinLock(a);
                s.consume(10);
                sl.spinLock(b);
            });
            s.spawn("right", 1, 0, () -> {
                sl.spinLock(b);
                s.consume(10);
                sl.spinLock(a);
            });

            RunResult r = rig.run();

            assertEquals(RunResult.Outcome.DEADLOCK, r.outcome(), r::toString);
            assertTrue(r.reason().startsWith("spin lock deadlock: threads 1 -> 2 -> 1")
                    || r.reason().startsWith("spin lock deadlock: threads 2 -> 1 -> 2"), r.reason());
            ThreadInfo left = r.deadlock().thread("left");
            assertNotNull(left.waitsFor());
            assertEquals("spin", left.waitsFor().mode());
            assertEquals(rig.pa(b), left.waitsFor().addr());
            assertEquals("right", left.waitsFor().holders().getFirst().name());
            assertTrue(r.deadlock().toString().contains("spins on spin lock at 0x" + Long.toHexString(rig.pa(b))
                    + " (spin), held exclusively by tid 2 (right, "), r.deadlock()::toString);
        }
    }

    @Test
    void critExitOutsideACriticalSectionPanics() {
        try (LockRig rig = new LockRig(1, 1)) {
            rig.sched.spawn("unbalanced", 0, 0, () -> {
                rig.k.thread2().critEnter();
                rig.k.thread2().critExit();
                rig.k.thread2().critExit();
            });
            RunResult r = rig.run();
            assertEquals(RunResult.Outcome.PANIC, r.outcome(), r::toString);
            assertTrue(r.reason().contains("crit_exit: thread unbalanced is not in a critical section"), r.reason());
        }
    }
}
