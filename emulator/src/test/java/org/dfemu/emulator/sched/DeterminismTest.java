package org.dfemu.emulator.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dfemu.emulator.trace.EmulatorEvents;
import org.junit.jupiter.api.Test;

/**
 * Same seed and settings give the same interleaving, event for event; another seed gives another.
 * The scenario mixes everything that makes a choice: consume points, sleeps with and without
 * timeouts, wakeups from threads and from a device event, blocking for what another thread holds
 * (a reader/writer lock built on blockOn) and polling for it with preemption disabled (a spin
 * lock built on awaiting and yield), on two CPUs. The kernel's own locks over these primitives
 * have their determinism test in the kernel (KernLockDeterminismTest).
 */
class DeterminismTest {
    private static final long BIGLOCK = 0x1000;
    private static final long SPIN = 0x1008;
    private static final long COUNTER = 0x2000;
    private static final long SPIN_COUNTER = 0x2008;

    /** A reader/writer lock as a kernel builds one on blockOn: {@code state} > 0 sharers, < 0 the writer's -tid. */
    private record RwLock(LwktScheduler s, int[] state) {
        RwLock(LwktScheduler s) { this(s, new int[1]); }

        TestAwaited awaited(String mode) {
            return new TestAwaited(BIGLOCK, "biglock", mode, () -> Math.max(0, -state[0]));
        }

        void exclusive() {
            while (state[0] != 0) s.blockOn(BIGLOCK, "biglock", awaited("exclusive"));
            state[0] = -s.curtid();
        }

        void shared() {
            while (state[0] < 0) s.blockOn(BIGLOCK, "biglock", awaited("shared"));
            state[0]++;
        }

        void release() {
            if (state[0] < 0) state[0] = 0; else state[0]--;
            if (state[0] == 0) s.wakeupBlocked(BIGLOCK);
        }
    }

    /** A spin lock as a kernel builds one: preemption disabled while held, a contender polls with yield. */
    private record Spin(LwktScheduler s, int[] owner) {
        Spin(LwktScheduler s) { this(s, new int[1]); }

        void lock() {
            s.preemptDisable();
            if (owner[0] != 0) {
                s.awaiting(new TestAwaited(SPIN, "spin lock", "spin", () -> owner[0]));
                while (owner[0] != 0) s.yield();
                s.awaiting(null);
            }
            owner[0] = s.curtid();
        }

        void unlock() {
            owner[0] = 0;
            s.preemptEnable();
        }
    }
    private static final long ITEM_CHAN = 0x3000;
    private static final long TICK_CHAN = 0x3008;
    private static final long DISK_CHAN = 0x3010;

    /** What a run produced, for comparing runs. */
    private record Outcome(RunResult result, TraceLog log, long counter, long spinCounter, boolean overlap) {}

    private static Outcome runScenario(long seed) {
        try (TestMachine m = new TestMachine(2, seed)) {
            LwktScheduler s = m.sched;
            RwLock big = new RwLock(s);
            Spin spin = new Spin(s);
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
                        big.exclusive();
                        enter.run();
                        long v = m.memory.load64(COUNTER);
                        check.run();
                        s.consume(1_000 + 100L * id);
                        enter.run();
                        m.memory.store64(COUNTER, v + 1);
                        big.release();
                        check.run();
                        spin.lock();
                        enter.run();
                        long c = m.memory.load64(SPIN_COUNTER);
                        check.run();
                        s.consume(200);
                        enter.run();
                        m.memory.store64(SPIN_COUNTER, c + 1);
                        spin.unlock();
                    }
                });
            }
            for (int r = 0; r < 2; r++) {
                s.spawn("reader" + r, r, 0, () -> {
                    enter.run();
                    for (int i = 0; i < 10; i++) {
                        check.run();
                        big.shared();
                        enter.run();
                        check.run();
                        s.consume(700);
                        enter.run();
                        big.release();
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
                    m.clock.scheduleIn(5_000, "disk completion", true, () -> {
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
            RunResult result = s.run();
            return new Outcome(result, m.log, m.memory.load64(COUNTER), m.memory.load64(SPIN_COUNTER), overlap[0]);
        }
    }

    @Test
    void sameSeedGivesTheSameEventSequence() {
        Outcome a = runScenario(42);
        Outcome b = runScenario(42);
        assertEquals(RunResult.Outcome.ALL_EXITED, a.result().outcome(), a.result()::toString);
        assertFalse(a.overlap(), "two kernel threads ran at the same time");
        assertEquals(45, a.counter(), "the exclusive hold lost an update");
        assertEquals(45, a.spinCounter(), "the polled hold lost an update");
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
