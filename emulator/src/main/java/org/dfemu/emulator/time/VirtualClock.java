package org.dfemu.emulator.time;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The machine's virtual time, in nanoseconds since power-on, and its queue of timed events
 * (device completions, sleep timeouts, callouts).
 *
 * <p>Time never moves by itself: it advances only when the scheduler says so (a thread consumed
 * CPU time, or every thread is asleep and the next event is due). Events due at the same instant
 * run in the order they were scheduled (a sequence number breaks ties), so a run is a pure
 * function of its inputs; nothing here reads the host clock.
 *
 * <p>An event's action runs in interrupt context: on whatever host thread advanced the clock,
 * while no kernel thread runs. It may wake threads and schedule further events; it must not
 * sleep.
 *
 * <p>Events marked {@code keepsAlive} (I/O completions, timeouts a thread sleeps on) count as
 * pending work for deadlock detection; housekeeping events do not.
 *
 * <p>The queue is a binary min-heap ordered by (when, seq), a total order, so the firing order
 * does not depend on the heap's shape. Each event knows its slot, so a cancel (every wakeup of a
 * timed sleep cancels its timeout) is a sift, not a search.
 */
public final class VirtualClock {
    /** One scheduled event; cancel it through {@link VirtualClock#cancel}. */
    public static final class Event implements Comparable<Event> {
        final long when;
        final long seq;
        final String name;
        final boolean keepsAlive;
        final Runnable action;
        boolean cancelled;
        boolean fired;
        /** Slot in the heap while queued, else -1. */
        int index = -1;

        Event(long when, long seq, String name, boolean keepsAlive, Runnable action) {
            this.when = when;
            this.seq = seq;
            this.name = name;
            this.keepsAlive = keepsAlive;
            this.action = action;
        }

        public long when() { return when; }
        public String name() { return name; }
        public boolean keepsAlive() { return keepsAlive; }
        public boolean pending() { return !cancelled && !fired; }

        @Override
        public int compareTo(Event o) {
            int c = Long.compare(when, o.when);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }

        boolean before(Event o) {
            return when < o.when || when == o.when && seq < o.seq;
        }
    }

    private Event[] heap = new Event[64];
    private int size;
    private long now;
    private long nextSeq;
    private int liveKeepAlive;
    private long eventsFired;

    /** Current virtual time in nanoseconds. */
    public long now() { return now; }

    /** Number of events that have fired so far. */
    public long eventsFired() { return eventsFired; }

    /**
     * Schedules {@code action} at absolute virtual time {@code whenNs} (clamped to now).
     * Returns the event so that it can be cancelled.
     */
    public Event schedule(long whenNs, String name, boolean keepsAlive, Runnable action) {
        Event e = new Event(Math.max(whenNs, now), nextSeq++, name, keepsAlive, action);
        if (size == heap.length) heap = Arrays.copyOf(heap, size * 2);
        siftUp(size++, e);
        if (keepsAlive) liveKeepAlive++;
        return e;
    }

    /** Schedules {@code action} {@code delayNs} from now. */
    public Event scheduleIn(long delayNs, String name, boolean keepsAlive, Runnable action) {
        return schedule(now + Math.max(0, delayNs), name, keepsAlive, action);
    }

    /** Cancels a pending event; returns false if it had already fired or been cancelled. */
    public boolean cancel(Event e) {
        if (e == null || !e.pending()) return false;
        e.cancelled = true;
        if (e.keepsAlive) liveKeepAlive--;
        removeAt(e.index);
        return true;
    }

    /** Time of the next pending event, or {@link Long#MAX_VALUE} when none. */
    public long nextEventTime() {
        return size == 0 ? Long.MAX_VALUE : heap[0].when;
    }

    /** True if any pending event counts as outstanding work (I/O, a timed sleep). */
    public boolean hasKeepAliveEvents() { return liveKeepAlive > 0; }

    /** True if any event at all is pending. */
    public boolean hasEvents() { return size > 0; }

    /**
     * (snapshot) The actions of the pending events in firing order (time, then scheduling
     * order): for reports and core files that list work in flight. Reads only; the caller must
     * not run them. From the owner of the machine, or after the run.
     */
    public List<Runnable> pendingActions() {
        Event[] copy = Arrays.copyOf(heap, size);
        Arrays.sort(copy);
        List<Runnable> out = new ArrayList<>(size);
        for (Event e : copy) out.add(e.action);
        return out;
    }

    /**
     * Advances time to {@code target}, firing in order every event due at or before it; each
     * action sees {@link #now()} equal to its own due time. Time never goes backwards.
     */
    public void advanceTo(long target) {
        while (true) {
            if (size == 0) break;
            Event e = heap[0];
            if (e.when > target) break;
            removeAt(0);
            if (e.keepsAlive) liveKeepAlive--;
            e.fired = true;
            if (e.when > now) now = e.when;
            eventsFired++;
            e.action.run();
        }
        if (target > now) now = target;
    }

    /** Advances to the next event and fires everything due then; false if the queue is empty. */
    public boolean advanceToNextEvent() {
        if (size == 0) return false;
        advanceTo(heap[0].when);
        return true;
    }

    /** Takes the event in slot {@code i} out of the heap. */
    private void removeAt(int i) {
        Event gone = heap[i];
        gone.index = -1;
        Event last = heap[--size];
        heap[size] = null;
        if (i == size) return;
        // The last event fills the hole: it moves down, or (when it was in another subtree) up.
        if (i > 0 && last.before(heap[(i - 1) >>> 1])) siftUp(i, last); else siftDown(i, last);
    }

    /** Places {@code e} at slot {@code i} or above, moving later parents down. */
    private void siftUp(int i, Event e) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            Event p = heap[parent];
            if (!e.before(p)) break;
            heap[i] = p;
            p.index = i;
            i = parent;
        }
        heap[i] = e;
        e.index = i;
    }

    /** Places {@code e} at slot {@code i} or below, moving earlier children up. */
    private void siftDown(int i, Event e) {
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            Event c = heap[child];
            int right = child + 1;
            if (right < size && heap[right].before(c)) {
                child = right;
                c = heap[right];
            }
            if (!c.before(e)) break;
            heap[i] = c;
            c.index = i;
            i = child;
        }
        heap[i] = e;
        e.index = i;
    }
}
