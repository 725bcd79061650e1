package org.dfemu.tools.boot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.dfemu.emulator.disk.ImageMode;
import org.dfemu.tools.image.DiskImage;
import org.dfemu.tools.image.ImageFormatException;
import org.dfemu.tools.image.MachineSettings;

/**
 * One run, fully described: the image and how it is attached, the merged settings, the seed,
 * how long to run and what to print. {@link Boot#run} turns it into a {@link RunRecord}; the same
 * plan always gives the same record and the same console text.
 *
 * @param runNs         virtual nanoseconds to run after boot (the run ends sooner when the last
 *                      workload process exits)
 * @param reportEveryNs a vmstat line every this many virtual nanoseconds (0: off)
 * @param verbose       {@code -v}: settings and thresholds on the console
 */
public record BootPlan(Path image, ImageMode mode, DiskImage label, MachineSettings settings, long seed, long runNs,
                       long reportEveryNs, boolean verbose) {

    /**
     * Opens {@code image}'s label and merges its boot settings with {@code overrides} (setting
     * name to text, already split; later entries of the command line win).
     *
     * @throws BadInput for a missing or unreadable image file
     * @throws org.dfemu.emulator.api.TunableException for an unknown setting or a bad value
     */
    public static BootPlan open(Path image, ImageMode mode, Map<String, String> overrides, long seed, long runNs)
            throws IOException {
        if (!Files.isRegularFile(image)) throw new BadInput(image + ": no such image file");
        DiskImage label;
        try {
            label = DiskImage.open(image);
        } catch (ImageFormatException e) {
            throw new BadInput(image + ": " + e.getMessage());
        }
        return new BootPlan(image, mode, label, MachineSettings.resolve(label.bootSettings(), overrides), seed, runNs,
                0, false);
    }

    /** The same plan with another seed. */
    public BootPlan withSeed(long s) {
        return new BootPlan(image, mode, label, settings, s, runNs, reportEveryNs, verbose);
    }

    /** The same plan with {@code --report-every} and {@code -v}. */
    public BootPlan withConsole(long everyNs, boolean v) {
        return new BootPlan(image, mode, label, settings, seed, runNs, everyNs, v);
    }

    /** A usage or input problem that gets one line and exit status 2. */
    public static final class BadInput extends RuntimeException {
        public BadInput(String message) { super(message, null, false, false); }
    }
}
