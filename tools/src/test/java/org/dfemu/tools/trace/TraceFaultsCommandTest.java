package org.dfemu.tools.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.dfemu.emulator.trace.EmulatorEvents;
import org.dfemu.emulator.trace.TraceWriter;
import org.dfemu.kernel.harness.trace.KernelEvents;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceFaultsCommandTest {
    @TempDir
    Path dir;

    Path file;
    TraceFixture.Stats stats;

    @BeforeEach
    void fixture() throws Exception {
        file = dir.resolve("fix.dftrace");
        stats = TraceFixture.write(file);
    }

    private List<String> lines(String... args) {
        TraceTestSupport c = new TraceTestSupport();
        String[] full = new String[args.length + 2];
        full[0] = "faults";
        full[1] = file.toString();
        System.arraycopy(args, 0, full, 2, args.length);
        assertEquals(0, c.run(full), c.err.toString());
        return c.out.toString().lines().toList();
    }

    @Test
    void oneLinePerFaultWithDecodedFields() {
        List<String> all = lines();
        long total = 0;
        for (long n : stats.faultsByKind) total += n;
        assertEquals(total, all.size());
        // the segv process's fault: user write to an unmapped page, no map entry
        String segv = all.stream().filter(l -> l.contains(" SIGSEGV ")).findFirst().orElseThrow();
        assertTrue(segv.matches("\\d+\\.\\d{9} cpu 0 pid 3 \\(segv\\) tid 12 va 0xdead0000 -WU- SIGSEGV entry - dur \\d+ ns"), segv);
        String cow = all.stream().filter(l -> l.contains(" copy-on-write ")).findFirst().orElseThrow();
        assertTrue(cow.contains(" pid 2 (forker) ") && cow.contains(" PWU- copy-on-write entry 0x20000000 dur "), cow);
    }

    @Test
    void filtersSelectByPidKindAndAddressRange() {
        assertEquals(stats.faultsByPid[1], lines("--pid", "1").size());
        assertEquals(stats.faultsByKind[KernelEvents.FAULT_SWAP_IN], lines("--kind", "swap-in").size());
        assertEquals(stats.faultsByKind[KernelEvents.FAULT_COW], lines("--kind", "cow").size());
        List<String> range = lines("--va-range", "0x40000000-0x40010000");
        assertEquals(16, range.size(), "the hog's first 16 pages, each faulted once");
        assertTrue(range.stream().allMatch(l -> l.contains(" pid 4 (hog) ") && l.contains(" zero-fill ")));
        assertEquals(0, lines("--pid", "2", "--kind", "swap-in").size());
    }

    @Test
    void badOptionValuesGiveOneLineAndExitTwo() {
        String[][] bad = {{"--pid", "x"}, {"--pid", "-3"}, {"--kind", "major"}, {"--va-range", "0x2000-0x1000"},
                {"--va-range", "12"}, {"--va-range", "0xzz-0x10"}};
        for (String[] args : bad) {
            TraceTestSupport c = new TraceTestSupport();
            assertEquals(2, c.run("faults", file.toString(), args[0], args[1]), String.join(" ", args));
            String err = c.err.toString();
            assertEquals(1, err.lines().count(), err);
            assertTrue(err.startsWith("dfemu trace faults: " + args[0] + " '" + args[1] + "'"), err);
            assertEquals("", c.out.toString());
        }
    }

    @Test
    void aMachineOnlyTraceListsItsMmuFaults() throws Exception {
        Path machine = dir.resolve("machine.dftrace");
        try (TraceWriter w = TraceWriter.open(machine, List.of(EmulatorEvents.names()))) {
            w.record(100, 1, 4, EmulatorEvents.MMU_PAGE_FAULT, 0x1000_0000L, 6, 0x200_0000L, 0);
            w.record(200, 1, 4, EmulatorEvents.MMU_PAGE_FAULT, 0x1000_0000L, 7, 0x200_0000L, 0);
        }
        TraceTestSupport c = new TraceTestSupport();
        assertEquals(0, c.run("faults", machine.toString()));
        assertEquals(List.of("0.000000100 cpu 1 pid ? tid 4 va 0x10000000 -WU- - entry - dur -",
                "0.000000200 cpu 1 pid ? tid 4 va 0x10000000 PWU- - entry - dur -"), c.out.toString().lines().toList());
    }
}
