package org.dfemu.emulator.trace;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The crash rule of {@link TraceFormat}: a trace that was never closed, or cut short, still reads. */
class TraceCrashTest {
    private static final long CHUNK = TraceWriter.MIN_CHUNK_BYTES;

    @TempDir
    Path dir;

    @Test
    void killedWriterProcessLeavesEveryRecordReadable() throws Exception {
        Path file = dir.resolve("killed.dftrace");
        int n = 3000; // 144,000 bytes: the writer is in its third 64 KiB chunk when it dies
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), KilledWriterMain.class.getName(),
                file.toString(), "11", Integer.toString(n), Long.toString(CHUNK)));
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("child.log").toFile()).start();
        assertEquals(0, child.waitFor(), () -> "child failed: " + readLog());

        long recordsEnd = headerBytes() + (long) n * TraceFormat.RECORD_BYTES;
        assertTrue(Files.size(file) > recordsEnd, "the unclosed file keeps its zero-filled tail");
        try (TraceReader r = TraceReader.open(file)) {
            assertEquals(n, r.recordCount());
            assertFalse(r.complete());
            SampleRecords.check(r.cursor(), 11, n);
        }
    }

    @Test
    void unclosedWriterIsReadableWhileItRuns() throws IOException {
        Path file = dir.resolve("open.dftrace");
        try (TraceWriter w = TraceWriter.open(file, SampleRecords.NAMES, TraceRoundTripTest.allTypes(), CHUNK)) {
            SampleRecords.write(w, 5, 2500);
            try (TraceReader r = TraceReader.open(file)) {
                assertEquals(2500, r.recordCount());
                assertFalse(r.complete());
                SampleRecords.check(r.cursor(), 5, 2500);
            }
        }
    }

    @Test
    void closedFileCutInTheMiddleOfARecordReadsUpToTheLastWholeOne() throws IOException {
        Path file = dir.resolve("t.dftrace");
        try (TraceWriter w = TraceWriter.open(file, SampleRecords.NAMES, TraceRoundTripTest.allTypes(), CHUNK)) {
            SampleRecords.write(w, 9, 1000);
        }
        truncate(file, headerBytes() + 700L * TraceFormat.RECORD_BYTES + 20);
        try (TraceReader r = TraceReader.open(file)) {
            assertEquals(700, r.recordCount());
            assertFalse(r.complete());
            SampleRecords.check(r.cursor(), 9, 700);
        }
    }

    @Test
    void unclosedFileCutInTheMiddleOfARecordReadsUpToTheLastWholeOne() throws IOException {
        Path file = dir.resolve("t.dftrace");
        Path cut = dir.resolve("cut.dftrace");
        try (TraceWriter w = TraceWriter.open(file, SampleRecords.NAMES, TraceRoundTripTest.allTypes(), CHUNK)) {
            SampleRecords.write(w, 9, 1000);
            // Copy the live file's first bytes, as a crash in the middle of writing record 400 would leave it.
            byte[] head = new byte[(int) (headerBytes() + 400L * TraceFormat.RECORD_BYTES + 47)];
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                ch.read(ByteBuffer.wrap(head), 0);
            }
            Files.write(cut, head);
        }
        try (TraceReader r = TraceReader.open(cut)) {
            assertEquals(400, r.recordCount());
            SampleRecords.check(r.cursor(), 9, 400);
        }
    }

    @Test
    void unclosedFileStopsAtTheFirstRecordWithTypeZero() throws IOException {
        Path file = dir.resolve("t.dftrace");
        try (TraceWriter w = TraceWriter.open(file, SampleRecords.NAMES, TraceRoundTripTest.allTypes(), CHUNK)) {
            SampleRecords.write(w, 4, 100);
            // A record the writer had not yet committed when it died: everything but its type word.
            putInt(file, headerBytes() + 50L * TraceFormat.RECORD_BYTES + TraceFormat.REC_TYPE_CPU, 0);
            try (TraceReader r = TraceReader.open(file)) {
                assertEquals(50, r.recordCount());
                SampleRecords.check(r.cursor(), 4, 50);
            }
        }
    }

    @Test
    void typeZeroInsideAClosedTraceIsReportedAsDamage() throws IOException {
        Path file = dir.resolve("t.dftrace");
        try (TraceWriter w = TraceWriter.open(file, SampleRecords.NAMES)) {
            SampleRecords.write(w, 4, 100);
        }
        long at = headerBytes() + 50L * TraceFormat.RECORD_BYTES;
        putInt(file, at + TraceFormat.REC_TYPE_CPU, 0);
        try (TraceReader r = TraceReader.open(file)) {
            assertEquals(100, r.recordCount());
            TraceCursor c = r.cursor();
            for (int i = 0; i < 50; i++) assertTrue(c.next());
            TraceFormatException e = assertThrows(TraceFormatException.class, c::next);
            assertEquals("t.dftrace: record 50 (at byte " + at + ") has event type 0, not in the header's name table"
                    + " of types 1..63", e.getMessage());
        }
    }

    @Test
    void damagedRecordCountFallsBackToTheScan() throws IOException {
        Path file = dir.resolve("t.dftrace");
        try (TraceWriter w = TraceWriter.open(file, SampleRecords.NAMES)) {
            SampleRecords.write(w, 6, 30);
        }
        // recordCount = 2^64 - 1: more than the file holds, read unsigned.
        putInt(file, TraceFormat.OFF_RECORD_COUNT, -1);
        putInt(file, TraceFormat.OFF_RECORD_COUNT + 4, -1);
        try (TraceReader r = TraceReader.open(file)) {
            assertEquals(30, r.recordCount());
            assertFalse(r.complete());
            SampleRecords.check(r.cursor(), 6, 30);
        }
    }

    private static long headerBytes() {
        return TraceFormat.headerBytes(SampleRecords.NAMES.size(), TraceRoundTripTest.namesBytes(SampleRecords.NAMES));
    }

    private static void truncate(Path file, long length) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(length);
        }
    }

    static void putInt(Path file, long offset, int v) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, v), offset);
        }
    }

    private String readLog() {
        try {
            return Files.readString(dir.resolve("child.log"));
        } catch (IOException e) {
            return e.toString();
        }
    }
}
