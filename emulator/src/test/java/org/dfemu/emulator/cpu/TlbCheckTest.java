package org.dfemu.emulator.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dfemu.emulator.mmu.Pte;
import org.dfemu.emulator.mmu.StaleTlbEntryException;
import org.dfemu.emulator.mmu.Translation;
import org.junit.jupiter.api.Test;

/**
 * Supervisor accesses and the TLB check: a supervisor access goes through the TLB whatever the
 * mode and reports a refusal instead of delivering it; with {@link CpuSettings#tlbCheck} a hit the
 * page tables no longer back throws, while a hit they still back (or one granting less than the
 * tables) passes, and the check itself sets no A or D bit.
 */
class TlbCheckTest {
    private static final long VA = 0x40_0000L;

    private static CpuSettings checked() {
        return CpuSettings.DEFAULT.withTlbCheck(true);
    }

    @Test
    void supervisorAccessesUseTheTlbAndReportRefusals() {
        try (TestMachine m = new TestMachine()) {
            long pa = m.map(VA, Pte.RW);
            Cpu cpu = m.cpu();
            cpu.setUserMode(true);
            assertEquals(pa + 8, cpu.supervisorWrite(VA + 8), "a supervisor page, reached from user mode");
            assertTrue(Pte.has(m.mem.load64(m.pte(VA)), Pte.A | Pte.D), "the walk set A and D");
            long walks = cpu.tlb().walks();
            assertEquals(pa + 16, cpu.supervisorRead(VA + 16));
            assertEquals(walks, cpu.tlb().walks(), "a hit");
            long refused = cpu.supervisorRead(VA + Pte.PAGE_SIZE);
            assertTrue(Translation.isFault(refused), "an unmapped address is a fault result");
            assertEquals(0, cpu.counters().pageFaults(), "and nothing is delivered");
            assertTrue(m.faults.isEmpty());
            assertThrows(GeneralProtectionException.class, () -> cpu.supervisorRead(1L << 47));
        }
    }

    @Test
    void aPteChangedWithoutInvlpgIsCaughtOnTheNextHit() {
        try (TestMachine m = new TestMachine(1, checked())) {
            long pa1 = m.map(VA, Pte.RW);
            long pa2 = m.page();
            Cpu cpu = m.cpu();
            assertEquals(pa1, cpu.supervisorWrite(VA));
            assertEquals(pa1 + 8, cpu.supervisorRead(VA + 8), "a hit the tables back passes");
            m.mem.store64(m.pte(VA), Pte.make(pa2, Pte.P | Pte.RW | Pte.A | Pte.D));
            StaleTlbEntryException e = assertThrows(StaleTlbEntryException.class, () -> cpu.supervisorRead(VA + 8));
            assertEquals(String.format("cpu0: TLB check: stale translation for kernel read of 0x%016x (cr3 0x%x): "
                    + "cached pa 0x%x (4K W X D), page tables pa 0x%x (4K W X D)", VA + 8, m.pml4, pa1 + 8, pa2 + 8),
                    e.getMessage());
            cpu.invlpg(VA);
            assertEquals(pa2 + 8, cpu.supervisorRead(VA + 8), "after invlpg the walk caches the new page");
        }
    }

    @Test
    void lostPermissionsAndUnmappingAreCaughtOnUserAccessesToo() {
        try (TestMachine m = new TestMachine(1, checked())) {
            long pa = m.map(VA, Pte.RW | Pte.US);
            Cpu cpu = m.cpu();
            cpu.setUserMode(true);
            cpu.store64(VA, 5);
            m.mem.store64(m.pte(VA), Pte.make(pa, Pte.P | Pte.US | Pte.A));  // read-only and clean
            StaleTlbEntryException e = assertThrows(StaleTlbEntryException.class, () -> cpu.load64(VA));
            assertTrue(e.getMessage().contains("cached pa 0x" + Long.toHexString(pa) + " (4K W U X D), page tables pa 0x"
                    + Long.toHexString(pa) + " (4K U X)"), e.getMessage());
            m.mem.store64(m.pte(VA), 0);
            e = assertThrows(StaleTlbEntryException.class, () -> cpu.load64(VA));
            assertTrue(e.getMessage().endsWith("page tables not present"), e.getMessage());
        }
    }

    @Test
    void aHitGrantingLessThanTheTablesPassesAndTheCheckWritesNothing() {
        try (TestMachine m = new TestMachine(1, checked())) {
            long pa = m.map(VA, 0);
            Cpu cpu = m.cpu();
            assertEquals(pa, cpu.supervisorRead(VA));
            long pte = m.mem.load64(m.pte(VA));
            assertFalse(Pte.has(pte, Pte.D), "a read walk leaves D clear");
            m.mem.store64(m.pte(VA), pte | Pte.RW);    // an upgrade needs no invalidation on x86
            for (int i = 0; i < 3; i++) assertEquals(pa, cpu.supervisorRead(VA));
            assertEquals(pte | Pte.RW, m.mem.load64(m.pte(VA)), "checked hits set no A or D bit");
            assertTrue(Translation.isFault(cpu.supervisorWrite(VA)), "a spurious fault from the cached bits, as on x86");
            assertEquals(pa, cpu.supervisorWrite(VA), "which dropped the entry: the retry walks");
            assertTrue(Pte.has(m.mem.load64(m.pte(VA)), Pte.D));
        }
    }
}
