package org.dfemu.emulator.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;

/**
 * A reproducible stream of records for the trace tests: record i of seed s is always the same, so
 * a test can write n records and check them back without keeping them. Values cover the edges of
 * every field (negative time and arguments, cpu -1 for interrupt context, negative thread ids).
 */
final class SampleRecords {
    static final List<String> NAMES = List.of(EmulatorEvents.names());

    private final SplittableRandom random;
    long timeNs;
    int cpu;
    int thread;
    int type;
    long a0, a1, a2, a3;

    SampleRecords(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** Advances to the next sample record. */
    void next() {
        timeNs = random.nextLong();
        cpu = random.nextInt(1 << 16) - 1; // -1 (interrupt context) .. 65534
        thread = random.nextInt();
        type = 1 + random.nextInt(NAMES.size() - 1);
        a0 = random.nextLong();
        a1 = random.nextLong();
        a2 = random.nextLong();
        a3 = random.nextLong();
    }

    /** Writes the first {@code n} sample records of {@code seed}. */
    static void write(TraceWriter w, long seed, int n) {
        SampleRecords s = new SampleRecords(seed);
        for (int i = 0; i < n; i++) {
            s.next();
            w.record(s.timeNs, s.cpu, s.thread, s.type, s.a0, s.a1, s.a2, s.a3);
        }
    }

    /** Checks that the cursor yields exactly the first {@code n} sample records of {@code seed}. */
    static void check(TraceCursor c, long seed, long n) throws TraceFormatException {
        SampleRecords s = new SampleRecords(seed);
        for (long i = 0; i < n; i++) {
            assertTrue(c.next(), "record " + i + " missing");
            s.next();
            assertEquals(i, c.index());
            assertEquals(s.timeNs, c.timeNs(), "timeNs of record " + i);
            assertEquals(s.cpu, c.cpu(), "cpu of record " + i);
            assertEquals(s.thread, c.thread(), "thread of record " + i);
            assertEquals(s.type, c.type(), "type of record " + i);
            assertEquals(NAMES.get(s.type), c.name(), "name of record " + i);
            assertEquals(s.a0, c.a0(), "a0 of record " + i);
            assertEquals(s.a1, c.a1(), "a1 of record " + i);
            assertEquals(s.a2, c.a2(), "a2 of record " + i);
            assertEquals(s.a3, c.a3(), "a3 of record " + i);
        }
        assertTrue(!c.next(), "more records than the " + n + " written");
    }
}
