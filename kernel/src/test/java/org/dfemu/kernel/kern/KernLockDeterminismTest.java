package org.dfemu.kernel.kern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dfemu.emulator.sched.LwktScheduler;
import org.dfemu.emulator.sched.RunResult;
import org.dfemu.emulator.sched.TraceLog;
import org.dfemu.emulator.trace.EmulatorEvents;
import org.dfemu.kernel.KernelMemory;
import org.junit.jupiter.api.Test;

import static org.dfemu.kernel.sys.StructLock.LK_EXCLUSIVE;
import static org.dfemu.kernel.sys.StructLock.LK_RELEASE;
import static org.dfemu.kernel.sys.StructLock.LK_SHARED;

/**
 * With the kernel's locks (kern_lock.c's and kern_spinlock.c's ports over the scheduler), the same
 * seed and settings give the same interleaving, event for event; another seed gives another. The
 * scenario mixes everything that makes a choice: consume points, sleeps with and without
 * timeouts, wakeups from threads and from a device event, exclusive, shared and spin locks, on
 * two CPUs.
 */
class KernLockDeterminismTest {
    private static final long ITEM_CHAN = 0x3000;
    private static final long TICK_CHAN = 0x3008;
    private static final long DISK_CHAN = 0x3010;

    /** What a run produced, for comparing runs. */
    private record Outcome(RunResult result, TraceLog log, long counter, long spinCounter, boolean overlap) {}

    private static Outcome runScenario(long seed) {
        try (LockRig rig = new LockRig(2, seed)) {
            LwktScheduler s = rig.sched;
            KernelMemory km = rig.k.km();
            KernLock kl = rig.k.kernLock();
            KernSpinlock sl = rig.k.kernSpinlock();
            long biglock = rig.lock(0);
            long spin = rig.word(64);
            long counter = rig.word(128);
            long spinCounter = rig.word(136);
            // Set at each return from a scheduling point, checked before the next one: if two
            // kernel threads ever ran at once, one would find the other's id here.
            int[] owner = {0};
            boolean[] overlap = {false};
            Runnable enter = () -> owner[0] = s.curtid();
            Runnable check = () -> { if (owner[0] != s.curtid()) overlap[0] = true; };
            int[] items = {0};

            for (int w = 0; w < 3; w++) {
                int id = w;
                s.spawn("writer" + w, w % 2, 0, () -> {
                    enter.run();
                    for (int i = 0; i < 15; i++) {
                        check.run();
                        kl.lockmgr(biglock, LK_EXCLUSIVE, "biglock");
                        enter.run();
                        long v = km.load64(counter);
                        check.run();
                        s.consume(1_000 + 100L * id);
                        enter.run();
                        km.store64(counter, v + 1);
                        kl.lockmgr(biglock, LK_RELEASE, null);
                        check.run();
                        sl.spinLock(spin);
                        enter.run();
                        long c = km.load64(spinCounter);
                        check.run();
                        s.consume(200);
                        enter.run();
                        km.store64(spinCounter, c + 1);
                        sl.spinUnlock(spin);
                    }
                });
            }
            for (int r = 0; r < 2; r++) {
                s.spawn("reader" + r, r, 0, () -> {
                    enter.run();
                    for (int i = 0; i < 10; i++) {
                        check.run();
                        kl.lockmgr(biglock, LK_SHARED, "biglock");
                        enter.run();
                        check.run();
                        s.consume(700);
                        enter.run();
                        kl.lockmgr(biglock, LK_RELEASE, null);
                    }
                });
            }
            s.spawn("producer", 1, 0, () -> {
                enter.run();
                for (int i = 0; i < 20; i++) {
                    check.run();
                    s.consume(900);
                    enter.run();
                    items[0]++;
                    s.wakeupOne(ITEM_CHAN);
                    if (i % 5 == 4) {
                        check.run();
                        s.sleep(TICK_CHAN, "tick", 3_000);
                        enter.run();
                    }
                }
            });
            s.spawn("consumer", 0, 0, () -> {
                enter.run();
                for (int got = 0; got < 20; got++) {
                    while (items[0] == 0) {
                        check.run();
                        s.sleep(ITEM_CHAN, "item", 0);
                        enter.run();
                    }
                    items[0]--;
                    check.run();
                    s.consume(400);
                    enter.run();
                }
            });
            s.spawn("diskio", 1, 0, () -> {
                for (int i = 0; i < 5; i++) {
                    boolean[] done = {false};
                    rig.clock.scheduleIn(5_000, "disk completion", true, () -> {
                        done[0] = true;
                        s.wakeup(DISK_CHAN);
                    });
                    while (!done[0]) s.sleep(DISK_CHAN, "biowait", 0);
                    enter.run();
                    check.run();
                    s.yield();
                    enter.run();
                }
            });
            RunResult result = rig.run();
            return new Outcome(result, rig.log, rig.peek(counter), rig.peek(spinCounter), overlap[0]);
        }
    }

    @Test
    void sameSeedGivesTheSameEventSequence() {
        Outcome a = runScenario(42);
        Outcome b = runScenario(42);
        assertEquals(RunResult.Outcome.ALL_EXITED, a.result().outcome(), a.result()::toString);
        assertFalse(a.overlap(), "two kernel threads ran at the same time");
        assertEquals(45, a.counter(), "exclusive lock lost an update");
        assertEquals(45, a.spinCounter(), "spin lock lost an update");
        assertTrue(a.log().count(EmulatorEvents.SCHED_SWITCH) > 100, "scenario too small to show anything");
        assertTrue(a.log().count(EmulatorEvents.SCHED_SLEEP) > 10);

        int diff = a.log().firstDifference(b.log());
        assertEquals(-1, diff, () -> "runs differ at record " + diff + ": " + a.log().format(diff) + " vs " + b.log().format(diff));
        assertEquals(a.result().scheduleDigest(), b.result().scheduleDigest());
        assertEquals(a.result().timeNs(), b.result().timeNs());
    }

    @Test
    void anotherSeedGivesAnotherInterleaving() {
        Outcome a = runScenario(42);
        Outcome c = runScenario(43);
        assertEquals(RunResult.Outcome.ALL_EXITED, c.result().outcome(), c.result()::toString);
        assertFalse(c.overlap());
        assertEquals(45, c.counter());
        assertNotEquals(-1, a.log().firstDifference(c.log()));
        assertNotEquals(a.result().scheduleDigest(), c.result().scheduleDigest());
    }
}
