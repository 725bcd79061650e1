package org.dfemu.kernel.machine;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_LONG;
import static org.dfemu.kernel.machine.Param.PAGE_SIZE;

/**
 * machdep.c: DragonFly BSD sys/platform/pc64/x86_64/machdep.c at commit 737b020b54 (2021-05-28),
 * the early-boot memory bookkeeping: which physical ranges the VM may use ({@code phys_avail[]}),
 * {@code physmem}, and the bump allocator of early boot pages (pmap.c's {@code allocpages()}
 * over {@code firstaddr}).
 *
 * <p>Physical layout at boot, as pc64 has it:
 * <pre>
 *   0          PAGE_SIZE         KERNLOAD (2 MiB)      physfree     firstaddr          RAM end
 *   | page 0   | low memory       | kernel image:        | early boot  | phys_avail ...   |
 *   | (never   | phys_avail[0]    | data segment         | pages       |                  |
 *   |  given)  |                  | (globals)            | (allocpages)|                  |
 * </pre>
 * PORT: getmemsize() reads the BIOS SMAP and memory-tests each page; the emulated machine has
 * one flat, good RAM range, so phys_avail is derived from its size directly. Page 0 is never
 * handed to the VM (as on real hardware, where it holds BIOS data). No message buffer is carved
 * (the console is the emulator's).
 *
 * <p>Other physical ranges the boot code needs kept from the VM (as a BIOS SMAP would declare
 * them) are declared with {@link #reservePhys} before getmemsize().
 *
 * <p>getmemsize() calls pmap_bootstrap() between sizing RAM and building phys_avail[], as pc64
 * does, so the kernel page tables come out of the pages right after the kernel image.
 *
 * <p>Globals (in the data segment): {@code vm_phystable_t phys_avail[VM_PHYSSEG_MAX + 1]} (pairs
 * of phys_beg/phys_end, terminated by a zero phys_end), {@code physmem}, {@code Maxmem},
 * {@code firstaddr}, and the port's table of reserved ranges.
 */
public final class Machdep {
    /** vmparam.h: phys_avail[] has VM_PHYSSEG_MAX + 1 entries. */
    public static final int VM_PHYSSEG_MAX = 127;
    /** Ranges the boot may declare taken before getmemsize() (the port's SMAP holes). */
    public static final int NRESERVED = 16;

    private static final StructLayout PHYSTABLE = MemoryLayout.structLayout(
            C_LONG.withName("phys_beg"),
            C_LONG.withName("phys_end")).withName("vm_phystable");
    private static final StructLayout GLOBALS = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(VM_PHYSSEG_MAX + 1, PHYSTABLE).withName("phys_avail"),
            C_LONG.withName("physmem"),
            C_LONG.withName("Maxmem"),
            C_LONG.withName("firstaddr"),
            C_LONG.withName("getmemsize_done"),
            C_LONG.withName("nreserved"),
            MemoryLayout.sequenceLayout(NRESERVED, PHYSTABLE).withName("reserved")).withName("machdep_globals");
    private static final long PHYS_AVAIL = Ctypes.offset(GLOBALS, "phys_avail");
    private static final long PHYSMEM = Ctypes.offset(GLOBALS, "physmem");
    private static final long MAXMEM = Ctypes.offset(GLOBALS, "Maxmem");
    private static final long FIRSTADDR = Ctypes.offset(GLOBALS, "firstaddr");
    private static final long GETMEMSIZE_DONE = Ctypes.offset(GLOBALS, "getmemsize_done");
    private static final long NRESERVED_COUNT = Ctypes.offset(GLOBALS, "nreserved");
    private static final long RESERVED = Ctypes.offset(GLOBALS, "reserved");

    private final Kernel kernel;
    private final KernelMemory km;
    private final long globals;

    /** (boot only) Lays out the globals. */
    public Machdep(Kernel kernel, DataSegment data) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.globals = data.alloc(GLOBALS);
    }

    /**
     * Records the end of the kernel image ({@code physfree}): early boot pages are allocated from
     * here. (boot only) Called once by the kernel when its data segment is closed.
     */
    public void setPhysfree(long physfree) {
        km.store64(globals + FIRSTADDR, physfree);
    }

    /**
     * allocpages(): takes {@code n} zeroed physical pages right after the kernel image and
     * returns the physical address of the first (the early page tables come from here).
     * (boot only) Panics after getmemsize() (the VM owns the rest of RAM then) or if RAM runs out.
     */
    public long allocpages(long n) {
        Kassert.kkassert(km.load64(globals + GETMEMSIZE_DONE) == 0, "!getmemsize_done", "allocpages");
        long ret = km.load64(globals + FIRSTADDR);
        long end = ret + n * PAGE_SIZE;
        if (end > km.ram().size()) {
            throw Kassert.panic("allocpages: %d pages at 0x%x do not fit in RAM", n, ret);
        }
        km.ram().fill(ret, n * PAGE_SIZE, (byte) 0);
        km.store64(globals + FIRSTADDR, end);
        return ret;
    }

    /** {@code firstaddr}: the next physical page allocpages() would hand out. */
    public long firstaddr() { return km.load64(globals + FIRSTADDR); }

    /**
     * Declares [{@code beg}, {@code end}) taken: getmemsize() leaves it out of phys_avail[], so the
     * VM never hands it out (PHYS_TO_VM_PAGE still covers it). Page-rounded outward.
     * (boot only) Call before getmemsize(); panics after it or beyond {@link #NRESERVED} ranges.
     */
    public void reservePhys(long beg, long end) {
        Kassert.kkassert(km.load64(globals + GETMEMSIZE_DONE) == 0, "!getmemsize_done", "reserve_phys");
        long n = km.load64(globals + NRESERVED_COUNT);
        Kassert.kkassert(n < NRESERVED, "nreserved < NRESERVED", "reserve_phys");
        long e = globals + RESERVED + n * PHYSTABLE.byteSize();
        km.store64(e, Param.truncPage(beg));
        km.store64(e + 8, Param.roundPage(end));
        km.store64(globals + NRESERVED_COUNT, n + 1);
    }

    /**
     * getmemsize(): sets Maxmem and physmem from the RAM size, builds the kernel page tables
     * (pmap_bootstrap(), which takes its pages with allocpages()), then fills phys_avail[] with
     * the RAM the VM may manage: [PAGE_SIZE, KERNLOAD) and [first, end of RAM), where
     * {@code first} is the end of the kernel image and of the early boot pages, less the ranges
     * declared with {@link #reservePhys}. (boot only) Called once.
     */
    public void getmemsize() {
        Kassert.kkassert(km.load64(globals + GETMEMSIZE_DONE) == 0, "!getmemsize_done", "getmemsize");
        long size = km.ram().size();
        km.store64(globals + MAXMEM, Param.atop(size));
        kernel.pmap().pmapBootstrap(this, Param.atop(size));
        long first = km.load64(globals + FIRSTADDR);
        int i = 0;
        setPhysAvail(i++, PAGE_SIZE, Vmparam.KERNLOAD);
        if (first < size) {
            setPhysAvail(i++, first, size);
        }
        setPhysAvail(i, 0, 0);
        long n = km.load64(globals + NRESERVED_COUNT);
        for (long r = 0; r < n; r++) {
            long e = globals + RESERVED + r * PHYSTABLE.byteSize();
            physAvailReserve(km.load64(e), km.load64(e + 8));
        }
        km.store64(globals + PHYSMEM, Param.atop(size));
        km.store64(globals + MAXMEM, Param.atop(size));
        km.store64(globals + GETMEMSIZE_DONE, 1);
    }

    // Removes [beg, end) from phys_avail[], splitting a range if needed.
    private void physAvailReserve(long beg, long end) {
        long[] b = new long[VM_PHYSSEG_MAX + 1];
        long[] e = new long[VM_PHYSSEG_MAX + 1];
        int n = 0;
        for (int i = 0; physAvailEnd(i) != 0; i++) {
            long pb = physAvailBeg(i);
            long pe = physAvailEnd(i);
            if (pe <= beg || pb >= end) {
                b[n] = pb;
                e[n++] = pe;
                continue;
            }
            if (pb < beg) {
                b[n] = pb;
                e[n++] = beg;
            }
            if (pe > end) {
                Kassert.kkassert(n < VM_PHYSSEG_MAX, "n < VM_PHYSSEG_MAX", "phys_avail_reserve");
                b[n] = end;
                e[n++] = pe;
            }
        }
        for (int i = 0; i < n; i++) {
            setPhysAvail(i, b[i], e[i]);
        }
        setPhysAvail(n, 0, 0);
    }

    /** phys_avail[i].phys_beg. */
    public long physAvailBeg(int i) { return km.load64(entry(i)); }

    /** phys_avail[i].phys_end; 0 ends the table. */
    public long physAvailEnd(int i) { return km.load64(entry(i) + 8); }

    /** Sets phys_avail[i] (vm_page_startup() page-aligns the ranges in place). */
    public void setPhysAvail(int i, long beg, long end) {
        Kassert.kkassert(i <= VM_PHYSSEG_MAX, "i <= VM_PHYSSEG_MAX", "phys_avail");
        km.store64(entry(i), beg);
        km.store64(entry(i) + 8, end);
    }

    private long entry(int i) { return globals + PHYS_AVAIL + (long) i * PHYSTABLE.byteSize(); }

    /** {@code physmem}: pages of RAM. */
    public long physmem() { return km.load64(globals + PHYSMEM); }

    /** {@code Maxmem}: one past the highest usable page number. */
    public long maxmem() { return km.load64(globals + MAXMEM); }

    /**
     * cpu_startup()'s memory report (SI_BOOT2_START_CPU), on the console: "real memory" (all of
     * RAM, Realmem) and "avail memory" (what the VM has free, v_free_count + v_dma_pages).
     * PORT: the C also prints the version banner and cpu identification and creates the buffer
     * cache submaps, none of which dfemu has. (boot only)
     */
    public void cpuStartup() {
        long realmem = Param.ptoa(maxmem());
        kernel.kprintf(String.format("real memory  = %d (%d MB)", realmem, realmem / 1024 / 1024));
        long vs = kernel.vmMeter().vmstats();
        long avail = Param.ptoa(org.dfemu.kernel.sys.StructVmstats.v_free_count(km, vs)
                + org.dfemu.kernel.sys.StructVmstats.v_dma_pages(km, vs));
        kernel.kprintf(String.format("avail memory = %d (%d MB)", avail, avail / 1024 / 1024));
        // PORT: not printed by the C; dfemu users size machines by what the vm_page array costs.
        long pages = kernel.vmPage().vmPageArraySize();
        long bytes = pages * org.dfemu.kernel.vm.StructVmPage.SIZEOF;
        kernel.kprintf(String.format("vm_page_array = %d entries of %d bytes (%d KB, %d pages of RAM)",
                pages, org.dfemu.kernel.vm.StructVmPage.SIZEOF, bytes / 1024, (bytes + Param.PAGE_SIZE - 1) / Param.PAGE_SIZE));
    }
}
