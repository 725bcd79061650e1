package org.dfemu.emulator.api;

/**
 * A boot setting is unknown or its value is malformed or out of range. The message is one line
 * that starts with the setting's name (or says the name is unknown); callers prefix where the
 * setting came from (spec line, boot partition line, {@code -e} option).
 */
public final class TunableException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public TunableException(String message) {
        super(message);
    }
}
