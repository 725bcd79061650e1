package org.dfemu.emulator.disk;

import org.dfemu.emulator.disk.DiskTestSupport.Completions;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.emulator.time.VirtualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.dfemu.emulator.disk.DiskTestSupport.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded random batches of queued requests (in range and out, inside the writable window and
 * outside) against a byte-array model of the disk, for both direct and copy-on-write images: every read returns what
 * the model holds, every status is what the model predicts, and the image file ends exactly as
 * the model says (direct) or exactly as it began (copy-on-write).
 */
class DiskModelTest {
    private static final int SECTORS = 512;
    private static final long WIN_FIRST = 64;
    private static final long WIN_COUNT = 320;

    @TempDir Path dir;
    private PhysicalMemory ram;

    @BeforeEach
    void setUp() {
        ram = new PhysicalMemory(PhysicalMemory.MIN_SIZE);
    }

    @AfterEach
    void tearDown() {
        ram.close();
    }

    @ParameterizedTest
    @CsvSource({"DIRECT, 1", "DIRECT, 2", "COPY_ON_WRITE, 1", "COPY_ON_WRITE, 2", "COPY_ON_WRITE, 3"})
    void randomRequestsMatchTheModel(ImageMode mode, long seed) throws IOException {
        byte[] original = pattern(100 + seed, SECTORS * 512);
        Path image = DiskTestSupport.image(dir, "disk.img", original);
        byte[] model = original.clone();
        SplittableRandom rnd = new SplittableRandom(seed);
        VirtualClock clock = new VirtualClock();
        Completions done = new Completions(clock);

        try (Disk disk = Disk.builder(image, clock).mode(mode).writable(WIN_FIRST, WIN_COUNT)
                .latency(new LatencyModel(rnd.nextLong(1000), rnd.nextLong(3))).overlayDirectory(dir).open()) {
            BlockDevice dev = disk.device();
            int checked = 0;
            for (int batch = 0; batch < 100; batch++) {
                // A batch is queued at once and completes in order, so the model is updated in
                // submission order and a read's expected bytes are the model's at its submission.
                int size = 1 + rnd.nextInt(6);
                List<Runnable> checks = new ArrayList<>();
                for (int slot = 0; slot < size; slot++) {
                    long pa = 0x100000 + slot * 0x10000L;   // one DMA buffer per queued request
                    long sector = rnd.nextLong(-4, SECTORS + 4);
                    long count = rnd.nextLong(0, 40);
                    int len = (int) count * 512;
                    boolean inRange = count > 0 && sector >= 0 && sector + count <= SECTORS;
                    boolean writable = inRange && sector >= WIN_FIRST && sector + count <= WIN_FIRST + WIN_COUNT;
                    IoStatus expect;
                    long id;
                    switch (rnd.nextInt(3)) {
                        case 0 -> {
                            byte[] data = pattern(rnd.nextLong(), Math.max(len, 1));
                            ram.write(pa, data, 0, len);
                            id = dev.write(sector, count, ram, pa, len, done);
                            expect = !inRange ? IoStatus.EIO : writable ? IoStatus.OK : IoStatus.EROFS;
                            if (expect == IoStatus.OK) System.arraycopy(data, 0, model, (int) sector * 512, len);
                        }
                        case 1 -> {
                            id = dev.discard(sector, count, done);
                            expect = !inRange ? IoStatus.EIO : writable ? IoStatus.OK : IoStatus.EROFS;
                            if (expect == IoStatus.OK) Arrays.fill(model, (int) sector * 512, (int) (sector + count) * 512, (byte) 0);
                        }
                        default -> {
                            ram.fill(pa, 40 * 512, (byte) 0xee);
                            id = dev.read(sector, count, ram, pa, len, done);
                            expect = inRange ? IoStatus.OK : IoStatus.EIO;
                            if (expect == IoStatus.OK) {
                                byte[] want = Arrays.copyOfRange(model, (int) sector * 512, (int) (sector + count) * 512);
                                checks.add(() -> {
                                    byte[] got = new byte[len];
                                    ram.read(pa, got, 0, len);
                                    assertArrayEquals(want, got, "read of sector " + sector + " count " + count);
                                });
                            }
                        }
                    }
                    long requestId = id;
                    IoStatus expected = expect;
                    checks.add(() -> assertEquals(expected, done.of(requestId).status(),
                            "request " + requestId + ": sector " + sector + " count " + count));
                }
                while (clock.advanceToNextEvent()) { }
                checks.forEach(Runnable::run);
                checked += checks.size();
            }
            assertTrue(checked > 300, "the seeds exercise enough requests");
            byte[] whole = new byte[SECTORS * 512];
            dev.read(0, SECTORS, MemorySegment.ofArray(whole), done);
            while (clock.advanceToNextEvent()) { }
            assertArrayEquals(model, whole, "the disk as the guest sees it");
        }
        assertArrayEquals(mode == ImageMode.DIRECT ? model : original, Files.readAllBytes(image), "the image file");
    }
}
