package org.dfemu.tools.trace;

import static org.dfemu.tools.trace.TraceTypes.duration;
import static org.dfemu.tools.trace.TraceTypes.hex;
import static org.dfemu.tools.trace.TraceTypes.seconds;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;
import org.dfemu.emulator.trace.TraceCursor;
import org.dfemu.emulator.trace.TraceReader;
import org.dfemu.kernel.harness.trace.KernelEvents;

/**
 * {@code dfemu trace summary}: reads a trace once, start to end, and prints what the memory
 * system did: faults by kind and by process, the pages and map entries that faulted most, fault
 * latency percentiles (virtual time, HdrHistogram), pageout and swap totals, the lowest free-page
 * count and when, allocations that slept, OOM kills, process fates, panics and deadlocks.
 *
 * <p>Everything is aggregated into primitive tables and histograms as the cursor goes; nothing is
 * kept per record.
 */
final class TraceSummary {
    private static final int TOP = 10;
    /** pid of faults whose process the trace does not say (a machine-only trace). */
    private static final long UNKNOWN_PID = 0xFFFFF;
    private static final int KINDS = KernelEvents.FAULT_RESIDENT + 1;
    private static final String[] ALLOCATORS = {"zalloc", "kmalloc", "kmalloc_obj", "kmem_slab_alloc"};

    private final TraceNames names = new TraceNames();
    private long first = Long.MAX_VALUE;
    private long last = Long.MIN_VALUE;
    private final long[] perType;

    // faults
    private final long[] faultsByKind = new long[KINDS];
    private final Histogram[] latencyByKind = new Histogram[KINDS];
    private final Histogram latency = new Histogram(3);
    /** pid to faults, and (pid, kind) to faults as pid * KINDS + kind. */
    private final LongLongMap faultsByPid = new LongLongMap();
    private final LongLongMap faultsByPidKind = new LongLongMap();
    /** (pid, page) to faults; key pid &lt;&lt; 36 | virtual page number (36 bits). */
    private final LongLongMap faultsByPage = new LongLongMap(1024);
    /** (pid, map entry start) to faults; key pid &lt;&lt; 36 | the start's virtual page number. */
    private final LongLongMap faultsByEntry = new LongLongMap(256);
    private long mmuFaults;

    // vm
    private long pageAllocs;
    private long pageAllocFailures;
    private long pageFrees;
    private long freeLowest = Long.MAX_VALUE;
    private long freeLowestAt;
    private long freeLast = -1;
    private final long[] vmWaits = new long[3];
    private final long[] vmWaitNs = new long[3];
    private final Histogram vmWaitLatency = new Histogram(3);
    private final LongLongMap pageoutPasses = new LongLongMap();
    private final LongLongMap pageoutScanned = new LongLongMap();
    private final LongLongMap pageoutLaundered = new LongLongMap();
    private final LongLongMap pageoutFreed = new LongLongMap();
    private final LongLongMap pageoutNs = new LongLongMap();
    private long[] thresholds;
    private long[] targets;
    // vm_swapmeta_path: per counter index, its last value and the time it first went up (-1: never)
    private final LongLongMap pathValue = new LongLongMap();
    private final LongLongMap pathFirstNs = new LongLongMap();

    // swap
    private final long[] swapIos = new long[2];
    private final long[] swapPages = new long[2];
    private long swapErrors;
    private final Histogram swapLatency = new Histogram(3);
    private long swapAllocPages;
    private long swapFreePages;
    private long swapUsedPeak;
    private long swapUsedPeakAt;
    private long swapUsedLast = -1;

    // alloc: per allocator, object (zone / malloc_type / slab size) to calls, sleeps, slept ns, max ns
    private final LongLongMap[] allocCalls = newMaps();
    private final LongLongMap[] allocSleeps = newMaps();
    private final LongLongMap[] allocSleptNs = newMaps();
    private final LongLongMap[] allocSleptMax = newMaps();
    private final LongLongMap[] allocFailures = newMaps();
    /** Thread id to the virtual time of its last sched_sleep. */
    private final LongLongMap lastSleep = new LongLongMap();

    // sched
    private long switches;
    private long sleeps;
    private long tlbShootdowns;
    private long ioSubmits;
    private final List<String> ends = new ArrayList<>();
    private final List<String> fates = new ArrayList<>();

    private TraceSummary(int typeCount) {
        perType = new long[typeCount];
        for (int k = 0; k < KINDS; k++) latencyByKind[k] = new Histogram(3);
    }

    private static LongLongMap[] newMaps() {
        LongLongMap[] m = new LongLongMap[ALLOCATORS.length];
        for (int i = 0; i < m.length; i++) m[i] = new LongLongMap();
        return m;
    }

    /** Reads the trace and prints the summary. May block on file I/O. */
    static void print(TraceReader reader, String file, PrintWriter out) throws IOException {
        TraceTypes t = new TraceTypes(reader.names(), reader::enabled);
        TraceSummary s = new TraceSummary(reader.typeCount());
        TraceCursor c = reader.cursor();
        while (c.next()) s.take(c, t);
        s.report(reader, file, t, out);
    }

    private void take(TraceCursor c, TraceTypes t) {
        int type = c.type();
        long now = c.timeNs();
        perType[type]++;
        if (now < first) first = now;
        if (now > last) last = now;
        if (names.observe(c, t)) return;
        if (type == t.fault) {
            fault(c.a0(), c.a1(), c.a2(), c.a3());
        } else if (type == t.mmuPageFault) {
            mmuFaults++;
            if (!t.kernelFaults) {
                // No kernel record says whose fault it was; the thread's process, if the trace named it.
                int pid = names.pidOf(c.thread());
                fault(c.a0(), (pid < 0 ? UNKNOWN_PID : pid) << 32 | (c.a1() & 0xFFFF), 0, -1);
            }
        } else if (type == t.pageAlloc) {
            pageAllocs++;
            if (c.a0() == 0) pageAllocFailures++;
            free(c.a2(), now);
        } else if (type == t.pageFree) {
            pageFrees++;
            free(c.a1(), now);
        } else if (type == t.vmWait) {
            int which = (int) Math.min(Math.max(c.a0(), 0), 2);
            vmWaits[which]++;
            vmWaitNs[which] += Math.max(c.a3(), 0);
            vmWaitLatency.recordValue(Math.max(c.a3(), 0));
            free(c.a1(), now - Math.max(c.a3(), 0));
            free(c.a2(), now);
        } else if (type == t.pageoutPass) {
            long tid = c.thread();
            pageoutPasses.add(tid, 1);
            pageoutScanned.add(tid, c.a0());
            pageoutLaundered.add(tid, c.a1());
            pageoutFreed.add(tid, c.a2());
            pageoutNs.add(tid, c.a3());
        } else if (type == t.oomKill) {
            int pid = (int) c.a0();
            ends.add(String.format(Locale.ROOT, "OOM kill at %s s: pid %d (%s), %d anonymous+swap pages, %d free pages",
                    seconds(now), pid, names.process(pid), c.a1(), c.a2()));
            free(c.a2(), now);
        } else if (type == t.swapIoStart) {
            int w = c.a1() != 0 ? 1 : 0;
            swapIos[w]++;
            swapPages[w] += c.a3();
        } else if (type == t.swapIoDone) {
            if (c.a2() != 0) swapErrors++;
            swapLatency.recordValue(Math.max(c.a3(), 0));
        } else if (type == t.swapAlloc) {
            swapAllocPages += c.a1();
            swapUsed(c.a2(), now);
        } else if (type == t.swapFree) {
            swapFreePages += c.a1();
            swapUsed(c.a2(), now);
        } else if (type == t.zalloc) {
            alloc(0, c.a0(), c.a2(), c.a3(), c.thread(), now);
        } else if (type == t.kmalloc) {
            alloc(1, c.a0(), c.a2(), c.a3(), c.thread(), now);
        } else if (type == t.kmallocObj) {
            alloc(2, c.a0(), c.a2(), c.a3(), c.thread(), now);
        } else if (type == t.slab) {
            alloc(3, c.a0(), c.a2(), c.a3(), c.thread(), now);
        } else if (type == t.schedSwitch) {
            switches++;
        } else if (type == t.schedSleep) {
            sleeps++;
            lastSleep.put(c.thread(), now);
        } else if (type == t.tlbShootdown) {
            tlbShootdowns++;
        } else if (type == t.ioSubmit) {
            ioSubmits++;
        } else if (type == t.procExit) {
            int pid = (int) c.a0();
            String how = switch ((int) c.a1()) {
                case 0 -> "exited with status " + c.a2();
                case 1 -> "SIGSEGV at va " + hex(c.a2());
                case 2 -> "killed for lack of memory";
                default -> "ended (" + c.a1() + ")";
            };
            fates.add(String.format(Locale.ROOT, "pid %d (%s) %s at %s s", pid, names.process(pid), how, seconds(now)));
        } else if (type == t.panic) {
            ends.add(String.format(Locale.ROOT, "PANIC at %s s on cpu %d, thread %s: %s", seconds(now), c.cpu(),
                    names.thread(c.thread()), KernelEvents.unpackName(c.a1(), c.a2(), c.a3())));
        } else if (type == t.schedDeadlock) {
            ends.add(String.format(Locale.ROOT, "DEADLOCK at %s s: %d threads stuck (last running: %s)", seconds(now),
                    c.a0(), names.thread(c.thread())));
        } else if (type == t.thresholds) {
            thresholds = new long[] {c.a0(), c.a1(), c.a2(), c.a3()};
        } else if (type == t.swapmetaPath) {
            if (pathFirstNs.get(c.a0(), -1) < 0) pathFirstNs.put(c.a0(), now);
            pathValue.put(c.a0(), c.a1());
        } else if (type == t.targets) {
            targets = new long[] {c.a0(), c.a1() & 0xFFFFFFFFL, c.a1() >>> 32, c.a2() & 0xFFFFFFFFL, c.a2() >>> 32, c.a3()};
        }
    }

    private void fault(long va, long a1, long entry, long durNs) {
        int kind = TraceTypes.faultKind(a1);
        long pid = (a1 >>> 32) & UNKNOWN_PID; // pids are below 2^20 (DragonFly's PID_MAX is 999999)
        if (kind >= KINDS) kind = 0;
        faultsByKind[kind]++;
        if (durNs >= 0) {
            latency.recordValue(durNs);
            latencyByKind[kind].recordValue(durNs);
        }
        faultsByPid.add(pid, 1);
        faultsByPidKind.add(pid * KINDS + kind, 1);
        faultsByPage.add(pid << 36 | ((va >>> 12) & ((1L << 36) - 1)), 1);
        if (entry != 0) faultsByEntry.add(pid << 36 | ((entry >>> 12) & ((1L << 36) - 1)), 1);
    }

    private void free(long count, long now) {
        freeLast = count;
        if (count < freeLowest) {
            freeLowest = count;
            freeLowestAt = now;
        }
    }

    private void swapUsed(long used, long now) {
        swapUsedLast = used;
        if (used > swapUsedPeak) {
            swapUsedPeak = used;
            swapUsedPeakAt = now;
        }
    }

    private void alloc(int allocator, long object, long result, long durNs, int tid, long now) {
        allocCalls[allocator].add(object, 1);
        if (result == 0) allocFailures[allocator].add(object, 1);
        long slept = lastSleep.get(tid, Long.MIN_VALUE);
        if (slept >= now - durNs && slept <= now) {
            allocSleeps[allocator].add(object, 1);
            allocSleptNs[allocator].add(object, durNs);
            if (durNs > allocSleptMax[allocator].get(object, 0)) allocSleptMax[allocator].put(object, durNs);
        }
    }

    // ---- report -------------------------------------------------------------------------------------

    private void report(TraceReader reader, String file, TraceTypes t, PrintWriter out) {
        long records = reader.recordCount();
        out.printf(Locale.ROOT, "trace %s: %d records%s%n", file, records,
                reader.complete() ? "" : " (not closed cleanly: read up to its last whole record)");
        if (records == 0) {
            out.println("no records");
            return;
        }
        out.printf(Locale.ROOT, "virtual time %s .. %s s (%s)%n", seconds(first), seconds(last),
                duration(TraceTypes.since(last, first)));
        if (t.fault < 0 || !reader.enabled(t.fault)) {
            out.println("note: no kernel fault events recorded; faults below are the machine's mmu_page_fault records"
                    + " (no kind, no duration)");
        }

        out.println();
        out.println("records by type");
        for (int type = 1; type < perType.length; type++) {
            if (perType[type] > 0) out.printf(Locale.ROOT, "  %-20s %12d%n", reader.name(type), perType[type]);
        }

        faultsReport(out);
        vmReport(out);
        swapReport(out);
        allocReport(out);
        swapmetaReport(out);

        out.println();
        out.printf(Locale.ROOT, "scheduler: %d context switches, %d sleeps, %d TLB shootdowns, %d block I/Os%n",
                switches, sleeps, tlbShootdowns, ioSubmits);
        if (!fates.isEmpty()) {
            out.println();
            out.println("processes");
            for (String f : fates) out.println("  " + f);
        }
        out.println();
        if (ends.isEmpty()) {
            out.println("no OOM kill, panic or deadlock recorded");
        } else {
            for (String e : ends) out.println(e);
        }
    }

    private void faultsReport(PrintWriter out) {
        long total = 0;
        for (long n : faultsByKind) total += n;
        out.println();
        out.printf(Locale.ROOT, "faults: %d%n", total);
        if (total == 0) return;
        out.printf(Locale.ROOT, "  %-14s %10s %7s %12s %12s %12s %12s%n", "kind", "count", "share", "p50", "p90", "p99", "max");
        for (int k = 0; k < KINDS; k++) {
            if (faultsByKind[k] == 0) continue;
            Histogram h = latencyByKind[k];
            out.printf(Locale.ROOT, "  %-14s %10d %6.1f%% %12s %12s %12s %12s%n", TraceTypes.kindName(k), faultsByKind[k],
                    100.0 * faultsByKind[k] / total, pct(h, 50), pct(h, 90), pct(h, 99), max(h));
        }
        if (latency.getTotalCount() > 0) {
            out.printf(Locale.ROOT, "  latency (virtual time): p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  mean %s%n",
                    pct(latency, 50), pct(latency, 90), pct(latency, 99), pct(latency, 99.9), max(latency),
                    duration(Math.round(latency.getMean())));
        }

        out.println();
        out.println("faults by process");
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "  %6s %-16s %10s", "pid", "program", "total"));
        for (int k = 1; k < KINDS; k++) head.append(String.format(Locale.ROOT, " %13s", TraceTypes.kindName(k)));
        out.println(head);
        for (long pid : faultsByPid.sortedKeys()) {
            boolean unknown = pid == UNKNOWN_PID;
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %6s %-16s %10d", unknown ? "?" : Long.toString(pid),
                    unknown ? "(not recorded)" : names.process((int) pid), faultsByPid.get(pid, 0)));
            for (int k = 1; k < KINDS; k++) {
                line.append(String.format(Locale.ROOT, " %13d", faultsByPidKind.get(pid * KINDS + k, 0)));
            }
            out.println(line);
        }

        out.println();
        out.printf(Locale.ROOT, "top faulting pages (of %d distinct)%n", faultsByPage.size());
        out.printf(Locale.ROOT, "  %6s %-18s %10s%n", "pid", "page", "faults");
        for (long key : faultsByPage.topKeys(TOP)) {
            long vpn = key & ((1L << 36) - 1);
            long va = (vpn << 28) >> 16; // sign-extend bit 47 as x86-64 canonical addresses do
            out.printf(Locale.ROOT, "  %6s %-18s %10d%n", pidText(key >>> 36), hex(va), faultsByPage.get(key, 0));
        }
        if (faultsByEntry.size() > 0) {
            out.println();
            out.printf(Locale.ROOT, "top map entries (of %d distinct)%n", faultsByEntry.size());
            out.printf(Locale.ROOT, "  %6s %-18s %10s%n", "pid", "entry start", "faults");
            for (long key : faultsByEntry.topKeys(TOP)) {
                long start = ((key & ((1L << 36) - 1)) << 28) >> 16;
                out.printf(Locale.ROOT, "  %6s %-18s %10d%n", pidText(key >>> 36), hex(start), faultsByEntry.get(key, 0));
            }
        }
    }

    /** The SWAPMETA path counters the trace saw go up: value at the end and when each first did. */
    private void swapmetaReport(PrintWriter out) {
        if (pathValue.size() == 0) return;
        out.println();
        out.println("swapmeta paths (vm_swapmeta_path)");
        out.printf(Locale.ROOT, "  %-26s %10s  %s%n", "counter", "value", "first at");
        for (long i : pathValue.sortedKeys()) {
            out.printf(Locale.ROOT, "  %-26s %10d  %s s%n", TraceTypes.swapmetaPathName(i), pathValue.get(i, 0),
                    seconds(pathFirstNs.get(i, 0)));
        }
    }

    private void vmReport(PrintWriter out) {
        out.println();
        out.println("free pages");
        if (thresholds != null || targets != null) {
            List<String> parts = new ArrayList<>();
            if (thresholds != null) {
                parts.add("interrupt_free_min " + thresholds[0]);
                parts.add("pageout_free_min " + thresholds[1]);
                parts.add("severe " + thresholds[2]);
                parts.add("reserved " + thresholds[3]);
            }
            if (targets != null) {
                parts.add("min " + targets[0]);
                parts.add("paging_wait " + targets[1]);
                parts.add("paging_start " + targets[2]);
                parts.add("target1 " + targets[3]);
                parts.add("target2 " + targets[4]);
                parts.add("of " + targets[5] + " pages");
            }
            out.println("  thresholds: " + String.join(", ", parts));
        }
        if (freeLowest == Long.MAX_VALUE) {
            out.println("  no free-page counts recorded");
        } else {
            out.printf(Locale.ROOT, "  lowest %d at %s s%s; %d at the end%n", freeLowest, seconds(freeLowestAt),
                    below(freeLowest), freeLast);
        }
        out.printf(Locale.ROOT, "  vm_page_alloc %d (%d failed), vm_page_free %d%n", pageAllocs, pageAllocFailures, pageFrees);
        String[] waitNames = {"vm_wait", "vm_wait_pfault", "pagedaemon wait"};
        for (int w = 0; w < 3; w++) {
            if (vmWaits[w] > 0) {
                out.printf(Locale.ROOT, "  %-16s %8d sleeps, %s in all%n", waitNames[w], vmWaits[w], duration(vmWaitNs[w]));
            }
        }
        if (vmWaitLatency.getTotalCount() > 0) {
            out.printf(Locale.ROOT, "  vm_wait sleep: p50 %s  p99 %s  max %s%n", pct(vmWaitLatency, 50), pct(vmWaitLatency, 99),
                    max(vmWaitLatency));
        }
        out.println();
        out.println("pageout");
        if (pageoutPasses.size() == 0) {
            out.println("  no pageout passes recorded");
            return;
        }
        out.printf(Locale.ROOT, "  %-18s %8s %10s %10s %10s %12s%n", "thread", "passes", "scanned", "laundered", "freed", "time");
        for (long tid : pageoutPasses.sortedKeys()) {
            out.printf(Locale.ROOT, "  %-18s %8d %10d %10d %10d %12s%n", names.thread((int) tid), pageoutPasses.get(tid, 0),
                    pageoutScanned.get(tid, 0), pageoutLaundered.get(tid, 0), pageoutFreed.get(tid, 0),
                    duration(pageoutNs.get(tid, 0)));
        }
    }

    /** " (below severe)" etc.: the highest threshold the count fell under, if thresholds are known. */
    private String below(long count) {
        if (thresholds == null) return "";
        TreeMap<Long, String> ladder = new TreeMap<>();
        ladder.put(thresholds[0], "interrupt_free_min");
        ladder.put(thresholds[1], "pageout_free_min");
        ladder.put(thresholds[2], "severe");
        ladder.put(thresholds[3], "reserved");
        if (targets != null) {
            ladder.put(targets[0], "min");
            ladder.put(targets[1], "paging_wait");
            ladder.put(targets[2], "paging_start");
            ladder.put(targets[3], "target1");
        }
        var e = ladder.higherEntry(count);
        return e == null ? "" : " (below " + e.getValue() + " " + e.getKey() + ")";
    }

    private void swapReport(PrintWriter out) {
        out.println();
        out.println("swap");
        if (swapIos[0] + swapIos[1] == 0 && swapAllocPages == 0 && swapFreePages == 0) {
            out.println("  no swap activity recorded");
            return;
        }
        out.printf(Locale.ROOT, "  writes (pageout) %8d I/Os %10d pages%n", swapIos[1], swapPages[1]);
        out.printf(Locale.ROOT, "  reads (swap-in)  %8d I/Os %10d pages%n", swapIos[0], swapPages[0]);
        if (swapLatency.getTotalCount() > 0) {
            out.printf(Locale.ROOT, "  I/O latency: p50 %s  p99 %s  max %s; %d errors%n", pct(swapLatency, 50),
                    pct(swapLatency, 99), max(swapLatency), swapErrors);
        }
        out.printf(Locale.ROOT, "  space: %d pages allocated, %d freed, peak %d in use at %s s, %d at the end%n",
                swapAllocPages, swapFreePages, swapUsedPeak, seconds(swapUsedPeakAt), Math.max(swapUsedLast, 0));
    }

    private void allocReport(PrintWriter out) {
        out.println();
        out.println("allocations that slept");
        boolean any = false;
        for (int a = 0; a < ALLOCATORS.length; a++) {
            for (long obj : allocCalls[a].sortedKeys()) {
                long slept = allocSleeps[a].get(obj, 0);
                long failed = allocFailures[a].get(obj, 0);
                if (slept == 0 && failed == 0) continue;
                if (!any) {
                    out.printf(Locale.ROOT, "  %-16s %-20s %10s %8s %8s %12s %12s%n", "allocator", "type/zone", "calls", "slept",
                            "failed", "slept total", "slept max");
                    any = true;
                }
                String what = a == 3 ? obj + " bytes" : names.allocator(obj);
                out.printf(Locale.ROOT, "  %-16s %-20s %10d %8d %8d %12s %12s%n", ALLOCATORS[a], what, allocCalls[a].get(obj, 0),
                        slept, failed, duration(allocSleptNs[a].get(obj, 0)), duration(allocSleptMax[a].get(obj, 0)));
            }
        }
        if (!any) out.println("  none");
    }

    private static String pidText(long pid) {
        return pid == UNKNOWN_PID ? "?" : Long.toString(pid);
    }

    private static String pct(Histogram h, double p) {
        return h.getTotalCount() == 0 ? "-" : duration(h.getValueAtPercentile(p));
    }

    private static String max(Histogram h) {
        return h.getTotalCount() == 0 ? "-" : duration(h.getMaxValue());
    }
}
