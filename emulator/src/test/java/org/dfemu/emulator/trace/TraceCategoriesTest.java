package org.dfemu.emulator.trace;

import static org.dfemu.emulator.trace.EmulatorEvents.*;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The category mask: chosen at open, answered by enabled(), applied by record(), kept in the header. */
class TraceCategoriesTest {
    private static final List<String> NAMES = SampleRecords.NAMES;

    @TempDir
    Path dir;

    @Test
    void categoryIsTheNamePrefix() {
        assertEquals("sched", TraceCategories.categoryOf("sched_switch"));
        assertEquals("vm", TraceCategories.categoryOf("vm_page_alloc"));
        assertEquals("panic", TraceCategories.categoryOf("panic"));
    }

    @Test
    void selectByCategoryAndByName() {
        BitSet sched = TraceCategories.select(NAMES, "sched");
        assertEquals(bits(SCHED_SWITCH, SCHED_SLEEP, SCHED_WAKEUP, SCHED_SPAWN, SCHED_EXIT, SCHED_DEADLOCK), sched);
        BitSet mixed = TraceCategories.select(NAMES, " io_submit , tlb ");
        assertEquals(bits(IO_SUBMIT, TLB_SHOOTDOWN), mixed);
        BitSet all = TraceCategories.select(NAMES, "all");
        assertEquals(NAMES.size() - 1, all.cardinality());
        assertFalse(all.get(NONE));
    }

    @Test
    void unknownCategoryIsNamedWithTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TraceCategories.select(NAMES, "sched,vm"));
        assertEquals("trace: 'vm' is neither a category nor an event name (categories: all, emu, io, mmu, sched, tlb)",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TraceCategories.select(NAMES, " , "));
    }

    @Test
    void onlyEnabledTypesAreRecordedAndTheMaskIsInTheHeader() throws IOException {
        Path file = dir.resolve("t.dftrace");
        BitSet mask = TraceCategories.select(NAMES, "sched,mmu_page_fault");
        List<Integer> expected = new ArrayList<>();
        try (TraceWriter w = TraceWriter.open(file, NAMES, mask)) {
            for (int type = 0; type < NAMES.size(); type++) {
                assertEquals(mask.get(type), w.enabled(type), "enabled(" + type + ")");
            }
            assertFalse(w.enabled(-1));
            assertFalse(w.enabled(NAMES.size()));
            for (int round = 0; round < 3; round++) {
                for (int type = 1; type <= SCHED_DEADLOCK; type++) {
                    w.record(round * 100L + type, 0, type, type, round, 0, 0, 0);
                    if (mask.get(type)) expected.add(type);
                }
            }
            assertEquals(expected.size(), w.recordCount());
        }
        try (TraceReader r = TraceReader.open(file)) {
            for (int type = 0; type < NAMES.size(); type++) {
                assertEquals(mask.get(type), r.enabled(type), "header enabled(" + type + ")");
            }
            List<Integer> seen = new ArrayList<>();
            TraceCursor c = r.cursor();
            while (c.next()) {
                seen.add(c.type());
                assertEquals(c.type(), c.thread());
            }
            assertEquals(expected, seen);
        }
    }

    private static BitSet bits(int... types) {
        BitSet b = new BitSet();
        for (int t : types) b.set(t);
        return b;
    }
}
