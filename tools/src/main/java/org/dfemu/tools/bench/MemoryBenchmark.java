package org.dfemu.tools.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.dfemu.emulator.memory.PhysicalMemory;
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
 * The physical-memory backend against the raw segment it wraps: scattered 64-bit loads over 16 MiB
 * (one per page, in a seeded random order). Justifies PhysicalMemory's checked accessors: they
 * should cost what the segment access costs.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class MemoryBenchmark {
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private PhysicalMemory ram;
    private MemorySegment segment;
    private long[] addrs;
    private int i;

    @Setup(Level.Trial)
    public void setup() {
        ram = new PhysicalMemory(16L << 20);
        segment = ram.segment();
        int pages = (int) ram.pageCount();
        addrs = new long[pages];
        SplittableRandom rnd = new SplittableRandom(42);
        for (int p = 0; p < pages; p++) addrs[p] = ((long) p << 12) + (rnd.nextInt(512) << 3);
        for (int p = pages - 1; p > 0; p--) {
            int q = rnd.nextInt(p + 1);
            long t = addrs[p]; addrs[p] = addrs[q]; addrs[q] = t;
        }
    }

    @TearDown(Level.Trial)
    public void teardown() { ram.close(); }

    @Benchmark
    public long physicalMemoryLoad64() {
        long pa = addrs[i++ & (addrs.length - 1)];
        return ram.load64(pa);
    }

    @Benchmark
    public long rawSegmentLoad64() {
        long pa = addrs[i++ & (addrs.length - 1)];
        return segment.get(LE64, pa);
    }
}
