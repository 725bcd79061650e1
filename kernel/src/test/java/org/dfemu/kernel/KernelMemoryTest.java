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
    void cachedTranslationsFollowTheirLeafEntry() {
        // Hand-made leaves in RAM: a 4 KiB PTE for one page, a 2 MiB PD entry for a large page.
        long pte = 0x5000;
        long pde = 0x5008;
        long small = Vmparam.VM_MIN_KERNEL_ADDRESS + 0x7000;
        long big = Vmparam.VM_MIN_KERNEL_ADDRESS + (4L << 20);
        ram.store64(pte, 0x3000 | 0x3);
        ram.store64(pde, 0x200000 | 0x80 | 0x3);
        java.util.function.LongUnaryOperator leafOf = va -> {
            long leaf = (va & ~0xfffL) == small ? pte : (va & ~0x1fffffL) == big ? pde | KernelMemory.LEAF_2M : -1;
            return leaf >= 0 && (ram.load64(leaf & ~KernelMemory.LEAF_2M) & 1) != 0 ? leaf : -1;
        };
        int[] walks = {0};
        km.installKvaTranslator(new KernelMemory.KvaTranslator() {
            @Override
            public long kvaToPhys(long va) {
                long leaf = leafOf.applyAsLong(va);
                if (leaf < 0) return -1;
                long e = ram.load64(leaf & ~KernelMemory.LEAF_2M);
                return (leaf & KernelMemory.LEAF_2M) != 0 ? (e & 0xffe00000L) | (va & 0x1fffff) : (e & ~0xfffL) | (va & 0xfff);
            }

            @Override
            public long leafEntry(long va) {
                walks[0]++;
                return leafOf.applyAsLong(va);
            }
        });

        km.store64(small + 8, 42);
        assertEquals(42, ram.load64(0x3008));
        assertEquals(42, km.load64(small + 8));
        assertEquals(1, walks[0], "the second access to the page hits the cache");
        ram.store64(0x4008, 43);
        ram.store64(pte, 0x4000 | 0x3);
        assertEquals(43, km.load64(small + 8), "a changed PTE is seen at once, with no invalidation");
        ram.store64(pte, 0);
        KernelPanic p = assertThrows(KernelPanic.class, () -> km.load64(small + 8));
        assertTrue(p.getMessage().contains("kernel page fault"), p.getMessage());

        km.store64(big + 0x1238, 7);
        assertEquals(7, ram.load64(0x201238), "large page: the page's offset in its 2 MiB frame is kept");
        ram.store64(0x401238, 8);
        ram.store64(pde, 0x400000 | 0x80 | 0x3);
        assertEquals(8, km.load64(big + 0x1238), "a changed 2 MiB PD entry is seen at once");
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
