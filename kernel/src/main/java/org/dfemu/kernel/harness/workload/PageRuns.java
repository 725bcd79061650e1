package org.dfemu.kernel.harness.workload;

import java.util.Arrays;

/**
 * A set of page indexes as sorted, disjoint, non-adjacent runs {@code [start, end)}: the pages of
 * a region that are still mapped after {@code unmap rN PAGE COUNT}. Immutable; small (one run
 * more per partial unmap at most).
 */
final class PageRuns {
    /** start0, end0, start1, end1, ... */
    private final long[] runs;

    private PageRuns(long[] runs) {
        this.runs = runs;
    }

    /** Pages {@code [0, pages)}. */
    static PageRuns all(long pages) {
        return new PageRuns(new long[] {0, pages});
    }

    boolean isEmpty() { return runs.length == 0; }

    /** Number of runs. */
    int runCount() { return runs.length / 2; }

    long start(int run) { return runs[2 * run]; }

    long end(int run) { return runs[2 * run + 1]; }

    /** Whether the set is the single run {@code [0, pages)}. */
    boolean isAll(long pages) { return runs.length == 2 && runs[0] == 0 && runs[1] == pages; }

    /** Number of pages in the set. */
    long size() {
        long n = 0;
        for (int i = 0; i < runs.length; i += 2) n += runs[i + 1] - runs[i];
        return n;
    }

    /** Whether every page of {@code [from, to)} is in the set. */
    boolean covers(long from, long to) {
        for (int i = 0; i < runs.length; i += 2) {
            if (runs[i] <= from && to <= runs[i + 1]) return true;
        }
        return false;
    }

    /** Whether page {@code page} is in the set. */
    boolean contains(long page) { return covers(page, page + 1); }

    /** The {@code k}-th page of the set (from 0), {@code k < size()}. */
    long nth(long k) {
        for (int i = 0; i < runs.length; i += 2) {
            long n = runs[i + 1] - runs[i];
            if (k < n) return runs[i] + k;
            k -= n;
        }
        throw new IllegalArgumentException("page " + k + " of a set of " + size());
    }

    /** The set without {@code [from, to)}. */
    PageRuns minus(long from, long to) {
        long[] out = new long[runs.length + 2];
        int n = 0;
        for (int i = 0; i < runs.length; i += 2) {
            long s = runs[i];
            long e = runs[i + 1];
            if (e <= from || s >= to) {
                out[n++] = s;
                out[n++] = e;
                continue;
            }
            if (s < from) {
                out[n++] = s;
                out[n++] = from;
            }
            if (e > to) {
                out[n++] = to;
                out[n++] = e;
            }
        }
        return new PageRuns(Arrays.copyOf(out, n));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PageRuns p && Arrays.equals(runs, p.runs);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(runs); }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < runs.length; i += 2) {
            if (s.length() > 0) s.append(',');
            s.append(runs[i]).append("..").append(runs[i + 1] - 1);
        }
        return s.toString();
    }
}
