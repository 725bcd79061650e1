package org.dfemu.tools.trace;

import java.util.Arrays;

/**
 * Spans ([start, end] on a track, a label and three arguments) held in parallel primitive arrays,
 * and the fix-up that makes them nest on every track: Chrome's and Perfetto's complete events
 * ("ph":"X") on one track must nest properly (a span that starts inside another ends inside it).
 * Spans come from different sources (a fault, the sleep inside it, an allocation, a swap I/O) and
 * two of them can overlap without nesting; {@link #assignLanes} then moves the later one to an
 * overlap lane, a track of its own next to the first, so no span is cut or dropped.
 */
final class SpanTable {
    /** Track groups (bits 32.. of a track key); the low 32 bits are the id within the group. */
    static final int THREAD = 0;
    static final int CPU = 1;
    static final int SWAP = 2;
    static final int DISK = 3;

    int size;
    long[] start = new long[1024];
    long[] end = new long[1024];
    long[] track = new long[1024];
    int[] label = new int[1024];
    long[] a0 = new long[1024];
    long[] a1 = new long[1024];
    long[] a2 = new long[1024];
    /** After {@link #assignLanes}: span indices sorted by (track, start, longest first). */
    int[] order;
    /** After {@link #assignLanes}: each span's lane on its track (0: the track itself). */
    int[] lane;

    static long track(int group, int id) {
        return (long) group << 32 | (id & 0xFFFFFFFFL);
    }

    static int group(long track) {
        return (int) (track >>> 32);
    }

    static int id(long track) {
        return (int) track;
    }

    void add(long startNs, long endNs, long trackKey, int labelId, long x0, long x1, long x2) {
        if (size == start.length) {
            int n = size * 2;
            start = Arrays.copyOf(start, n);
            end = Arrays.copyOf(end, n);
            track = Arrays.copyOf(track, n);
            label = Arrays.copyOf(label, n);
            a0 = Arrays.copyOf(a0, n);
            a1 = Arrays.copyOf(a1, n);
            a2 = Arrays.copyOf(a2, n);
        }
        start[size] = startNs;
        end[size] = Math.max(endNs, startNs);
        track[size] = trackKey;
        label[size] = labelId;
        a0[size] = x0;
        a1[size] = x1;
        a2[size] = x2;
        size++;
    }

    private int compare(int x, int y) {
        int c = Long.compare(track[x], track[y]);
        if (c != 0) return c;
        c = Long.compare(start[x], start[y]);
        if (c != 0) return c;
        c = Long.compare(end[y], end[x]); // the longer span first, so it becomes the parent
        return c != 0 ? c : Integer.compare(x, y);
    }

    /**
     * Sorts the spans by track and start and gives each a lane such that on every (track, lane)
     * the spans nest properly. Returns the number of spans not in lane 0.
     */
    int assignLanes() {
        order = new int[size];
        for (int i = 0; i < size; i++) order[i] = i;
        mergeSort(order, new int[size], 0, size);
        lane = new int[size];
        int moved = 0;
        long[][] stacks = new long[4][];
        int[] depth = new int[4];
        int lanes = 0;
        long current = Long.MIN_VALUE;
        for (int k = 0; k < size; k++) {
            int i = order[k];
            if (track[i] != current) {
                current = track[i];
                lanes = 0;
            }
            long s = start[i];
            long e = end[i];
            int chosen = -1;
            for (int l = 0; l < lanes; l++) {
                long[] st = stacks[l];
                while (depth[l] > 0 && st[depth[l] - 1] <= s) depth[l]--;
                if (depth[l] == 0 || st[depth[l] - 1] >= e) {
                    chosen = l;
                    break;
                }
            }
            if (chosen < 0) {
                chosen = lanes++;
                if (chosen == stacks.length) {
                    stacks = Arrays.copyOf(stacks, chosen * 2);
                    depth = Arrays.copyOf(depth, chosen * 2);
                }
                if (stacks[chosen] == null) stacks[chosen] = new long[16];
                depth[chosen] = 0;
            }
            if (depth[chosen] == stacks[chosen].length) stacks[chosen] = Arrays.copyOf(stacks[chosen], depth[chosen] * 2);
            stacks[chosen][depth[chosen]++] = e;
            lane[i] = chosen;
            if (chosen > 0) moved++;
        }
        return moved;
    }

    private void mergeSort(int[] a, int[] tmp, int lo, int hi) {
        if (hi - lo < 24) {
            for (int i = lo + 1; i < hi; i++) {
                int v = a[i];
                int j = i - 1;
                while (j >= lo && compare(a[j], v) > 0) {
                    a[j + 1] = a[j];
                    j--;
                }
                a[j + 1] = v;
            }
            return;
        }
        int mid = (lo + hi) >>> 1;
        mergeSort(a, tmp, lo, mid);
        mergeSort(a, tmp, mid, hi);
        if (compare(a[mid - 1], a[mid]) <= 0) return;
        System.arraycopy(a, lo, tmp, lo, hi - lo);
        int i = lo;
        int j = mid;
        for (int k = lo; k < hi; k++) {
            if (j >= hi || (i < mid && compare(tmp[i], tmp[j]) <= 0)) a[k] = tmp[i++];
            else a[k] = tmp[j++];
        }
    }
}
