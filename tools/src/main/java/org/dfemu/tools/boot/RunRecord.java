package org.dfemu.tools.boot;

/**
 * What one boot came to, as data: the structured form of the console's last lines, so that a
 * sweep can count outcomes without reading the console. Two runs of the same plan give equal
 * records.
 *
 * @param seed           the run's master seed
 * @param exitStatus     what {@code dfemu boot} exits with: 0 ok, 1 panic, deadlock, livelock, data loss,
 *                       invariant violation or unexpected fate
 * @param outcome        how the run ended
 * @param oomKills       processes the pageout daemon killed for lack of memory
 * @param dataLossPages  pages that read back other data than their process wrote
 * @param freeLow        the lowest v_free_count reached after the first page left a free queue
 *                       ({@code debug.dfemu.v_free_low}; -1 if none ever did)
 * @param freeLowTimeNs  virtual time at which {@code freeLow} was first reached (0: during boot)
 * @param timeNs         virtual time at the end of the run
 * @param headline       for a failure, its one-line headline (the panic message, the deadlock
 *                       headline, the first page lost, the check and its first inconsistency);
 *                       null for an ok run
 * @param scheduleDigest the scheduler's hash of every scheduling decision (0 if the run ended
 *                       during boot): equal digests mean the same interleaving
 * @param faults         page faults the kernel took (v_vm_faults; 0 if the run ended during boot)
 * @param swapPagesMoved pages written to and read from swap (v_swappgsout + v_swappgsin)
 * @param swapmetaPaths  the SWAPMETA path counters ({@code debug.swapmeta.*}, docs/swapmeta-paths.md)
 *                       by name, in their order; empty if the run ended during boot
 * @param reclaimSites   the reclaim-context checker's sites ({@code debug.reclaim_check}), one
 *                       "pageout path may block: ..." line each, in the order found
 * @param waitTop        for a deadlock or livelock, the innermost kernel frame of the first
 *                       blocked thread DdbDeadlock lists that has kernel frames ("" if none
 *                       has); null otherwise
 * @param counters       the run's path and event counters by name, in a fixed order (the vmstat -s
 *                       events, then the SWAPMETA path counters), so that {@code dfemu explore}
 *                       can sum them as coverage; empty if the run ended during boot
 * @param stillRunning   processes still running when the run ended: nonzero for an ok run only
 *                       when {@code --time} stopped it before its programs finished (a slow run,
 *                       or a stall shorter than {@code debug.stall_timeout} when time ran out)
 */
public record RunRecord(long seed, int exitStatus, Outcome outcome, long oomKills, long dataLossPages, long freeLow,
                        long freeLowTimeNs, long timeNs, String headline, long scheduleDigest, long faults,
                        long swapPagesMoved, java.util.Map<String, Long> swapmetaPaths, java.util.List<String> reclaimSites,
                        String waitTop, java.util.Map<String, Long> counters, long stillRunning) {
    public RunRecord {
        swapmetaPaths = swapmetaPaths == null ? java.util.Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(swapmetaPaths));
        reclaimSites = reclaimSites == null ? java.util.List.of() : java.util.List.copyOf(reclaimSites);
        counters = counters == null ? java.util.Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(counters));
    }

    /** A record without path counters, reclaim sites, wait chain or counters (a run that ended during boot, tests). */
    public RunRecord(long seed, int exitStatus, Outcome outcome, long oomKills, long dataLossPages, long freeLow,
                     long freeLowTimeNs, long timeNs, String headline, long scheduleDigest, long faults,
                     long swapPagesMoved) {
        this(seed, exitStatus, outcome, oomKills, dataLossPages, freeLow, freeLowTimeNs, timeNs, headline, scheduleDigest,
                faults, swapPagesMoved, null, null, null, null, 0);
    }

    /** How a run ended, as the {@code result:} line says. */
    public enum Outcome {
        /**
         * INVARIANT: a {@code debug.check_interval} check found the kernel's structures
         * inconsistent. UNEXPECTED_FATE: a process ended otherwise than its program's
         * {@code expect} says (the headline names the first). RECLAIM_CHECK: with
         * {@code debug.reclaim_check=2}, an allocation that may sleep for memory on the
         * page-freeing path stopped the run.
         */
        OK, DATA_LOSS, PANIC, DEADLOCK, LIVELOCK, INVARIANT, UNEXPECTED_FATE, RECLAIM_CHECK;

        /** True for outcomes that make {@code dfemu boot} exit with 1. */
        public boolean failure() { return this != OK; }
    }

    /** True if the run failed (exit status 1). */
    public boolean failed() { return outcome.failure(); }
}
