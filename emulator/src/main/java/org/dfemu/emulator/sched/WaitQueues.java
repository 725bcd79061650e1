package org.dfemu.emulator.sched;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;

/**
 * Sleep queues keyed by wait channel: one FIFO per ident, in the order threads went to sleep, so
 * {@code wakeup} order and {@code wakeup_one}'s choice are deterministic. The map is only looked
 * up by key, never iterated, so its hash order cannot leak into a run. Empty queues are dropped.
 */
final class WaitQueues {
    private final HashMap<Long, ArrayDeque<KThread>> queues = new HashMap<>();

    void add(long ident, KThread t) {
        queues.computeIfAbsent(ident, k -> new ArrayDeque<>()).addLast(t);
    }

    /** Removes and returns every sleeper on {@code ident} in sleep order, or null if none. */
    ArrayDeque<KThread> takeAll(long ident) {
        return queues.remove(ident);
    }

    /** Removes and returns the longest sleeper on {@code ident}, or null if none. */
    KThread takeFirst(long ident) {
        ArrayDeque<KThread> q = queues.get(ident);
        if (q == null) return null;
        KThread t = q.pollFirst();
        if (q.isEmpty()) queues.remove(ident);
        return t;
    }

    /** Removes and returns, in sleep order, the sleepers on {@code ident} in {@code state}. */
    List<KThread> takeInState(long ident, ThreadState state) {
        ArrayDeque<KThread> q = queues.get(ident);
        if (q == null) return List.of();
        List<KThread> out = new ArrayList<>();
        for (Iterator<KThread> it = q.iterator(); it.hasNext(); ) {
            KThread t = it.next();
            if (t.state == state) {
                out.add(t);
                it.remove();
            }
        }
        if (q.isEmpty()) queues.remove(ident);
        return out;
    }

    /** Removes {@code t} from the queue of {@code ident} (its sleep timed out). */
    void remove(long ident, KThread t) {
        ArrayDeque<KThread> q = queues.get(ident);
        if (q == null) return;
        q.remove(t);
        if (q.isEmpty()) queues.remove(ident);
    }
}
