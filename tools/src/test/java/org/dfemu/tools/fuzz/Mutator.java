package org.dfemu.tools.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/**
 * The byte-level mutations every input fuzzer shares, drawn from one case's seeded generator:
 * bit flips, little-endian fields set to extreme values, truncations. Each mutation appends a
 * few words to {@link #what} so a failing case says what was done to its input.
 */
final class Mutator {
    final SplittableRandom rnd;
    final StringBuilder what = new StringBuilder();

    Mutator(SplittableRandom rnd) {
        this.rnd = rnd;
    }

    /** Notes one mutation for the failure report. */
    void note(String s) {
        if (!what.isEmpty()) what.append("; ");
        what.append(s);
    }

    int below(int n) {
        return rnd.nextInt(n);
    }

    boolean chance(int percent) {
        return rnd.nextInt(100) < percent;
    }

    <T> T pick(T[] choices) {
        return choices[rnd.nextInt(choices.length)];
    }

    /** Flips 1..4 random bits of {@code b} within {@code [from, to)}. */
    void flipBits(byte[] b, int from, int to, String region) {
        if (to <= from) return;
        int n = 1 + rnd.nextInt(4);
        for (int i = 0; i < n; i++) {
            int at = from + rnd.nextInt(to - from);
            int bit = rnd.nextInt(8);
            b[at] ^= (byte) (1 << bit);
            note("flip " + region + " byte " + at + " bit " + bit);
        }
    }

    /**
     * An extreme or nearly-right value for a field of {@code bytes} bytes whose good value is
     * {@code good}: zero, one, all ones, the signed limits, off by one, doubled, a random word.
     */
    long extreme(long good, int bytes) {
        long mask = bytes == 8 ? -1L : (1L << (8 * bytes)) - 1;
        long signMax = bytes == 8 ? Long.MAX_VALUE : mask >>> 1;
        long[] choices = {0, 1, -1, signMax, signMax + 1, good + 1, good - 1, good * 2, good + 8, good - 8,
                good << 9, good >>> 1, rnd.nextLong(), 512, 4096, 1L << 28, 1L << 31, 1L << 32};
        return choices[rnd.nextInt(choices.length)] & mask;
    }

    /** Sets the little-endian field of {@code bytes} bytes at {@code at} to an extreme value. */
    void extremeField(byte[] b, int at, int bytes, String name) {
        if (at < 0 || at + bytes > b.length) return;
        long good = get(b, at, bytes);
        long v = extreme(good, bytes);
        put(b, at, bytes, v);
        note(name + " " + Long.toUnsignedString(good) + " -> " + Long.toUnsignedString(v));
    }

    static long get(byte[] b, int at, int bytes) {
        long v = 0;
        for (int i = bytes - 1; i >= 0; i--) v = (v << 8) | (b[at + i] & 0xFF);
        return v;
    }

    static void put(byte[] b, int at, int bytes, long v) {
        for (int i = 0; i < bytes; i++) {
            b[at + i] = (byte) v;
            v >>>= 8;
        }
    }

    static void putInt(byte[] b, int at, int v) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
    }

    static int crc(byte[] b, int from, int to) {
        CRC32C c = new CRC32C();
        c.update(b, from, to - from);
        return (int) c.getValue();
    }

    /** A length to cut a file of {@code length} bytes to: 0, inside the first {@code head} bytes, or anywhere. */
    long cut(long length, int head) {
        return switch (rnd.nextInt(4)) {
            case 0 -> 0;
            case 1 -> rnd.nextLong(Math.max(1, Math.min(head, length)));
            case 2 -> Math.max(0, length - 1 - rnd.nextInt(64));
            default -> rnd.nextLong(Math.max(1, length));
        };
    }
}
