package org.dfemu.tools.boot;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Locale;

/**
 * What a whole {@code dfemu boot} command cost the host, per unit of the kernel's work: the
 * process's CPU time since the JVM started (every thread, user and system; JIT, GC and the boot
 * included, as a user pays them) per page fault and per page moved through swap. It is printed on
 * stderr, because it differs from run to run while stdout must not.
 */
final class HostCpu {
    private HostCpu() {}

    /**
     * CPU time of this process so far, in nanoseconds, or -1 if the platform does not say
     * (ProcessHandle first, the OperatingSystemMXBean of com.sun.management otherwise).
     */
    static long processCpuNs() {
        Duration d = ProcessHandle.current().info().totalCpuDuration().orElse(null);
        if (d != null) return d.toNanos();
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /**
     * The line, e.g. {@code host cpu: 12.3 s; 42.1 us per fault (290000 faults); 81.0 us per page
     * moved (150000 pages)}; a count of 0 prints as "no faults" or "no pages moved through swap".
     */
    static String line(long cpuNs, RunRecord r) {
        if (cpuNs < 0) return "host cpu: not available on this platform";
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "host cpu: %.1f s; ", cpuNs / 1e9));
        sb.append(r.faults() == 0 ? "no faults"
                : String.format(Locale.ROOT, "%.1f us per fault (%d faults)", cpuNs / 1e3 / r.faults(), r.faults()));
        sb.append("; ");
        sb.append(r.swapPagesMoved() == 0 ? "no pages moved through swap"
                : String.format(Locale.ROOT, "%.1f us per page moved (%d pages)", cpuNs / 1e3 / r.swapPagesMoved(),
                        r.swapPagesMoved()));
        return sb.toString();
    }
}
