package org.dfemu.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.dfemu.emulator.cpu.PageFaultException;
import org.dfemu.emulator.mmu.PageTableBuilder;
import org.dfemu.emulator.mmu.Pte;
import org.dfemu.emulator.sched.RunResult;
import org.junit.jupiter.api.Test;

/** The wired machine: sub-seeds, trap handler forwarding, a kernel thread touching memory through its CPU. */
class MachineTest {
    @Test
    void subSeedsDependOnlyOnTheMasterSeed() {
        List<Long> a = new ArrayList<>();
        List<Long> b = new ArrayList<>();
        try (Machine m1 = new Machine(MachineConfig.of(16L << 20, 1, 42));
             Machine m2 = new Machine(MachineConfig.of(16L << 20, 1, 42));
             Machine m3 = new Machine(MachineConfig.of(16L << 20, 1, 43))) {
            for (int i = 0; i < 3; i++) { a.add(m1.subSeed()); b.add(m2.subSeed()); }
            assertEquals(a, b);
            assertNotEquals(a.get(0), m3.subSeed());
        }
    }

    @Test
    void pageFaultsGoToTheInstalledHandlerWhichMayMapThePage() {
        try (Machine m = new Machine(MachineConfig.of(16L << 20, 2, 1))) {
            PageTableBuilder pt = new PageTableBuilder(m.ram(), 1L << 20, 2L << 20);
            long pml4 = pt.newPml4();
            long va = 0x400000L;
            long frame = 4L << 20;
            m.ram().store64(frame + 8, 0x1122334455667788L);
            // Before a handler is installed a fault is fatal.
            m.cpu(1).loadCr3(pml4);
            assertThrows(PageFaultException.class, () -> m.cpu(1).load64(va + 8));
            List<Long> faults = new ArrayList<>();
            m.setTrapHandler((cpu, fva, code) -> {
                faults.add(fva);
                pt.map4k(pml4, Pte.pageBase(fva), frame, Pte.P | Pte.RW);
            });
            long[] seen = new long[1];
            m.scheduler().spawn("toucher", 1, 0, () -> seen[0] = m.cpu(m.scheduler().curcpu()).load64(va + 8));
            RunResult r = m.scheduler().run();
            assertEquals(RunResult.Outcome.ALL_EXITED, r.outcome(), r.toString());
            assertEquals(0x1122334455667788L, seen[0]);
            assertEquals(List.of(va + 8), faults);
            assertTrue(m.inventory().get(0).startsWith("real memory  = 16777216 (16M"));
        }
    }
}
