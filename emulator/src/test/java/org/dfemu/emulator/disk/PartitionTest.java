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

import static org.dfemu.emulator.disk.DiskTestSupport.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A boot's layout: a label, a read-only partition and a writable swap partition. The swap window
 * writes where it should and nowhere else; nothing else can be written through any view.
 */
class PartitionTest {
    private static final int SECTORS = 512;
    private static final long SWAP_FIRST = 128;
    private static final long SWAP_COUNT = 256;

    @TempDir Path dir;
    private final VirtualClock clock = new VirtualClock();
    private PhysicalMemory ram;
    private byte[] original;
    private Path imagePath;
    private Disk disk;

    @BeforeEach
    void setUp() throws IOException {
        ram = new PhysicalMemory(PhysicalMemory.MIN_SIZE);
        original = pattern(11, SECTORS * 512);
        imagePath = DiskTestSupport.image(dir, "disk.img", original);
        disk = Disk.builder(imagePath, clock).mode(ImageMode.DIRECT).writable(SWAP_FIRST, SWAP_COUNT)
                .latency(LatencyModel.INSTANT).open();
    }

    @AfterEach
    void tearDown() throws IOException {
        disk.close();
        ram.close();
    }

    @Test
    void swapWindowWritesAtItsOffsetAndNowhereElse() throws IOException {
        BlockDevice swap = disk.device().partition(SWAP_FIRST, SWAP_COUNT);
        assertEquals(SWAP_COUNT, swap.sectorCount());
        assertFalse(swap.readOnly());
        ram.fill(0, 8 * 512, (byte) 0x77);
        Completions done = new Completions(clock);

        long first = swap.write(0, 8, ram, 0, 4096, done);
        long last = swap.write(SWAP_COUNT - 8, 8, ram, 0, 4096, done);
        long past = swap.write(SWAP_COUNT - 4, 8, ram, 0, 4096, done);    // crosses the window's end
        long before = swap.write(-1, 1, ram, 0, 512, done);
        long trimPast = swap.discard(SWAP_COUNT, 1, done);
        while (clock.advanceToNextEvent()) { }

        assertEquals(IoStatus.OK, done.of(first).status());
        assertEquals(IoStatus.OK, done.of(last).status());
        assertEquals(IoStatus.EIO, done.of(past).status(), "past the window is out of range, even though the disk goes on");
        assertEquals(IoStatus.EIO, done.of(before).status());
        assertEquals(IoStatus.EIO, done.of(trimPast).status());

        byte[] expect = original.clone();
        Arrays.fill(expect, (int) SWAP_FIRST * 512, (int) (SWAP_FIRST + 8) * 512, (byte) 0x77);
        Arrays.fill(expect, (int) (SWAP_FIRST + SWAP_COUNT - 8) * 512, (int) (SWAP_FIRST + SWAP_COUNT) * 512, (byte) 0x77);
        assertArrayEquals(expect, Files.readAllBytes(imagePath));
    }

    @Test
    void windowReadsTranslateSectors() {
        BlockDevice swap = disk.device().partition(SWAP_FIRST, SWAP_COUNT);
        Completions done = new Completions(clock);
        swap.read(3, 2, ram, 0x4000, 1024, done);
        clock.advanceToNextEvent();
        byte[] got = new byte[1024];
        ram.read(0x4000, got, 0, got.length);
        assertArrayEquals(Arrays.copyOfRange(original, (int) (SWAP_FIRST + 3) * 512, (int) (SWAP_FIRST + 5) * 512), got);
    }

    @Test
    void otherPartitionsAndTheWholeDiskCannotWriteOutsideTheSwapRange() throws IOException {
        BlockDevice root = disk.device().partition(0, SWAP_FIRST);
        BlockDevice user = disk.device().partition(SWAP_FIRST + SWAP_COUNT, SECTORS - SWAP_FIRST - SWAP_COUNT);
        assertTrue(root.readOnly());
        assertTrue(user.readOnly());
        assertFalse(disk.device().readOnly(), "the whole disk contains the writable range");
        Completions done = new Completions(clock);
        long a = root.write(0, 1, ram, 0, 512, done);
        long b = user.discard(0, 8, done);
        long c = disk.device().write(SWAP_FIRST - 1, 2, ram, 0, 1024, done);   // straddles into swap
        long d = disk.device().write(SWAP_FIRST + SWAP_COUNT - 1, 2, ram, 0, 1024, done);
        long e = disk.device().write(SWAP_FIRST, 1, ram, 0, 512, done);         // inside swap: allowed
        while (clock.advanceToNextEvent()) { }
        assertEquals(IoStatus.EROFS, done.of(a).status());
        assertEquals(IoStatus.EROFS, done.of(b).status());
        assertEquals(IoStatus.EROFS, done.of(c).status());
        assertEquals(IoStatus.EROFS, done.of(d).status());
        assertEquals(IoStatus.OK, done.of(e).status());

        byte[] now = Files.readAllBytes(imagePath);
        assertArrayEquals(Arrays.copyOf(original, (int) SWAP_FIRST * 512), Arrays.copyOf(now, (int) SWAP_FIRST * 512));
        int userStart = (int) (SWAP_FIRST + SWAP_COUNT) * 512;
        assertArrayEquals(Arrays.copyOfRange(original, userStart, original.length), Arrays.copyOfRange(now, userStart, now.length));
    }

    @Test
    void nestedWindowsComposeAndMustFit() {
        BlockDevice swap = disk.device().partition(SWAP_FIRST, SWAP_COUNT);
        BlockDevice inner = swap.partition(16, 16);
        assertEquals("disk0[" + (SWAP_FIRST + 16) + "+16]", inner.name());
        ram.fill(0, 512, (byte) 0x33);
        Completions done = new Completions(clock);
        inner.write(15, 1, ram, 0, 512, done);
        inner.write(16, 1, ram, 0, 512, done);
        while (clock.advanceToNextEvent()) { }
        assertEquals(IoStatus.OK, done.seen.get(0).status());
        assertEquals(IoStatus.EIO, done.seen.get(1).status());

        assertThrows(IllegalArgumentException.class, () -> swap.partition(SWAP_COUNT - 1, 2));
        assertThrows(IllegalArgumentException.class, () -> swap.partition(-1, 2));
        assertThrows(IllegalArgumentException.class, () -> swap.partition(0, 0));
        assertThrows(IllegalArgumentException.class, () -> disk.device().partition(0, SECTORS + 1));
    }

    @Test
    void partiallyWritableWindowIsNotReadOnlyButWritesOnlyItsWritablePart() {
        BlockDevice straddle = disk.device().partition(SWAP_FIRST - 8, 16);
        assertFalse(straddle.readOnly());
        Completions done = new Completions(clock);
        long out = straddle.write(0, 8, ram, 0, 4096, done);
        long in = straddle.write(8, 8, ram, 0, 4096, done);
        while (clock.advanceToNextEvent()) { }
        assertEquals(IoStatus.EROFS, done.of(out).status());
        assertEquals(IoStatus.OK, done.of(in).status());
    }
}
