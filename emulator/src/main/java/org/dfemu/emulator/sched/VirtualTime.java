package org.dfemu.emulator.sched;

/** Formatting of virtual nanoseconds for reports. */
final class VirtualTime {
    private VirtualTime() {}

    /** {@code 12.000345000 s}: seconds with all nine decimals, so equal times print equal. */
    static String seconds(long ns) {
        return String.format("%d.%09d s", ns / 1_000_000_000L, ns % 1_000_000_000L);
    }
}
