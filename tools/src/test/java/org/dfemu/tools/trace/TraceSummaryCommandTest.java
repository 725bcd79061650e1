package org.dfemu.tools.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import org.dfemu.emulator.trace.EmulatorEvents;
import org.dfemu.emulator.trace.TraceWriter;
import org.dfemu.kernel.harness.trace.KernelEvents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceSummaryCommandTest {
    @TempDir
    Path dir;

    private final TraceTestSupport cmd = new TraceTestSupport();

    @Test
    void summaryReportsWhatTheFixtureWrote() throws Exception {
        Path file = dir.resolve("fix.dftrace");
        TraceFixture.Stats s = TraceFixture.write(file);
        assertEquals(0, cmd.run("summary", file.toString()), cmd.err.toString());
        String out = cmd.out.toString();
        assertEquals("", cmd.err.toString());
        long total = 0;
        for (long n : s.faultsByKind) total += n;
        assertTrue(out.contains("faults: " + total + "\n"), out);
        for (int k = KernelEvents.FAULT_ZERO_FILL; k <= KernelEvents.FAULT_RESIDENT; k++) {
            assertTrue(out.matches("(?s).*\\n  " + java.util.regex.Pattern.quote(KernelEvents.faultKindName(k)) + " +"
                    + s.faultsByKind[k] + " .*"), "kind " + k + " count " + s.faultsByKind[k] + " in\n" + out);
        }
        assertTrue(out.matches("(?s).*\\n +1 pager +" + s.faultsByPid[1] + " .*"), out);
        assertTrue(out.matches("(?s).*\\n +4 hog +" + s.faultsByPid[4] + " .*"), out);
        assertTrue(out.contains(String.format(Locale.ROOT, "lowest %d at %.9f s", s.lowestFree, s.lowestFreeAt / 1e9)), out);
        // HdrHistogram at 3 significant digits reports the top of the max's bucket
        assertTrue(out.contains("max " + TraceTypes.duration(new org.HdrHistogram.Histogram(3).highestEquivalentValue(s.faultLatencyMax))), out);
        assertTrue(out.matches("(?s).*pagedaemon +" + s.pageoutPasses + " +\\d+ +" + s.laundered + " .*"), out);
        assertTrue(out.contains("writes (pageout) " + String.format(Locale.ROOT, "%8d I/Os %10d pages", s.swapWrites, s.swapWritePages)), out);
        assertTrue(out.matches("(?s).*zalloc +SWAPMETA +\\d+ +" + s.sleptZallocs + " +0 .*"), out);
        assertTrue(s.sleptZallocs > 0 && s.vmWaits > 0 && s.oomKills == 1, "the fixture exercises sleeps and an OOM kill");
        assertTrue(out.contains("OOM kill at ") && out.contains("pid 4 (hog)"), out);
        assertTrue(out.contains("DEADLOCK at ") && out.contains("2 threads stuck"), out);
        assertTrue(out.contains("pid 3 (segv) SIGSEGV at va 0xdead0000"), out);
        assertTrue(out.contains("thresholds: interrupt_free_min 25, pageout_free_min 43, severe 72, reserved 79, min 145"), out);
    }

    @Test
    void aPanicRecordIsReported() throws Exception {
        Path file = dir.resolve("panic.dftrace");
        try (TraceWriter w = TraceWriter.open(file, List.of(KernelEvents.names()))) {
            long[] n = KernelEvents.packName("vm_fault: page not busy");
            w.record(10, 0, 3, KernelEvents.SCHED_PANIC, 0, n[0], n[1], n[2]);
        }
        assertEquals(0, cmd.run("summary", file.toString()), cmd.err.toString());
        assertTrue(cmd.out.toString().contains("PANIC at 0.000000010 s on cpu 0, thread tid 3: vm_fault: page not busy"), cmd.out.toString());
    }

    @Test
    void aMachineOnlyTraceIsSummarisedFromItsMmuFaults() throws Exception {
        Path file = dir.resolve("machine.dftrace");
        try (TraceWriter w = TraceWriter.open(file, List.of(EmulatorEvents.names()))) {
            w.record(0, 0, 3, EmulatorEvents.SCHED_SWITCH, 0, 3, 0, 0);
            w.record(100, 0, 3, EmulatorEvents.MMU_PAGE_FAULT, 0x1000_0000L, 6, 0x200_0000L, 0);
            w.record(200, 0, 3, EmulatorEvents.MMU_PAGE_FAULT, 0x1000_1000L, 6, 0x200_0000L, 0);
        }
        assertEquals(0, cmd.run("summary", file.toString()), cmd.err.toString());
        String out = cmd.out.toString();
        assertTrue(out.contains("faults: 2\n"), out);
        assertTrue(out.contains("no kernel fault events recorded"), out);
        assertTrue(out.contains("no free-page counts recorded"), out);
    }

    @Test
    void aTraceCutShortByACrashIsReadUpToItsLastWholeRecord() throws Exception {
        Path file = dir.resolve("fix.dftrace");
        TraceFixture.Stats s = TraceFixture.write(file);
        long size = Files.size(file);
        // as if the writer died: not closed, the last record half written and the rest cut off
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 0), 32);
            ch.truncate(size - 48 * 100 - 20);
        }
        for (String sub : List.of("summary", "faults")) {
            TraceTestSupport c = new TraceTestSupport();
            assertEquals(0, c.run(sub, file.toString()), sub + ": " + c.err);
            assertEquals("", c.err.toString());
        }
        TraceTestSupport c = new TraceTestSupport();
        c.run("summary", file.toString());
        assertTrue(c.out.toString().contains(": " + (s.records - 101) + " records (not closed cleanly"), c.out.toString());
        assertEquals(0, new TraceTestSupport().run("export", file.toString(), "-o", dir.resolve("o.json").toString()));
        assertEquals(0, new TraceTestSupport().run("plot", file.toString(), "-o", dir.resolve("o.png").toString()));
    }

    @Test
    void badFilesGiveOneLineAndExitTwo() throws Exception {
        Path good = dir.resolve("good.dftrace");
        TraceFixture.write(good);

        Path truncated = dir.resolve("truncated.dftrace");
        Files.write(truncated, java.util.Arrays.copyOf(Files.readAllBytes(good), 20));
        expectOneLine(truncated, "truncated.dftrace: truncated header");

        Path version = dir.resolve("v2.dftrace");
        Files.copy(good, version);
        patchInt(version, 8, 2);
        expectOneLine(version, "v2.dftrace: trace format version 2 is not supported");

        Path corrupt = dir.resolve("corrupt.dftrace");
        Files.copy(good, corrupt);
        patchInt(corrupt, 200, 0x41414141);
        expectOneLine(corrupt, "corrupt.dftrace: corrupt header");

        Path notTrace = dir.resolve("text.dftrace");
        Files.writeString(notTrace, "this is not a trace file at all, just some text that is long enough\n");
        expectOneLine(notTrace, "text.dftrace: not a dfemu trace");

        expectOneLine(dir.resolve("missing.dftrace"), "missing.dftrace: no such file");
    }

    private void expectOneLine(Path file, String expected) {
        for (String sub : List.of("summary", "faults", "export", "plot")) {
            TraceTestSupport c = new TraceTestSupport();
            int status = sub.equals("export") ? c.run(sub, file.toString(), "-o", dir.resolve("x.json").toString())
                    : sub.equals("plot") ? c.run(sub, file.toString(), "-o", dir.resolve("x.png").toString())
                    : c.run(sub, file.toString());
            assertEquals(2, status, sub + " " + file);
            String err = c.err.toString();
            assertEquals(1, err.lines().count(), err);
            assertTrue(err.startsWith("dfemu trace " + sub + ": ") && err.contains(expected), err);
            assertEquals("", c.out.toString());
        }
    }

    private static void patchInt(Path file, long offset, int value) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            f.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array());
        }
    }
}
