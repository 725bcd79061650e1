package org.dfemu.tools.boot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dfemu.tools.image.DiskImage;
import org.dfemu.tools.image.ImageFormatException;
import org.dfemu.tools.image.ImageSpec;
import org.dfemu.tools.image.ImageWriter;
import org.dfemu.tools.image.SpecException;
import org.dfemu.tools.image.SpecParser;

/**
 * The bundled default image: {@code disk-images/default.spec} in the dfemu checkout, built into
 * {@code disk-images/default.img} the first time it is needed and again whenever the spec is newer
 * than the image, or the image is one this dfemu cannot read. The checkout is found from the {@code dfemu.home} property the launcher sets, or
 * the working directory.
 */
public final class DefaultImage {
    private DefaultImage() {}

    static final String SPEC = "disk-images/default.spec";
    static final String IMAGE = "disk-images/default.img";

    /** False for an image this dfemu cannot read (e.g. one built by an older dfemu): it is rebuilt. */
    private static boolean readable(Path image) throws IOException {
        try {
            DiskImage.open(image);
            return true;
        } catch (ImageFormatException e) {
            return false;
        }
    }

    /** Returns the path of an up-to-date default image, building it if needed. */
    public static Path ensureBuilt() throws IOException, SpecException {
        Path home = Path.of(System.getProperty("dfemu.home", "."));
        Path spec = home.resolve(SPEC);
        Path image = home.resolve(IMAGE);
        if (!Files.isRegularFile(spec)) {
            throw new IOException("no image given and no " + SPEC + " under " + home.toAbsolutePath().normalize()
                    + " (run from the dfemu checkout, or name an image)");
        }
        if (!Files.exists(image) || Files.getLastModifiedTime(spec).compareTo(Files.getLastModifiedTime(image)) > 0
                || !readable(image)) {
            ImageSpec parsed = SpecParser.parse(spec);
            ImageWriter.write(parsed, image, true);
        }
        return image;
    }
}
