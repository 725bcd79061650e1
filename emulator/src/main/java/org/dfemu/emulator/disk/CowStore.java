package org.dfemu.emulator.disk;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;

import static org.dfemu.emulator.disk.BlockDevice.SECTOR_SHIFT;

/**
 * A copy-on-write disk ({@code -R IMAGE}): the image file is opened read-only at the OS level and
 * never modified; writes go to an overlay.
 *
 * <p>The overlay is a sparse host file as long as the image, at the same offsets (sector
 * {@code s} at byte {@code s * 512} in both), created in a temporary directory and unlinked at
 * once, so it vanishes with the process whatever happens. A presence bitmap with one bit per
 * 512-byte sector says which sectors the overlay holds:
 * <pre>
 *   bit clear: the sector reads from the image (never written since boot)
 *   bit set:   the sector reads from the overlay (written, or discarded: then a hole, reading 0)
 * </pre>
 * Sector granularity needs no read-modify-write of partly written chunks, at a cost of one bit
 * per sector, and only over the span of the writable ranges (the bitmap starts at the first
 * writable sector), since no other sector can ever be present.
 *
 * <p>Read: split the range into runs of present and absent sectors, each read straight from its
 * file into the destination. Write: write the overlay, then set the bits (a failed write leaves
 * the old contents visible). Discard: punch the overlay and set the bits, so a discarded sector
 * reads as zeroes and never falls back to the image's old data. Flush: fsync the overlay.
 */
final class CowStore implements SectorStore {
    private final HostFile image;
    private final HostFile overlay;   // null when nothing is writable
    private final long sectors;
    private final long bitmapBase;    // first sector the bitmap covers
    private final long bitmapLength;  // sectors the bitmap covers
    private final BitSet present;

    /**
     * @param overlay the overlay file, already sized to the image, or null if no sector is
     *        writable; {@code [bitmapBase, bitmapBase + bitmapLength)} must contain every
     *        writable sector and {@code bitmapLength} must fit an int
     */
    CowStore(HostFile image, HostFile overlay, long sectors, long bitmapBase, long bitmapLength) {
        if (bitmapLength > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("copy-on-write span of " + bitmapLength + " sectors is over 1 TiB");
        }
        this.image = image;
        this.overlay = overlay;
        this.sectors = sectors;
        this.bitmapBase = bitmapBase;
        this.bitmapLength = bitmapLength;
        this.present = new BitSet((int) bitmapLength);
    }

    @Override
    public long sectorCount() { return sectors; }

    @Override
    public boolean writable() { return overlay != null; }

    @Override
    public void read(long sector, MemorySegment dst) throws IOException {
        long end = sector + (dst.byteSize() >>> SECTOR_SHIFT);
        long s = sector;
        while (s < end) {
            boolean inOverlay = isPresent(s);
            long runEnd = runEnd(s, end, inOverlay);
            MemorySegment part = dst.asSlice((s - sector) << SECTOR_SHIFT, (runEnd - s) << SECTOR_SHIFT);
            (inOverlay ? overlay : image).read(s << SECTOR_SHIFT, part);
            s = runEnd;
        }
    }

    @Override
    public void write(long sector, MemorySegment src) throws IOException {
        long count = src.byteSize() >>> SECTOR_SHIFT;
        overlay().write(sector << SECTOR_SHIFT, src);
        markPresent(sector, count);
    }

    @Override
    public boolean discard(long sector, long count) throws IOException {
        boolean punched = overlay().punchHole(sector << SECTOR_SHIFT, count << SECTOR_SHIFT);
        markPresent(sector, count);
        return punched;
    }

    @Override
    public boolean flush() throws IOException {
        if (overlay == null) return false;
        overlay.fsync();
        return true;
    }

    /** Sectors the overlay holds (written or discarded since open). */
    long presentSectors() { return present.cardinality(); }

    @Override
    public void close() throws IOException {
        try {
            image.close();
        } finally {
            if (overlay != null) overlay.close();
        }
    }

    private boolean isPresent(long sector) {
        long i = sector - bitmapBase;
        return i >= 0 && i < bitmapLength && present.get((int) i);
    }

    /** End (exclusive, at most {@code end}) of the run of sectors from {@code s} sharing {@code inOverlay}. */
    private long runEnd(long s, long end, boolean inOverlay) {
        long i = s - bitmapBase;
        if (inOverlay) {
            return Math.min(end, bitmapBase + present.nextClearBit((int) i));
        }
        if (i >= bitmapLength) return end;
        if (i < 0) {
            // Below the bitmap nothing is present; the run may continue into it.
            long first = present.nextSetBit(0);
            return first < 0 ? end : Math.min(end, bitmapBase + first);
        }
        int next = present.nextSetBit((int) i);
        return next < 0 ? end : Math.min(end, bitmapBase + next);
    }

    private void markPresent(long sector, long count) {
        present.set((int) (sector - bitmapBase), (int) (sector - bitmapBase + count));
    }

    private HostFile overlay() throws IOException {
        if (overlay == null) throw new IOException(image.path() + ": copy-on-write disk has no writable range");
        return overlay;
    }
}
