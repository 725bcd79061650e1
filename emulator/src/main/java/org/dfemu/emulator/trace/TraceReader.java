package org.dfemu.emulator.trace;

import static org.dfemu.emulator.trace.TraceFormat.*;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Reads a trace file written in the {@link TraceFormat} layout: validates the header at open,
 * works out where the records end (by the crash rule, so a trace whose writer was killed, or a
 * file cut short, reads up to its last whole record), and hands out {@link TraceCursor}s.
 *
 * <p>The file is mapped read-only with FFM (no Chronicle, no JVM flags needed), once, whole; a
 * cursor reads records in place and allocates nothing per record.
 *
 * <p>Thread safety: the reader and its cursors may be used from any thread; each cursor by one
 * thread at a time. Nothing may be used after {@link #close}.
 */
public final class TraceReader implements AutoCloseable {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Arena arena;
    private final MemorySegment file;
    private final String source;
    private final TraceHeader header;
    private final long records;

    private TraceReader(Arena arena, MemorySegment file, String source, TraceHeader header) {
        this.arena = arena;
        this.file = file;
        this.source = source;
        this.header = header;
        this.records = countRecords();
    }

    /**
     * Maps {@code path} and validates its header. No requirements; may block on file I/O. On
     * return the file is mapped until {@link #close}.
     *
     * @throws TraceFormatException if the file is not a readable trace (the message names the file
     *         and the problem, see the validation order in {@link TraceFormat})
     * @throws IOException if the file cannot be opened or mapped
     */
    public static TraceReader open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            String source = String.valueOf(path.getFileName());
            return new TraceReader(arena, file, source, TraceHeader.decode(file, source));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Applies the crash rule of {@link TraceFormat}. */
    private long countRecords() {
        long whole = (file.byteSize() - header.headerBytes) / RECORD_BYTES;
        // recordCount is a u64 outside the checksum: compared unsigned, so a damaged huge value
        // falls back to the scan instead of giving a negative count.
        if (header.closed && Long.compareUnsigned(header.declaredRecords, whole) <= 0) return header.declaredRecords;
        long n = 0;
        while (n < whole && typeAt(n) != 0) n++;
        return n;
    }

    private int typeAt(long index) {
        return Short.toUnsignedInt(file.get(U16, header.headerBytes + index * RECORD_BYTES + REC_TYPE));
    }

    /** Number of records to read (by the crash rule). No requirements. */
    public long recordCount() {
        return records;
    }

    /**
     * True if the writer closed the file cleanly and every record it wrote is in the file; false
     * for a trace whose writer was killed or a file cut short. No requirements.
     */
    public boolean complete() {
        return header.closed && records == header.declaredRecords;
    }

    /** Number of event types in the name table (types are 0..typeCount-1). No requirements. */
    public int typeCount() {
        return header.names.size();
    }

    /** Event names indexed by type, as the header has them (unmodifiable). No requirements. */
    public List<String> names() {
        return header.names;
    }

    /**
     * Name of event type {@code type}.
     *
     * @throws IndexOutOfBoundsException if type is not in 0..typeCount-1. No requirements.
     */
    public String name(int type) {
        return header.names.get(type);
    }

    /** True if type was in the writer's category mask (recorded when it happened). No requirements. */
    public boolean enabled(int type) {
        return header.enabled(type);
    }

    /** A new cursor placed before the first record. Caller must not have closed the reader. */
    public TraceCursor cursor() {
        return new TraceCursor(file, source, header.headerBytes, records, header.names);
    }

    /** Unmaps the file; the reader and its cursors are unusable afterwards. No requirements. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
