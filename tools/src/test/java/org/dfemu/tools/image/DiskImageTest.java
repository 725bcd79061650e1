package org.dfemu.tools.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.dfemu.kernel.harness.workload.ProgramCodec;
import org.dfemu.kernel.harness.workload.Workload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskImageTest {
    private static final String SMALL = """
            setting hw.physmem=32M
            setting hw.ncpu=2
            setting vm.swapmeta_alloc=kmalloc_obj_reserve
            partition swap 8M
            program p copies 3
              map r0 64K rw
              write r0
              verify r0
            end
            """;

    @TempDir
    Path dir;

    private Path build(String specText) throws Exception {
        Path image = dir.resolve("t.img");
        ImageWriter.write(SpecParser.parse("t.spec", specText.getBytes(StandardCharsets.UTF_8)), image, false);
        return image;
    }

    private static String refused(Path image) {
        return assertThrows(ImageFormatException.class, () -> DiskImage.open(image)).getMessage();
    }

    @Test
    void specToImageToReaderRoundTrip() throws Exception {
        ImageSpec spec = SpecParser.parse("t.spec", SMALL.getBytes(StandardCharsets.UTF_8));
        Path image = build(SMALL);
        DiskImage img = DiskImage.open(image);

        assertEquals(List.of("hw.physmem", "hw.ncpu", "vm.swapmeta_alloc"), List.copyOf(img.bootSettings().keySet()));
        assertEquals(Map.of("hw.physmem", "32M", "hw.ncpu", "2", "vm.swapmeta_alloc", "kmalloc_obj_reserve"),
                img.bootSettings());
        List<Partition> parts = img.partitions();
        assertEquals(List.of("boot", "user", "swap"), parts.stream().map(Partition::name).toList());
        assertEquals(List.of(PartitionType.BOOT, PartitionType.USER, PartitionType.SWAP),
                parts.stream().map(Partition::type).toList());
        assertEquals(List.of(8L, 16L, 24L), parts.stream().map(Partition::firstSector).toList());
        assertEquals(List.of(8L, 8L, 16384L), parts.stream().map(Partition::sectorCount).toList());
        Partition swap = img.partition(PartitionType.SWAP).orElseThrow();
        assertEquals(24 * 512L, swap.byteOffset());
        assertEquals(8L << 20, swap.byteLength());
        assertEquals(0, swap.dataLength());
        assertArrayEquals(spec.userContent(), img.userData());
        assertEquals(spec.workload(), img.workload());
        assertEquals("p", img.workload().programs().get(0).name());
        assertEquals(3, img.workload().programs().get(0).copies());
        assertEquals(24 + 16384L, img.label().diskSectors());
        assertEquals((24 + 16384L) * 512, Files.size(image));

        MachineSettings m = MachineSettings.resolve(img.bootSettings(), Map.of("hw.physmem", "48M"));
        assertEquals(48L << 20, m.size("hw.physmem"));
        assertEquals(2, m.integer("hw.ncpu"));
        assertEquals("kmalloc_obj_reserve", m.choice("vm.swapmeta_alloc"));
        assertEquals(3, m.integer("kern.kmalloc_obj_reserve_slabs"));
    }

    @Test
    void imageWithoutSwapOrUser() throws Exception {
        DiskImage img = DiskImage.open(build("setting kern.hz=1000\n"));
        assertEquals(List.of(PartitionType.BOOT), img.partitions().stream().map(Partition::type).toList());
        assertFalse(img.partition(PartitionType.SWAP).isPresent());
        assertEquals(0, img.userData().length);
        assertEquals(Workload.EMPTY, img.workload());
    }

    @Test
    void declaredUserPartitionWithoutProgramsHoldsAnEmptyWorkload() throws Exception {
        DiskImage img = DiskImage.open(build("partition user 8K\n"));
        assertEquals(Workload.EMPTY, img.workload());
        assertEquals(ProgramCodec.HEADER_SIZE, img.userData().length);
    }

    @Test
    void badProgramDataIsRefusedWithTheDecodersMessage() throws Exception {
        Path image = build(SMALL);
        byte[] user = DiskImage.open(image).userData();
        byte[] badOpcode = user.clone();
        badOpcode[badOpcode.length - 4] = 0x3f;     // the opcode of 'write r0'
        rewriteUser(image, badOpcode);
        assertEquals("partition user: program 'p' instruction 1: unknown opcode 0x3f at byte " + (user.length - 4),
                refused(image));

        rewriteUser(image, Arrays.copyOf(user, user.length - 1));
        assertEquals("partition user: truncated program data: ends at byte " + (user.length - 1)
                + ", inside program 'p' instruction 2", refused(image));

        byte[] unmapped = user.clone();
        unmapped[unmapped.length - 3] = 5;          // 'write r0' becomes 'write r5'
        rewriteUser(image, unmapped);
        assertEquals("partition user: program 'p' instruction 1 (write r5): r5 is not mapped", refused(image));

        byte[] magic = user.clone();
        magic[7] = 'X';
        rewriteUser(image, magic);
        assertEquals("partition user: bad magic: not dfemu program data (does not start with DFEMUPRG)", refused(image));

        byte[] version = user.clone();
        version[8] = 9;
        rewriteUser(image, version);
        assertEquals("partition user: unsupported program format version 9 (this dfemu reads versions 1 and 2)", refused(image));
    }

    @Test
    void defaultImageIsSparse() throws Exception {
        Path image = dir.resolve("default.img");
        ImageWriter.write(SpecParser.parse(Path.of("..", "disk-images", "default.spec")), image, false);
        long size = Files.size(image);
        assertTrue(size > 256L << 20, "size " + size);
        Process stat = new ProcessBuilder("stat", "-c", "%b %B", image.toString()).redirectErrorStream(true).start();
        String[] out = new String(stat.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim().split(" ");
        assertEquals(0, stat.waitFor());
        long allocated = Long.parseLong(out[0]) * Long.parseLong(out[1]);
        assertTrue(allocated < 1L << 20, "allocated " + allocated + " bytes of " + size);
        DiskImage img = DiskImage.open(image);
        assertEquals(Map.of("hw.physmem", "64M", "hw.ncpu", "2", "vm.swapmeta_alloc", "zalloc"), img.bootSettings());
        assertEquals(SpecParser.parse(Path.of("..", "disk-images", "default.spec")).workload(), img.workload());
        assertEquals(2, img.workload().processesAtBoot());
    }

    @Test
    void badMagic() throws Exception {
        Path image = build(SMALL);
        poke(image, 0, "XFEMUDSK".getBytes(StandardCharsets.US_ASCII));
        assertEquals("bad magic: not a dfemu disk image (sector 0 does not start with DFEMUDSK)", refused(image));
    }

    @Test
    void badVersion() throws Exception {
        Path image = build(SMALL);
        poke(image, DiskLabel.OFF_VERSION, le32(2));
        resealLabel(image);
        assertEquals("unsupported label version 2 (this dfemu reads version 1)", refused(image));
    }

    @Test
    void badLabelChecksum() throws Exception {
        Path image = build(SMALL);
        poke(image, 480, new byte[] {1});
        assertTrue(refused(image).startsWith("label checksum mismatch: stored "), refused(image));
    }

    @Test
    void badBootContentChecksum() throws Exception {
        Path image = build(SMALL);
        poke(image, 8 * 512, "H".getBytes(StandardCharsets.US_ASCII));
        assertTrue(refused(image).startsWith("partition boot: content checksum mismatch: stored "), refused(image));
    }

    @Test
    void badUserContentChecksum() throws Exception {
        Path image = build(SMALL);
        poke(image, 16 * 512, "P".getBytes(StandardCharsets.US_ASCII));
        assertTrue(refused(image).startsWith("partition user: content checksum mismatch: stored "), refused(image));
    }

    @Test
    void swapContentIsNotChecksummed() throws Exception {
        Path image = build(SMALL);
        poke(image, 24 * 512 + 4096, new byte[] {1, 2, 3});
        DiskImage.open(image);
    }

    @Test
    void partitionPastTheDiskEnd() throws Exception {
        Path image = build(SMALL);
        relabel(image, l -> replace(l, PartitionType.SWAP, p -> withSectors(p, p.firstSector(), p.sectorCount() + 8)));
        assertEquals("partition swap: sectors 24+16392 run past the disk end (16408 sectors)", refused(image));
    }

    @Test
    void overlappingPartitions() throws Exception {
        Path image = build(SMALL);
        relabel(image, l -> replace(l, PartitionType.USER, p -> withSectors(p, 12, p.sectorCount())));
        assertEquals("partitions boot (sectors 8..15) and user (sectors 12..19) overlap", refused(image));
    }

    @Test
    void contentLongerThanItsPartition() throws Exception {
        Path image = build(SMALL);
        relabel(image, l -> replace(l, PartitionType.BOOT, p -> new Partition(p.name(), p.type(), p.firstSector(),
                p.sectorCount(), 4097, p.dataCrc())));
        assertEquals("partition boot: content length 4097 bytes does not fit in its 4096 bytes", refused(image));
    }

    @Test
    void hugeContentLengthIsRefusedBeforeReading() throws Exception {
        Path image = build("partition user 128M\n");
        relabel(image, l -> replace(l, PartitionType.USER, p -> new Partition(p.name(), p.type(), p.firstSector(),
                p.sectorCount(), 65L << 20, p.dataCrc())));
        assertEquals("partition user: content of 68157440 bytes is larger than the 64M a reader accepts", refused(image));
    }

    @Test
    void partitionOverTheLabel() throws Exception {
        Path image = build(SMALL);
        relabel(image, l -> replace(l, PartitionType.BOOT, p -> withSectors(p, 0, p.sectorCount())));
        assertEquals("partition boot: starts at sector 0, over the label", refused(image));
    }

    @Test
    void misalignedSwap() throws Exception {
        Path image = build(SMALL);
        relabel(image, l -> replace(l, PartitionType.SWAP, p -> withSectors(p, 25, p.sectorCount() - 8)));
        assertEquals("partition swap: swap partition is not 4K-aligned (first sector 25, 16376 sectors)", refused(image));
    }

    @Test
    void missingBootPartition() throws Exception {
        Path image = build(SMALL);
        relabel(image, l -> new DiskLabel(l.diskSectors(),
                l.partitions().stream().filter(p -> p.type() != PartitionType.BOOT).toList()));
        assertEquals("no boot partition", refused(image));
    }

    @Test
    void fileShorterThanTheLabel() throws Exception {
        Path image = dir.resolve("short.img");
        Files.write(image, new byte[100]);
        assertEquals("truncated image: file is 100 bytes, shorter than the 512-byte label", refused(image));
    }

    @Test
    void fileShorterThanThePartitionsClaim() throws Exception {
        Path image = build(SMALL);
        try (RandomAccessFile raf = new RandomAccessFile(image.toFile(), "rw")) {
            raf.setLength(1L << 20);
        }
        assertEquals("truncated image: file is 1048576 bytes but the label describes a disk of 8400896 bytes",
                refused(image));
    }

    /**
     * Found by InputFuzzTest (seed 1, case 43): the reader took a file with a partial sector past
     * the disk end, which the block device then refused after the plan was made. Whole extra
     * sectors are still ignored.
     */
    @Test
    void aPartialSectorPastTheDiskEndIsRefusedByTheReaderWholeSectorsAreIgnored() throws Exception {
        Path image = build(SMALL);
        long length = Files.size(image);
        try (RandomAccessFile raf = new RandomAccessFile(image.toFile(), "rw")) {
            raf.setLength(length + 1);
        }
        assertEquals("image size " + (length + 1) + " bytes is not a whole number of 512-byte sectors", refused(image));
        try (RandomAccessFile raf = new RandomAccessFile(image.toFile(), "rw")) {
            raf.setLength(length + 4096);
        }
        assertEquals(SpecParser.parse("t.spec", SMALL.getBytes(StandardCharsets.UTF_8)).workload(),
                DiskImage.open(image).workload());
    }

    @Test
    void unknownSettingInTheImage() throws Exception {
        Path image = build(SMALL);
        rewriteBoot(image, "hw.physmem=\"32M\"\nhw.ncpus=\"2\"\n");
        assertEquals("boot partition line 2: unknown setting 'hw.ncpus'", refused(image));
    }

    @Test
    void malformedValueInTheImage() throws Exception {
        Path image = build(SMALL);
        rewriteBoot(image, "# hand-edited\nhw.ncpu=\"two\"\n");
        assertEquals("boot partition line 2: hw.ncpu: malformed integer 'two'", refused(image));
    }

    @Test
    void malformedBootLine() throws Exception {
        Path image = build(SMALL);
        rewriteBoot(image, "hw.ncpu=2\n");
        assertEquals("boot partition line 1: expected name=\"value\", found 'hw.ncpu=2'", refused(image));
    }

    @Test
    void settingTwiceInTheImage() throws Exception {
        Path image = build(SMALL);
        rewriteBoot(image, "hw.ncpu=\"2\"\nhw.ncpu=\"4\"\n");
        assertEquals("boot partition line 2: hw.ncpu is set twice", refused(image));
    }

    @Test
    void handWrittenBootWithCommentsIsAccepted() throws Exception {
        Path image = build(SMALL);
        rewriteBoot(image, "# tuned\n\nkern.hz=\"1000\"\nkern.invariants=\"0\"\n");
        assertEquals(Map.of("kern.hz", "1000", "kern.invariants", "0"), DiskImage.open(image).bootSettings());
    }

    // --- helpers that corrupt an image on purpose ---

    private static void poke(Path image, long offset, byte[] bytes) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(image.toFile(), "rw")) {
            raf.seek(offset);
            raf.write(bytes);
        }
    }

    private static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static byte[] label(Path image) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(image.toFile(), "r")) {
            byte[] sector = new byte[DiskLabel.LABEL_SIZE];
            raf.readFully(sector);
            return sector;
        }
    }

    /** Recomputes the label checksum after a raw edit, so the edit itself is what gets refused. */
    private static void resealLabel(Path image) throws IOException {
        byte[] sector = label(image);
        poke(image, DiskLabel.OFF_CRC, le32(DiskLabel.crc(sector, 0, DiskLabel.OFF_CRC)));
    }

    /** Rewrites the label (with a valid checksum) through {@code edit}. */
    private static void relabel(Path image, UnaryOperator<DiskLabel> edit) throws IOException {
        DiskLabel label = DiskLabel.decode(label(image), Files.size(image));
        poke(image, 0, edit.apply(label).encode());
    }

    private static DiskLabel replace(DiskLabel label, PartitionType type, UnaryOperator<Partition> edit) {
        List<Partition> parts = new ArrayList<>();
        for (Partition p : label.partitions()) parts.add(p.type() == type ? edit.apply(p) : p);
        return new DiskLabel(label.diskSectors(), parts);
    }

    private static Partition withSectors(Partition p, long first, long count) {
        return new Partition(p.name(), p.type(), first, count, p.dataLength(), p.dataCrc());
    }

    /** Replaces the user content with {@code content}, consistent length and checksum included. */
    private static void rewriteUser(Path image, byte[] content) throws IOException {
        poke(image, 16 * 512, new byte[4096]);
        poke(image, 16 * 512, content);
        relabel(image, l -> replace(l, PartitionType.USER, p -> new Partition(p.name(), p.type(), p.firstSector(),
                p.sectorCount(), content.length, DiskLabel.crc(content, 0, content.length))));
    }

    /** Replaces the boot content with {@code text}, consistent length and checksum included. */
    private static void rewriteBoot(Path image, String text) throws IOException {
        byte[] content = text.getBytes(StandardCharsets.US_ASCII);
        poke(image, 8 * 512, new byte[4096]);
        poke(image, 8 * 512, content);
        relabel(image, l -> replace(l, PartitionType.BOOT, p -> new Partition(p.name(), p.type(), p.firstSector(),
                p.sectorCount(), content.length, DiskLabel.crc(content, 0, content.length))));
    }
}
