package org.dfemu.emulator.sched;

import java.util.Arrays;

import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.trace.EmulatorEvents;

/**
 * A {@link TraceSink} that keeps every record in memory, so that two runs can be compared event
 * by event (the determinism check: same seed and settings, same sequence). Records are packed
 * eight longs each into one growing array: no allocation per record beyond amortised growth.
 * Not for long runs; use the file trace for those.
 */
public final class TraceLog implements TraceSink {
    private static final int FIELDS = 8;
    private static final String[] NAMES = EmulatorEvents.names();

    private long[] data = new long[FIELDS * 256];
    private int size;

    @Override
    public void record(long timeNs, int cpu, int thread, int type, long a0, long a1, long a2, long a3) {
        int at = size * FIELDS;
        if (at + FIELDS > data.length) data = Arrays.copyOf(data, data.length * 2);
        data[at] = timeNs;
        data[at + 1] = cpu;
        data[at + 2] = thread;
        data[at + 3] = type;
        data[at + 4] = a0;
        data[at + 5] = a1;
        data[at + 6] = a2;
        data[at + 7] = a3;
        size++;
    }

    /** Number of records. */
    public int size() { return size; }

    /** Event type of record {@code i}. */
    public int type(int i) { return (int) field(i, 3); }

    /** Thread id of record {@code i}. */
    public int thread(int i) { return (int) field(i, 2); }

    /** Virtual time of record {@code i}. */
    public long timeNs(int i) { return field(i, 0); }

    /** Argument {@code n} (0..3) of record {@code i}. */
    public long arg(int i, int n) { return field(i, 4 + n); }

    /** Number of records of {@code type}. */
    public int count(int type) {
        int n = 0;
        for (int i = 0; i < size; i++) if (type(i) == type) n++;
        return n;
    }

    /** Index of the first record that differs from {@code other}'s, or -1 if both are equal. */
    public int firstDifference(TraceLog other) {
        int common = Math.min(size, other.size);
        int at = Arrays.mismatch(data, 0, common * FIELDS, other.data, 0, common * FIELDS);
        if (at >= 0) return at / FIELDS;
        return size == other.size ? -1 : common;
    }

    /** Record {@code i} as one readable line. */
    public String format(int i) {
        int type = type(i);
        String name = type >= 0 && type < NAMES.length ? NAMES[type] : "kernel_" + type;
        return String.format("%s cpu%d tid %d %s %d %d %d %d", VirtualTime.seconds(timeNs(i)), field(i, 1),
                thread(i), name, arg(i, 0), arg(i, 1), arg(i, 2), arg(i, 3));
    }

    private long field(int i, int f) {
        if (i < 0 || i >= size) throw new IndexOutOfBoundsException("record " + i + " of " + size);
        return data[i * FIELDS + f];
    }
}
