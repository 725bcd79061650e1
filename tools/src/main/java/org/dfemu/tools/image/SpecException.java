package org.dfemu.tools.image;

/**
 * An image spec is malformed. The message is one line, {@code FILE:LINE: problem}, in the form
 * compilers use so editors can jump to it.
 */
public final class SpecException extends Exception {
    private static final long serialVersionUID = 1L;

    public SpecException(String file, int line, String problem) {
        super(file + ":" + line + ": " + problem);
    }
}
