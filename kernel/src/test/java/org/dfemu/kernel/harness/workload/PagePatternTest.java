package org.dfemu.kernel.harness.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PagePatternTest {
    @Test
    void valuesArePinnedToTheDocumentedFormula() {
        // Computed independently from the formula in disk-images/README.md; a change here is a
        // change of the image format.
        assertEquals(0x8c972b71c31f53cfL, PagePattern.word(PagePattern.bootStream(0, 0), 0, 1, 0));
        assertEquals(0x40409d4842f388dfL, PagePattern.word(PagePattern.bootStream(2, 1), 17, 3, 5));
        assertEquals(0xe220a8397b1dcdafL, PagePattern.childStream(PagePattern.bootStream(0, 0), 0));
    }

    @Test
    void distinctForEveryStreamPageGenerationAndSlot() {
        long parent = PagePattern.bootStream(0, 0);
        List<Long> streams = List.of(parent, PagePattern.bootStream(0, 1), PagePattern.bootStream(1, 0),
                PagePattern.childStream(parent, 0), PagePattern.childStream(parent, 1));
        Set<Long> seen = new HashSet<>();
        int n = 0;
        for (long stream : streams) {
            for (long page = 0; page < 64; page++) {
                for (long gen = 1; gen <= 8; gen++) {
                    for (int slot = 0; slot < PagePattern.SLOTS; slot++) {
                        long w = PagePattern.word(stream, page, gen, slot);
                        assertNotEquals(0, w, "a written word must never look like zero fill");
                        seen.add(w);
                        n++;
                    }
                }
            }
        }
        assertEquals(n, seen.size());
    }

    @Test
    void generationZeroIsZeroFill() {
        for (int slot = 0; slot < PagePattern.SLOTS; slot++) {
            assertEquals(0, PagePattern.word(PagePattern.bootStream(3, 2), 99, 0, slot));
        }
    }

    @Test
    void oneWordInEachSectorAtDifferentOffsets() {
        Set<Integer> sectors = new HashSet<>();
        Set<Integer> inSector = new HashSet<>();
        for (int slot = 0; slot < PagePattern.SLOTS; slot++) {
            int off = PagePattern.slotOffset(slot);
            assertEquals(0, off % 8);
            assertTrue(off + 8 <= 4096);
            sectors.add(off / 512);
            inSector.add(off % 512);
        }
        assertEquals(8, sectors.size());
        assertEquals(8, inSector.size());
        assertThrows(IllegalArgumentException.class, () -> PagePattern.slotOffset(8));
    }

    @Test
    void streamsOfBootAndChildProcessesNeverMeet() {
        assertEquals(0x0000_0002_0000_0005L, PagePattern.bootStream(2, 5));
        long parent = PagePattern.bootStream(2, 5);
        assertTrue(PagePattern.childStream(parent, 0) < 0);
        assertNotEquals(PagePattern.childStream(parent, 0), PagePattern.childStream(parent, 1));
        assertNotEquals(PagePattern.childStream(parent, 0), PagePattern.childStream(PagePattern.bootStream(2, 6), 0));
    }
}
