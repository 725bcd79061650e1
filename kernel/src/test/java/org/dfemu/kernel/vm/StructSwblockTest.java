package org.dfemu.kernel.vm;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** struct swblock (swap_pager.h) offsets and size, as on x86-64. */
class StructSwblockTest {
    @Test
    void offsets() {
        assertEquals(304, StructSwblock.layout().byteSize());
        assertEquals(0, StructSwblock.swb_entry$OFFSET);
        assertEquals(32, StructSwblock.swb_index$OFFSET);
        assertEquals(40, StructSwblock.swb_count$OFFSET);
        assertEquals(48, StructSwblock.swb_pages$OFFSET);
        assertEquals(32, StructSwblock.SWAP_META_PAGES);
    }

    @Test
    void swbPagesIndexIsChecked() {
        assertThrows(IndexOutOfBoundsException.class, () -> StructSwblock.swb_pages(null, 0, 32));
    }
}
