package org.dfemu.kernel;

import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.kernel.machine.Vmparam;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Kernel addresses: the DMAP translates arithmetically, anything else needs the kernel page tables. */
class KernelMemoryTest {
    private PhysicalMemory ram;
    private KernelMemory km;

    @BeforeEach
    void setUp() {
        ram = new PhysicalMemory(16 << 20);
        km = new KernelMemory(ram);
    }

    @AfterEach
    void tearDown() {
        ram.close();
    }

    @Test
    void dmapReachesPhysicalMemory() {
        long va = Vmparam.PHYS_TO_DMAP(0x123458L);
        km.store64(va, 0x1122334455667788L);
        assertEquals(0x1122334455667788L, ram.load64(0x123458L));
        assertEquals(0x7788, km.load16(va));
        assertTrue(km.cas64(va, 0x1122334455667788L, 5));
        assertEquals(5, km.fetchAdd64(va, 2));
        km.atomicSet32(va, 0x100);
        km.atomicClear32(va, 0x4);
        assertEquals(0x103, km.load32(va));
        assertTrue(km.isDmap(Vmparam.PHYS_TO_DMAP((16 << 20) - 1)));
        assertFalse(km.isDmap(Vmparam.PHYS_TO_DMAP(16 << 20)), "the DMAP covers installed RAM only");
    }

    @Test
    void otherKernelAddressesFaultUntilThePmapInstallsItsTables() {
        long kva = Vmparam.VM_MIN_KERNEL_ADDRESS + 0x5000;
        KernelPanic p = assertThrows(KernelPanic.class, () -> km.load64(kva));
        assertEquals("panic: kernel page fault: supervisor access to unmapped address 0xfffff80040005000",
                p.getMessage());
        // The extension point: kernel_map addresses through the (pmap's) translation.
        km.installKvaTranslator(va -> va == kva ? 0x3000 : -1);
        km.store32(kva, 77);
        assertEquals(77, ram.load32(0x3000));
        assertThrows(KernelPanic.class, () -> km.load8(kva + 4096));
        assertThrows(KernelPanic.class, () -> km.installKvaTranslator(va -> -1));
    }

    @Test
    void stringsAndBzero() {
        long va = Vmparam.PHYS_TO_DMAP(0x1000);
        km.storeString(va, "pagedaemon-with-a-long-name", 17);
        assertEquals("pagedaemon-with-", km.loadString(va, 17), "truncated to fit with its NUL");
        km.bzero(va, 17);
        assertEquals("", km.loadString(va, 17));
    }
}
