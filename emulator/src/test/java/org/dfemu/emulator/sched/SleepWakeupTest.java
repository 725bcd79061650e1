package org.dfemu.emulator.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Sleep timeouts, wakeup and wakeupOne, events in interrupt context, ticks. */
class SleepWakeupTest {
    private static final long CHAN = 0x4000;
    private static final long POLL = 0x4008;

    @Test
    void timedSleepReturnsTrueWhenItsTimeoutExpires() {
        try (TestMachine m = new TestMachine(1, 1)) {
            LwktScheduler s = m.sched;
            long[] seen = new long[3];
            boolean[] timedOut = {false};
            s.spawn("sleeper", 0, 0, () -> {
                s.consume(1_234);
                seen[0] = s.now();
                timedOut[0] = s.sleep(CHAN, "tmo", 5_000_000);
                seen[2] = s.now();
            });
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.ALL_EXITED, r.outcome(), r::toString);
            assertTrue(timedOut[0], "the timeout ended the sleep");
            assertEquals(seen[0] + 5_000_000, seen[2], "woke at the wrong virtual time");
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void wakeupBeforeTheTimeoutReturnsFalseAndCancelsIt(long seed) {
        try (TestMachine m = new TestMachine(2, seed)) {
            LwktScheduler s = m.sched;
            long[] seen = {-1, -1};
            boolean[] asleep = {false};
            s.spawn("sleeper", 0, 0, () -> {
                asleep[0] = true;
                seen[0] = s.sleep(CHAN, "tmo", 5_000_000) ? 1 : 0;
                seen[1] = s.now();
            });
            s.spawn("waker", 1, 0, () -> {
                while (!asleep[0]) s.yield();
                s.consume(1_000_000);
                s.wakeup(CHAN);
            });
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.ALL_EXITED, r.outcome(), r::toString);
            assertEquals(0, seen[0]);
            assertEquals(1_000_000, seen[1]);
            assertEquals(1_000_000, r.timeNs(), "the cancelled timeout still moved time");
            assertFalse(m.clock.hasKeepAliveEvents());
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6})
    void wakeupOneWakesExactlyTheOldestSleeper(long seed) {
        try (TestMachine m = new TestMachine(2, seed)) {
            LwktScheduler s = m.sched;
            List<String> slept = new ArrayList<>();
            List<String> woken = new ArrayList<>();
            List<String> wokenAfterOne = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                String name = "sleeper" + i;
                s.spawn(name, i % 2, 0, () -> {
                    s.consume(100);
                    slept.add(name);
                    s.sleep(CHAN, "one", 0);
                    woken.add(name);
                });
            }
            s.spawn("waker", 1, 0, () -> {
                while (slept.size() < 3) s.sleep(POLL, "poll", 1_000);
                s.wakeupOne(CHAN);
                while (woken.isEmpty()) s.sleep(POLL, "poll", 1_000);
                // Give any wrongly woken thread many chances to show up.
                for (int i = 0; i < 20; i++) s.sleep(POLL, "poll", 1_000);
                wokenAfterOne.addAll(woken);
                s.wakeup(CHAN);
            });
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.ALL_EXITED, r.outcome(), r::toString);
            assertEquals(List.of(slept.getFirst()), wokenAfterOne);
            assertEquals(Set.copyOf(slept), new HashSet<>(woken));
        }
    }

    @Test
    void wakeupMakesSleepersRunnableInTheOrderTheySlept() {
        try (TestMachine m = new TestMachine(1, 5)) {
            LwktScheduler s = m.sched;
            List<String> slept = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                String name = "s" + i;
                s.spawn(name, 0, 0, () -> {
                    slept.add(name);
                    s.sleep(CHAN, "all", 0);
                });
            }
            s.spawn("waker", 0, 0, () -> {
                while (slept.size() < 4) s.yield();
                s.wakeup(CHAN);
            });
            s.run();
            // Wakeup records carry the woken tid in a1, in wakeup order.
            List<Integer> wokenTids = new ArrayList<>();
            for (int i = 0; i < m.log.size(); i++) {
                if (m.log.type(i) == org.dfemu.emulator.trace.EmulatorEvents.SCHED_WAKEUP) wokenTids.add((int) m.log.arg(i, 1));
            }
            List<Integer> sleptTids = slept.stream().map(n -> Integer.parseInt(n.substring(1)) + 1).toList();
            assertEquals(sleptTids, wokenTids);
        }
    }

    @Test
    void deviceEventWakesASleeperInInterruptContext() {
        try (TestMachine m = new TestMachine(2, 9)) {
            LwktScheduler s = m.sched;
            int[] cpuInInterrupt = {-1};
            long[] wokeAt = {-1};
            s.spawn("biowaiter", 1, 0, () -> {
                m.clock.scheduleIn(250_000, "disk", true, () -> {
                    cpuInInterrupt[0] = s.curcpu();
                    s.pushFrame("biodone");
                    s.wakeup(CHAN);
                    s.popFrame();
                });
                assertFalse(s.sleep(CHAN, "biowait", 0));
                wokeAt[0] = s.now();
            });
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.ALL_EXITED, r.outcome(), r::toString);
            assertEquals(250_000, wokeAt[0]);
            assertEquals(1, cpuInInterrupt[0], "interrupt runs on the CPU whose thread idled");
        }
    }

    @Test
    void ticksFollowVirtualTimeAtHz() {
        try (TestMachine m = new TestMachine(1, 1)) {
            m.clock.advanceTo(1_509_999_999L);
            assertEquals(150, m.sched.ticks());
            assertEquals(100, m.sched.hz());
            m.clock.advanceTo(4_000_000_000_000_000_000L);
            assertEquals(400_000_000_000L, m.sched.ticks(), "ticks overflowed");
        }
    }

    @Test
    void requestStopFromAnEventEndsTheRunAtThatTime() {
        try (TestMachine m = new TestMachine(1, 1)) {
            LwktScheduler s = m.sched;
            m.clock.schedule(5_000_000, "time limit", false, () -> s.requestStop("virtual time limit reached"));
            s.spawn("poller", 0, 0, () -> {
                while (true) s.sleep(POLL, "poll", 1_000_000);
            });
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.STOPPED, r.outcome(), r::toString);
            assertEquals("virtual time limit reached", r.reason());
            assertEquals(5_000_000, r.timeNs());
            assertTrue(r.toString().contains("poller"));
        }
    }
}
