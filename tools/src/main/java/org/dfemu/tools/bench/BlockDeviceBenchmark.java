package org.dfemu.tools.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.dfemu.emulator.disk.BlockDevice;
import org.dfemu.emulator.disk.Disk;
import org.dfemu.emulator.disk.ImageMode;
import org.dfemu.emulator.disk.IoCallback;
import org.dfemu.emulator.disk.IoStatus;
import org.dfemu.emulator.disk.LatencyModel;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.emulator.time.VirtualClock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Sequential 64 KiB writes through the block device against raw {@code FileChannel} writes of
 * the same buffers, both over a 64 MiB file (wrapping around) in the JVM's temporary directory:
 * <ul>
 *   <li>{@link #deviceSequentialWrite64k}: a {@link Disk} with {@link LatencyModel#INSTANT},
 *       DMA from {@link PhysicalMemory}, each request completed by advancing the
 *       {@link VirtualClock} to its completion event (which does the host write and calls back);
 *       so one operation is submit, queue, clock event, pwrite, callback.
 *   <li>{@link #rawChannelSequentialWrite64k}: {@code FileChannel.write} of direct byte buffers
 *       viewing the very same RAM.
 * </ul>
 * Both files are filled and fsynced before measuring, so both runs overwrite cached pages; no
 * fsync is timed. The host's page cache absorbs the writes, so the figures are memory-copy
 * speeds, not disk speeds: the ratio compares the two paths under the same conditions (the
 * device's overhead per request), which is what the target is about. Throughput mode (ops/s),
 * so device/raw reads as "fraction of raw speed".
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class BlockDeviceBenchmark {
    static final int WRITE_BYTES = 64 * 1024;
    static final long FILE_BYTES = 64L << 20;
    /** Write slots in the file, a power of two. */
    static final int SLOTS = (int) (FILE_BYTES / WRITE_BYTES);
    /** Distinct source buffers in RAM (1 MiB of seeded random data), used in turn. */
    static final int BUFFERS = 16;
    static final long SOURCE_PA = 1L << 20;
    private static final long SEED = 42;

    /**
     * What both benchmarks start from, built the same way for each: RAM holding the source
     * buffers, and a fresh, fully written and fsynced file of {@link #FILE_BYTES}.
     */
    public abstract static class Target {
        PhysicalMemory ram;
        Path file;
        int next;

        void setupCommon(String prefix) throws IOException {
            ram = new PhysicalMemory(PhysicalMemory.MIN_SIZE);
            SplittableRandom rnd = new SplittableRandom(SEED);
            for (long pa = SOURCE_PA; pa < SOURCE_PA + (long) BUFFERS * WRITE_BYTES; pa += 8) {
                ram.store64(pa, rnd.nextLong());
            }
            file = Files.createTempFile(prefix, ".img");
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ByteBuffer zeroes = ByteBuffer.allocateDirect(1 << 20);
                for (long pos = 0; pos < FILE_BYTES; pos += zeroes.capacity()) {
                    zeroes.clear();
                    while (zeroes.hasRemaining()) ch.write(zeroes, pos + zeroes.position());
                }
                ch.force(true);
            }
        }

        void teardownCommon() throws IOException {
            ram.close();
            Files.deleteIfExists(file);
        }
    }

    @State(Scope.Thread)
    public static class DeviceTarget extends Target implements IoCallback {
        VirtualClock clock;
        Disk disk;
        BlockDevice device;
        IoStatus status;

        @Setup(Level.Trial)
        public void setup() throws IOException {
            setupCommon("dfemu-bench-device-");
            clock = new VirtualClock();
            disk = Disk.builder(file, clock)
                    .mode(ImageMode.DIRECT)
                    .writable(0, FILE_BYTES / BlockDevice.SECTOR_SIZE)
                    .latency(LatencyModel.INSTANT)
                    .open();
            device = disk.device();
        }

        @Override
        public void ioDone(long requestId, IoStatus s) { status = s; }

        @TearDown(Level.Trial)
        public void teardown() throws IOException {
            disk.close();
            teardownCommon();
        }
    }

    @State(Scope.Thread)
    public static class ChannelTarget extends Target {
        FileChannel channel;
        ByteBuffer[] buffers;

        @Setup(Level.Trial)
        public void setup() throws IOException {
            setupCommon("dfemu-bench-raw-");
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            buffers = new ByteBuffer[BUFFERS];
            for (int b = 0; b < BUFFERS; b++) {
                buffers[b] = ram.segment().asSlice(SOURCE_PA + (long) b * WRITE_BYTES, WRITE_BYTES).asByteBuffer();
            }
        }

        @TearDown(Level.Trial)
        public void teardown() throws IOException {
            channel.close();
            teardownCommon();
        }
    }

    @Benchmark
    public long deviceSequentialWrite64k(DeviceTarget t) {
        int n = t.next++;
        long sector = (long) (n & (SLOTS - 1)) * (WRITE_BYTES / BlockDevice.SECTOR_SIZE);
        long pa = SOURCE_PA + (long) (n & (BUFFERS - 1)) * WRITE_BYTES;
        t.status = null;
        long id = t.device.write(sector, WRITE_BYTES / BlockDevice.SECTOR_SIZE, t.ram, pa, WRITE_BYTES, t);
        t.clock.advanceToNextEvent();
        if (t.status != IoStatus.OK) {
            throw new IllegalStateException("BlockDeviceBenchmark: write " + id + " ended " + t.status
                    + (t.disk.lastHostError() != null ? " (" + t.disk.lastHostError().getMessage() + ")" : ""));
        }
        return id;
    }

    @Benchmark
    public long rawChannelSequentialWrite64k(ChannelTarget t) throws IOException {
        int n = t.next++;
        long pos = (long) (n & (SLOTS - 1)) * WRITE_BYTES;
        ByteBuffer buf = t.buffers[n & (BUFFERS - 1)];
        buf.clear();
        while (buf.hasRemaining()) t.channel.write(buf, pos + buf.position());
        return pos;
    }
}
