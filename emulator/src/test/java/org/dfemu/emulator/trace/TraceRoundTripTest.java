package org.dfemu.emulator.trace;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceRoundTripTest {
    @TempDir
    Path dir;

    @Test
    void recordsAcrossManyChunksReadBackEqual() throws IOException {
        Path file = dir.resolve("t.dftrace");
        int n = 20_000; // 960,000 bytes of records: about 15 chunks of 64 KiB, records straddling their edges
        try (TraceWriter w = TraceWriter.open(file, SampleRecords.NAMES, allTypes(), TraceWriter.MIN_CHUNK_BYTES)) {
            SampleRecords.write(w, 42, n);
            assertEquals(n, w.recordCount());
        }
        try (TraceReader r = TraceReader.open(file)) {
            assertEquals(SampleRecords.NAMES, r.names());
            assertEquals("sched_switch", r.name(EmulatorEvents.SCHED_SWITCH));
            assertEquals(n, r.recordCount());
            assertTrue(r.complete());
            SampleRecords.check(r.cursor(), 42, n);
        }
    }

    @Test
    void largestNameTableSpansManyChunks() throws IOException {
        Path file = dir.resolve("t.dftrace");
        List<String> names = new ArrayList<>();
        for (int t = 0; t < TraceFormat.MAX_TYPES; t++) names.add("kern_event_number_" + t);
        int last = TraceFormat.MAX_TYPES - 1;
        try (TraceWriter w = TraceWriter.open(file, names, TraceCategories.select(names, "all"), TraceWriter.MIN_CHUNK_BYTES)) {
            w.record(5, 65534, -1, last, 1, 2, 3, 4);
            w.record(6, 0, 0, 1, -1, -2, -3, -4);
        }
        try (TraceReader r = TraceReader.open(file)) {
            assertEquals(names, r.names());
            assertTrue(r.enabled(last));
            TraceCursor c = r.cursor();
            assertTrue(c.next());
            assertEquals(List.of(5L, 65534, -1, last, 1L, 2L, 3L, 4L),
                    List.of(c.timeNs(), c.cpu(), c.thread(), c.type(), c.a0(), c.a1(), c.a2(), c.a3()));
            assertEquals("kern_event_number_65535", c.name());
            assertTrue(c.next());
            assertEquals(List.of(6L, 0, 0, 1, -1L, -2L, -3L, -4L),
                    List.of(c.timeNs(), c.cpu(), c.thread(), c.type(), c.a0(), c.a1(), c.a2(), c.a3()));
            assertFalse(c.next());
        }
    }

    @Test
    void closedFileIsExactlyHeaderPlusRecords() throws IOException {
        Path file = dir.resolve("t.dftrace");
        try (TraceWriter w = TraceWriter.open(file, SampleRecords.NAMES)) {
            SampleRecords.write(w, 7, 1000);
        }
        long header = TraceFormat.headerBytes(SampleRecords.NAMES.size(), namesBytes(SampleRecords.NAMES));
        assertEquals(header + 1000L * TraceFormat.RECORD_BYTES, Files.size(file));
        assertEquals(0, header % 64);
    }

    @Test
    void emptyTraceHasNamesAndNoRecords() throws IOException {
        Path file = dir.resolve("t.dftrace");
        TraceWriter.open(file, List.of("none", "only_event")).close();
        try (TraceReader r = TraceReader.open(file)) {
            assertEquals(List.of("none", "only_event"), r.names());
            assertEquals(0, r.recordCount());
            assertTrue(r.complete());
            assertFalse(r.cursor().next());
        }
    }

    @Test
    void openReplacesAnOlderLongerTrace() throws IOException {
        Path file = dir.resolve("t.dftrace");
        try (TraceWriter w = TraceWriter.open(file, SampleRecords.NAMES)) {
            SampleRecords.write(w, 1, 5000);
        }
        try (TraceWriter w = TraceWriter.open(file, SampleRecords.NAMES)) {
            SampleRecords.write(w, 2, 10);
        }
        try (TraceReader r = TraceReader.open(file)) {
            SampleRecords.check(r.cursor(), 2, 10);
        }
    }

    @Test
    void cursorAccessorsRefuseWhenNotOnARecord() throws IOException {
        Path file = dir.resolve("t.dftrace");
        try (TraceWriter w = TraceWriter.open(file, SampleRecords.NAMES)) {
            SampleRecords.write(w, 3, 1);
        }
        try (TraceReader r = TraceReader.open(file)) {
            TraceCursor c = r.cursor();
            assertThrows(IllegalStateException.class, c::timeNs);
            assertTrue(c.next());
            assertFalse(c.next());
            assertThrows(IllegalStateException.class, c::a0);
        }
    }

    @Test
    void writerRejectsBadTypeCpuAndUseAfterClose() throws IOException {
        Path file = dir.resolve("t.dftrace");
        TraceWriter w = TraceWriter.open(file, SampleRecords.NAMES);
        assertThrows(IllegalArgumentException.class, () -> w.record(0, 0, 1, 0, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> w.record(0, 0, 1, SampleRecords.NAMES.size(), 0, 0, 0, 0));
        IllegalArgumentException cpu = assertThrows(IllegalArgumentException.class,
                () -> w.record(0, 70000, 1, EmulatorEvents.SCHED_SWITCH, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> w.record(0, -2, 1, EmulatorEvents.SCHED_SWITCH, 0, 0, 0, 0));
        assertEquals("trace: cpu 70000 of a sched_switch event is not in -1..65534", cpu.getMessage());
        w.close();
        w.close();
        assertThrows(IllegalStateException.class, () -> w.record(0, 0, 1, EmulatorEvents.SCHED_SWITCH, 0, 0, 0, 0));
    }

    @Test
    void writerRejectsBadNames() {
        Path file = dir.resolve("t.dftrace");
        assertEquals("trace: event name 'a' of type 2 is used twice",
                assertThrows(IllegalArgumentException.class,
                        () -> TraceWriter.open(file, List.of("none", "a", "a"))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> TraceWriter.open(file, List.of("none", "has space")));
        assertThrows(IllegalArgumentException.class, () -> TraceWriter.open(file, List.of("none", "")));
        assertThrows(IllegalArgumentException.class, () -> TraceWriter.open(file, List.of()));
        BitSet zero = new BitSet();
        zero.set(0);
        assertThrows(IllegalArgumentException.class, () -> TraceWriter.open(file, List.of("none", "a"), zero));
    }

    static BitSet allTypes() {
        BitSet all = new BitSet();
        all.set(1, SampleRecords.NAMES.size());
        return all;
    }

    static long namesBytes(List<String> names) {
        long total = 0;
        for (String name : names) total += 1 + name.length();
        return total;
    }
}
