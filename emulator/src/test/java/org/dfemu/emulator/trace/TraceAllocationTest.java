package org.dfemu.emulator.trace;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.BitSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TraceWriter#record} allocates nothing on the Java heap (the TraceSink contract). A
 * behaviour test: it counts the bytes this thread allocates around 100,000 records, it does not
 * time anything.
 */
class TraceAllocationTest {
    /** For the measuring calls themselves; a per-record allocation would be 100,000 times more. */
    private static final long SLACK_BYTES = 1024;

    @TempDir
    Path dir;

    @Test
    void recordingAllocatesNothing() throws IOException {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
                "this JVM cannot count allocated bytes per thread");
        // Half the types enabled, so the loop also takes the drop-disabled-type path.
        BitSet odd = new BitSet();
        for (int t = 1; t < SampleRecords.NAMES.size(); t += 2) odd.set(t);
        // 300,000 records fit in the default 64 MiB chunk: mapping a chunk allocates (once per
        // chunk, in Chronicle), which is not what this test is about.
        try (TraceWriter w = TraceWriter.open(dir.resolve("t.dftrace"), SampleRecords.NAMES, odd)) {
            writeRecords(w, 200_000); // warm-up: let the JIT compile the path being measured
            long before = threads.getCurrentThreadAllocatedBytes();
            writeRecords(w, 100_000);
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated < SLACK_BYTES, "100,000 records allocated " + allocated + " bytes");
        }
    }

    private static void writeRecords(TraceWriter w, int n) {
        int types = SampleRecords.NAMES.size() - 1;
        for (int i = 0; i < n; i++) {
            w.record(i * 1000L, i & 3, 100 + (i & 7), 1 + i % types, i, ~i, i * 31L, -i);
        }
    }
}
