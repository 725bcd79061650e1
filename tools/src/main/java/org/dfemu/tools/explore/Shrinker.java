package org.dfemu.tools.explore;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.dfemu.kernel.harness.workload.Instruction;
import org.dfemu.kernel.harness.workload.Program;
import org.dfemu.tools.boot.RunRecord;
import org.dfemu.tools.sweep.RunPool;

/**
 * Shrinks a failing scenario to a smaller one that fails the same way ({@link ScenarioRun.Signature}),
 * by hierarchical delta debugging: first whole programs, then copies, then the instructions of
 * each program (runs of statements, halves first, then single statements at every depth, then
 * loop, fork and thread blocks replaced by their bodies), then operands (sizes, counts and page
 * ranges halved, then made 1; a range made the whole region; a shared map made private), then
 * drawn settings one at a time, then RAM (halved towards 16M), CPUs and swap. Each candidate
 * is a valid program (the rest are skipped unbooted) that is {@link Scenario#smaller smaller} in
 * the scenario's measure; it boots with the same seed and {@code --time}. The first candidate, in
 * that fixed order, that fails the same way becomes the new scenario and the candidates are drawn
 * again from it (going on at the same place in the list, then in further passes from the start),
 * until a whole pass finds none or the budget of boots is spent.
 *
 * <p>A candidate runs until twice the virtual time at which the scenario it shrinks failed, plus
 * {@link #CAP_SLACK_NS} (never past {@code --time}): most candidates do not fail, and they then
 * cost that instead of the whole {@code --time}. A candidate kept failed before its cap, so it
 * fails identically under the whole {@code --time} (the stop only ends a run; the stall watchdog
 * is a setting of the scenario); one that would have failed the same way later is passed over.
 *
 * <p>Deterministic whatever the parallelism: candidates boot {@code jobs} at a time, but the one
 * kept is always the first in order that fails the same way, and a batch is only started after
 * every candidate before it failed differently or passed.
 */
final class Shrinker {
    private final long runNs;
    private final Path scratch;
    private final int jobs;
    private final int budget;

    /** What a candidate may run beyond twice the failure's time (see the class comment). */
    static final long CAP_SLACK_NS = 500_000_000L;

    /** The result: the smallest scenario found, its run, and how many boots it took. */
    record Result(Scenario scenario, RunRecord record, int boots) {}

    Shrinker(long runNs, Path scratch, int jobs, int budget) {
        this.runNs = runNs;
        this.scratch = scratch;
        this.jobs = jobs;
        this.budget = budget;
    }

    /** Shrinks {@code start}, which failed as {@code first}. */
    Result shrink(Scenario start, RunRecord first) throws IOException {
        ScenarioRun.Signature want = ScenarioRun.Signature.of(first);
        Scenario current = start;
        RunRecord currentRecord = first;
        int boots = 0;
        boolean progress = true;
        while (progress && boots < budget) {
            // One pass over the candidates; after a success the pass goes on at the same place in
            // the new scenario's list, and another pass follows while any pass made progress.
            progress = false;
            List<Scenario> candidates = candidates(current);
            int i = 0;
            while (i < candidates.size() && boots < budget) {
                int n = Math.min(Math.min(jobs, candidates.size() - i), budget - boots);
                List<Scenario> batch = candidates.subList(i, i + n);
                long cap = candidateNs(runNs, currentRecord.timeNs());
                List<Callable<RunRecord>> tasks = new ArrayList<>();
                for (Scenario c : batch) tasks.add(() -> ScenarioRun.run(c, cap, scratch, ScenarioRun.nullWriter()));
                List<RunRecord> records = RunPool.runAll(tasks, n, batch.stream().map(c -> "shrink candidate of seed " + c.seed()).toList());
                int hit = -1;
                for (int k = 0; k < n && hit < 0; k++) {
                    if (records.get(k).failed() && ScenarioRun.Signature.of(records.get(k)).equals(want)) hit = k;
                }
                // Counted as one-at-a-time would boot them: up to the kept candidate, so the
                // budget, the result and the reported count do not depend on --jobs (the batch's
                // later candidates ran in parallel, for nothing).
                boots += hit >= 0 ? hit + 1 : n;
                if (hit >= 0) {
                    current = batch.get(hit);
                    currentRecord = records.get(hit);
                    progress = true;
                    candidates = candidates(current);
                    i += hit;
                } else {
                    i += n;
                }
            }
        }
        return new Result(current, currentRecord, boots);
    }

    /** How long a candidate runs when the scenario it shrinks failed at {@code failedAtNs}. */
    static long candidateNs(long runNs, long failedAtNs) {
        long cap = 2 * Math.max(0, failedAtNs) + CAP_SLACK_NS;
        return Math.min(runNs, cap);
    }

    /** The candidates of {@code s}, in the order they are tried; each valid and smaller. */
    static List<Scenario> candidates(Scenario s) {
        List<Scenario> out = new ArrayList<>();
        List<Long> m = s.measure();
        List<Program> ps = s.programs();
        // Whole programs.
        for (int p = ps.size() - 1; p >= 0 && ps.size() > 1; p--) {
            List<Program> l = new ArrayList<>(ps);
            l.remove(p);
            add(out, s.withPrograms(l), m);
        }
        // Copies: down to 1, then one fewer.
        for (int p = 0; p < ps.size(); p++) {
            Program prog = ps.get(p);
            if (prog.copies() > 1) {
                add(out, replace(s, p, prog.code(), 1), m);
                if (prog.copies() > 2) add(out, replace(s, p, prog.code(), prog.copies() - 1), m);
            }
        }
        // Instructions: runs of top-level statements (halves, quarters, ...), then single statements, then unwrapped blocks.
        for (int p = 0; p < ps.size(); p++) {
            List<Instruction> code = ps.get(p).code();
            int copies = ps.get(p).copies();
            int[] end = ends(code);
            List<Integer> top = new ArrayList<>();
            for (int i = 0; i < code.size(); i = end[i] + 1) top.add(i);
            for (int chunk = top.size() / 2; chunk >= 2; chunk /= 2) {
                for (int from = top.size() - chunk; from >= 0; from -= chunk) {
                    int a = top.get(from);
                    int b = from + chunk < top.size() ? top.get(from + chunk) : code.size();
                    add(out, replace(s, p, cut(code, a, b), copies), m);
                }
            }
            for (int i = code.size() - 1; i >= 0; i--) {
                if (isCloser(code.get(i))) continue;
                add(out, replace(s, p, cut(code, i, end[i] + 1), copies), m);
            }
            for (int i = 0; i < code.size(); i++) {
                if (isOpener(code.get(i))) {
                    List<Instruction> l = new ArrayList<>(code);
                    l.remove(end[i]);
                    l.remove(i);
                    add(out, replace(s, p, l, copies), m);
                }
            }
        }
        // Operands: halved, then 1; ranges made whole; shared maps made private.
        for (int p = 0; p < ps.size(); p++) {
            List<Instruction> code = ps.get(p).code();
            for (int i = 0; i < code.size(); i++) {
                for (Instruction smaller : smaller(code.get(i))) {
                    List<Instruction> l = new ArrayList<>(code);
                    l.set(i, smaller);
                    add(out, replace(s, p, l, ps.get(p).copies()), m);
                }
            }
        }
        // Drawn settings, one at a time.
        for (String name : s.drawn().keySet()) {
            Map<String, String> d = new LinkedHashMap<>(s.drawn());
            d.remove(name);
            add(out, s.withDrawn(d), m);
        }
        // The machine: RAM halved towards 16M, one CPU, fewer CPUs, swap halved.
        long min = 16L << 20;
        if (!s.fixedMachine("hw.physmem") && s.physmem() > min) {
            add(out, s.withMachine(min, s.ncpu(), s.swapBytes()), m);
            long half = Math.max(min, s.physmem() / 2 / (1 << 20) * (1 << 20));
            add(out, s.withMachine(half, s.ncpu(), s.swapBytes()), m);
        }
        if (!s.fixedMachine("hw.ncpu") && s.ncpu() > 1) {
            add(out, s.withMachine(s.physmem(), 1, s.swapBytes()), m);
            add(out, s.withMachine(s.physmem(), s.ncpu() - 1, s.swapBytes()), m);
        }
        if (s.swapBytes() > 0) {
            add(out, s.withMachine(s.physmem(), s.ncpu(), 0), m);
            add(out, s.withMachine(s.physmem(), s.ncpu(), s.swapBytes() / 2 / 4096 * 4096), m);
        }
        return out;
    }

    /** Adds {@code c} if it is not null, is smaller than {@code m} and not already there. */
    private static void add(List<Scenario> out, Scenario c, List<Long> m) {
        if (c == null || !Scenario.smaller(c.measure(), m)) return;
        for (Scenario o : out) if (o.equals(c)) return;
        out.add(c);
    }

    /** {@code s} with program {@code p}'s code and copies replaced; null if that is not a valid program. */
    private static Scenario replace(Scenario s, int p, List<Instruction> code, int copies) {
        Program old = s.programs().get(p);
        Program next;
        try {
            next = new Program(old.name(), copies, code, old.expect());
        } catch (IllegalArgumentException e) {
            return null;
        }
        List<Program> l = new ArrayList<>(s.programs());
        l.set(p, next);
        return s.withPrograms(l);
    }

    private static List<Instruction> cut(List<Instruction> code, int from, int to) {
        List<Instruction> l = new ArrayList<>(code.subList(0, from));
        l.addAll(code.subList(to, code.size()));
        return l;
    }

    /** True for an instruction that closes a block (endloop, endfork, endthread). */
    static boolean isCloser(Instruction i) {
        return i instanceof Instruction.EndLoop || i instanceof Instruction.EndFork || i instanceof Instruction.EndThread;
    }

    /** True for an instruction that opens a block (loop, fork, thread). */
    static boolean isOpener(Instruction i) {
        return i instanceof Instruction.Loop || i instanceof Instruction.Fork || i instanceof Instruction.StartThread;
    }

    /** For each index, the last index of the statement starting there (its block's closer, or itself). */
    static int[] ends(List<Instruction> code) {
        int[] end = new int[code.size()];
        int[] stack = new int[code.size() + 1];
        int sp = 0;
        for (int i = 0; i < code.size(); i++) {
            Instruction in = code.get(i);
            end[i] = i;
            if (isOpener(in)) {
                stack[sp++] = i;
            } else if (isCloser(in) && sp > 0) {
                end[stack[--sp]] = i;
            }
        }
        return end;
    }

    /**
     * Smaller or simpler forms of one instruction's operands: sizes and counts halved, then 1; a
     * shared map made private; a range made the whole region (for the instructions that have a
     * whole-region form) or one page.
     */
    private static List<Instruction> smaller(Instruction in) {
        List<Instruction> l = new ArrayList<>();
        switch (in) {
            case Instruction.Mmap mm -> {
                if (mm.shared()) l.add(new Instruction.Mmap(mm.reg(), mm.pages(), mm.prot(), false));
                if (mm.pages() > 1) l.add(new Instruction.Mmap(mm.reg(), mm.pages() / 2, mm.prot(), mm.shared()));
                if (mm.pages() > 2) l.add(new Instruction.Mmap(mm.reg(), 1, mm.prot(), mm.shared()));
            }
            case Instruction.Touch t when t.order() != Instruction.Order.SEQ && t.n() > 1 -> {
                l.add(new Instruction.Touch(t.reg(), t.order(), t.n() / 2, t.access()));
                if (t.n() > 2) l.add(new Instruction.Touch(t.reg(), t.order(), 1, t.access()));
            }
            case Instruction.Loop lp when lp.count() > 1 -> {
                l.add(new Instruction.Loop(1));
                if (lp.count() > 2) l.add(new Instruction.Loop(lp.count() - 1));
            }
            case Instruction.Sleep sl when sl.ns() > 1000 -> l.add(new Instruction.Sleep(sl.ns() / 2 / 1000 * 1000));
            case Instruction.Mlock x when x.count() > 0 -> {
                l.add(new Instruction.Mlock(x.reg(), 0, 0));
                if (x.count() > 1) l.add(new Instruction.Mlock(x.reg(), x.page(), x.count() / 2));
            }
            case Instruction.Munlock x when x.count() > 0 -> {
                l.add(new Instruction.Munlock(x.reg(), 0, 0));
                if (x.count() > 1) l.add(new Instruction.Munlock(x.reg(), x.page(), x.count() / 2));
            }
            case Instruction.Mprotect x when x.count() > 0 -> {
                l.add(new Instruction.Mprotect(x.reg(), x.prot(), 0, 0));
                if (x.count() > 1) l.add(new Instruction.Mprotect(x.reg(), x.prot(), x.page(), x.count() / 2));
            }
            case Instruction.Madvise x when x.count() > 0 -> {
                l.add(new Instruction.Madvise(x.reg(), x.advice(), 0, 0));
                if (x.count() > 1) l.add(new Instruction.Madvise(x.reg(), x.advice(), x.page(), x.count() / 2));
            }
            case Instruction.WriteRange x when x.count() > 1 -> {
                l.add(new Instruction.WriteRange(x.reg(), x.page(), x.count() / 2));
                l.add(new Instruction.WriteRange(x.reg(), x.page(), 1));
            }
            case Instruction.VerifyRange x when x.count() > 1 -> {
                l.add(new Instruction.VerifyRange(x.reg(), x.page(), x.count() / 2));
                l.add(new Instruction.VerifyRange(x.reg(), x.page(), 1));
            }
            case Instruction.UnmapRange x when x.count() > 1 -> {
                l.add(new Instruction.UnmapRange(x.reg(), x.page(), x.count() / 2));
                l.add(new Instruction.UnmapRange(x.reg(), x.page(), 1));
            }
            default -> { }
        }
        return l;
    }
}
