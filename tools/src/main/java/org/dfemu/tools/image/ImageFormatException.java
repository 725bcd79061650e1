package org.dfemu.tools.image;

import java.io.IOException;

/**
 * A disk image (or the boot settings inside it) is not what the format in disk-images/README.md
 * says. The message is one line naming the problem, fit to print before exiting with status 2.
 * It is an {@link IOException} so a caller that reads an image handles one exception family for
 * "this file cannot be used", whether the file is missing or malformed.
 */
public final class ImageFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public ImageFormatException(String message) {
        super(message);
    }
}
