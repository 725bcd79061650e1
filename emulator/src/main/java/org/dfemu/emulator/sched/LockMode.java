package org.dfemu.emulator.sched;

/** How a thread holds, or waits for, a lock word. */
public enum LockMode {
    /** A spin lock ({@code spin_lock}); the word holds the owner's thread id. */
    SPIN,
    /** An exclusive lockmgr hold ({@code LK_EXCLUSIVE}). */
    EXCLUSIVE,
    /** A shared lockmgr hold ({@code LK_SHARED}). */
    SHARED
}
