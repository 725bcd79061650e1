package org.dfemu.emulator.trace;

import java.nio.file.Path;

/**
 * Run in a child JVM by {@link TraceCrashTest}: writes sample records to a trace and halts the
 * JVM without closing the writer, as a killed dfemu would.
 *
 * <p>Arguments: file, seed, record count, chunk bytes.
 */
public final class KilledWriterMain {
    private KilledWriterMain() {}

    public static void main(String[] args) throws Exception {
        TraceWriter w = TraceWriter.open(Path.of(args[0]), SampleRecords.NAMES, TraceRoundTripTest.allTypes(),
                Long.parseLong(args[3]));
        SampleRecords.write(w, Long.parseLong(args[1]), Integer.parseInt(args[2]));
        // halt skips shutdown hooks and finalisation: nothing gets a chance to close the trace.
        Runtime.getRuntime().halt(0);
    }
}
