package org.dfemu.emulator.memory;

import java.util.Locale;

/**
 * Parses and prints memory sizes the way loader.conf and vkernel's {@code -m} write them:
 * a decimal number with an optional k/m/g/t suffix (either case, binary multiples), e.g.
 * {@code 64M}, {@code 1g}, {@code 16777216}.
 */
public final class PhysmemSize {
    private PhysmemSize() {}

    /**
     * Returns the size in bytes.
     *
     * @throws IllegalArgumentException naming the value when it is empty, malformed, negative or
     *         overflows a long.
     */
    public static long parse(String text) {
        String s = text == null ? "" : text.trim();
        if (s.isEmpty()) throw new IllegalArgumentException("empty size");
        char last = Character.toLowerCase(s.charAt(s.length() - 1));
        int shift = switch (last) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            case 't' -> 40;
            default -> 0;
        };
        String digits = shift == 0 ? s : s.substring(0, s.length() - 1);
        if (digits.isEmpty() || !digits.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("malformed size '" + text + "' (expected a number with an optional k/m/g suffix)");
        }
        long n;
        try {
            n = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size '" + text + "' is too large");
        }
        if (shift > 0 && n > (Long.MAX_VALUE >> shift)) throw new IllegalArgumentException("size '" + text + "' is too large");
        return n << shift;
    }

    /** Prints bytes with the largest exact binary suffix (64M, 1G, 1536K, 12345). */
    public static String format(long bytes) {
        String[] suffix = {"", "K", "M", "G", "T"};
        int i = 0;
        long v = bytes;
        while (i < suffix.length - 1 && v != 0 && (v & 1023) == 0) {
            v >>= 10;
            i++;
        }
        return String.format(Locale.ROOT, "%d%s", v, suffix[i]);
    }
}
