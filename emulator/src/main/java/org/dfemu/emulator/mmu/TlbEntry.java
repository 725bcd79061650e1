package org.dfemu.emulator.mmu;

/**
 * The encoding of one cached translation, shared by the walker (which produces it) and the
 * {@link Tlb} (which stores it). An entry is a tag word and a data word.
 *
 * <pre>
 * tag  (4 KiB): va | 0xfff            (never 0, so 0 marks an empty slot)
 * tag  (2 MiB): va | 0x1fffff
 * data:  63    52 51              12 11 10  9   8   7   6  5  4  3   2   1   0
 *       +--------+------------------+-----+---+---+---+---+--------+---+---+---+
 *       |   0    |  physical frame  |  0  | X | G | L | D |   0    | U | W | 0 |
 *       +--------+------------------+-----+---+---+---+---+--------+---+---+---+
 * </pre>
 * W, U, D, G sit where the PTE has RW, US, D, G; L (large, 2 MiB) where the PTE has PS; X
 * ("fetch allowed") in an available bit. W, U and X are the effective permissions over all four
 * levels (AND of RW, AND of US, NOR of NX when NXE is on); D and G come from the final entry. A
 * 2 MiB entry holds the 2 MiB frame (bits 20:12 zero). Data words are never negative, so
 * callers may use negative values as "no entry".
 *
 * <p>No requirements: every method here is a pure function.
 */
final class TlbEntry {
    private TlbEntry() {}

    static final int W = (int) Pte.RW;
    static final int U = (int) Pte.US;
    static final int D = (int) Pte.D;
    static final int LARGE = (int) Pte.PS;
    static final int G = (int) Pte.G;
    static final int X = 0x200;
    /** Never set in a data word: the {@link Access#CHECK} request bit (see there). */
    static final int CHECK = 0x800;
    /** The bits a fresh walk must grant for a cached entry to be still true: permissions and D. */
    static final int CHECKED_BITS = W | U | D | X;

    /** A data word for a page at {@code framePa} (4 KiB or 2 MiB aligned) with {@code bits}. */
    static long make(long framePa, int bits) {
        return framePa | bits;
    }

    static boolean isLarge(long data) { return (data & LARGE) != 0; }

    static boolean isGlobal(long data) { return (data & G) != 0; }

    /** E.g. {@code "pa 0x1234000 (4K W D G)"}: a data word's page and bits, for messages. */
    static String describe(long data, long va) {
        StringBuilder sb = new StringBuilder(String.format("pa 0x%x (%s", pa(data, va), isLarge(data) ? "2M" : "4K"));
        if ((data & W) != 0) sb.append(" W");
        if ((data & U) != 0) sb.append(" U");
        if ((data & X) != 0) sb.append(" X");
        if ((data & D) != 0) sb.append(" D");
        if ((data & G) != 0) sb.append(" G");
        return sb.append(')').toString();
    }

    static long tag4k(long va) { return va | Pte.PAGE_MASK; }

    static long tag2m(long va) { return va | Pte.LARGE_MASK; }

    /** Index of the tag word of {@code va}'s slot in an array of {@code entries} [tag, data] pairs. */
    static int slot4k(long va, int entries) {
        return ((int) (va >>> Pte.PAGE_SHIFT) & (entries - 1)) << 1;
    }

    static int slot2m(long va, int entries) {
        return ((int) (va >>> Pte.LARGE_SHIFT) & (entries - 1)) << 1;
    }

    /** Physical address of {@code va} through the 4 KiB entry {@code data}. */
    static long pa4k(long data, long va) {
        return (data & Pte.FRAME) | (va & Pte.PAGE_MASK);
    }

    /** Physical address of {@code va} through the 2 MiB entry {@code data}. */
    static long pa2m(long data, long va) {
        return (data & Pte.FRAME) | (va & Pte.LARGE_MASK);
    }

    static long pa(long data, long va) {
        return isLarge(data) ? pa2m(data, va) : pa4k(data, va);
    }
}
