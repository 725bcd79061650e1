package org.dfemu.tools.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import org.dfemu.emulator.cpu.Cpu;
import org.dfemu.emulator.mmu.Access;
import org.dfemu.emulator.mmu.PageWalker;
import org.dfemu.emulator.mmu.Tlb;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What address translation costs a 64-bit load, all with 4 KiB kernel mappings built by
 * {@link MappedPages}:
 * <ul>
 *   <li>{@link #tlbHitLoad64} against {@link #rawSegmentLoad64}: a load through the CPU whose
 *       translation is in the TLB, and a load of the same physical address straight from the
 *       RAM segment, in the same order (16 pages, 1024 seeded random addresses). The TLB-hit
 *       path should cost a small multiple of the raw load (BenchTargets).
 *   <li>{@link #walk4Level}: the page walker alone, 4 levels, A already set (the steady state),
 *       over 4096 dense pages in a random order; {@link #walk4LevelSpread} the same over pages
 *       each under its own page table (16 MiB of tables), so the entries come from far out in
 *       the host's memory hierarchy; {@link #invlpgLoad64}: {@code invlpg} then a load through
 *       the CPU on the TLB-hit pages, i.e. the whole miss path (TLB lookup, walk, TLB insert)
 *       plus the load. A TLB miss should cost under 40 ns (BenchTargets).
 *   <li>{@link #tlbSweepLoad64} against {@link #rawSweepLoad64}: a pointer chase, one load per
 *       page in a seeded random cycle, over working sets from 16 KiB to 16 MiB, straddling the
 *       TLB's reach ({@value Tlb#SMALL_ENTRIES} direct-mapped 4 KiB slots = 2 MiB). Each load
 *       depends on the one before, so these are latencies, as in Sedna's sweep (the hit and
 *       walk benchmarks above issue independent loads). The raw chase shows what the host's
 *       own caches and TLB add at the same sizes, so the gap between the two is the emulated
 *       TLB's knee.
 * </ul>
 * Inputs are seeded; the hit state checks after every iteration that no access missed.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class MmuBenchmark {
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long SEED = 42;

    /** 16 dense pages (64 KiB): well inside the TLB, and inside the host's L2 cache. */
    @State(Scope.Thread)
    public static class HitPages {
        static final int PAGES = 16;
        static final int ADDRESSES = 1024;

        MappedPages machine;
        Cpu cpu;
        MemorySegment segment;
        long[] vas;
        long[] pas;
        int next;

        @Setup(Level.Trial)
        public void setup() {
            machine = new MappedPages(PAGES, MappedPages.DENSE_STRIDE);
            cpu = machine.cpu;
            segment = machine.ram.segment();
            vas = machine.scattered(ADDRESSES, SEED);
            pas = machine.pas(vas);
            machine.touchAndCheck(vas);
        }

        @TearDown(Level.Trial)
        public void teardown() { machine.close(); }
    }

    /** {@link HitPages} that fails the run if an iteration walked: it would not have measured hits. */
    @State(Scope.Thread)
    public static class CheckedHitPages extends HitPages {
        private long walksBefore;

        @Setup(Level.Iteration)
        public void countWalks() { walksBefore = cpu.tlb().walks(); }

        @TearDown(Level.Iteration)
        public void checkNoWalks() {
            long walks = cpu.tlb().walks() - walksBefore;
            if (walks != 0) throw new IllegalStateException("MmuBenchmark.tlbHitLoad64: " + walks + " TLB misses");
        }
    }

    /** 4096 pages (16 MiB) for the walker, dense or spread. */
    public abstract static class WalkPages {
        static final int PAGES = 4096;

        MappedPages machine;
        PageWalker walker;
        long cr3;
        long[] vas;
        int next;

        void setup(long stride) {
            machine = new MappedPages(PAGES, stride);
            walker = machine.walker;
            cr3 = machine.cr3;
            vas = machine.onePerPage(SEED);
            machine.touchAndCheck(vas);
        }

        @TearDown(Level.Trial)
        public void teardown() { machine.close(); }
    }

    @State(Scope.Thread)
    public static class DenseWalkPages extends WalkPages {
        @Setup(Level.Trial)
        public void setup() { setup(MappedPages.DENSE_STRIDE); }
    }

    @State(Scope.Thread)
    public static class SpreadWalkPages extends WalkPages {
        @Setup(Level.Trial)
        public void setup() { setup(MappedPages.SPREAD_STRIDE); }
    }

    /** A pointer chain through one address per page over a working set of {@code workingSetKiB}. */
    @State(Scope.Thread)
    public static class SweepPages {
        @Param({"16", "256", "1024", "2048", "4096", "8192", "16384"})
        public int workingSetKiB;

        MappedPages machine;
        Cpu cpu;
        MemorySegment segment;
        long vaCursor;
        long paCursor;

        @Setup(Level.Trial)
        public void setup() {
            machine = new MappedPages(workingSetKiB / 4, MappedPages.DENSE_STRIDE);
            cpu = machine.cpu;
            segment = machine.ram.segment();
            long[] vas = machine.onePerPage(SEED);
            machine.touchAndCheck(vas);
            machine.linkChains(vas);
            vaCursor = vas[0];
            paCursor = machine.pa(vas[0]) + 8;
        }

        @TearDown(Level.Trial)
        public void teardown() { machine.close(); }
    }

    @Benchmark
    public long tlbHitLoad64(CheckedHitPages s) {
        return s.cpu.load64(s.vas[s.next++ & (HitPages.ADDRESSES - 1)]);
    }

    @Benchmark
    public long rawSegmentLoad64(HitPages s) {
        return s.segment.get(LE64, s.pas[s.next++ & (HitPages.ADDRESSES - 1)]);
    }

    @Benchmark
    public long invlpgLoad64(HitPages s) {
        long va = s.vas[s.next++ & (HitPages.ADDRESSES - 1)];
        s.cpu.invlpg(va);
        return s.cpu.load64(va);
    }

    @Benchmark
    public long walk4Level(DenseWalkPages s) {
        return s.walker.walk(s.cr3, s.vas[s.next++ & (WalkPages.PAGES - 1)], Access.READ);
    }

    @Benchmark
    public long walk4LevelSpread(SpreadWalkPages s) {
        return s.walker.walk(s.cr3, s.vas[s.next++ & (WalkPages.PAGES - 1)], Access.READ);
    }

    @Benchmark
    public long tlbSweepLoad64(SweepPages s) {
        return s.vaCursor = s.cpu.load64(s.vaCursor);
    }

    @Benchmark
    public long rawSweepLoad64(SweepPages s) {
        return s.paCursor = s.segment.get(LE64, s.paCursor);
    }
}
