package org.dfemu.kernel.machine;

/**
 * Machine parameters of x86-64: DragonFly's sys/cpu/x86_64/include/param.h at commit 737b020b54
 * (2021-05-28), the constants the port uses, with the page-rounding macros as static functions.
 */
public final class Param {
    private Param() {}

    public static final int PAGE_SHIFT = 12;
    public static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    public static final long PAGE_MASK = PAGE_SIZE - 1;

    /** Pages of u-area: a thread's kernel stack (LWKT_THREAD_STACK), its guard page included. */
    public static final int UPAGES = 4;

    /** Entries per page-table page at each level (PAGE_SIZE / sizeof(pt_entry_t)). */
    public static final int NPTEPG = PAGE_SIZE / 8;
    public static final int NPDEPG = PAGE_SIZE / 8;
    public static final int NPDPEPG = PAGE_SIZE / 8;
    public static final int NPML4EPG = PAGE_SIZE / 8;

    public static final int PDRSHIFT = 21;
    public static final int PDPSHIFT = 30;
    public static final int PML4SHIFT = 39;

    /** Disk block: the unit of m->valid and m->dirty bits. */
    public static final int DEV_BSHIFT = 9;
    public static final int DEV_BSIZE = 1 << DEV_BSHIFT;
    public static final int DEV_BMASK = DEV_BSIZE - 1;

    /**
     * {@code SMP_MAXCPU}/{@code MAXCPU} (cpu/x86_64/include/param.h): the most cpus the kernel is
     * built for, which sizes per-cpu arrays (zone caches, boot map entries), 256 as in DragonFly,
     * so those arrays cost what they cost there, although the emulator runs at most 64 CPUs
     * ({@link org.dfemu.emulator.cpu.Cpus#MAX_CPUS}).
     */
    public static final int SMP_MAXCPU = 256;

    /** sys/param.h: longest command name kept in td_comm/p_comm. */
    public static final int MAXCOMLEN = 16;

    /** round_page(). */
    public static long roundPage(long x) { return (x + PAGE_MASK) & ~PAGE_MASK; }

    /** trunc_page(). */
    public static long truncPage(long x) { return x & ~PAGE_MASK; }

    /** atop(): physical address to page number. */
    public static long atop(long x) { return x >>> PAGE_SHIFT; }

    /** ptoa(): page number to physical address. */
    public static long ptoa(long x) { return x << PAGE_SHIFT; }
}
