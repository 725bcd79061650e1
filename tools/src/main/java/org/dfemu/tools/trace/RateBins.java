package org.dfemu.tools.trace;

/**
 * Counts in fixed-width bins of virtual time, for rates (faults/s, swap pages/s): the width is a
 * round number (1, 2 or 5 times a power of ten nanoseconds) giving about 400 bins over the trace.
 */
final class RateBins {
    final long origin;
    final long width;
    final long[] count;

    RateBins(long origin, long width, long span) {
        this.origin = origin;
        this.width = width;
        this.count = new long[(int) Math.max(1, (span + width - 1) / width + 1)];
    }

    /** A round bin width giving about 400 bins over {@code spanNs} (at least 1 us). */
    static long binWidth(long spanNs) {
        long raw = Math.max(spanNs / 400, 1_000);
        long p = 1;
        while (p * 10 <= raw) p *= 10;
        if (raw >= 5 * p) return 5 * p;
        if (raw >= 2 * p) return 2 * p;
        return p;
    }

    void add(long timeNs, long n) {
        long b = (timeNs - origin) / width;
        if (b < 0) b = 0;
        if (b >= count.length) b = count.length - 1;
        count[(int) b] += n;
    }

    /** Bin b's count as a rate per second. */
    double perSecond(int b) {
        return count[b] * 1e9 / width;
    }
}
