package org.dfemu.tools.image;

/**
 * One entry of the label's partition table.
 *
 * @param name        up to 16 ASCII characters; mkimage uses the type's label
 * @param firstSector first 512-byte sector of the partition
 * @param sectorCount length in sectors, at least 1
 * @param dataLength  bytes of content at the partition's start (boot, user); 0 for swap
 * @param dataCrc     CRC32C of those bytes (boot, user); 0 for swap
 */
public record Partition(String name, PartitionType type, long firstSector, long sectorCount,
                        long dataLength, int dataCrc) {
    /** Byte offset of the partition in the image file. */
    public long byteOffset() {
        return firstSector * DiskLabel.SECTOR_SIZE;
    }

    /** Length of the partition in bytes. */
    public long byteLength() {
        return sectorCount * DiskLabel.SECTOR_SIZE;
    }

    /** The first sector after the partition. */
    public long endSector() {
        return firstSector + sectorCount;
    }
}
