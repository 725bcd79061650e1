package org.dfemu.emulator.trace;

import java.io.IOException;

/**
 * A file is not a readable dfemu trace: wrong magic, another format version, a truncated or
 * corrupt header, a record size mismatch, or a record whose type is not in the name table. The
 * message is one line naming the file and the problem, fit to print as is (the {@code dfemu trace}
 * command prints it and exits with status 2).
 */
public final class TraceFormatException extends IOException {
    public TraceFormatException(String message) {
        super(message);
    }
}
