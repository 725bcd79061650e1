package org.dfemu.emulator.disk;

import com.sun.jna.LastErrorException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * One host file opened through a raw descriptor: positional reads and writes straight between
 * the file and a native {@link MemorySegment} (no intermediate copy), {@code fsync}, and hole
 * punching. Byte offsets, no notion of sectors.
 *
 * <p>A file opened read-only is read-only at the OS level: a write through it fails with EBADF,
 * whatever the layers above believe.
 *
 * <p>Every failure, including use after {@link #close()}, is an {@link IOException}; the device
 * turns it into an EIO status. Not thread safe: the disk is driven by one host thread at a time.
 */
final class HostFile implements AutoCloseable {
    /** Largest single pread/pwrite; Linux moves at most about 2 GiB per call anyway. */
    private static final long MAX_CHUNK = 1L << 30;

    /** Source of zeroes for the discard fallback; read-only by convention, never written. */
    private static final MemorySegment ZEROES = Arena.global().allocate(64 * 1024, 4096);

    private final Path path;
    private final boolean writable;
    private int fd;

    private HostFile(Path path, boolean writable, int fd) {
        this.path = path;
        this.writable = writable;
        this.fd = fd;
    }

    /**
     * Opens {@code path}, read-only at the OS level unless {@code writable}.
     *
     * @throws IOException if the host is not Linux or the open fails (message names the file
     *         and errno)
     */
    static HostFile open(Path path, boolean writable) throws IOException {
        if (!LibC.SUPPORTED) {
            throw new IOException("the block device needs a 64-bit Linux host (open " + path + ")");
        }
        int flags = (writable ? LibC.O_RDWR : LibC.O_RDONLY) | LibC.O_CLOEXEC;
        try {
            return new HostFile(path, writable, LibC.open(path.toString(), flags, 0));
        } catch (LastErrorException e) {
            throw new IOException("cannot open " + path + (writable ? " read/write" : " read-only")
                    + ": errno " + e.getErrorCode(), e);
        }
    }

    Path path() { return path; }

    boolean writable() { return writable; }

    /** Current size of the file in bytes. */
    long size() throws IOException {
        try {
            return LibC.lseek(fd(), 0, LibC.SEEK_END);
        } catch (LastErrorException e) {
            throw failure("lseek", e);
        }
    }

    /** Sets the file's length; a longer file grows sparse (a hole, no blocks allocated). */
    void truncate(long length) throws IOException {
        try {
            LibC.ftruncate(fd(), length);
        } catch (LastErrorException e) {
            throw failure("ftruncate", e);
        }
    }

    /**
     * Fills {@code dst} with the file's bytes from {@code offset}. Reading past the end of the
     * file is an error (the device checked the range, so the file shrank under us).
     */
    void read(long offset, MemorySegment dst) throws IOException {
        if (!dst.isNative()) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment bounce = arena.allocate(dst.byteSize(), 4096);
                read(offset, bounce);
                dst.copyFrom(bounce);
            }
            return;
        }
        long done = 0;
        long len = dst.byteSize();
        while (done < len) {
            checkAlive(dst);
            long n;
            try {
                n = LibC.pread(fd(), dst.address() + done, Math.min(len - done, MAX_CHUNK), offset + done);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == LibC.EINTR) continue;
                throw failure("pread", e);
            }
            if (n == 0) throw new IOException(path + ": unexpected end of file at offset " + (offset + done));
            done += n;
        }
    }

    /** Writes all of {@code src} to the file at {@code offset}. */
    void write(long offset, MemorySegment src) throws IOException {
        if (!src.isNative()) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment bounce = arena.allocate(src.byteSize(), 4096);
                bounce.copyFrom(src);
                write(offset, bounce);
            }
            return;
        }
        long done = 0;
        long len = src.byteSize();
        while (done < len) {
            checkAlive(src);
            try {
                done += LibC.pwrite(fd(), src.address() + done, Math.min(len - done, MAX_CHUNK), offset + done);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == LibC.EINTR) continue;
                throw failure("pwrite", e);
            }
        }
    }

    /** {@code fsync(2)}: the file's data and metadata reach stable storage before return. */
    void fsync() throws IOException {
        try {
            LibC.fsync(fd());
        } catch (LastErrorException e) {
            throw failure("fsync", e);
        }
    }

    /**
     * Makes {@code [offset, offset+len)} read as zeroes, deallocating what it can:
     * {@code fallocate(PUNCH_HOLE | KEEP_SIZE)}. The kernel frees only the filesystem blocks the
     * range covers entirely and zeroes the partial blocks at either end in place, so a discard
     * that is not block aligned leaves those end blocks allocated. Bytes outside the range are
     * never touched and the file size never changes.
     *
     * @return true if a hole was punched, false if the filesystem cannot punch holes
     *         (EOPNOTSUPP or ENOSYS) and zeroes were written instead (blocks stay allocated)
     */
    boolean punchHole(long offset, long len) throws IOException {
        while (true) {
            try {
                LibC.fallocate(fd(), LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, offset, len);
                return true;
            } catch (LastErrorException e) {
                int errno = e.getErrorCode();
                if (errno == LibC.EINTR) continue;
                if (errno == LibC.EOPNOTSUPP || errno == LibC.ENOSYS) {
                    writeZeroes(offset, len);
                    return false;
                }
                throw failure("fallocate(PUNCH_HOLE)", e);
            }
        }
    }

    /** Writes {@code len} zero bytes at {@code offset} (the discard fallback). */
    void writeZeroes(long offset, long len) throws IOException {
        long done = 0;
        while (done < len) {
            long n = Math.min(len - done, ZEROES.byteSize());
            write(offset + done, ZEROES.asSlice(0, n));
            done += n;
        }
    }

    /** Closes the descriptor; later calls fail with an IOException. Idempotent. */
    @Override
    public void close() throws IOException {
        if (fd < 0) return;
        int old = fd;
        fd = -1;
        try {
            LibC.close(old);
        } catch (LastErrorException e) {
            throw failure("close", e);
        }
    }

    private int fd() throws IOException {
        if (fd < 0) throw new IOException(path + " is closed");
        return fd;
    }

    /**
     * A native address must not be handed to the host once its arena is closed (the call would
     * scribble on freed memory); checked before each call, which suffices because nothing frees
     * guest RAM while the disk is being driven.
     */
    private void checkAlive(MemorySegment segment) throws IOException {
        if (!segment.scope().isAlive()) throw new IOException(path + ": DMA buffer was freed");
    }

    private IOException failure(String call, LastErrorException e) {
        return new IOException(path + ": " + call + " failed: errno " + e.getErrorCode(), e);
    }
}
