package org.dfemu.emulator.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dfemu.emulator.memory.PhysicalMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The walk itself: A/D updates, 2 MiB pages, reserved bits, NXE off. */
class PageWalkerTest {
    static final long VA = 0x0000_0281_80e0_8123L;      // indices 5, 6, 7, 8; offset 0x123
    static final long VA_2M = 0x0000_0281_80e1_2345L;   // same PD entry; offset 0x12345 in the 2 MiB page
    static final long FRAME = 0x0050_0000L;
    static final long FRAME_2M = 0x0060_0000L;

    final PhysicalMemory mem = new PhysicalMemory(16L << 20);
    final PageTableBuilder tables = new PageTableBuilder(mem, 1L << 20, 4L << 20);
    final long pml4 = tables.newPml4();
    final PageWalker walker = new PageWalker(mem, true, 46);

    @AfterEach
    void close() { mem.close(); }

    long entry(long va, int level) { return mem.load64(tables.entryAddress(pml4, va, level)); }

    void setBits(long va, int level, long bits) {
        long at = tables.entryAddress(pml4, va, level);
        mem.store64(at, mem.load64(at) | bits);
    }

    @Test
    void indicesOfTheTestAddressAreTheOnesDrawn() {
        assertEquals(5, Pte.index(VA, Pte.LEVEL_PML4));
        assertEquals(6, Pte.index(VA, Pte.LEVEL_PDPT));
        assertEquals(7, Pte.index(VA, Pte.LEVEL_PD));
        assertEquals(8, Pte.index(VA, Pte.LEVEL_PT));
    }

    @Test
    void readSetsAccessedAtEveryLevelAndNoDirty() {
        tables.map4k(pml4, Pte.pageBase(VA), FRAME, Pte.RW);
        for (int l = 4; l >= 1; l--) assertFalse(Pte.has(entry(VA, l), Pte.A), "A clear before the walk, level " + l);

        long r = walker.walk(pml4, VA, Access.READ);

        assertEquals(FRAME + 0x123, TlbEntry.pa(r, VA));
        for (int l = 4; l >= 1; l--) {
            assertTrue(Pte.has(entry(VA, l), Pte.A), "A set at level " + l);
            assertFalse(Pte.has(entry(VA, l), Pte.D), "D not set by a read, level " + l);
        }
        assertEquals(0, r & TlbEntry.D, "the cached entry knows D is still clear");
    }

    @Test
    void writeSetsDirtyOnTheFinalEntryOnly() {
        tables.map4k(pml4, Pte.pageBase(VA), FRAME, Pte.RW);
        long r = walker.walk(pml4, VA, Access.WRITE);
        assertTrue(Pte.has(entry(VA, Pte.LEVEL_PT), Pte.A | Pte.D));
        for (int l = 4; l >= 2; l--) {
            assertTrue(Pte.has(entry(VA, l), Pte.A), "A at level " + l);
            assertFalse(Pte.has(entry(VA, l), Pte.D), "no D in a non-final entry, level " + l);
        }
        assertEquals(TlbEntry.D | TlbEntry.W, r & (TlbEntry.D | TlbEntry.W));
    }

    @Test
    void largePageTranslatesWithinTwoMegabytesAndDirtiesThePdEntry() {
        tables.map2m(pml4, VA_2M & ~Pte.LARGE_MASK, FRAME_2M, Pte.RW | Pte.G);
        long r = walker.walk(pml4, VA_2M, Access.WRITE);
        assertEquals(FRAME_2M + 0x1_2345, TlbEntry.pa(r, VA_2M));
        assertTrue(TlbEntry.isLarge(r));
        assertTrue(TlbEntry.isGlobal(r));
        assertTrue(Pte.has(entry(VA_2M, Pte.LEVEL_PML4), Pte.A));
        assertTrue(Pte.has(entry(VA_2M, Pte.LEVEL_PDPT), Pte.A));
        assertTrue(Pte.has(entry(VA_2M, Pte.LEVEL_PD), Pte.A | Pte.D));
        assertFalse(Pte.has(entry(VA_2M, Pte.LEVEL_PDPT), Pte.D));
    }

    @Test
    void faultingAccessLeavesAccessedBitsAlone() {
        tables.map4k(pml4, Pte.pageBase(VA), FRAME, 0);  // read-only, kernel
        long r = walker.walk(pml4, VA, Access.WRITE);
        assertTrue(Translation.isFault(r));
        assertEquals(PageFaultCode.P | PageFaultCode.W, Translation.errorCode(r));
        for (int l = 4; l >= 1; l--) assertFalse(Pte.has(entry(VA, l), Pte.A), "level " + l);
    }

    @Test
    void walkKeepsOtherBitsOfTheEntries() {
        tables.map4k(pml4, Pte.pageBase(VA), FRAME, Pte.RW | Pte.G | Pte.PWT | Pte.PCD | Pte.NX | 0x600);
        walker.walk(pml4, VA, Access.WRITE);
        assertEquals(Pte.make(FRAME, Pte.P | Pte.RW | Pte.G | Pte.PWT | Pte.PCD | Pte.A | Pte.D | 0x600) | Pte.NX,
                entry(VA, Pte.LEVEL_PT));
    }

    /** Reserved bits: (level, bits set in that entry, large page?) -> P|RSVD plus the access bits. */
    @ParameterizedTest(name = "level {0} bits {1} large={2}")
    @CsvSource({
            "4, 0x80,             false",  // PS in a PML4 entry
            "3, 0x80,             false",  // PS in a PDPT entry: 1 GiB pages are not supported
            "4, 0x0000400000000000, false", // bit 46 with MAXPHYADDR 46
            "3, 0x0008000000000000, false", // bit 51
            "2, 0x0000400000000000, false",
            "1, 0x0000400000000000, false",
            "2, 0x2000,           true",   // bit 13 of a 2 MiB PD entry
            "2, 0x100000,         true",   // bit 20 of a 2 MiB PD entry
            "2, 0x0000800000000000, true", // bit 47 of a 2 MiB PD entry
    })
    void reservedBitFaults(int level, String bits, boolean large) {
        long va = large ? VA_2M : VA;
        if (large) tables.map2m(pml4, va & ~Pte.LARGE_MASK, FRAME_2M, Pte.RW | Pte.US);
        else tables.map4k(pml4, Pte.pageBase(va), FRAME, Pte.RW | Pte.US);
        setBits(va, level, Long.decode(bits));
        long r = walker.walk(pml4, va, Access.WRITE | Access.USER);
        assertTrue(Translation.isFault(r));
        assertEquals(PageFaultCode.P | PageFaultCode.RSVD | PageFaultCode.W | PageFaultCode.U, Translation.errorCode(r));
    }

    @Test
    void patBitsAreNotReserved() {
        tables.map4k(pml4, Pte.pageBase(VA), FRAME, Pte.RW | Pte.PS);  // bit 7 of a PT entry is PAT
        assertEquals(FRAME + 0x123, TlbEntry.pa(walker.walk(pml4, VA, Access.READ), VA));
        long va2 = 0x0000_0040_0000_0000L;
        tables.map2m(pml4, va2, FRAME_2M, Pte.RW);
        setBits(va2, Pte.LEVEL_PD, Pte.PAT_LARGE);                // bit 12 of a 2 MiB PD entry is PAT
        assertEquals(FRAME_2M + 0x10, TlbEntry.pa(walker.walk(pml4, va2 + 0x10, Access.READ), va2 + 0x10));
    }

    @Test
    void bitsAboveMaxPhysAddrAreFineOnAWiderCpu() {
        tables.map4k(pml4, Pte.pageBase(VA), FRAME, Pte.RW);
        setBits(VA, Pte.LEVEL_PML4, 1L << 47);
        assertTrue(Translation.isFault(walker.walk(pml4, VA, Access.READ)));
        // The same entry names a table above 128 TiB for a 52-bit CPU: outside RAM, a machine check.
        PageWalker wide = new PageWalker(mem, true, 52);
        org.junit.jupiter.api.Assertions.assertThrows(org.dfemu.emulator.memory.MachineCheckException.class,
                () -> wide.walk(pml4, VA, Access.READ));
    }

    @Test
    void withNxeOffNxIsReservedAndFetchesReportNoI() {
        PageWalker noNx = new PageWalker(mem, false, 46);
        tables.map4k(pml4, Pte.pageBase(VA), FRAME, Pte.RW | Pte.US);
        long ok = noNx.walk(pml4, VA, Access.EXEC | Access.USER);
        assertEquals(FRAME + 0x123, TlbEntry.pa(ok, VA), "everything is executable without NXE");

        setBits(VA, Pte.LEVEL_PD, Pte.NX);
        long r = noNx.walk(pml4, VA, Access.EXEC | Access.USER);
        assertEquals(PageFaultCode.P | PageFaultCode.RSVD | PageFaultCode.U, Translation.errorCode(r),
                "NX is reserved without NXE, and I is not reported");
    }

    @ParameterizedTest(name = "not present at level {0}")
    @ValueSource(ints = {4, 3, 2, 1})
    void notPresentAtAnyLevelReportsNoP(int level) {
        tables.map4k(pml4, Pte.pageBase(VA), FRAME, Pte.RW | Pte.US);
        long at = tables.entryAddress(pml4, VA, level);
        mem.store64(at, mem.load64(at) & ~Pte.P);
        assertEquals(PageFaultCode.U, Translation.errorCode(walker.walk(pml4, VA, Access.READ | Access.USER)));
        assertEquals(PageFaultCode.W, Translation.errorCode(walker.walk(pml4, VA, Access.WRITE)));
        assertEquals(PageFaultCode.I, Translation.errorCode(walker.walk(pml4, VA, Access.EXEC)));
    }

    @Test
    void ignoresTheRestOfANonPresentEntry() {
        // A non-present entry's other bits belong to the kernel (DragonFly keeps swap info there):
        // no RSVD fault, just not-present.
        long at = Pte.entryAddress(pml4, VA, Pte.LEVEL_PML4);
        mem.store64(at, 0xfff0_0000_0000_0f8eL);
        assertEquals(0, Translation.errorCode(walker.walk(pml4, VA, Access.READ)));
    }
}
