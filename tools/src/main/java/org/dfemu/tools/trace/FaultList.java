package org.dfemu.tools.trace;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import org.dfemu.emulator.trace.TraceCursor;
import org.dfemu.emulator.trace.TraceReader;
import org.dfemu.kernel.harness.trace.KernelEvents;

/**
 * {@code dfemu trace faults}: one line per page fault, in the spirit of {@code perf trace -F}:
 * <pre>
 *   0.000123400 cpu 1 pid 2 (pager) tid 12 va 0x10003000 -WU- zero-fill entry 0x10000000 dur 2.300 us
 * </pre>
 * A trace with the kernel's faults_fault events lists those (with kind, map entry and duration);
 * a trace of the machine alone lists its mmu_page_fault records with "-" in those columns.
 */
final class FaultList {
    private FaultList() {}

    /** Which faults to print; -1 / null fields match everything. */
    record Filter(long pid, long vaLow, long vaHigh, int kind) {
        static final Filter ALL = new Filter(-1, Long.MIN_VALUE, Long.MAX_VALUE, -1);

        boolean matches(int pidOf, long va, int kindOf) {
            return (pid < 0 || pid == pidOf) && (kind < 0 || kind == kindOf)
                    && Long.compareUnsigned(va, vaLow) >= 0 && Long.compareUnsigned(va, vaHigh) < 0;
        }

        /**
         * Parses the command's option values (null when not given).
         *
         * @throws TraceCommand.BadInput naming the option and what it expects. No requirements.
         */
        static Filter parse(String pid, String vaRange, String kind) throws TraceCommand.BadInput {
            long p = -1;
            if (pid != null) {
                try {
                    p = Long.parseLong(pid.strip());
                } catch (NumberFormatException e) {
                    p = -2;
                }
                if (p < 0 || p > 0xFFFFFFFFL) {
                    throw new TraceCommand.BadInput("--pid '" + pid + "' is not a process id (a number, 0 for kernel faults)");
                }
            }
            long low = 0;
            long high = -1L; // unsigned maximum
            if (vaRange != null) {
                int dash = vaRange.indexOf('-', 1);
                Long a = dash < 0 ? null : address(vaRange.substring(0, dash));
                Long b = dash < 0 ? null : address(vaRange.substring(dash + 1));
                if (a == null || b == null || Long.compareUnsigned(a, b) >= 0) {
                    throw new TraceCommand.BadInput("--va-range '" + vaRange
                            + "' is not A-B with addresses A < B (hex with 0x or decimal), e.g. 0x10000000-0x10100000");
                }
                low = a;
                high = b;
            }
            int k = -1;
            if (kind != null) {
                k = -1;
                for (int i = KernelEvents.FAULT_ZERO_FILL; i <= KernelEvents.FAULT_RESIDENT; i++) {
                    if (KernelEvents.faultKindName(i).equalsIgnoreCase(kind.strip())) k = i;
                }
                if (kind.strip().equalsIgnoreCase("cow")) k = KernelEvents.FAULT_COW;
                if (k < 0) {
                    throw new TraceCommand.BadInput("--kind '" + kind
                            + "' is not a fault kind (zero-fill, copy-on-write, swap-in, protection, SIGSEGV, resident)");
                }
            }
            return new Filter(p, low, high, k);
        }

        private static Long address(String text) {
            String s = text.strip().toLowerCase(Locale.ROOT).replace("_", "");
            try {
                if (s.startsWith("0x")) return Long.parseUnsignedLong(s.substring(2), 16);
                return Long.parseUnsignedLong(s);
            } catch (NumberFormatException e) {
                return null;
            }
        }
    }

    /** Prints the faults that match, one line each, in file order. May block on file I/O. */
    static void print(TraceReader reader, Filter filter, PrintWriter out) throws IOException {
        TraceTypes t = new TraceTypes(reader.names(), reader::enabled);
        TraceNames names = new TraceNames();
        boolean kernel = t.kernelFaults;
        int faultType = kernel ? t.fault : t.mmuPageFault;
        if (faultType < 0) return;
        StringBuilder line = new StringBuilder(160);
        TraceCursor c = reader.cursor();
        while (c.next()) {
            int type = c.type();
            if (type != faultType) {
                names.observe(c, t);
                continue;
            }
            long va = c.a0();
            int code;
            int kind;
            int pid;
            long entry;
            long dur;
            if (kernel) {
                long a1 = c.a1();
                code = TraceTypes.faultErrorCode(a1);
                kind = TraceTypes.faultKind(a1);
                pid = TraceTypes.faultPid(a1);
                entry = c.a2();
                dur = c.a3();
            } else {
                code = (int) (c.a1() & 0xFFFF);
                kind = 0;
                pid = names.pidOf(c.thread()); // -1: the trace does not say
                entry = 0;
                dur = -1;
            }
            if (!filter.matches(pid, va, kind)) continue;
            line.setLength(0);
            long now = c.timeNs();
            // The record is written when the fault ends; the line shows when it started, as perf does.
            long start = dur > 0 ? now - dur : now;
            line.append(TraceTypes.seconds(start));
            line.append(" cpu ").append(c.cpu());
            if (pid < 0) line.append(" pid ?");
            else line.append(" pid ").append(pid).append(" (").append(names.process(pid)).append(')');
            line.append(" tid ").append(c.thread());
            line.append(" va ").append(TraceTypes.hex(va));
            line.append(' ').append(TraceTypes.errorCodeLetters(code));
            line.append(' ').append(TraceTypes.kindName(kind));
            line.append(" entry ").append(entry != 0 ? TraceTypes.hex(entry) : "-");
            line.append(" dur ").append(dur >= 0 ? TraceTypes.duration(dur) : "-");
            out.println(line);
        }
    }
}
