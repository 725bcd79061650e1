package org.dfemu.emulator.disk;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Where a disk's sectors live: the synchronous, untimed half of the device. The {@link Disk}
 * decides when a request runs and whether it is allowed; a store only moves bytes, and is called
 * with ranges the disk has already checked (inside the device, writes only in writable ranges).
 *
 * <p>Not thread safe; one host thread at a time.
 */
sealed interface SectorStore extends AutoCloseable permits DirectStore, CowStore {
    /** Size of the device in 512-byte sectors. */
    long sectorCount();

    /** True if some sector can be written (the store holds a writable file). */
    boolean writable();

    /** Fills {@code dst} (a multiple of 512 bytes) from sector {@code sector} on. */
    void read(long sector, MemorySegment dst) throws IOException;

    /** Stores {@code src} (a multiple of 512 bytes) at sector {@code sector} on. */
    void write(long sector, MemorySegment src) throws IOException;

    /**
     * Makes {@code count} sectors from {@code sector} read as zeroes, releasing their space.
     *
     * @return true if space was released, false if zeroes had to be written instead
     */
    boolean discard(long sector, long count) throws IOException;

    /**
     * Makes every completed write durable.
     *
     * @return true if a host {@code fsync} was issued, false if nothing is writable
     */
    boolean flush() throws IOException;

    @Override
    void close() throws IOException;
}
