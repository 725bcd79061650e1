package org.dfemu.kernel.harness.witness;

/** (dfemu only) How a thread holds, or waits for, a lock: the modes {@link Witness} records. */
public enum LockMode {
    /** A spin lock ({@code spin_lock}). */
    SPIN,
    /** An exclusive lockmgr hold ({@code LK_EXCLUSIVE}). */
    EXCLUSIVE,
    /** A shared lockmgr hold ({@code LK_SHARED}). */
    SHARED;

    /** The name reports and core files give a spin lock, which has none of its own (struct spinlock has no wmesg). */
    public static final String SPIN_LOCK_NAME = "spin lock";

    /** The mode as reports write it: {@code "spin"}, {@code "exclusive"}, {@code "shared"}. */
    public String word() {
        return switch (this) {
            case SPIN -> "spin";
            case EXCLUSIVE -> "exclusive";
            case SHARED -> "shared";
        };
    }
}
