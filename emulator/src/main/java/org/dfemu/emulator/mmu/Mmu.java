package org.dfemu.emulator.mmu;

import org.dfemu.emulator.memory.PhysicalMemory;

/**
 * One CPU's address translation: its {@link Tlb} in front of a {@link PageWalker}. It turns a
 * virtual address and an {@link Access} into a physical address or a page fault; delivering
 * the fault and retrying is the CPU's job.
 *
 * <p>Algorithm of {@link #translate}:
 * <ol>
 *   <li>A cached entry allows the access: hit.
 *   <li>A cached entry lacks a permission other than D: page fault from the cached bits
 *       (P set), entry dropped, no walk.
 *   <li>Otherwise (no entry, or a write to a page cached with D clear): walk; a successful walk
 *       is cached, a failed one drops any entry for the address and returns the fault.
 * </ol>
 * An access with {@link Access#CHECK} never completes in {@link #hit}; in step 1 here the entry is
 * first compared with a walk that changes nothing ({@link PageWalker#probe}), and a difference
 * throws {@link StaleTlbEntryException}.
 *
 * <p>Thread safety: as {@link Tlb}: owned by one CPU.
 */
public final class Mmu {
    private final Tlb tlb = new Tlb();
    private final PageWalker walker;

    /** The MMU of a CPU with EFER.NXE = {@code nxe} and MAXPHYADDR = {@code physAddrBits}. */
    public Mmu(PhysicalMemory mem, boolean nxe, int physAddrBits) {
        this.walker = new PageWalker(mem, nxe, physAddrBits);
    }

    public Tlb tlb() { return tlb; }

    /**
     * The fast path: the physical address of {@code va} for {@code access} if the TLB alone can
     * give it, else a negative value (then call {@link #translate}). Never allocates or throws.
     */
    public long hit(long va, int access) {
        return tlb.hit(va, access);
    }

    /**
     * Full translation of the canonical address {@code va} for {@code access} through the tables
     * at {@code cr3}: a physical address, or a {@link Translation} fault. Updates A/D and the
     * TLB as described on the class. Caller: the thread running on this CPU. Never blocks.
     */
    public long translate(long cr3, long va, int access) {
        long data = tlb.lookup(va);
        if (data != Tlb.NONE) {
            long missing = access & ~data & ~TlbEntry.CHECK;
            if (missing == 0) {
                tlb.hits++;
                if (Access.isChecked(access)) check(cr3, va, access, data);
                return TlbEntry.pa(data, va);
            }
            if (missing != TlbEntry.D) {
                tlb.drop(va);
                return Translation.fault(PageFaultCode.P | PageFaultCode.forAccess(access, walker.nxe()));
            }
        }
        tlb.walks++;
        long result = walker.walk(cr3, va, access & ~TlbEntry.CHECK);
        if (Translation.isFault(result)) {
            tlb.drop(va);
            return result;
        }
        tlb.insert(va, result);
        return TlbEntry.pa(result, va);
    }

    /**
     * The {@link Access#CHECK} of a hit on {@code cached}: a fresh walk that changes nothing must
     * give the same physical address and grant every permission and the D bit the entry holds
     * (an entry granting less is allowed, as on x86: the access faults and walks again). Throws
     * {@link StaleTlbEntryException} otherwise.
     */
    /**
     * The physical address the tables rooted at {@code cr3} give {@code va} now, or -1 if they do
     * not map it: a probe that neither reads nor fills the TLB and sets no A or D bit, for readers
     * outside the emulated machine's work (trace hooks, checkers). No requirements; never blocks.
     */
    public long probePa(long cr3, long va) {
        long data = walker.probe(cr3, va);
        return Translation.isFault(data) ? -1 : TlbEntry.pa(data, va);
    }

    private void check(long cr3, long va, int access, long cached) {
        long truth = walker.probe(cr3, va);
        if (Translation.isFault(truth) || TlbEntry.pa(truth, va) != TlbEntry.pa(cached, va)
                || (cached & TlbEntry.CHECKED_BITS & ~truth) != 0) {
            throw StaleTlbEntryException.of(cr3, va, access & ~TlbEntry.CHECK, cached, truth);
        }
    }
}
