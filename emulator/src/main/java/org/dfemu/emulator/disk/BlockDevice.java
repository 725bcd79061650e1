package org.dfemu.emulator.disk;

import org.dfemu.emulator.memory.PhysicalMemory;

import java.lang.foreign.MemorySegment;

/**
 * A block device as the kernel sees it: 512-byte sectors numbered from 0, requests submitted
 * asynchronously and completed later by an interrupt ({@link IoCallback}) at a virtual time given
 * by the disk's latency model. A {@link Disk} is one; {@link #partition} gives a window onto one.
 *
 * <p>Submission never blocks, never completes the request before returning, and never throws for
 * anything the request asks: a malformed request (see {@link IoStatus#EIO}) or a write where
 * writing is not allowed ({@link IoStatus#EROFS}) is queued like any other and completes with that
 * status, touching nothing. Only host programming errors (a null argument) throw.
 *
 * <p>Data moves at completion time, not at submission: a read's target memory changes, and a
 * write's source memory is read, only when the completion interrupt is due, so the kernel can
 * never observe data early, and must keep a write's source pages (and a read's target pages) busy
 * until the callback, as with real DMA.
 *
 * <p>Every submit method returns the request's id: positive, increasing by one per request on the
 * disk (all partitions of a disk share the disk's ids and its queue); the same id is passed to the
 * callback and written in the trace.
 *
 * <p>Callers: kernel threads, or interrupt context (a completion may submit the next request);
 * one host thread at a time, as everything the scheduler runs.
 */
public interface BlockDevice {
    /** Bytes per sector. */
    int SECTOR_SIZE = 512;
    /** log2 of {@link #SECTOR_SIZE}. */
    int SECTOR_SHIFT = 9;

    /** A short name for reports and clock events ("disk0", "disk0[2048+4096]"). */
    String name();

    /** Size in sectors. */
    long sectorCount();

    /** True if no sector of this device can ever be written (every write or discard is EROFS). */
    boolean readOnly();

    /**
     * Reads {@code count} sectors from {@code sector} into RAM at {@code pa}; {@code len} is the
     * DMA length in bytes and must equal {@code count * 512}, and {@code [pa, pa + len)} must lie
     * in {@code ram}, or the request completes with EIO.
     *
     * @return the request id. Does not block.
     */
    long read(long sector, long count, PhysicalMemory ram, long pa, long len, IoCallback done);

    /**
     * Writes {@code count} sectors at {@code sector} from RAM at {@code pa}; the same checks as
     * {@link #read(long, long, PhysicalMemory, long, long, IoCallback)}, plus EROFS outside the
     * writable ranges. RAM is read at completion time.
     *
     * @return the request id. Does not block.
     */
    long write(long sector, long count, PhysicalMemory ram, long pa, long len, IoCallback done);

    /**
     * Reads {@code count} sectors from {@code sector} into the RAM ranges of {@code segments}, in
     * list order (a scatter read): one request, one completion, one setup time in the latency
     * model. The request completes with EIO if the list is empty, a segment's length is not a
     * positive multiple of 512, a segment does not lie in {@code ram}, or the lengths do not add
     * up to {@code count * 512}. The array is read at submission only; the caller may reuse it.
     *
     * @return the request id. Does not block.
     */
    long readv(long sector, long count, PhysicalMemory ram, DmaSegment[] segments, IoCallback done);

    /**
     * Writes {@code count} sectors at {@code sector} from the RAM ranges of {@code segments}, in
     * list order (a gather write); the same checks as
     * {@link #readv(long, long, PhysicalMemory, DmaSegment[], IoCallback)}, plus EROFS outside
     * the writable ranges. RAM is read at completion time.
     *
     * @return the request id. Does not block.
     */
    long writev(long sector, long count, PhysicalMemory ram, DmaSegment[] segments, IoCallback done);

    /**
     * (tools) Reads into any segment (heap segments go through a bounce buffer); its size is the
     * DMA length. Otherwise as the RAM variant.
     *
     * @return the request id. Does not block.
     */
    long read(long sector, long count, MemorySegment target, IoCallback done);

    /**
     * (tools) Writes from any segment; its size is the DMA length. Otherwise as the RAM variant.
     *
     * @return the request id. Does not block.
     */
    long write(long sector, long count, MemorySegment source, IoCallback done);

    /**
     * Discards (TRIMs) {@code count} sectors from {@code sector}: afterwards they read as zeroes
     * and the host file's space for them is released where the filesystem can (whole filesystem
     * blocks only). EROFS outside the writable ranges, EIO if out of range or empty.
     *
     * @return the request id. Does not block.
     */
    long discard(long sector, long count, IoCallback done);

    /**
     * Flushes the whole disk: completes after every request submitted before it (the queue is
     * FIFO), having fsynced the host file that holds the disk's writes. On a disk with nothing
     * writable it completes OK without an fsync.
     *
     * @return the request id. Does not block.
     */
    long flush(IoCallback done);

    /**
     * A window of {@code count} sectors from this device's sector {@code first}: sector 0 of the
     * window is sector {@code first} here. Requests are checked against the window and then go
     * to the same disk queue; the window can write only where the disk is writable.
     *
     * @throws IllegalArgumentException if the window does not lie inside this device (a host
     *         configuration error, e.g. a bad partition table the caller did not check)
     */
    BlockDevice partition(long first, long count);
}
