package org.dfemu.tools.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.dfemu.emulator.memory.PhysmemSize;
import org.dfemu.kernel.harness.workload.ProgramCodec;
import org.dfemu.kernel.harness.workload.ProgramFormatException;
import org.dfemu.kernel.harness.workload.Workload;

/**
 * A validated disk image: its label, its boot settings and its workload (the user partition,
 * decoded), read
 * once through a read-only channel that is closed before {@link #open} returns. The swap
 * partition is not read; the block device that serves it opens the file itself, at
 * {@code partition(SWAP).byteOffset()} for {@code byteLength()} bytes.
 */
public final class DiskImage {
    /** Largest boot or user content read into the heap; a damaged length fails here, not in an OOM. */
    static final long CONTENT_MAX = 64L << 20;

    private final Path path;
    private final DiskLabel label;
    private final Map<String, String> bootSettings;
    private final byte[] userData;
    private final Workload workload;

    private DiskImage(Path path, DiskLabel label, Map<String, String> bootSettings, byte[] userData, Workload workload) {
        this.path = path;
        this.label = label;
        this.bootSettings = bootSettings;
        this.userData = userData;
        this.workload = workload;
    }

    /**
     * Opens {@code path} read-only and validates it: the label (see {@link DiskLabel#decode}),
     * the boot and user partitions' content checksums, every boot setting against
     * {@link BootSettings}, and the user partition's programs (see {@link ProgramCodec#decode}).
     * Reads the label and the boot and user contents only.
     *
     * @throws ImageFormatException with a one-line message if the file is not a valid image
     *         (too short for a label, bad magic, version or checksum, a partition out of bounds
     *         or overlapping, truncated, a bad boot setting, or bad program data, the last as
     *         {@code partition user: PROBLEM}).
     * @throws IOException if the file cannot be read. May block on file I/O.
     */
    public static DiskImage open(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            if (fileSize < DiskLabel.LABEL_SIZE) {
                throw new ImageFormatException("truncated image: file is " + fileSize
                        + " bytes, shorter than the " + DiskLabel.LABEL_SIZE + "-byte label");
            }
            DiskLabel label = DiskLabel.decode(readFully(ch, 0, DiskLabel.LABEL_SIZE), fileSize);
            Partition boot = label.partition(PartitionType.BOOT).orElseThrow();
            Map<String, String> settings = LoaderConf.parse(content(ch, boot));
            Optional<Partition> user = label.partition(PartitionType.USER);
            byte[] userData = user.isPresent() ? content(ch, user.get()) : new byte[0];
            Workload workload = user.isPresent() ? workload(user.get(), userData) : Workload.EMPTY;
            return new DiskImage(path, label, Collections.unmodifiableMap(settings), userData, workload);
        }
    }

    private static Workload workload(Partition user, byte[] data) throws ImageFormatException {
        try {
            return ProgramCodec.decode(data);
        } catch (ProgramFormatException e) {
            throw new ImageFormatException("partition " + user.name() + ": " + e.getMessage());
        }
    }

    /** Reads a checksummed partition's content and checks its CRC32C against the label's. */
    private static byte[] content(FileChannel ch, Partition p) throws IOException {
        if (p.dataLength() > CONTENT_MAX) {
            throw new ImageFormatException("partition " + p.name() + ": content of " + p.dataLength()
                    + " bytes is larger than the " + PhysmemSize.format(CONTENT_MAX) + " a reader accepts");
        }
        byte[] data = readFully(ch, p.byteOffset(), (int) p.dataLength());
        int computed = DiskLabel.crc(data, 0, data.length);
        if (computed != p.dataCrc()) {
            throw new ImageFormatException(String.format("partition %s: content checksum mismatch: stored %08x, computed %08x",
                    p.name(), p.dataCrc(), computed));
        }
        return data;
    }

    private static byte[] readFully(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        while (buf.hasRemaining()) {
            int n = ch.read(buf, position + buf.position());
            if (n < 0) {
                // The label check guarantees the file covers every partition, so this is a file
                // that shrank while we read it.
                throw new ImageFormatException("truncated image: end of file at byte " + (position + buf.position()));
            }
        }
        return buf.array();
    }

    /** The file this image was read from. */
    public Path path() { return path; }

    /** The validated label. */
    public DiskLabel label() { return label; }

    /** The partition table, in label order. */
    public List<Partition> partitions() { return label.partitions(); }

    /** The partition of {@code type}, if the image has one (it always has a boot partition). */
    public Optional<Partition> partition(PartitionType type) { return label.partition(type); }

    /** The boot partition's settings in file order, each known and valid; unmodifiable. */
    public Map<String, String> bootSettings() { return bootSettings; }

    /** A copy of the user partition's content (empty if there is no user partition). */
    public byte[] userData() { return userData.clone(); }

    /** The programs of the user partition, decoded and valid; empty if there is no user partition. */
    public Workload workload() { return workload; }
}
