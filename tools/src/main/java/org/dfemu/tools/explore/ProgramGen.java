package org.dfemu.tools.explore;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.dfemu.kernel.harness.workload.Instruction;
import org.dfemu.kernel.harness.workload.Instruction.Access;
import org.dfemu.kernel.harness.workload.Instruction.Advice;
import org.dfemu.kernel.harness.workload.Instruction.Mmap;
import org.dfemu.kernel.harness.workload.Instruction.Order;
import org.dfemu.kernel.harness.workload.Instruction.Prot;
import org.dfemu.kernel.harness.workload.Instruction.Protect;
import org.dfemu.kernel.harness.workload.Program;

/**
 * Generates the code of one workload program for {@link Grammar}: statements of the enabled
 * {@link #KINDS}, each valid where it is written, so that the program passes the workload's
 * ProgramCheck and meets the fate it declares.
 *
 * <p>What the generator tracks per register ({@link Region}) is what it needs for that: the map
 * (its protection decides what ProgramCheck lets the program write), the pages still mapped
 * (ranges and partial unmaps stay inside them) and the access the process has now after its
 * mprotects (a program expecting {@code exit} never reads a {@code none} page nor writes a
 * {@code ro} one; one expecting {@code segv} ends with such an access, see {@link #segvTail}).
 * For ProgramCheck's concurrency rule, a thread or fork body records the registers it names
 * ({@link #used}); after its closer the starter writes at most two statements that leave those
 * registers alone ({@link #busy}) and then {@code wait}.
 */
final class ProgramGen {
    /** One instruction kind: name (the swarm feature), weight, when it applies, how it is emitted. */
    record Kind(String name, int weight, Predicate<ProgramGen> applies, Consumer<ProgramGen> emit) {}

    /**
     * A mapped register as the generator sees it.
     *
     * @param map    the map instruction that made it
     * @param runs   the pages still mapped, as ascending {@code [start, end)} pairs
     * @param access the most restrictive protection any of its pages has now
     */
    record Region(Mmap map, long[] runs, Protect access) {
        long mappedPages() {
            long n = 0;
            for (int i = 0; i < runs.length; i += 2) n += runs[i + 1] - runs[i];
            return n;
        }

        boolean readable() { return access != Protect.NONE; }

        boolean writable() { return map.prot() == Prot.RW && access == Protect.RW; }

        /** This region without pages {@code [from, to)}; null when no page is left. */
        Region minus(long from, long to) {
            List<Long> l = new ArrayList<>();
            for (int i = 0; i < runs.length; i += 2) {
                long a = runs[i], b = runs[i + 1];
                if (a < from) { l.add(a); l.add(Math.min(b, from)); }
                if (b > to) { l.add(Math.max(a, to)); l.add(b); }
            }
            if (l.isEmpty()) return null;
            long[] r = new long[l.size()];
            for (int i = 0; i < r.length; i++) r[i] = l.get(i);
            return new Region(map, r, access);
        }

        Region withAccess(Protect p) { return new Region(map, runs, p); }
    }

    /** Regions one process holds at most at a time (of the 16 registers). */
    static final int REGIONS_MAX = 4;
    /** Deepest nesting of loop, fork and thread blocks the grammar writes. */
    static final int DEPTH_MAX = 2;

    private static final Predicate<Region> ANY = r -> true;
    private static final Predicate<Region> READABLE = Region::readable;
    private static final Predicate<Region> WRITABLE = Region::writable;

    /**
     * Every instruction kind the grammar writes. Add a new instruction here, with its emitter
     * below: one that changes what a register holds updates {@link #regs}; a block follows
     * {@link #fork} or {@link #thread}.
     */
    static final List<Kind> KINDS = List.of(
            new Kind("map", 4, g -> g.outsideLoopAndThread() && g.mapped() < REGIONS_MAX, ProgramGen::map),
            new Kind("unmap", 1, g -> g.outsideLoopAndThread() && g.pick(ANY) >= 0, ProgramGen::unmap),
            new Kind("unmap_range", 1, g -> g.outsideLoopAndThread() && g.pick(r -> r.mappedPages() >= 2) >= 0, ProgramGen::unmapRange),
            new Kind("write", 3, g -> g.pick(WRITABLE) >= 0, ProgramGen::write),
            new Kind("write_range", 2, g -> g.pick(WRITABLE) >= 0, ProgramGen::writeRange),
            new Kind("verify", 3, g -> g.pick(READABLE) >= 0, ProgramGen::verify),
            new Kind("verify_range", 2, g -> g.pick(READABLE) >= 0, ProgramGen::verifyRange),
            new Kind("touch", 4, g -> g.pick(READABLE) >= 0, ProgramGen::touch),
            new Kind("sleep", 1, g -> true, ProgramGen::sleep),
            new Kind("loop", 1, g -> g.depth < DEPTH_MAX && !g.pending, ProgramGen::loop),
            new Kind("fork", 2, g -> g.depth < DEPTH_MAX && !g.inThread && !g.pending && g.fate == Program.Fate.EXIT, ProgramGen::fork),
            new Kind("thread", 2, g -> g.depth < DEPTH_MAX && !g.inThread && !g.pending, ProgramGen::thread),
            new Kind("wait", 1, g -> !g.inThread, g -> g.out.add(new Instruction.Wait())),
            new Kind("mlock", 1, g -> !g.inThread && g.pick(ANY) >= 0, g -> g.lock(true)),
            new Kind("munlock", 1, g -> !g.inThread && g.pick(ANY) >= 0, g -> g.lock(false)),
            new Kind("mlockall", 1, g -> !g.inThread, g -> g.out.add(new Instruction.Mlockall(1 + g.rnd.nextInt(3)))),
            new Kind("munlockall", 1, g -> !g.inThread, g -> g.out.add(new Instruction.Munlockall())),
            new Kind("mprotect", 2, g -> !g.inThread && g.pick(ANY) >= 0, ProgramGen::mprotect),
            new Kind("madvise", 2, g -> g.pick(ANY) >= 0, ProgramGen::madvise));

    final SplittableRandom rnd;
    final Thresholds th;
    final Set<String> off;
    final Program.Fate fate;
    final List<Instruction> out = new ArrayList<>();
    Region[] regs = new Region[Instruction.REGISTERS];
    int depth;
    boolean inLoop;
    boolean inThread;
    /** Between a body's closer and its wait: no blocks, busy registers left alone. */
    boolean pending;
    /** Registers named by the code of the innermost open fork or thread body (and its nested ones). */
    BitSet used = new BitSet();
    /** Registers a running body may use or write: the starter leaves them alone until its wait. */
    final BitSet busy = new BitSet();

    ProgramGen(SplittableRandom rnd, Thresholds th, Set<String> off, Program.Fate fate) {
        this.rnd = rnd;
        this.th = th;
        this.off = off;
        this.fate = fate;
    }

    /** The code of a program of {@code statements} statements, closed as its fate requires. */
    List<Instruction> program(int statements) {
        for (int s = 0; s < statements; s++) statement();
        if (fate == Program.Fate.SEGV) {
            segvTail();
        } else if (!off.contains("exit") && rnd.nextInt(3) == 0) {
            out.add(new Instruction.Exit());
        }
        return out;
    }

    boolean outsideLoopAndThread() { return !inLoop && !inThread; }

    int mapped() {
        int n = 0;
        for (Region m : regs) if (m != null) n++;
        return n;
    }

    /** A mapped register that is not busy and satisfies {@code ok}, drawn uniformly, or -1. */
    int pick(Predicate<Region> ok) {
        List<Integer> l = new ArrayList<>();
        for (int i = 0; i < regs.length; i++) {
            if (regs[i] != null && !busy.get(i) && ok.test(regs[i])) l.add(i);
        }
        return l.isEmpty() ? -1 : l.get(rnd.nextInt(l.size()));
    }

    /** {@link #pick} and note the register as used by the current body. */
    private int take(Predicate<Region> ok) {
        int reg = pick(ok);
        used.set(reg);
        return reg;
    }

    /** Emits one statement of an enabled, applicable kind; false if none applies. */
    boolean statement() {
        List<Kind> ok = new ArrayList<>();
        int total = 0;
        for (Kind k : KINDS) {
            if (!off.contains(k.name()) && k.applies().test(this)) {
                ok.add(k);
                total += k.weight();
            }
        }
        if (ok.isEmpty()) return false;
        int x = rnd.nextInt(total);
        for (Kind k : ok) {
            x -= k.weight();
            if (x < 0) {
                k.emit().accept(this);
                return true;
            }
        }
        throw new IllegalStateException();
    }

    /** A size in pages around one of the machine's thresholds. */
    long pages() {
        long base = th.named().get(rnd.nextInt(th.named().size())).pages();
        long p = switch (rnd.nextInt(5)) {
            case 0 -> base - 1;
            case 1 -> base + 1;
            case 2 -> base / 2;
            case 3 -> base * 2;
            default -> base;
        };
        return Math.max(1, Math.min(p, th.freeAtBoot()));
    }

    /** A page range inside one run of {@code r}'s mapped pages: {start, count}; count is one page, the run, or a threshold. */
    private long[] range(Region r, long most) {
        int run = rnd.nextInt(r.runs().length / 2);
        long a = r.runs()[2 * run], len = r.runs()[2 * run + 1] - a;
        long count = switch (rnd.nextInt(3)) {
            case 0 -> 1;
            case 1 -> len;
            default -> Math.min(pages(), len);
        };
        count = Math.max(1, Math.min(count, most));
        return new long[] {a + rnd.nextLong(len - count + 1), count};
    }

    static void map(ProgramGen g) {
        int reg = 0;
        while (g.regs[reg] != null) reg++;
        Prot prot = g.rnd.nextInt(5) == 0 ? Prot.RO : Prot.RW;
        boolean shared = !g.off.contains("shared") && g.rnd.nextInt(3) == 0;
        Mmap m = new Mmap(reg, g.pages(), prot, shared);
        g.regs[reg] = new Region(m, new long[] {0, m.pages()}, prot == Prot.RW ? Protect.RW : Protect.RO);
        g.used.set(reg);
        g.out.add(m);
    }

    static void unmap(ProgramGen g) {
        int reg = g.take(ANY);
        g.regs[reg] = null;
        g.out.add(new Instruction.Munmap(reg));
    }

    /** A partial unmap: some pages go, at least one stays. */
    static void unmapRange(ProgramGen g) {
        int reg = g.take(r -> r.mappedPages() >= 2);
        Region r = g.regs[reg];
        long[] pc = g.range(r, r.mappedPages() - 1);
        g.regs[reg] = r.minus(pc[0], pc[0] + pc[1]);
        g.out.add(new Instruction.UnmapRange(reg, pc[0], pc[1]));
    }

    static void write(ProgramGen g) {
        g.out.add(new Instruction.Write(g.take(WRITABLE)));
    }

    static void writeRange(ProgramGen g) {
        int reg = g.take(WRITABLE);
        long[] pc = g.range(g.regs[reg], Long.MAX_VALUE);
        g.out.add(new Instruction.WriteRange(reg, pc[0], pc[1]));
    }

    static void verify(ProgramGen g) {
        g.out.add(new Instruction.Verify(g.take(READABLE)));
    }

    static void verifyRange(ProgramGen g) {
        int reg = g.take(READABLE);
        long[] pc = g.range(g.regs[reg], Long.MAX_VALUE);
        g.out.add(new Instruction.VerifyRange(reg, pc[0], pc[1]));
    }

    static void touch(ProgramGen g) {
        int reg = g.take(READABLE);
        long pages = g.regs[reg].map().pages();
        Order order = Order.values()[g.rnd.nextInt(Order.values().length)];
        long n = switch (order) {
            case SEQ -> 0;
            case STRIDE -> 1 + g.rnd.nextInt(16);
            case RANDOM -> 1 + g.rnd.nextLong(2 * pages);
        };
        Access access = g.regs[reg].writable() && g.rnd.nextBoolean() ? Access.WRITE : Access.READ;
        g.out.add(new Instruction.Touch(reg, order, n, access));
    }

    static void sleep(ProgramGen g) {
        g.out.add(new Instruction.Sleep(1000L * Grammar.logUniform(g.rnd, 1, 20_000)));
    }

    /** mlock or munlock of the whole region or of a range. */
    void lock(boolean lock) {
        int reg = take(ANY);
        long[] pc = rnd.nextBoolean() ? new long[] {0, 0} : range(regs[reg], Long.MAX_VALUE);
        out.add(lock ? new Instruction.Mlock(reg, pc[0], pc[1]) : new Instruction.Munlock(reg, pc[0], pc[1]));
    }

    /**
     * mprotect of the whole region or of a range. Inside a loop only rw: a later pass must find
     * the access an earlier one was written for, and widening never takes it away.
     */
    static void mprotect(ProgramGen g) {
        int reg = g.take(ANY);
        Region r = g.regs[reg];
        Protect p = g.inLoop ? Protect.RW : Protect.values()[g.rnd.nextInt(Protect.values().length)];
        boolean whole = g.rnd.nextBoolean();
        long[] pc = whole ? new long[] {0, 0} : g.range(r, Long.MAX_VALUE);
        // A whole-region mprotect sets every page's access; a range can only make the most restrictive one stricter.
        Protect now = whole ? p : p.ordinal() < r.access().ordinal() ? p : r.access();
        g.regs[reg] = r.withAccess(now);
        g.out.add(new Instruction.Mprotect(reg, p, pc[0], pc[1]));
    }

    static void madvise(ProgramGen g) {
        int reg = g.take(ANY);
        Advice a = Advice.values()[g.rnd.nextInt(Advice.values().length)];
        long[] pc = g.rnd.nextBoolean() ? new long[] {0, 0} : g.range(g.regs[reg], Long.MAX_VALUE);
        g.out.add(new Instruction.Madvise(reg, a, pc[0], pc[1]));
    }

    static void loop(ProgramGen g) {
        g.out.add(new Instruction.Loop(1 + g.rnd.nextInt(3)));
        boolean wasInLoop = g.inLoop;
        g.inLoop = true;
        g.depth++;
        int before = g.out.size();
        int n = 1 + g.rnd.nextInt(3);
        for (int i = 0; i < n; i++) g.statement();
        g.depth--;
        g.inLoop = wasInLoop;
        // A loop body must act: when no enabled kind applied, the loop is not written at all.
        if (g.out.size() == before) {
            g.out.removeLast();
        } else {
            g.out.add(new Instruction.EndLoop());
        }
    }

    static void fork(ProgramGen g) {
        g.out.add(new Instruction.Fork());
        Region[] saved = g.regs.clone();
        BitSet outer = g.used;
        g.used = new BitSet();
        boolean wasInLoop = g.inLoop;
        // The child's registers do not outlive its block: it may map and unmap freely.
        g.inLoop = false;
        g.depth++;
        int n = 1 + g.rnd.nextInt(3);
        for (int i = 0; i < n; i++) g.statement();
        if (!g.off.contains("exit") && g.rnd.nextInt(4) == 0) g.out.add(new Instruction.Exit());
        g.depth--;
        g.inLoop = wasInLoop;
        g.regs = saved;
        g.out.add(new Instruction.EndFork());
        // Only the shared regions the child named run beside the parent; private ones are the child's copies.
        BitSet reach = new BitSet();
        for (int r = 0; r < saved.length; r++) if (saved[r] != null && saved[r].map().shared()) reach.set(r);
        BitSet body = g.used;
        g.used = outer;
        g.used.or(body);
        body.and(reach);
        if (!body.isEmpty()) g.waitFor(body);
    }

    static void thread(ProgramGen g) {
        g.out.add(new Instruction.StartThread());
        int before = g.out.size();
        BitSet outer = g.used;
        g.used = new BitSet();
        g.inThread = true;
        g.depth++;
        int n = 1 + g.rnd.nextInt(3);
        for (int i = 0; i < n; i++) g.statement();
        g.depth--;
        g.inThread = false;
        BitSet body = g.used;
        g.used = outer;
        g.used.or(body);
        if (g.out.size() == before) {
            g.out.removeLast();
            return;
        }
        g.out.add(new Instruction.EndThread());
        g.waitFor(body);
    }

    /** After a body that may use {@code regs}: up to two statements that leave them alone, then wait. */
    private void waitFor(BitSet regsUsed) {
        busy.or(regsUsed);
        pending = true;
        int n = rnd.nextInt(3);
        for (int i = 0; i < n; i++) statement();
        pending = false;
        busy.clear();
        out.add(new Instruction.Wait());
    }

    /**
     * Whether a program can end with a faulting access written only with kinds that are on:
     * {@code write} or {@code touch ... write} to a fresh ro region, or an mprotect then a
     * {@code verify} or a {@code touch}.
     */
    static boolean segvPossible(Set<String> off) {
        return !off.contains("write") || !off.contains("touch") || (!off.contains("mprotect") && !off.contains("verify"));
    }

    /**
     * The end of a program that expects {@code segv}: a region loses its access and is then
     * accessed, or a fresh region mapped {@code ro} is written; one of those forms whose kinds
     * are on, drawn uniformly.
     */
    private void segvTail() {
        List<Integer> forms = new ArrayList<>();
        if (!off.contains("mprotect") && !off.contains("verify")) forms.add(0);
        if (!off.contains("mprotect") && !off.contains("touch")) forms.add(1);
        if (!off.contains("write")) forms.add(2);
        if (!off.contains("touch")) forms.add(3);
        int form = forms.get(rnd.nextInt(forms.size()));
        int reg = form <= 1 ? pick(ANY) : -1;
        if (reg < 0) {
            reg = 0;
            while (regs[reg] != null) reg++;
            Mmap m = new Mmap(reg, pages(), form <= 1 ? Prot.RW : Prot.RO);
            regs[reg] = new Region(m, new long[] {0, m.pages()}, form <= 1 ? Protect.RW : Protect.RO);
            out.add(m);
        }
        switch (form) {
            case 0 -> {
                out.add(new Instruction.Mprotect(reg, Protect.NONE, 0, 0));
                out.add(new Instruction.Verify(reg));
            }
            case 1 -> {
                out.add(new Instruction.Mprotect(reg, Protect.RO, 0, 0));
                out.add(new Instruction.Touch(reg, Order.SEQ, 0, Access.WRITE));
            }
            case 2 -> out.add(new Instruction.Write(reg));
            default -> out.add(new Instruction.Touch(reg, Order.SEQ, 0, Access.WRITE));
        }
        regs[reg] = regs[reg].withAccess(Protect.NONE);
    }
}
