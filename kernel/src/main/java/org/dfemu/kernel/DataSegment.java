package org.dfemu.kernel;

import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.machine.Vmparam;

import java.lang.foreign.MemoryLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The kernel's data segment ({@code .data} and {@code .bss}): where the global variables of every
 * ported C file live, in emulated RAM, so they cost RAM, can be inspected by address and are never
 * held in Java fields.
 *
 * <p>It plays the linker: while the kernel is being constructed, each C-file class asks for its
 * globals (one struct per C file) with {@link #alloc}; the segment hands out zeroed, aligned space
 * bump-wise from physical {@link Vmparam#KERNLOAD}, where pc64 loads the kernel image. Once every
 * class exists the segment is closed; its page-rounded end is {@code physfree}, the first
 * physical address after the kernel image, from which the boot allocates early page tables and
 * beyond which getmemsize() hands memory to the VM.
 *
 * <p>Addresses returned are DMAP addresses of the segment's physical pages.
 * PORT: DragonFly links its globals at KERNBASE-relative addresses of the same physical pages;
 * the DMAP alias reaches the same memory without kernel page tables, which the port only has once
 * the pmap is up.
 */
public final class DataSegment {
    private final KernelMemory km;
    private final long basePa;
    // Link-time bump pointer; frozen by close().
    private long nextPa;
    private boolean closed;
    /** (dfemu only) The symbol table the linker would write: one entry per allocation. */
    private final List<KernelSymbols.Symbol> symbols = new ArrayList<>();

    /** A segment starting at physical {@link Vmparam#KERNLOAD}. */
    public DataSegment(KernelMemory km) {
        this.km = km;
        this.basePa = Vmparam.KERNLOAD;
        this.nextPa = basePa;
    }

    /**
     * Allocates zeroed space for {@code layout} (its size, at its alignment) and returns its kernel
     * address. (boot only) Panics once the segment is closed or if RAM is too small for it.
     */
    public long alloc(MemoryLayout layout) {
        return alloc(null, layout);
    }

    /**
     * As {@link #alloc(MemoryLayout)}, for the variable {@code symbol} (null: named after the
     * layout; see {@link KernelSymbols}).
     */
    public long alloc(String symbol, MemoryLayout layout) {
        long va = place(layout.byteSize(), layout.byteAlignment());
        symbols.add(new KernelSymbols.Symbol(va, layout.byteSize(), symbol, layout));
        return va;
    }

    /** As {@link #alloc(MemoryLayout)}, for {@code size} bytes aligned to {@code align} (a power of 2). */
    public long alloc(long size, long align) {
        long va = place(size, align);
        symbols.add(new KernelSymbols.Symbol(va, size, null, null));
        return va;
    }

    /** The symbol table so far. (dfemu only) */
    public KernelSymbols symbols() {
        return new KernelSymbols(symbols);
    }

    private long place(long size, long align) {
        Kassert.kkassert(!closed, "!closed", "DataSegment.alloc");
        Kassert.kkassert(Long.bitCount(align) == 1, "powerof2(align)", "DataSegment.alloc");
        long pa = (nextPa + align - 1) & -align;
        if (pa + size > km.ram().size()) {
            throw Kassert.panic("kernel data segment: %d bytes at 0x%x do not fit in %d bytes of RAM",
                    size, pa, km.ram().size());
        }
        nextPa = pa + size;
        long va = Vmparam.PHYS_TO_DMAP(pa);
        km.bzero(va, size);
        return va;
    }

    /**
     * A NUL-terminated copy of {@code s} in the segment, for a C string literal ({@code .rodata})
     * whose address kernel structures keep (zone names). (boot only)
     */
    public long allocString(String s) {
        long va = place(s.length() + 1, 1);
        symbols.add(new KernelSymbols.Symbol(va, s.length() + 1, '"' + s + '"', null));
        km.storeString(va, s, s.length() + 1);
        return va;
    }

    /**
     * Closes the segment and returns {@code physfree}: the page-rounded physical end of the kernel
     * image. (boot only) Panics if already closed.
     */
    public long close() {
        Kassert.kkassert(!closed, "!closed", "DataSegment.close");
        closed = true;
        return Param.roundPage(nextPa);
    }

    /** Physical address of the segment's first byte. */
    public long basePa() { return basePa; }

    /** Bytes allocated so far. */
    public long used() { return nextPa - basePa; }
}
