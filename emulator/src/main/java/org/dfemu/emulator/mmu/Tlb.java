package org.dfemu.emulator.mmu;

import java.util.Arrays;
import org.dfemu.emulator.memory.PhysicalMemory;

/**
 * One CPU's software TLB: cached translations with their effective permissions, looked up
 * before any page walk. Like the hardware, it is not coherent with the page tables: a PTE
 * change is seen only after {@link #invlpg}, a flush, or a miss that walks again; the kernel
 * must invalidate exactly as it would on a real machine, and a missing invalidation shows up
 * as a stale translation here too.
 *
 * <p>Design: two direct-mapped arrays, as real cores keep separate arrays per page size.
 * <pre>
 *   small: {@value #SMALL_ENTRIES} slots of 4 KiB pages, slot = (va &gt;&gt; 12) mod {@value #SMALL_ENTRIES}   (reach 2 MiB)
 *   large: {@value #LARGE_ENTRIES}  slots of 2 MiB pages, slot = (va &gt;&gt; 21) mod {@value #LARGE_ENTRIES}    (reach 64 MiB)
 *   each slot: [tag, data] adjacent in one long[] (one cache line holds 4 slots)
 * </pre>
 * Lookup tries the small array, then the large one ({@link #hitLarge}, for addresses a 2 MiB page
 * is expected to map, probes an unshadowed 2 MiB entry alone, with the same result). Why direct-mapped: the hit path is an index
 * computation, one tag load and compare, one data load and a permission AND, with no
 * replacement state to update (a set-associative LRU writes on every hit, and 4 ways mean 4
 * compares); replacement is trivially deterministic; and conflict misses cost only a re-walk,
 * never a different result, because the only observable difference a TLB makes (how long a
 * stale entry survives) is the same rule for every size: until the kernel invalidates it or
 * the slot is reused. Why a separate 2 MiB array: the kernel's direct map uses 2 MiB pages;
 * splintering them into 4 KiB slots would make {@link #invlpg} of a 2 MiB page a scan of the
 * whole small array, while here it clears one slot in each array.
 *
 * <p>No PCID: a CR3 load ({@link #flushNonGlobal}) drops every entry but the global ones, which
 * is how DragonFly's kernel mappings (PG_G) survive context switches.
 *
 * <p>What an entry holds is described in {@link TlbEntry}; a write to a page cached with D
 * still clear misses, so the walker sets D (and a stale entry whose page is no longer writable
 * faults on that walk, as on hardware). A permission failure on a cached entry is a page fault
 * from the cached bits, without a walk; like the hardware, the fault drops the entry, so the
 * retry after the trap walks afresh (a kernel that upgraded a page without invalidating sees one
 * spurious fault, as it would on x86).
 *
 * <p>Counters ({@link #hits}, {@link #walks}, {@link #invlpgs}, {@link #flushes}) are plain
 * longs: only the thread running on this CPU touches them. Fast-path hits are counted only with
 * {@link #COUNT_HITS}.
 *
 * <p>Thread safety: owned by one CPU; only the thread running on that CPU (or a shootdown sent
 * while it is not running, since only one emulated thread runs at a time) may call it.
 */
public final class Tlb {
    /** Slots for 4 KiB pages (a power of two). */
    public static final int SMALL_ENTRIES = 512;
    /** Slots for 2 MiB pages (a power of two). */
    public static final int LARGE_ENTRIES = 32;

    /** Returned by {@link #hit} when the access cannot be completed from the TLB alone. */
    static final long MISS = -1;
    /** Returned by {@link #lookup} when no entry covers the address. */
    static final long NONE = -1;

    /**
     * Count hits in {@link #hit}: only with {@code -Ddfemu.countMemoryAccesses=true} (the reports
     * that print them), so that the hit path stores nothing. Hits found by {@link Mmu#translate}
     * are always counted.
     */
    public static final boolean COUNT_HITS = PhysicalMemory.COUNT_ACCESSES;

    /**
     * Cleared in a 2 MiB slot's tag word (whose low 21 bits are otherwise all ones) while 4 KiB
     * entries may cover pages of its region: only {@link #hit}, which probes the small array
     * first, may use it then. Set (the plain tag) when no 4 KiB entry does, which lets
     * {@link #hitLarge} (the direct map's hits) cost one tag compare. Bookkeeping of the probe order only: what the TLB
     * holds and when an entry goes are unchanged.
     */
    private static final long SHADOWED = 1;

    private final long[] small = new long[2 * SMALL_ENTRIES];
    private final long[] large = new long[2 * LARGE_ENTRIES];

    /** Buckets of {@link #smallInRegion} (a power of two). */
    private static final int REGION_BUCKETS = 1024;

    /**
     * Cached 4 KiB entries per bucket of their 2 MiB region ({@link #regionBucket}): a zero count
     * tells {@link #shadowed} that no 4 KiB entry covers a page of a region without reading the
     * 512 small slots. Two regions may share a bucket; then the slots are read. Bookkeeping of
     * the lookup only: what the TLB holds and when an entry goes are unchanged.
     */
    private final int[] smallInRegion = new int[REGION_BUCKETS];

    long hits;
    long walks;
    private long invlpgs;
    private long flushes;

    /**
     * The fast path: the physical address of {@code va} if a cached entry covers it and allows
     * {@code access}, else a negative value (then {@link Mmu#translate}). Counts a hit only with
     * {@link #COUNT_HITS}. Never allocates, never throws. Caller: the owning CPU.
     */
    public long hit(long va, int access) {
        long[] s = small;
        int i = TlbEntry.slot4k(va, SMALL_ENTRIES);
        if (s[i] == TlbEntry.tag4k(va)) {
            long data = s[i + 1];
            if ((data & access) != access) return MISS;
            if (COUNT_HITS) hits++;
            return TlbEntry.pa4k(data, va);
        }
        long[] l = large;
        int j = TlbEntry.slot2m(va, LARGE_ENTRIES);
        if ((l[j] | SHADOWED) == TlbEntry.tag2m(va)) {
            long data = l[j + 1];
            if ((data & access) != access) return MISS;
            if (COUNT_HITS) hits++;
            return TlbEntry.pa2m(data, va);
        }
        return MISS;
    }

    /**
     * {@link #hit} for an address the caller expects a 2 MiB page to map (a kernel's direct
     * map): completes the access only from a 2 MiB entry that no 4 KiB entry shadows, with one
     * tag compare, else returns a negative value (then {@link #hit} or {@link Mmu#translate}).
     * What it returns is what {@link #hit} would: an unshadowed 2 MiB entry means no 4 KiB entry
     * covers any page of its region. Never throws. Caller: the owning CPU.
     */
    public long hitLarge(long va, int access) {
        long[] l = large;
        int j = TlbEntry.slot2m(va, LARGE_ENTRIES);
        if (l[j] == TlbEntry.tag2m(va)) {
            long data = l[j + 1];
            if ((data & access) != access) return MISS;
            if (COUNT_HITS) hits++;
            return TlbEntry.pa2m(data, va);
        }
        return MISS;
    }

    /** The data word of the entry that covers {@code va} (the one {@link #hit} would use), or {@link #NONE}. */
    long lookup(long va) {
        int i = TlbEntry.slot4k(va, SMALL_ENTRIES);
        if (small[i] == TlbEntry.tag4k(va)) return small[i + 1];
        int j = TlbEntry.slot2m(va, LARGE_ENTRIES);
        if ((large[j] | SHADOWED) == TlbEntry.tag2m(va)) return large[j + 1];
        return NONE;
    }

    /**
     * Caches the walk result {@code data} for {@code va}, replacing whatever held the slot, and
     * drops an entry of the other page size for {@code va}: after a walk the TLB holds what the
     * walk found.
     */
    void insert(long va, long data) {
        if (TlbEntry.isLarge(data)) {
            int j = TlbEntry.slot2m(va, LARGE_ENTRIES);
            dropSmall(va);
            long tag = TlbEntry.tag2m(va);
            large[j] = shadowed(tag) ? tag & ~SHADOWED : tag;
            large[j + 1] = data;
        } else {
            int i = TlbEntry.slot4k(va, SMALL_ENTRIES);
            long old = small[i];
            if (old != 0) smallInRegion[regionBucket(old)]--;
            long tag = TlbEntry.tag4k(va);
            small[i] = tag;
            small[i + 1] = data;
            smallInRegion[regionBucket(tag)]++;
            dropLarge(va);
        }
    }

    /**
     * True if a 4 KiB entry covers a page of the 2 MiB region whose tag is {@code tag2m}. The
     * region's 512 pages fall in the 512 small slots one each (slot = page index in the region),
     * so this reads every slot once, unless no cached 4 KiB entry falls in the region's bucket;
     * called only when a 2 MiB entry is cached (a walk).
     */
    private boolean shadowed(long tag2m) {
        if (smallInRegion[regionBucket(tag2m)] == 0) return false;
        long base = tag2m & ~Pte.LARGE_MASK;
        long[] s = small;
        for (int i = 0; i < SMALL_ENTRIES; i++) {
            if (s[2 * i] == (base | ((long) i << Pte.PAGE_SHIFT) | Pte.PAGE_MASK)) return true;
        }
        return false;
    }

    /** Drops any entry covering {@code va} without counting it (the hardware's drop on a fault). */
    void drop(long va) {
        dropSmall(va);
        dropLarge(va);
    }

    /**
     * The {@link #smallInRegion} bucket of a 4 KiB or 2 MiB tag (a virtual address): its 2 MiB
     * region number folded, so that the direct map's regions and the user's low ones, whose
     * region numbers agree in their low bits, mostly fall in different buckets.
     */
    private static int regionBucket(long tag) {
        long r = tag >>> Pte.LARGE_SHIFT;
        return (int) (r ^ (r >>> 10) ^ (r >>> 20) ^ (r >>> 30)) & (REGION_BUCKETS - 1);
    }

    private void dropSmall(long va) {
        int i = TlbEntry.slot4k(va, SMALL_ENTRIES);
        long tag = TlbEntry.tag4k(va);
        if (small[i] == tag) {
            small[i] = 0;
            smallInRegion[regionBucket(tag)]--;
        }
    }

    private void dropLarge(long va) {
        int j = TlbEntry.slot2m(va, LARGE_ENTRIES);
        if ((large[j] | SHADOWED) == TlbEntry.tag2m(va)) large[j] = 0;
    }

    /**
     * {@code invlpg va}: drops the entry of the page containing {@code va}, 4 KiB or 2 MiB,
     * global or not. Caller: the CPU that owns this TLB (or a shootdown). Never blocks.
     */
    public void invlpg(long va) {
        invlpgs++;
        drop(va);
    }

    /**
     * What a CR3 load does without PCID: drops every non-global entry, keeps global ones.
     * Caller: the owning CPU. Never blocks.
     */
    public void flushNonGlobal() {
        flushes++;
        long[] s = small;
        for (int i = 0; i < s.length; i += 2) {
            long tag = s[i];
            if (tag != 0 && !TlbEntry.isGlobal(s[i + 1])) {
                s[i] = 0;
                smallInRegion[regionBucket(tag)]--;
            }
        }
        dropNonGlobal(large);
    }

    private static void dropNonGlobal(long[] slots) {
        for (int i = 0; i < slots.length; i += 2) {
            if (!TlbEntry.isGlobal(slots[i + 1])) slots[i] = 0;
        }
    }

    /**
     * Drops every entry, global ones included (a CR4.PGE toggle). Caller: the owning CPU. Never
     * blocks.
     */
    public void flushAll() {
        flushes++;
        Arrays.fill(small, 0);
        Arrays.fill(large, 0);
        Arrays.fill(smallInRegion, 0);
    }

    /** True if an entry covering {@code va} is cached (for tests and consistency checkers). No requirements. */
    public boolean holds(long va) {
        return lookup(va) != NONE;
    }

    /** Accesses completed from a cached entry (those of the fast path only with {@link #COUNT_HITS}). */
    public long hits() { return hits; }

    /** Page walks done (TLB misses, and writes to pages cached with D clear). */
    public long walks() { return walks; }

    /** {@link #invlpg} calls, including those made on behalf of a shootdown. */
    public long invlpgs() { return invlpgs; }

    /** {@link #flushNonGlobal} and {@link #flushAll} calls, including those made on behalf of a shootdown. */
    public long flushes() { return flushes; }

    /**
     * (snapshot) Every cached entry as {@code [va, data]} pairs, 4 KiB slots first then 2 MiB
     * slots, each in slot order: {@code va} is the page's first address, {@code data} the entry's
     * data word (see {@link #describe}). For core files; reads only. No requirements.
     */
    public long[] entries() {
        long[] out = new long[2 * (SMALL_ENTRIES + LARGE_ENTRIES)];
        int n = 0;
        for (long[] slots : new long[][] {small, large}) {
            for (int i = 0; i < slots.length; i += 2) {
                if (slots[i] == 0) continue;
                long mask = slots == small ? Pte.PAGE_MASK : Pte.LARGE_MASK;
                out[n++] = slots[i] & ~mask;
                out[n++] = slots[i + 1];
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** One cached entry ({@link #entries}) as {@code "va 0x... pa 0x... (4K W D G)"}. No requirements. */
    public static String describe(long va, long data) {
        return String.format(java.util.Locale.ROOT, "va 0x%016x %s", va, TlbEntry.describe(data, va));
    }
}
