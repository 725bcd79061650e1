package org.dfemu.emulator.disk;

import org.dfemu.emulator.disk.DiskTestSupport.Completions;
import org.dfemu.emulator.disk.DiskTestSupport.Done;
import org.dfemu.emulator.time.VirtualClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Completion times follow {@code max(now, previous completion) + setup + bytes * perByte} exactly. */
class LatencyModelTest {
    @TempDir Path dir;

    @Test
    void fifoQueueCompletionTimesAreExact() throws IOException {
        VirtualClock clock = new VirtualClock();
        LatencyModel m = new LatencyModel(700, 3);
        Path image = DiskTestSupport.image(dir, "d.img", new byte[64 * 512]);
        try (Disk disk = Disk.builder(image, clock).mode(ImageMode.DIRECT).writable(0, 64).latency(m).open()) {
            BlockDevice dev = disk.device();
            Completions done = new Completions(clock);
            byte[] buf = new byte[8 * 512];
            clock.advanceTo(10_000);
            long r1 = dev.read(0, 8, MemorySegment.ofArray(buf), done);     // 4096 bytes
            long r2 = dev.write(8, 1, MemorySegment.ofArray(new byte[512]), done);
            long r3 = dev.discard(16, 16, done);                                               // setup only
            long r4 = dev.read(99, 1, MemorySegment.ofArray(new byte[512]), done); // EIO: setup only
            long r5 = dev.flush(done);                                                         // setup only
            long t1 = 10_000 + 700 + 4096 * 3;
            long t2 = t1 + 700 + 512 * 3;
            long t3 = t2 + 700;
            long t4 = t3 + 700;
            long t5 = t4 + 700;
            assertEquals(5, disk.stats().maxQueueDepth());

            // The disk goes idle; a later request starts from its own submission time.
            clock.advanceTo(t5 + 50_000);
            long r6 = dev.read(0, 2, MemorySegment.ofArray(new byte[1024]), done);
            long t6 = t5 + 50_000 + 700 + 1024 * 3;
            clock.advanceTo(t6);

            assertEquals(List.of(new Done(r1, IoStatus.OK, t1), new Done(r2, IoStatus.OK, t2),
                    new Done(r3, IoStatus.OK, t3), new Done(r4, IoStatus.EIO, t4),
                    new Done(r5, IoStatus.OK, t5), new Done(r6, IoStatus.OK, t6)), done.seen,
                    "completions in submission order, each at its model time");
        }
    }

    @Test
    void serviceTimeSaturatesInsteadOfOverflowing() {
        assertEquals(Long.MAX_VALUE, new LatencyModel(1, Long.MAX_VALUE / 2).serviceNs(4));
        assertEquals(100_000 + 2 * 4096, LatencyModel.DEFAULT.serviceNs(4096));
    }

    @Test
    void parsesBootSettingFormAndPrintsItBack() {
        assertEquals(new LatencyModel(100_000, 2), LatencyModel.parse("setup=100us,perbyte=2ns"));
        assertEquals(new LatencyModel(3_000_000, 1), LatencyModel.parse(" perbyte = 1 , setup = 3ms "));
        assertEquals(new LatencyModel(2_000_000_000L, 0), LatencyModel.parse("setup=2s,perbyte=0"));
        LatencyModel m = new LatencyModel(12_345, 6);
        assertEquals(m, LatencyModel.parse(m.toString()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "setup=1us", "setup=1us,perbyte=2ns,extra=3", "setup=1h,perbyte=1",
            "setup=-1,perbyte=1", "setup=us,perbyte=1", "setup=99999999999999999999,perbyte=1",
            "setup=9223372037s,perbyte=1", "setup 1us, perbyte 2ns"})
    void rejectsMalformedSettings(String text) {
        assertThrows(IllegalArgumentException.class, () -> LatencyModel.parse(text));
    }

    @Test
    void rejectsNegativeTimes() {
        assertThrows(IllegalArgumentException.class, () -> new LatencyModel(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> new LatencyModel(0, -1));
    }
}
