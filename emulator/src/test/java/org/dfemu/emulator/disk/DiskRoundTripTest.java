package org.dfemu.emulator.disk;

import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.disk.DiskTestSupport.Completions;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.emulator.time.VirtualClock;
import org.dfemu.emulator.trace.EmulatorEvents;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.dfemu.emulator.disk.DiskTestSupport.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Data goes to the file and comes back, at completion time and not before. */
class DiskRoundTripTest {
    private static final int SECTORS = 2048;              // a 1 MiB image
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
        original = pattern(1, SECTORS * 512);
        imagePath = DiskTestSupport.image(dir, "disk.img", original);
        disk = Disk.builder(imagePath, clock).mode(ImageMode.DIRECT).writable(0, SECTORS).latency(MODEL).open();
    }

    @AfterEach
    void tearDown() throws IOException {
        disk.close();
        ram.close();
    }

    @Test
    void writeLandsInTheFileOnlyAtCompletionThenReadsBack() throws IOException {
        byte[] data = pattern(2, 8 * 512);
        ram.write(0x10000, data, 0, data.length);
        Completions done = new Completions(clock);

        long id = disk.device().write(100, 8, ram, 0x10000, data.length, done);
        long due = 1_000 + 2L * data.length;
        clock.advanceTo(due - 1);
        assertTrue(done.seen.isEmpty(), "no interrupt before the completion time");
        assertArrayEquals(Arrays.copyOfRange(original, 100 * 512, 108 * 512), fileBytes(100, 8),
                "the file is untouched before completion");

        clock.advanceTo(due);
        assertEquals(new DiskTestSupport.Done(id, IoStatus.OK, due), done.only());
        assertArrayEquals(data, fileBytes(100, 8));

        Completions readDone = new Completions(clock);
        long readId = disk.device().read(100, 8, ram, 0x20000, data.length, readDone);
        clock.advanceTo(clock.now() + MODEL.serviceNs(data.length) - 1);
        assertArrayEquals(new byte[data.length], ramBytes(0x20000, data.length), "RAM untouched before completion");
        clock.advanceToNextEvent();
        assertEquals(IoStatus.OK, readDone.of(readId).status());
        assertArrayEquals(data, ramBytes(0x20000, data.length));
    }

    /**
     * Scatter-gather: RAM ranges that are not contiguous move to and from consecutive sectors as
     * one request, with one completion and one setup time.
     */
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

        long id = disk.device().writev(1124, 25, ram, out, done);
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
    void writeTakesItsSourceMemoryAsItIsAtCompletion() throws IOException {
        ram.fill(0x30000, 512, (byte) 0x11);
        Completions done = new Completions(clock);
        disk.device().write(5, 1, ram, 0x30000, 512, done);
        ram.fill(0x30000, 512, (byte) 0x22);   // changed while the request is queued
        clock.advanceToNextEvent();
        byte[] expect = new byte[512];
        Arrays.fill(expect, (byte) 0x22);
        assertArrayEquals(expect, fileBytes(5, 1));
    }

    @Test
    void segmentVariantRoundTripsThroughHeapAndNativeBuffers() {
        byte[] data = pattern(3, 4 * 512);
        Completions done = new Completions(clock);
        disk.device().write(SECTORS - 4, 4, MemorySegment.ofArray(data.clone()), done);
        byte[] back = new byte[data.length];
        disk.device().read(SECTORS - 4, 4, MemorySegment.ofArray(back), done);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nativeBack = arena.allocate(data.length);
            disk.device().read(SECTORS - 4, 4, nativeBack, done);
            while (clock.advanceToNextEvent()) { }
            assertEquals(List.of(IoStatus.OK, IoStatus.OK, IoStatus.OK), done.seen.stream().map(DiskTestSupport.Done::status).toList());
            assertArrayEquals(data, back);
            assertArrayEquals(data, nativeBack.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void readIntoAReadOnlySegmentIsRefused() {
        byte[] target = new byte[512];
        Completions done = new Completions(clock);
        disk.device().read(0, 1, MemorySegment.ofArray(target).asReadOnly(), done);
        clock.advanceToNextEvent();
        assertEquals(IoStatus.EIO, done.only().status());
        assertArrayEquals(new byte[512], target);
    }

    @Test
    void countersFollowRequestsAndQueueDepth() {
        Completions done = new Completions(clock);
        disk.device().write(0, 8, ram, 0, 4096, done);
        disk.device().read(0, 8, ram, 4096, 4096, done);
        disk.device().read(-1, 8, ram, 4096, 4096, done);
        disk.device().discard(8, 8, done);
        disk.device().flush(done);
        DiskStats queued = disk.stats();
        assertEquals(5, queued.requests());
        assertEquals(5, queued.queueDepth());
        assertEquals(0, queued.reads() + queued.writes(), "nothing counted as done before completion");

        while (clock.advanceToNextEvent()) { }
        DiskStats s = disk.stats();
        assertEquals(new DiskStats(5, 1, 1, 1, 1, 4096, 4096, 8, 1, 0, 1, 0, 0, 5), s);
        assertNull(disk.lastHostError());
    }

    @Test
    void requestIdsIncreaseAcrossPartitionsOfOneDisk() {
        Completions done = new Completions(clock);
        BlockDevice part = disk.device().partition(1024, 1024);
        long a = disk.device().read(0, 1, ram, 0, 512, done);
        long b = part.read(0, 1, ram, 512, 512, done);
        long c = disk.device().flush(done);
        assertEquals(List.of(1L, 2L, 3L), List.of(a, b, c));
    }

    @Test
    void traceRecordsSubmitAndDoneWithTimesAndContext() throws IOException {
        record Rec(long time, int cpu, int thread, int type, long a0, long a1, long a2, long a3) {}
        List<Rec> recs = new ArrayList<>();
        TraceSink sink = (t, cpu, thread, type, a0, a1, a2, a3) -> recs.add(new Rec(t, cpu, thread, type, a0, a1, a2, a3));
        try (Disk traced = Disk.builder(imagePath, clock).mode(ImageMode.DIRECT).writable(1024, 1024).latency(MODEL)
                .trace(sink, () -> 1, () -> 7).open()) {
            clock.advanceTo(500);
            BlockDevice part = traced.device().partition(1024, 1024);
            long ok = part.write(3, 2, ram, 0, 1024, (id, st) -> { });
            long bad = traced.device().write(0, 1, ram, 0, 512, (id, st) -> { });
            while (clock.advanceToNextEvent()) { }
            long okDone = 500 + MODEL.serviceNs(1024);
            assertEquals(List.of(
                    new Rec(500, 1, 7, EmulatorEvents.IO_SUBMIT, ok, BlockOp.WRITE.code(), 1027, 2),
                    new Rec(500, 1, 7, EmulatorEvents.IO_SUBMIT, bad, BlockOp.WRITE.code(), 0, 1),
                    new Rec(okDone, -1, -1, EmulatorEvents.IO_DONE, ok, BlockOp.WRITE.code(), 0, 2),
                    new Rec(okDone + MODEL.setupNs(), -1, -1, EmulatorEvents.IO_DONE, bad, BlockOp.WRITE.code(),
                            IoStatus.EROFS.errno(), 1)), recs);
        }
    }

    @Test
    void loaderReadIsSynchronousAndChecked() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment label = arena.allocate(1024);
            disk.loaderRead(0, label);
            assertArrayEquals(Arrays.copyOf(original, 1024), label.toArray(ValueLayout.JAVA_BYTE));
            assertEquals(0, disk.stats().requests(), "the loader's read is not a kernel request");
            assertThrows(IOException.class, () -> disk.loaderRead(SECTORS - 1, label));
            assertThrows(IOException.class, () -> disk.loaderRead(0, arena.allocate(100)));
        }
    }

    @Test
    void requestStillQueuedWhenTheDiskClosesCompletesWithEio() throws IOException {
        Completions done = new Completions(clock);
        disk.device().read(0, 1, ram, 0, 512, done);
        disk.close();
        clock.advanceToNextEvent();
        assertEquals(IoStatus.EIO, done.only().status());
        assertEquals(1, disk.stats().hostErrors());
        assertTrue(disk.lastHostError().getMessage().contains("closed"));
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
