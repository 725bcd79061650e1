package org.dfemu.emulator.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;

import org.dfemu.emulator.mmu.PageFaultCode;
import org.dfemu.emulator.mmu.Pte;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every permission bit that matters, at every level, for every kind of access in both modes,
 * on 4 KiB and 2 MiB pages: the access either completes or faults with the exact x86 error code
 * at the accessed address. The mapping starts fully permissive (P|RW|US everywhere, NX nowhere)
 * and one entry is changed.
 */
class CpuPermissionTest {
    static final long VA = 0x0000_0012_3456_7000L + 0x9a;
    static final long VA_2M = 0x0000_0012_3460_0000L + 0x1_2345;
    static final byte MARK = 0x5a;

    enum Change { CLEAR_P, CLEAR_RW, CLEAR_US, SET_NX }

    enum Kind { READ, WRITE, EXEC }

    /** The rule the hardware applies, written independently of the walker. */
    static int expectedCode(Change change, Kind kind, boolean user) {
        int base = (kind == Kind.WRITE ? PageFaultCode.W : 0)
                | (user ? PageFaultCode.U : 0)
                | (kind == Kind.EXEC ? PageFaultCode.I : 0);
        return switch (change) {
            case CLEAR_P -> base;
            case CLEAR_RW -> kind == Kind.WRITE ? PageFaultCode.P | base : -1;
            case CLEAR_US -> user ? PageFaultCode.P | base : -1;
            case SET_NX -> kind == Kind.EXEC ? PageFaultCode.P | base : -1;
        };
    }

    static List<Arguments> matrix() {
        List<Arguments> cases = new ArrayList<>();
        for (boolean large : new boolean[] {false, true}) {
            int lowest = large ? Pte.LEVEL_PD : Pte.LEVEL_PT;
            for (int level = Pte.LEVEL_PML4; level >= lowest; level--) {
                for (Change change : Change.values()) {
                    for (Kind kind : Kind.values()) {
                        for (boolean user : new boolean[] {false, true}) {
                            cases.add(Arguments.of(large, level, change, kind, user, expectedCode(change, kind, user)));
                        }
                    }
                }
            }
        }
        return cases;
    }

    @ParameterizedTest(name = "large={0} level={1} {2} {3} user={4} -> {5}")
    @MethodSource("matrix")
    void accessIsAllowedOrFaultsWithExactCode(boolean large, int level, Change change, Kind kind, boolean user, int expected) {
        try (TestMachine m = new TestMachine()) {
            long va = large ? VA_2M : VA;
            long pa = large ? 0x0060_0000L : m.page();
            long flags = Pte.RW | Pte.US;
            if (large) m.tables.map2m(m.pml4, Pte.pageBase(va) & ~Pte.LARGE_MASK, pa, flags);
            else m.tables.map4k(m.pml4, Pte.pageBase(va), pa, flags);
            long paOfVa = pa + (large ? va & Pte.LARGE_MASK : Pte.pageOffset(va));
            m.mem.store8(paOfVa, MARK);

            long entry = m.tables.entryAddress(m.pml4, va, level);
            long e = m.mem.load64(entry);
            m.mem.store64(entry, switch (change) {
                case CLEAR_P -> e & ~Pte.P;
                case CLEAR_RW -> e & ~Pte.RW;
                case CLEAR_US -> e & ~Pte.US;
                case SET_NX -> e | Pte.NX;
            });

            Cpu cpu = m.cpu();
            cpu.setUserMode(user);
            Runnable access = () -> {
                switch (kind) {
                    case READ -> assertEquals(MARK, (byte) cpu.load8(va));
                    case WRITE -> cpu.store8(va, 0x77);
                    case EXEC -> assertEquals(MARK, (byte) cpu.fetch8(va));
                }
            };
            if (expected < 0) {
                access.run();
                if (kind == Kind.WRITE) assertEquals(0x77, m.mem.load8(paOfVa));
                assertEquals(0, cpu.counters().pageFaults());
            } else {
                PageFaultException pf = assertThrows(PageFaultException.class, access::run);
                assertEquals(expected, pf.errorCode(), () -> PageFaultCode.describe(pf.errorCode()));
                assertEquals(va, pf.va());
                assertEquals(MARK, (byte) m.mem.load8(paOfVa), "a refused access changes nothing");
                assertEquals(1, cpu.counters().pageFaults());
            }
        }
    }

    /** A few rows of the matrix with the error code written out, as a check on the rule above. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "kernel write to read-only leaf (CR0.WP=1),   1, CLEAR_RW, WRITE, false, 0x03",
            "user read with US clear in the PDPT,         3, CLEAR_US, READ,  true,  0x05",
            "user write with US clear in the PML4,        4, CLEAR_US, WRITE, true,  0x07",
            "user fetch with NX in the PML4,              4, SET_NX,   EXEC,  true,  0x15",
            "kernel fetch with NX in the leaf,            1, SET_NX,   EXEC,  false, 0x11",
            "kernel read with the PD not present,         2, CLEAR_P,  READ,  false, 0x00",
            "user write with the PT entry not present,    1, CLEAR_P,  WRITE, true,  0x06",
            "kernel fetch with the PDPT not present,      3, CLEAR_P,  EXEC,  false, 0x10",
    })
    void literalErrorCodes(String what, int level, Change change, Kind kind, boolean user, String code) {
        int expected = Integer.decode(code);
        assertEquals(expected, expectedCode(change, kind, user), what);
        accessIsAllowedOrFaultsWithExactCode(false, level, change, kind, user, expected);
    }
}
