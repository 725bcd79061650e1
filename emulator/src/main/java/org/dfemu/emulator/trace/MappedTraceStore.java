package org.dfemu.emulator.trace;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import net.openhft.chronicle.bytes.MappedBytes;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.core.io.BackgroundResourceReleaser;

/**
 * A file written through a memory mapping that grows in chunks: the only class that knows about
 * Chronicle Bytes, so the trace writer can move to an FFM mapping when Chronicle's
 * {@code sun.misc.Unsafe} access is no longer allowed (denied by default from JDK 26).
 *
 * <p>Chronicle's {@link MappedBytes} maps the file in chunks of {@code chunkBytes}, each mapped
 * with one page of overlap into the next so that a record straddling a chunk boundary is one
 * write; touching a chunk for the first time extends the file (sparse, zero-filled) to its end.
 * Stores are plain memory writes, so they cost no system call and allocate nothing; mapping a new
 * chunk allocates a few hundred bytes of Chronicle bookkeeping, once per chunk.
 *
 * <p>Chronicle writes in the host's byte order; the trace format is little-endian, so big-endian
 * hosts are refused at open rather than writing a file no reader could read.
 *
 * <p>Thread safety: none. Chronicle's own check that one thread owns the bytes is switched off,
 * because the machine's emulated threads are distinct Java (virtual) threads which the scheduler
 * runs one at a time; the caller must order its calls the same way.
 */
final class MappedTraceStore {
    /** Overlap of one chunk's mapping into the next; more than a record, as Chronicle needs. */
    private static final long PAGE_BYTES = 4096;

    private final Path file;
    private final MappedBytes bytes;

    private MappedTraceStore(Path file, MappedBytes bytes) {
        this.file = file;
        this.bytes = bytes;
    }

    /**
     * Creates {@code file}, or empties it if it exists, and maps it for writing.
     *
     * @param chunkBytes mapping granularity; a multiple of the 4 KiB page size
     * @throws IOException if the file cannot be created or mapped. May block on file I/O.
     */
    static MappedTraceStore create(Path file, long chunkBytes) throws IOException {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IOException("trace: writing traces needs a little-endian host (this one is "
                    + ByteOrder.nativeOrder() + ")");
        }
        // Chronicle maps an existing file as is; emptying it first keeps stale bytes of an older
        // trace from showing through the zero-filled tail the crash rule relies on.
        Files.newByteChannel(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING).close();
        MappedBytes bytes = MappedBytes.mappedBytes(file.toFile(), chunkBytes, PAGE_BYTES);
        bytes.singleThreadedCheckDisabled(true);
        // No msync when chunks are let go: the records are in the page cache the moment they are
        // stored, which is all a reader, or the crash rule after a killed process, needs.
        bytes.mappedFile().syncMode(SyncMode.NONE);
        return new MappedTraceStore(file, bytes);
    }

    /** Stores {@code v} little-endian at {@code offset}. Does not block (but may map a new chunk). */
    void putLong(long offset, long v) {
        bytes.writeLong(offset, v);
    }

    /** Stores {@code v} little-endian at {@code offset}. Does not block (but may map a new chunk). */
    void putInt(long offset, int v) {
        bytes.writeInt(offset, v);
    }

    /**
     * Stores {@code v} at {@code offset} after every store made before it (release ordering), so
     * whoever sees this value sees those stores too. Does not block (but may map a new chunk).
     */
    void putIntRelease(long offset, int v) {
        bytes.writeOrderedInt(offset, v);
    }

    /** Stores {@code b} at {@code offset}, across chunks if need be. Does not block (but may map new chunks). */
    void put(long offset, byte[] b) {
        bytes.write(offset, b, 0, b.length);
    }

    /**
     * Unmaps the file and cuts it to {@code length} bytes. The store is unusable afterwards.
     *
     * @throws IOException if the file cannot be truncated. May block on file I/O.
     */
    void close(long length) throws IOException {
        bytes.releaseLast();
        // Chronicle unmaps chunks on a background thread; wait for it so that the file is no
        // longer mapped when it is cut (and no mapping outlives the writer).
        BackgroundResourceReleaser.releasePendingResources();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(length);
        }
    }
}
