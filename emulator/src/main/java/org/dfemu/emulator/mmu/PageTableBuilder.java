package org.dfemu.emulator.mmu;

import org.dfemu.emulator.memory.PhysicalMemory;

/**
 * (boot only) Builds x86-64 page tables directly in {@link PhysicalMemory}, before any kernel
 * runs: the identity or direct maps a machine starts with, the tables of tests and benchmarks.
 * Table pages come from a bump allocator over a physical range the caller sets aside; they are
 * never freed, and {@link #nextFree()} tells the caller where the unused part of the range
 * begins (e.g. for the kernel's page allocator).
 *
 * <p>Intermediate entries are created as P|RW, plus US when any page below them is a user page:
 * the final entry alone then decides the page's permissions, as DragonFly's own tables do. A
 * final entry gets P (and PS for 2 MiB) added to the caller's flags; A and D stay as given, so
 * that the first access shows the walk setting them. Tests that need other bits at a higher
 * level edit the entry at {@link #entryAddress}.
 *
 * <p>Thread safety: none; plain stores, for use before the machine runs.
 */
public final class PageTableBuilder {
    private final PhysicalMemory mem;
    private final long limit;
    private long next;

    /**
     * A builder allocating table pages from {@code [firstPa, limitPa)}, both 4 KiB aligned and
     * inside RAM. The pages are zeroed as they are handed out.
     */
    public PageTableBuilder(PhysicalMemory mem, long firstPa, long limitPa) {
        if ((firstPa & Pte.PAGE_MASK) != 0 || (limitPa & Pte.PAGE_MASK) != 0 || firstPa < 0
                || firstPa > limitPa || limitPa > mem.size()) {
            throw new IllegalArgumentException(String.format(
                    "PageTableBuilder: bad table range [0x%x, 0x%x) for %d bytes of RAM", firstPa, limitPa, mem.size()));
        }
        this.mem = mem;
        this.next = firstPa;
        this.limit = limitPa;
    }

    /** A zeroed 4 KiB page from the range. Throws IllegalStateException when the range is used up. */
    public long allocPage() {
        if (next == limit) {
            throw new IllegalStateException(String.format("PageTableBuilder.allocPage: table range exhausted at 0x%x", limit));
        }
        long pa = next;
        next += Pte.PAGE_SIZE;
        mem.zeroPage(pa);
        return pa;
    }

    /** A new, empty PML4 (its physical address is the CR3 value). */
    public long newPml4() {
        return allocPage();
    }

    /** First physical address of the range not handed out yet. */
    public long nextFree() { return next; }

    /**
     * Maps the 4 KiB page at {@code va} to {@code pa} with final-entry {@code flags} ({@link Pte}
     * bits other than the frame; P is added) in the tables rooted at {@code pml4}, creating
     * missing tables. Throws IllegalArgumentException for a misaligned or non-canonical address,
     * IllegalStateException if the page is already mapped (by a 4 KiB or 2 MiB entry).
     */
    public void map4k(long pml4, long va, long pa, long flags) {
        checkVa(va, Pte.PAGE_MASK);
        long table = descend(pml4, va, Pte.LEVEL_PT, flags);
        setLeaf(Pte.entryAddress(table, va, Pte.LEVEL_PT), va, Pte.make(pa, flags | Pte.P));
    }

    /**
     * Maps the 2 MiB page at {@code va} to {@code pa} (both 2 MiB aligned) with a PD entry
     * carrying {@code flags | P | PS}. As {@link #map4k} otherwise.
     */
    public void map2m(long pml4, long va, long pa, long flags) {
        checkVa(va, Pte.LARGE_MASK);
        if ((pa & Pte.LARGE_MASK) != 0) {
            throw new IllegalArgumentException(String.format("PageTableBuilder.map2m: pa 0x%x not 2 MiB aligned", pa));
        }
        long table = descend(pml4, va, Pte.LEVEL_PD, flags);
        setLeaf(Pte.entryAddress(table, va, Pte.LEVEL_PD), va, Pte.make(pa, flags | Pte.P | Pte.PS));
    }

    /**
     * Maps {@code len} bytes (a multiple of 4 KiB) at {@code va} to {@code pa}, using 2 MiB pages
     * wherever both addresses are 2 MiB aligned and at least 2 MiB remain, 4 KiB pages
     * elsewhere. The usual way to build a direct map: {@code mapRange(pml4, DMAP_BASE, 0,
     * mem.size(), RW | G | NX)}. As {@link #map4k} otherwise.
     */
    public void mapRange(long pml4, long va, long pa, long len, long flags) {
        if (len < 0 || (len & Pte.PAGE_MASK) != 0) {
            throw new IllegalArgumentException("PageTableBuilder.mapRange: length " + len + " not a multiple of 4 KiB");
        }
        long done = 0;
        while (done < len) {
            long v = va + done;
            long p = pa + done;
            if (((v | p) & Pte.LARGE_MASK) == 0 && len - done >= Pte.LARGE_SIZE) {
                map2m(pml4, v, p, flags);
                done += Pte.LARGE_SIZE;
            } else {
                map4k(pml4, v, p, flags);
                done += Pte.PAGE_SIZE;
            }
        }
    }

    /**
     * Physical address of {@code va}'s entry at {@code level} (4 = PML4 .. 1 = PT) in the tables
     * rooted at {@code pml4}, or -1 if a table above that level is missing or a 2 MiB page
     * ends the path first. Reads the tables only.
     */
    public long entryAddress(long pml4, long va, int level) {
        long table = pml4;
        for (int l = Pte.LEVEL_PML4; l > level; l--) {
            long e = mem.load64(Pte.entryAddress(table, va, l));
            if ((e & Pte.P) == 0 || (e & Pte.PS) != 0) return -1;
            table = Pte.frame(e);
        }
        return Pte.entryAddress(table, va, level);
    }

    /**
     * The table at {@code level} on {@code va}'s path, creating missing ones above it; adds US
     * to the entries on the way when {@code leafFlags} has it.
     */
    private long descend(long pml4, long va, int level, long leafFlags) {
        long user = leafFlags & Pte.US;
        long table = pml4;
        for (int l = Pte.LEVEL_PML4; l > level; l--) {
            long at = Pte.entryAddress(table, va, l);
            long e = mem.load64(at);
            if ((e & Pte.P) == 0) {
                e = Pte.make(allocPage(), Pte.P | Pte.RW | user);
                mem.store64(at, e);
            } else if ((e & Pte.PS) != 0) {
                throw new IllegalStateException(String.format(
                        "PageTableBuilder: va 0x%x is inside a large page at level %d", va, l));
            } else if ((e & user) != user) {
                e |= user;
                mem.store64(at, e);
            }
            table = Pte.frame(e);
        }
        return table;
    }

    private void setLeaf(long at, long va, long entry) {
        if ((mem.load64(at) & Pte.P) != 0) {
            throw new IllegalStateException(String.format("PageTableBuilder: va 0x%x is already mapped", va));
        }
        mem.store64(at, entry);
    }

    private static void checkVa(long va, long alignMask) {
        if ((va & alignMask) != 0 || !Pte.isCanonical(va)) {
            throw new IllegalArgumentException(String.format(
                    "PageTableBuilder: va 0x%x not canonical or not aligned to 0x%x", va, alignMask + 1));
        }
    }
}
