package org.dfemu.tools.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.dfemu.emulator.trace.EmulatorEvents;
import org.dfemu.emulator.trace.TraceWriter;
import org.dfemu.kernel.harness.trace.KernelEvents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceExportCommandTest {
    @TempDir
    Path dir;

    private final ObjectMapper json = new ObjectMapper();

    private JsonNode export(Path trace) throws Exception {
        Path out = dir.resolve(trace.getFileName() + ".json");
        TraceTestSupport c = new TraceTestSupport();
        assertEquals(0, c.run("export", trace.toString(), "-o", out.toString()), c.err.toString());
        try (JsonParser p = json.getFactory().createParser(out.toFile())) {
            assertEquals(JsonToken.START_OBJECT, p.nextToken());
            assertEquals(JsonToken.FIELD_NAME, p.nextToken());
            assertEquals("displayTimeUnit", p.currentName(), "displayTimeUnit must be the first key");
        }
        return json.readTree(out.toFile());
    }

    /** Exact nanoseconds from a microsecond number with up to three decimals. */
    private static long ns(JsonNode n) {
        return new BigDecimal(n.asText()).movePointRight(3).longValueExact();
    }

    @Test
    void fixtureExportsParseableNestedSingleSeriesJson() throws Exception {
        Path trace = dir.resolve("fix.dftrace");
        TraceFixture.Stats s = TraceFixture.write(trace);
        JsonNode root = export(trace);
        JsonNode events = root.get("traceEvents");
        assertTrue(events.isArray() && events.size() > 1000);

        Map<String, Set<String>> seriesKeys = new TreeMap<>();
        Map<String, List<long[]>> spansByTrack = new HashMap<>();
        Set<String> threadNames = new HashSet<>();
        Set<String> processNames = new HashSet<>();
        Map<String, Integer> spanNames = new TreeMap<>();
        for (JsonNode e : events) {
            String ph = e.get("ph").asText();
            switch (ph) {
                case "X" -> {
                    long ts = ns(e.get("ts"));
                    long dur = ns(e.get("dur"));
                    assertTrue(dur >= 0);
                    spansByTrack.computeIfAbsent(e.get("pid").asInt() + "/" + e.get("tid").asInt(), k -> new ArrayList<>())
                            .add(new long[] {ts, ts + dur});
                    spanNames.merge(e.get("name").asText().replaceAll(" .*", ""), 1, Integer::sum);
                }
                case "C" -> {
                    Set<String> keys = seriesKeys.computeIfAbsent(e.get("name").asText(), k -> new HashSet<>());
                    e.get("args").fieldNames().forEachRemaining(keys::add);
                    assertEquals(1, e.get("args").size());
                    assertTrue(e.get("args").elements().next().isNumber());
                }
                case "M" -> {
                    if (e.get("name").asText().equals("thread_name")) threadNames.add(e.get("args").get("name").asText());
                    if (e.get("name").asText().equals("process_name")) processNames.add(e.get("args").get("name").asText());
                }
                default -> { }
            }
        }
        // each counter name is one numeric series
        assertEquals(Set.of("free", "swap used", "fault rate"), seriesKeys.keySet());
        for (var e : seriesKeys.entrySet()) assertEquals(1, e.getValue().size(), e.getKey() + " " + e.getValue());
        // spans nest properly on every (pid, tid)
        for (var e : spansByTrack.entrySet()) assertNested(e.getKey(), e.getValue());
        // names as metadata, tracks per CPU and per thread
        assertTrue(processNames.containsAll(Set.of("pager", "forker", "segv", "hog", "kernel", "CPUs", "devices")), processNames.toString());
        assertTrue(threadNames.containsAll(Set.of("cpu 0", "cpu 1", "pagedaemon (tid 1)", "pager (tid 10)", "swap I/O")), threadNames.toString());
        // the spans the brief asks for are there
        long faults = 0;
        for (long n : s.faultsByKind) faults += n;
        assertEquals(faults, (long) spanNames.get("fault"));
        assertEquals(s.pageoutPasses, (long) spanNames.get("pageout"));
        assertEquals(s.swapWrites + s.swapReads, (long) spanNames.get("swap"));
        assertTrue(spanNames.get("vm_wait") + spanNames.getOrDefault("vm_wait_pfault", 0) >= s.vmWaits && spanNames.get("sleep") > 0 && spanNames.get("zalloc") == s.sleptZallocs,
                spanNames.toString());
        assertTrue(root.get("displayTimeUnit").asText().equals("ns"));
    }

    @Test
    void improperlyOverlappingSpansMoveToAnOverlapLane() throws Exception {
        Path trace = dir.resolve("overlap.dftrace");
        try (TraceWriter w = TraceWriter.open(trace, List.of(KernelEvents.names()))) {
            long[] n = KernelEvents.packName("worker");
            w.record(0, 0, 7, KernelEvents.SCHED_THREAD_NAME, 7, n[0], n[1], n[2]);
            // a fault [100, 300] and a vm_wait [200, 400] on the same thread: they overlap without nesting
            w.record(300, 0, 7, KernelEvents.FAULTS_FAULT, 0x1000, 6 | (long) KernelEvents.FAULT_ZERO_FILL << 16, 0x1000, 200);
            w.record(400, 0, 7, KernelEvents.VM_WAIT, 1, 100, 200, 200);
            // and a sleep inside the fault, which nests
            w.record(150, 0, 7, EmulatorEvents.SCHED_SLEEP, 0xabc, 0, 0, 0);
            w.record(250, -1, 0, EmulatorEvents.SCHED_WAKEUP, 0xabc, 7, 0, 0);
        }
        JsonNode root = export(trace);
        Map<Integer, List<String>> byTid = new TreeMap<>();
        Map<Integer, List<long[]>> spans = new TreeMap<>();
        Set<String> threadNames = new HashSet<>();
        for (JsonNode e : root.get("traceEvents")) {
            if (e.get("ph").asText().equals("M") && e.get("name").asText().equals("thread_name")) {
                threadNames.add(e.get("args").get("name").asText());
            }
            if (!e.get("ph").asText().equals("X")) continue;
            int tid = e.get("tid").asInt();
            byTid.computeIfAbsent(tid, k -> new ArrayList<>()).add(e.get("name").asText());
            spans.computeIfAbsent(tid, k -> new ArrayList<>()).add(new long[] {ns(e.get("ts")), ns(e.get("ts")) + ns(e.get("dur"))});
        }
        assertEquals(List.of("fault zero-fill", "sleep"), byTid.get(7));
        assertEquals(List.of("vm_wait_pfault"), byTid.get(7 + ChromeTraceExport.LANE_STRIDE));
        assertTrue(threadNames.contains("worker (tid 7) overlap lane 1"), threadNames.toString());
        for (var e : spans.entrySet()) assertNested("tid " + e.getKey(), e.getValue());
    }

    @Test
    void aMachineOnlyTraceExports() throws Exception {
        Path trace = dir.resolve("machine.dftrace");
        try (TraceWriter w = TraceWriter.open(trace, List.of(EmulatorEvents.names()))) {
            w.record(0, 0, 3, EmulatorEvents.SCHED_SWITCH, 0, 3, 0, 0);
            w.record(100, 0, 3, EmulatorEvents.MMU_PAGE_FAULT, 0x1000_0000L, 6, 0x200_0000L, 0);
            w.record(200, 0, 3, EmulatorEvents.IO_SUBMIT, 1, 0, 8, 8);
            w.record(300, 0, 3, EmulatorEvents.SCHED_SLEEP, 0x55, 0, 0, 0);
            w.record(900, -1, -1, EmulatorEvents.IO_DONE, 1, 0, 0, 8);
            w.record(900, -1, 0, EmulatorEvents.SCHED_WAKEUP, 0x55, 3, 0, 0);
        }
        JsonNode root = export(trace);
        List<String> names = new ArrayList<>();
        for (JsonNode e : root.get("traceEvents")) if (e.get("ph").asText().equals("X")) names.add(e.get("name").asText());
        assertTrue(names.containsAll(List.of("tid 3", "page fault", "disk op 0", "sleep")), names.toString());
        assertFalse(root.get("otherData").get("complete").asBoolean() == false);
    }

    /** Sorted by start (longest first), every span must end inside the enclosing one it starts in. */
    static void assertNested(String track, List<long[]> spans) {
        spans.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(b[1], a[1]));
        ArrayList<long[]> stack = new ArrayList<>();
        for (long[] s : spans) {
            while (!stack.isEmpty() && stack.get(stack.size() - 1)[1] <= s[0]) stack.remove(stack.size() - 1);
            if (!stack.isEmpty()) {
                long[] parent = stack.get(stack.size() - 1);
                assertTrue(s[1] <= parent[1], track + ": span [" + s[0] + ", " + s[1] + "] overlaps [" + parent[0] + ", "
                        + parent[1] + "] without nesting");
            }
            stack.add(s);
        }
    }
}
