package org.dfemu.tools.explore;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.disk.ImageMode;
import org.dfemu.tools.boot.Boot;
import org.dfemu.tools.boot.BootPlan;
import org.dfemu.tools.boot.RunRecord;
import org.dfemu.tools.image.ImageWriter;
import org.dfemu.tools.image.SpecException;
import org.dfemu.tools.inspect.CoreWriter;

/**
 * Boots one scenario: builds its image from its spec text, exactly as {@code dfemu mkimage}
 * would, into a scratch directory, boots it copy-on-write with the scenario's seed as
 * {@code dfemu boot IMAGE --seed S --time T} would, and removes the image.
 */
final class ScenarioRun {
    private ScenarioRun() {}

    private static final AtomicLong NEXT = new AtomicLong();

    /** Boots {@code s} for {@code runNs} from an image in {@code scratch}; the console goes to {@code console}. */
    static RunRecord run(Scenario s, long runNs, Path scratch, Writer console) throws IOException {
        return run(s, runNs, scratch.resolve("scenario-" + NEXT.incrementAndGet() + ".img"), console, null);
    }

    /**
     * Boots {@code s} for {@code runNs} from an image built at {@code image}. With a {@code core}
     * request (null: none), a failed run writes its core there and keeps its image beside it,
     * so the core's image and reproduce line name a file that exists; otherwise the image is
     * removed.
     */
    static RunRecord run(Scenario s, long runNs, Path image, Writer console, CoreWriter.Request core) throws IOException {
        boolean keep = false;
        try {
            ImageWriter.write(s.imageSpec(), image, true);
            BootPlan plan = BootPlan.open(image, ImageMode.COPY_ON_WRITE, Map.of(), s.seed(), runNs);
            RunRecord r = Boot.run(plan, TraceSink.NONE, new PrintWriter(console), core);
            keep = core != null && r.failed();
            return r;
        } catch (SpecException e) {
            // The grammar and the shrinker only write specs that parse: this is a bug of theirs.
            throw new IllegalStateException("scenario of seed " + s.seed() + " does not parse: " + e.getMessage(), e);
        } finally {
            if (!keep) Files.deleteIfExists(image);
        }
    }

    /** A writer that drops everything (the console of runs nobody reads). */
    static Writer nullWriter() {
        return Writer.nullWriter();
    }

    /**
     * How a run failed, as the shrinker compares failures: the result kind, the headline with
     * every number masked (thread ids, page counts and addresses change as a scenario shrinks),
     * and for a deadlock or livelock the top frame of the first blocked thread's wait chain.
     */
    record Signature(RunRecord.Outcome outcome, String headline, String waitTop) {
        private static final Pattern NUMBER = Pattern.compile("0x[0-9a-fA-F]+|[0-9]+");

        static Signature of(RunRecord r) {
            String h = r.headline() == null ? "" : NUMBER.matcher(r.headline()).replaceAll("#");
            return new Signature(r.outcome(), h, r.waitTop());
        }

        @Override
        public String toString() {
            return outcome.name().toLowerCase(java.util.Locale.ROOT) + " | " + headline
                    + (waitTop == null ? "" : " | in " + (waitTop.isEmpty() ? "(no frames)" : waitTop));
        }
    }
}
