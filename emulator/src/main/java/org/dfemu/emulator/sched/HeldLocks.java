package org.dfemu.emulator.sched;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The locks one thread holds, in acquisition order, so that a report can say who holds a shared
 * lock (the lock word only counts shared holders) and what each blocked thread holds.
 * Release normally happens in reverse order, so removal searches from the top.
 */
final class HeldLocks {
    private long[] pas = new long[4];
    private String[] names = new String[4];
    private LockMode[] modes = new LockMode[4];
    private int count;
    private int spins;

    void add(long pa, String name, LockMode mode) {
        if (count == pas.length) {
            pas = Arrays.copyOf(pas, count * 2);
            names = Arrays.copyOf(names, count * 2);
            modes = Arrays.copyOf(modes, count * 2);
        }
        pas[count] = pa;
        names[count] = name;
        modes[count] = mode;
        count++;
        if (mode == LockMode.SPIN) spins++;
    }

    /** Removes the most recent hold of {@code pa} in {@code mode}; false if there is none. */
    boolean remove(long pa, LockMode mode) {
        for (int i = count - 1; i >= 0; i--) {
            if (pas[i] == pa && modes[i] == mode) {
                int tail = count - i - 1;
                System.arraycopy(pas, i + 1, pas, i, tail);
                System.arraycopy(names, i + 1, names, i, tail);
                System.arraycopy(modes, i + 1, modes, i, tail);
                count--;
                names[count] = null;
                modes[count] = null;
                if (mode == LockMode.SPIN) spins--;
                return true;
            }
        }
        return false;
    }

    boolean holds(long pa, LockMode mode) {
        for (int i = count - 1; i >= 0; i--) {
            if (pas[i] == pa && modes[i] == mode) return true;
        }
        return false;
    }

    /** Number of spin locks held. */
    int spins() { return spins; }

    /** Address of the most recently taken spin lock; only meaningful when {@link #spins()} > 0. */
    long lastSpin() {
        for (int i = count - 1; i >= 0; i--) {
            if (modes[i] == LockMode.SPIN) return pas[i];
        }
        return 0;
    }

    List<ThreadInfo.HeldLock> snapshot() {
        List<ThreadInfo.HeldLock> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(new ThreadInfo.HeldLock(pas[i], names[i], modes[i]));
        return out;
    }
}
