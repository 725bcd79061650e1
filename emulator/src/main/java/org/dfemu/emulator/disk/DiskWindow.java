package org.dfemu.emulator.disk;

import org.dfemu.emulator.memory.PhysicalMemory;

import java.lang.foreign.MemorySegment;

/**
 * The block device the kernel holds: a window of a {@link Disk}'s sectors, the whole disk or a
 * partition. It translates window-relative sectors to disk sectors; the disk checks each request
 * against the window and the disk's writable ranges, and queues it.
 */
final class DiskWindow implements BlockDevice {
    private final Disk disk;
    private final String name;
    private final SectorRange window;   // absolute sectors on the disk

    DiskWindow(Disk disk, String name, SectorRange window) {
        this.disk = disk;
        this.name = name;
        this.window = window;
    }

    @Override
    public String name() { return name; }

    @Override
    public long sectorCount() { return window.count(); }

    @Override
    public boolean readOnly() { return disk.readOnly(window); }

    @Override
    public long read(long sector, long count, PhysicalMemory ram, long pa, long len, IoCallback done) {
        return disk.submitTransfer(BlockOp.READ, window, sector, count, ram, pa, len, done);
    }

    @Override
    public long write(long sector, long count, PhysicalMemory ram, long pa, long len, IoCallback done) {
        return disk.submitTransfer(BlockOp.WRITE, window, sector, count, ram, pa, len, done);
    }

    @Override
    public long readv(long sector, long count, PhysicalMemory ram, DmaSegment[] segments, IoCallback done) {
        return disk.submitTransfer(BlockOp.READ, window, sector, count, ram, segments, done);
    }

    @Override
    public long writev(long sector, long count, PhysicalMemory ram, DmaSegment[] segments, IoCallback done) {
        return disk.submitTransfer(BlockOp.WRITE, window, sector, count, ram, segments, done);
    }

    @Override
    public long read(long sector, long count, MemorySegment target, IoCallback done) {
        return disk.submitTransfer(BlockOp.READ, window, sector, count, target, done);
    }

    @Override
    public long write(long sector, long count, MemorySegment source, IoCallback done) {
        return disk.submitTransfer(BlockOp.WRITE, window, sector, count, source, done);
    }

    @Override
    public long discard(long sector, long count, IoCallback done) {
        return disk.submitDiscard(window, sector, count, done);
    }

    @Override
    public long flush(IoCallback done) {
        return disk.submitFlush(done);
    }

    @Override
    public BlockDevice partition(long first, long count) {
        SectorRange inner = new SectorRange(first, count);
        if (inner.end() > window.count()) {
            throw new IllegalArgumentException(name + ": partition of sectors " + first + ".." + (inner.end() - 1)
                    + " lies outside the device (" + window.count() + " sectors)");
        }
        return new DiskWindow(disk, disk.name() + "[" + (window.first() + first) + "+" + count + "]",
                new SectorRange(window.first() + first, count));
    }

    @Override
    public String toString() { return name; }
}
