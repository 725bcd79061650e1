package org.dfemu.kernel;

import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.machine.Vmparam;

import java.nio.charset.StandardCharsets;

/**
 * The kernel's view of memory: loads, stores and atomics by 64-bit kernel virtual address, the way
 * kernel C code dereferences pointers. Every struct view ({@code Struct*} classes) and every
 * global goes through here.
 *
 * <p>Translation. A DMAP address ({@link Vmparam#DMAP_MIN_ADDRESS} plus a physical address below
 * the RAM size) is translated arithmetically, as the DMAP's 2 MiB mappings do. Any other address
 * (kernel_map KVA, the recursive page-table map) is handed to the {@link KvaTranslator} installed
 * by pmap_bootstrap(), a software walk of the kernel page tables; before that, or if the translator reports the
 * address unmapped, the access is a kernel page fault and panics. Accesses are at most 8 bytes and
 * naturally aligned for atomics, so none crosses a page and one translation per access suffices.
 *
 * <p>Translation cache. Walking four levels on every kernel_map access is most of what a kernel
 * field access costs, so the walk's results are kept in a small direct-mapped cache of kernel
 * page -> physical page ({@link #KVA_CACHE_SLOTS} slots, per instance: kernels booted side by
 * side share nothing). It is not a model of the CPU's TLB and never returns a translation the
 * page tables no longer hold: each slot remembers the physical address and the value (valid bit,
 * large-page bit and frame) of the leaf entry it was made from, and a hit re-reads that entry, so
 * any change to it, by pmap_kremove, pmap_qenter, pmap_kenter_quick and the other *_noinval or
 * _quick paths before their invalidation, through any alias (recursive map, DMAP) or by the MMU,
 * turns the hit into a fresh walk. The entries above the leaf (PML4, PDP, PD entries of the
 * kernel's range) only ever go from invalid to valid (pmap_growkernel; kernel page-table pages
 * are never freed), and an unmapped address is never cached, so the leaf is the only entry whose
 * change can make a cached translation wrong. Only translators that name the leaf entry
 * ({@link KvaTranslator#leafEntry}) are cached; the cache assumes one thread uses the kernel at a
 * time, as the scheduler guarantees (see {@link #installKvaTranslator}).
 *
 * <p>Ordering: plain accesses have none; atomics are sequentially consistent (see
 * {@link PhysicalMemory}). A RAM access outside installed memory is the emulator's
 * {@link org.dfemu.emulator.memory.MachineCheckException}.
 */
public final class KernelMemory {
    /**
     * Translates a non-DMAP kernel virtual address through the kernel page tables. Installed once by
     * the pmap at bootstrap ({@link #installKvaTranslator}).
     */
    @FunctionalInterface
    public interface KvaTranslator {
        /** The physical address of {@code kva}, or -1 if it is not mapped. Must not block. */
        long kvaToPhys(long kva);

        /**
         * The physical address of the valid leaf page-table entry that maps {@code kva} (a PTE,
         * or a PD entry with PG_PS, then with {@link #LEAF_2M} or'ed in), or -1 if {@code kva} is
         * unmapped or the translator does not name its entries (then nothing is cached). The entry
         * must be in x86-64 format. Must not block.
         */
        default long leafEntry(long kva) { return -1; }
    }

    /** Or'ed into {@link KvaTranslator#leafEntry}'s result: the leaf is a 2 MiB PD entry. */
    public static final long LEAF_2M = 1;

    /** Slots of the kernel_map translation cache (a power of 2). */
    public static final int KVA_CACHE_SLOTS = 256;
    // x86-64 entry bits the cache reads (pmap.h): valid, large page, and the frames.
    private static final long PG_V = 0x001;
    private static final long PG_PS = 0x080;
    private static final long PG_FRAME = 0x000ffffffffff000L;
    private static final long PG_PS_FRAME = 0x000fffffffe00000L;
    private static final long LEAF_CHECK = PG_V | PG_PS | PG_FRAME;
    private static final long LARGE_PAGE_MASK = (1L << 21) - 1;
    private static final int PAGE_SHIFT = 12;
    private static final long PAGE_OFFSET = (1L << PAGE_SHIFT) - 1;

    private final PhysicalMemory ram;
    private final long ramSize;
    // Set once at pmap bootstrap (configuration, not kernel state); null until the kernel page
    // tables exist. Plain, not volatile: it is written in boot context before any kernel thread
    // starts, and thread start and every scheduler hand-off order later reads after that write,
    // so the per-access volatile read on the kernel_map path buys nothing.
    private KvaTranslator kernelPageTables;
    // The translation cache, 4 longs per slot: kernel page number (-1: empty), physical address
    // of the leaf entry, the leaf entry's LEAF_CHECK bits as walked, physical page. Emulator
    // state (like a TLB, it holds nothing kernel code can observe), not kernel state.
    private final long[] kvaCache = new long[4 * KVA_CACHE_SLOTS];

    public KernelMemory(PhysicalMemory ram) {
        this.ram = ram;
        this.ramSize = ram.size();
        for (int i = 0; i < kvaCache.length; i += 4) {
            kvaCache[i] = -1;
        }
    }

    /** The machine's RAM, for bulk page operations by physical address (pmap_zero_page &c). */
    public PhysicalMemory ram() { return ram; }

    /**
     * Installs the translation of kernel_map addresses through the kernel page tables. Called once,
     * by the pmap's bootstrap. Panics if called twice. Kernel code runs on one Java thread at a
     * time (boot context, or the thread the scheduler runs, every hand-off ordering the next
     * thread after the last), so neither this field nor the translation cache needs more.
     */
    public void installKvaTranslator(KvaTranslator translator) {
        if (kernelPageTables != null) {
            throw Kassert.panic("installKvaTranslator: kernel page tables already installed");
        }
        kernelPageTables = translator;
    }

    /** True if {@code kva} lies in the direct map of installed RAM. */
    public boolean isDmap(long kva) {
        return Long.compareUnsigned(kva - Vmparam.DMAP_MIN_ADDRESS, ramSize) < 0;
    }

    /**
     * The physical address behind {@code kva} ({@code vtophys}). Panics ("kernel page fault") if
     * the address is not mapped. Lock words are handed to the scheduler by this physical address.
     */
    public long pa(long kva) {
        long off = kva - Vmparam.DMAP_MIN_ADDRESS;
        if (Long.compareUnsigned(off, ramSize) < 0) {
            return off;
        }
        long vpn = kva >>> PAGE_SHIFT;
        long[] c = kvaCache;
        int i = ((int) vpn & (KVA_CACHE_SLOTS - 1)) << 2;
        if (c[i] == vpn && ((ram.load64(c[i + 1]) ^ c[i + 2]) & LEAF_CHECK) == 0) {
            return c[i + 3] | (kva & PAGE_OFFSET);
        }
        return kvaMiss(kva, vpn, i);
    }

    /** A translation-cache miss: walks the kernel page tables and fills slot {@code i}. */
    private long kvaMiss(long kva, long vpn, int i) {
        KvaTranslator t = kernelPageTables;
        long leaf = t == null ? -1 : t.leafEntry(kva);
        if (leaf >= 0) {
            long entryPa = leaf & ~LEAF_2M;
            long e = ram.load64(entryPa);
            if ((e & PG_V) != 0) {
                long page = (leaf & LEAF_2M) != 0
                        ? (e & PG_PS_FRAME) | (kva & LARGE_PAGE_MASK & ~PAGE_OFFSET)
                        : e & PG_FRAME;
                long[] c = kvaCache;
                c[i] = vpn;
                c[i + 1] = entryPa;
                c[i + 2] = e & LEAF_CHECK;
                c[i + 3] = page;
                return page | (kva & PAGE_OFFSET);
            }
        }
        long pa = t == null ? -1 : t.kvaToPhys(kva);
        if (pa < 0) {
            throw Kassert.panic("kernel page fault: supervisor access to unmapped address 0x%016x", kva);
        }
        return pa;
    }

    public int load8(long kva) { return ram.load8(pa(kva)); }
    public int load16(long kva) { return ram.load16(pa(kva)); }
    public int load32(long kva) { return ram.load32(pa(kva)); }
    public long load64(long kva) { return ram.load64(pa(kva)); }

    public void store8(long kva, int v) { ram.store8(pa(kva), v); }
    public void store16(long kva, int v) { ram.store16(pa(kva), v); }
    public void store32(long kva, int v) { ram.store32(pa(kva), v); }
    public void store64(long kva, long v) { ram.store64(pa(kva), v); }

    /** {@code atomic_cmpset_int}. */
    public boolean cas32(long kva, int expect, int update) { return ram.cas32(pa(kva), expect, update); }

    /** {@code atomic_cmpset_long}. */
    public boolean cas64(long kva, long expect, long update) { return ram.cas64(pa(kva), expect, update); }

    /** {@code atomic_fetchadd_int}: returns the previous value. */
    public int fetchAdd32(long kva, int delta) { return ram.fetchAdd32(pa(kva), delta); }

    /** {@code atomic_fetchadd_long}: returns the previous value. */
    public long fetchAdd64(long kva, long delta) { return ram.fetchAdd64(pa(kva), delta); }

    /** {@code atomic_swap_long}. */
    public long swap64(long kva, long v) { return ram.swap64(pa(kva), v); }

    /** {@code atomic_set_int}: ORs {@code bits} into the 32-bit word. */
    public void atomicSet32(long kva, int bits) {
        long pa = pa(kva);
        int old;
        do {
            old = ram.load32(pa);
        } while (!ram.cas32(pa, old, old | bits));
    }

    /** {@code atomic_clear_int}: clears {@code bits} in the 32-bit word. */
    public void atomicClear32(long kva, int bits) {
        long pa = pa(kva);
        int old;
        do {
            old = ram.load32(pa);
        } while (!ram.cas32(pa, old, old & ~bits));
    }

    /**
     * {@code bzero}: zeroes {@code len} bytes from {@code kva}. A DMAP range is one physical range;
     * other ranges are zeroed page by page through the translation.
     */
    public void bzero(long kva, long len) {
        if (len == 0) {
            return;
        }
        if (isDmap(kva) && isDmap(kva + len - 1)) {
            ram.fill(pa(kva), len, (byte) 0);
            return;
        }
        long va = kva;
        long end = kva + len;
        while (va != end) {
            long chunk = Math.min(end - va, Param.PAGE_SIZE - (va & Param.PAGE_MASK));
            ram.fill(pa(va), chunk, (byte) 0);
            va += chunk;
        }
    }

    /** Copies a NUL-terminated string of at most {@code max} bytes (the NUL included) to {@code kva}. */
    public void storeString(long kva, String s, int max) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        int n = Math.min(b.length, max - 1);
        for (int i = 0; i < n; i++) {
            store8(kva + i, b[i]);
        }
        store8(kva + n, 0);
    }

    /** Reads a NUL-terminated string of at most {@code max} bytes from {@code kva}. */
    public String loadString(long kva, int max) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < max; i++) {
            int c = load8(kva + i);
            if (c == 0) {
                break;
            }
            sb.append((char) c);
        }
        return sb.toString();
    }
}
