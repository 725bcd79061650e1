package org.dfemu.emulator.cpu;

import java.util.Objects;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.emulator.mmu.Access;
import org.dfemu.emulator.mmu.Mmu;
import org.dfemu.emulator.mmu.Pte;
import org.dfemu.emulator.mmu.StaleTlbEntryException;
import org.dfemu.emulator.mmu.Tlb;
import org.dfemu.emulator.mmu.Translation;
import org.dfemu.emulator.trace.EmulatorEvents;

/**
 * One emulated x86-64 CPU as the memory system sees it: CR3, a TLB and MMU, the current
 * privilege mode, and loads, stores and copies by virtual address. Kernel code and user
 * programs use the same methods; only the mode differs. Raw physical access stays in
 * {@link PhysicalMemory}.
 *
 * <p>Privilege mode is CPU state (the CPL), a field here: {@link #setUserMode} is what the
 * kernel does on return to user mode and on entry from it. Every access checks the page
 * tables for the current mode. The CPU switches to kernel mode itself while a page fault is
 * handled (see {@link TrapHandler}). A thread switch must happen in kernel mode, as on real
 * hardware, where user code reaches the scheduler only through a trap; the kernel's switch
 * code keeps CR3 and the mode per thread.
 *
 * <p>Accesses: {@code load8..64}/{@code store8..64} are little-endian and may be unaligned; one
 * that spans two pages translates both pages (first, then second) before touching memory, so a
 * fault on the second page reports the second page's first address and leaves memory
 * unchanged. {@link #copyin}/{@link #copyout} move byte ranges page by page (a fault aborts
 * with earlier pages done). {@link #fetch8} is an instruction fetch (checks NX).
 *
 * <p>Faults: a failed translation is delivered to the {@link TrapHandler} and the access
 * retried when the handler returns (contract there). A non-canonical address throws
 * {@link GeneralProtectionException}. Each delivered fault is counted and traced as
 * {@link EmulatorEvents#MMU_PAGE_FAULT} (va, error code, cr3, -). A mapping (or a table) that
 * points outside RAM ends in PhysicalMemory's {@code MachineCheckException}, as on hardware.
 *
 * <p>Supervisor accesses: {@link #supervisorRead}/{@link #supervisorWrite} translate a data
 * access made at CPL 0 whatever the current mode, through the same TLB and walker, and hand the
 * physical address back instead of delivering a fault: the path of a kernel whose loads and
 * stores are not emulated instructions (it does the memory operation itself, atomics included).
 *
 * <p>TLB check ({@link CpuSettings#tlbCheck}): every access carries {@link Access#CHECK}, so no
 * access completes on the one-AND fast path and every hit is compared with a fresh walk
 * ({@link StaleTlbEntryException} if the tables no longer back it). Off, the fast path is the
 * same OR of a final field it always was.
 *
 * <p>TLB maintenance: {@link #loadCr3} (flushes non-global entries), {@link #invlpg},
 * {@link #invltlb}, {@link #invltlbAll}, and cross-CPU {@link #shootdownPage} /
 * {@link #shootdownFlush}.
 *
 * <p>Tracing: events are stamped with the time from the machine's clock supplier, this CPU's
 * id, and the thread id from the machine's thread supplier (the scheduler's current thread),
 * and recorded only when the sink has the type enabled.
 *
 * <p>CPU time ({@link CpuCost}): the CPU counts its work, never measures it: each access made
 * through it (a user load, store or fetch, a kernel access through a {@code supervisor*Hit*}
 * method: one per access, the miss path included), each page walk ({@link Tlb#walks}), each
 * fault delivered (a trap entry and return) and the bytes the kernel zeroes or copies
 * ({@link #countZeroed}, {@link #countCopied}). {@link #takeNs} turns the work not yet charged
 * into whole virtual nanoseconds at the settings' rates, keeping the picosecond remainder; the
 * scheduler calls it at the running thread's scheduling points. With {@link CpuCost#NONE} it is
 * always 0; the access counter is a plain increment on every path either way.
 *
 * <p>Thread safety: a CPU is used by the one emulated thread running on it; the scheduler's
 * hand-offs order one thread's use after another's, and a shootdown from another CPU touches
 * this CPU's TLB while no other emulated thread runs. Counters are plain fields for that reason.
 */
public final class Cpu {
    /** Consecutive faults of one access after which the CPU panics with {@link FaultLoopException}. */
    public static final int FAULT_RETRY_LIMIT = 64;

    private final int id;
    private final Cpus cpus;
    private final PhysicalMemory mem;
    private final Mmu mmu;
    /** {@code mmu.tlb()}, held here so that the fast path is one dependent load shorter. */
    private final Tlb tlb;
    private final CpuSettings settings;
    private final TrapHandler trap;
    private final TraceSink trace;
    private final LongSupplier clock;
    private final IntSupplier threadId;

    private long cr3;
    /** {@link Access#CHECK} with the TLB check on, else 0: OR-ed into every access. */
    private final int check;
    /** {@link Access#USER} in user mode, 0 in kernel mode, plus {@link #check}: OR-ed into every access. */
    private int mode;

    private long pageFaults;
    /** Error code of the last fault delivered here, for the fault-loop panic of split accesses. */
    private int lastFaultCode;
    private long shootdownsSent;
    private long shootdownsReceived;

    // The cost model's counters (see the class comment) and the work already charged, in ps.
    private final CpuCost cost;
    private long accesses;
    private long zeroedBytes;
    private long copiedBytes;
    private long chargedPs;

    Cpu(int id, Cpus cpus, PhysicalMemory mem, CpuSettings settings, TrapHandler trap,
        TraceSink trace, LongSupplier clock, IntSupplier threadId) {
        this.id = id;
        this.cpus = cpus;
        this.mem = mem;
        this.settings = settings;
        this.mmu = new Mmu(mem, settings.nxe(), settings.physAddrBits());
        this.tlb = mmu.tlb();
        this.trap = trap;
        this.trace = trace;
        this.clock = clock;
        this.threadId = threadId;
        this.check = settings.tlbCheck() ? Access.CHECK : 0;
        this.mode = check;
        this.cost = settings.cost();
    }

    /** This CPU's number, 0 .. ncpus-1. */
    public int id() { return id; }

    public CpuSettings settings() { return settings; }

    /** This CPU's TLB (for its counters and for consistency checks). */
    public Tlb tlb() { return mmu.tlb(); }

    // ---- control state ----------------------------------------------------------------------

    /** Current CR3: the physical address of the PML4 (0 until the first {@link #loadCr3}). */
    public long cr3() { return cr3; }

    /**
     * {@code mov cr3}: switches to the tables rooted at {@code cr3} and drops every non-global
     * TLB entry (no PCID), even if the value is unchanged. Bits 11:0 (PWT, PCD, ignored bits) are
     * accepted and kept. Throws {@link GeneralProtectionException} if bits 63:MAXPHYADDR are set.
     * Caller: the thread running on this CPU. Never blocks.
     */
    public void loadCr3(long cr3) {
        if ((cr3 & ~Pte.physAddrMask(settings.physAddrBits())) != 0) {
            throw new GeneralProtectionException(id, "CR3 load with reserved bits", cr3);
        }
        this.cr3 = cr3;
        mmu.tlb().flushNonGlobal();
    }

    /** True while the CPU runs in user mode (CPL 3). */
    public boolean isUserMode() { return Access.isUser(mode); }

    /**
     * Sets the privilege mode for the following accesses: {@code true} on return to a user
     * program, {@code false} on entry to the kernel. Caller: the thread running on this CPU.
     */
    public void setUserMode(boolean user) {
        mode = (user ? Access.USER : 0) | check;
    }

    // ---- supervisor accesses ----------------------------------------------------------------

    /**
     * The physical address for a supervisor (CPL 0) data read of {@code va}, whatever the current
     * mode: the TLB, or on a miss a walk of the tables at CR3 that sets A as the hardware does and
     * is cached. No fault is delivered or counted: if the tables refuse the access the result is a
     * negative {@link Translation} fault for the caller to handle. Throws
     * {@link GeneralProtectionException} for a non-canonical address and, with the TLB check on,
     * {@link StaleTlbEntryException}. Caller: the thread running on this CPU. Never blocks.
     */
    public long supervisorRead(long va) {
        long pa = tlb.hit(va, Access.READ | check);
        return pa >= 0 ? pa : supervisorSlow(va, Access.READ);
    }

    /**
     * The TLB alone for a supervisor read: the physical address if a cached entry completes the
     * access, else a negative value (then {@link #supervisorRead}, which walks). For callers that
     * keep their miss path out of line, so that the hit path stays small enough to inline. Never
     * throws; counts a hit only with {@link Tlb#COUNT_HITS}. Caller: the thread running on this CPU.
     */
    public long supervisorReadHit(long va) {
        accesses++;
        return tlb.hit(va, Access.READ | check);
    }

    /**
     * As {@link #supervisorReadHit} for an address a 2 MiB page is expected to map (the kernel's
     * direct map): one tag compare in the 2 MiB array ({@link Tlb#hitLarge}); negative if that
     * alone does not complete the access.
     */
    public long supervisorReadHitLarge(long va) {
        accesses++;
        return tlb.hitLarge(va, Access.READ | check);
    }

    /** As {@link #supervisorReadHitLarge}, for a write. */
    public long supervisorWriteHitLarge(long va) {
        accesses++;
        return tlb.hitLarge(va, Access.WRITE | check);
    }

    /** As {@link #supervisorReadHit}, for a write ({@link #supervisorWrite}). */
    public long supervisorWriteHit(long va) {
        accesses++;
        return tlb.hit(va, Access.WRITE | check);
    }

    /**
     * As {@link #supervisorRead}, for a write (or a locked read-modify-write, which x86 performs
     * as a write whatever its outcome): needs RW at every level, and a miss sets D in the final
     * entry.
     */
    public long supervisorWrite(long va) {
        long pa = tlb.hit(va, Access.WRITE | check);
        return pa >= 0 ? pa : supervisorSlow(va, Access.WRITE);
    }

    private long supervisorSlow(long va, int access) {
        if (!Pte.isCanonical(va)) {
            throw new GeneralProtectionException(id, Access.describe(access) + " at non-canonical address", va);
        }
        try {
            return mmu.translate(cr3, va, access | check);
        } catch (StaleTlbEntryException e) {
            throw e.onCpu(id);
        }
    }

    // ---- loads and stores -------------------------------------------------------------------

    /** Loads the byte at {@code va} (0..255). May fault (see class doc); may block in the trap handler. */
    public int load8(long va) {
        return mem.load8(translate(va, Access.READ));
    }

    /** Loads the little-endian 16-bit value at {@code va} (0..65535). As {@link #load8}. */
    public int load16(long va) {
        if (Pte.crossesPage(va, 2)) return (int) accessSplit(va, 2, Access.READ, 0);
        return mem.load16(translate(va, Access.READ));
    }

    /** Loads the little-endian 32-bit value at {@code va}. As {@link #load8}. */
    public int load32(long va) {
        if (Pte.crossesPage(va, 4)) return (int) accessSplit(va, 4, Access.READ, 0);
        return mem.load32(translate(va, Access.READ));
    }

    /** Loads the little-endian 64-bit value at {@code va}. As {@link #load8}. */
    public long load64(long va) {
        if (Pte.crossesPage(va, 8)) return accessSplit(va, 8, Access.READ, 0);
        return mem.load64(translate(va, Access.READ));
    }

    /** Stores the low 8 bits of {@code v} at {@code va}. May fault (see class doc); may block in the trap handler. */
    public void store8(long va, int v) {
        mem.store8(translate(va, Access.WRITE), v);
    }

    /** Stores the low 16 bits of {@code v} at {@code va}, little-endian. As {@link #store8}. */
    public void store16(long va, int v) {
        if (Pte.crossesPage(va, 2)) accessSplit(va, 2, Access.WRITE, v);
        else mem.store16(translate(va, Access.WRITE), v);
    }

    /** Stores {@code v} at {@code va}, little-endian. As {@link #store8}. */
    public void store32(long va, int v) {
        if (Pte.crossesPage(va, 4)) accessSplit(va, 4, Access.WRITE, v);
        else mem.store32(translate(va, Access.WRITE), v);
    }

    /** Stores {@code v} at {@code va}, little-endian. As {@link #store8}. */
    public void store64(long va, long v) {
        if (Pte.crossesPage(va, 8)) accessSplit(va, 8, Access.WRITE, v);
        else mem.store64(translate(va, Access.WRITE), v);
    }

    /**
     * Fetches the instruction byte at {@code va}: a read that also needs execute permission (NX
     * clear at every level when NXE is on). As {@link #load8}.
     */
    public int fetch8(long va) {
        return mem.load8(translate(va, Access.EXEC));
    }

    /**
     * Copies {@code len} bytes from virtual {@code va} into {@code dst[off..]}, page by page, in
     * the current mode. If a page faults and the handler aborts, the bytes of earlier pages
     * have been copied. Whether {@code va} is a user address is the kernel's check, not this
     * method's. May block in the trap handler.
     */
    public void copyin(long va, byte[] dst, int off, int len) {
        Objects.checkFromIndexSize(off, len, dst.length);
        while (len > 0) {
            int chunk = (int) Math.min(len, Pte.PAGE_SIZE - Pte.pageOffset(va));
            mem.read(translate(va, Access.READ), dst, off, chunk);
            va += chunk;
            off += chunk;
            len -= chunk;
        }
    }

    /** Copies {@code src[off..off+len)} to virtual {@code va}, page by page. As {@link #copyin}. */
    public void copyout(byte[] src, int off, long va, int len) {
        Objects.checkFromIndexSize(off, len, src.length);
        while (len > 0) {
            int chunk = (int) Math.min(len, Pte.PAGE_SIZE - Pte.pageOffset(va));
            mem.write(translate(va, Access.WRITE), src, off, chunk);
            va += chunk;
            off += chunk;
            len -= chunk;
        }
    }

    // ---- TLB maintenance --------------------------------------------------------------------

    /** {@code invlpg va}: drops this CPU's cached translation of the page holding {@code va}. Never blocks. */
    public void invlpg(long va) {
        mmu.tlb().invlpg(va);
    }

    /** Reloads CR3 with its current value: drops every non-global entry. Never blocks. */
    public void invltlb() {
        mmu.tlb().flushNonGlobal();
    }

    /** Drops every entry, global ones included (a CR4.PGE toggle). Never blocks. */
    public void invltlbAll() {
        mmu.tlb().flushAll();
    }

    /**
     * Invalidates the page holding {@code va} on every CPU in {@code cpuMask} (bit n = CPU n;
     * this CPU's own bit means a local {@code invlpg}). Each other target counts as one IPI sent
     * here and received there; delivery is immediate, since only one emulated thread runs at a
     * time, so the targets' TLBs are clean on return. Traces {@link EmulatorEvents#TLB_SHOOTDOWN}
     * (mask, va, 0, -) when another CPU is targeted. Throws IllegalArgumentException for a bit
     * beyond the machine's CPUs. Never blocks.
     */
    public void shootdownPage(long cpuMask, long va) {
        shootdown(cpuMask, va, false, false);
    }

    /**
     * Flushes the TLB of every CPU in {@code cpuMask}: non-global entries, or all entries if
     * {@code includeGlobal}. As {@link #shootdownPage}; traces (mask, -1, includeGlobal ? 1 : 0, -).
     */
    public void shootdownFlush(long cpuMask, boolean includeGlobal) {
        shootdown(cpuMask, -1, true, includeGlobal);
    }

    private void shootdown(long cpuMask, long va, boolean flush, boolean includeGlobal) {
        cpus.checkMask(cpuMask);
        long remote = cpuMask & ~(1L << id);
        if (remote != 0 && trace.enabled(EmulatorEvents.TLB_SHOOTDOWN)) {
            trace.record(clock.getAsLong(), id, threadId.getAsInt(), EmulatorEvents.TLB_SHOOTDOWN,
                    cpuMask, va, includeGlobal ? 1 : 0, 0);
        }
        for (long m = cpuMask; m != 0; m &= m - 1) {
            Cpu target = cpus.cpu(Long.numberOfTrailingZeros(m));
            if (target != this) {
                shootdownsSent++;
                target.shootdownsReceived++;
            }
            if (!flush) target.invlpg(va);
            else if (includeGlobal) target.invltlbAll();
            else target.invltlb();
        }
    }

    /** A snapshot of this CPU's counters. No requirements. */
    public CpuCounters counters() {
        Tlb tlb = mmu.tlb();
        return new CpuCounters(tlb.hits(), tlb.walks(), tlb.invlpgs(), tlb.flushes(),
                shootdownsSent, shootdownsReceived, pageFaults);
    }

    /**
     * The physical address the tables at CR3 give {@code va} now, or -1: no TLB lookup or fill, no
     * A or D bit, not counted as work. For instruments that must leave the run as it is (trace
     * hooks, invariant checks, reports). Caller: any code running while this CPU is idle or its
     * thread runs. Never blocks.
     */
    public long probe(long va) {
        return Pte.isCanonical(va) ? mmu.probePa(cr3, va) : -1;
    }

    // ---- CPU time ---------------------------------------------------------------------------

    /** Counts {@code bytes} the kernel zeroed on this CPU (pmap_zero_page, bzero). Never blocks. */
    public void countZeroed(long bytes) {
        zeroedBytes += bytes;
    }

    /** Counts {@code bytes} the kernel copied on this CPU (pmap_copy_page). Never blocks. */
    public void countCopied(long bytes) {
        copiedBytes += bytes;
    }

    /** Accesses counted so far (see the class comment). */
    public long accesses() { return accesses; }

    /** All work counted so far, in virtual picoseconds at the cost model's rates. */
    private long workPs() {
        CpuCost c = cost;
        return accesses * c.psPerAccess()
                + tlb.walks() * c.nsPerTlbWalk() * 1000
                + pageFaults * c.nsPerTrap() * 1000
                + zeroedBytes * c.nsPerPageZero() * 1000 / Pte.PAGE_SIZE
                + copiedBytes * c.nsPerPageCopy() * 1000 / Pte.PAGE_SIZE;
    }

    /** Whole virtual nanoseconds of work counted and not yet taken by {@link #takeNs}. No requirements. */
    public long pendingNs() {
        return (workPs() - chargedPs) / 1000;
    }

    /**
     * Takes the work counted since the last call as whole virtual nanoseconds (the picosecond
     * remainder stays for the next call): what the scheduler charges to the running thread.
     * Caller: the scheduler, at a scheduling point. Never blocks.
     */
    public long takeNs() {
        long ns = pendingNs();
        chargedPs += ns * 1000;
        return ns;
    }

    // ---- translation and fault delivery -----------------------------------------------------

    /** Physical address of {@code va} for {@code access} in the current mode; faults delivered and retried. */
    private long translate(long va, int access) {
        accesses++;
        int need = access | mode;
        long pa = tlb.hit(va, need);
        return pa >= 0 ? pa : translateSlow(va, access);
    }

    private long translateSlow(long va, int access) {
        if (!Pte.isCanonical(va)) {
            throw new GeneralProtectionException(id, Access.describe(access | mode) + " at non-canonical address", va);
        }
        for (int faults = 0; ; faults++) {
            long result;
            try {
                result = mmu.translate(cr3, va, access | mode);
            } catch (StaleTlbEntryException e) {
                throw e.onCpu(id);
            }
            if (!Translation.isFault(result)) return result;
            int code = Translation.errorCode(result);
            if (faults == FAULT_RETRY_LIMIT) throw new FaultLoopException(id, va, code, faults);
            deliverPageFault(va, code);
        }
    }

    private void deliverPageFault(long va, int errorCode) {
        pageFaults++;
        lastFaultCode = errorCode;
        if (trace.enabled(EmulatorEvents.MMU_PAGE_FAULT)) {
            trace.record(clock.getAsLong(), id, threadId.getAsInt(), EmulatorEvents.MMU_PAGE_FAULT,
                    va, errorCode, cr3, 0);
        }
        int interrupted = mode;
        mode = check;
        try {
            trap.pageFault(this, va, errorCode);
        } finally {
            mode = interrupted;
        }
    }

    /**
     * An access of {@code size} bytes at {@code va} that spans two pages: translates the first
     * page, then the second, and starts over if handling a fault on the second page ran kernel
     * code (which may have unmapped the first); only then touches memory, byte by byte. Returns
     * the loaded value for a read; stores {@code v} for a write.
     */
    private long accessSplit(long va, int size, int access, long v) {
        long second = Pte.nextPage(va);
        int firstLen = (int) (second - va);
        long pa1;
        long pa2;
        for (int rounds = 0; ; rounds++) {
            pa1 = translate(va, access);
            long faultsBefore = pageFaults;
            pa2 = translate(second, access);
            if (pageFaults == faultsBefore) break;
            if (rounds == FAULT_RETRY_LIMIT) throw new FaultLoopException(id, second, lastFaultCode, rounds);
        }
        long loaded = 0;
        for (int k = 0; k < size; k++) {
            long pa = k < firstLen ? pa1 + k : pa2 + (k - firstLen);
            if (Access.isWrite(access)) mem.store8(pa, (int) (v >>> (8 * k)));
            else loaded |= (long) mem.load8(pa) << (8 * k);
        }
        return loaded;
    }
}
