package org.dfemu.tools.boot;

import org.dfemu.tools.DfemuRun;
import static org.dfemu.tools.DfemuRun.dfemu;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.dfemu.emulator.trace.TraceCursor;
import org.dfemu.emulator.trace.TraceReader;
import org.dfemu.kernel.harness.trace.KernelEvents;
import org.dfemu.tools.image.ImageWriter;
import org.dfemu.tools.image.SpecParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dfemu boot --trace FILE [--trace-events LIST]}: the kernel's events in the trace file. */
class BootTraceTest {
    @TempDir
    Path dir;

    /** The bundled default image, built from the checkout's spec into the test's directory. */
    private Path defaultImage() throws Exception {
        Path image = dir.resolve("default.img");
        ImageWriter.write(SpecParser.parse(Path.of("..", "disk-images", "default.spec")), image, false);
        return image;
    }

    private static String withoutTraceLine(String out) {
        return out.replaceAll("(?m)^trace: .*\\R", "");
    }

    @Test
    void theDefaultImageGivesTheSameRunAndTheSameTraceWithAllEvents() throws Exception {
        Path image = defaultImage();
        Path t1 = dir.resolve("a.dftrace");
        Path t2 = dir.resolve("b.dftrace");
        DfemuRun plain = dfemu("boot", image.toString(), "--seed", "7");
        DfemuRun traced = dfemu("boot", image.toString(), "--seed", "7", "--trace", t1.toString());
        DfemuRun again = dfemu("boot", image.toString(), "--seed", "7", "--trace", t2.toString(), "--trace-events", "all");
        assertEquals(0, traced.status(), traced.out() + traced.err());
        assertEquals(plain.out(), withoutTraceLine(traced.out()), "the same run, counters and console, with and without");
        assertEquals(plain.out(), withoutTraceLine(again.out()));
        assertArrayEquals(Files.readAllBytes(t1), Files.readAllBytes(t2), "same seed, same trace bytes");

        Map<String, Integer> counts = new HashMap<>();
        Set<String> procNames = new HashSet<>();
        Set<Long> zeroFillPids = new HashSet<>();
        long pageCount = -1;
        try (TraceReader reader = TraceReader.open(t1)) {
            assertTrue(reader.complete());
            assertEquals(java.util.List.of(KernelEvents.names()), reader.names(), "the kernel's name table");
            TraceCursor c = reader.cursor();
            while (c.next()) {
                counts.merge(c.name(), 1, Integer::sum);
                switch (c.type()) {
                    case KernelEvents.VM_TARGETS -> pageCount = c.a3();
                    case KernelEvents.FAULTS_FAULT -> {
                        int kind = (int) (c.a1() >>> 16) & 0xFFFF;
                        assertTrue(kind >= KernelEvents.FAULT_ZERO_FILL && kind <= KernelEvents.FAULT_RESIDENT, "kind " + kind);
                        if (kind == KernelEvents.FAULT_ZERO_FILL) zeroFillPids.add(c.a1() >>> 32);
                    }
                    case KernelEvents.VM_PAGE_ALLOC, KernelEvents.VM_PAGE_FREE -> {
                        long free = c.type() == KernelEvents.VM_PAGE_ALLOC ? c.a2() : c.a1();
                        assertTrue(pageCount > 0 && free >= 0 && free <= pageCount, "free count " + free + " of " + pageCount);
                    }
                    case KernelEvents.SCHED_PROC_START -> procNames.add(KernelEvents.unpackName(c.a1(), c.a2(), c.a3()));
                    default -> { }
                }
            }
        }
        // The default workload: two "pager" processes writing 16M each, every page zero-filled once.
        assertEquals(Set.of("pager"), procNames);
        assertEquals(Set.of(1L, 2L), zeroFillPids, "both processes zero-fill their pages");
        assertTrue(counts.getOrDefault("faults_fault", 0) >= 2 * 4096, counts.toString());
        assertEquals(1, counts.get("vm_thresholds"));
        assertEquals(1, counts.get("vm_targets"));
        for (String name : new String[] {"vm_page_alloc", "vm_page_free", "alloc_zalloc", "alloc_kmalloc",
                "alloc_kmalloc_obj", "alloc_name", "sched_thread_name", "sched_proc_exit", "sched_switch"}) {
            assertTrue(counts.getOrDefault(name, 0) > 0, name + " recorded: " + counts);
        }
    }

    @Test
    void traceEventsVmRecordsOnlyVmTypes() throws Exception {
        Path image = dir.resolve("small.img");
        ImageWriter.write(SpecParser.parse("small.spec", """
                setting hw.physmem=32M
                setting hw.ncpu=2
                partition swap 16M
                program w copies 2
                  map r0 1M rw
                  write r0
                  verify r0
                  exit
                end
                """.getBytes(StandardCharsets.UTF_8)), image, false);
        Path t = dir.resolve("vm.dftrace");
        DfemuRun r = dfemu("boot", image.toString(), "--trace", t.toString(), "--trace-events", "vm");
        assertEquals(0, r.status(), r.out() + r.err());
        Set<String> seen = new HashSet<>();
        try (TraceReader reader = TraceReader.open(t)) {
            for (int type = 1; type < reader.typeCount(); type++) {
                assertEquals(reader.name(type).startsWith("vm_"), reader.enabled(type), reader.name(type));
            }
            TraceCursor c = reader.cursor();
            while (c.next()) seen.add(c.name());
        }
        assertTrue(seen.contains("vm_page_alloc") && seen.contains("vm_thresholds"), seen.toString());
        assertTrue(seen.stream().allMatch(n -> n.startsWith("vm_")), seen.toString());

        Path f = dir.resolve("faults.dftrace");
        DfemuRun faults = dfemu("boot", image.toString(), "--trace", f.toString(), "--trace-events", "faults, sched_proc_start");
        assertEquals(0, faults.status(), faults.err());
        seen.clear();
        try (TraceReader reader = TraceReader.open(f)) {
            TraceCursor c = reader.cursor();
            while (c.next()) seen.add(c.name());
        }
        assertEquals(Set.of("faults_fault", "sched_proc_start"), seen);
    }

    @Test
    void aBadEventListIsOneLineAndExitTwo() throws Exception {
        Path t = dir.resolve("x.dftrace");
        for (String[] args : new String[][] {
                {"boot", "--trace", t.toString(), "--trace-events", "vm,nosuch"},
                {"boot", "--trace", t.toString(), "--trace-events", ","},
                {"boot", "--trace-events", "vm"}}) {
            DfemuRun r = dfemu(args);
            assertEquals(2, r.status(), String.join(" ", args) + ": " + r.out() + r.err());
            String[] lines = r.err().strip().split("\n");
            assertEquals(1, lines.length, r.err());
            assertTrue(lines[0].startsWith("dfemu boot: "), lines[0]);
            assertFalse(Files.exists(t), "nothing recorded");
        }
    }
}
