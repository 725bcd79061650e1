package org.dfemu.emulator.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.dfemu.emulator.mmu.PageFaultCode;
import org.dfemu.emulator.mmu.Pte;
import org.dfemu.emulator.trace.EmulatorEvents;
import org.junit.jupiter.api.Test;

/** Page-fault delivery: the handler contract, retry, abort, nesting, the loop limit, #GP, tracing. */
class CpuFaultTest {
    static final long VA = 0x0000_0000_0040_0000L;
    static final long KVA = 0xffff_8000_0010_0000L;
    static final long PAGE = Pte.PAGE_SIZE;

    @Test
    void handlerThatMapsThePageMakesTheRetrySucceed() {
        try (TestMachine m = new TestMachine()) {
            long pa = m.page();
            m.mem.store64(pa + 8, 0xfeed);
            m.onFault = (cpu, va, code) -> m.tables.map4k(m.pml4, Pte.pageBase(va), pa, Pte.RW | Pte.US);
            Cpu cpu = m.cpu();
            cpu.setUserMode(true);

            assertEquals(0xfeed, cpu.load64(VA + 8));

            assertEquals(List.of(new TestMachine.Fault(0, VA + 8, PageFaultCode.U, false)), m.faults,
                    "one fault, with the faulting address; the handler ran in kernel mode");
            assertTrue(cpu.isUserMode(), "the interrupted mode is restored");
            assertEquals(1, cpu.counters().pageFaults());
        }
    }

    @Test
    void handlerThatThrowsAbortsTheAccessAndRestoresTheMode() {
        try (TestMachine m = new TestMachine()) {
            RuntimeException sigsegv = new RuntimeException("SIGSEGV");
            m.onFault = (cpu, va, code) -> { throw sigsegv; };
            Cpu cpu = m.cpu();
            cpu.setUserMode(true);
            assertSame(sigsegv, assertThrows(RuntimeException.class, () -> cpu.store8(VA, 1)));
            assertTrue(cpu.isUserMode());
        }
    }

    @Test
    void spuriousFaultFromAStaleEntryIsFixedByReturning() {
        try (TestMachine m = new TestMachine()) {
            m.map(VA, Pte.US);                      // read-only user page
            Cpu cpu = m.cpu();
            cpu.setUserMode(true);
            cpu.load8(VA);
            long at = m.pte(VA);
            m.mem.store64(at, m.mem.load64(at) | Pte.RW);   // upgraded without invlpg
            m.onFault = (c, va, code) -> { };        // vm_fault finds nothing to do

            cpu.store8(VA, 3);

            assertEquals(List.of(new TestMachine.Fault(0, VA, PageFaultCode.P | PageFaultCode.W | PageFaultCode.U, false)),
                    m.faults);
            assertEquals(3, cpu.load8(VA));
        }
    }

    @Test
    void nestedFaultInTheHandlerIsDeliveredAndBothAccessesComplete() {
        try (TestMachine m = new TestMachine()) {
            long userPa = m.page();
            long kernPa = m.page();
            m.mem.store8(userPa, 11);
            m.mem.store8(kernPa, 22);
            m.onFault = (cpu, va, code) -> {
                if (va == KVA) {
                    m.tables.map4k(m.pml4, KVA, kernPa, Pte.RW);
                } else {
                    assertEquals(22, cpu.load8(KVA), "the handler's own access faults and is handled");
                    m.tables.map4k(m.pml4, VA, userPa, Pte.RW | Pte.US);
                }
            };
            Cpu cpu = m.cpu();
            cpu.setUserMode(true);
            assertEquals(11, cpu.load8(VA));
            assertEquals(List.of(new TestMachine.Fault(0, VA, PageFaultCode.U, false),
                    new TestMachine.Fault(0, KVA, 0, false)), m.faults);
            assertTrue(cpu.isUserMode());
        }
    }

    @Test
    void handlerThatNeverFixesTheMappingEndsInAFaultLoopPanic() {
        try (TestMachine m = new TestMachine()) {
            m.onFault = (cpu, va, code) -> { };
            FaultLoopException e = assertThrows(FaultLoopException.class, () -> m.cpu().store32(VA + 4, 1));
            assertEquals(VA + 4, e.va());
            assertEquals(PageFaultCode.W, e.errorCode());
            assertTrue(e.getMessage().contains("0x400004"), e.getMessage());
            assertEquals(Cpu.FAULT_RETRY_LIMIT, m.faults.size());
        }
    }

    @Test
    void spanningAccessRetriesTheFirstPageWhenTheHandlerUnmappedIt() {
        try (TestMachine m = new TestMachine()) {
            long pa1 = m.map(VA, Pte.RW);
            long pa2 = m.page();
            m.mem.store8(pa1 + PAGE - 1, 0x34);
            m.mem.store8(pa2, 0x12);
            m.onFault = (cpu, va, code) -> {
                if (va == VA + PAGE) {
                    // Handling the second page evicts the first (as the pageout daemon might).
                    m.tables.map4k(m.pml4, VA + PAGE, pa2, Pte.RW);
                    m.mem.store64(m.pte(VA), 0);
                    cpu.invlpg(VA);
                } else {
                    m.tables.map4k(m.pml4, VA, pa1, Pte.RW);
                }
            };
            assertEquals(0x1234, m.cpu().load16(VA + PAGE - 1));
            assertEquals(List.of(VA + PAGE, VA + PAGE - 1), m.faults.stream().map(TestMachine.Fault::va).toList());
        }
    }

    @Test
    void nonCanonicalAddressIsAGeneralProtectionFaultNotAPageFault() {
        try (TestMachine m = new TestMachine()) {
            Cpu cpu = m.cpu();
            GeneralProtectionException gp = assertThrows(GeneralProtectionException.class,
                    () -> cpu.load64(0x0000_8000_0000_0000L));
            assertEquals(0x0000_8000_0000_0000L, gp.value());
            m.map(0x0000_7fff_ffff_f000L, Pte.RW);
            assertThrows(GeneralProtectionException.class, () -> cpu.load64(0x0000_7fff_ffff_fffcL),
                    "the second half of this access is past the canonical hole");
            assertEquals(List.of(), m.faults);
            assertEquals(0, cpu.counters().pageFaults());
        }
    }

    @Test
    void cr3WithReservedBitsIsAGeneralProtectionFault() {
        try (TestMachine m = new TestMachine()) {
            long before = m.cpu().cr3();
            assertThrows(GeneralProtectionException.class, () -> m.cpu().loadCr3(1L << 46));
            assertEquals(before, m.cpu().cr3());
            m.cpu().loadCr3(before | Pte.PWT);   // PWT/PCD are allowed
            assertEquals(before | Pte.PWT, m.cpu().cr3());
        }
    }

    @Test
    void eachDeliveredFaultIsTraced() {
        try (TestMachine m = new TestMachine(2, CpuSettings.DEFAULT)) {
            Cpu cpu = m.cpus.cpu(1);
            assertThrows(PageFaultException.class, () -> cpu.store8(VA + 5, 1));
            assertEquals(List.of(new TestMachine.Event(TestMachine.CLOCK_NS, 1, TestMachine.THREAD,
                    EmulatorEvents.MMU_PAGE_FAULT, VA + 5, PageFaultCode.W, m.pml4)), m.events);
        }
    }

    @Test
    void fatalHandlerDescribesTheFault() {
        PageFaultException e = new PageFaultException(2, 0x1234, PageFaultCode.P | PageFaultCode.W | PageFaultCode.U);
        assertEquals("page fault: va 0x1234 error 0x7 (protection write user) on cpu 2", e.getMessage());
        assertFalse(e.getMessage().contains("reserved"));
    }
}
