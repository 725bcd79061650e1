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
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;

import static org.dfemu.emulator.disk.DiskTestSupport.accessMode;
import static org.dfemu.emulator.disk.DiskTestSupport.openFlags;
import static org.dfemu.emulator.disk.DiskTestSupport.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** vkernel's -R: the guest sees its writes, the image file never changes. */
class CowOverlayTest {
    private static final int SECTORS = 1024;
    private static final long SWAP_FIRST = 256;
    private static final long SWAP_COUNT = 512;
    private static final FileTime OLD = FileTime.fromMillis(1_000_000_000_000L);

    @TempDir Path dir;
    @TempDir Path overlayDir;
    private final VirtualClock clock = new VirtualClock();
    private PhysicalMemory ram;
    private byte[] original;
    private Path imagePath;
    private Disk disk;

    @BeforeEach
    void setUp() throws IOException {
        ram = new PhysicalMemory(PhysicalMemory.MIN_SIZE);
        original = pattern(31, SECTORS * 512);
        imagePath = DiskTestSupport.image(dir, "disk.img", original);
        Files.setLastModifiedTime(imagePath, OLD);
        disk = Disk.builder(imagePath, clock).mode(ImageMode.COPY_ON_WRITE).writable(SWAP_FIRST, SWAP_COUNT)
                .overlayDirectory(overlayDir).open();
    }

    @AfterEach
    void tearDown() throws IOException {
        disk.close();
        ram.close();
    }

    @Test
    void imageIsOpenedReadOnlyAndTheOverlayLeavesNoFileBehind() throws IOException {
        List<Integer> flags = openFlags(imagePath);
        assertEquals(1, flags.size());
        assertEquals(0, accessMode(flags.getFirst()), "the image is O_RDONLY under copy-on-write");
        try (var entries = Files.list(overlayDir)) {
            assertEquals(0, entries.count(), "the overlay is unlinked as soon as it is open");
        }
    }

    @Test
    void readsSeeWritesAndDiscardsWhileTheImageNeverChanges() throws IOException {
        BlockDevice swap = disk.device().partition(SWAP_FIRST, SWAP_COUNT);
        Completions done = new Completions(clock);
        ram.fill(0x1000, 3 * 512, (byte) 0x66);
        swap.write(10, 3, ram, 0x1000, 3 * 512, done);      // sectors 10..12 rewritten
        swap.discard(20, 4, done);                           // sectors 20..23 forgotten
        swap.flush(done);
        swap.read(8, 24, ram, 0x10000, 24 * 512, done);      // 8..31: image, new, image, zero, image
        while (clock.advanceToNextEvent()) { }
        done.seen.forEach(d -> assertEquals(IoStatus.OK, d.status()));
        assertEquals(1, disk.stats().fsyncs(), "flush fsyncs the overlay");

        byte[] expect = Arrays.copyOfRange(original, (int) (SWAP_FIRST + 8) * 512, (int) (SWAP_FIRST + 32) * 512);
        Arrays.fill(expect, 2 * 512, 5 * 512, (byte) 0x66);
        Arrays.fill(expect, 12 * 512, 16 * 512, (byte) 0);
        byte[] got = new byte[expect.length];
        ram.read(0x10000, got, 0, got.length);
        assertArrayEquals(expect, got);

        disk.close();
        assertArrayEquals(original, Files.readAllBytes(imagePath), "image bytes unchanged");
        assertEquals(OLD, Files.getLastModifiedTime(imagePath), "image mtime unchanged");
    }

    @Test
    void discardAfterWriteReadsZeroesNotTheImage() {
        BlockDevice swap = disk.device().partition(SWAP_FIRST, SWAP_COUNT);
        Completions done = new Completions(clock);
        ram.fill(0, 4096, (byte) 0x12);
        swap.write(0, 8, ram, 0, 4096, done);
        swap.discard(0, 8, done);
        ram.fill(0x2000, 4096, (byte) 0x7f);
        swap.read(0, 8, ram, 0x2000, 4096, done);
        while (clock.advanceToNextEvent()) { }
        byte[] got = new byte[4096];
        ram.read(0x2000, got, 0, got.length);
        assertArrayEquals(new byte[4096], got);
    }

    @Test
    void writesOutsideTheWritableRangeAreRefusedUnderCopyOnWriteToo() throws IOException {
        Completions done = new Completions(clock);
        long w = disk.device().write(0, 1, ram, 0, 512, done);
        long d = disk.device().discard(SWAP_FIRST + SWAP_COUNT, 1, done);
        while (clock.advanceToNextEvent()) { }
        assertEquals(IoStatus.EROFS, done.of(w).status());
        assertEquals(IoStatus.EROFS, done.of(d).status());
        assertArrayEquals(original, Files.readAllBytes(imagePath));
    }

    @Test
    void copyOnWriteWithoutWritableRangeIsAPlainReadOnlyImage() throws IOException {
        disk.close();
        disk = Disk.builder(imagePath, clock).mode(ImageMode.COPY_ON_WRITE).overlayDirectory(overlayDir).open();
        assertTrue(disk.device().readOnly());
        Completions done = new Completions(clock);
        disk.device().write(0, 1, ram, 0, 512, done);
        disk.device().read(0, 1, ram, 0, 512, done);
        while (clock.advanceToNextEvent()) { }
        assertEquals(IoStatus.EROFS, done.seen.get(0).status());
        assertEquals(IoStatus.OK, done.seen.get(1).status());
    }
}
