package org.dfemu.emulator.sched;

/**
 * Encoding of the 64-bit lock words the scheduler keeps in emulated physical memory. Every
 * lock word is naturally aligned and 0 when the lock is free, so zeroed memory holds free locks.
 *
 * <p>Spin lock ({@code struct spinlock} reduced to its word):
 * <pre>
 *   63                                                             0
 *   [                    owner thread id (0 = free)                 ]
 * </pre>
 *
 * <p>Sleepable lock ({@code struct lock}, lockmgr):
 * <pre>
 *   63  62            32 31                                         0
 *   [X ][  reserved 0   ][ X=1: owner thread id | X=0: share count   ]
 * </pre>
 * X (bit 63) set: held exclusively by the thread in the low 32 bits. X clear: held shared by as
 * many holders as the low 32 bits count (0 = free). Waiters are not encoded in the word: they
 * sleep on the word's address as wait channel, and the releasing thread wakes them.
 */
final class LockWord {
    private LockWord() {}

    static final long EXCLUSIVE = 1L << 63;
    static final long LOW_MASK = 0xffff_ffffL;

    static long exclusive(int tid) { return EXCLUSIVE | (tid & LOW_MASK); }

    static boolean isExclusive(long word) { return (word & EXCLUSIVE) != 0; }

    /** Owner tid of an exclusively held word. */
    static int owner(long word) { return (int) (word & LOW_MASK); }

    /** Share count of a word that is not held exclusively. */
    static long shareCount(long word) { return word & LOW_MASK; }
}
