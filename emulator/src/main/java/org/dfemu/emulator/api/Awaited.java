package org.dfemu.emulator.api;

/**
 * What a thread waits for when it waits for something another thread holds, described by the
 * software that waits: the scheduler has no notion of what is held, only of threads. Given to
 * {@link Scheduler#blockOn} (a thread that sleeps until the holder lets go) or
 * {@link Scheduler#awaiting} (a thread that keeps yielding until it can take it).
 *
 * <p>The scheduler keeps it while the thread waits and reads it only to snapshot threads (for
 * deadlock and panic reports and core files), so every method is a pure read, allocation aside:
 * it must not block, call the scheduler or charge time. Methods that describe the present
 * ({@link #word}, {@link #shared}, {@link #owners}) are read at the moment of the snapshot.
 */
public interface Awaited {
    /** Address of what is waited for (in reports "NAME at 0xADDR"). */
    long addr();

    /** Its name in reports. */
    String name();

    /** How the waiter wants it, one lower-case word for reports ("(MODE)"). */
    String mode();

    /** Its state word now, as the waiting software encodes it (kept in core files). */
    long word();

    /** True if it is now held by several threads at once ("held shared by"), not by one ("held exclusively by"). */
    boolean shared();

    /**
     * Ids of the threads holding it now, in thread-id order; empty if it is free. An id that names
     * no thread is left out of reports.
     */
    int[] owners();
}
