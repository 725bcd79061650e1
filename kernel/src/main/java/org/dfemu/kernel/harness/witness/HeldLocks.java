package org.dfemu.kernel.harness.witness;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.dfemu.emulator.api.Held;

/**
 * (dfemu only) The locks one thread holds, in acquisition order: what {@link Witness} keeps per
 * thread, so that a report can say who holds a shared lock (the lock word only counts shared
 * holders) and what each blocked thread holds, and the lock code can refuse to sleep with a spin
 * lock held.
 *
 * <p>Every lock operation of the kernel passes here, so a hold is one primitive key (the lock
 * word's physical address and the mode, {@link #key}) and a name that is only stored when there
 * is one (spin locks have none): no per-operation allocation, and no reference store for spin
 * locks. Release normally happens in reverse order, so removal looks at the top first.
 */
final class HeldLocks {
    private static final LockMode[] MODES = LockMode.values();

    private long[] keys = new long[8];
    private String[] names = new String[8];
    private int count;
    private int spins;

    /** One long for (pa, mode); physical addresses are far below 2^62. */
    private static long key(long pa, LockMode mode) {
        return pa << 2 | mode.ordinal();
    }

    void add(long pa, String name, LockMode mode) {
        if (count == keys.length) {
            keys = Arrays.copyOf(keys, count * 2);
            names = Arrays.copyOf(names, count * 2);
        }
        keys[count] = key(pa, mode);
        // Slots above count are always null, so a nameless hold needs no store.
        if (name != null) names[count] = name;
        count++;
        if (mode == LockMode.SPIN) spins++;
    }

    /** Removes the most recent hold of {@code pa} in {@code mode}; false if there is none. */
    boolean remove(long pa, LockMode mode) {
        long k = key(pa, mode);
        for (int i = count - 1; i >= 0; i--) {
            if (keys[i] == k) {
                int tail = count - i - 1;
                if (tail > 0) {
                    System.arraycopy(keys, i + 1, keys, i, tail);
                    System.arraycopy(names, i + 1, names, i, tail);
                }
                count--;
                if (names[count] != null) names[count] = null;
                if (mode == LockMode.SPIN) spins--;
                return true;
            }
        }
        return false;
    }

    boolean holds(long pa, LockMode mode) {
        long k = key(pa, mode);
        for (int i = count - 1; i >= 0; i--) {
            if (keys[i] == k) return true;
        }
        return false;
    }

    /** Number of spin locks held. */
    int spins() { return spins; }

    /** Address of the most recently taken spin lock; only meaningful when {@link #spins()} > 0. */
    long lastSpin() {
        for (int i = count - 1; i >= 0; i--) {
            if (mode(i) == LockMode.SPIN) return keys[i] >>> 2;
        }
        return 0;
    }

    private LockMode mode(int i) {
        return MODES[(int) (keys[i] & 3)];
    }

    List<Held> snapshot() {
        List<Held> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            LockMode m = mode(i);
            out.add(new Held(keys[i] >>> 2, m == LockMode.SPIN ? LockMode.SPIN_LOCK_NAME : names[i], m.word()));
        }
        return out;
    }
}
