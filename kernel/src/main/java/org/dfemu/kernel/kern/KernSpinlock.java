package org.dfemu.kernel.kern;

import org.dfemu.emulator.api.Awaited;
import org.dfemu.emulator.api.Scheduler;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.harness.witness.LockMode;
import org.dfemu.kernel.harness.witness.Witness;
import org.dfemu.kernel.sys.Thread2;

/**
 * kern_spinlock.c: DragonFly BSD sys/kern/kern_spinlock.c at commit 737b020b54 (2021-05-28),
 * with the inline entry points of sys/sys/spinlock2.h it serves (spin_init, spin_lock,
 * spin_trylock, spin_unlock): exclusive spin locks ({@code struct spinlock}).
 *
 * <p>A spin lock holder is in a critical section from spin_lock to spin_unlock (the C's
 * crit_enter_raw with ++gd_spinlocks), so no other thread of its CPU runs meanwhile, and it must
 * not sleep (tsleep and lockmgr panic, see {@link KernSynch}). Not recursive. Lock words are
 * 8-byte aligned and operated on by physical address.
 *
 * <p>PORT: the word is dfemu's: 0 when free, else the holder's thread id (the C counts holders
 * and waiters in spin->lock, with SPINLOCK_SHARED and SPINLOCK_EXCLWAIT), so that a report and
 * the cycle check can name the holder. A contended spinner yields to another thread instead of
 * spinning (one thread runs at a time, so spinning could never see the holder release), and
 * spinners that wait for each other in a cycle end the run as a deadlock where the C would
 * report an indefinite wait. In boot context (thread0 alone) the word is 1 while held, and
 * finding it held is a deadlock, hence a panic.
 */
public final class KernSpinlock {
    private final Lwkt lwkt;
    private final KernelMemory km;
    private final PhysicalMemory ram;
    private final Witness witness;
    private final Thread2 thread2;

    public KernSpinlock(Kernel kernel, Lwkt lwkt, Witness witness, Thread2 thread2) {
        this.lwkt = lwkt;
        this.km = kernel.km();
        this.ram = km.ram();
        this.witness = witness;
        this.thread2 = thread2;
    }

    /** {@code spin_init(spin, descr)} (spinlock2.h): a free lock. No requirements. */
    public void spinInit(long kva) {
        km.store64(kva, 0);
    }

    /**
     * {@code spin_lock(spin)} (spinlock2.h): takes the lock, entering a critical section first;
     * if another thread holds it, {@link #spinLockContested}. Locking: the caller must not hold
     * it already (panics); it may hold other spin locks. A scheduling point only if contended.
     */
    public void spinLock(long kva) {
        long pa = lockPa(kva);
        if (lwkt.bootContext()) {
            if (!ram.cas64(pa, 0, 1)) {
                throw Kassert.panic("spin_lock: lock 0x%x already held in boot context (deadlock)", kva);
            }
            return;
        }
        Scheduler sched = lwkt.scheduler();
        int tid = sched.curtid();
        thread2.critEnterRaw(sched);
        // PORT: the word takes the holder's tid, not the C's count, so reports and the cycle check can name him.
        if (!ram.cas64(pa, 0, tid)) {
            spinLockContested(sched, tid, pa);
        }
        witness.add(tid, pa, null, LockMode.SPIN);
    }

    /**
     * {@code _spin_lock_contested()}: the holder is another thread; yields to let it run and
     * retries until the word is free. Panics if the holder is the caller, if the word names no
     * thread, or if no other thread can run (the holder could never release it); ends the run
     * as a deadlock if the spinners wait for each other in a cycle. The caller is already in the
     * critical section.
     *
     * <p>PORT: yielding replaces the C's backoff loop and its indefinite_check (see the class
     * comment).
     */
    private void spinLockContested(Scheduler sched, int tid, long pa) {
        Awaited spinning = null;
        while (!ram.cas64(pa, 0, tid)) {
            long word = ram.loadAcquire64(pa);
            if (word == 0) continue;
            int owner = threadId(sched, word);
            if (owner < 0) {
                throw Kassert.panic("spin_lock: word 0x%x at 0x%x is not a thread id", word, pa);
            }
            if (owner == tid) {
                throw Kassert.panic("spin_lock: 0x%x is already held by %s", pa, sched.threadName(tid));
            }
            if (spinning == null) {
                spinning = new SpinWait(pa);
                sched.awaiting(spinning);
                witness.spinning(tid, pa);
            }
            String cycle = spinCycle(sched, tid);
            if (cycle != null) {
                throw sched.deadlock("spin lock deadlock: threads " + cycle + " each spin on a lock the next one holds");
            }
            // PORT: yield instead of the C's cpu_pause backoff: with one thread running, spinning never sees a release.
            if (!sched.yield()) {
                throw Kassert.panic("spin_lock: 0x%x is held by %s, which cannot run", pa, sched.threadLabel(owner));
            }
        }
        if (spinning != null) {
            sched.awaiting(null);
            witness.spinning(tid, 0);
        }
    }

    /**
     * {@code spin_trylock(spin)} (spinlock2.h): takes the lock if it is free and returns true
     * (then in a critical section, as for {@link #spinLock}); else false. Never blocks.
     */
    public boolean spinTrylock(long kva) {
        long pa = lockPa(kva);
        if (lwkt.bootContext()) {
            return ram.cas64(pa, 0, 1);
        }
        Scheduler sched = lwkt.scheduler();
        int tid = sched.curtid();
        if (ram.cas64(pa, 0, tid)) {
            thread2.critEnterRaw(sched);
            witness.add(tid, pa, null, LockMode.SPIN);
            return true;
        }
        return false;
    }

    /**
     * {@code spin_unlock(spin)} (spinlock2.h): releases the lock and leaves the critical section
     * spin_lock entered. Panics if the caller does not hold it. Never blocks; not a scheduling
     * point.
     */
    public void spinUnlock(long kva) {
        long pa = lockPa(kva);
        if (lwkt.bootContext()) {
            if (!ram.cas64(pa, 1, 0)) {
                throw Kassert.panic("spin_unlock: lock 0x%x not held", kva);
            }
            return;
        }
        Scheduler sched = lwkt.scheduler();
        int tid = sched.curtid();
        long word = ram.loadAcquire64(pa);
        if (word != tid || !witness.remove(tid, pa, LockMode.SPIN)) {
            throw Kassert.panic("spin_unlock: 0x%x is not held by tid %d (%s); its word is 0x%x",
                    pa, tid, sched.threadName(tid), word);
        }
        ram.storeRelease64(pa, 0);
        thread2.critExitQuick(sched);
    }

    /** The thread id a held word names, or -1 if it names no thread. */
    private static int threadId(Scheduler sched, long word) {
        if (word < 1 || word > Integer.MAX_VALUE) return -1;
        return sched.threadName((int) word) != null ? (int) word : -1;
    }

    /**
     * (dfemu only) {@code "3 -> 5 -> 3"} if {@code self}'s wait closes a cycle of spinners, each
     * spinning on a lock the next one holds; else null. Reads the words and the witness only.
     */
    private String spinCycle(Scheduler sched, int self) {
        int t = self;
        StringBuilder chain = new StringBuilder().append(self);
        for (int hops = 0; hops <= witness.maxTid(); hops++) {
            int owner = threadId(sched, ram.loadAcquire64(witness.spinningOn(t)));
            if (owner < 0) return null;
            chain.append(" -> ").append(owner);
            if (owner == self) return chain.toString();
            if (witness.spinningOn(owner) == 0) return null;
            t = owner;
        }
        return null;
    }

    private long lockPa(long kva) {
        long pa = km.paForWrite(kva);
        if ((pa & 7) != 0) {
            throw Kassert.panic("spinlock 0x%x: lock word not 8-byte aligned", kva);
        }
        return pa;
    }

    /** (dfemu only) What a spinner waits for, as reports show it: the word names the holder. */
    private final class SpinWait implements Awaited {
        private final long pa;

        SpinWait(long pa) { this.pa = pa; }

        @Override public long addr() { return pa; }
        @Override public String name() { return LockMode.SPIN_LOCK_NAME; }
        @Override public String mode() { return LockMode.SPIN.word(); }
        @Override public long word() { return ram.loadAcquire64(pa); }
        @Override public boolean shared() { return false; }

        @Override
        public int[] owners() {
            long word = word();
            return word >= 1 && word <= Integer.MAX_VALUE ? new int[] {(int) word} : new int[0];
        }
    }
}
