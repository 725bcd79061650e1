package org.dfemu.emulator.api;

/**
 * One thing a thread holds, as the software holding it describes it for reports
 * ({@code "NAME at 0xADDR (MODE)"}). See {@link Scheduler#holdings}.
 *
 * @param addr its address
 * @param name its name
 * @param mode how it is held, one lower-case word
 */
public record Held(long addr, String name, String mode) {
    @Override
    public String toString() {
        return name + " at 0x" + Long.toHexString(addr) + " (" + mode + ")";
    }
}
