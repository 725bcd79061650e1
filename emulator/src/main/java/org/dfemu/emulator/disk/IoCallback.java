package org.dfemu.emulator.disk;

/**
 * Completion interrupt of a block request.
 *
 * <p>Called in interrupt context: from a {@link org.dfemu.emulator.time.VirtualClock} event, at
 * the request's completion time, on whatever host thread advanced the clock, while no kernel
 * thread runs. It may wake threads and submit further requests; it must not sleep. When it is
 * called the transfer is over and the device's counters already count the request.
 */
@FunctionalInterface
public interface IoCallback {
    /**
     * @param requestId the id {@code submit} returned for this request
     * @param status    how it ended
     */
    void ioDone(long requestId, IoStatus status);
}
