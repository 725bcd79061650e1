package org.dfemu.tools.trace;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.dfemu.emulator.trace.TraceCursor;
import org.dfemu.emulator.trace.TraceReader;
import org.dfemu.kernel.harness.trace.KernelEvents;

/**
 * {@code dfemu trace export}: writes a trace as Chrome trace-event JSON (the format of
 * chrome://tracing, which ui.perfetto.dev also opens), with Jackson's streaming generator.
 *
 * <p>Layout of the output:
 * <ul>
 *   <li>{@code displayTimeUnit} "ns" is the first key; {@code ts} and {@code dur} are microseconds
 *       written exactly (three decimals: virtual nanoseconds).</li>
 *   <li>A process per emulated process (its pid, its program's name) holding its threads; the
 *       kernel's threads, the counters and interrupt context in a process "kernel"; a process "CPUs"
 *       with a track per emulated CPU showing which thread held it; a process "devices" with swap
 *       I/O and block I/O tracks. Names are metadata events ("ph":"M").</li>
 *   <li>Complete events ("ph":"X") for faults, vm_wait sleeps, pageout passes, thread sleeps
 *       (sched_sleep to sched_wakeup, named by the tsleep wmesg), allocations that slept, swap and
 *       block I/O; they nest properly on every track ({@link SpanTable#assignLanes}: a span that
 *       would overlap another without nesting goes to an overlap lane of the same track).</li>
 *   <li>Counters ("ph":"C") {@code free} {pages}, {@code swap used} {pages} and
 *       {@code fault rate} {faults/s}: one series each.</li>
 *   <li>Instant events for OOM kills, process exits, panics and deadlocks.</li>
 * </ul>
 * The trace is read twice (spans, then counters), both times as a stream; spans are held in
 * primitive arrays until they are sorted.
 */
final class ChromeTraceExport {
    private ChromeTraceExport() {}

    /** Chrome pids of the synthetic processes (above any emulated pid; Perfetto treats 0 specially). */
    static final int KERNEL_PID = 1_000_000;
    static final int CPUS_PID = 1_000_001;
    static final int DEVICES_PID = 1_000_002;
    /** Chrome tids of synthetic tracks, above any emulated tid. */
    static final int INTERRUPT_TID = 5_000_000;
    static final int CPU_TID = 5_100_000;
    static final int SWAP_TID = 5_200_000;
    static final int DISK_TID = 5_300_000;
    /** Overlap lane l of a track has the track's tid + l * LANE_STRIDE. */
    static final int LANE_STRIDE = 10_000_000;

    record Result(long spans, int tracks, int moved, long counterSamples) {}

    private record Instant(long timeNs, int tid, String name, String scope, String detail) {}

    /** Reads the trace and writes {@code output}. May block on file I/O. */
    static Result write(TraceReader reader, Path output) throws IOException {
        TraceTypes t = new TraceTypes(reader.names(), reader::enabled);
        Collector col = new Collector(t);
        TraceCursor c = reader.cursor();
        while (c.next()) col.take(c);
        col.finish();
        int moved = col.spans.assignLanes();

        JsonFactory factory = new JsonFactory();
        long samples;
        int tracks;
        try (JsonGenerator g = factory.createGenerator(output.toFile(), JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("displayTimeUnit", "ns");
            g.writeArrayFieldStart("traceEvents");
            tracks = col.metadata(g);
            col.writeSpans(g);
            col.writeInstants(g);
            samples = col.writeCounters(g, reader, t);
            g.writeEndArray();
            g.writeObjectFieldStart("otherData");
            g.writeStringField("generator", "dfemu trace export");
            g.writeNumberField("records", reader.recordCount());
            g.writeBooleanField("complete", reader.complete());
            g.writeEndObject();
            g.writeEndObject();
        }
        return new Result(col.spans.size, tracks, moved, samples);
    }

    /** Writes ns as microseconds with exactly three decimals, as a raw JSON number. */
    static void micros(JsonGenerator g, String field, long ns, char[] buf) throws IOException {
        g.writeFieldName(field);
        String whole = Long.toString(ns / 1000);
        int frac = (int) Math.abs(ns % 1000);
        int n = 0;
        if (ns < 0 && ns / 1000 == 0) buf[n++] = '-';
        for (int i = 0; i < whole.length(); i++) buf[n++] = whole.charAt(i);
        if (frac != 0) {
            buf[n++] = '.';
            buf[n++] = (char) ('0' + frac / 100);
            buf[n++] = (char) ('0' + frac / 10 % 10);
            buf[n++] = (char) ('0' + frac % 10);
        }
        g.writeRawValue(buf, 0, n);
    }

    /** Pass one: names, spans and instants. */
    private static final class Collector {
        final TraceTypes t;
        final TraceNames names = new TraceNames();
        final SpanTable spans = new SpanTable();
        final List<String> labels = new ArrayList<>();
        final Map<String, Integer> labelIds = new HashMap<>();
        final List<Instant> instants = new ArrayList<>();
        final TreeSet<Integer> cpus = new TreeSet<>();
        final TreeSet<Integer> threadsSeen = new TreeSet<>();
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        // running thread per CPU (index cpu), and since when
        int[] cpuTid = new int[0];
        long[] cpuSince = new long[0];
        final LongLongMap sleepStart = new LongLongMap();
        final LongLongMap sleepChan = new LongLongMap();
        final LongLongMap wmesg = new LongLongMap();
        final LongLongMap lastSleep = new LongLongMap();
        final LongLongMap swapPages = new LongLongMap();
        final LongLongMap swapBlock = new LongLongMap();
        final LongLongMap ioStart = new LongLongMap();
        final LongLongMap ioSector = new LongLongMap();
        final LongLongMap ioCount = new LongLongMap();
        final LongLongMap ioOp = new LongLongMap();
        // labels used on the hot path, interned once
        final int[] faultLabel = new int[KernelEvents.FAULT_RESIDENT + 1];
        final int pageFaultLabel;
        final int pageoutLabel;
        final int[] waitLabel = new int[3];
        final int[] swapLabel = new int[2];
        final int sleepLabel;
        final int runningLabel;

        Collector(TraceTypes t) {
            this.t = t;
            for (int k = 0; k < faultLabel.length; k++) faultLabel[k] = label("fault " + TraceTypes.kindName(k));
            pageFaultLabel = label("page fault");
            pageoutLabel = label("pageout pass");
            waitLabel[0] = label("vm_wait");
            waitLabel[1] = label("vm_wait_pfault");
            waitLabel[2] = label("vm_wait (pagedaemon)");
            swapLabel[0] = label("swap read");
            swapLabel[1] = label("swap write");
            sleepLabel = label("sleep");
            runningLabel = label("running");
        }

        int label(String s) {
            Integer id = labelIds.get(s);
            if (id != null) return id;
            labels.add(s);
            labelIds.put(s, labels.size() - 1);
            return labels.size() - 1;
        }

        void take(TraceCursor c) {
            int type = c.type();
            long now = c.timeNs();
            int tid = c.thread();
            if (now < first) first = now;
            if (now > last) last = now;
            if (c.cpu() >= 0) cpus.add(c.cpu());
            if (names.observe(c, t)) return;
            long thread = SpanTable.track(SpanTable.THREAD, tid);
            if (type == t.schedSwitch) {
                int cpu = c.cpu();
                // A switch always names its CPU; one without (a damaged record) starts no slice.
                if (cpu >= 0) {
                    offCpu(cpu, -1, now);
                    growCpus(cpu);
                    cpuTid[cpu] = (int) c.a1();
                    cpuSince[cpu] = now;
                }
                threadsSeen.add((int) c.a1());
            } else if (type == t.schedSleep) {
                offCpu(c.cpu(), tid, now);
                sleepStart.put(tid, now);
                sleepChan.put(tid, c.a0());
                lastSleep.put(tid, now);
            } else if (type == t.schedExit) {
                offCpu(c.cpu(), tid, now);
            } else if (type == t.tsleep) {
                wmesg.put(tid, label("sleep " + KernelEvents.unpackName(c.a1(), c.a2(), c.a3())));
            } else if (type == t.schedWakeup) {
                int woken = (int) c.a1();
                long since = sleepStart.remove(woken, Long.MIN_VALUE);
                if (since != Long.MIN_VALUE) {
                    int l = (int) wmesg.remove(woken, sleepLabel);
                    spans.add(since, now, SpanTable.track(SpanTable.THREAD, woken), l, c.a0(), c.a2(), 0);
                    sleepChan.remove(woken, 0);
                }
            } else if (type == t.fault) {
                long dur = Math.max(c.a3(), 0);
                int kind = TraceTypes.faultKind(c.a1());
                spans.add(now - dur, now, thread, faultLabel[kind < faultLabel.length ? kind : 0], c.a0(), c.a1(), c.a2());
            } else if (type == t.mmuPageFault && !t.kernelFaults) {
                spans.add(now, now, thread, pageFaultLabel, c.a0(), c.a1() & 0xFFFF, 0);
            } else if (type == t.vmWait) {
                long dur = Math.max(c.a3(), 0);
                spans.add(now - dur, now, thread, waitLabel[(int) Math.min(Math.max(c.a0(), 0), 2)], c.a1(), c.a2(), 0);
            } else if (type == t.pageoutPass) {
                long dur = Math.max(c.a3(), 0);
                spans.add(now - dur, now, thread, pageoutLabel, c.a0(), c.a1(), c.a2());
            } else if (type == t.swapIoStart) {
                swapPages.put(c.a0(), c.a3());
                swapBlock.put(c.a0(), c.a2());
            } else if (type == t.swapIoDone) {
                long dur = Math.max(c.a3(), 0);
                long id = c.a0();
                spans.add(now - dur, now, SpanTable.track(SpanTable.SWAP, 0), swapLabel[c.a1() != 0 ? 1 : 0],
                        swapBlock.remove(id, -1), swapPages.remove(id, 0), c.a2());
            } else if (type == t.ioSubmit) {
                ioStart.put(c.a0(), now);
                ioOp.put(c.a0(), c.a1());
                ioSector.put(c.a0(), c.a2());
                ioCount.put(c.a0(), c.a3());
            } else if (type == t.ioDone) {
                long id = c.a0();
                long since = ioStart.remove(id, Long.MIN_VALUE);
                if (since != Long.MIN_VALUE) {
                    spans.add(since, now, SpanTable.track(SpanTable.DISK, 0), label("disk op " + ioOp.remove(id, 0)),
                            ioSector.remove(id, 0), ioCount.remove(id, 0), c.a2());
                }
            } else if (type == t.zalloc || type == t.kmalloc || type == t.kmallocObj || type == t.slab) {
                long dur = Math.max(c.a3(), 0);
                long slept = lastSleep.get(tid, Long.MIN_VALUE);
                if (slept >= now - dur && slept <= now) {
                    String what = type == t.zalloc ? "zalloc " + names.allocator(c.a0())
                            : type == t.kmalloc ? "kmalloc " + names.allocator(c.a0())
                            : type == t.kmallocObj ? "kmalloc_obj " + names.allocator(c.a0())
                            : "kmem_slab_alloc " + c.a0() + " bytes";
                    spans.add(now - dur, now, thread, label(what), c.a0(), c.a1(), c.a2());
                }
            } else if (type == t.oomKill) {
                int pid = (int) c.a0();
                instants.add(new Instant(now, tid, "OOM kill pid " + pid + " (" + names.process(pid) + ")", "g",
                        c.a1() + " anonymous+swap pages, " + c.a2() + " free pages"));
            } else if (type == t.procExit) {
                int pid = (int) c.a0();
                String how = switch ((int) c.a1()) {
                    case 0 -> "exited " + c.a2();
                    case 1 -> "SIGSEGV at " + TraceTypes.hex(c.a2());
                    case 2 -> "killed for lack of memory";
                    default -> "ended";
                };
                instants.add(new Instant(now, tid, "pid " + pid + " " + how, "t", names.process(pid)));
            } else if (type == t.panic) {
                instants.add(new Instant(now, tid, "PANIC", "g", KernelEvents.unpackName(c.a1(), c.a2(), c.a3())));
            } else if (type == t.schedDeadlock) {
                instants.add(new Instant(now, tid, "DEADLOCK", "g", c.a0() + " threads stuck"));
            } else if (type == t.swapmetaPath) {
                instants.add(new Instant(now, tid, "swapmeta path " + TraceTypes.swapmetaPathName(c.a0()), "t",
                        "value " + c.a1() + ", " + c.a2() + " free pages"));
            }
        }

        private void growCpus(int cpu) {
            if (cpu < cpuTid.length) return;
            int old = cpuTid.length;
            cpuTid = java.util.Arrays.copyOf(cpuTid, cpu + 1);
            cpuSince = java.util.Arrays.copyOf(cpuSince, cpu + 1);
            for (int i = old; i <= cpu; i++) cpuTid[i] = Integer.MIN_VALUE;
        }

        /** Ends the CPU's running slice (only if tid holds it, or any holder for tid -1). */
        private void offCpu(int cpu, int tid, long now) {
            if (cpu < 0 || cpu >= cpuTid.length || cpuTid[cpu] == Integer.MIN_VALUE) return;
            if (tid != -1 && cpuTid[cpu] != tid) return;
            spans.add(cpuSince[cpu], now, SpanTable.track(SpanTable.CPU, cpu), runningLabel, cpuTid[cpu], 0, 0);
            cpuTid[cpu] = Integer.MIN_VALUE;
        }

        /** Closes what is still open at the end of the trace (a deadlock leaves sleepers). */
        void finish() {
            if (first == Long.MAX_VALUE) first = last = 0;
            for (int cpu = 0; cpu < cpuTid.length; cpu++) offCpu(cpu, -1, last);
            int unwoken = label("sleep (never woken)");
            for (long tid : sleepStart.sortedKeys()) {
                long l = wmesg.get(tid, -1);
                int lab = l >= 0 ? label(labels.get((int) l) + " (never woken)") : unwoken;
                spans.add(sleepStart.get(tid, last), last, SpanTable.track(SpanTable.THREAD, (int) tid), lab,
                        sleepChan.get(tid, 0), 0, 0);
            }
            for (long id : ioStart.sortedKeys()) {
                spans.add(ioStart.get(id, last), last, SpanTable.track(SpanTable.DISK, 0), label("disk op (not completed)"),
                        ioSector.get(id, 0), ioCount.get(id, 0), 0);
            }
        }

        int chromePid(int tid) {
            int pid = names.pidOf(tid);
            return pid > 0 && pid < KERNEL_PID ? pid : KERNEL_PID;
        }

        int chromePid(long track) {
            return switch (SpanTable.group(track)) {
                case SpanTable.THREAD -> chromePid(SpanTable.id(track));
                case SpanTable.CPU -> CPUS_PID;
                default -> DEVICES_PID;
            };
        }

        int chromeTid(long track, int lane) {
            int id = SpanTable.id(track);
            int base = switch (SpanTable.group(track)) {
                case SpanTable.THREAD -> id < 0 ? INTERRUPT_TID : id;
                case SpanTable.CPU -> CPU_TID + id;
                case SpanTable.SWAP -> SWAP_TID;
                default -> DISK_TID;
            };
            return base + lane * LANE_STRIDE;
        }

        String trackName(long track, int lane) {
            int id = SpanTable.id(track);
            String base = switch (SpanTable.group(track)) {
                case SpanTable.THREAD -> id < 0 ? "interrupt" : names.thread(id) + " (tid " + id + ")";
                case SpanTable.CPU -> "cpu " + id;
                case SpanTable.SWAP -> "swap I/O";
                default -> "block I/O";
            };
            return lane == 0 ? base : base + " overlap lane " + lane;
        }

        /** Writes process and thread names; returns the number of tracks named. */
        int metadata(JsonGenerator g) throws IOException {
            TreeMap<Integer, String> processes = new TreeMap<>();
            processes.put(KERNEL_PID, "kernel");
            processes.put(CPUS_PID, "CPUs");
            processes.put(DEVICES_PID, "devices");
            for (var e : names.processes.entrySet()) {
                if (e.getKey() > 0 && e.getKey() < KERNEL_PID) processes.put(e.getKey(), e.getValue());
            }
            int sort = 0;
            for (var e : processes.entrySet()) {
                meta(g, "process_name", e.getKey(), 0, "name", e.getValue());
                meta(g, "process_sort_index", e.getKey(), 0, "sort_index", e.getKey() >= KERNEL_PID ? e.getKey() - KERNEL_PID : 10 + sort++);
            }
            // every (track, lane) that holds spans, plus every named or scheduled thread and every CPU
            TreeMap<Long, TreeSet<Integer>> used = new TreeMap<>();
            for (int i = 0; i < spans.size; i++) used.computeIfAbsent(spans.track[i], k -> new TreeSet<>()).add(spans.lane[i]);
            for (int tid : names.threads.keySet()) used.computeIfAbsent(SpanTable.track(SpanTable.THREAD, tid), k -> new TreeSet<>()).add(0);
            for (int tid : threadsSeen) used.computeIfAbsent(SpanTable.track(SpanTable.THREAD, tid), k -> new TreeSet<>()).add(0);
            for (int cpu : cpus) used.computeIfAbsent(SpanTable.track(SpanTable.CPU, cpu), k -> new TreeSet<>()).add(0);
            int tracks = 0;
            for (var e : used.entrySet()) {
                for (int lane : e.getValue()) {
                    int tid = chromeTid(e.getKey(), lane);
                    int pid = chromePid(e.getKey());
                    meta(g, "thread_name", pid, tid, "name", trackName(e.getKey(), lane));
                    meta(g, "thread_sort_index", pid, tid, "sort_index", tracks);
                    tracks++;
                }
            }
            return tracks;
        }

        private static void meta(JsonGenerator g, String what, int pid, int tid, String key, Object value) throws IOException {
            g.writeStartObject();
            g.writeStringField("name", what);
            g.writeStringField("ph", "M");
            g.writeNumberField("pid", pid);
            g.writeNumberField("tid", tid);
            g.writeObjectFieldStart("args");
            if (value instanceof Integer i) g.writeNumberField(key, i);
            else g.writeStringField(key, String.valueOf(value));
            g.writeEndObject();
            g.writeEndObject();
        }

        void writeSpans(JsonGenerator g) throws IOException {
            char[] buf = new char[32];
            for (int k = 0; k < spans.size; k++) {
                int i = spans.order[k];
                long track = spans.track[i];
                g.writeStartObject();
                String name = labels.get(spans.label[i]);
                if (SpanTable.group(track) == SpanTable.CPU) name = names.thread((int) spans.a0[i]);
                g.writeStringField("name", name);
                g.writeStringField("cat", category(track, spans.label[i]));
                g.writeStringField("ph", "X");
                micros(g, "ts", spans.start[i], buf);
                micros(g, "dur", spans.end[i] - spans.start[i], buf);
                g.writeNumberField("pid", chromePid(track));
                g.writeNumberField("tid", chromeTid(track, spans.lane[i]));
                g.writeObjectFieldStart("args");
                args(g, i);
                g.writeEndObject();
                g.writeEndObject();
            }
        }

        private String category(long track, int label) {
            if (SpanTable.group(track) == SpanTable.CPU) return "sched";
            if (SpanTable.group(track) == SpanTable.SWAP) return "swap";
            if (SpanTable.group(track) == SpanTable.DISK) return "io";
            String l = labels.get(label);
            if (l.startsWith("fault") || l.startsWith("page fault")) return "faults";
            if (l.startsWith("sleep")) return "sched";
            if (l.startsWith("vm_") || l.startsWith("pageout")) return "vm";
            return "alloc";
        }

        private void args(JsonGenerator g, int i) throws IOException {
            long track = spans.track[i];
            String l = labels.get(spans.label[i]);
            switch (SpanTable.group(track)) {
                case SpanTable.CPU -> g.writeNumberField("tid", spans.a0[i]);
                case SpanTable.SWAP -> {
                    g.writeNumberField("first swap block", spans.a0[i]);
                    g.writeNumberField("pages", spans.a1[i]);
                    g.writeNumberField("status", spans.a2[i]);
                }
                case SpanTable.DISK -> {
                    g.writeNumberField("first sector", spans.a0[i]);
                    g.writeNumberField("sectors", spans.a1[i]);
                    g.writeNumberField("status", spans.a2[i]);
                }
                default -> {
                    if (l.startsWith("fault")) {
                        g.writeStringField("va", TraceTypes.hex(spans.a0[i]));
                        g.writeStringField("error", TraceTypes.errorCodeLetters(TraceTypes.faultErrorCode(spans.a1[i])));
                        g.writeNumberField("pid", TraceTypes.faultPid(spans.a1[i]));
                        g.writeStringField("map entry", TraceTypes.hex(spans.a2[i]));
                    } else if (l.startsWith("page fault")) {
                        g.writeStringField("va", TraceTypes.hex(spans.a0[i]));
                        g.writeStringField("error", TraceTypes.errorCodeLetters((int) spans.a1[i]));
                    } else if (l.startsWith("vm_wait")) {
                        g.writeNumberField("free when it slept", spans.a0[i]);
                        g.writeNumberField("free when it woke", spans.a1[i]);
                    } else if (l.startsWith("pageout")) {
                        g.writeNumberField("scanned", spans.a0[i]);
                        g.writeNumberField("laundered", spans.a1[i]);
                        g.writeNumberField("freed", spans.a2[i]);
                    } else if (l.startsWith("sleep")) {
                        g.writeStringField("wait channel", TraceTypes.hex(spans.a0[i]));
                        if (spans.a1[i] != 0) g.writeBooleanField("timed out", true);
                    } else {
                        g.writeStringField("object", TraceTypes.hex(spans.a0[i]));
                        g.writeNumberField("size", spans.a1[i] & 0xFFFFFFFFL);
                        g.writeStringField("result", TraceTypes.hex(spans.a2[i]));
                    }
                }
            }
        }

        void writeInstants(JsonGenerator g) throws IOException {
            char[] buf = new char[32];
            for (Instant in : instants) {
                g.writeStartObject();
                g.writeStringField("name", in.name());
                g.writeStringField("ph", "i");
                g.writeStringField("s", in.scope());
                micros(g, "ts", in.timeNs(), buf);
                g.writeNumberField("pid", chromePid(in.tid()));
                g.writeNumberField("tid", in.tid() < 0 ? INTERRUPT_TID : in.tid());
                g.writeObjectFieldStart("args");
                g.writeStringField("detail", in.detail());
                g.writeEndObject();
                g.writeEndObject();
            }
        }

        /** Pass two: the counters, streamed. Returns the number of samples written. */
        long writeCounters(JsonGenerator g, TraceReader reader, TraceTypes t) throws IOException {
            char[] buf = new char[32];
            Counter free = new Counter("free", "pages");
            Counter swap = new Counter("swap used", "pages");
            long span = Math.max(TraceTypes.since(last, first), 1);
            long bin = RateBins.binWidth(span);
            RateBins faults = new RateBins(first, bin, span);
            int faultType = t.kernelFaults ? t.fault : t.mmuPageFault;
            TraceCursor c = reader.cursor();
            while (c.next()) {
                int type = c.type();
                if (type == t.pageAlloc) free.sample(g, c.timeNs(), c.a2(), buf);
                else if (type == t.pageFree) free.sample(g, c.timeNs(), c.a1(), buf);
                else if (type == t.swapAlloc || type == t.swapFree) swap.sample(g, c.timeNs(), c.a2(), buf);
                else if (type == faultType && faultType >= 0) {
                    long dur = type == t.fault ? Math.max(c.a3(), 0) : 0;
                    faults.add(c.timeNs() - dur, 1);
                }
            }
            long n = free.flush(g, buf) + swap.flush(g, buf);
            if (faultType >= 0 && reader.enabled(faultType)) {
                Counter rate = new Counter("fault rate", "faults/s");
                for (int b = 0; b < faults.count.length; b++) {
                    rate.sample(g, first + b * bin, Math.round(faults.count[b] * 1e9 / bin), buf);
                }
                rate.sample(g, first + faults.count.length * bin, 0, buf);
                n += rate.flush(g, buf);
            }
            return n;
        }
    }

    /** One counter series: writes a sample when the time moves on, the last value at each time. */
    private static final class Counter {
        final String name;
        final String key;
        long pendingAt = Long.MIN_VALUE;
        long pendingValue;
        long written;

        Counter(String name, String key) {
            this.name = name;
            this.key = key;
        }

        void sample(JsonGenerator g, long now, long value, char[] buf) throws IOException {
            if (pendingAt != Long.MIN_VALUE && now != pendingAt) emit(g, buf);
            pendingAt = now;
            pendingValue = value;
        }

        long flush(JsonGenerator g, char[] buf) throws IOException {
            if (pendingAt != Long.MIN_VALUE) emit(g, buf);
            pendingAt = Long.MIN_VALUE;
            return written;
        }

        private void emit(JsonGenerator g, char[] buf) throws IOException {
            g.writeStartObject();
            g.writeStringField("name", name);
            g.writeStringField("ph", "C");
            micros(g, "ts", pendingAt, buf);
            g.writeNumberField("pid", KERNEL_PID);
            g.writeObjectFieldStart("args");
            g.writeNumberField(key, pendingValue);
            g.writeEndObject();
            g.writeEndObject();
            written++;
        }
    }
}
