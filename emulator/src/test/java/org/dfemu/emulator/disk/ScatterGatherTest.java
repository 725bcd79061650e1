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

/**
 * Scatter-gather requests: RAM ranges that are not contiguous move to and from consecutive
 * sectors as one request, with one completion, one setup time and one trace-visible request.
 */
class ScatterGatherTest {
    private static final int SECTORS = 2048;
    private static final LatencyModel MODEL = new LatencyModel(1_000, 2);

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
        // Sectors [1024, 2048) writable, the first half not.
        disk = Disk.builder(imagePath, clock).mode(ImageMode.DIRECT).writable(1024, 1024).latency(MODEL).open();
    }

    @AfterEach
    void tearDown() throws IOException {
        disk.close();
        ram.close();
    }

    @Test
    void gatherWriteAndScatterReadAreOneRequestEachInListOrder() throws IOException {
        // Three pieces of RAM, out of address order and of different sizes: 4096 + 512 + 8192 bytes.
        byte[] a = pattern(1, 4096);
        byte[] b = pattern(2, 512);
        byte[] c = pattern(3, 8192);
        ram.write(0x50000, a, 0, a.length);
        ram.write(0x10000, b, 0, b.length);
        ram.write(0x30000, c, 0, c.length);
        DmaSegment[] out = {new DmaSegment(0x50000, 4096), new DmaSegment(0x10000, 512), new DmaSegment(0x30000, 8192)};
        Completions done = new Completions(clock);

        long id = disk.device().partition(1024, 1024).writev(100, 25, ram, out, done);
        long due = MODEL.serviceNs(25 * 512);
        clock.advanceTo(due - 1);
        assertEquals(0, done.seen.size(), "no interrupt before one request's service time");
        clock.advanceTo(due);
        assertEquals(new DiskTestSupport.Done(id, IoStatus.OK, due), done.only());
        byte[] expect = new byte[25 * 512];
        System.arraycopy(a, 0, expect, 0, 4096);
        System.arraycopy(b, 0, expect, 4096, 512);
        System.arraycopy(c, 0, expect, 4608, 8192);
        assertArrayEquals(expect, fileBytes(1124, 25), "the segments land on consecutive sectors in list order");
        assertArrayEquals(Arrays.copyOfRange(original, 1149 * 512, 1150 * 512),
                fileBytes(1149, 1), "the sector after the request is untouched");

        // Read the 25 sectors back into two other pieces: 8192 at 0x80000, then the other 9 sectors at 0x70000.
        Completions readDone = new Completions(clock);
        DmaSegment[] in = {new DmaSegment(0x80000, 8192), new DmaSegment(0x70000, 9 * 512)};
        long readId = disk.device().readv(1124, 25, ram, in, readDone);
        while (clock.advanceToNextEvent()) { }
        assertEquals(IoStatus.OK, readDone.only().status());
        assertEquals(readId, readDone.only().id());
        assertArrayEquals(Arrays.copyOfRange(expect, 0, 8192), ramBytes(0x80000, 8192));
        assertArrayEquals(Arrays.copyOfRange(expect, 8192, expect.length), ramBytes(0x70000, 9 * 512));

        DiskStats s = disk.stats();
        assertEquals(2, s.requests(), "one request per list, not per segment");
        assertEquals(1, s.writes());
        assertEquals(1, s.reads());
        assertEquals(25 * 512, s.bytesWritten());
        assertEquals(25 * 512, s.bytesRead());
    }

    @Test
    void malformedListsCompleteWithEioAndTouchNothing() throws IOException {
        ram.fill(0x10000, 8192, (byte) 0x5a);
        DmaSegment[][] bad = {
            {},                                                                  // empty
            {new DmaSegment(0x10000, 4000), new DmaSegment(0x20000, 96)},        // not whole sectors
            {new DmaSegment(0x10000, 4096)},                                     // shorter than 16 sectors
            {new DmaSegment(0x10000, 4096), new DmaSegment(ram.size() - 512, 4096)},  // outside RAM
            {new DmaSegment(0x10000, 0), new DmaSegment(0x10000, 8192)},         // empty segment
        };
        Completions done = new Completions(clock);
        for (DmaSegment[] list : bad) {
            disk.device().writev(1200, 16, ram, list, done);
            disk.device().readv(1200, 16, ram, list, done);
        }
        while (clock.advanceToNextEvent()) { }
        assertEquals(2 * bad.length, done.seen.size());
        for (DiskTestSupport.Done d : done.seen) assertEquals(IoStatus.EIO, d.status(), d.toString());
        assertArrayEquals(Arrays.copyOfRange(original, 1200 * 512, 1216 * 512), fileBytes(1200, 16));
        byte[] expect = new byte[8192];
        Arrays.fill(expect, (byte) 0x5a);
        assertArrayEquals(expect, ramBytes(0x10000, 8192));
        assertEquals(2 * bad.length, disk.stats().errors());
        assertEquals(0, disk.stats().bytesWritten() + disk.stats().bytesRead());
    }

    @Test
    void gatherWriteOutsideTheWritableRangeIsRefused() throws IOException {
        Completions done = new Completions(clock);
        DmaSegment[] list = {new DmaSegment(0x10000, 512), new DmaSegment(0x30000, 512)};
        disk.device().writev(1023, 2, ram, list, done);   // straddles the writable range's start
        clock.advanceToNextEvent();
        assertEquals(IoStatus.EROFS, done.only().status());
        assertArrayEquals(Arrays.copyOfRange(original, 1023 * 512, 1025 * 512), fileBytes(1023, 2));
    }

    private byte[] fileBytes(long sector, int count) throws IOException {
        return Arrays.copyOfRange(Files.readAllBytes(imagePath), (int) sector * 512, (int) (sector + count) * 512);
    }

    private byte[] ramBytes(long pa, int len) {
        byte[] b = new byte[len];
        ram.read(pa, b, 0, len);
        return b;
    }
}
