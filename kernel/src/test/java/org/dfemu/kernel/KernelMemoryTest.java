package org.dfemu.kernel;

import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.cpu.Cpu;
import org.dfemu.emulator.cpu.CpuSettings;
import org.dfemu.emulator.cpu.Cpus;
import org.dfemu.emulator.cpu.TrapHandler;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.emulator.mmu.PageTableBuilder;
import org.dfemu.emulator.mmu.Pte;
import org.dfemu.kernel.machine.Vmparam;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kernel addresses: before the kernel page tables exist only the DMAP is reachable (by
 * arithmetic); after, every access is a supervisor access of the current CPU, through its TLB.
 */
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
    void otherKernelAddressesFaultBeforeTheKernelPageTables() {
        long kva = Vmparam.VM_MIN_KERNEL_ADDRESS + 0x5000;
        KernelPanic p = assertThrows(KernelPanic.class, () -> km.load64(kva));
        assertEquals("panic: kernel page fault: supervisor access to unmapped address 0xfffff80040005000",
                p.getMessage());
    }

    @Test
    void accessesGoThroughTheCurrentCpusTlb() {
        // Hand-made tables: one 4 KiB kernel page and the DMAP's first 2 MiB page.
        PageTableBuilder tables = new PageTableBuilder(ram, 0x100000, 0x180000);
        long pml4 = tables.newPml4();
        long small = Vmparam.VM_MIN_KERNEL_ADDRESS + 0x7000;
        tables.map4k(pml4, small, 0x3000, Pte.P | Pte.RW);
        tables.map2m(pml4, Vmparam.DMAP_MIN_ADDRESS, 0, Pte.P | Pte.RW | Pte.G);
        Cpu cpu = new Cpus(1, ram, CpuSettings.DEFAULT, TrapHandler.FATAL, TraceSink.NONE, () -> 0, () -> 0).cpu(0);
        cpu.loadCr3(pml4);
        km.setCpu(cpu);

        km.store64(small + 8, 42);
        assertEquals(42, ram.load64(0x3008));
        long pte = tables.entryAddress(pml4, small, Pte.LEVEL_PT);
        assertTrue(Pte.has(ram.load64(pte), Pte.A | Pte.D), "the walker set A and D in the kernel PTE");
        long walks = cpu.tlb().walks();
        assertEquals(42, km.load64(small + 8));
        assertEquals(walks, cpu.tlb().walks(), "the second access hits the TLB");

        // A changed PTE is not seen until it is invalidated, as on hardware.
        ram.store64(0x4008, 43);
        ram.store64(pte, 0x4000 | Pte.P | Pte.RW);
        assertEquals(42, km.load64(small + 8), "stale until invlpg");
        cpu.invlpg(small);
        assertEquals(43, km.load64(small + 8));
        ram.store64(pte, 0);
        cpu.invlpg(small);
        KernelPanic p = assertThrows(KernelPanic.class, () -> km.load64(small + 8));
        assertEquals("panic: kernel page fault: supervisor access to unmapped address 0xfffff80040007008", p.getMessage());

        // The DMAP through its 2 MiB page.
        km.store32(Vmparam.PHYS_TO_DMAP(0x1234), 7);
        assertEquals(7, ram.load32(0x1234));
        assertTrue(cpu.tlb().holds(Vmparam.PHYS_TO_DMAP(0x1fffff)), "one 2 MiB entry covers the page");
        assertThrows(KernelPanic.class, () -> km.load8(Vmparam.PHYS_TO_DMAP(2 << 20)), "beyond the mapped DMAP");
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
