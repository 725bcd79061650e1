package org.dfemu.tools.boot;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.disk.ImageMode;
import org.dfemu.tools.DfemuRun;

/**
 * One {@code dfemu boot IMAGE --seed N -e ...} run in this JVM, kept as its record (the outcome,
 * counters, SWAPMETA path counters and reclaim sites that {@code sweep --json} writes per run)
 * and its console. End-to-end tests assert on the record, so a change to the console's layout
 * breaks only the tests that pin the layout.
 */
record RecordedBoot(RunRecord record, String console) {
    /**
     * Boots {@code image} copy-on-write with {@code seed}, the command's default --time and the
     * settings {@code name=value}, with the suite's invariant checks
     * ({@link DfemuRun#CHECK_INTERVAL}) unless a setting names debug.check_interval, as
     * {@link DfemuRun#dfemu} runs a boot.
     */
    static RecordedBoot boot(Path image, long seed, String... settings) throws IOException {
        return boot(image, seed, (long) (BootCommand.DEFAULT_RUN_SECONDS * 1e9), settings);
    }

    /** As {@link #boot(Path, long, String...)}, for {@code runNs} of virtual time ({@code --time}). */
    static RecordedBoot boot(Path image, long seed, long runNs, String... settings) throws IOException {
        Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put("debug.check_interval", DfemuRun.CHECK_INTERVAL);
        for (String s : settings) {
            int eq = s.indexOf('=');
            overrides.put(s.substring(0, eq), s.substring(eq + 1));
        }
        BootPlan plan = BootPlan.open(image, ImageMode.COPY_ON_WRITE, overrides, seed, runNs);
        StringWriter console = new StringWriter();
        RunRecord record;
        try (PrintWriter out = new PrintWriter(console)) {
            record = Boot.run(plan, TraceSink.NONE, out);
        }
        return new RecordedBoot(record, console.toString());
    }

    /** The run's counter {@code name} (a vmstat -s event or a SWAPMETA path counter); fails if absent. */
    long counter(String name) {
        Long v = record.counters().get(name);
        if (v == null) throw new AssertionError("no counter " + name + " in " + record.counters().keySet());
        return v;
    }
}
