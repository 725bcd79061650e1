package org.dfemu.kernel.harness.workload;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.dfemu.kernel.harness.workload.Instruction.Access;
import org.dfemu.kernel.harness.workload.Instruction.EndFork;
import org.dfemu.kernel.harness.workload.Instruction.EndLoop;
import org.dfemu.kernel.harness.workload.Instruction.Exit;
import org.dfemu.kernel.harness.workload.Instruction.Fork;
import org.dfemu.kernel.harness.workload.Instruction.Loop;
import org.dfemu.kernel.harness.workload.Instruction.Mmap;
import org.dfemu.kernel.harness.workload.Instruction.Munmap;
import org.dfemu.kernel.harness.workload.Instruction.Prot;
import org.dfemu.kernel.harness.workload.Instruction.Sleep;
import org.dfemu.kernel.harness.workload.Instruction.Touch;
import org.dfemu.kernel.harness.workload.Instruction.Verify;
import org.dfemu.kernel.harness.workload.Instruction.Write;
import org.dfemu.kernel.harness.workload.Instruction.StartThread;
import org.dfemu.kernel.harness.workload.Instruction.EndThread;
import org.dfemu.kernel.harness.workload.Instruction.Wait;

/**
 * Runs one process's program as a sequence of {@link Action}s, without touching memory: the
 * kernel asks for the next action, carries it out through the CPU, and asks again. It keeps the
 * control flow (program counter, open loops), the register table (each region's size,
 * protection and current contents) and the process's random generator, so the sequence of
 * actions is a pure function of the program, the process's stream and the run's seed.
 *
 * <p>What each instruction yields:
 * <ul>
 *   <li>{@code map}/{@code unmap}: one {@link Action.Mmap}/{@link Action.Munmap}; a new mapping
 *       holds generation 0 (zeros).</li>
 *   <li>{@code write rN}: the process's generation count goes up by one and becomes the
 *       region's; then one {@link Action.WritePage} per page, page 0 first.</li>
 *   <li>{@code verify rN}: one {@link Action.VerifyPage} per page, page 0 first, expecting the
 *       region's current stream and generation.</li>
 *   <li>{@code touch}: for each page visited (seq: every page; stride n: 0, n, 2n, ...; random n:
 *       n draws of {@code random.nextLong(pages)}), a {@link Action.VerifyPage} (read) or a
 *       {@link Action.WritePage} that stores the region's current contents again (write), so a
 *       touch changes no data but faults and dirties pages.</li>
 *   <li>{@code sleep}: one {@link Action.Sleep}. {@code loop}/{@code endloop}: nothing.</li>
 *   <li>{@code fork}: one {@link Action.Fork} carrying the child's interpreter; the parent then
 *       skips to after {@code endfork}.</li>
 *   <li>{@code exit}, the end of the program, and (in a child) its {@code endfork}: one
 *       {@link Action.Exit}, the last action.</li>
 *   <li>Memory control: {@code mlock}/{@code munlock} ({@link Action.Mlock}), {@code mprotect},
 *       {@code madvise}: one action for the range, or without a range one per run of pages
 *       still mapped; {@code mlockall}/{@code munlockall}: one action. {@code madvise ... free}
 *       also marks the pages as possibly reclaimed: a later {@link Action.VerifyPage} expects
 *       {@link Action.Expect#EXACT_OR_ZERO} (or {@link Action.Expect#ANY} in a region a fork has
 *       shared) until the page is written again.</li>
 *   <li>Page ranges: {@code write rN PAGE COUNT} gives only those pages a new generation,
 *       {@code verify rN PAGE COUNT} checks them, {@code unmap rN PAGE COUNT} is one
 *       {@link Action.MunmapRange}; the whole-region forms ({@code write rN}, {@code verify rN},
 *       {@code touch}, {@code unmap rN}) then visit or unmap only the pages still mapped
 *       ({@code touch ... random} draws among them).</li>
 * </ul>
 *
 * <p>A forked child starts at the first instruction of its fork block with a copy of the
 * parent's registers (what its copy-on-write memory holds), the parent's generation count, a
 * random generator split from the parent's, and stream
 * {@link PagePattern#childStream}{@code (parent, n)} for the parent's n-th fork (from 0).
 *
 * <p>{@code thread} yields one {@link Action.Thread} carrying the thread's interpreter, made as a
 * fork child's is (stream {@code childStream(parent, n)}, n counting forks and threads), and the
 * starter skips to after {@code endthread}, where the thread's own interpreter exits.
 * {@code wait} yields one {@link Action.Wait}; once the kernel has carried it out (every child and
 * thread started since the last wait has ended) the starter takes over, for each register, what
 * they last wrote there in the region it shares with them (every region for a thread, the
 * {@code shared} ones for a child; in start order; the rule of {@link ProgramCheck} makes at most
 * one of them the writer): every page as the writer left it, page ranges and {@code madvise free}
 * included (a page a thread freed expects {@link Action.Expect#ANY} if the starter forked
 * meanwhile). A thread's own copies keep {@code forked} as the starter had it (no copy-on-write
 * copy is made for a thread). A {@code map ... shared} yields an {@link Action.Mmap} with
 * {@code shared} set.
 *
 * <p>Because {@link ProgramCheck} requires every loop body to act, {@link #next} returns after
 * at most a few steps per instruction of the program. Not thread-safe: one process's thread
 * drives it.
 */
public final class ProgramInterpreter {
    private final Program program;
    private final int[] forkEnds;
    private final long stream;
    private final SplittableRandom random;
    /** A forked child: its block's {@code endfork} is its exit. */
    private final boolean child;
    /** A thread: its block's {@code endthread} is its end. */
    private boolean thread;
    /** Per register: mapped shared; names its starter's region too; wrote there what the starter takes at wait. */
    private final boolean[] shared = new boolean[Instruction.REGISTERS];
    private final boolean[] linked = new boolean[Instruction.REGISTERS];
    private final boolean[] exported = new boolean[Instruction.REGISTERS];
    /** Children and threads started since the last wait, in start order. */
    private final List<ProgramInterpreter> started = new ArrayList<>();
    /** The last action was a {@link Action.Wait}: take over the waited-for writes first. */
    private boolean waited;

    /** Per register: pages (0 when unmapped), protection, and the stream and generation each page holds. */
    private final long[] pages = new long[Instruction.REGISTERS];
    private final Prot[] prot = new Prot[Instruction.REGISTERS];
    private final Contents[] contents = new Contents[Instruction.REGISTERS];
    /** Per register: the pages still mapped (a partial unmap leaves holes); null when unmapped. */
    private final PageRuns[] runs = new PageRuns[Instruction.REGISTERS];
    /** Per register: a fork has shared the region's pages since it was mapped (by this process or an ancestor). */
    private final boolean[] forked = new boolean[Instruction.REGISTERS];
    /** Actions of the current instruction still to hand out (one per mapped run of a region with holes). */
    private final java.util.ArrayDeque<Action> pending = new java.util.ArrayDeque<>();
    /** {@code write} instructions run by this process and, before its fork, by its ancestors. */
    private long generations;
    /** Forks this process has done. */
    private long forks;

    private int pc;
    private final int[] loopStart = new int[Program.DEPTH_MAX];
    private final long[] loopLeft = new long[Program.DEPTH_MAX];
    private int loops;

    /** The write, verify or touch being carried out page by page, or -1. */
    private int current = -1;
    private int currentReg;
    private boolean currentWrites;
    private boolean currentRandom;
    private long nextPage;
    private long step;
    private long remaining;
    /** Non-random visits: the page after the last one that may be visited. */
    private long endPage;
    /** Non-random visits skip pages that are no longer mapped (whole-region forms). */
    private boolean skipUnmapped;

    private int last = -1;
    private boolean exited;

    private ProgramInterpreter(Program program, int[] forkEnds, long stream, SplittableRandom random, boolean child, int pc) {
        this.program = program;
        this.forkEnds = forkEnds;
        this.stream = stream;
        this.random = random;
        this.child = child;
        this.pc = pc;
    }

    /**
     * The interpreter for copy {@code copy} of program {@code program}, which is at index
     * {@code programIndex} of its {@link Workload}, in a run with seed {@code runSeed}. Its
     * stream is {@link PagePattern#bootStream}{@code (programIndex, copy)}, and its random
     * generator {@code new SplittableRandom(mix64(mix64(runSeed) ^ stream))}. No requirements.
     */
    public static ProgramInterpreter boot(Program program, int programIndex, int copy, long runSeed) {
        long stream = PagePattern.bootStream(programIndex, copy);
        SplittableRandom random = new SplittableRandom(PagePattern.mix64(PagePattern.mix64(runSeed) ^ stream));
        return new ProgramInterpreter(program, ProgramCheck.forkEnds(program.code()), stream, random, false, 0);
    }

    /**
     * Steps the program to its next action and returns it; after an {@link Action.Exit} there
     * is none. Never blocks; returns after a bounded number of steps.
     *
     * @throws IllegalStateException if the process has already exited
     */
    public Action next() {
        if (exited) throw new IllegalStateException("program '" + program.name() + "' has exited");
        List<Instruction> code = program.code();
        if (waited) adopt();
        while (true) {
            if (!pending.isEmpty()) return pending.poll();
            if (current >= 0) return pageAction();
            if (pc == code.size()) return exit(pc);
            int i = pc;
            switch (code.get(i)) {
                case Mmap m -> {
                    pages[m.reg()] = m.pages();
                    prot[m.reg()] = m.prot();
                    contents[m.reg()] = new Contents(m.pages(), stream);
                    runs[m.reg()] = PageRuns.all(m.pages());
                    forked[m.reg()] = false;
                    shared[m.reg()] = m.shared();
                    linked[m.reg()] = false;
                    exported[m.reg()] = false;
                    pc++;
                    last = i;
                    return new Action.Mmap(m.reg(), m.pages(), m.prot(), m.shared());
                }
                case Munmap u -> {
                    PageRuns left = runs[u.reg()];
                    boolean whole = left.isAll(pages[u.reg()]);
                    unmapped(u.reg());
                    pc++;
                    last = i;
                    if (whole) return new Action.Munmap(u.reg());
                    for (int r = 0; r < left.runCount(); r++) {
                        pending.add(new Action.MunmapRange(u.reg(), left.start(r), left.end(r) - left.start(r),
                                r == left.runCount() - 1));
                    }
                    return pending.poll();
                }
                case Write w -> {
                    contents[w.reg()].set(0, pages[w.reg()], stream, ++generations, Action.Expect.EXACT);
                    if (linked[w.reg()]) exported[w.reg()] = true;
                    start(i, w.reg(), true, false, 0, 1, pages[w.reg()], true);
                }
                case Verify v -> start(i, v.reg(), false, false, 0, 1, pages[v.reg()], true);
                case Touch t -> {
                    boolean writes = t.access() == Access.WRITE;
                    switch (t.order()) {
                        case SEQ -> start(i, t.reg(), writes, false, 0, 1, pages[t.reg()], true);
                        case STRIDE -> start(i, t.reg(), writes, false, 0, t.n(), pages[t.reg()], true);
                        case RANDOM -> {
                            current = i;
                            currentReg = t.reg();
                            currentWrites = writes;
                            currentRandom = true;
                            remaining = t.n();
                        }
                    }
                }
                case Sleep s -> {
                    pc++;
                    last = i;
                    return new Action.Sleep(s.ns());
                }
                case Loop l -> {
                    loopStart[loops] = i;
                    loopLeft[loops] = l.count();
                    loops++;
                    pc++;
                }
                case EndLoop e -> {
                    if (--loopLeft[loops - 1] > 0) {
                        pc = loopStart[loops - 1] + 1;
                    } else {
                        loops--;
                        pc++;
                    }
                }
                case Fork f -> {
                    ProgramInterpreter c = forkChild(i, false);
                    pc = forkEnds[i] + 1;
                    last = i;
                    return new Action.Fork(c);
                }
                case EndFork e -> {
                    // The parent jumps past every endfork; only a child arrives at its own.
                    if (!child) throw new IllegalStateException("program '" + program.name() + "' reached endfork outside a child");
                    return exit(i);
                }
                // memory-control instructions and page ranges
                case Instruction.Mlock l -> {
                    perRun(i, l.reg(), l.page(), l.count(), (p, n) -> new Action.Mlock(l.reg(), p, n, true));
                }
                case Instruction.Munlock l -> {
                    perRun(i, l.reg(), l.page(), l.count(), (p, n) -> new Action.Mlock(l.reg(), p, n, false));
                }
                case Instruction.Mlockall l -> {
                    pc++;
                    last = i;
                    return new Action.Mlockall(l.how());
                }
                case Instruction.Munlockall l -> {
                    pc++;
                    last = i;
                    return new Action.Munlockall();
                }
                case Instruction.Mprotect m -> {
                    perRun(i, m.reg(), m.page(), m.count(), (p, n) -> new Action.Mprotect(m.reg(), p, n, m.prot().bits()));
                }
                case Instruction.Madvise m -> {
                    if (m.advice() == Instruction.Advice.FREE) {
                        // MADV_FREE: a page may be reclaimed without being written anywhere.
                        Action.Expect after = forked[m.reg()] ? Action.Expect.ANY : Action.Expect.EXACT_OR_ZERO;
                        long from = m.count() == 0 ? 0 : m.page();
                        long to = m.count() == 0 ? pages[m.reg()] : m.page() + m.count();
                        contents[m.reg()].weaken(from, to, after);
                        if (linked[m.reg()]) exported[m.reg()] = true;
                    }
                    perRun(i, m.reg(), m.page(), m.count(), (p, n) -> new Action.Madvise(m.reg(), p, n, m.advice().behav()));
                }
                case Instruction.WriteRange w -> {
                    contents[w.reg()].set(w.page(), w.page() + w.count(), stream, ++generations, Action.Expect.EXACT);
                    if (linked[w.reg()]) exported[w.reg()] = true;
                    start(i, w.reg(), true, false, w.page(), 1, w.page() + w.count(), false);
                }
                case Instruction.VerifyRange v -> start(i, v.reg(), false, false, v.page(), 1, v.page() + v.count(), false);
                case Instruction.UnmapRange u -> {
                    PageRuns left = runs[u.reg()].minus(u.page(), u.page() + u.count());
                    if (left.isEmpty()) {
                        unmapped(u.reg());
                    } else {
                        runs[u.reg()] = left;
                    }
                    pc++;
                    last = i;
                    return new Action.MunmapRange(u.reg(), u.page(), u.count(), left.isEmpty());
                }
                case Exit x -> {
                    return exit(i);
                }
                case StartThread t -> {
                    ProgramInterpreter c = forkChild(i, true);
                    c.thread = true;
                    for (int r = 0; r < Instruction.REGISTERS; r++) c.linked[r] = pages[r] != 0;
                    if (!started.contains(c)) started.add(c);
                    pc = forkEnds[i] + 1;
                    last = i;
                    return new Action.Thread(c);
                }
                case EndThread e -> {
                    if (!thread) throw new IllegalStateException("program '" + program.name() + "' reached endthread outside a thread");
                    return exit(i);
                }
                case Wait w -> {
                    pc++;
                    last = i;
                    waited = true;
                    return new Action.Wait();
                }
            }
        }
    }

    /** The register no longer maps anything. */
    private void unmapped(int reg) {
        pages[reg] = 0;
        prot[reg] = null;
        contents[reg] = null;
        runs[reg] = null;
        shared[reg] = false;
        linked[reg] = false;
        exported[reg] = false;
    }

    /**
     * Queues one action per mapped run of {@code reg} (count 0: the whole region as it is now)
     * or the one action for {@code [page, page + count)}, which is all mapped (ProgramCheck).
     */
    private void perRun(int i, int reg, long page, long count, java.util.function.BiFunction<Long, Long, Action> action) {
        if (count != 0) {
            pending.add(action.apply(page, count));
        } else {
            PageRuns r = runs[reg];
            for (int k = 0; k < r.runCount(); k++) pending.add(action.apply(r.start(k), r.end(k) - r.start(k)));
        }
        pc++;
        last = i;
    }

    /**
     * Starts visiting pages {@code from}, {@code from + step}, ... below {@code end}, skipping
     * unmapped ones if {@code skip}; an instruction with no page to visit just ends.
     */
    private void start(int i, int reg, boolean writes, boolean random, long from, long step, long end, boolean skip) {
        current = i;
        currentReg = reg;
        currentWrites = writes;
        currentRandom = random;
        this.step = step;
        endPage = end;
        skipUnmapped = skip;
        nextPage = nextVisit(from);
        if (nextPage >= endPage) {
            current = -1;
            pc++;
        }
    }

    /** The first page to visit from {@code page} on ({@code endPage} or more: none). */
    private long nextVisit(long page) {
        if (skipUnmapped) {
            PageRuns r = runs[currentReg];
            while (page < endPage && !r.contains(page)) page += step;
        }
        return page;
    }

    private Action pageAction() {
        int reg = currentReg;
        last = current;
        long page;
        if (currentRandom) {
            // Drawn among the pages still mapped: with no hole, random.nextLong(pages) itself.
            PageRuns r = runs[reg];
            page = r.nth(random.nextLong(r.size()));
            if (--remaining == 0) {
                current = -1;
                pc++;
            }
        } else {
            page = nextPage;
            nextPage = nextVisit(nextPage + step);
            if (nextPage >= endPage) {
                current = -1;
                pc++;
            }
        }
        Contents c = contents[reg];
        long writer = c.writer(page);
        long generation = c.generation(page);
        if (currentWrites) {
            // A store of the whole pattern: from now on the page holds exactly that.
            if (c.expect(page) != Action.Expect.EXACT) c.set(page, page + 1, writer, generation, Action.Expect.EXACT);
            return new Action.WritePage(reg, page, writer, generation);
        }
        return new Action.VerifyPage(reg, page, writer, generation, c.expect(page));
    }

    private ProgramInterpreter forkChild(int i, boolean thread) {
        ProgramInterpreter c = new ProgramInterpreter(program, forkEnds, PagePattern.childStream(stream, forks++),
                random.split(), true, i + 1);
        System.arraycopy(pages, 0, c.pages, 0, pages.length);
        System.arraycopy(prot, 0, c.prot, 0, prot.length);
        System.arraycopy(runs, 0, c.runs, 0, runs.length);
        System.arraycopy(shared, 0, c.shared, 0, shared.length);
        for (int r = 0; r < Instruction.REGISTERS; r++) {
            c.linked[r] = shared[r];
            if (contents[r] != null) {
                c.contents[r] = contents[r].copy();
                // A thread shares the address space itself: no copy-on-write copy is made.
                if (thread) {
                    c.forked[r] = forked[r];
                } else {
                    forked[r] = true;
                    c.forked[r] = true;
                }
            }
        }
        c.generations = generations;
        // Only a child that shares a region can leave something to take over at wait.
        for (boolean l : c.linked) {
            if (l) {
                started.add(c);
                break;
            }
        }
        return c;
    }

    /** After a wait: what the children and threads wrote in the regions shared with them. */
    private void adopt() {
        waited = false;
        for (ProgramInterpreter c : started) {
            for (int r = 0; r < Instruction.REGISTERS; r++) {
                if (!c.exported[r]) continue;
                // Every page as the writer left it (rule 8 of ProgramCheck: no one else wrote it).
                contents[r] = c.contents[r].copy();
                // A fork by this process while the thread ran: a page it freed may show older data.
                if (forked[r] && !c.forked[r]) contents[r].weaken(0, pages[r], Action.Expect.EXACT_OR_ZERO, Action.Expect.ANY);
                forked[r] |= c.forked[r];
                if (linked[r]) exported[r] = true;
            }
        }
        started.clear();
    }

    private Action exit(int i) {
        exited = true;
        last = i;
        return new Action.Exit();
    }

    /** The program this process runs. */
    public Program program() { return program; }

    /** The process's stream, as {@link PagePattern#word} takes it. */
    public long stream() { return stream; }

    /** Whether this interpreter runs a thread's body (its exit ends the thread, not the process). */
    public boolean thread() { return thread; }

    /** Whether the last action returned was {@link Action.Exit}. */
    public boolean exited() { return exited; }

    /**
     * Index of the instruction that produced the last action returned ({@code code().size()}
     * for the exit implied at the end of the program), or -1 before the first one: for reports
     * such as a failed verification.
     */
    public int instruction() { return last; }

    /**
     * What each page of a region holds, as runs of pages {@code [start, end)} with one writer
     * stream, generation and {@link Action.Expect}: one run until a range write, a partial
     * madvise or a touch of a freed page splits it.
     */
    private static final class Contents {
        /** start page to {end, writer, generation, expect ordinal}. */
        private final java.util.TreeMap<Long, long[]> runs = new java.util.TreeMap<>();

        /** A fresh mapping: zeros (generation 0) everywhere. */
        Contents(long pages, long stream) {
            runs.put(0L, new long[] {pages, stream, 0, Action.Expect.EXACT.ordinal()});
        }

        private Contents() {}

        Contents copy() {
            Contents c = new Contents();
            runs.forEach((k, v) -> c.runs.put(k, v.clone()));
            return c;
        }

        private long[] at(long page) { return runs.floorEntry(page).getValue(); }

        long writer(long page) { return at(page)[1]; }

        long generation(long page) { return at(page)[2]; }

        Action.Expect expect(long page) { return Action.Expect.values()[(int) at(page)[3]]; }

        /** Makes a run start at {@code page} (if inside the region). */
        private void split(long page) {
            java.util.Map.Entry<Long, long[]> e = runs.floorEntry(page);
            if (e == null || e.getKey() == page || e.getValue()[0] <= page) return;
            long[] tail = e.getValue().clone();
            e.getValue()[0] = page;
            runs.put(page, tail);
        }

        /** Pages {@code [from, to)} hold (writer, generation) as {@code expect} says. */
        void set(long from, long to, long writer, long generation, Action.Expect expect) {
            split(from);
            split(to);
            runs.subMap(from, to).clear();
            runs.put(from, new long[] {to, writer, generation, expect.ordinal()});
        }

        /** Pages {@code [from, to)} that expect {@code was} may hold what {@code expect} allows. */
        void weaken(long from, long to, Action.Expect was, Action.Expect expect) {
            split(from);
            split(to);
            for (long[] v : runs.subMap(from, to).values()) {
                if (v[3] == was.ordinal()) v[3] = expect.ordinal();
            }
        }

        /** Pages {@code [from, to)} may also hold what {@code expect} allows. */
        void weaken(long from, long to, Action.Expect expect) {
            split(from);
            split(to);
            for (long[] v : runs.subMap(from, to).values()) v[3] = Math.max(v[3], expect.ordinal());
        }
    }
}
