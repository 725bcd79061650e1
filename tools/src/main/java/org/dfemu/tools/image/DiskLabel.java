package org.dfemu.tools.image;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * The disk label: sector 0 of an image, little-endian throughout.
 *
 * <pre>
 *   offset size  field
 *        0    8  magic "DFEMUDSK" (ASCII)
 *        8    4  version (1)
 *       12    4  sector size (512)
 *       16    8  disk size in sectors (the file may be longer; never shorter)
 *       24    4  partition count n (0..8)
 *       28    4  reserved, 0
 *       32  448  8 partition entries of 56 bytes; entries n..7 are zero
 *      480   28  reserved, 0
 *      508    4  CRC32C of bytes 0..507
 *
 *   partition entry (56 bytes, at 32 + 56 * i)
 *        0   16  name, ASCII, NUL-padded (1..16 characters)
 *       16    4  type (1 boot, 2 swap, 3 user)
 *       20    4  reserved, 0
 *       24    8  first sector
 *       32    8  sector count
 *       40    8  content length in bytes (boot, user; 0 for swap)
 *       48    4  CRC32C of the content (boot, user; 0 for swap)
 *       52    4  reserved, 0
 * </pre>
 *
 * disk-images/README.md is the same table in prose; change both together.
 *
 * @param diskSectors the image's size in sectors
 * @param partitions  in table order
 */
public record DiskLabel(long diskSectors, List<Partition> partitions) {
    public static final int SECTOR_SIZE = 512;
    public static final int LABEL_SIZE = SECTOR_SIZE;
    public static final int VERSION = 1;
    public static final int MAX_PARTITIONS = 8;
    /** Swap pages are 4K, so a swap partition starts and ends on a 4K boundary of the file. */
    public static final int SWAP_ALIGN_SECTORS = 4096 / SECTOR_SIZE;

    static final byte[] MAGIC = "DFEMUDSK".getBytes(StandardCharsets.US_ASCII);
    static final int OFF_MAGIC = 0;
    static final int OFF_VERSION = 8;
    static final int OFF_SECTOR_SIZE = 12;
    static final int OFF_DISK_SECTORS = 16;
    static final int OFF_COUNT = 24;
    static final int OFF_ENTRIES = 32;
    static final int OFF_CRC = 508;

    static final int ENTRY_SIZE = 56;
    static final int NAME_SIZE = 16;
    static final int E_NAME = 0;
    static final int E_TYPE = 16;
    static final int E_FIRST = 24;
    static final int E_COUNT = 32;
    static final int E_DATA_LENGTH = 40;
    static final int E_DATA_CRC = 48;

    public DiskLabel {
        partitions = List.copyOf(partitions);
    }

    /** The first partition of {@code type}, if the table has one. */
    public Optional<Partition> partition(PartitionType type) {
        return partitions.stream().filter(p -> p.type() == type).findFirst();
    }

    /**
     * Encodes the label into one sector, checksum included. Does not validate: callers build
     * labels that {@link #decode} accepts (mkimage), or deliberately broken ones (tests).
     *
     * @throws IllegalArgumentException if there are more than 8 partitions or a name does not
     *         fit in 16 ASCII bytes. No requirements.
     */
    public byte[] encode() {
        if (partitions.size() > MAX_PARTITIONS) {
            throw new IllegalArgumentException("DiskLabel.encode: " + partitions.size() + " partitions, at most " + MAX_PARTITIONS);
        }
        ByteBuffer b = ByteBuffer.allocate(LABEL_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put(OFF_MAGIC, MAGIC);
        b.putInt(OFF_VERSION, VERSION);
        b.putInt(OFF_SECTOR_SIZE, SECTOR_SIZE);
        b.putLong(OFF_DISK_SECTORS, diskSectors);
        b.putInt(OFF_COUNT, partitions.size());
        for (int i = 0; i < partitions.size(); i++) {
            Partition p = partitions.get(i);
            int e = OFF_ENTRIES + i * ENTRY_SIZE;
            byte[] name = p.name().getBytes(StandardCharsets.US_ASCII);
            if (name.length == 0 || name.length > NAME_SIZE) {
                throw new IllegalArgumentException("DiskLabel.encode: partition name '" + p.name() + "' is not 1..16 bytes");
            }
            b.put(e + E_NAME, name);
            b.putInt(e + E_TYPE, p.type().code());
            b.putLong(e + E_FIRST, p.firstSector());
            b.putLong(e + E_COUNT, p.sectorCount());
            b.putLong(e + E_DATA_LENGTH, p.dataLength());
            b.putInt(e + E_DATA_CRC, p.dataCrc());
        }
        b.putInt(OFF_CRC, crc(b.array(), 0, OFF_CRC));
        return b.array();
    }

    /**
     * Decodes and validates sector 0 of an image whose file is {@code fileSize} bytes long:
     * magic, version, label checksum, sector size, the partition table (known types, one boot
     * partition, at most one swap and one user partition, unique names, inside the disk, not
     * over the label or each other, swap 4K-aligned, content length within the partition) and a
     * file long enough for the disk the label describes and a whole number of sectors long.
     * Partition contents are not read here.
     *
     * @param sector the first 512 bytes of the file
     * @throws ImageFormatException with a one-line message naming the first problem found.
     *         No requirements.
     */
    public static DiskLabel decode(byte[] sector, long fileSize) throws ImageFormatException {
        if (sector.length != LABEL_SIZE) {
            throw new IllegalArgumentException("DiskLabel.decode: expected " + LABEL_SIZE + " bytes, got " + sector.length);
        }
        ByteBuffer b = ByteBuffer.wrap(sector).order(ByteOrder.LITTLE_ENDIAN);
        if (!Arrays.equals(sector, OFF_MAGIC, OFF_MAGIC + MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new ImageFormatException("bad magic: not a dfemu disk image (sector 0 does not start with DFEMUDSK)");
        }
        int version = b.getInt(OFF_VERSION);
        if (version != VERSION) {
            throw new ImageFormatException("unsupported label version " + Integer.toUnsignedString(version)
                    + " (this dfemu reads version " + VERSION + ")");
        }
        int stored = b.getInt(OFF_CRC);
        int computed = crc(sector, 0, OFF_CRC);
        if (stored != computed) {
            throw new ImageFormatException(String.format("label checksum mismatch: stored %08x, computed %08x", stored, computed));
        }
        int sectorSize = b.getInt(OFF_SECTOR_SIZE);
        if (sectorSize != SECTOR_SIZE) {
            throw new ImageFormatException("unsupported sector size " + Integer.toUnsignedString(sectorSize) + " (expected 512)");
        }
        long diskSectors = b.getLong(OFF_DISK_SECTORS);
        if (diskSectors < 1 || diskSectors > Long.MAX_VALUE / SECTOR_SIZE) {
            throw new ImageFormatException("label disk size " + Long.toUnsignedString(diskSectors) + " sectors is impossible");
        }
        int count = b.getInt(OFF_COUNT);
        if (count < 0 || count > MAX_PARTITIONS) {
            throw new ImageFormatException("label has " + Integer.toUnsignedString(count) + " partitions, at most " + MAX_PARTITIONS);
        }
        List<Partition> partitions = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            partitions.add(decodeEntry(b, i, diskSectors));
        }
        checkTable(partitions);
        long diskBytes = diskSectors * SECTOR_SIZE;
        if (fileSize < diskBytes) {
            throw new ImageFormatException("truncated image: file is " + fileSize + " bytes but the label describes a disk of "
                    + diskBytes + " bytes");
        }
        if (fileSize % SECTOR_SIZE != 0) {
            // The block device serves whole sectors of the file and refuses any other length; say
            // so here, with the other format checks, rather than after the machine is built.
            throw new ImageFormatException("image size " + fileSize + " bytes is not a whole number of "
                    + SECTOR_SIZE + "-byte sectors");
        }
        return new DiskLabel(diskSectors, partitions);
    }

    private static Partition decodeEntry(ByteBuffer b, int i, long diskSectors) throws ImageFormatException {
        int e = OFF_ENTRIES + i * ENTRY_SIZE;
        String name = decodeName(b, e + E_NAME, i);
        String what = "partition " + name + ": ";
        int code = b.getInt(e + E_TYPE);
        PartitionType type = PartitionType.ofCode(code)
                .orElseThrow(() -> new ImageFormatException(what + "unknown type " + Integer.toUnsignedString(code)));
        long first = b.getLong(e + E_FIRST);
        long count = b.getLong(e + E_COUNT);
        long dataLength = b.getLong(e + E_DATA_LENGTH);
        int dataCrc = b.getInt(e + E_DATA_CRC);
        if (count <= 0) {
            throw new ImageFormatException(what + "sector count " + Long.toUnsignedString(count) + " is not positive");
        }
        if (first < 1) {
            throw new ImageFormatException(what + "starts at sector " + Long.toUnsignedString(first) + ", over the label");
        }
        if (first >= diskSectors || count > diskSectors - first) {
            throw new ImageFormatException(what + "sectors " + Long.toUnsignedString(first) + "+" + Long.toUnsignedString(count)
                    + " run past the disk end (" + diskSectors + " sectors)");
        }
        if (dataLength < 0 || dataLength > count * SECTOR_SIZE) {
            throw new ImageFormatException(what + "content length " + Long.toUnsignedString(dataLength)
                    + " bytes does not fit in its " + count * SECTOR_SIZE + " bytes");
        }
        if (type == PartitionType.SWAP) {
            if (dataLength != 0 || dataCrc != 0) {
                throw new ImageFormatException(what + "a swap partition has no content length or checksum");
            }
            if (first % SWAP_ALIGN_SECTORS != 0 || count % SWAP_ALIGN_SECTORS != 0) {
                throw new ImageFormatException(what + "swap partition is not 4K-aligned (first sector " + first
                        + ", " + count + " sectors)");
            }
        }
        return new Partition(name, type, first, count, dataLength, dataCrc);
    }

    private static String decodeName(ByteBuffer b, int at, int index) throws ImageFormatException {
        int len = 0;
        while (len < NAME_SIZE && b.get(at + len) != 0) len++;
        for (int k = 0; k < NAME_SIZE; k++) {
            byte c = b.get(at + k);
            boolean ok = k < len ? (c > 0x20 && c < 0x7f) : c == 0;
            if (!ok) {
                throw new ImageFormatException("partition entry " + index + ": name is not NUL-padded printable ASCII");
            }
        }
        if (len == 0) throw new ImageFormatException("partition entry " + index + ": empty name");
        byte[] name = new byte[len];
        b.get(at, name);
        return new String(name, StandardCharsets.US_ASCII);
    }

    private static void checkTable(List<Partition> partitions) throws ImageFormatException {
        Set<String> names = new HashSet<>();
        Map<PartitionType, Integer> perType = new EnumMap<>(PartitionType.class);
        for (Partition p : partitions) {
            if (!names.add(p.name())) {
                throw new ImageFormatException("partition name " + p.name() + " appears twice");
            }
            if (perType.merge(p.type(), 1, Integer::sum) > 1) {
                throw new ImageFormatException("more than one " + p.type().label() + " partition");
            }
        }
        if (!perType.containsKey(PartitionType.BOOT)) {
            throw new ImageFormatException("no boot partition");
        }
        List<Partition> byStart = new ArrayList<>(partitions);
        byStart.sort(Comparator.comparingLong(Partition::firstSector));
        for (int i = 1; i < byStart.size(); i++) {
            Partition prev = byStart.get(i - 1);
            Partition next = byStart.get(i);
            if (next.firstSector() < prev.endSector()) {
                throw new ImageFormatException("partitions " + prev.name() + " (sectors " + prev.firstSector() + ".."
                        + (prev.endSector() - 1) + ") and " + next.name() + " (sectors " + next.firstSector() + ".."
                        + (next.endSector() - 1) + ") overlap");
            }
        }
    }

    /** CRC32C of {@code len} bytes of {@code data} from {@code off}. No requirements. */
    static int crc(byte[] data, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(data, off, len);
        return (int) c.getValue();
    }
}
