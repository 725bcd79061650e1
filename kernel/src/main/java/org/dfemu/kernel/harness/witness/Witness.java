package org.dfemu.kernel.harness.witness;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.dfemu.emulator.api.Held;
import org.dfemu.emulator.api.Scheduler;

/**
 * (dfemu only, in the manner of FreeBSD's WITNESS, which DragonFly does not have) the kernel's
 * record of which locks each thread holds and which spin lock each thread spins on, by thread
 * id. The ported lock code (KernLock, KernSpinlock) and kern_synch's sleep check keep and read
 * it; the scheduler reads it through {@link Scheduler.Holdings} to show held locks in reports.
 *
 * <p>It exists because DragonFly's lock words do not name every holder (a shared lockmgr lock
 * only counts them) and because the C's checks use per-cpu counters (gd_spinlocks) the port
 * does not keep. It is plain Java state, not kernel memory: keeping it costs no virtual time, so
 * it changes no run. Touched only by the thread that owns the machine (the scheduler's hand-off
 * orders it), and read by the host after the run.
 */
public final class Witness implements Scheduler.Holdings {
    /** Index tid; grown on demand. Entries stay after a thread exits, as its holds would. */
    private final ArrayList<HeldLocks> held = new ArrayList<>();
    /** Index tid: the physical address of the spin lock the thread spins on, 0 when none. */
    private long[] spinningOn = new long[16];

    private HeldLocks record(int tid) {
        while (held.size() <= tid) held.add(null);
        HeldLocks h = held.get(tid);
        if (h == null) {
            h = new HeldLocks();
            held.set(tid, h);
        }
        return h;
    }

    /** Records that thread {@code tid} took the lock whose word is at {@code pa}. */
    public void add(int tid, long pa, String name, LockMode mode) {
        record(tid).add(pa, name, mode);
    }

    /** Forgets thread {@code tid}'s most recent hold of {@code pa} in {@code mode}; false if it had none. */
    public boolean remove(int tid, long pa, LockMode mode) {
        return record(tid).remove(pa, mode);
    }

    /** True if thread {@code tid} holds {@code pa} in {@code mode}. */
    public boolean holds(int tid, long pa, LockMode mode) {
        return tid < held.size() && held.get(tid) != null && held.get(tid).holds(pa, mode);
    }

    /** Number of spin locks thread {@code tid} holds. */
    public int spins(int tid) {
        return tid < held.size() && held.get(tid) != null ? held.get(tid).spins() : 0;
    }

    /** The spin lock thread {@code tid} took last; meaningful only when {@link #spins} is above 0. */
    public long lastSpin(int tid) {
        return record(tid).lastSpin();
    }

    /** Ids of the threads holding {@code pa} shared, in thread-id order. */
    public int[] sharedHolders(long pa) {
        int n = 0;
        int[] out = new int[4];
        for (int tid = 0; tid < held.size(); tid++) {
            HeldLocks h = held.get(tid);
            if (h == null || !h.holds(pa, LockMode.SHARED)) continue;
            if (n == out.length) out = Arrays.copyOf(out, n * 2);
            out[n++] = tid;
        }
        return Arrays.copyOf(out, n);
    }

    /** Records that thread {@code tid} spins on the spin lock at {@code pa} (0: it no longer does). */
    public void spinning(int tid, long pa) {
        if (tid >= spinningOn.length) spinningOn = Arrays.copyOf(spinningOn, Math.max(tid + 1, spinningOn.length * 2));
        spinningOn[tid] = pa;
    }

    /** The spin lock thread {@code tid} spins on, or 0. */
    public long spinningOn(int tid) {
        return tid < spinningOn.length ? spinningOn[tid] : 0;
    }

    /** Highest thread id recorded so far (a bound on the length of a chain of spinners). */
    public int maxTid() {
        return Math.max(held.size(), spinningOn.length);
    }

    /** {@inheritDoc} For reports: the locks thread {@code tid} holds, oldest first. */
    @Override
    public List<Held> of(int tid) {
        return tid < held.size() && held.get(tid) != null ? held.get(tid).snapshot() : List.of();
    }
}
