package org.dfemu.emulator.sched;

/**
 * Sleep queues keyed by wait channel: one FIFO per ident, in the order threads went to sleep, so
 * {@code wakeup} order and {@code wakeupOne}'s choice are deterministic. Empty queues are
 * dropped.
 *
 * <p>Allocation-free: the queues are chained through the threads themselves ({@link
 * KThread#waitNext}/{@link KThread#waitPrev}; a thread sleeps on one channel at most), and the
 * channel-to-queue table is an open-addressing table of primitive keys, so a lookup neither boxes
 * the ident nor allocates a node (the kernel calls {@code wakeup} and releases locks far more
 * often than anybody sleeps). The table is only looked up by key, never iterated, so its order
 * cannot leak into a run.
 *
 * <p>Lists handed out by {@link #takeAll} and {@link #takeInState} are chains through
 * {@code waitNext}; the caller walks them with {@link #detach}.
 */
final class WaitQueues {
    /** Slots; a slot is in use when its head is not null (a queue in the table is never empty). */
    private long[] keys = new long[64];
    private KThread[] heads = new KThread[64];
    private KThread[] tails = new KThread[64];
    private int used;

    void add(long ident, KThread t) {
        int i = slot(ident);
        if (heads[i] == null) {
            keys[i] = ident;
            heads[i] = t;
            tails[i] = t;
            if (++used * 2 > keys.length) grow();
            return;
        }
        KThread tail = tails[i];
        tail.waitNext = t;
        t.waitPrev = tail;
        tails[i] = t;
    }

    /** Removes every sleeper on {@code ident}; returns the first of the chain in sleep order, or null. */
    KThread takeAll(long ident) {
        int i = slot(ident);
        KThread head = heads[i];
        if (head != null) removeSlot(i);
        return head;
    }

    /** Removes and returns the longest sleeper on {@code ident}, or null if none. */
    KThread takeFirst(long ident) {
        int i = slot(ident);
        KThread t = heads[i];
        if (t == null) return null;
        unlink(i, t);
        return t;
    }

    /**
     * Removes the sleepers on {@code ident} in {@code state}; returns the first of their chain,
     * in sleep order, or null if none. The others keep their places.
     */
    KThread takeInState(long ident, ThreadState state) {
        int i = slot(ident);
        KThread first = null;
        KThread last = null;
        for (KThread t = heads[i]; t != null; ) {
            KThread next = t.waitNext;
            if (t.state == state) {
                unlinkKeepingSlot(i, t);
                if (last == null) first = t; else last.waitNext = t;
                last = t;
            }
            t = next;
        }
        if (first != null && heads[i] == null) removeSlot(i);
        return first;
    }

    /** Removes {@code t} from the queue of {@code ident} (its sleep timed out); nothing if it is not there. */
    void remove(long ident, KThread t) {
        int i = slot(ident);
        if (heads[i] == null || (heads[i] != t && t.waitPrev == null)) return;
        unlink(i, t);
    }

    /** Clears {@code t}'s chain links and returns the thread after it in its chain (null at the end). */
    static KThread detach(KThread t) {
        KThread next = t.waitNext;
        t.waitNext = null;
        t.waitPrev = null;
        return next;
    }

    private void unlink(int i, KThread t) {
        unlinkKeepingSlot(i, t);
        if (heads[i] == null) removeSlot(i);
    }

    private void unlinkKeepingSlot(int i, KThread t) {
        KThread prev = t.waitPrev;
        KThread next = t.waitNext;
        if (prev != null) prev.waitNext = next; else heads[i] = next;
        if (next != null) next.waitPrev = prev; else tails[i] = prev;
        t.waitNext = null;
        t.waitPrev = null;
    }

    /** The slot holding {@code ident}, or the free slot where it would go. */
    private int slot(long ident) {
        int mask = keys.length - 1;
        int i = hash(ident) & mask;
        while (heads[i] != null && keys[i] != ident) i = (i + 1) & mask;
        return i;
    }

    private static int hash(long ident) {
        long h = ident * 0x9E3779B97F4A7C15L;
        return (int) (h ^ h >>> 32);
    }

    /** Empties slot {@code i}, shifting later entries of its probe run back so lookups still find them. */
    private void removeSlot(int i) {
        int mask = keys.length - 1;
        heads[i] = null;
        tails[i] = null;
        used--;
        int hole = i;
        for (int j = (i + 1) & mask; heads[j] != null; j = (j + 1) & mask) {
            int home = hash(keys[j]) & mask;
            // Entry j may move into the hole unless its home lies cyclically in (hole, j].
            boolean stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
            if (stays) continue;
            keys[hole] = keys[j];
            heads[hole] = heads[j];
            tails[hole] = tails[j];
            heads[j] = null;
            tails[j] = null;
            hole = j;
        }
    }

    private void grow() {
        long[] oldKeys = keys;
        KThread[] oldHeads = heads;
        KThread[] oldTails = tails;
        int n = oldKeys.length * 2;
        keys = new long[n];
        heads = new KThread[n];
        tails = new KThread[n];
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldHeads[j] == null) continue;
            int i = slot(oldKeys[j]);
            keys[i] = oldKeys[j];
            heads[i] = oldHeads[j];
            tails[i] = oldTails[j];
        }
    }
}
