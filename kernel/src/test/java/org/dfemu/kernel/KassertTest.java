package org.dfemu.kernel;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Assertions are always on and read as DragonFly's panics. */
class KassertTest {
    @Test
    void kkassertNamesTheExpressionAndFunction() {
        Kassert.kkassert(true, "x", "f");
        KernelPanic p = assertThrows(KernelPanic.class, () -> Kassert.kkassert(false, "m->wire_count == 0", "vm_page_alloc"));
        assertEquals("panic: assertion \"m->wire_count == 0\" failed in vm_page_alloc", p.getMessage());
        assertEquals("assertion \"m->wire_count == 0\" failed in vm_page_alloc", p.panicString());
        assertNull(p.threadName());
    }

    @Test
    void panicCarriesTheThreadOnceAttributed() {
        KernelPanic p = Kassert.panic("vm_page_free: freeing free page").inThread(3, "pagedaemon");
        p.inThread(0, "thread0");
        assertEquals("panic: vm_page_free: freeing free page (thread 3 \"pagedaemon\")", p.getMessage());
        assertEquals(3, p.threadId());
    }

    @Test
    void kassertBuildsItsMessageOnlyOnFailure() {
        Kassert.kassert(true, () -> { throw new AssertionError("message built on success"); });
        KernelPanic p = assertThrows(KernelPanic.class, () -> Kassert.kassert(false, () -> "vm_page_wakeup: page not busy!!!"));
        assertEquals("panic: vm_page_wakeup: page not busy!!!", p.getMessage());
    }

    @Test
    void panicsDuringBootAreAttributedToThread0() {
        // A machine whose every page is taken: vm_page_startup() finds no memory at all.
        try (var ram = new org.dfemu.emulator.memory.PhysicalMemory(16 << 20)) {
            Kernel k = new Kernel(ram, KernelConfig.defaults());
            k.machdep().reservePhys(0, 16 << 20);
            KernelPanic p = assertThrows(KernelPanic.class, k::boot);
            assertEquals("panic: assertion \"phys_avail[0].phys_end != 0\" failed in vm_page_startup"
                    + " (thread 0 \"thread0\")", p.getMessage());
        }
    }
}
