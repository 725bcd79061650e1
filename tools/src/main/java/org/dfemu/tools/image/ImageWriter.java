package org.dfemu.tools.image;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds an image file from an {@link ImageSpec}.
 *
 * <p>Layout: the label in sector 0, then boot, user and swap in that order, each starting on a
 * 4K boundary (sector 8 for the first), so swap pages line up with the host file system's blocks
 * and a discard can punch whole blocks out of the file. Only the label and the boot and user
 * contents are written; the file is extended to its full length with {@code setLength}, which
 * leaves the rest (all of swap) a hole, so a 256M swap partition costs no disk space until the
 * kernel pages to it.
 *
 * <p>The image is written to a temporary file in the target's directory, forced to disk and
 * renamed over the target, so a failure at any point leaves either the old file or none.
 */
public final class ImageWriter {
    private ImageWriter() {}

    /** Partitions are laid out in this order; swap last so the file's tail is the sparse part. */
    private static final List<PartitionType> ORDER = List.of(PartitionType.BOOT, PartitionType.USER, PartitionType.SWAP);
    private static final long ALIGN_SECTORS = 4096 / DiskLabel.SECTOR_SIZE;

    /**
     * Computes the label for {@code spec} without writing anything. No requirements.
     */
    public static DiskLabel layout(ImageSpec spec) {
        List<Partition> partitions = new ArrayList<>();
        byte[] boot = spec.bootContent();
        byte[] user = spec.userContent();
        long next = ALIGN_SECTORS;
        for (PartitionType type : ORDER) {
            Long bytes = spec.partitionBytes().get(type);
            if (bytes == null) continue;
            byte[] content = switch (type) {
                case BOOT -> boot;
                case USER -> user;
                case SWAP -> null;
            };
            long sectors = bytes / DiskLabel.SECTOR_SIZE;
            long dataLength = content == null ? 0 : content.length;
            int dataCrc = content == null ? 0 : DiskLabel.crc(content, 0, content.length);
            partitions.add(new Partition(type.label(), type, next, sectors, dataLength, dataCrc));
            next += (sectors + ALIGN_SECTORS - 1) / ALIGN_SECTORS * ALIGN_SECTORS;
        }
        return new DiskLabel(next, partitions);
    }

    /**
     * Writes the image for {@code spec} to {@code target} and returns its label.
     *
     * @param force replace {@code target} if it exists
     * @throws FileAlreadyExistsException if {@code target} exists and {@code force} is false;
     *         nothing is written then.
     * @throws NoSuchFileException if {@code target}'s directory does not exist.
     * @throws IOException if writing fails; {@code target} is then untouched and the temporary
     *         file removed. May block on file I/O (including an fsync).
     */
    public static DiskLabel write(ImageSpec spec, Path target, boolean force) throws IOException {
        if (!force && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(target.toString(), null, "exists (use --force to replace it)");
        }
        DiskLabel label = layout(spec);
        Path dir = target.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no such directory");
        }
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        boolean moved = false;
        try {
            fill(tmp, label, spec);
            // createTempFile makes the file owner-only; an image is an ordinary data file.
            PosixFileAttributeView posix = Files.getFileAttributeView(tmp, PosixFileAttributeView.class);
            if (posix != null) posix.setPermissions(PosixFilePermissions.fromString("rw-r--r--"));
            if (force) {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } else {
                // Without REPLACE_EXISTING the move fails if the target appeared meanwhile.
                Files.move(tmp, target);
            }
            moved = true;
        } finally {
            if (!moved) Files.deleteIfExists(tmp);
        }
        return label;
    }

    private static void fill(Path file, DiskLabel label, ImageSpec spec) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            // ftruncate up to the full size: the file reads as zeros and occupies no blocks.
            raf.setLength(label.diskSectors() * DiskLabel.SECTOR_SIZE);
            FileChannel ch = raf.getChannel();
            writeFully(ch, 0, label.encode());
            for (Partition p : label.partitions()) {
                byte[] content = switch (p.type()) {
                    case BOOT -> spec.bootContent();
                    case USER -> spec.userContent();
                    case SWAP -> new byte[0];
                };
                writeFully(ch, p.byteOffset(), content);
            }
            ch.force(true);
        }
    }

    private static void writeFully(FileChannel ch, long position, byte[] data) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(data);
        while (buf.hasRemaining()) {
            ch.write(buf, position + buf.position());
        }
    }
}
