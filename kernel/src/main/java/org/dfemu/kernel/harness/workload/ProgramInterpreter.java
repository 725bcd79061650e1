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
 * one of them the writer). A {@code map ... shared} yields an {@link Action.Mmap} with
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

    /** Per register: pages (0 when unmapped), protection, and the stream and generation it holds. */
    private final long[] pages = new long[Instruction.REGISTERS];
    private final Prot[] prot = new Prot[Instruction.REGISTERS];
    private final long[] writer = new long[Instruction.REGISTERS];
    private final long[] generation = new long[Instruction.REGISTERS];
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
            if (current >= 0) return pageAction();
            if (pc == code.size()) return exit(pc);
            int i = pc;
            switch (code.get(i)) {
                case Mmap m -> {
                    pages[m.reg()] = m.pages();
                    prot[m.reg()] = m.prot();
                    writer[m.reg()] = stream;
                    generation[m.reg()] = 0;
                    shared[m.reg()] = m.shared();
                    linked[m.reg()] = false;
                    exported[m.reg()] = false;
                    pc++;
                    last = i;
                    return new Action.Mmap(m.reg(), m.pages(), m.prot(), m.shared());
                }
                case Munmap u -> {
                    pages[u.reg()] = 0;
                    prot[u.reg()] = null;
                    shared[u.reg()] = false;
                    linked[u.reg()] = false;
                    exported[u.reg()] = false;
                    pc++;
                    last = i;
                    return new Action.Munmap(u.reg());
                }
                case Write w -> {
                    writer[w.reg()] = stream;
                    generation[w.reg()] = ++generations;
                    if (linked[w.reg()]) exported[w.reg()] = true;
                    start(i, w.reg(), true, false, 1, pages[w.reg()]);
                }
                case Verify v -> start(i, v.reg(), false, false, 1, pages[v.reg()]);
                case Touch t -> {
                    long n = pages[t.reg()];
                    boolean writes = t.access() == Access.WRITE;
                    switch (t.order()) {
                        case SEQ -> start(i, t.reg(), writes, false, 1, n);
                        case STRIDE -> start(i, t.reg(), writes, false, t.n(), (n + t.n() - 1) / t.n());
                        case RANDOM -> start(i, t.reg(), writes, true, 0, t.n());
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
                    ProgramInterpreter c = forkChild(i);
                    pc = forkEnds[i] + 1;
                    last = i;
                    return new Action.Fork(c);
                }
                case EndFork e -> {
                    // The parent jumps past every endfork; only a child arrives at its own.
                    if (!child) throw new IllegalStateException("program '" + program.name() + "' reached endfork outside a child");
                    return exit(i);
                }
                case Exit x -> {
                    return exit(i);
                }
                case StartThread t -> {
                    ProgramInterpreter c = forkChild(i);
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

    private void start(int i, int reg, boolean writes, boolean random, long step, long count) {
        current = i;
        currentReg = reg;
        currentWrites = writes;
        currentRandom = random;
        nextPage = 0;
        this.step = step;
        remaining = count;
    }

    private Action pageAction() {
        int reg = currentReg;
        long page;
        if (currentRandom) {
            page = random.nextLong(pages[reg]);
        } else {
            page = nextPage;
            nextPage += step;
        }
        last = current;
        if (--remaining == 0) {
            current = -1;
            pc++;
        }
        return currentWrites
                ? new Action.WritePage(reg, page, writer[reg], generation[reg])
                : new Action.VerifyPage(reg, page, writer[reg], generation[reg]);
    }

    private ProgramInterpreter forkChild(int i) {
        ProgramInterpreter c = new ProgramInterpreter(program, forkEnds, PagePattern.childStream(stream, forks++),
                random.split(), true, i + 1);
        System.arraycopy(pages, 0, c.pages, 0, pages.length);
        System.arraycopy(prot, 0, c.prot, 0, prot.length);
        System.arraycopy(writer, 0, c.writer, 0, writer.length);
        System.arraycopy(generation, 0, c.generation, 0, generation.length);
        System.arraycopy(shared, 0, c.shared, 0, shared.length);
        for (int r = 0; r < Instruction.REGISTERS; r++) c.linked[r] = shared[r];
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
                writer[r] = c.writer[r];
                generation[r] = c.generation[r];
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
}
