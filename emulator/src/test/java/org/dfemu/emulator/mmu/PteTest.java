package org.dfemu.emulator.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PteTest {
    @Test
    void bitValuesAreTheHardwareOnes() {
        assertEquals(0x1, Pte.P);
        assertEquals(0x2, Pte.RW);
        assertEquals(0x4, Pte.US);
        assertEquals(0x8, Pte.PWT);
        assertEquals(0x10, Pte.PCD);
        assertEquals(0x20, Pte.A);
        assertEquals(0x40, Pte.D);
        assertEquals(0x80, Pte.PS);
        assertEquals(0x100, Pte.G);
        assertEquals(0x8000_0000_0000_0000L, Pte.NX);
        assertEquals(0x000f_ffff_ffff_f000L, Pte.FRAME);
    }

    @ParameterizedTest
    @CsvSource({
            "0x0000000000000000, true",
            "0x00007fffffffffff, true",
            "0x0000800000000000, false",
            "0xffff7fffffffffff, false",
            "0xffff800000000000, true",
            "0xffffffffffffffff, true",
            "0x8000000000000000, false",
            "0x0001000000000000, false",
    })
    void canonicalForm(String va, boolean canonical) {
        assertEquals(canonical, Pte.isCanonical(Long.parseUnsignedLong(va.substring(2), 16)));
    }

    @Test
    void indicesAndOffsets() {
        long va = 0xffff_8123_4567_89abL;
        assertEquals(0x102, Pte.index(va, Pte.LEVEL_PML4));
        assertEquals(0x8d, Pte.index(va, Pte.LEVEL_PDPT));
        assertEquals(0x2b, Pte.index(va, Pte.LEVEL_PD));
        assertEquals(0x078, Pte.index(va, Pte.LEVEL_PT));
        assertEquals(0x9ab, Pte.pageOffset(va));
        assertEquals(0x7000 + 0x2b * 8, Pte.entryAddress(0x7000 | Pte.P | Pte.NX, va, Pte.LEVEL_PD),
                "the table address is taken from the frame field only");
    }

    @Test
    void makeAndDecode() {
        long e = Pte.make(0x1234_5000L, Pte.P | Pte.RW | Pte.NX);
        assertEquals(0x1234_5000L, Pte.frame(e));
        assertTrue(Pte.has(e, Pte.P | Pte.RW));
        assertFalse(Pte.has(e, Pte.P | Pte.US));
        assertEquals(0x1220_0000L, Pte.frame2m(Pte.make(0x1220_0000L, Pte.P | Pte.PS) | Pte.PAT_LARGE));
        assertThrows(IllegalArgumentException.class, () -> Pte.make(0x1234_5800L, Pte.P));
        assertThrows(IllegalArgumentException.class, () -> Pte.make(0x1000, 0x2000));
    }

    @Test
    void pageArithmetic() {
        assertEquals(0x2000, Pte.nextPage(0x1ffe));
        assertEquals(0x2000, Pte.nextPage(0x1000));
        assertTrue(Pte.crossesPage(0x1ffe, 4));
        assertFalse(Pte.crossesPage(0x1ffc, 4));
        assertFalse(Pte.crossesPage(0x1fff, 1));
        assertEquals(0x000f_c000_0000_0000L, Pte.reservedAddressBits(46));
        assertEquals(0, Pte.reservedAddressBits(52));
    }
}
