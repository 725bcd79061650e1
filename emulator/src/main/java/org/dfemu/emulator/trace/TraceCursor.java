package org.dfemu.emulator.trace;

import static org.dfemu.emulator.trace.TraceFormat.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Walks the records of a {@link TraceReader} in file order, reading each field in place from the
 * mapped file: {@link #next()} moves to the next record, the accessors read the current one.
 * Nothing is allocated per record.
 *
 * <pre>
 *   TraceCursor c = reader.cursor();
 *   while (c.next()) {
 *       print(c.timeNs(), c.cpu(), c.thread(), c.name(), c.a0(), c.a1(), c.a2(), c.a3());
 *   }
 * </pre>
 *
 * <p>Thread safety: one thread at a time; the reader must stay open.
 */
public final class TraceCursor {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment file;
    private final String source;
    private final long headerBytes;
    private final long records;
    private final List<String> names;
    /** Index of the current record; -1 before the first, {@link #records} after the last. */
    private long index = -1;
    /** File offset of the current record. */
    private long at;
    /** The current record's type/cpu word. */
    private int typeCpu;

    TraceCursor(MemorySegment file, String source, long headerBytes, long records, List<String> names) {
        this.file = file;
        this.source = source;
        this.headerBytes = headerBytes;
        this.records = records;
        this.names = names;
    }

    /**
     * Moves to the next record.
     *
     * @return false, and stays past the end, if there are no more records
     * @throws TraceFormatException if the record's type is 0 (a damaged file that claimed to be
     *         closed cleanly) or not in the header's name table. No requirements.
     */
    public boolean next() throws TraceFormatException {
        if (index + 1 >= records) {
            index = records;
            return false;
        }
        long i = index + 1;
        long offset = headerBytes + i * RECORD_BYTES;
        int word = file.get(U32, offset + REC_TYPE_CPU);
        int type = word & 0xFFFF;
        if (type == 0 || type >= names.size()) {
            index = records;
            throw new TraceFormatException(source + ": record " + i + " (at byte " + offset + ") has event type "
                    + type + ", not in the header's name table of types 1.." + (names.size() - 1));
        }
        index = i;
        at = offset;
        typeCpu = word;
        return true;
    }

    /** Index of the current record, counting from 0. Caller must be on a record. */
    public long index() {
        check();
        return index;
    }

    /** Virtual time of the event in nanoseconds. Caller must be on a record. */
    public long timeNs() {
        check();
        return file.get(U64, at + REC_TIME);
    }

    /** Event type, an index into the reader's names. Caller must be on a record. */
    public int type() {
        check();
        return typeCpu & 0xFFFF;
    }

    /** Name of the event type (the header's string, not a copy). Caller must be on a record. */
    public String name() {
        return names.get(type());
    }

    /** CPU the event happened on, 0..65535. Caller must be on a record. */
    public int cpu() {
        check();
        int cpu = typeCpu >>> 16;
        return cpu == TraceFormat.NO_CPU ? -1 : cpu;
    }

    /** Emulated thread id. Caller must be on a record. */
    public int thread() {
        check();
        return file.get(U32, at + REC_THREAD);
    }

    /** First argument. Caller must be on a record. */
    public long a0() {
        check();
        return file.get(U64, at + REC_A0);
    }

    /** Second argument. Caller must be on a record. */
    public long a1() {
        check();
        return file.get(U64, at + REC_A1);
    }

    /** Third argument. Caller must be on a record. */
    public long a2() {
        check();
        return file.get(U64, at + REC_A2);
    }

    /** Fourth argument. Caller must be on a record. */
    public long a3() {
        check();
        return file.get(U64, at + REC_A3);
    }

    private void check() {
        if (index < 0 || index >= records) {
            throw new IllegalStateException("trace cursor is not on a record (call next() first, and only while it returns true)");
        }
    }
}
