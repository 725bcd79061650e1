package org.dfemu.emulator.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dfemu.emulator.memory.PhysicalMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PageTableBuilderTest {
    static final long DMAP = 0xffff_8000_0000_0000L;

    final PhysicalMemory mem = new PhysicalMemory(16L << 20);
    final PageTableBuilder tables = new PageTableBuilder(mem, 1L << 20, (1L << 20) + 8 * Pte.PAGE_SIZE);
    final PageWalker walker = new PageWalker(mem, true, 46);

    @AfterEach
    void close() { mem.close(); }

    @Test
    void directMapUsesLargePagesWhereAlignedAndSmallOnesElsewhere() {
        long pml4 = tables.newPml4();
        // 4 KiB .. 4 MiB + 8 KiB: small pages up to 2 MiB, one 2 MiB page, then small pages.
        tables.mapRange(pml4, DMAP + 0x1000, 0x1000, (4L << 20) + 0x1000, Pte.RW | Pte.G | Pte.NX);
        for (long pa : new long[] {0x1000, 0x1f_f000, 0x20_0000, 0x3f_fff8, 0x40_0000, 0x40_1ff8}) {
            long r = walker.walk(pml4, DMAP + pa, Access.READ);
            assertEquals(pa, TlbEntry.pa(r, DMAP + pa));
            assertEquals(pa >= 0x20_0000 && pa < 0x40_0000, TlbEntry.isLarge(r), "pa 0x" + Long.toHexString(pa));
        }
        assertEquals(-1, tables.entryAddress(pml4, DMAP + 0x20_0000, Pte.LEVEL_PT), "no PT under a 2 MiB page");
        assertTrue(Translation.isFault(walker.walk(pml4, DMAP, Access.READ)), "page 0 was left out");
        assertEquals(PageFaultCode.P | PageFaultCode.I, Translation.errorCode(walker.walk(pml4, DMAP + 0x1000, Access.EXEC)));
    }

    @Test
    void intermediateEntriesGetUserOnlyWhenAUserPageLivesBelow() {
        long pml4 = tables.newPml4();
        tables.map4k(pml4, 0x40_0000, 0x50_0000, Pte.RW);
        long pde = mem.load64(tables.entryAddress(pml4, 0x40_0000, Pte.LEVEL_PD));
        assertEquals(Pte.P | Pte.RW, pde & ~Pte.FRAME);
        tables.map4k(pml4, 0x40_1000, 0x50_1000, Pte.RW | Pte.US);
        pde = mem.load64(tables.entryAddress(pml4, 0x40_0000, Pte.LEVEL_PD));
        assertEquals(Pte.P | Pte.RW | Pte.US, pde & ~Pte.FRAME);
        assertTrue(Translation.isFault(walker.walk(pml4, 0x40_0000, Access.READ | Access.USER)),
                "the kernel page below stays kernel-only");
    }

    @Test
    void refusesOverlapsMisalignmentAndRunsOutLoudly() {
        long pml4 = tables.newPml4();
        tables.map2m(pml4, 0x20_0000, 0x20_0000, 0);
        assertThrows(IllegalStateException.class, () -> tables.map4k(pml4, 0x20_1000, 0x1000, 0));
        assertThrows(IllegalStateException.class, () -> tables.map2m(pml4, 0x20_0000, 0x40_0000, 0));
        assertThrows(IllegalArgumentException.class, () -> tables.map4k(pml4, 0x1234, 0x1000, 0));
        assertThrows(IllegalArgumentException.class, () -> tables.map2m(pml4, 0x40_0000, 0x1000, 0));
        assertThrows(IllegalArgumentException.class, () -> tables.map4k(pml4, 0x0000_8000_0000_0000L, 0x1000, 0));
        // Each new 512 GiB region needs a PDPT, a PD and a PT: the 8-page range soon runs out.
        assertThrows(IllegalStateException.class, () -> {
            for (long va = 0; ; va += 1L << 39) tables.map4k(pml4, va | 0x1000, 0x1000, 0);
        });
        assertEquals((1L << 20) + 8 * Pte.PAGE_SIZE, tables.nextFree());
    }
}
