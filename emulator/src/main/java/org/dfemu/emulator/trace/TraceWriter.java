package org.dfemu.emulator.trace;

import static org.dfemu.emulator.trace.TraceFormat.*;

import java.io.IOException;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;

import org.dfemu.emulator.api.TraceSink;

/**
 * Writes trace events to a file in the {@link TraceFormat} layout: a header holding the event
 * names and the category mask, then fixed-size 48-byte records appended through a memory mapping
 * that grows in chunks.
 *
 * <p>Life cycle: {@link #open} writes the header; {@link #record} appends one record, allocating
 * nothing on the Java heap and making no system call (only mapping a new chunk, once per
 * {@code chunkBytes}, does either); {@link #close} marks the header CLOSED with the record count
 * and cuts the file to its exact length. A writer that never reaches {@link #close} (the process
 * killed) leaves a file whose records are still readable up to the last whole one, by the crash
 * rule of {@link TraceFormat}.
 *
 * <p>Category mask: the types to record are fixed at open. {@link #enabled} answers from that
 * mask, so callers can skip building arguments, and {@link #record} drops events of a type that
 * is not enabled. The mask is stored in the header, so a reader can tell "no such event happened"
 * from "not recorded". {@link TraceCategories} builds a mask from category names.
 *
 * <p>Determinism: the file's bytes depend only on the names, the mask and the records (not on
 * the chunk size, the host or the time), so the same run gives the same file.
 *
 * <p>Thread safety: none. The machine runs one emulated thread at a time and its scheduler's
 * hand-off orders their memory effects; callers on several Java threads must be ordered that way.
 */
public final class TraceWriter implements TraceSink, AutoCloseable {
    /** Default mapping chunk: 64 MiB, i.e. 1.4 million records between two chunk mappings. */
    public static final long DEFAULT_CHUNK_BYTES = 64L << 20;
    /** Smallest chunk accepted. */
    public static final long MIN_CHUNK_BYTES = 64L << 10;

    private final MappedTraceStore store;
    private final List<String> names;
    private final int typeCount;
    /** The category mask as 64-bit words, bit (t &amp; 63) of word t &gt;&gt; 6. */
    private final long[] enabledWords;
    private final long headerBytes;
    /** Offset at which the next record goes. */
    private long next;
    private long records;
    private boolean closed;

    private TraceWriter(MappedTraceStore store, TraceHeader header) {
        this.store = store;
        this.names = header.names;
        this.typeCount = header.names.size();
        this.enabledWords = header.enabledWords();
        this.headerBytes = header.headerBytes;
        this.next = header.headerBytes;
    }

    /**
     * Creates (or replaces) {@code file} as a trace recording every type but 0. See
     * {@link #open(Path, List, BitSet, long)}.
     */
    public static TraceWriter open(Path file, List<String> names) throws IOException {
        BitSet all = new BitSet(names.size());
        if (names.size() > 1) all.set(1, names.size());
        return open(file, names, all, DEFAULT_CHUNK_BYTES);
    }

    /**
     * Creates (or replaces) {@code file} as a trace recording the types set in {@code enabled}.
     * See {@link #open(Path, List, BitSet, long)}.
     */
    public static TraceWriter open(Path file, List<String> names, BitSet enabled) throws IOException {
        return open(file, names, enabled, DEFAULT_CHUNK_BYTES);
    }

    /**
     * Creates (or replaces) {@code file} and writes its header. No requirements; may block on file
     * I/O. On return the file holds the header and no records.
     *
     * @param names event names indexed by type (for the machine and kernel, {@link EmulatorEvents#names()}
     *        followed by the kernel's own); type 0 is never recorded, so its name only fills the slot
     * @param enabled the category mask: the types to record (not type 0, no type without a name)
     * @param chunkBytes how much of the file is mapped (and the file extended) at a time; a multiple
     *        of 4 KiB, at least {@link #MIN_CHUNK_BYTES}; it does not change the file's contents
     * @throws IllegalArgumentException if the names or the mask break the rules of
     *         {@link TraceFormat}, or chunkBytes is out of range (the message says which)
     * @throws IOException if the file cannot be created or mapped
     */
    public static TraceWriter open(Path file, List<String> names, BitSet enabled, long chunkBytes)
            throws IOException {
        if (chunkBytes < MIN_CHUNK_BYTES || chunkBytes % 4096 != 0) {
            throw new IllegalArgumentException("trace: chunk size " + chunkBytes
                    + " must be a multiple of 4096 and at least " + MIN_CHUNK_BYTES);
        }
        TraceHeader header = TraceHeader.create(names, enabled);
        MappedTraceStore store = MappedTraceStore.create(file, chunkBytes);
        try {
            store.put(0, header.encode());
        } catch (RuntimeException e) {
            try {
                store.close(0);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return new TraceWriter(store, header);
    }

    /** True if {@code type} is in the category mask chosen at open. No requirements. */
    @Override
    public boolean enabled(int type) {
        return type > 0 && type < typeCount && (enabledWords[type >>> 6] & (1L << type)) != 0;
    }

    /**
     * Appends one record if {@code type} is enabled; does nothing if it is not. Allocates nothing
     * and does not block (a record that starts a new chunk maps it first). Caller must not call
     * concurrently (see the class comment). On return the record is visible to any reader of the
     * file.
     *
     * @param cpu 0..65534, or -1 for interrupt context (no CPU; stored as 0xFFFF)
     * @param type 1..typeCount-1
     * @throws IllegalArgumentException if type or cpu is out of range
     * @throws IllegalStateException if the writer is closed
     */
    @Override
    public void record(long timeNs, int cpu, int thread, int type, long a0, long a1, long a2, long a3) {
        if (closed) {
            throw new IllegalStateException("trace: record after close");
        }
        if (type <= 0 || type >= typeCount) {
            throw new IllegalArgumentException("trace: event type " + type + " is not in 1.." + (typeCount - 1));
        }
        if (cpu < -1 || cpu >= 0xFFFF) {
            throw new IllegalArgumentException("trace: cpu " + cpu + " of a " + names.get(type) + " event is not in -1..65534");
        }
        if ((enabledWords[type >>> 6] & (1L << type)) == 0) return;
        long at = next;
        store.putLong(at + REC_TIME, timeNs);
        store.putInt(at + REC_THREAD, thread);
        store.putLong(at + REC_A0, a0);
        store.putLong(at + REC_A1, a1);
        store.putLong(at + REC_A2, a2);
        store.putLong(at + REC_A3, a3);
        // The type/cpu word last: a nonzero type is what makes the record exist for a reader.
        store.putIntRelease(at + REC_TYPE_CPU, type | (cpu & 0xFFFF) << 16);
        next = at + RECORD_BYTES;
        records++;
    }

    /** Number of records written so far (events of disabled types not counted). No requirements. */
    public long recordCount() {
        return records;
    }

    /**
     * Marks the header CLOSED with the record count, unmaps the file and cuts it to exactly the
     * header and the records. Does nothing if already closed.
     *
     * @throws IOException if the file cannot be cut to length (the header is already marked then,
     *         so the file stays readable). May block on file I/O.
     */
    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        // Count before flag: a reader that sees CLOSED must see the count.
        store.putLong(OFF_RECORD_COUNT, records);
        store.putIntRelease(OFF_FLAGS, FLAG_CLOSED);
        store.close(headerBytes + records * RECORD_BYTES);
    }
}
