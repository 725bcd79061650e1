package org.dfemu.kernel;

import org.dfemu.emulator.cpu.Cpu;
import org.dfemu.emulator.cpu.GeneralProtectionException;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.emulator.mmu.PageFaultCode;
import org.dfemu.emulator.mmu.StaleTlbEntryException;
import org.dfemu.emulator.mmu.Translation;
import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.machine.Vmparam;

import java.nio.charset.StandardCharsets;

/**
 * The kernel's view of memory: loads, stores and atomics by 64-bit kernel virtual address, the way
 * kernel C code dereferences pointers. Every struct view ({@code Struct*} classes) and every
 * global goes through here.
 *
 * <p>Translation. Every access, DMAP and kernel_map alike, is a supervisor access of the CPU the
 * running kernel code is on ({@link #setCpu}: the boot CPU from pmap_bootstrap's CR3 load, then
 * the running thread's CPU, set at each hand-off): through that CPU's TLB, filled on a miss by the
 * emulator's page walker, which sets A (and D for a write) in the kernel's page tables as the
 * hardware does. So the kernel sees exactly what a DragonFly kernel on that CPU would: a PTE it
 * changes is seen only after the invalidation the pmap makes (invlpg, a pmap_inval shootdown, a
 * CR3 load), and a missing invalidation is a stale translation, which the machine's TLB check
 * ({@code debug.tlb_check}) reports. Loads are reads; stores and atomics are writes (a locked
 * x86 instruction writes whatever its outcome). An access the tables refuse panics ("kernel page
 * fault"). Accesses are at most 8 bytes and naturally aligned for atomics, so none crosses a page
 * and one translation per access suffices.
 *
 * <p>Before pmap_bootstrap there are no kernel page tables: DMAP addresses are translated
 * arithmetically, as the loader's initial mapping of the kernel image would serve them, and
 * anything else panics.
 *
 * <p>Ordering: plain accesses have none; atomics are sequentially consistent (see
 * {@link PhysicalMemory}). A RAM access outside installed memory is the emulator's
 * {@link org.dfemu.emulator.memory.MachineCheckException}.
 */
public final class KernelMemory {
    private final PhysicalMemory ram;
    private final long ramSize;
    // The CPU whose TLB translates the running kernel code's accesses; null until pmap_bootstrap.
    // Plain: only the Java thread the scheduler runs (or the boot context) uses the kernel, and
    // every hand-off orders the next thread's accesses after the last one's.
    private Cpu cpu;
    /** While an instrument reads ({@link #instrumentBegin}): the CPU whose tables it probes; else null. */
    private Cpu probeCpu;

    public KernelMemory(PhysicalMemory ram) {
        this.ram = ram;
        this.ramSize = ram.size();
    }

    /** The machine's RAM, for bulk page operations by physical address (pmap_zero_page &c). */
    public PhysicalMemory ram() { return ram; }

    /**
     * From now on the kernel's accesses are supervisor accesses of {@code cpu}: called by
     * pmap_bootstrap (the boot CPU, once it runs on the kernel page tables), by the pmap when the
     * machine's CPUs are attached, and by Lwkt at each of the scheduler's hand-offs, with the CPU
     * of the thread about to run ({@code Scheduler.onHandOff}). Never blocks.
     */
    public void setCpu(Cpu cpu) {
        this.cpu = cpu;
    }

    /**
     * Starts the reads of an instrument (a trace hook, an invariant check, a report): until
     * {@link #instrumentEnd}, accesses do not go through the CPU, so they neither count as its
     * work (the CPU-time model) nor read or fill its TLB, nor set A or D bits: DMAP addresses
     * are translated arithmetically and others by a probe of the CPU's tables. So an instrument
     * leaves the run, its timing included, as it was. Returns the token for instrumentEnd
     * (null when nested or before pmap_bootstrap). Never blocks.
     */
    public Cpu instrumentBegin() {
        Cpu c = cpu;
        if (c != null) {
            probeCpu = c;
            cpu = null;
        }
        return c;
    }

    /** Ends what {@link #instrumentBegin} started; {@code token} is what it returned. Never blocks. */
    public void instrumentEnd(Cpu token) {
        if (token != null) {
            cpu = token;
            probeCpu = null;
        }
    }

    /** The CPU the kernel's accesses go through now, or null before pmap_bootstrap. */
    public Cpu cpu() { return cpu; }

    /**
     * With the machine's TLB check on, panics unless the kernel's accesses go through
     * {@code running}, the CPU the running code is on by another account (the scheduler's, the
     * faulting CPU's): a scheduling point that did not hand the accesses over ({@link #setCpu})
     * would otherwise go unnoticed, since every CPU translates kernel addresses alike. Cheap when
     * the check is off. Never blocks.
     */
    public void checkCpu(Cpu running, String where) {
        Cpu c = cpu;
        if (running.settings().tlbCheck() && c != running) {
            throw Kassert.panic("%s: running on cpu%d, but the kernel's accesses go through cpu%s's TLB", where,
                    running.id(), c == null ? "-" : Integer.toString(c.id()));
        }
    }

    /** True if {@code kva} lies in the direct map of installed RAM. */
    public boolean isDmap(long kva) {
        return Long.compareUnsigned(kva - Vmparam.DMAP_MIN_ADDRESS, ramSize) < 0;
    }

    /**
     * The physical address behind {@code kva} ({@code vtophys}), translated as a read. Panics
     * ("kernel page fault") if the address is not mapped.
     */
    public long pa(long kva) {
        return paRead(kva);
    }

    /**
     * The physical address behind {@code kva} translated as a write: for a locked operation the
     * caller makes on the physical word itself (lock words handed to the scheduler). Panics as
     * {@link #pa}.
     */
    public long paForWrite(long kva) {
        return paWrite(kva);
    }

    // The hit paths are kept to a few bytecodes so that the JIT inlines them into every load and
    // store; TLB misses, the loader phase and refusals go to the out-of-line miss paths.
    // A DMAP address asks the TLB for its 2 MiB entry alone (the pmap maps the DMAP with 2 MiB
    // pages): one tag compare; anything else takes the TLB's full probe.
    private long paRead(long kva) {
        Cpu c = cpu;
        long pa;
        if (c == null || (pa = isDmap(kva) ? c.supervisorReadHitLarge(kva) : c.supervisorReadHit(kva)) < 0) {
            return paMiss(kva, false);
        }
        return pa;
    }

    private long paWrite(long kva) {
        Cpu c = cpu;
        long pa;
        if (c == null || (pa = isDmap(kva) ? c.supervisorWriteHitLarge(kva) : c.supervisorWriteHit(kva)) < 0) {
            return paMiss(kva, true);
        }
        return pa;
    }

    /**
     * A TLB miss, the loader phase, or a refusal. A protection refusal may be spurious: a cached
     * entry granting less than the tables now do (a PTE upgraded without invalidation, which x86
     * allows). The CPU dropped that entry, so the kernel's trap would find the mapping and return,
     * and the access would walk again: retried once here. Anything else panics.
     */
    private long paMiss(long kva, boolean write) {
        long pa = translate(kva, write);
        if (pa < 0 && pa != -1 && (Translation.errorCode(pa) & PageFaultCode.P) != 0) {
            pa = translate(kva, write);
        }
        return pa >= 0 ? pa : fault(kva, pa);
    }

    /** One translation through the current CPU (or the loader's DMAP): a physical address or a negative refusal. */
    private long translate(long kva, boolean write) {
        Cpu c = cpu;
        try {
            if (c == null) {
                long pa = loaderPa(kva);
                Cpu probe = probeCpu;
                return pa < 0 && probe != null ? probe.probe(kva) : pa;
            }
            return write ? c.supervisorWrite(kva) : c.supervisorRead(kva);
        } catch (GeneralProtectionException | StaleTlbEntryException e) {
            throw cpuException(e);
        }
    }

    /** Before pmap_bootstrap: the DMAP by arithmetic, else -1. */
    private long loaderPa(long kva) {
        long off = kva - Vmparam.DMAP_MIN_ADDRESS;
        return Long.compareUnsigned(off, ramSize) < 0 ? off : -1;
    }

    /** The panic of a kernel access the page tables refuse ({@code result}: a Translation fault, or -1). */
    private static long fault(long kva, long result) {
        if (result != -1 && (Translation.errorCode(result) & PageFaultCode.P) != 0) {
            throw Kassert.panic("kernel page fault: supervisor access to 0x%016x refused, error code %s", kva,
                    PageFaultCode.describe(Translation.errorCode(result)));
        }
        throw Kassert.panic("kernel page fault: supervisor access to unmapped address 0x%016x", kva);
    }

    /** A CPU exception on a kernel access (non-canonical address, stale TLB entry) as the panic it is. */
    private static KernelPanic cpuException(RuntimeException e) {
        return Kassert.panic("%s", e.getMessage());
    }

    public int load8(long kva) { return ram.load8(paRead(kva)); }
    public int load16(long kva) { return ram.load16(paRead(kva)); }
    public int load32(long kva) { return ram.load32(paRead(kva)); }
    public long load64(long kva) { return ram.load64(paRead(kva)); }

    public void store8(long kva, int v) { ram.store8(paWrite(kva), v); }
    public void store16(long kva, int v) { ram.store16(paWrite(kva), v); }
    public void store32(long kva, int v) { ram.store32(paWrite(kva), v); }
    public void store64(long kva, long v) { ram.store64(paWrite(kva), v); }

    /** {@code atomic_cmpset_int}. */
    public boolean cas32(long kva, int expect, int update) { return ram.cas32(paWrite(kva), expect, update); }

    /** {@code atomic_cmpset_long}. */
    public boolean cas64(long kva, long expect, long update) { return ram.cas64(paWrite(kva), expect, update); }

    /** {@code atomic_fetchadd_int}: returns the previous value. */
    public int fetchAdd32(long kva, int delta) { return ram.fetchAdd32(paWrite(kva), delta); }

    /** {@code atomic_fetchadd_long}: returns the previous value. */
    public long fetchAdd64(long kva, long delta) { return ram.fetchAdd64(paWrite(kva), delta); }

    /** {@code atomic_swap_long}. */
    public long swap64(long kva, long v) { return ram.swap64(paWrite(kva), v); }

    /** {@code atomic_set_int}: ORs {@code bits} into the 32-bit word. */
    public void atomicSet32(long kva, int bits) {
        long pa = paWrite(kva);
        int old;
        do {
            old = ram.load32(pa);
        } while (!ram.cas32(pa, old, old | bits));
    }

    /** {@code atomic_clear_int}: clears {@code bits} in the 32-bit word. */
    public void atomicClear32(long kva, int bits) {
        long pa = paWrite(kva);
        int old;
        do {
            old = ram.load32(pa);
        } while (!ram.cas32(pa, old, old & ~bits));
    }

    /**
     * {@code bzero}: zeroes {@code len} bytes from {@code kva}, page by page through the translation
     * (writes); the bytes count as zeroing work of the current CPU (the CPU-time model).
     */
    public void bzero(long kva, long len) {
        long va = kva;
        long end = kva + len;
        while (va != end) {
            long chunk = Math.min(end - va, Param.PAGE_SIZE - (va & Param.PAGE_MASK));
            ram.fill(paWrite(va), chunk, (byte) 0);
            va += chunk;
        }
        Cpu c = cpu;
        if (c != null) c.countZeroed(len);
    }

    /** {@code pagezero} of the page at physical {@code pa}, counted as zeroing work of the current CPU. */
    public void zeroPage(long pa) {
        ram.zeroPage(pa);
        Cpu c = cpu;
        if (c != null) c.countZeroed(Param.PAGE_SIZE);
    }

    /** Zeroes {@code len} bytes at physical {@code pa} (part of a page), counted as {@link #zeroPage} is. */
    public void zeroPhys(long pa, long len) {
        ram.fill(pa, len, (byte) 0);
        Cpu c = cpu;
        if (c != null) c.countZeroed(len);
    }

    /** {@code pagecopy} of physical page {@code src} to {@code dst}, counted as copying work of the current CPU. */
    public void copyPage(long src, long dst) {
        ram.copyPage(src, dst);
        Cpu c = cpu;
        if (c != null) c.countCopied(Param.PAGE_SIZE);
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
