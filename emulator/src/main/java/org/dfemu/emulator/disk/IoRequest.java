package org.dfemu.emulator.disk;

import java.lang.foreign.MemorySegment;

/**
 * A queued request, waiting in the virtual clock for its completion time; running it completes
 * it.
 *
 * @param sector  absolute first sector on the disk
 * @param buffers DMA buffers of a read or write, in sector order (one per scatter-gather
 *                segment), null otherwise or when refused
 * @param completionNs virtual time the request completes at
 * @param verdict OK if the request passed the submission checks, else the status it ends with
 */
record IoRequest(Disk disk, long id, BlockOp op, long sector, long count, MemorySegment[] buffers,
                 IoStatus verdict, IoCallback done, long completionNs) implements Runnable {
    @Override
    public void run() {
        disk.complete(this);
    }
}
