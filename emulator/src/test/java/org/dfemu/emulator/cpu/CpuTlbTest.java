package org.dfemu.emulator.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.dfemu.emulator.mmu.Pte;
import org.dfemu.emulator.mmu.Tlb;
import org.dfemu.emulator.trace.EmulatorEvents;
import org.junit.jupiter.api.Test;

/** TLB coherence as the kernel sees it: stale entries, invlpg, CR3 loads, global pages, shootdowns. */
class CpuTlbTest {
    static final long USER_VA = 0x0000_0000_0040_0000L;
    static final long KERN_VA = 0xffff_8000_0010_0000L;

    /** Repoints the 4 KiB mapping of {@code va} to {@code pa}, keeping its flags, without invalidating. */
    static void repoint(TestMachine m, long va, long pa) {
        long at = m.pte(va);
        long e = m.mem.load64(at);
        m.mem.store64(at, Pte.make(pa, e & ~Pte.FRAME));
    }

    @Test
    void pteChangeIsInvisibleUntilInvlpg() {
        try (TestMachine m = new TestMachine()) {
            long pa1 = m.map(USER_VA, Pte.RW);
            long pa2 = m.page();
            m.mem.store64(pa1, 0x1111);
            m.mem.store64(pa2, 0x2222);
            Cpu cpu = m.cpu();
            assertEquals(0x1111, cpu.load64(USER_VA));

            repoint(m, USER_VA, pa2);
            assertEquals(0x1111, cpu.load64(USER_VA), "stale: the TLB still maps the old frame");

            cpu.invlpg(USER_VA + 0x123);
            assertEquals(0x2222, cpu.load64(USER_VA));
        }
    }

    @Test
    void unmapIsInvisibleUntilInvlpgThenFaults() {
        try (TestMachine m = new TestMachine()) {
            m.map(USER_VA, Pte.RW);
            Cpu cpu = m.cpu();
            cpu.store32(USER_VA, 42);
            m.mem.store64(m.pte(USER_VA), 0);
            assertEquals(42, cpu.load32(USER_VA));
            cpu.invlpg(USER_VA);
            PageFaultException pf = assertThrows(PageFaultException.class, () -> cpu.load32(USER_VA));
            assertEquals(0, pf.errorCode());
        }
    }

    @Test
    void cr3LoadKeepsGlobalEntriesAndDropsTheRest() {
        try (TestMachine m = new TestMachine()) {
            long userOld = m.map(USER_VA, Pte.RW | Pte.US);
            long kernOld = m.map(KERN_VA, Pte.RW | Pte.G);
            long userNew = m.page();
            long kernNew = m.page();
            m.mem.store8(userOld, 1);
            m.mem.store8(kernOld, 2);
            m.mem.store8(userNew, 3);
            m.mem.store8(kernNew, 4);
            Cpu cpu = m.cpu();
            assertEquals(1, cpu.load8(USER_VA));
            assertEquals(2, cpu.load8(KERN_VA));

            repoint(m, USER_VA, userNew);
            repoint(m, KERN_VA, kernNew);
            cpu.loadCr3(cpu.cr3());
            assertEquals(3, cpu.load8(USER_VA), "non-global entry dropped by the CR3 load");
            assertEquals(2, cpu.load8(KERN_VA), "global entry kept across the CR3 load");

            cpu.invltlbAll();
            assertEquals(4, cpu.load8(KERN_VA), "flush including global entries");
        }
    }

    @Test
    void globalKernelEntrySurvivesASwitchToAnotherAddressSpace() {
        try (TestMachine m = new TestMachine()) {
            long kern = m.map(KERN_VA, Pte.RW | Pte.G);
            m.mem.store8(kern, 9);
            long other = m.tables.newPml4();
            long otherUser = m.page();
            m.tables.map4k(other, USER_VA, otherUser, Pte.RW | Pte.US);
            m.mem.store8(otherUser, 5);
            Cpu cpu = m.cpu();
            cpu.load8(KERN_VA);

            cpu.loadCr3(other);
            assertEquals(5, cpu.load8(USER_VA), "the new address space is used");
            assertEquals(9, cpu.load8(KERN_VA), "the global kernel entry still translates, as PG_G promises");
        }
    }

    @Test
    void shootdownInvalidatesOnTheTargetedCpusOnlyAndIsCounted() {
        try (TestMachine m = new TestMachine(3, CpuSettings.DEFAULT)) {
            long pa1 = m.map(KERN_VA, Pte.RW);
            long pa2 = m.page();
            m.mem.store8(pa1, 1);
            m.mem.store8(pa2, 2);
            for (int i = 0; i < 3; i++) assertEquals(1, m.cpus.cpu(i).load8(KERN_VA));

            repoint(m, KERN_VA, pa2);
            m.cpus.cpu(0).shootdownPage(0b110, KERN_VA);

            assertEquals(1, m.cpus.cpu(0).load8(KERN_VA), "cpu 0 was not targeted: still stale");
            assertEquals(2, m.cpus.cpu(1).load8(KERN_VA));
            assertEquals(2, m.cpus.cpu(2).load8(KERN_VA));

            CpuCounters c0 = m.cpus.cpu(0).counters();
            CpuCounters c1 = m.cpus.cpu(1).counters();
            CpuCounters c2 = m.cpus.cpu(2).counters();
            assertEquals(2, c0.shootdownsSent());
            assertEquals(0, c0.shootdownsReceived());
            assertEquals(0, c0.invlpgs());
            assertEquals(1, c1.shootdownsReceived());
            assertEquals(1, c1.invlpgs());
            assertEquals(0, c1.shootdownsSent());
            assertEquals(1, c2.shootdownsReceived());
            assertEquals(1, c2.invlpgs());

            assertEquals(List.of(new TestMachine.Event(TestMachine.CLOCK_NS, 0, TestMachine.THREAD,
                    EmulatorEvents.TLB_SHOOTDOWN, 0b110, KERN_VA, 0)), m.events);
        }
    }

    @Test
    void ownBitInTheMaskIsALocalInvalidationNotAnIpi() {
        try (TestMachine m = new TestMachine(2, CpuSettings.DEFAULT)) {
            m.map(KERN_VA, Pte.RW);
            m.cpus.cpu(0).load8(KERN_VA);
            m.cpus.cpu(0).shootdownPage(0b01, KERN_VA);
            assertEquals(0, m.cpus.cpu(0).counters().shootdownsSent());
            assertEquals(1, m.cpus.cpu(0).counters().invlpgs());
            assertEquals(List.of(), m.events, "no IPI, no shootdown event");

            m.cpus.cpu(0).shootdownPage(m.cpus.allMask(), KERN_VA);
            assertEquals(1, m.cpus.cpu(0).counters().shootdownsSent());
            assertEquals(1, m.cpus.cpu(1).counters().shootdownsReceived());
            assertEquals(2, m.cpus.cpu(0).counters().invlpgs());
        }
    }

    @Test
    void shootdownFlushHonoursGlobalEntries() {
        try (TestMachine m = new TestMachine(2, CpuSettings.DEFAULT)) {
            m.map(USER_VA, Pte.RW);
            m.map(KERN_VA, Pte.RW | Pte.G);
            Cpu target = m.cpus.cpu(1);
            target.load8(USER_VA);
            target.load8(KERN_VA);
            long flushesBefore = target.counters().tlbFlushes();

            m.cpus.cpu(0).shootdownFlush(0b10, false);
            assertEquals(false, target.tlb().holds(USER_VA));
            assertEquals(true, target.tlb().holds(KERN_VA));

            m.cpus.cpu(0).shootdownFlush(0b10, true);
            assertEquals(false, target.tlb().holds(KERN_VA));
            assertEquals(flushesBefore + 2, target.counters().tlbFlushes());
            assertEquals(2, target.counters().shootdownsReceived());
            assertEquals(new TestMachine.Event(TestMachine.CLOCK_NS, 0, TestMachine.THREAD,
                    EmulatorEvents.TLB_SHOOTDOWN, 0b10, -1, 1), m.events.get(1));
        }
    }

    @Test
    void maskNamingAMissingCpuIsRefused() {
        try (TestMachine m = new TestMachine(2, CpuSettings.DEFAULT)) {
            assertThrows(IllegalArgumentException.class, () -> m.cpu().shootdownPage(0b100, KERN_VA));
        }
    }

    @Test
    void countersFollowASequenceOfAccesses() {
        try (TestMachine m = new TestMachine()) {
            m.map(USER_VA, Pte.RW);
            Cpu cpu = m.cpu();
            CpuCounters start = cpu.counters();   // the fixture's CR3 load is one flush
            assertEquals(new CpuCounters(0, 0, 0, 1, 0, 0, 0), start);

            cpu.load64(USER_VA);          // miss: walk
            cpu.load64(USER_VA + 8);      // hit
            cpu.store64(USER_VA + 16, 1); // D clear: walk
            cpu.store64(USER_VA + 24, 1); // hit
            cpu.invlpg(USER_VA);
            cpu.load8(USER_VA);           // walk
            cpu.loadCr3(cpu.cr3());       // flush
            assertThrows(PageFaultException.class, () -> cpu.load8(USER_VA + Pte.PAGE_SIZE));  // walk, fault

            // The two hits are fast-path hits, counted only when the run counts memory accesses.
            assertEquals(new CpuCounters(Tlb.COUNT_HITS ? 2 : 0, 4, 1, 2, 0, 0, 1), cpu.counters());
        }
    }
}
