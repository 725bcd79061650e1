package org.dfemu.emulator.disk;

import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.memory.MachineCheckException;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.emulator.time.VirtualClock;
import org.dfemu.emulator.trace.EmulatorEvents;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.IntSupplier;

import static org.dfemu.emulator.disk.BlockDevice.SECTOR_SHIFT;
import static org.dfemu.emulator.disk.BlockDevice.SECTOR_SIZE;

/**
 * A disk: an image file seen as 512-byte sectors, with one request queue, a latency model, and
 * completion interrupts delivered through the {@link VirtualClock}. The kernel talks to it through
 * {@link #device()} (the whole disk) and its {@link BlockDevice#partition partitions}.
 *
 * <h2>What can be written</h2>
 * The writable sector ranges are fixed when the disk is opened (for a boot, the swap partition
 * only) and checked on every write and discard, whichever view it comes through: a request must
 * lie wholly inside one writable range, or it completes with EROFS. With no writable range the
 * image is opened read-only at the OS level, so not even a bug here could write it; in
 * {@link ImageMode#COPY_ON_WRITE} it is always opened read-only and writes go to an overlay
 * file (a sparse, unlinked host file with a per-sector presence bitmap; discarded sectors read as
 * zeroes, never as the image's old data).
 *
 * <pre>{@code
 *   // dfemu boot -R disk.img: the label says swap is sectors [swapFirst, swapFirst + swapCount)
 *   Disk disk = Disk.builder(image, clock)
 *           .mode(ImageMode.COPY_ON_WRITE)          // -r: ImageMode.DIRECT
 *           .writable(swapFirst, swapCount)         // nothing else can ever be written
 *           .latency(LatencyModel.parse("setup=100us,perbyte=2ns"))
 *           .trace(sink, cpuOfCaller, threadOfCaller)
 *           .open();
 *   BlockDevice swap = disk.device().partition(swapFirst, swapCount);
 *   swap.write(0, 8, ram, pa, 4096, (id, status) -> ...);   // completes later, as an interrupt
 * }</pre>
 *
 * <h2>Queueing model</h2>
 * One FIFO queue served by one server, requests served whole and in submission order:
 * <pre>
 *   completion(r) = max(now at submit, completion(previous request)) + setupNs + bytes * nsPerByte
 * </pre>
 * where {@code bytes} is the DMA length of a read or write that passed the checks (for a
 * scatter-gather request, {@link BlockDevice#readv readv}/{@link BlockDevice#writev writev}, all
 * its segments together: one request, one setup time, one completion), and 0 for a
 * discard, a flush or a refused request (setup time only). So an idle disk serves a request in
 * its service time and a busy one queues it behind the others; completions happen in id order
 * (equal times fire in scheduling order on the clock),
 * and a flush completes after every request submitted before it. The completion is a
 * {@code keepsAlive} clock event (pending I/O is work in progress for the deadlock detector).
 *
 * <h2>When data moves</h2>
 * At completion time, inside the completion event, just before the callback: the file is read or
 * written, the hole punched, the fsync made then. So until its interrupt a read's target memory
 * is unchanged, and a write reads its source memory as it is at completion (the kernel keeps such
 * pages busy, as with real DMA). A host failure at that point (ENOSPC, EIO from the host disk, the
 * disk closed under a pending request) completes the request with EIO and is remembered in
 * {@link #lastHostError()}; it is never an exception in the host.
 *
 * <h2>Trace</h2>
 * {@code io_submit (id, op code, first sector, sector count)} at submission, with the CPU and
 * thread from the suppliers given to the builder (the submitting kernel thread; -1 when they
 * cannot tell, e.g. a submit from interrupt context); {@code io_done (id, op code, errno, sector
 * count)} at completion, with CPU and thread -1 because completions run in interrupt context,
 * owned by no kernel thread. Sectors are absolute on the disk, not partition-relative. Times are
 * the clock's.
 *
 * <p>Threading: driven by one host thread at a time (the scheduler's rule); not locked.
 */
public final class Disk implements AutoCloseable {
    private final String name;
    private final String eventName;
    private final ImageMode mode;
    private final VirtualClock clock;
    private final LatencyModel latency;
    private final TraceSink trace;
    private final IntSupplier cpu;
    private final IntSupplier thread;
    private final SectorStore store;
    private final List<SectorRange> writable;
    private final DiskWindow device;

    private long nextId = 1;
    private long lastCompletionNs;
    private IOException lastHostError;

    private long requests;
    private long reads;
    private long writes;
    private long discards;
    private long flushes;
    private long bytesRead;
    private long bytesWritten;
    private long sectorsDiscarded;
    private long errors;
    private long hostErrors;
    private long fsyncs;
    private long discardZeroFills;
    private int queueDepth;
    private int maxQueueDepth;

    private Disk(Builder b, SectorStore store) {
        this.name = b.name;
        this.eventName = b.name + " io";
        this.mode = b.mode;
        this.clock = b.clock;
        this.latency = b.latency;
        this.trace = b.trace;
        this.cpu = b.cpu;
        this.thread = b.thread;
        this.store = store;
        this.writable = List.copyOf(b.writable);
        this.device = new DiskWindow(this, b.name, new SectorRange(0, store.sectorCount()));
    }

    /**
     * Starts describing a disk on {@code image} whose completions run on {@code clock}. By
     * default: {@link ImageMode#READ_ONLY}, nothing writable, {@link LatencyModel#DEFAULT}, no
     * trace, name "disk0", overlay in the JVM's temporary directory.
     */
    public static Builder builder(Path image, VirtualClock clock) {
        return new Builder(image, clock);
    }

    /** How a disk is opened. Not thread safe; used once. */
    public static final class Builder {
        private final Path image;
        private final VirtualClock clock;
        private ImageMode mode = ImageMode.READ_ONLY;
        private final List<SectorRange> writable = new ArrayList<>();
        private LatencyModel latency = LatencyModel.DEFAULT;
        private TraceSink trace = TraceSink.NONE;
        private IntSupplier cpu = () -> -1;
        private IntSupplier thread = () -> -1;
        private String name = "disk0";
        private Path overlayDirectory;

        private Builder(Path image, VirtualClock clock) {
            this.image = Objects.requireNonNull(image, "image");
            this.clock = Objects.requireNonNull(clock, "clock");
        }

        /** {@code -r} is {@link ImageMode#DIRECT}, {@code -R} is {@link ImageMode#COPY_ON_WRITE}. */
        public Builder mode(ImageMode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** Allows writes and discards to {@code count} sectors from {@code first}; may be repeated. */
        public Builder writable(long first, long count) {
            return writable(new SectorRange(first, count));
        }

        /** Allows writes and discards inside {@code range}; may be repeated. */
        public Builder writable(SectorRange range) {
            writable.add(Objects.requireNonNull(range, "range"));
            return this;
        }

        public Builder latency(LatencyModel latency) {
            this.latency = Objects.requireNonNull(latency, "latency");
            return this;
        }

        /**
         * Where to send {@code io_submit}/{@code io_done}, and who is submitting: {@code cpu} and
         * {@code thread} are asked at each submission (for instance the scheduler's current CPU
         * and thread id) and must return -1 rather than fail when there is no current thread.
         */
        public Builder trace(TraceSink trace, IntSupplier cpu, IntSupplier thread) {
            this.trace = Objects.requireNonNull(trace, "trace");
            this.cpu = Objects.requireNonNull(cpu, "cpu");
            this.thread = Objects.requireNonNull(thread, "thread");
            return this;
        }

        /** Name in reports and clock events. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Where {@link ImageMode#COPY_ON_WRITE} creates (and at once unlinks) its overlay file. */
        public Builder overlayDirectory(Path directory) {
            this.overlayDirectory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /**
         * Opens the image. May block on host I/O; done before the machine runs.
         *
         * @throws IOException if the image (or the overlay) cannot be opened or its size is not
         *         a positive multiple of 512 bytes; the message names the file
         * @throws IllegalArgumentException if a writable range is given in READ_ONLY mode or lies
         *         outside the image
         */
        public Disk open() throws IOException {
            if (mode == ImageMode.READ_ONLY && !writable.isEmpty()) {
                throw new IllegalArgumentException(image + ": writable ranges given for a read-only image");
            }
            boolean imageWritable = mode == ImageMode.DIRECT && !writable.isEmpty();
            HostFile file = HostFile.open(image, imageWritable);
            try {
                long size = file.size();
                if (size == 0 || (size & (SECTOR_SIZE - 1)) != 0) {
                    throw new IOException(image + ": size " + size + " bytes is not a whole, non-zero number of 512-byte sectors");
                }
                long sectors = size >>> SECTOR_SHIFT;
                for (SectorRange r : writable) {
                    if (r.end() > sectors) {
                        throw new IllegalArgumentException(image + ": writable sectors " + r.first() + ".."
                                + (r.end() - 1) + " lie outside the image (" + sectors + " sectors)");
                    }
                }
                SectorStore store = mode == ImageMode.COPY_ON_WRITE && !writable.isEmpty()
                        ? cowStore(file, size, sectors)
                        : new DirectStore(file, sectors);
                return new Disk(this, store);
            } catch (IOException | RuntimeException e) {
                file.close();
                throw e;
            }
        }

        private CowStore cowStore(HostFile file, long size, long sectors) throws IOException {
            long base = Long.MAX_VALUE;
            long end = 0;
            for (SectorRange r : writable) {
                base = Math.min(base, r.first());
                end = Math.max(end, r.end());
            }
            Path dir = overlayDirectory != null ? overlayDirectory : Path.of(System.getProperty("java.io.tmpdir"));
            Path path = Files.createTempFile(dir, "dfemu-overlay-", ".img");
            HostFile overlay;
            try {
                overlay = HostFile.open(path, true);
            } finally {
                // Unlinked at once: the descriptor keeps it alive, and nothing is left behind.
                Files.delete(path);
            }
            try {
                overlay.truncate(size);
                return new CowStore(file, overlay, sectors, base, end - base);
            } catch (IOException | RuntimeException e) {
                overlay.close();
                throw e;
            }
        }
    }

    /** The whole disk as a block device. No requirements. */
    public BlockDevice device() { return device; }

    public String name() { return name; }

    public ImageMode mode() { return mode; }

    /** Size in sectors, fixed at open. No requirements. */
    public long sectorCount() { return store.sectorCount(); }

    /** The sector ranges that may be written, fixed at open. No requirements. */
    public List<SectorRange> writableRanges() { return writable; }

    public LatencyModel latency() { return latency; }

    /** The counters now. No requirements. */
    public DiskStats stats() {
        return new DiskStats(requests, reads, writes, discards, flushes, bytesRead, bytesWritten,
                sectorsDiscarded, errors, hostErrors, fsyncs, discardZeroFills, queueDepth, maxQueueDepth);
    }

    /**
     * A request submitted and not yet completed.
     *
     * @param id           the request's id (as in the io trace events)
     * @param op           what it does
     * @param sector       absolute first sector on the disk
     * @param count        sectors
     * @param completionNs virtual time at which it completes
     */
    public record InFlight(long id, BlockOp op, long sector, long count, long completionNs) {}

    /**
     * (snapshot) The requests in flight, in completion order, read from the clock's pending
     * events. Reads only. From the owner of the machine, or after the run.
     */
    public List<InFlight> inFlight() {
        List<InFlight> out = new ArrayList<>();
        for (Runnable a : clock.pendingActions()) {
            if (a instanceof IoRequest r && r.disk() == this) {
                out.add(new InFlight(r.id(), r.op(), r.sector(), r.count(), r.completionNs()));
            }
        }
        return out;
    }

    /** The last host failure that turned a request into EIO, or null; for boot logs. No requirements. */
    public IOException lastHostError() { return lastHostError; }

    /**
     * (boot only) What a boot loader does through the firmware: reads sectors now, synchronously,
     * outside virtual time; not queued, not counted, not traced. For reading the label before the
     * machine runs, and for tools. Blocks on host I/O; leaves the queue and counters as they were.
     *
     * @throws IOException if {@code dst} is not a whole number of sectors, the range lies outside
     *         the disk, or the host read fails
     */
    public void loaderRead(long sector, MemorySegment dst) throws IOException {
        long count = dst.byteSize() >>> SECTOR_SHIFT;
        if ((dst.byteSize() & (SECTOR_SIZE - 1)) != 0 || count == 0
                || sector < 0 || sector > store.sectorCount() - count) {
            throw new IOException(name + ": loader read of " + dst.byteSize() + " bytes at sector " + sector
                    + " is not whole sectors inside the disk (" + store.sectorCount() + " sectors)");
        }
        store.read(sector, dst);
    }

    /**
     * Closes the files (the overlay vanishes). Requests still queued complete with EIO when their
     * time comes. Idempotent; may block on the host's close. Call after the machine stops.
     */
    @Override
    public void close() throws IOException {
        store.close();
    }

    // ---- submission (from DiskWindow) ------------------------------------------------------

    /** A read or write with its DMA buffer in RAM. */
    long submitTransfer(BlockOp op, SectorRange window, long sector, long count,
                        PhysicalMemory ram, long pa, long len, IoCallback done) {
        Objects.requireNonNull(ram, "ram");
        IoStatus verdict = check(op, window, sector, count, len);
        MemorySegment buffer = null;
        if (verdict == IoStatus.OK) {
            try {
                buffer = ram.slice(pa, len);
            } catch (MachineCheckException e) {
                verdict = IoStatus.EIO;
            }
        }
        return enqueue(op, window.first() + sector, count, buffer == null ? null : new MemorySegment[] {buffer},
                verdict, done);
    }

    /**
     * A read or write whose DMA buffer is a scatter-gather list of RAM ranges: each segment must
     * be whole sectors inside RAM, and together they must cover the request's sectors, or it
     * completes with EIO.
     */
    long submitTransfer(BlockOp op, SectorRange window, long sector, long count,
                        PhysicalMemory ram, DmaSegment[] segments, IoCallback done) {
        Objects.requireNonNull(ram, "ram");
        Objects.requireNonNull(segments, "segments");
        long len = 0;
        boolean wellFormed = segments.length > 0;
        for (DmaSegment seg : segments) {
            Objects.requireNonNull(seg, "segment");
            if (seg.len() <= 0 || (seg.len() & (SECTOR_SIZE - 1)) != 0 || len > Long.MAX_VALUE - seg.len()) {
                wellFormed = false;
                break;
            }
            len += seg.len();
        }
        IoStatus verdict = wellFormed ? check(op, window, sector, count, len) : IoStatus.EIO;
        MemorySegment[] buffers = null;
        if (verdict == IoStatus.OK) {
            buffers = new MemorySegment[segments.length];
            try {
                for (int i = 0; i < segments.length; i++) {
                    buffers[i] = ram.slice(segments[i].pa(), segments[i].len());
                }
            } catch (MachineCheckException e) {
                verdict = IoStatus.EIO;
                buffers = null;
            }
        }
        return enqueue(op, window.first() + sector, count, buffers, verdict, done);
    }

    /** A read or write with any segment as its buffer. */
    long submitTransfer(BlockOp op, SectorRange window, long sector, long count,
                        MemorySegment buffer, IoCallback done) {
        Objects.requireNonNull(buffer, "buffer");
        IoStatus verdict = check(op, window, sector, count, buffer.byteSize());
        // The host call writes through the raw address, which would ignore a read-only view.
        if (verdict == IoStatus.OK && op == BlockOp.READ && buffer.isReadOnly()) verdict = IoStatus.EIO;
        return enqueue(op, window.first() + sector, count,
                verdict == IoStatus.OK ? new MemorySegment[] {buffer} : null, verdict, done);
    }

    long submitDiscard(SectorRange window, long sector, long count, IoCallback done) {
        IoStatus verdict = check(BlockOp.DISCARD, window, sector, count, 0);
        return enqueue(BlockOp.DISCARD, window.first() + sector, count, null, verdict, done);
    }

    long submitFlush(IoCallback done) {
        return enqueue(BlockOp.FLUSH, 0, 0, null, IoStatus.OK, done);
    }

    /** True if no writable range shares a sector with {@code window}. */
    boolean readOnly(SectorRange window) {
        for (SectorRange r : writable) {
            if (r.overlaps(window.first(), window.count())) return false;
        }
        return true;
    }

    /**
     * The submission checks, in order: range inside the window and not empty (EIO), DMA length
     * equal to the sectors' bytes for a transfer (EIO), writable (EROFS).
     */
    private IoStatus check(BlockOp op, SectorRange window, long sector, long count, long len) {
        if (count <= 0 || sector < 0 || sector > window.count() - count) return IoStatus.EIO;
        boolean transfer = op == BlockOp.READ || op == BlockOp.WRITE;
        if (transfer && len != count << SECTOR_SHIFT) return IoStatus.EIO;
        if (op != BlockOp.READ && !writableAt(window.first() + sector, count)) return IoStatus.EROFS;
        return IoStatus.OK;
    }

    private boolean writableAt(long sector, long count) {
        for (SectorRange r : writable) {
            if (r.contains(sector, count)) return true;
        }
        return false;
    }

    private long enqueue(BlockOp op, long sector, long count, MemorySegment[] buffers, IoStatus verdict,
                         IoCallback done) {
        Objects.requireNonNull(done, "done");
        long id = nextId++;
        // A transfer that passed the checks moves exactly its sectors' bytes, however many segments.
        long bytes = buffers != null ? count << SECTOR_SHIFT : 0;
        long now = clock.now();
        long start = Math.max(now, lastCompletionNs);
        long completion = start + latency.serviceNs(bytes);
        if (completion < start) completion = Long.MAX_VALUE;
        lastCompletionNs = completion;

        requests++;
        queueDepth++;
        if (queueDepth > maxQueueDepth) maxQueueDepth = queueDepth;
        if (trace.enabled(EmulatorEvents.IO_SUBMIT)) {
            trace.record(now, cpu.getAsInt(), thread.getAsInt(), EmulatorEvents.IO_SUBMIT, id, op.code(), sector, count);
        }
        clock.schedule(completion, eventName, true, new IoRequest(this, id, op, sector, count, buffers, verdict, done, completion));
        return id;
    }

    // ---- completion (interrupt context) ----------------------------------------------------

    /** Runs at the request's completion time: moves the data, counts, traces, interrupts. */
    void complete(IoRequest r) {
        IoStatus status = r.verdict();
        if (status == IoStatus.OK) {
            try {
                transfer(r);
            } catch (IOException e) {
                status = IoStatus.EIO;
                hostErrors++;
                lastHostError = e;
            }
        }
        queueDepth--;
        if (status != IoStatus.OK) errors++;
        if (trace.enabled(EmulatorEvents.IO_DONE)) {
            trace.record(clock.now(), -1, -1, EmulatorEvents.IO_DONE, r.id(), r.op().code(), status.errno(), r.count());
        }
        r.done().ioDone(r.id(), status);
    }

    private void transfer(IoRequest r) throws IOException {
        switch (r.op()) {
            case READ -> {
                long s = r.sector();
                for (MemorySegment b : r.buffers()) {
                    store.read(s, b);
                    s += b.byteSize() >>> SECTOR_SHIFT;
                }
                reads++;
                bytesRead += r.count() << SECTOR_SHIFT;
            }
            case WRITE -> {
                long s = r.sector();
                for (MemorySegment b : r.buffers()) {
                    store.write(s, b);
                    s += b.byteSize() >>> SECTOR_SHIFT;
                }
                writes++;
                bytesWritten += r.count() << SECTOR_SHIFT;
            }
            case DISCARD -> {
                if (!store.discard(r.sector(), r.count())) discardZeroFills++;
                discards++;
                sectorsDiscarded += r.count();
            }
            case FLUSH -> {
                if (store.flush()) fsyncs++;
                flushes++;
            }
        }
    }
}
