package org.dfemu.emulator.disk;

import org.dfemu.emulator.disk.DiskTestSupport.Completions;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.emulator.time.VirtualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.dfemu.emulator.disk.DiskTestSupport.allocatedBlocks;
import static org.dfemu.emulator.disk.DiskTestSupport.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Discard punches holes (the file's allocation shrinks, the sectors read as zeroes); flush fsyncs. */
class DiscardFlushTest {
    private static final int SECTORS = 8192;     // 4 MiB

    @TempDir Path dir;
    private final VirtualClock clock = new VirtualClock();
    private PhysicalMemory ram;
    private byte[] original;
    private Path imagePath;
    private Disk disk;

    @BeforeEach
    void setUp() throws IOException {
        ram = new PhysicalMemory(PhysicalMemory.MIN_SIZE);
        original = pattern(21, SECTORS * 512);
        imagePath = DiskTestSupport.image(dir, "disk.img", original);
        disk = Disk.builder(imagePath, clock).mode(ImageMode.DIRECT).writable(0, SECTORS).open();
    }

    @AfterEach
    void tearDown() throws IOException {
        disk.close();
        ram.close();
    }

    @Test
    void discardPunchesAHoleThatReadsAsZeroes() throws IOException, InterruptedException {
        Completions done = new Completions(clock);
        disk.device().flush(done);   // make the image's blocks real before measuring them
        while (clock.advanceToNextEvent()) { }
        long before = allocatedBlocks(imagePath);

        long id = disk.device().discard(2048, 2048, done);   // 1 MiB at 1 MiB
        while (clock.advanceToNextEvent()) { }
        assertEquals(IoStatus.OK, done.of(id).status());
        assertEquals(1, disk.stats().discards());
        assertEquals(2048, disk.stats().sectorsDiscarded());

        byte[] expect = original.clone();
        Arrays.fill(expect, 2048 * 512, 4096 * 512, (byte) 0);
        assertArrayEquals(expect, Files.readAllBytes(imagePath), "zeroes inside, nothing else changed");
        assertEquals(original.length, Files.size(imagePath), "the size is kept");

        assumeTrue(disk.stats().discardZeroFills() == 0, "this filesystem cannot punch holes");
        long after = allocatedBlocks(imagePath);
        assertTrue(before - after >= 2048, "1 MiB deallocated: st_blocks " + before + " -> " + after);
    }

    @Test
    void unalignedDiscardZeroesExactlyItsSectors() throws IOException {
        Completions done = new Completions(clock);
        disk.device().discard(9, 3, done);   // inside one 4 KiB filesystem block
        while (clock.advanceToNextEvent()) { }
        assertEquals(IoStatus.OK, done.only().status());
        byte[] expect = original.clone();
        Arrays.fill(expect, 9 * 512, 12 * 512, (byte) 0);
        assertArrayEquals(expect, Files.readAllBytes(imagePath));
    }

    @Test
    void zeroFillFallbackWritesZeroesOverExactlyTheRange() throws IOException {
        try (HostFile f = HostFile.open(imagePath, true)) {
            f.writeZeroes(1000, 200_000);   // spans several chunks of the zero buffer
        }
        byte[] expect = original.clone();
        Arrays.fill(expect, 1000, 201_000, (byte) 0);
        assertArrayEquals(expect, Files.readAllBytes(imagePath));
    }

    @Test
    void flushFsyncsAndCompletesAfterEarlierWrites() throws IOException {
        Completions done = new Completions(clock);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(4096);
            data.fill((byte) 0x44);
            long w = disk.device().write(0, 8, data, done);
            long f = disk.device().flush(done);
            while (clock.advanceToNextEvent()) { }
            assertTrue(done.of(w).timeNs() < done.of(f).timeNs(), "the flush completes after the write before it");
        }
        disk.device().flush(done);
        while (clock.advanceToNextEvent()) { }
        assertEquals(2, disk.stats().flushes());
        assertEquals(2, disk.stats().fsyncs());
    }
}
