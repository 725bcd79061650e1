package org.dfemu.emulator.memory;

import java.lang.management.ManagementFactory;

/**
 * How much guest RAM this host can give. The guest RAM is off-heap, so the bound is the host's
 * physical memory less what the JVM heap may take and a margin for everything else; asking for
 * more would only end in the host's OOM killer, so it is refused up front with a clear error.
 */
final class HostMemory {
    private HostMemory() {}

    /** Headroom left to the host and the JVM's own native memory. */
    private static final long MARGIN = 512L << 20;

    static long maxGuestBytes() {
        long total = hostPhysicalBytes();
        long heap = Runtime.getRuntime().maxMemory();
        long limit = total - heap - MARGIN;
        return Math.max(limit, PhysicalMemory.MIN_SIZE);
    }

    private static long hostPhysicalBytes() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getTotalMemorySize();
        }
        return Long.MAX_VALUE / 2;
    }
}
