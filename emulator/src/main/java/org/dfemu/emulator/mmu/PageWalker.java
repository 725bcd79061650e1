package org.dfemu.emulator.mmu;

import org.dfemu.emulator.memory.PhysicalMemory;

/**
 * The hardware page-table walk of x86-64 4-level paging, over tables held in
 * {@link PhysicalMemory}. It models a CPU with CR0.PG, CR0.WP, CR4.PAE and CR4.PGE on, EFER.LME
 * on, EFER.NXE as configured, no SMEP/SMAP, no PCID, no protection keys, no 1 GiB pages.
 *
 * <p>Checks, in the order the hardware makes them, level by level from the root:
 * <ol>
 *   <li>P clear: not-present fault (error code without {@link PageFaultCode#P}); the rest of a
 *       non-present entry is ignored.
 *   <li>Reserved bits set: fault with {@link PageFaultCode#P} | {@link PageFaultCode#RSVD}.
 *       Reserved at every level: bits 51:MAXPHYADDR, and NX while EFER.NXE is off. PML4E: PS.
 *       PDPTE: PS (a 1 GiB page; this CPU reports no 1 GiB page support, so the kernel must
 *       map with 2 MiB pages; DragonFly checks the CPUID bit and does). PDE with PS: bits
 *       20:13. A PTE's bit 7 is PAT and is fine.
 *   <li>At the final entry, permissions combined over all levels: a user access needs US at
 *       every level; a write (user or supervisor: CR0.WP=1, as DragonFly runs) needs RW at every
 *       level; an instruction fetch with NXE on needs NX clear at every level. A supervisor
 *       access to a user page is allowed (no SMAP/SMEP). Failure: fault with
 *       {@link PageFaultCode#P}.
 * </ol>
 * Every error code also carries W, U and I for the access ({@link PageFaultCode#forAccess}).
 *
 * <p>Accessed and dirty bits: only a walk that ends in a successful translation updates them
 * (a faulting access leaves the tables untouched, which the SDM permits and which keeps the
 * kernel's reference bits honest). It sets A in each entry it used, root first, and also D in
 * the final entry when the access is a write; never D in a non-final entry. Each update is a
 * {@code cas64} from the value the walk read, so a concurrent change to an entry (the kernel
 * clearing P or RW between our read and our update) is never overwritten: the CAS fails and the
 * whole walk restarts from CR3, as the locked update of a real walker would see the new value.
 *
 * <p>Allocation-free: the result is one long (a {@link TlbEntry} data word, or a
 * {@link Translation} fault).
 *
 * <p>Thread safety: none of its own; reads the tables with plain loads (one emulated thread runs
 * at a time) and updates them atomically.
 */
public final class PageWalker {
    private final PhysicalMemory mem;
    private final boolean nxe;
    /** Bits that must be zero in every present entry: 51:MAXPHYADDR, plus NX when NXE is off. */
    private final long reserved;
    /** NX when NXE is on (then it forbids fetches), else 0. */
    private final long nxBit;

    /**
     * A walker over {@code mem} for a CPU with EFER.NXE = {@code nxe} and MAXPHYADDR =
     * {@code physAddrBits} (36..52).
     */
    public PageWalker(PhysicalMemory mem, boolean nxe, int physAddrBits) {
        if (physAddrBits < 36 || physAddrBits > 52) {
            throw new IllegalArgumentException("PageWalker: MAXPHYADDR " + physAddrBits + " outside 36..52");
        }
        this.mem = mem;
        this.nxe = nxe;
        this.reserved = Pte.reservedAddressBits(physAddrBits) | (nxe ? 0 : Pte.NX);
        this.nxBit = nxe ? Pte.NX : 0;
    }

    /** EFER.NXE of the CPU this walker serves. */
    public boolean nxe() { return nxe; }

    /**
     * Translates {@code va} for {@code access} (an {@link Access} value) through the tables
     * rooted at {@code cr3}, updating A and D on success. Returns a {@link TlbEntry} data word
     * for the page (non-negative) or a {@link Translation} fault. {@code va} must be canonical.
     * Throws {@link org.dfemu.emulator.memory.MachineCheckException} if a table lies outside RAM.
     * No requirements; never blocks.
     */
    public long walk(long cr3, long va, int access) {
        return walk(cr3, va, access, true);
    }

    /**
     * What the tables rooted at {@code cr3} say about {@code va} right now, without touching them:
     * the {@link TlbEntry} data word a supervisor read would be given (W, U, X effective over the
     * four levels, D and G as the final entry holds them, whether or not set), or a
     * {@link Translation} fault if a level is not present or has a reserved bit. Sets no A or D
     * bit. For checking a cached translation against the tables ({@link Access#CHECK}). No
     * requirements; never blocks.
     */
    public long probe(long cr3, long va) {
        return walk(cr3, va, Access.READ, false);
    }

    /** The walk; {@code update}: set A/D as the hardware does (false only for {@link #probe}). */
    private long walk(long cr3, long va, int access, boolean update) {
        for (;;) {
            // Level 4: PML4.
            long a4 = Pte.entryAddress(cr3, va, Pte.LEVEL_PML4);
            long e4 = mem.load64(a4);
            if ((e4 & Pte.P) == 0) return notPresent(access);
            if ((e4 & (reserved | Pte.PS)) != 0) return reservedBit(access);

            // Level 3: PDPT. PS here would be a 1 GiB page, which this CPU does not have.
            long a3 = Pte.entryAddress(Pte.frame(e4), va, Pte.LEVEL_PDPT);
            long e3 = mem.load64(a3);
            if ((e3 & Pte.P) == 0) return notPresent(access);
            if ((e3 & (reserved | Pte.PS)) != 0) return reservedBit(access);

            // Level 2: PD; with PS it is the final entry of a 2 MiB page.
            long a2 = Pte.entryAddress(Pte.frame(e3), va, Pte.LEVEL_PD);
            long e2 = mem.load64(a2);
            if ((e2 & Pte.P) == 0) return notPresent(access);
            boolean large = (e2 & Pte.PS) != 0;
            if ((e2 & (large ? reserved | Pte.RSVD_2M : reserved)) != 0) return reservedBit(access);

            // Level 1: PT, unless the PD entry was final.
            long a1 = a2;
            long e1 = e2;
            if (!large) {
                a1 = Pte.entryAddress(Pte.frame(e2), va, Pte.LEVEL_PT);
                e1 = mem.load64(a1);
                if ((e1 & Pte.P) == 0) return notPresent(access);
                if ((e1 & reserved) != 0) return reservedBit(access);
            }

            // For a 2 MiB page e1 == e2, so the same AND/OR covers both shapes.
            long all = e4 & e3 & e2 & e1;
            long any = e4 | e3 | e2 | e1;
            int bits = 0;
            if ((all & Pte.RW) != 0) bits |= TlbEntry.W;
            if ((all & Pte.US) != 0) bits |= TlbEntry.U;
            if ((any & nxBit) == 0) bits |= TlbEntry.X;
            // D is not a permission: the walk is about to set it.
            if ((access & ~(bits | TlbEntry.D)) != 0) {
                return Translation.fault(PageFaultCode.P | PageFaultCode.forAccess(access, nxe));
            }

            long leaf = update ? e1 | Pte.A | (Access.isWrite(access) ? Pte.D : 0) : e1;
            if (update && (!setAccessed(a4, e4) || !setAccessed(a3, e3)
                    || (!large && !setAccessed(a2, e2))
                    || (leaf != e1 && !mem.cas64(a1, e1, leaf)))) {
                continue; // an entry changed under us: walk again from the root
            }
            if ((leaf & Pte.D) != 0) bits |= TlbEntry.D;
            if ((leaf & Pte.G) != 0) bits |= TlbEntry.G;
            if (large) return TlbEntry.make(Pte.frame2m(leaf), bits | TlbEntry.LARGE);
            return TlbEntry.make(Pte.frame(leaf), bits);
        }
    }

    /** Sets A in the non-final entry at {@code pa} read as {@code e}; false if it changed meanwhile. */
    private boolean setAccessed(long pa, long e) {
        return (e & Pte.A) != 0 || mem.cas64(pa, e, e | Pte.A);
    }

    private long notPresent(int access) {
        return Translation.fault(PageFaultCode.forAccess(access, nxe));
    }

    private long reservedBit(int access) {
        return Translation.fault(PageFaultCode.P | PageFaultCode.RSVD | PageFaultCode.forAccess(access, nxe));
    }
}
