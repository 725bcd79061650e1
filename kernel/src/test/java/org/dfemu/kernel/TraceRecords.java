package org.dfemu.kernel;

import org.dfemu.kernel.harness.trace.KernelEvents;

import java.util.ArrayList;
import java.util.List;
import org.dfemu.emulator.api.TraceSink;

/** A trace sink for tests: keeps every record in memory, in order. */
public final class TraceRecords implements TraceSink {
    /** An empty sink. */
    public TraceRecords() {
    }

    /** One record as the sink received it. */
    public record Rec(long timeNs, int cpu, int thread, int type, long a0, long a1, long a2, long a3) {
        /** The name24 of a name event (a1..a3). */
        public String name() { return KernelEvents.unpackName(a1, a2, a3); }
    }

    private final List<Rec> recs = new ArrayList<>();

    @Override
    public synchronized void record(long timeNs, int cpu, int thread, int type, long a0, long a1, long a2, long a3) {
        recs.add(new Rec(timeNs, cpu, thread, type, a0, a1, a2, a3));
    }

    /** Every record so far. */
    public synchronized List<Rec> all() { return List.copyOf(recs); }

    /** The records of {@code type}, in order. */
    public synchronized List<Rec> of(int type) {
        return recs.stream().filter(r -> r.type() == type).toList();
    }
}
