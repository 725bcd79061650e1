/**
 * The machine's block device: a disk image file seen as 512-byte sectors.
 *
 * <p>Layers, top down:
 * <ul>
 *   <li>{@link org.dfemu.emulator.disk.BlockDevice}: what the kernel holds, the whole disk or a
 *       partition window; submit a request, get an {@link org.dfemu.emulator.disk.IoCallback}
 *       interrupt later with an {@link org.dfemu.emulator.disk.IoStatus}. A read or write names
 *       its RAM as one physical range or as a scatter-gather list of
 *       {@link org.dfemu.emulator.disk.DmaSegment}s; either way it is one request.</li>
 *   <li>{@link org.dfemu.emulator.disk.Disk}: the one queue of a disk: checks, latency model
 *       ({@link org.dfemu.emulator.disk.LatencyModel}), completion events on the virtual clock,
 *       counters ({@link org.dfemu.emulator.disk.DiskStats}), trace events.</li>
 *   <li>{@code SectorStore}: where sectors live, synchronous: the image itself
 *       ({@code DirectStore}) or the image under a copy-on-write overlay ({@code CowStore}).</li>
 *   <li>{@code HostFile}: a raw host file descriptor through JNA (pread, pwrite, fsync,
 *       fallocate), moving data straight between the file and guest RAM.</li>
 * </ul>
 */
package org.dfemu.emulator.disk;
