package org.dfemu.tools.bench;

import java.util.List;
import java.util.Locale;

/**
 * The project's speed targets (docs/benchmarks.md): ratios of two benchmark scores measured in
 * the same run, and upper limits on single scores. Names are "Class.method" plus " key=value" for
 * each JMH parameter, as the table prints them.
 */
final class BenchTargets {
    private BenchTargets() {}

    /** numerator/denominator must be at most (or at least, if {@code atLeast}) {@code bound}. */
    record Ratio(String label, String numerator, String denominator, double bound, boolean atLeast) {
        boolean met(double ratio) { return atLeast ? ratio >= bound : ratio <= bound; }

        String target() { return (atLeast ? ">= " : "<= ") + bound; }
    }

    /**
     * The score of {@code benchmark}, in {@code unit} (as JMH prints it, e.g. "ns/op"), must be
     * below {@code bound}. Absolute, so it holds only on machines like the reference one.
     */
    record Limit(String label, String benchmark, String unit, double bound) {
        boolean met(double score) { return score < bound; }

        String target() { return String.format(Locale.ROOT, "< %s %s", bound, unit); }
    }

    /**
     * {@code events} over the time {@code minuend} takes beyond {@code subtrahend} (both in
     * ms/op), per second, must be at least {@code bound}: a rate of work measured as the
     * difference of two runs that share everything else.
     */
    record Rate(String label, long events, String minuend, String subtrahend, double bound) {
        double perSecond(double minuendMs, double subtrahendMs) { return events / ((minuendMs - subtrahendMs) / 1000); }

        boolean met(double rate) { return rate >= bound; }

        String target() { return String.format(Locale.ROOT, ">= %,.0f /s", bound); }
    }

    /** The zero-fill fault-rate targets (PagingBenchmark's class comment says what each measures). */
    static final List<Rate> RATES = List.of(
            new Rate("zero-fill faults per host second, steady state (16 x 8192)",
                    PagingBenchmark.STEADY_FAULTS, "PagingBenchmark.zeroFillSteady32Mx17",
                    "PagingBenchmark.zeroFillOnce32M", 1_000_000),
            new Rate("zero-fill faults per host second, first touch of host RAM (65536)",
                    65_536, "PagingBenchmark.zeroFill256M", "PagingBenchmark.bootOnly512M", 1_000_000));

    static final List<Ratio> RATIOS = List.of(
            // The swap target: the whole paging run (faults, pageout, swap I/O) against raw
            // FileChannel moving the same bytes (PagingBenchmark); a lower bound on the swap path's
            // throughput.
            new Ratio("swap out+in, whole paging run / raw FileChannel same bytes (throughput)",
                    "PagingBenchmark.rawChannelSameBytes", "PagingBenchmark.swapRoundTrip", 0.5, true),
            new Ratio("TLB-hit load64 / raw segment load64 (time)",
                    "MmuBenchmark.tlbHitLoad64", "MmuBenchmark.rawSegmentLoad64", 3.0, false),
            new Ratio("block device / raw FileChannel 64K writes (throughput)",
                    "BlockDeviceBenchmark.deviceSequentialWrite64k", "BlockDeviceBenchmark.rawChannelSequentialWrite64k", 0.7, true),
            // kmalloc+kfree within 4x of glibc malloc+free of the same size (CMallocReference).
            new Ratio("kmalloc+kfree 64 B / glibc malloc+free 64 B (time)",
                    "KmallocBenchmark.kmallocPair size=64", "glibc.mallocFree size=64", 4.0, false),
            new Ratio("kmalloc+kfree 256 B / glibc malloc+free 256 B (time)",
                    "KmallocBenchmark.kmallocPair size=256", "glibc.mallocFree size=256", 4.0, false),
            new Ratio("kmalloc+kfree 1024 B / glibc malloc+free 1024 B (time)",
                    "KmallocBenchmark.kmallocPair size=1024", "glibc.mallocFree size=1024", 4.0, false),
            // KmallocBenchmark's objects are 64 bytes, so glibc's 64-byte pair is the fair comparison.
            new Ratio("kmalloc_obj+kfree_obj 64 B / glibc malloc+free 64 B (time)",
                    "KmallocBenchmark.kmallocObjPair", "glibc.mallocFree size=64", 4.0, false),
            new Ratio("zalloc+zfree (PV ENTRY) / kmalloc_obj+kfree_obj (time)",
                    "ZallocBenchmark.zallocPair", "KmallocBenchmark.kmallocObjPair", 1.0, false),
            // Speed with the trace / speed without = time without / time with.
            new Ratio("default image run, trace on / off (speed)",
                    "TraceBenchmark.runDefaultImage trace=off", "TraceBenchmark.runDefaultImage trace=on", 0.5, true));

    /**
     * The TLB-miss target (under 40 ns), against the walk alone and against the CPU's whole miss
     * path; the boot-time target (under 0.5 s).
     */
    static final List<Limit> LIMITS = List.of(
            new Limit("TLB miss: 4-level walk alone, tables host-cache-hot",
                    "MmuBenchmark.walk4Level", "ns/op", 40),
            new Limit("TLB miss: 4-level walk alone, tables spread over 16 MiB",
                    "MmuBenchmark.walk4LevelSpread", "ns/op", 40),
            new Limit("TLB miss: invlpg + load64 through the CPU",
                    "MmuBenchmark.invlpgLoad64", "ns/op", 40),
            new Limit("boot of a 1 GiB machine until workloads can start (wall time)",
                    "BootBenchmark.boot1GiB", "ms/op", 500));
}
