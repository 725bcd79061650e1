package org.dfemu.tools.bench;

import java.util.SplittableRandom;
import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.cpu.Cpu;
import org.dfemu.emulator.cpu.CpuSettings;
import org.dfemu.emulator.cpu.Cpus;
import org.dfemu.emulator.cpu.TrapHandler;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.emulator.mmu.PageTableBuilder;
import org.dfemu.emulator.mmu.PageWalker;
import org.dfemu.emulator.mmu.Pte;

/**
 * (sim only) The machine the MMU benchmarks run on: RAM, one CPU in kernel mode with CR3 loaded,
 * and {@code pages} 4 KiB kernel pages mapped onto consecutive frames ({@link #user}: user pages,
 * the CPU in user mode). Page {@code k} sits at {@code base + k * stride}, base {@link #VA_BASE}
 * or {@link #USER_VA_BASE}:
 * <pre>
 *   dense  (stride 4 KiB):         consecutive pages, 512 to a page table; the tables of 16 MiB
 *                                  take 32 KiB, so a walk reads host-cache-hot entries
 *   spread (stride 2 MiB + 4 KiB): every page under its own page table, at a different slot of
 *                                  it; 4096 pages need 16 MiB of tables, beyond the host's caches
 * </pre>
 * Every mapped page holds, in each 64-bit word, that word's physical address, so a load through
 * the CPU and a load from the raw segment can be checked against each other.
 *
 * <p>Thread safety: none; one benchmark thread owns it.
 */
final class MappedPages implements AutoCloseable {
    /** A canonical kernel address, 1 GiB aligned, so the dense pages fill TLB slots in order. */
    static final long VA_BASE = 0xffff_c000_0000_0000L;
    /** A user address, 1 GiB aligned, for {@link #user}. */
    static final long USER_VA_BASE = 0x0000_0040_0000_0000L;
    static final long DENSE_STRIDE = Pte.PAGE_SIZE;
    static final long SPREAD_STRIDE = Pte.LARGE_SIZE + Pte.PAGE_SIZE;

    /** Page tables start above the first MiB, which stays unused as on a PC. */
    private static final long TABLES_PA = 1L << 20;
    /** Table pages beyond one per data page: PML4, PDPTs, PDs of either layout fit easily. */
    private static final long TABLE_SLACK_PAGES = 64;

    final PhysicalMemory ram;
    final Cpu cpu;
    /** A walker over the same tables as the CPU's, for timing the walk alone. */
    final PageWalker walker;
    final long cr3;
    /** Address of page 0: {@link #VA_BASE} or {@link #USER_VA_BASE}. */
    final long vaBase;
    private final int pages;
    private final long stride;
    private final long dataPa;

    /**
     * Builds the machine with {@code pages} pages mapped read/write, no-execute, at
     * {@code stride} apart. A and D start clear; the first access to a page sets them.
     */
    MappedPages(int pages, long stride) {
        this(pages, stride, VA_BASE, Pte.RW | Pte.NX);
    }

    /**
     * {@code pages} dense user pages (read/write, no-execute, US set at every level) at
     * {@link #USER_VA_BASE}, the CPU in user mode: every access is a user access, as a workload
     * process's loads and stores are.
     */
    static MappedPages user(int pages) {
        MappedPages m = new MappedPages(pages, DENSE_STRIDE, USER_VA_BASE, Pte.RW | Pte.US | Pte.NX);
        m.cpu.setUserMode(true);
        return m;
    }

    private MappedPages(int pages, long stride, long vaBase, long flags) {
        this.vaBase = vaBase;
        this.pages = pages;
        this.stride = stride;
        long tableBytes = (pages + TABLE_SLACK_PAGES) * Pte.PAGE_SIZE;
        this.dataPa = TABLES_PA + tableBytes;
        long dataBytes = (long) pages * Pte.PAGE_SIZE;
        this.ram = new PhysicalMemory(Math.max(PhysicalMemory.MIN_SIZE, dataPa + dataBytes));
        PageTableBuilder tables = new PageTableBuilder(ram, TABLES_PA, dataPa);
        this.cr3 = tables.newPml4();
        for (int k = 0; k < pages; k++) {
            tables.map4k(cr3, vaBase + k * stride, dataPa + k * Pte.PAGE_SIZE, flags);
        }
        for (long pa = dataPa; pa < dataPa + dataBytes; pa += 8) ram.store64(pa, pa);
        CpuSettings settings = CpuSettings.DEFAULT;
        Cpus cpus = new Cpus(1, ram, settings, TrapHandler.FATAL, TraceSink.NONE, () -> 0, () -> 0);
        this.cpu = cpus.cpu(0);
        cpu.loadCr3(cr3);
        this.walker = new PageWalker(ram, settings.nxe(), settings.physAddrBits());
    }

    /** Physical address behind {@code va}, one of this machine's mapped addresses. */
    long pa(long va) {
        long k = (va - vaBase) / stride;
        return dataPa + k * Pte.PAGE_SIZE + Pte.pageOffset(va);
    }

    /**
     * One address in each page, the pages in a random order and each at a random 16-byte aligned
     * offset (room for the two links of {@link #linkChains}), all drawn from {@code seed}: the
     * one-per-page pattern of a TLB sweep.
     */
    long[] onePerPage(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        long[] vas = new long[pages];
        for (int k = 0; k < pages; k++) vas[k] = vaBase + k * stride + ((long) rnd.nextInt(256) << 4);
        for (int k = pages - 1; k > 0; k--) {
            int j = rnd.nextInt(k + 1);
            long t = vas[k]; vas[k] = vas[j]; vas[j] = t;
        }
        return vas;
    }

    /** {@code count} addresses, each in a random page at a random 8-byte aligned offset, drawn from {@code seed}. */
    long[] scattered(int count, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        long[] vas = new long[count];
        for (int i = 0; i < count; i++) {
            vas[i] = vaBase + rnd.nextInt(pages) * stride + ((long) rnd.nextInt(512) << 3);
        }
        return vas;
    }

    /** The physical addresses of {@code vas}, in the same order. */
    long[] pas(long[] vas) {
        long[] pas = new long[vas.length];
        for (int i = 0; i < vas.length; i++) pas[i] = pa(vas[i]);
        return pas;
    }

    /**
     * Loads every address through the CPU (filling the TLB and setting A in the tables) and
     * checks that each yields the word at its physical address; throws IllegalStateException if
     * one does not, so that a benchmark never times a wrong mapping.
     */
    void touchAndCheck(long[] vas) {
        for (long va : vas) {
            long got = cpu.load64(va);
            if (got != pa(va)) {
                throw new IllegalStateException(String.format(
                        "MappedPages.touchAndCheck: va 0x%x loaded 0x%x, expected 0x%x", va, got, pa(va)));
            }
        }
    }

    /**
     * Turns {@code vas} (from {@link #onePerPage}) into two circular pointer chains through the
     * same words' cache lines, in the order of the array: at each address the virtual address of
     * the next one, and 8 bytes further the physical address of the next one's second word. A
     * load through the CPU then follows the first chain from {@code vas[0]}, a raw segment load
     * the second from {@code pa(vas[0]) + 8}, touching the same pages in the same order, each
     * load depending on the one before (latency, not throughput). Overwrites what
     * {@link #touchAndCheck} checks, so call it after.
     */
    void linkChains(long[] vas) {
        for (int i = 0; i < vas.length; i++) {
            long next = vas[(i + 1) % vas.length];
            ram.store64(pa(vas[i]), next);
            ram.store64(pa(vas[i]) + 8, pa(next) + 8);
        }
    }

    @Override
    public void close() { ram.close(); }
}
