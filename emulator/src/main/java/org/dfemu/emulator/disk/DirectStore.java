package org.dfemu.emulator.disk;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

import static org.dfemu.emulator.disk.BlockDevice.SECTOR_SHIFT;

/**
 * The image file itself ({@code -r IMAGE}, or any image opened without copy-on-write): sector
 * {@code s} is at byte {@code s * 512} of the file. Opened read/write at the OS level only when
 * some sector range is writable, read-only otherwise.
 */
final class DirectStore implements SectorStore {
    private final HostFile image;
    private final long sectors;

    DirectStore(HostFile image, long sectors) {
        this.image = image;
        this.sectors = sectors;
    }

    @Override
    public long sectorCount() { return sectors; }

    @Override
    public boolean writable() { return image.writable(); }

    @Override
    public void read(long sector, MemorySegment dst) throws IOException {
        image.read(sector << SECTOR_SHIFT, dst);
    }

    @Override
    public void write(long sector, MemorySegment src) throws IOException {
        image.write(sector << SECTOR_SHIFT, src);
    }

    @Override
    public boolean discard(long sector, long count) throws IOException {
        return image.punchHole(sector << SECTOR_SHIFT, count << SECTOR_SHIFT);
    }

    @Override
    public boolean flush() throws IOException {
        if (!image.writable()) return false;
        image.fsync();
        return true;
    }

    @Override
    public void close() throws IOException {
        image.close();
    }
}
