package org.dfemu.emulator.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The machine's RAM: one off-heap {@link MemorySegment} from a shared arena, addressed by
 * physical address (a long from 0 to {@link #size()}).
 *
 * <p>The guest is x86-64, so every multi-byte access is little-endian whatever the host order.
 * Plain loads and stores of 8/16/32/64 bits may be unaligned (x86 allows it); atomics
 * (compare-and-set, fetch-add, volatile get/set) must be naturally aligned, as the JDK supports
 * CAS only on aligned handles and as {@code lock cmpxchg} across a cache line is what no kernel
 * does.
 *
 * <p>Bounds: every access is checked by FFM; an access outside RAM is turned into a
 * {@link MachineCheckException} carrying the address, never a JVM crash and never a JDK
 * IndexOutOfBoundsException leaking to the kernel. The check is FFM's own (no duplicate test on
 * the fast path); the exception is translated at this edge, as Lucene's MemorySegmentIndexInput
 * does.
 *
 * <p>RAM is an anonymous private mapping (see {@link AnonymousMapping}): zero pages appear on
 * first touch, so a large machine powers on at once and untouched RAM costs the host nothing.
 *
 * <p>Physical page 0 exists and is addressable (it holds the boot page tables in most setups);
 * whether it is given to the page allocator is the kernel's decision.
 *
 * <p>Thread safety: one host thread at a time. The machine's scheduler runs one emulated thread
 * at a time and orders each hand-off (a volatile write and read), so the next thread sees every
 * access of the last. Within that rule an atomic (compare-and-set, fetch-add, swap) is
 * indivisible by construction and is carried out as a plain load and store: the emulated
 * machine cannot tell, and the host's lock-prefixed instructions would cost several plain
 * accesses each (kernel code makes about 80 per page fault). Only the acquire/release pair keeps
 * its ordering on the host (acquire and release, as the C's _acq/_rel; free on x86). A RAM shared by host threads running at once (nothing in dfemu does that)
 * would need the atomics back.
 */
public final class PhysicalMemory implements AutoCloseable {
    /** Size of a small page (x86-64 4 KiB). */
    public static final int PAGE_SIZE = 4096;
    public static final int PAGE_SHIFT = 12;
    public static final long PAGE_MASK = PAGE_SIZE - 1;

    /** Smallest machine we build: 16 MiB (below that DragonFly's own boot would not fit). */
    public static final long MIN_SIZE = 16L << 20;

    private static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    // Aligned handle for the acquire/release pair; the leading long coordinate is the byte offset.
    private static final VarHandle ATOMIC64 =
            ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    /**
     * Whether each machine counts its RAM accesses ({@link #accessCounts}): only when the JVM runs
     * with {@code -Ddfemu.countMemoryAccesses=true}, for the benchmarks' accesses-per-fault
     * figures. A constant, so that otherwise the JIT drops the counting from every access.
     */
    public static final boolean COUNT_ACCESSES = Boolean.getBoolean("dfemu.countMemoryAccesses");

    private final Arena arena;
    private final MemorySegment ram;
    private final long size;
    // Access counts (COUNT_ACCESSES only). Plain longs: one emulated thread runs at a time, and
    // every scheduler hand-off orders the next thread's accesses after the last one's.
    private long loads;
    private long stores;
    private long atomics;
    private long bulk;

    /**
     * Allocates {@code size} bytes of zeroed RAM.
     *
     * @throws IllegalArgumentException if size is below {@link #MIN_SIZE}, not a multiple of the
     *         page size, or more than the host can give (the message says which).
     */
    public PhysicalMemory(long size) {
        if (size < MIN_SIZE) {
            throw new IllegalArgumentException("hw.physmem " + size + " bytes is below the minimum of 16M");
        }
        if ((size & PAGE_MASK) != 0) {
            throw new IllegalArgumentException("hw.physmem " + size + " bytes is not a multiple of the 4K page size");
        }
        long hostLimit = HostMemory.maxGuestBytes();
        if (size > hostLimit) {
            throw new IllegalArgumentException("hw.physmem " + PhysmemSize.format(size)
                    + " is more than this host can give (at most " + PhysmemSize.format(hostLimit) + ")");
        }
        this.arena = Arena.ofShared();
        try {
            // Lazily zeroed by the host kernel; Arena.allocate (which zero-fills eagerly) only
            // where anonymous mappings are unavailable.
            MemorySegment mapped = AnonymousMapping.map(arena, size);
            this.ram = mapped != null ? mapped : arena.allocate(size, PAGE_SIZE);
        } catch (OutOfMemoryError e) {
            arena.close();
            throw new IllegalArgumentException("hw.physmem " + PhysmemSize.format(size)
                    + ": the host refused to allocate it (" + e.getMessage() + ")");
        }
        this.size = size;
    }

    /** Bytes of RAM. */
    public long size() { return size; }

    /** Number of 4 KiB physical pages. */
    public long pageCount() { return size >>> PAGE_SHIFT; }

    /** The raw segment, for the MMU's and the block device's bulk paths only. */
    public MemorySegment segment() { return ram; }

    // ---- plain loads and stores -------------------------------------------------------------

    public int load8(long pa) {
        if (COUNT_ACCESSES) loads++;
        try { return ram.get(U8, pa) & 0xff; } catch (IndexOutOfBoundsException e) { throw mce("load", pa, 1); }
    }

    public int load16(long pa) {
        if (COUNT_ACCESSES) loads++;
        try { return ram.get(U16, pa) & 0xffff; } catch (IndexOutOfBoundsException e) { throw mce("load", pa, 2); }
    }

    public int load32(long pa) {
        if (COUNT_ACCESSES) loads++;
        try { return ram.get(U32, pa); } catch (IndexOutOfBoundsException e) { throw mce("load", pa, 4); }
    }

    public long load64(long pa) {
        if (COUNT_ACCESSES) loads++;
        try { return ram.get(U64, pa); } catch (IndexOutOfBoundsException e) { throw mce("load", pa, 8); }
    }

    public void store8(long pa, int v) {
        if (COUNT_ACCESSES) stores++;
        try { ram.set(U8, pa, (byte) v); } catch (IndexOutOfBoundsException e) { throw mce("store", pa, 1); }
    }

    public void store16(long pa, int v) {
        if (COUNT_ACCESSES) stores++;
        try { ram.set(U16, pa, (short) v); } catch (IndexOutOfBoundsException e) { throw mce("store", pa, 2); }
    }

    public void store32(long pa, int v) {
        if (COUNT_ACCESSES) stores++;
        try { ram.set(U32, pa, v); } catch (IndexOutOfBoundsException e) { throw mce("store", pa, 4); }
    }

    public void store64(long pa, long v) {
        if (COUNT_ACCESSES) stores++;
        try { ram.set(U64, pa, v); } catch (IndexOutOfBoundsException e) { throw mce("store", pa, 8); }
    }

    // ---- atomics (naturally aligned only) ---------------------------------------------------
    //
    // Indivisible for the emulated machine because only one of its threads runs at a time (see
    // the class comment), so they are a plain load and a plain store on the host: a host
    // lock-prefixed instruction would buy nothing and costs several times a plain access.

    /** {@code atomic_cmpset_int}: true if the 32-bit word held {@code expect} and now holds {@code update}. */
    public boolean cas32(long pa, int expect, int update) {
        if (COUNT_ACCESSES) atomics++;
        checkAtomic(pa, 4);
        if (ram.get(U32, pa) != expect) return false;
        ram.set(U32, pa, update);
        return true;
    }

    /** {@code atomic_cmpset_long}. */
    public boolean cas64(long pa, long expect, long update) {
        if (COUNT_ACCESSES) atomics++;
        checkAtomic(pa, 8);
        if (ram.get(U64, pa) != expect) return false;
        ram.set(U64, pa, update);
        return true;
    }

    /** {@code atomic_fetchadd_int}: adds and returns the previous value. */
    public int fetchAdd32(long pa, int delta) {
        if (COUNT_ACCESSES) atomics++;
        checkAtomic(pa, 4);
        int old = ram.get(U32, pa);
        ram.set(U32, pa, old + delta);
        return old;
    }

    /** {@code atomic_fetchadd_long}. */
    public long fetchAdd64(long pa, long delta) {
        if (COUNT_ACCESSES) atomics++;
        checkAtomic(pa, 8);
        long old = ram.get(U64, pa);
        ram.set(U64, pa, old + delta);
        return old;
    }

    /** {@code atomic_swap_long}. */
    public long swap64(long pa, long v) {
        if (COUNT_ACCESSES) atomics++;
        checkAtomic(pa, 8);
        long old = ram.get(U64, pa);
        ram.set(U64, pa, v);
        return old;
    }

    /** Acquiring 64-bit load ({@code atomic_load_acq_long}): later accesses stay after it. */
    public long loadAcquire64(long pa) {
        if (COUNT_ACCESSES) atomics++;
        checkAtomic(pa, 8);
        return (long) ATOMIC64.getAcquire(ram, pa);
    }

    /** Releasing 64-bit store ({@code atomic_store_rel_long}): earlier accesses stay before it. */
    public void storeRelease64(long pa, long v) {
        if (COUNT_ACCESSES) atomics++;
        checkAtomic(pa, 8);
        ATOMIC64.setRelease(ram, pa, v);
    }

    // ---- bulk -------------------------------------------------------------------------------

    /** Zero-fills one 4 KiB page ({@code pagezero}); {@code pa} must be page aligned. */
    public void zeroPage(long pa) {
        if (COUNT_ACCESSES) bulk++;
        checkPage(pa);
        ram.asSlice(pa, PAGE_SIZE).fill((byte) 0);
    }

    /** Copies one 4 KiB page ({@code pagecopy}); both addresses must be page aligned. */
    public void copyPage(long srcPa, long dstPa) {
        if (COUNT_ACCESSES) bulk++;
        checkPage(srcPa);
        checkPage(dstPa);
        MemorySegment.copy(ram, srcPa, ram, dstPa, PAGE_SIZE);
    }

    /** Fills {@code len} bytes from {@code pa} with {@code value}. */
    public void fill(long pa, long len, byte value) {
        if (COUNT_ACCESSES) bulk++;
        checkRange(pa, len, "fill");
        ram.asSlice(pa, len).fill(value);
    }

    /** Copies {@code len} bytes of RAM into {@code dst[off..]}. */
    public void read(long pa, byte[] dst, int off, int len) {
        if (COUNT_ACCESSES) bulk++;
        checkRange(pa, len, "read");
        MemorySegment.copy(ram, U8, pa, dst, off, len);
    }

    /** Copies {@code src[off..off+len)} into RAM at {@code pa}. */
    public void write(long pa, byte[] src, int off, int len) {
        if (COUNT_ACCESSES) bulk++;
        checkRange(pa, len, "write");
        MemorySegment.copy(src, off, ram, U8, pa, len);
    }

    /** A view of {@code len} bytes at {@code pa}, bounds checked, for DMA by devices. */
    public MemorySegment slice(long pa, long len) {
        if (COUNT_ACCESSES) bulk++;
        checkRange(pa, len, "dma");
        return ram.asSlice(pa, len);
    }

    /**
     * The RAM accesses made so far, {loads, stores, atomics, bulk operations} (a bulk operation:
     * a page zeroed or copied, a fill, a copy in or out, a DMA view), all zero unless
     * {@link #COUNT_ACCESSES}. Accesses by the kernel, the MMU's walks and the CPU's user loads
     * and stores alike.
     */
    public long[] accessCounts() { return new long[] {loads, stores, atomics, bulk}; }

    @Override
    public void close() { arena.close(); }

    // ---- checks -----------------------------------------------------------------------------

    private void checkAtomic(long pa, int width) {
        if (pa < 0 || pa > size - width) throw mce("atomic", pa, width);
        if ((pa & (width - 1)) != 0) throw new MachineCheckException("misaligned atomic", pa, width);
    }

    private void checkPage(long pa) {
        if ((pa & PAGE_MASK) != 0) throw new MachineCheckException("page operation on unaligned address", pa, PAGE_SIZE);
        if (pa < 0 || pa > size - PAGE_SIZE) throw mce("page", pa, PAGE_SIZE);
    }

    private void checkRange(long pa, long len, String what) {
        if (len < 0 || pa < 0 || pa > size - len) throw mce(what, pa, (int) Math.min(len, Integer.MAX_VALUE));
    }

    private static MachineCheckException mce(String what, long pa, int width) {
        return new MachineCheckException(what + " outside RAM", pa, width);
    }
}
