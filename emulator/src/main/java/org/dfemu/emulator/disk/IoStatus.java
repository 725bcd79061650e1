package org.dfemu.emulator.disk;

/**
 * How a block request ended, as the kernel sees it: an errno value for {@code bp->b_error}.
 * The numbers are the BSD (and Linux) ones; {@link #errno()} is also the {@code status} argument
 * of the {@code io_done} trace event.
 */
public enum IoStatus {
    /** The request did what it asked. */
    OK(0),
    /**
     * I/O error: the request was malformed (sector range outside the device, negative, empty, DMA
     * length not equal to the sector count times 512, DMA buffer outside RAM or, for a read, a
     * read-only segment) or the host file
     * failed. Nothing outside the request was touched; a malformed request touched nothing at all.
     */
    EIO(5),
    /** A write or discard to a sector range that is not writable. Nothing was touched. */
    EROFS(30);

    private final int errno;

    IoStatus(int errno) { this.errno = errno; }

    /** The errno value (0 for OK). */
    public int errno() { return errno; }
}
