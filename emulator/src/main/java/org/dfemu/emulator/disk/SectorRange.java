package org.dfemu.emulator.disk;

/**
 * {@code count} consecutive 512-byte sectors from {@code first}.
 *
 * @param first first sector, at least 0
 * @param count number of sectors, at least 1
 */
public record SectorRange(long first, long count) {
    public SectorRange {
        if (first < 0 || count < 1 || first > Long.MAX_VALUE - count) {
            throw new IllegalArgumentException("bad sector range: first " + first + ", count " + count);
        }
    }

    /** One past the last sector. */
    public long end() { return first + count; }

    /** True if {@code [sector, sector + n)} lies wholly inside this range ({@code n >= 0}). */
    public boolean contains(long sector, long n) {
        return sector >= first && sector <= end() - n;
    }

    /** True if this range and {@code [sector, sector + n)} share a sector. */
    public boolean overlaps(long sector, long n) {
        return n > 0 && sector < end() && first < sector + n;
    }
}
