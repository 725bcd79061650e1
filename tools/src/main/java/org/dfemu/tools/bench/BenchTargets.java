package org.dfemu.tools.bench;

import java.util.List;

/**
 * The speed targets the issues set, as ratios of two benchmark scores measured in the same run.
 * Names are "Class.method" plus " key=value" for each JMH parameter, as the table prints them.
 */
final class BenchTargets {
    private BenchTargets() {}

    /** numerator/denominator must be at most (or at least, if {@code atLeast}) {@code bound}. */
    record Ratio(String label, String numerator, String denominator, double bound, boolean atLeast) {
        boolean met(double ratio) { return atLeast ? ratio >= bound : ratio <= bound; }

        String target() { return (atLeast ? ">= " : "<= ") + bound; }
    }

    static final List<Ratio> RATIOS = List.of(
            new Ratio("TLB-hit load64 / raw segment load64 (time)",
                    "MmuBenchmark.tlbHitLoad64", "MmuBenchmark.rawSegmentLoad64", 3.0, false),
            new Ratio("block device / raw FileChannel 64K writes (throughput)",
                    "BlockDeviceBenchmark.deviceSequentialWrite64k", "BlockDeviceBenchmark.rawChannelSequentialWrite64k", 0.7, true));
}
