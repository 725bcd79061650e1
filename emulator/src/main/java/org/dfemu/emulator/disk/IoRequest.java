package org.dfemu.emulator.disk;

import java.lang.foreign.MemorySegment;

/**
 * A queued request, waiting in the virtual clock for its completion time; running it completes
 * it.
 *
 * @param sector  absolute first sector on the disk
 * @param buffer  DMA buffer of a read or write, null otherwise or when refused
 * @param verdict OK if the request passed the submission checks, else the status it ends with
 */
record IoRequest(Disk disk, long id, BlockOp op, long sector, long count, MemorySegment buffer,
                 IoStatus verdict, IoCallback done) implements Runnable {
    @Override
    public void run() {
        disk.complete(this);
    }
}
