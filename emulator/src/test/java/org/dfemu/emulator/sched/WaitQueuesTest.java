package org.dfemu.emulator.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The allocation-free sleep queues against a plain model (a map of FIFOs): random adds, wakeups,
 * wakeup_ones, lock-waiter wakeups and timeouts over few channels (long queues) and many (table
 * growth, removal inside probe runs), with the same answers in the same order.
 */
class WaitQueuesTest {
    private static List<Integer> chain(KThread first) {
        List<Integer> out = new ArrayList<>();
        for (KThread t = first; t != null; ) {
            out.add(t.tid);
            t = WaitQueues.detach(t);
        }
        return out;
    }

    private static void exercise(long seed, int channels, int steps) {
        SplittableRandom rng = new SplittableRandom(seed);
        WaitQueues q = new WaitQueues();
        Map<Long, ArrayDeque<KThread>> model = new HashMap<>();
        List<KThread> awake = new ArrayList<>();
        for (int i = 1; i <= 400; i++) awake.add(new KThread(i, "t" + i, 0, 0, () -> { }));
        long[] idents = new long[channels];
        // Idents one page apart and a few equal modulo the table size, so probe runs form.
        for (int c = 0; c < channels; c++) idents[c] = (c % 3 == 0 ? 0L : 0xffff_f800_0000_0000L) + 4096L * c;
        for (int step = 0; step < steps; step++) {
            long ident = idents[rng.nextInt(channels)];
            int op = rng.nextInt(10);
            if (op < 5 && !awake.isEmpty()) {
                KThread t = awake.remove(rng.nextInt(awake.size()));
                t.state = rng.nextBoolean() ? ThreadState.SLEEPING : ThreadState.LOCKWAIT;
                t.wchan = ident;
                q.add(ident, t);
                model.computeIfAbsent(ident, k -> new ArrayDeque<>()).addLast(t);
            } else if (op == 5) {
                ArrayDeque<KThread> m = model.remove(ident);
                List<Integer> want = new ArrayList<>();
                if (m != null) for (KThread t : m) want.add(t.tid);
                List<Integer> got = chain(q.takeAll(ident));
                assertEquals(want, got, "takeAll at step " + step);
                if (m != null) awake.addAll(m);
            } else if (op == 6) {
                ArrayDeque<KThread> m = model.get(ident);
                KThread want = m == null ? null : m.pollFirst();
                if (m != null && m.isEmpty()) model.remove(ident);
                KThread got = q.takeFirst(ident);
                assertEquals(want, got, "takeFirst at step " + step);
                if (got != null) {
                    assertNull(got.waitNext);
                    awake.add(got);
                }
            } else if (op == 7) {
                ArrayDeque<KThread> m = model.get(ident);
                List<Integer> want = new ArrayList<>();
                if (m != null) {
                    for (KThread t : List.copyOf(m)) {
                        if (t.state == ThreadState.LOCKWAIT) {
                            want.add(t.tid);
                            m.remove(t);
                            awake.add(t);
                        }
                    }
                    if (m.isEmpty()) model.remove(ident);
                }
                assertEquals(want, chain(q.takeInState(ident, ThreadState.LOCKWAIT)), "takeInState at step " + step);
            } else {
                ArrayDeque<KThread> m = model.get(ident);
                if (m == null) continue;
                KThread t = List.copyOf(m).get(rng.nextInt(m.size()));
                m.remove(t);
                if (m.isEmpty()) model.remove(ident);
                q.remove(ident, t);
                awake.add(t);
            }
        }
        for (long ident : idents) {
            ArrayDeque<KThread> m = model.remove(ident);
            List<Integer> want = new ArrayList<>();
            if (m != null) for (KThread t : m) want.add(t.tid);
            assertEquals(want, chain(q.takeAll(ident)), "final queue of 0x" + Long.toHexString(ident));
        }
    }

    @Test
    void fewChannelsLongQueues() {
        for (long seed = 1; seed <= 5; seed++) exercise(seed, 4, 20_000);
    }

    @Test
    void manyChannelsTableGrowsAndShrinks() {
        for (long seed = 1; seed <= 5; seed++) exercise(seed, 300, 20_000);
    }

    @Test
    void removingAThreadThatIsNotQueuedChangesNothing() {
        WaitQueues q = new WaitQueues();
        KThread a = new KThread(1, "a", 0, 0, () -> { });
        KThread b = new KThread(2, "b", 0, 0, () -> { });
        q.add(64, a);
        q.remove(64, b);
        q.remove(128, b);
        assertEquals(List.of(1), chain(q.takeAll(64)));
    }
}
