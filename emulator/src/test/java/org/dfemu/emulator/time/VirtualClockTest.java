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
}
