package org.dfemu.emulator.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class VirtualClockTest {
    @Test
    void eventsFireInTimeOrderThenSchedulingOrderAndSeeTheirOwnTime() {
        VirtualClock clock = new VirtualClock();
        List<String> fired = new ArrayList<>();
        clock.schedule(300, "c", false, () -> fired.add("c@" + clock.now()));
        clock.schedule(100, "a", true, () -> fired.add("a@" + clock.now()));
        clock.schedule(300, "d", false, () -> fired.add("d@" + clock.now()));
        clock.schedule(200, "b", false, () -> fired.add("b@" + clock.now()));
        clock.advanceTo(250);
        assertEquals(List.of("a@100", "b@200"), fired);
        assertEquals(250, clock.now());
        clock.advanceTo(1000);
        assertEquals(List.of("a@100", "b@200", "c@300", "d@300"), fired);
        assertEquals(1000, clock.now());
        assertEquals(4, clock.eventsFired());
    }

    @Test
    void timeNeverGoesBackwardsAndPastEventsAreClampedToNow() {
        VirtualClock clock = new VirtualClock();
        clock.advanceTo(500);
        clock.advanceTo(100);
        assertEquals(500, clock.now());
        VirtualClock.Event e = clock.schedule(10, "late", false, () -> {});
        assertEquals(500, e.when());
    }

    @Test
    void cancelledEventsDoNotFireAndKeepAliveIsCounted() {
        VirtualClock clock = new VirtualClock();
        List<String> fired = new ArrayList<>();
        VirtualClock.Event io = clock.scheduleIn(50, "io", true, () -> fired.add("io"));
        clock.scheduleIn(60, "housekeeping", false, () -> fired.add("hk"));
        assertTrue(clock.hasKeepAliveEvents());
        assertTrue(clock.cancel(io));
        assertFalse(clock.cancel(io), "second cancel");
        assertFalse(clock.hasKeepAliveEvents(), "only housekeeping is left");
        assertTrue(clock.hasEvents());
        assertTrue(clock.advanceToNextEvent());
        assertEquals(List.of("hk"), fired);
        assertEquals(60, clock.now());
        assertFalse(clock.advanceToNextEvent());
    }

    @Test
    void anActionMayScheduleMoreWorkDueInTheSameAdvance() {
        VirtualClock clock = new VirtualClock();
        List<Long> times = new ArrayList<>();
        clock.schedule(10, "first", true, () -> {
            times.add(clock.now());
            clock.scheduleIn(5, "second", true, () -> times.add(clock.now()));
        });
        clock.advanceTo(100);
        assertEquals(List.of(10L, 15L), times);
    }

    /**
     * Many events at few distinct times, random cancels and events scheduled from actions: the
     * firing order is exactly (time, scheduling order) of the events never cancelled.
     */
    @Test
    void randomSchedulesAndCancelsFireInTimeThenSchedulingOrder() {
        for (long seed = 1; seed <= 20; seed++) {
            java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
            VirtualClock clock = new VirtualClock();
            List<long[]> expected = new ArrayList<>();  // {when, seq}
            List<long[]> fired = new ArrayList<>();
            List<VirtualClock.Event> events = new ArrayList<>();
            List<long[]> keys = new ArrayList<>();
            long[] seq = {0};
            for (int i = 0; i < 2000; i++) {
                long when = 10L * rng.nextInt(50);
                long[] key = {when, seq[0]++};
                boolean spawn = rng.nextInt(10) == 0;
                events.add(clock.schedule(when, "e", false, () -> {
                    fired.add(key);
                    if (spawn) {
                        long[] later = {clock.now() + 1000, -1};
                        clock.scheduleIn(1000, "late", false, () -> fired.add(later));
                    }
                }));
                keys.add(key);
            }
            List<long[]> kept = new ArrayList<>();
            for (int i = 0; i < events.size(); i++) {
                if (rng.nextInt(3) == 0) assertTrue(clock.cancel(events.get(i)));
                else kept.add(keys.get(i));
            }
            kept.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
            clock.advanceTo(499);
            expected.addAll(kept);
            assertEquals(expected.size(), fired.size(), "seed " + seed);
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(expected.get(i)[0], fired.get(i)[0], "seed " + seed + " event " + i);
                assertEquals(expected.get(i)[1], fired.get(i)[1], "seed " + seed + " event " + i);
            }
            for (VirtualClock.Event e : events) assertFalse(clock.cancel(e));
            clock.advanceTo(10_000);
            for (int i = expected.size(); i < fired.size(); i++) {
                assertTrue(fired.get(i)[0] >= fired.get(i - 1)[0], "seed " + seed + ": late events in time order");
            }
            assertFalse(clock.hasEvents());
        }
    }
}
