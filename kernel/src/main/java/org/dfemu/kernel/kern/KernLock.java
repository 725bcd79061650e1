package org.dfemu.kernel.kern;

import org.dfemu.emulator.api.Awaited;
import org.dfemu.emulator.api.Scheduler;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.harness.witness.LockMode;
import org.dfemu.kernel.harness.witness.Witness;
import org.dfemu.kernel.sys.Errno;
import org.dfemu.kernel.sys.StructLock;

import static org.dfemu.kernel.sys.StructLock.LK_EXCLUSIVE;
import static org.dfemu.kernel.sys.StructLock.LK_NOWAIT;
import static org.dfemu.kernel.sys.StructLock.LK_RELEASE;
import static org.dfemu.kernel.sys.StructLock.LK_SHARED;
import static org.dfemu.kernel.sys.StructLock.LK_SLEEPFAIL;
import static org.dfemu.kernel.sys.StructLock.LK_TYPE_MASK;

/**
 * kern_lock.c: DragonFly BSD sys/kern/kern_lock.c at commit 737b020b54 (2021-05-28), with the
 * {@code lockmgr()} dispatcher and {@code lockinuse()} of sys/sys/lock.h: sleepable
 * reader/writer locks ({@code struct lock}) with the requests the port makes: LK_EXCLUSIVE,
 * LK_SHARED, LK_RELEASE, and the modifiers LK_NOWAIT and LK_SLEEPFAIL.
 *
 * <p>The lock word is {@code lk_count}, 8-byte aligned, operated on by physical address (a
 * locked instruction on the word itself, which the emulator does without the TLB's counted
 * work). Waiters sleep on that physical address with the lock's wmesg; a release that frees the
 * lock wakes them all, and each retries.
 *
 * <p>PORT: the encoding is dfemu's, simpler than the C's LKC_* bits (no EXREQ/UPREQ/CANCEL, no
 * lk_lockholder): the port makes no upgrade, downgrade or cancel requests, and the owner's
 * thread id in the word lets reports name him.
 * <pre>
 *   63  62            32 31                                         0
 *   [X ][  reserved 0   ][ X=1: owner thread id | X=0: share count   ]
 * </pre>
 * X set: held exclusively by the thread in the low 32 bits. X clear: held shared by as many
 * holders as the low 32 bits count (0 = free, as after lockinit's bzero). Waiting exclusive
 * requests do not hold new sharers back (the C's LKC_EXREQ does). Not recursive
 * (no LK_CANRECURSE): a second request by the holder panics, as the C's does.
 */
public final class KernLock {
    /** lk_count: held exclusively; the low 32 bits are then the owner's thread id. */
    public static final long LKC_EXCL = 1L << 63;
    /** lk_count: owner thread id, or the share count. */
    public static final long LKC_LOW_MASK = 0xffff_ffffL;

    /** A lock word held in boot context (thread0 is the only thread; boot releases every lock before threads run). */
    private static final long BOOT_LOCK_HELD = 1;

    private final Lwkt lwkt;
    private final KernelMemory km;
    private final PhysicalMemory ram;
    private final Witness witness;
    private final KernSynch synch;

    public KernLock(Kernel kernel, Lwkt lwkt, Witness witness, KernSynch synch) {
        this.lwkt = lwkt;
        this.km = kernel.km();
        this.ram = km.ram();
        this.witness = witness;
        this.synch = synch;
    }

    /** True if {@code word} is held exclusively. */
    public static boolean lkcExclusive(long word) { return (word & LKC_EXCL) != 0; }

    /** Owner thread id of an exclusively held word. */
    public static int lkcOwner(long word) { return (int) (word & LKC_LOW_MASK); }

    /** True if {@code word} is held shared (by one thread or more). */
    public static boolean lkcShared(long word) { return word != 0 && !lkcExclusive(word); }

    /**
     * {@code lockinit(lkp, wmesg, timo, flags)}: a free lock. No requirements.
     * PORT: the wmesg is passed with each request (the Java string is not in kernel memory), and
     * lk_flags/lk_timo are not used, so only the zeroing is left.
     */
    public void lockinit(long lk) {
        km.bzero(lk, StructLock.SIZEOF);
    }

    /**
     * {@code lockinuse(lkp)} (lock.h): true if the lock is held, shared or exclusive, by anyone:
     * an exclusive request by another thread would sleep. Reads only; no requirements.
     */
    public boolean lockinuse(long lk) {
        return ram.load64(lockWordPa(lk)) != 0;
    }

    /**
     * {@code lockmgr(lkp, flags)} (lock.h's dispatcher): LK_SHARED, LK_EXCLUSIVE or LK_RELEASE,
     * with LK_NOWAIT (fail with EBUSY rather than sleep) or LK_SLEEPFAIL (if it had to sleep,
     * return ENOLCK without the lock). Returns 0 when granted or released. May block unless
     * LK_NOWAIT or LK_RELEASE. PORT: {@code wmesg} is the lock's lk_wmesg (see {@link #lockinit}).
     */
    public int lockmgr(long lk, int flags, String wmesg) {
        long pa = lockWordPa(lk);
        return switch (flags & LK_TYPE_MASK) {
            case LK_SHARED -> lockmgrShared(lk, pa, flags, wmesg);
            case LK_EXCLUSIVE -> lockmgrExclusive(lk, pa, flags, wmesg);
            case LK_RELEASE -> lockmgrRelease(lk, pa);
            default -> throw Kassert.panic("lockmgr: unknown locktype request %d", flags & LK_TYPE_MASK);
        };
    }

    /**
     * {@code lockmgr_shared()}: a shared hold, granted whenever the lock is not held
     * exclusively; otherwise sleeps until it is released (LK_NOWAIT: EBUSY). Locking: the caller
     * holds no spin lock (panics, contended or not, so the bug shows in every interleaving) and
     * does not hold the lock exclusively (panics, "locking against myself" in the C).
     *
     * <p>PORT: in boot context thread0 is the only thread, so a shared hold is taken as an
     * exclusive one (the word is then BOOT_LOCK_HELD).
     */
    private int lockmgrShared(long lk, long pa, int flags, String wmesg) {
        if (lwkt.bootContext()) {
            return bootAcquire(lk, pa, flags, wmesg);
        }
        Scheduler sched = lwkt.scheduler();
        int tid = sched.curtid();
        synch.requireNoSpinlocks(sched, "lockmgr", wmesg);
        Awaited waiting = null;
        while (true) {
            long word = ram.loadAcquire64(pa);
            if (!lkcExclusive(word)) {
                if ((word & LKC_LOW_MASK) == LKC_LOW_MASK) {
                    throw Kassert.panic("lockmgr: %s at 0x%x: share count overflow", wmesg, pa);
                }
                if (ram.cas64(pa, word, word + 1)) break;
                continue;
            }
            if (lkcOwner(word) == tid) {
                throw Kassert.panic("lockmgr: %s at 0x%x: shared request by %s, which holds it exclusively",
                        wmesg, pa, sched.threadName(tid));
            }
            if ((flags & LK_NOWAIT) != 0) return Errno.EBUSY;
            if (waiting == null) waiting = new LockWait(pa, wmesg, LockMode.SHARED);
            sched.blockOn(pa, wmesg, waiting);
        }
        witness.add(tid, pa, wmesg, LockMode.SHARED);
        return 0;
    }

    /**
     * {@code lockmgr_exclusive()}: an exclusive hold; sleeps on the lock while anybody holds it,
     * then retries. LK_NOWAIT: EBUSY instead of sleeping. LK_SLEEPFAIL: ENOLCK, without the lock,
     * if it had to sleep. Locking: the caller holds no spin lock if it may sleep (panics), and
     * does not hold the lock in any mode (panics: locking against myself).
     *
     * <p>PORT: an LK_SLEEPFAIL wait is made by acquiring the lock (sleeping until its holder
     * releases it) and releasing it at once, which wakes the other waiters as the holder's
     * release would have; the C sleeps on the lock without taking it.
     */
    private int lockmgrExclusive(long lk, long pa, int flags, String wmesg) {
        if (lwkt.bootContext()) {
            if ((flags & LK_SLEEPFAIL) != 0) {
                // Nobody else can hold it in boot context: a plain request.
                return lockmgr(lk, LK_EXCLUSIVE, wmesg);
            }
            return bootAcquire(lk, pa, flags, wmesg);
        }
        Scheduler sched = lwkt.scheduler();
        int tid = sched.curtid();
        if ((flags & (LK_NOWAIT | LK_SLEEPFAIL)) != 0) {
            if (tryExclusive(sched, tid, pa, wmesg)) return 0;
            if ((flags & LK_NOWAIT) != 0) return Errno.EBUSY;
            exclusive(sched, tid, pa, wmesg);
            lockmgrRelease(lk, pa);
            return Errno.ENOLCK;
        }
        exclusive(sched, tid, pa, wmesg);
        return 0;
    }

    private void exclusive(Scheduler sched, int tid, long pa, String wmesg) {
        synch.requireNoSpinlocks(sched, "lockmgr", wmesg);
        Awaited waiting = null;
        while (true) {
            long word = ram.loadAcquire64(pa);
            if (word == 0) {
                // PORT: dfemu's encoding (X bit and owner tid) instead of LKC_XMASK counts and lk_lockholder.
                if (ram.cas64(pa, 0, LKC_EXCL | tid)) break;
                continue;
            }
            checkNotHeldBySelf(sched, tid, pa, wmesg, word);
            // PORT: waiters sleep on the word's physical address and retry; the C queues LKC_EXREQ and hands over.
            if (waiting == null) waiting = new LockWait(pa, wmesg, LockMode.EXCLUSIVE);
            sched.blockOn(pa, wmesg, waiting);
        }
        witness.add(tid, pa, wmesg, LockMode.EXCLUSIVE);
    }

    /** The exclusive request that never sleeps: true if granted. Not a scheduling point. */
    private boolean tryExclusive(Scheduler sched, int tid, long pa, String wmesg) {
        long word = ram.loadAcquire64(pa);
        if (word != 0) {
            checkNotHeldBySelf(sched, tid, pa, wmesg, word);
            return false;
        }
        if (!ram.cas64(pa, 0, LKC_EXCL | tid)) return false;
        witness.add(tid, pa, wmesg, LockMode.EXCLUSIVE);
        return true;
    }

    private void checkNotHeldBySelf(Scheduler sched, int tid, long pa, String wmesg, long word) {
        boolean mine = lkcExclusive(word) ? lkcOwner(word) == tid : witness.holds(tid, pa, LockMode.SHARED);
        if (mine) {
            throw Kassert.panic("lockmgr: %s at 0x%x: locking against myself (%s)", wmesg, pa, sched.threadName(tid));
        }
    }

    /**
     * {@code lockmgr_release()}: releases the caller's shared or exclusive hold; when the lock
     * becomes free, every thread sleeping for it becomes runnable (they retry in the order they
     * slept). Never blocks; not a scheduling point. Panics if the caller does not hold it.
     */
    private int lockmgrRelease(long lk, long pa) {
        if (lwkt.bootContext()) {
            if (!ram.cas64(pa, BOOT_LOCK_HELD, 0)) {
                throw Kassert.panic("lockmgr: release of unheld lock 0x%x", lk);
            }
            return 0;
        }
        Scheduler sched = lwkt.scheduler();
        int tid = sched.curtid();
        long word = ram.loadAcquire64(pa);
        if (lkcExclusive(word)) {
            if (lkcOwner(word) != tid || !witness.remove(tid, pa, LockMode.EXCLUSIVE)) {
                throw Kassert.panic("lockmgr: release of 0x%x by tid %d (%s), but tid %d holds it exclusively",
                        pa, tid, sched.threadName(tid), lkcOwner(word));
            }
            ram.storeRelease64(pa, 0);
            sched.wakeupBlocked(pa);
            return 0;
        }
        if (word == 0 || !witness.remove(tid, pa, LockMode.SHARED)) {
            throw Kassert.panic("lockmgr: release of 0x%x by tid %d (%s), which does not hold it (word 0x%x)",
                    pa, tid, sched.threadName(tid), word);
        }
        long after = ram.fetchAdd64(pa, -1) - 1;
        if (after == 0) sched.wakeupBlocked(pa);
        return 0;
    }

    /**
     * Boot context: thread0 is the only thread, so a held lock can never be released by anyone
     * else: finding it held is a deadlock, hence a panic (LK_NOWAIT: EBUSY).
     */
    private int bootAcquire(long lk, long pa, int flags, String wmesg) {
        if (ram.cas64(pa, 0, BOOT_LOCK_HELD)) return 0;
        if ((flags & LK_NOWAIT) != 0) return Errno.EBUSY;
        throw Kassert.panic("lockmgr: %s 0x%x already held in boot context (deadlock)", wmesg, lk);
    }

    private long lockWordPa(long lk) {
        long pa = km.paForWrite(StructLock.lockWord(lk));
        if ((pa & 7) != 0) {
            throw Kassert.panic("lock 0x%x: lock word not 8-byte aligned", lk);
        }
        return pa;
    }

    /**
     * (dfemu only) What a thread sleeping for a lock waits for, as reports show it: the lock word
     * and its holders now (the owner in the word, or every shared holder the {@link Witness}
     * knows).
     */
    private final class LockWait implements Awaited {
        private final long pa;
        private final String wmesg;
        private final LockMode mode;

        LockWait(long pa, String wmesg, LockMode mode) {
            this.pa = pa;
            this.wmesg = wmesg;
            this.mode = mode;
        }

        @Override public long addr() { return pa; }
        @Override public String name() { return wmesg; }
        @Override public String mode() { return mode.word(); }
        @Override public long word() { return ram.loadAcquire64(pa); }
        @Override public boolean shared() { return lkcShared(word()); }

        @Override
        public int[] owners() {
            long word = word();
            if (lkcExclusive(word)) return new int[] {lkcOwner(word)};
            return word != 0 ? witness.sharedHolders(pa) : new int[0];
        }
    }
}
