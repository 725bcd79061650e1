package org.dfemu.tools.trace;

import java.util.Arrays;

/**
 * An open-addressing map from long to long for the trace readers' aggregations (pages, map
 * entries, request ids, thread ids): no boxing and no object per entry, so reading a trace of
 * millions of records allocates only when the table grows. Iteration order is the table's, so
 * callers that print sort what they take out ({@link #sortedKeys}).
 *
 * <p>Thread safety: none; one reader at a time.
 */
final class LongLongMap {
    private long[] keys;
    private long[] values;
    private boolean[] used;
    private int size;

    LongLongMap() {
        this(16);
    }

    LongLongMap(int capacity) {
        int n = Integer.highestOneBit(Math.max(4, capacity) * 2 - 1);
        keys = new long[n];
        values = new long[n];
        used = new boolean[n];
    }

    int size() {
        return size;
    }

    private static int mix(long k) {
        long h = k * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }

    private int slot(long key) {
        int mask = keys.length - 1;
        int i = mix(key) & mask;
        while (used[i] && keys[i] != key) i = (i + 1) & mask;
        return i;
    }

    boolean containsKey(long key) {
        return used[slot(key)];
    }

    /** The value for key, or {@code absent} if there is none. */
    long get(long key, long absent) {
        int i = slot(key);
        return used[i] ? values[i] : absent;
    }

    void put(long key, long value) {
        int i = slot(key);
        if (!used[i]) {
            if ((size + 1) * 4 > keys.length * 3) {
                grow();
                i = slot(key);
            }
            used[i] = true;
            keys[i] = key;
            size++;
        }
        values[i] = value;
    }

    /** Adds delta to the value for key (0 if absent) and returns the new value. */
    long add(long key, long delta) {
        int i = slot(key);
        if (!used[i]) {
            put(key, delta);
            return delta;
        }
        values[i] += delta;
        return values[i];
    }

    /** Removes key; returns its value or {@code absent}. */
    long remove(long key, long absent) {
        int mask = keys.length - 1;
        int i = slot(key);
        if (!used[i]) return absent;
        long old = values[i];
        used[i] = false;
        size--;
        // Re-insert the rest of the cluster so lookups past the hole still find their keys.
        int j = (i + 1) & mask;
        while (used[j]) {
            long k = keys[j];
            long v = values[j];
            used[j] = false;
            size--;
            put(k, v);
            j = (j + 1) & mask;
        }
        return old;
    }

    private void grow() {
        long[] k = keys;
        long[] v = values;
        boolean[] u = used;
        keys = new long[k.length * 2];
        values = new long[k.length * 2];
        used = new boolean[k.length * 2];
        size = 0;
        for (int i = 0; i < k.length; i++) {
            if (u[i]) put(k[i], v[i]);
        }
    }

    /** The keys in ascending order. */
    long[] sortedKeys() {
        long[] out = new long[size];
        int n = 0;
        for (int i = 0; i < keys.length; i++) {
            if (used[i]) out[n++] = keys[i];
        }
        Arrays.sort(out);
        return out;
    }

    /**
     * The {@code limit} keys with the largest values, largest first, ties by ascending key (so the
     * order does not depend on the table).
     */
    long[] topKeys(int limit) {
        long[] ks = sortedKeys();
        Long[] boxed = new Long[ks.length];
        for (int i = 0; i < ks.length; i++) boxed[i] = ks[i];
        Arrays.sort(boxed, (a, b) -> {
            int c = Long.compare(get(b, 0), get(a, 0));
            return c != 0 ? c : Long.compare(a, b);
        });
        long[] out = new long[Math.min(limit, boxed.length)];
        for (int i = 0; i < out.length; i++) out[i] = boxed[i];
        return out;
    }
}
