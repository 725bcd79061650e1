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

    /** The same plan with {@code name=text} where neither the image nor the command line set it. */
    public BootPlan withToolDefault(String name, String text) {
        return new BootPlan(image, mode, label, settings.withToolDefault(name, text), seed, runNs, reportEveryNs, verbose);
    }

    /**
     * The {@code dfemu boot} command that repeats this run: the image ({@code -r} if read/write),
     * the seed, every setting given on the command line or by the command as one {@code -e}, and
     * {@code --time} unless it is boot's default.
     */
    public String reproduce() {
        StringBuilder sb = new StringBuilder("dfemu boot ");
        if (mode == ImageMode.DIRECT) sb.append("-r ");
        sb.append(shellWord(image.toString())).append(" --seed ").append(seed);
        StringBuilder e = new StringBuilder();
        for (MachineSettings.Value v : settings.values()) {
            if (v.source() == MachineSettings.Source.COMMAND_LINE || v.source() == MachineSettings.Source.TOOL) {
                if (!e.isEmpty()) e.append(':');
                e.append(v.setting().name()).append('=').append(v.text());
            }
        }
        if (!e.isEmpty()) sb.append(" -e ").append(shellWord(e.toString()));
        if (runNs != (long) (BootCommand.DEFAULT_RUN_SECONDS * 1e9)) {
            sb.append(" --time ").append(java.math.BigDecimal.valueOf(runNs, 9).stripTrailingZeros().toPlainString());
        }
        return sb.toString();
    }

    private static final java.util.regex.Pattern PLAIN = java.util.regex.Pattern.compile("[A-Za-z0-9_./:=,+@%-]+");

    /** {@code s} as one shell word: as is if it needs no quoting, else in single quotes. */
    public static String shellWord(String s) {
        if (PLAIN.matcher(s).matches()) return s;
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** A usage or input problem that gets one line and exit status 2. */
    public static final class BadInput extends RuntimeException {
        public BadInput(String message) { super(message, null, false, false); }
    }
}
