package org.dfemu.tools.image;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.dfemu.emulator.memory.PhysmemSize;
import org.dfemu.tools.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code dfemu mkimage SPEC -o IMAGE}: builds a disk image from a spec. Exit status 0 with one
 * summary line on success; 2 with one error line for a bad spec, an existing output without
 * {@code --force}, or an I/O failure (which leaves no partial image).
 */
@Command(name = "mkimage",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = {"Build a disk image from a spec (format: disk-images/README.md).",
                "The image is sparse: its swap partition takes no disk space until used."},
        exitCodeOnInvalidInput = 2)
public final class MkimageCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SPEC", description = "the image spec, e.g. disk-images/default.spec")
    Path spec;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "IMAGE", description = "the image file to write")
    Path output;

    @Option(names = "--force", description = "replace IMAGE if it exists")
    boolean force;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec commandSpec;

    /** Builds the image; prints the summary or one error line. May block on file I/O. */
    @Override
    public Integer call() {
        PrintWriter out = commandSpec.commandLine().getOut();
        PrintWriter err = commandSpec.commandLine().getErr();
        try {
            ImageSpec parsed = SpecParser.parse(spec);
            DiskLabel label = ImageWriter.write(parsed, output, force);
            out.println(summary(output, label, parsed));
            out.flush();
            return 0;
        } catch (SpecException e) {
            err.println("dfemu mkimage: " + e.getMessage());
        } catch (FileAlreadyExistsException e) {
            err.println("dfemu mkimage: " + output + " exists (use --force to replace it)");
        } catch (NoSuchFileException e) {
            err.println("dfemu mkimage: " + e.getFile() + ": no such file or directory");
        } catch (AccessDeniedException e) {
            err.println("dfemu mkimage: " + e.getFile() + ": permission denied");
        } catch (IOException e) {
            err.println("dfemu mkimage: cannot write " + output + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        err.flush();
        return 2;
    }

    /**
     * "wrote IMAGE (N bytes): boot 4K at sector 8 (2 settings), user 4K at sector 16 (1 program,
     * 2 processes at boot, 40 bytes), swap 256M at sector 24 (sparse)".
     */
    static String summary(Path image, DiskLabel label, ImageSpec spec) {
        List<String> parts = new ArrayList<>();
        for (Partition p : label.partitions()) {
            String what = switch (p.type()) {
                case BOOT -> " (" + count(spec.settings().size(), "setting") + ")";
                case USER -> " (" + count(spec.programs().size(), "program") + ", "
                        + count(spec.workload().processesAtBoot(), "process") + " at boot, " + p.dataLength() + " bytes)";
                case SWAP -> " (sparse)";
            };
            parts.add(p.name() + " " + PhysmemSize.format(p.byteLength()) + " at sector " + p.firstSector() + what);
        }
        return "wrote " + image + " (" + label.diskSectors() * DiskLabel.SECTOR_SIZE + " bytes): "
                + String.join(", ", parts);
    }

    private static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : noun.endsWith("s") ? "es" : "s");
    }
}
