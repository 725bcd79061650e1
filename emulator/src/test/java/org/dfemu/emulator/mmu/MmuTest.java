package org.dfemu.emulator.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dfemu.emulator.memory.PhysicalMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The TLB in front of the walker: what is cached, when the walker runs again, what a flush keeps. */
class MmuTest {
    static final long VA = 0x0000_0000_0040_0000L;
    static final long FRAME = 0x0050_0000L;

    final PhysicalMemory mem = new PhysicalMemory(16L << 20);
    final PageTableBuilder tables = new PageTableBuilder(mem, 1L << 20, 4L << 20);
    final long cr3 = tables.newPml4();
    final Mmu mmu = new Mmu(mem, true, 46);
    final Tlb tlb = mmu.tlb();

    @AfterEach
    void close() { mem.close(); }

    long pte(long va) { return tables.entryAddress(cr3, va, Pte.LEVEL_PT); }

    @Test
    void hitAfterOneWalk() {
        tables.map4k(cr3, VA, FRAME, Pte.RW);
        assertEquals(Tlb.MISS, mmu.hit(VA + 8, Access.READ));
        assertEquals(FRAME + 8, mmu.translate(cr3, VA + 8, Access.READ));
        assertEquals(FRAME + 16, mmu.hit(VA + 16, Access.READ));
        assertEquals(1, tlb.walks());
        // The fast path counts hits only when the run counts memory accesses.
        assertEquals(Tlb.COUNT_HITS ? 1 : 0, tlb.hits());
    }

    @Test
    void writeToAPageCachedCleanWalksAgainToSetDirty() {
        tables.map4k(cr3, VA, FRAME, Pte.RW);
        mmu.translate(cr3, VA, Access.READ);
        assertFalse(Pte.has(mem.load64(pte(VA)), Pte.D));
        assertEquals(Tlb.MISS, mmu.hit(VA, Access.WRITE), "clean page: a write hit is refused");

        assertEquals(FRAME, mmu.translate(cr3, VA, Access.WRITE));
        assertEquals(2, tlb.walks());
        assertTrue(Pte.has(mem.load64(pte(VA)), Pte.D));
        assertEquals(FRAME + 1, mmu.hit(VA + 1, Access.WRITE), "now dirty: writes hit");
        assertEquals(2, tlb.walks());
    }

    @Test
    void cachedPermissionFailureFaultsWithoutAWalkAndDropsTheEntry() {
        tables.map4k(cr3, VA, FRAME, 0);  // kernel, read-only
        mmu.translate(cr3, VA, Access.READ);
        // The kernel upgrades the page without invalidating: the stale entry still says read-only.
        mem.store64(pte(VA), mem.load64(pte(VA)) | Pte.RW);

        long r = mmu.translate(cr3, VA, Access.WRITE);
        assertTrue(Translation.isFault(r));
        assertEquals(PageFaultCode.P | PageFaultCode.W, Translation.errorCode(r));
        assertEquals(1, tlb.walks(), "the fault came from the cached bits");
        assertFalse(tlb.holds(VA), "a fault drops the entry, as on hardware");

        assertEquals(FRAME, mmu.translate(cr3, VA, Access.WRITE), "the retry walks and sees RW");
        assertEquals(2, tlb.walks());
    }

    @Test
    void cachedUserDenialFaultsForUserAndStillHitsForKernel() {
        tables.map4k(cr3, VA, FRAME, Pte.RW);
        mmu.translate(cr3, VA, Access.READ);
        assertEquals(FRAME, mmu.hit(VA, Access.READ));
        long r = mmu.translate(cr3, VA, Access.READ | Access.USER);
        assertEquals(PageFaultCode.P | PageFaultCode.U, Translation.errorCode(r));
    }

    @Test
    void dirtyWalkOnAPageMadeReadOnlyBehindTheTlbFaults() {
        tables.map4k(cr3, VA, FRAME, Pte.RW);
        mmu.translate(cr3, VA, Access.READ);        // cached writable, D clear
        mem.store64(pte(VA), mem.load64(pte(VA)) & ~Pte.RW);  // write-protected, no invlpg

        long r = mmu.translate(cr3, VA, Access.WRITE);
        assertEquals(PageFaultCode.P | PageFaultCode.W, Translation.errorCode(r),
                "setting D needs a walk, and the walk sees the page read-only");
        assertFalse(Pte.has(mem.load64(pte(VA)), Pte.D));
        assertFalse(tlb.holds(VA));
    }

    @Test
    void twoPagesSharingASlotEvictEachOther() {
        long other = VA + (long) Tlb.SMALL_ENTRIES * Pte.PAGE_SIZE;
        tables.map4k(cr3, VA, FRAME, 0);
        tables.map4k(cr3, other, FRAME + Pte.PAGE_SIZE, 0);
        for (int i = 0; i < 3; i++) {
            assertEquals(FRAME, mmu.translate(cr3, VA, Access.READ));
            assertEquals(FRAME + Pte.PAGE_SIZE, mmu.translate(cr3, other, Access.READ));
        }
        assertEquals(6, tlb.walks());
        assertTrue(tlb.holds(other));
        assertFalse(tlb.holds(VA));
    }

    @Test
    void largePageIsCachedOnceAndInvlpgAnywhereInsideDropsIt() {
        long base = 0xffff_8000_0020_0000L;
        tables.map2m(cr3, base, 0x0060_0000L, Pte.RW);
        assertEquals(0x0060_0000L + 0x1000, mmu.translate(cr3, base + 0x1000, Access.READ));
        assertEquals(0x0060_0000L + 0x1f_f000, mmu.hit(base + 0x1f_f000, Access.READ), "one entry covers 2 MiB");
        assertEquals(1, tlb.walks());

        tlb.invlpg(base + 0x12_3456);
        assertFalse(tlb.holds(base));
        assertEquals(1, tlb.invlpgs());
    }

    @Test
    void invlpgOfAnotherPageInTheSameSlotKeepsTheEntry() {
        tables.map4k(cr3, VA, FRAME, 0);
        mmu.translate(cr3, VA, Access.READ);
        tlb.invlpg(VA + (long) Tlb.SMALL_ENTRIES * Pte.PAGE_SIZE);
        assertTrue(tlb.holds(VA));
    }

    @Test
    void flushNonGlobalKeepsGlobalEntriesOfBothSizesAndFlushAllDropsThem() {
        long g4k = 0xffff_8000_0000_1000L;
        long g2m = 0xffff_8000_0040_0000L;
        tables.map4k(cr3, VA, FRAME, 0);
        tables.map4k(cr3, g4k, FRAME + Pte.PAGE_SIZE, Pte.G);
        tables.map2m(cr3, g2m, 0x0060_0000L, Pte.G);
        tables.map2m(cr3, 0x0000_0000_0080_0000L, 0x0080_0000L, 0);
        for (long va : new long[] {VA, g4k, g2m, 0x0000_0000_0080_0000L}) mmu.translate(cr3, va, Access.READ);

        tlb.flushNonGlobal();
        assertFalse(tlb.holds(VA));
        assertFalse(tlb.holds(0x0000_0000_0080_0000L));
        assertTrue(tlb.holds(g4k));
        assertTrue(tlb.holds(g2m));

        tlb.flushAll();
        assertFalse(tlb.holds(g4k));
        assertFalse(tlb.holds(g2m));
        assertEquals(2, tlb.flushes());
    }

    @Test
    void aWalkReplacesAnEntryOfTheOtherSize() {
        // After a walk of an address the TLB holds exactly what the walk found for it, even if
        // the kernel changed the page size behind the TLB's back. A write to a clean page is a
        // walk that starts with an entry cached.
        long base = 0x0000_0000_0060_0000L;
        tables.map2m(cr3, base, 0x0060_0000L, Pte.RW);
        long pd = tables.entryAddress(cr3, base, Pte.LEVEL_PD);
        long bigPde = mem.load64(pd);
        mmu.translate(cr3, base + 0x3000, Access.READ);                 // 2 MiB entry, D clear

        // Demote: the PD entry now points to a page table mapping one 4 KiB page.
        long pt = tables.allocPage();
        mem.store64(pd, Pte.make(pt, Pte.P | Pte.RW));
        mem.store64(Pte.entryAddress(pt, base + 0x3000, Pte.LEVEL_PT), Pte.make(FRAME, Pte.P | Pte.RW));
        assertEquals(FRAME + 8, mmu.translate(cr3, base + 0x3008, Access.WRITE));
        assertFalse(tlb.holds(base + 0x5000), "the 2 MiB entry went when the walk found a 4 KiB page");

        // Promote back: the 4 KiB entry is cached with D set now, so make it clean first.
        tlb.invlpg(base + 0x3000);
        mem.store64(Pte.entryAddress(pt, base + 0x3000, Pte.LEVEL_PT), Pte.make(FRAME, Pte.P | Pte.RW));
        mmu.translate(cr3, base + 0x3000, Access.READ);                 // 4 KiB entry, D clear
        mem.store64(pd, bigPde);
        assertEquals(0x0060_0000L + 0x3000, mmu.translate(cr3, base + 0x3000, Access.WRITE));
        assertEquals(0x0060_0000L + 0x3000, mmu.hit(base + 0x3000, Access.WRITE),
                "the 4 KiB entry went when the walk found a 2 MiB page");
    }

    @Test
    void aFourKEntryInsideACachedLargePageStillWinsAndHitLargeLeavesItToTheFullProbe() {
        // Cache a 4 KiB page, then promote its region to a 2 MiB page behind the TLB's back and
        // walk another address of it: both entries are cached. The 4 KiB entry is probed first
        // (stale, as the kernel did not invalidate), the rest of the region hits the 2 MiB one.
        long base = 0x0000_0000_0060_0000L;
        tables.map2m(cr3, base, 0x0080_0000L, Pte.RW);
        long pd = tables.entryAddress(cr3, base, Pte.LEVEL_PD);
        long bigPde = mem.load64(pd);
        long pt = tables.allocPage();
        mem.store64(pd, Pte.make(pt, Pte.P | Pte.RW));
        mem.store64(Pte.entryAddress(pt, base + 0x3000, Pte.LEVEL_PT), Pte.make(FRAME, Pte.P | Pte.RW));
        assertEquals(FRAME + 8, mmu.translate(cr3, base + 0x3008, Access.READ));
        mem.store64(pd, bigPde);
        assertEquals(0x0080_0000L + 0x5000, mmu.translate(cr3, base + 0x5000, Access.READ));

        assertEquals(FRAME + 16, mmu.hit(base + 0x3010, Access.READ), "the 4 KiB entry covers its page");
        assertEquals(0x0080_0000L + 0x7000, mmu.hit(base + 0x7000, Access.READ), "the 2 MiB entry the rest");
        assertEquals(Tlb.MISS, tlb.hitLarge(base + 0x7000, Access.READ), "a shadowed 2 MiB entry needs the full probe");

        // Once the 4 KiB entry went, a newly cached 2 MiB entry serves the whole region.
        tlb.invlpg(base + 0x3000);
        assertEquals(0x0080_0000L + 0x3000, mmu.translate(cr3, base + 0x3000, Access.READ));
        assertEquals(0x0080_0000L + 0x3010, mmu.hit(base + 0x3010, Access.READ));
        assertEquals(0x0080_0000L + 0x3010, tlb.hitLarge(base + 0x3010, Access.READ), "one compare now");
        assertEquals(3, tlb.walks());
    }
}
