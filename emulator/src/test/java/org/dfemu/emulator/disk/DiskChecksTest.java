package org.dfemu.emulator.disk;

import org.dfemu.emulator.disk.DiskTestSupport.Completions;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.emulator.time.VirtualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

import static org.dfemu.emulator.disk.DiskTestSupport.accessMode;
import static org.dfemu.emulator.disk.DiskTestSupport.openFlags;
import static org.dfemu.emulator.disk.DiskTestSupport.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Malformed requests end in EIO, writes where writing is not allowed in EROFS; both are
 * interrupts, never host exceptions, and touch neither the file nor RAM. Read-only means
 * read-only at the OS level.
 */
class DiskChecksTest {
    private static final int SECTORS = 256;

    @TempDir Path dir;
    private final VirtualClock clock = new VirtualClock();
    private PhysicalMemory ram;
    private byte[] original;
    private Path imagePath;

    @BeforeEach
    void setUp() throws IOException {
        ram = new PhysicalMemory(PhysicalMemory.MIN_SIZE);
        ram.fill(0, 1 << 20, (byte) 0x5a);
        original = pattern(7, SECTORS * 512);
        imagePath = DiskTestSupport.image(dir, "disk.img", original);
    }

    @AfterEach
    void tearDown() {
        ram.close();
    }

    @Test
    void malformedRequestsCompleteWithEioAndTouchNothing() throws IOException {
        try (Disk disk = Disk.builder(imagePath, clock).mode(ImageMode.DIRECT).writable(0, SECTORS).open()) {
            BlockDevice dev = disk.device();
            long top = ram.size();
            List<Function<IoCallback, Long>> bad = List.of(
                    cb -> dev.write(-1, 1, ram, 0, 512, cb),                    // negative sector
                    cb -> dev.write(0, -1, ram, 0, -512, cb),                   // negative count
                    cb -> dev.write(0, 0, ram, 0, 0, cb),                       // empty
                    cb -> dev.write(SECTORS - 1, 2, ram, 0, 1024, cb),          // runs past the end
                    cb -> dev.write(SECTORS, 1, ram, 0, 512, cb),               // starts at the end
                    cb -> dev.write(Long.MAX_VALUE, 1, ram, 0, 512, cb),
                    cb -> dev.write(1, Long.MAX_VALUE, ram, 0, 512, cb),        // sector + count overflows
                    cb -> dev.write(0, 1, ram, 0, 500, cb),                     // DMA not a multiple of 512
                    cb -> dev.write(0, 2, ram, 0, 512, cb),                     // DMA shorter than the sectors
                    cb -> dev.write(0, 1, ram, top - 256, 512, cb),             // DMA runs off the end of RAM
                    cb -> dev.write(0, 1, ram, -4096, 512, cb),                 // DMA below RAM
                    cb -> dev.read(SECTORS - 1, 2, ram, 0, 1024, cb),
                    cb -> dev.read(0, 1, ram, 0, 1024, cb),                     // DMA longer than the sectors
                    cb -> dev.read(0, 1, ram, top, 512, cb),
                    cb -> dev.discard(-8, 8, cb),
                    cb -> dev.discard(0, 0, cb),
                    cb -> dev.discard(SECTORS - 4, 8, cb),
                    // scatter-gather lists
                    cb -> dev.writev(0, 8, ram, new DmaSegment[0], cb),         // empty list
                    cb -> dev.writev(0, 8, ram, sg(0, 4000, 0x2000, 96), cb),   // segments not whole sectors
                    cb -> dev.writev(0, 16, ram, sg(0, 4096), cb),              // shorter than the sectors
                    cb -> dev.readv(0, 2, ram, sg(0, 512, 0x2000, 1024), cb),   // longer than the sectors
                    cb -> dev.writev(0, 16, ram, sg(0, 4096, top - 512, 4096), cb),  // a segment off RAM's end
                    cb -> dev.readv(0, 16, ram, sg(0x2000, 0, 0x2000, 8192), cb),   // an empty segment
                    cb -> dev.readv(SECTORS - 1, 2, ram, sg(0, 512, 0x2000, 512), cb)); // past the disk's end
            Completions done = new Completions(clock);
            for (Function<IoCallback, Long> request : bad) request.apply(done);
            assertTrue(done.seen.isEmpty(), "errors are interrupts too, never delivered inside submit");
            while (clock.advanceToNextEvent()) { }

            assertEquals(bad.size(), done.seen.size());
            done.seen.forEach(d -> assertEquals(IoStatus.EIO, d.status(), "request " + d.id()));
            assertEquals(bad.size(), disk.stats().errors());
            assertEquals(0, disk.stats().hostErrors());
            assertEquals(0, disk.stats().bytesRead() + disk.stats().bytesWritten() + disk.stats().sectorsDiscarded());
        }
        assertArrayEquals(original, Files.readAllBytes(imagePath), "the image is unchanged");
        byte[] ramStart = new byte[1 << 20];
        ram.read(0, ramStart, 0, ramStart.length);
        for (byte b : ramStart) assertEquals((byte) 0x5a, b);
    }

    /** A scatter-gather list of (pa, len) pairs. */
    private static DmaSegment[] sg(long... paLen) {
        DmaSegment[] l = new DmaSegment[paLen.length / 2];
        for (int i = 0; i < l.length; i++) l[i] = new DmaSegment(paLen[2 * i], paLen[2 * i + 1]);
        return l;
    }

    @Test
    void readOnlyImageRefusesWritesAndDiscardsWithErofsAndIsOpenedReadOnly() throws IOException {
        try (Disk disk = Disk.builder(imagePath, clock).open()) {       // READ_ONLY is the default
            assertTrue(disk.device().readOnly());
            assertOpenedReadOnly();
            Completions done = new Completions(clock);
            long w = disk.device().write(0, 1, ram, 0, 512, done);
            long d = disk.device().discard(0, 8, done);
            long r = disk.device().read(0, 1, ram, 0x1000, 512, done);
            long f = disk.device().flush(done);
            while (clock.advanceToNextEvent()) { }
            assertEquals(IoStatus.EROFS, done.of(w).status());
            assertEquals(IoStatus.EROFS, done.of(d).status());
            assertEquals(IoStatus.OK, done.of(r).status());
            assertEquals(IoStatus.OK, done.of(f).status(), "flushing a read-only disk is allowed");
            assertEquals(0, disk.stats().fsyncs(), "and has nothing to fsync");
        }
        assertArrayEquals(original, Files.readAllBytes(imagePath));
    }

    @Test
    void directImageWithoutWritableRangeIsOpenedReadOnly() throws IOException {
        try (Disk disk = Disk.builder(imagePath, clock).mode(ImageMode.DIRECT).open()) {
            assertTrue(disk.device().readOnly());
            assertOpenedReadOnly();
        }
    }

    @Test
    void directImageWithWritableRangeRefusesWritesOutsideIt() throws IOException {
        try (Disk disk = Disk.builder(imagePath, clock).mode(ImageMode.DIRECT).writable(128, 64).open()) {
            assertFalse(disk.device().readOnly());
            List<Integer> flags = openFlags(imagePath);
            assertEquals(1, flags.size());
            assertEquals(2, accessMode(flags.getFirst()), "opened O_RDWR: a range is writable");

            Completions done = new Completions(clock);
            long below = disk.device().write(127, 2, ram, 0, 1024, done);   // straddles the start
            long above = disk.device().write(191, 2, ram, 0, 1024, done);   // straddles the end
            long out = disk.device().discard(0, 8, done);
            long in = disk.device().write(128, 64, ram, 0, 64 * 512, done);
            long gather = disk.device().writev(127, 2, ram, sg(0, 512, 0x4000, 512), done);   // straddles the start
            while (clock.advanceToNextEvent()) { }
            assertEquals(IoStatus.EROFS, done.of(gather).status());
            assertEquals(IoStatus.EROFS, done.of(below).status());
            assertEquals(IoStatus.EROFS, done.of(above).status());
            assertEquals(IoStatus.EROFS, done.of(out).status());
            assertEquals(IoStatus.OK, done.of(in).status());
        }
        byte[] now = Files.readAllBytes(imagePath);
        byte[] expect = original.clone();
        Arrays.fill(expect, 128 * 512, 192 * 512, (byte) 0x5a);
        assertArrayEquals(expect, now, "only the writable range changed");
    }

    @Test
    void badConfigurationsAreRefusedAtOpen() throws IOException {
        assertThrows(IllegalArgumentException.class,
                () -> Disk.builder(imagePath, clock).writable(0, 1).open(), "writable range on a read-only image");
        assertThrows(IllegalArgumentException.class,
                () -> Disk.builder(imagePath, clock).mode(ImageMode.DIRECT).writable(SECTORS - 1, 2).open());
        assertThrows(IllegalArgumentException.class,
                () -> Disk.builder(imagePath, clock).mode(ImageMode.COPY_ON_WRITE).writable(SECTORS, 1).open());
        Path odd = DiskTestSupport.image(dir, "odd.img", new byte[1000]);
        IOException e = assertThrows(IOException.class, () -> Disk.builder(odd, clock).open());
        assertTrue(e.getMessage().contains("odd.img"), e.getMessage());
        Path empty = DiskTestSupport.image(dir, "empty.img", new byte[0]);
        assertThrows(IOException.class, () -> Disk.builder(empty, clock).open());
        assertThrows(IOException.class, () -> Disk.builder(dir.resolve("missing.img"), clock).open());
        assertEquals(List.of(), openFlags(imagePath), "failed opens leave no descriptor behind");
        assertEquals(List.of(), openFlags(odd));
    }

    private void assertOpenedReadOnly() throws IOException {
        List<Integer> flags = openFlags(imagePath);
        assertEquals(1, flags.size(), "one descriptor on the image");
        assertEquals(0, accessMode(flags.getFirst()), "opened O_RDONLY");
    }
}
