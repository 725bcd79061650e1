package org.dfemu.emulator.mmu;

/**
 * x86-64 paging-structure entries (PML4E, PDPTE, PDE, PTE): the bits with their hardware values
 * and the only place where an entry or a virtual address is taken apart with shifts and masks.
 * Every other class in the emulator encodes and decodes through these helpers, and the kernel's
 * pmap takes its PTE bits (DragonFly's {@code X86_PG_*} names) from here, so the bits the kernel
 * writes and the bits the page walker reads are defined once.
 *
 * <p>A virtual address in 4-level paging (48 bits, sign-extended to 64):
 * <pre>
 *  63        48 47     39 38     30 29     21 20     12 11          0
 * +------------+---------+---------+---------+---------+-------------+
 * |  sign ext. |  PML4   |  PDPT   |   PD    |   PT    | page offset |
 * |  (=bit 47) |  index  |  index  |  index  |  index  |             |
 * +------------+---------+---------+---------+---------+-------------+
 *                  9         9         9         9           12
 * </pre>
 * Levels are numbered as the SDM does, from the root: {@link #LEVEL_PML4} = 4 down to
 * {@link #LEVEL_PT} = 1. A PD entry with {@link #PS} maps a 2 MiB page and ends the walk.
 *
 * <p>No requirements: every method here is a pure function.
 */
public final class Pte {
    private Pte() {}

    /** Present. */
    public static final long P = 0x001L;
    /** Read/write: writes allowed when set at every level. */
    public static final long RW = 0x002L;
    /** User/supervisor: user accesses allowed when set at every level. */
    public static final long US = 0x004L;
    /** Page-level write-through (cache attribute; carried, not modelled). */
    public static final long PWT = 0x008L;
    /** Page-level cache disable (cache attribute; carried, not modelled). */
    public static final long PCD = 0x010L;
    /** Accessed: set by the walk on every entry it uses. */
    public static final long A = 0x020L;
    /** Dirty: set by the walk on the final entry of a write. */
    public static final long D = 0x040L;
    /** Page size in a PD entry (2 MiB page); PAT in a PT entry; reserved in a PML4 entry. */
    public static final long PS = 0x080L;
    /** Global: the TLB entry survives a CR3 load. Meaningful in the final entry only. */
    public static final long G = 0x100L;
    /** PAT bit of a 4 KiB page (bit 7 of a PT entry, where {@link #PS} would sit); carried, not modelled. */
    public static final long PAT = 0x080L;
    /** Bits 9, 10 and 11: ignored by the walk, free for the operating system's own use. */
    public static final long AVAIL1 = 0x200L;
    public static final long AVAIL2 = 0x400L;
    public static final long AVAIL3 = 0x800L;
    /** PAT bit of a 2 MiB page (bit 12 of a PD entry with PS); carried, not modelled. */
    public static final long PAT_LARGE = 0x1000L;
    /** Execute disable (bit 63), honoured when EFER.NXE is on; reserved when it is off. */
    public static final long NX = 1L << 63;

    /** Physical frame field of an entry: bits 51:12. */
    public static final long FRAME = 0x000f_ffff_ffff_f000L;
    /** Physical frame of a 2 MiB page in a PD entry with {@link #PS}: bits 51:21. */
    public static final long FRAME_2M = 0x000f_ffff_ffe0_0000L;
    /** Bits 20:13 of a PD entry with {@link #PS}: reserved (must be zero). */
    public static final long RSVD_2M = 0x001f_e000L;

    public static final int LEVEL_PML4 = 4;
    public static final int LEVEL_PDPT = 3;
    public static final int LEVEL_PD = 2;
    public static final int LEVEL_PT = 1;

    /** Entries per table (each table is one 4 KiB page of 8-byte entries). */
    public static final int ENTRIES = 512;
    public static final int ENTRY_SIZE = 8;

    public static final int PAGE_SHIFT = 12;
    public static final long PAGE_SIZE = 1L << PAGE_SHIFT;
    public static final long PAGE_MASK = PAGE_SIZE - 1;
    public static final int LARGE_SHIFT = 21;
    public static final long LARGE_SIZE = 1L << LARGE_SHIFT;
    public static final long LARGE_MASK = LARGE_SIZE - 1;

    /** Each level indexes its table with 9 bits of the address. */
    private static final int INDEX_BITS = 9;
    private static final int INDEX_MASK = ENTRIES - 1;
    /** Virtual addresses are 48 bits; bits 63:47 must be equal (canonical form). */
    private static final int VA_BITS = 48;

    /** Index of {@code va}'s entry in the table at {@code level} (4 = PML4 .. 1 = PT). */
    public static int index(long va, int level) {
        return (int) (va >>> (PAGE_SHIFT + INDEX_BITS * (level - 1))) & INDEX_MASK;
    }

    /** Physical address of {@code va}'s entry at {@code level} in the table at {@code tablePa}. */
    public static long entryAddress(long tablePa, long va, int level) {
        return (tablePa & FRAME) + (long) index(va, level) * ENTRY_SIZE;
    }

    /** Physical address of the table or 4 KiB page an entry points to. */
    public static long frame(long pte) {
        return pte & FRAME;
    }

    /** Physical address of the 2 MiB page a PD entry with {@link #PS} maps. */
    public static long frame2m(long pte) {
        return pte & FRAME_2M;
    }

    /** True if every bit of {@code bits} is set in {@code pte}. */
    public static boolean has(long pte, long bits) {
        return (pte & bits) == bits;
    }

    /**
     * An entry pointing at {@code pa} with {@code flags}. {@code pa} must be 4 KiB aligned and
     * within the frame field, {@code flags} must not touch the frame field.
     */
    public static long make(long pa, long flags) {
        if ((pa & ~FRAME) != 0) throw new IllegalArgumentException(String.format("Pte.make: bad frame 0x%x", pa));
        if ((flags & FRAME) != 0) throw new IllegalArgumentException(String.format("Pte.make: flags 0x%x overlap the frame", flags));
        return pa | flags;
    }

    /**
     * The reserved-address mask for a CPU with {@code physAddrBits} (MAXPHYADDR): bits
     * 51:MAXPHYADDR of an entry, which must be zero.
     */
    public static long reservedAddressBits(int physAddrBits) {
        return FRAME & ~physAddrMask(physAddrBits);
    }

    /** Bits MAXPHYADDR-1:0: where a physical address (or CR3) may have ones. */
    public static long physAddrMask(int physAddrBits) {
        return (1L << physAddrBits) - 1;
    }

    /** True if bits 63:47 of {@code va} are all equal (a canonical 48-bit address). */
    public static boolean isCanonical(long va) {
        return (va >> (VA_BITS - 1)) == (va >> 63);
    }

    /** {@code va} rounded down to its 4 KiB page. */
    public static long pageBase(long va) {
        return va & ~PAGE_MASK;
    }

    /** Offset of {@code va} within its 4 KiB page. */
    public static int pageOffset(long va) {
        return (int) (va & PAGE_MASK);
    }

    /** First address of the 4 KiB page after {@code va}'s (wraps at the top of the space). */
    public static long nextPage(long va) {
        return (va | PAGE_MASK) + 1;
    }

    /** True if an access of {@code size} bytes at {@code va} touches two 4 KiB pages. */
    public static boolean crossesPage(long va, int size) {
        return (va & PAGE_MASK) > PAGE_SIZE - size;
    }
}
