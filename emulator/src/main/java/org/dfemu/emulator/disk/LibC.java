package org.dfemu.emulator.disk;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * The few libc calls the block device makes, bound with JNA direct mapping (the fastest JNA
 * binding; measured as fast as {@code FileChannel}'s positional I/O for 4 KiB and 64 KiB
 * transfers).
 *
 * <p>Why raw file descriptors and not {@code FileChannel}: one descriptor serves reads, writes,
 * {@code fsync} and {@code fallocate} (which has no Java API); errno comes back exactly (the hole
 * punch must tell {@code EOPNOTSUPP} from a real error); and a {@code FileChannel} is closed for
 * good when the thread using it is interrupted, which would kill the disk under a scheduler that
 * interrupts its carrier threads.
 *
 * <p>Linux on an LP64 host only: {@code size_t}, {@code ssize_t}, {@code off_t} and pointers are
 * all 64-bit and passed as Java {@code long}s (a buffer is passed as its native address); the
 * constants below are Linux's. A failing call throws {@link LastErrorException} carrying errno.
 */
final class LibC {
    private LibC() {}

    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_CLOEXEC = 0x80000;

    static final int SEEK_END = 2;

    static final int FALLOC_FL_KEEP_SIZE = 0x01;
    static final int FALLOC_FL_PUNCH_HOLE = 0x02;

    static final int EINTR = 4;
    static final int ENOSYS = 38;
    static final int EOPNOTSUPP = 95;

    /** True when the calls below can be bound on this host. */
    static final boolean SUPPORTED = Platform.isLinux() && Platform.is64Bit();

    static {
        if (SUPPORTED) Native.register("c");
    }

    /** {@code open(2)}; declared with the optional mode argument, which is ignored without O_CREAT. */
    static native int open(String path, int flags, int mode) throws LastErrorException;

    static native int close(int fd) throws LastErrorException;

    static native long pread(int fd, long buf, long count, long offset) throws LastErrorException;

    static native long pwrite(int fd, long buf, long count, long offset) throws LastErrorException;

    static native int fsync(int fd) throws LastErrorException;

    static native int fallocate(int fd, int mode, long offset, long len) throws LastErrorException;

    static native int ftruncate(int fd, long length) throws LastErrorException;

    static native long lseek(int fd, long offset, int whence) throws LastErrorException;
}
