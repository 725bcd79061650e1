package org.dfemu.tools.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dfemu.emulator.trace.EmulatorEvents;
import org.dfemu.emulator.trace.TraceWriter;
import org.dfemu.kernel.harness.trace.KernelEvents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records are not checksummed, so a damaged trace reaches the readers with any value in any
 * field. Each case here is one the input fuzz test (InputFuzzTest, seed 1) found escaping as an
 * exception; the readers must summarise such a trace, not fail.
 */
class DamagedRecordsTest {
    @TempDir
    Path dir;

    /** Writes {@code records} (time, cpu, tid, type, a0..a3) with the kernel's name table. */
    private Path trace(long[]... records) throws IOException {
        Path file = dir.resolve("damaged.dftrace");
        try (TraceWriter w = TraceWriter.open(file, List.of(KernelEvents.names()))) {
            for (long[] r : records) w.record(r[0], (int) r[1], (int) r[2], (int) r[3], r[4], r[5], r[6], r[7]);
        }
        return file;
    }

    private static long[] pageAlloc(long time, long free) {
        return new long[] {time, 0, 1, KernelEvents.VM_PAGE_ALLOC, 0x1000, 0, free, 0};
    }

    private void readsWithoutError(Path trace, String... command) {
        TraceTestSupport c = new TraceTestSupport();
        int status = c.run(command);
        assertEquals(0, status, c.err.toString());
        assertEquals("", c.err.toString());
    }

    /** Seed 1 cases 309, 8649, 9999: a time near Long.MIN_VALUE beside normal ones overflowed now - first in the free-page bins. */
    @Test
    void plotTakesTimesWhoseDifferenceOverflowsALong() throws Exception {
        Path t = trace(pageAlloc(1000, 500), pageAlloc(Long.MIN_VALUE, 400), pageAlloc(2000, 300),
                pageAlloc(Long.MAX_VALUE, 200));
        readsWithoutError(t, "plot", t.toString(), "-o", dir.resolve("p.png").toString(), "--width", "200", "--height", "200");
        readsWithoutError(t, "summary", t.toString());
        readsWithoutError(t, "export", t.toString(), "-o", dir.resolve("p.json").toString());
    }

    /** One record at a huge time: the axis range from it to a nanosecond later is empty as doubles. */
    @Test
    void plotTakesATraceWhoseOnlyTimeIsHuge() throws Exception {
        Path t = trace(pageAlloc(Long.MAX_VALUE - 1, 500));
        Path svg = dir.resolve("one.svg");
        readsWithoutError(t, "plot", t.toString(), "-o", svg.toString(), "--width", "200", "--height", "200");
        assertTrue(Files.readString(svg).contains("<svg"));
    }

    /** Seed 1 cases 5897, 7277: a sched_switch whose cpu field is 0xFFFF (no CPU) indexed the CPU table at -1. */
    @Test
    void exportTakesASwitchWithoutACpu() throws Exception {
        Path t = trace(new long[] {100, 0, 1, EmulatorEvents.SCHED_SWITCH, 0, 1, 0, 0},
                new long[] {200, -1, 2, EmulatorEvents.SCHED_SWITCH, 1, 2, 0, 0},
                new long[] {300, 0, 1, EmulatorEvents.SCHED_SWITCH, 1, 3, 0, 0});
        Path json = dir.resolve("s.json");
        readsWithoutError(t, "export", t.toString(), "-o", json.toString());
        assertTrue(Files.readString(json).contains("\"traceEvents\""));
    }
}
