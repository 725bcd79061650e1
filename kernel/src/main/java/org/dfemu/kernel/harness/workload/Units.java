package org.dfemu.kernel.harness.workload;

import java.util.Locale;

/** How sizes and durations are written in program text and in messages about it. */
final class Units {
    private Units() {}

    /** {@code pages} pages as the largest exact binary size: 4K, 1536K, 48M, 1T. */
    static String size(long pages) {
        String[] suffix = {"K", "M", "G", "T"};
        long v = pages * Instruction.PAGE_SIZE >> 10;
        int i = 0;
        while (i < suffix.length - 1 && (v & 1023) == 0) {
            v >>= 10;
            i++;
        }
        return v + suffix[i];
    }

    /** {@code ns} in the largest unit that divides it exactly: 10ms, 1500us, 7ns. */
    static String duration(long ns) {
        if (ns % 1_000_000_000L == 0) return String.format(Locale.ROOT, "%ds", ns / 1_000_000_000L);
        if (ns % 1_000_000L == 0) return String.format(Locale.ROOT, "%dms", ns / 1_000_000L);
        if (ns % 1_000L == 0) return String.format(Locale.ROOT, "%dus", ns / 1_000L);
        return ns + "ns";
    }
}
