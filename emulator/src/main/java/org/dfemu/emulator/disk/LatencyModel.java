package org.dfemu.emulator.disk;

import java.util.List;
import org.dfemu.emulator.api.Environment;
import org.dfemu.emulator.api.Tunable;

/**
 * How long the device takes to serve one request, in virtual nanoseconds:
 * {@code setupNs + bytes * nsPerByte}, where {@code bytes} is the DMA length of a read or write
 * and 0 for a discard, a flush, or a request refused with an error (those cost the setup time
 * only). How requests queue is the {@link Disk}'s business; this is the service time of one.
 *
 * <p>Written in boot settings as {@code setup=<time>,perbyte=<time>}, each time a non-negative
 * integer with a unit {@code ns}, {@code us}, {@code ms} or {@code s} (a bare number is in ns),
 * for example {@code setup=100us,perbyte=2ns}; {@link #toString()} gives that form back.
 *
 * @param setupNs   fixed cost of every request (command, seek, interrupt), at least 0
 * @param nsPerByte transfer cost of each byte read or written, at least 0
 */
public record LatencyModel(long setupNs, long nsPerByte) {
    public static final Tunable DISK_LATENCY_SETUP_NS = Tunable.integer("disk.latency_setup_ns", "100000", 0, 1_000_000_000L,
            "block device: virtual ns from a request's start to its first byte");
    public static final Tunable DISK_LATENCY_NS_PER_BYTE = Tunable.integer("disk.latency_ns_per_byte", "2", 0, 1_000,
            "block device: virtual ns per byte transferred");

    /** The tunables of the latency model, in the order reports list them. */
    public static final List<Tunable> TUNABLES = List.of(DISK_LATENCY_SETUP_NS, DISK_LATENCY_NS_PER_BYTE);

    /**
     * The default: a SATA-SSD-like device, 100 us per request and 2 ns per byte (500 MB/s), so a
     * 4 KiB page takes about 108 us (the tunables' defaults).
     */
    public static final LatencyModel DEFAULT = fromEnv(Environment.EMPTY);

    /** Every request completes at the time it starts (still through the clock, as an interrupt). */
    public static final LatencyModel INSTANT = new LatencyModel(0, 0);

    public LatencyModel {
        if (setupNs < 0 || nsPerByte < 0) {
            throw new IllegalArgumentException("latency times must not be negative: setup " + setupNs
                    + " ns, per byte " + nsPerByte + " ns");
        }
    }

    /** The model the boot environment sets (disk.latency_*). @throws org.dfemu.emulator.api.TunableException if invalid */
    public static LatencyModel fromEnv(Environment env) {
        return new LatencyModel(env.fetchLong(DISK_LATENCY_SETUP_NS), env.fetchLong(DISK_LATENCY_NS_PER_BYTE));
    }

    /** Service time of a request moving {@code bytes} bytes; saturates at Long.MAX_VALUE. */
    public long serviceNs(long bytes) {
        try {
            return Math.addExact(setupNs, Math.multiplyExact(bytes, nsPerByte));
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Parses {@code setup=<time>,perbyte=<time>} (keys in either order, both required).
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static LatencyModel parse(String text) {
        long setup = -1;
        long perByte = -1;
        for (String part : text.split(",", -1)) {
            int eq = part.indexOf('=');
            if (eq < 0) throw new IllegalArgumentException("latency '" + text + "': expected key=value, got '" + part.strip() + "'");
            String key = part.substring(0, eq).strip();
            long value = parseTimeNs(text, part.substring(eq + 1).strip());
            switch (key) {
                case "setup" -> setup = value;
                case "perbyte" -> perByte = value;
                default -> throw new IllegalArgumentException("latency '" + text + "': unknown key '" + key
                        + "' (expected setup and perbyte)");
            }
        }
        if (setup < 0 || perByte < 0) {
            throw new IllegalArgumentException("latency '" + text + "': both setup=<time> and perbyte=<time> are required");
        }
        return new LatencyModel(setup, perByte);
    }

    private static long parseTimeNs(String text, String value) {
        int digits = 0;
        while (digits < value.length() && Character.isDigit(value.charAt(digits))) digits++;
        if (digits == 0) throw new IllegalArgumentException("latency '" + text + "': '" + value + "' is not a time");
        long scale = switch (value.substring(digits)) {
            case "", "ns" -> 1L;
            case "us" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            default -> throw new IllegalArgumentException("latency '" + text + "': unit of '" + value
                    + "' must be ns, us, ms or s");
        };
        try {
            return Math.multiplyExact(Long.parseLong(value.substring(0, digits)), scale);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("latency '" + text + "': '" + value + "' is too large");
        }
    }

    @Override
    public String toString() {
        return "setup=" + setupNs + "ns,perbyte=" + nsPerByte + "ns";
    }
}
