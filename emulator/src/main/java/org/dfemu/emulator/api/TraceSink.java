package org.dfemu.emulator.api;

/**
 * Where the machine and the kernel send trace events. An event is a fixed-size record: virtual
 * time, CPU, thread id, an event type (an index into the trace file's event-name table) and up to
 * four 64-bit arguments whose meaning the type defines.
 *
 * <p>Implementations must not allocate on the Java heap per record and must not change anything
 * the run can observe: recording is a pure side channel, so a run with and without a trace is the
 * same run.
 */
public interface TraceSink {
    void record(long timeNs, int cpu, int thread, int type, long a0, long a1, long a2, long a3);

    /** True if events of {@code type} are being recorded (lets callers skip building arguments). */
    default boolean enabled(int type) { return true; }

    /** A sink that records nothing. */
    TraceSink NONE = new TraceSink() {
        @Override
        public void record(long timeNs, int cpu, int thread, int type, long a0, long a1, long a2, long a3) {}

        @Override
        public boolean enabled(int type) { return false; }
    };
}
