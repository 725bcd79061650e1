package org.dfemu.emulator.cpu;

/**
 * A snapshot of one CPU's MMU counters, for reports.
 *
 * @param tlbHits            accesses completed from a cached translation (those of the fast path
 *                           only with {@code -Ddfemu.countMemoryAccesses=true}, else 0)
 * @param tlbMisses          page walks (TLB misses, and writes to pages cached with D clear)
 * @param invlpgs            single-page invalidations executed here (own or on request)
 * @param tlbFlushes         whole-TLB flushes executed here (CR3 loads, flush-all; own or on request)
 * @param shootdownsSent     shootdown IPIs sent to other CPUs (one per target CPU)
 * @param shootdownsReceived shootdown IPIs received from other CPUs
 * @param pageFaults         page faults delivered to the trap handler
 */
public record CpuCounters(long tlbHits, long tlbMisses, long invlpgs, long tlbFlushes,
                          long shootdownsSent, long shootdownsReceived, long pageFaults) {
}
