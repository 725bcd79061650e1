package org.dfemu.emulator.disk;

/**
 * A snapshot of a disk's counters. Requests are counted when submitted; the per-operation counts,
 * bytes and errors when they complete.
 *
 * @param requests          requests submitted, refused ones included
 * @param reads             reads completed OK
 * @param writes            writes completed OK
 * @param discards          discards completed OK
 * @param flushes           flushes completed OK
 * @param bytesRead         bytes moved from disk to memory
 * @param bytesWritten      bytes moved from memory to disk
 * @param sectorsDiscarded  sectors released by completed discards
 * @param errors            requests completed with a status other than OK (EIO or EROFS)
 * @param hostErrors        of those, EIO caused by the host file failing, not by the request
 * @param fsyncs            host fsync calls made by flushes
 * @param discardZeroFills  discards the host filesystem could not punch, so zeroes were written
 *                          (the space stays allocated)
 * @param queueDepth        requests submitted and not yet completed
 * @param maxQueueDepth     the largest queue depth seen
 */
public record DiskStats(long requests, long reads, long writes, long discards, long flushes,
                        long bytesRead, long bytesWritten, long sectorsDiscarded,
                        long errors, long hostErrors, long fsyncs, long discardZeroFills,
                        int queueDepth, int maxQueueDepth) {
}
