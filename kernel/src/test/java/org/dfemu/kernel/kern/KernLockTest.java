package org.dfemu.kernel.kern;

import static org.dfemu.kernel.sys.StructLock.LK_EXCLUSIVE;
import static org.dfemu.kernel.sys.StructLock.LK_NOWAIT;
import static org.dfemu.kernel.sys.StructLock.LK_RELEASE;
import static org.dfemu.kernel.sys.StructLock.LK_SHARED;
import static org.dfemu.kernel.sys.StructLock.LK_SLEEPFAIL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.dfemu.emulator.api.Held;
import org.dfemu.emulator.sched.DeadlockReport;
import org.dfemu.emulator.sched.LwktScheduler;
import org.dfemu.emulator.sched.RunResult;
import org.dfemu.emulator.sched.ThreadInfo;
import org.dfemu.emulator.sched.ThreadState;
import org.dfemu.emulator.trace.EmulatorEvents;
import org.dfemu.kernel.sys.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * kern_lock.c's port: exclusion, sharing, the lock word's encoding, LK_NOWAIT and LK_SLEEPFAIL,
 * misuse panics, and the deadlock report of two threads each holding the lock the other wants.
 */
class KernLockTest {
    private static final long CHAN = 0x2000;

    @Test
    void sharedHoldersCoexistAndAWriterWaitsForAllOfThem() {
        try (LockRig rig = new LockRig(2, 4)) {
            LwktScheduler s = rig.sched;
            KernLock kl = rig.k.kernLock();
            long lk = rig.lock(0);
            List<String> events = new ArrayList<>();
            long[] wordWithTwoReaders = {-1};
            int[] readersIn = {0};
            for (int i = 0; i < 2; i++) {
                String name = "reader" + i;
                s.spawn(name, i, 0, () -> {
                    assertEquals(0, kl.lockmgr(lk, LK_SHARED, "vmobj"));
                    events.add(name + " in");
                    if (++readersIn[0] < 2) {
                        s.sleep(CHAN, "both", 0);
                    } else {
                        wordWithTwoReaders[0] = rig.k.km().load64(lk + 8);
                        s.wakeup(CHAN);
                    }
                    s.consume(1_000);
                    events.add(name + " out");
                    kl.lockmgr(lk, LK_RELEASE, null);
                });
            }
            s.spawn("writer", 1, 0, () -> {
                while (readersIn[0] == 0) s.yield();
                kl.lockmgr(lk, LK_EXCLUSIVE, "vmobj");
                events.add("writer in");
                assertEquals(KernLock.LKC_EXCL | s.curtid(), rig.k.km().load64(lk + 8), "bit 63 plus owner tid");
                kl.lockmgr(lk, LK_RELEASE, null);
            });
            RunResult r = rig.run();
            assertEquals(RunResult.Outcome.ALL_EXITED, r.outcome(), r::toString);
            assertEquals(2, wordWithTwoReaders[0], "share count of two");
            assertEquals("writer in", events.getLast(), events::toString);
            assertEquals(0, rig.peek(lk + 8));
        }
    }

    @Test
    void nowaitNeverBlocksAndSleepfailFailsAfterWaiting() {
        try (LockRig rig = new LockRig(1, 1)) {
            LwktScheduler s = rig.sched;
            KernLock kl = rig.k.kernLock();
            long lk = rig.lock(0);
            int[] got = new int[4];
            boolean[] ready = {false};
            s.spawn("holder", 0, 0, () -> {
                kl.lockmgr(lk, LK_EXCLUSIVE, "lk");
                ready[0] = true;
                s.sleep(CHAN, "hold", 1_000);
                kl.lockmgr(lk, LK_RELEASE, null);
            });
            s.spawn("trier", 0, 0, () -> {
                while (!ready[0]) s.yield();
                got[0] = kl.lockmgr(lk, LK_EXCLUSIVE | LK_NOWAIT, "lk");
                got[1] = kl.lockmgr(lk, LK_SHARED | LK_NOWAIT, "lk");
                got[2] = kl.lockmgr(lk, LK_EXCLUSIVE | LK_SLEEPFAIL, "lk");
                assertEquals(0, rig.k.km().load64(lk + 8), "LK_SLEEPFAIL returns without the lock");
                got[3] = kl.lockmgr(lk, LK_EXCLUSIVE | LK_NOWAIT, "lk");
                kl.lockmgr(lk, LK_RELEASE, null);
            });
            RunResult r = rig.run();
            assertEquals(RunResult.Outcome.ALL_EXITED, r.outcome(), r::toString);
            assertEquals(List.of(Errno.EBUSY, Errno.EBUSY, Errno.ENOLCK, 0), List.of(got[0], got[1], got[2], got[3]));
        }
    }

    @Test
    void lockmgrWithASpinLockHeldPanicsEvenUncontended() {
        try (LockRig rig = new LockRig(1, 3)) {
            long spin = rig.word(512);
            long lk = rig.lock(0);
            rig.sched.spawn("culprit", 0, 0, () -> {
                rig.k.kernSpinlock().spinLock(spin);
                rig.k.kernLock().lockmgr(lk, LK_SHARED, "vm_map");
            });
            RunResult r = rig.run();
            assertEquals(RunResult.Outcome.PANIC, r.outcome(), r::toString);
            assertTrue(r.reason().contains("lockmgr(vm_map): culprit would sleep holding spin lock 0x"
                    + Long.toHexString(rig.pa(spin))), r.reason());
            assertEquals(0, rig.peek(lk + 8), "the lock was not taken");
        }
    }

    @Test
    void releasingALockHeldByAnotherThreadPanics() {
        try (LockRig rig = new LockRig(1, 3)) {
            LwktScheduler s = rig.sched;
            KernLock kl = rig.k.kernLock();
            long lk = rig.lock(0);
            s.spawn("owner", 0, 0, () -> {
                kl.lockmgr(lk, LK_EXCLUSIVE, "lk");
                s.sleep(CHAN, "hold", 0);
            });
            s.spawn("thief", 0, 0, () -> {
                while (!kl.lockinuse(lk)) s.yield();
                kl.lockmgr(lk, LK_RELEASE, null);
            });
            RunResult r = rig.run();
            assertEquals(RunResult.Outcome.PANIC, r.outcome(), r::toString);
            assertEquals("thief", r.panicThread().name());
            assertTrue(r.reason().contains("lockmgr: release of 0x" + Long.toHexString(rig.lockPa(lk))
                    + " by tid 2 (thief), but tid 1 holds it exclusively"), r.reason());
        }
    }

    @Test
    void relockingAnExclusiveLockPanics() {
        try (LockRig rig = new LockRig(1, 3)) {
            KernLock kl = rig.k.kernLock();
            long lk = rig.lock(0);
            rig.sched.spawn("twice", 0, 0, () -> {
                kl.lockmgr(lk, LK_EXCLUSIVE, "lk");
                kl.lockmgr(lk, LK_EXCLUSIVE, "lk");
            });
            RunResult r = rig.run();
            assertEquals(RunResult.Outcome.PANIC, r.outcome(), r::toString);
            assertTrue(r.reason().contains("locking against myself"), r.reason());
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void twoThreadsEachHoldingTheLockTheOtherWants(long seed) {
        try (LockRig rig = new LockRig(2, seed)) {
            LwktScheduler s = rig.sched;
            KernLock kl = rig.k.kernLock();
            long lockA = rig.lock(0);
            long lockB = rig.lock(64);
            long paA = rig.lockPa(lockA);
            long paB = rig.lockPa(lockB);
            int[] arrived = {0};
            // Both threads take their first lock before either asks for its second, in every interleaving.
            Runnable meet = () -> {
                if (++arrived[0] < 2) {
                    s.sleep(0x5000, "barrier", 0);
                } else {
                    s.wakeup(0x5000);
                }
            };
            s.spawn("alpha", 0, 0xa000, () -> {
                s.pushFrame("alpha_main");
                kl.lockmgr(lockA, LK_EXCLUSIVE, "lock_a");
                meet.run();
                s.pushFrame("grab_b");
                kl.lockmgr(lockB, LK_EXCLUSIVE, "lock_b");
            });
            s.spawn("beta", 1, 0xb000, () -> {
                s.pushFrame("beta_main");
                kl.lockmgr(lockB, LK_EXCLUSIVE, "lock_b");
                meet.run();
                s.pushFrame("grab_a");
                kl.lockmgr(lockA, LK_EXCLUSIVE, "lock_a");
            });

            RunResult r = rig.run();

            assertEquals(RunResult.Outcome.DEADLOCK, r.outcome(), r::toString);
            DeadlockReport rep = r.deadlock();
            ThreadInfo alpha = rep.thread("alpha");
            ThreadInfo beta = rep.thread("beta");
            assertEquals(ThreadState.LOCKWAIT, alpha.state());
            assertEquals(paB, alpha.wchan());
            assertEquals("lock_b", alpha.wmesg());
            assertEquals(List.of(new ThreadInfo.Holder(beta.tid(), "beta", ThreadState.LOCKWAIT)), alpha.waitsFor().holders());
            assertEquals(List.of(new Held(paA, "lock_a", "exclusive")), alpha.held());
            assertEquals(ThreadState.LOCKWAIT, beta.state());
            assertEquals(paA, beta.wchan());
            assertEquals(List.of(new ThreadInfo.Holder(alpha.tid(), "alpha", ThreadState.LOCKWAIT)), beta.waitsFor().holders());
            assertEquals("alpha in grab_b, from alpha_main", alpha.frameChain());

            String text = rep.toString();
            assertTrue(text.contains(String.format("0x%016x", paB)), text);
            assertTrue(text.contains("waits for lock_b at 0x" + Long.toHexString(paB)
                    + " (exclusive), held exclusively by tid 2 (beta, LOCKWAIT)"), text);
            assertTrue(text.contains("waits for lock_a at 0x" + Long.toHexString(paA)
                    + " (exclusive), held exclusively by tid 1 (alpha, LOCKWAIT)"), text);
            assertTrue(text.contains("holds lock_a at 0x" + Long.toHexString(paA) + " (exclusive)"), text);
            assertEquals(1, rig.log.count(EmulatorEvents.SCHED_DEADLOCK));
        }
    }

    @Test
    void aSharedWaiterIsReportedWithEverySharedHolder() {
        try (LockRig rig = new LockRig(1, 6)) {
            LwktScheduler s = rig.sched;
            KernLock kl = rig.k.kernLock();
            long lk = rig.lock(0);
            for (int i = 0; i < 2; i++) {
                s.spawn("reader" + i, 0, 0, () -> {
                    kl.lockmgr(lk, LK_SHARED, "vmobj");
                    s.sleep(CHAN, "forever", 0);
                });
            }
            s.spawn("writer", 0, 0, () -> {
                while (rig.k.km().load64(lk + 8) != 2) s.yield();
                kl.lockmgr(lk, LK_EXCLUSIVE, "vmobj");
            });
            RunResult r = rig.run();
            assertEquals(RunResult.Outcome.DEADLOCK, r.outcome(), r::toString);
            String text = r.deadlock().toString();
            assertTrue(text.contains("waits for vmobj at 0x" + Long.toHexString(rig.lockPa(lk))
                    + " (exclusive), held shared by tid 1 (reader0, SLEEPING), tid 2 (reader1, SLEEPING)"), text);
        }
    }
}
