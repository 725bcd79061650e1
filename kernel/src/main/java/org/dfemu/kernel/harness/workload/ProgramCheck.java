package org.dfemu.kernel.harness.workload;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Deque;
import java.util.List;
import java.util.regex.Pattern;
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
 * Checks how a program's instructions fit together; the operands of each one were checked when
 * its record was built. The rules, numbered as in disk-images/README.md (which says the same in
 * a user's words):
 *
 * <ol>
 *   <li>Blocks nest: every {@code loop} has its {@code endloop} and every {@code fork} its
 *       {@code endfork}, the innermost open block closing first, at most
 *       {@link Program#DEPTH_MAX} deep.</li>
 *   <li>Registers: since the code has no conditionals and every loop pass starts alike (rule 3),
 *       which regions are mapped at each instruction is known before it runs. {@code map} needs
 *       its register unmapped; {@code unmap}, {@code write}, {@code verify} and {@code touch}
 *       need it mapped; {@code write} and {@code touch ... write} need it {@code rw} (unless the
 *       program expects {@code segv}: then such a write is how it meets its fate). A fork or
 *       thread block starts with the starter's registers (a child's are its copy-on-write
 *       copies) and the starter continues after {@code endfork} or {@code endthread} with its
 *       registers as they were at {@code fork} or {@code thread}.</li>
 *   <li>A loop body ends with the same regions mapped (same sizes and protections, same pages
 *       left) as it began, so every pass sees the registers the first one did.</li>
 *   <li>A loop body contains a map, unmap, write, verify, touch, sleep or fork, directly or in a
 *       nested loop, so every pass produces an action: the interpreter never spins.</li>
 *   <li>{@code exit} is the last instruction of the program or of a fork block: with no
 *       conditionals, anything after it would never run.</li>
 *   <li>At most {@link Program#CODE_MAX} instructions per program.</li>
 *   <li>Threads: a {@code thread} block closes with {@code endthread} (nesting as rule 1) and
 *       holds no map, unmap, fork, thread, wait or exit. Every thread is waited for
 *       ({@code wait}) before the end of the block that started it (the program, a fork block,
 *       a loop body's pass).</li>
 *   <li>Sharing: from a {@code fork} or {@code thread} to the next {@code wait} of the same
 *       block, its body runs beside the rest. A region it can reach (every region for a thread,
 *       the {@code shared} ones for a fork) that one side writes ({@code write}, or
 *       {@code unmap} by the starter) is used (write, verify, touch, unmap) by no other side:
 *       not by the starter, nor by another fork or thread body running then. A fork block that
 *       forks children writing shared regions waits for them before its end. A {@code fork}
 *       while a thread of the process runs copies the private regions that thread writes
 *       mid-write: the fork block uses such a copy only after a whole {@code write} of it. So
 *       what each region holds at every {@code verify} is known before the program runs.</li>
 *   <li>Page ranges: a range ({@code PAGE COUNT}) lies inside the region as mapped and all its
 *       pages are still mapped; {@code unmap rN PAGE COUNT} removes pages (the register is
 *       unmapped once none is left), and rule 3 compares the pages left too.</li>
 *   <li>Memory control: {@code mlock}, {@code munlock}, {@code mprotect} and {@code madvise}
 *       need the register mapped. {@code mprotect} does not change the protection rule 2
 *       checks: what it forbids shows at run time as SIGSEGV.</li>
 *   <li>Of the memory-control instructions a thread block holds only the range {@code write}
 *       and {@code verify} and {@code madvise}: {@code mlock}, {@code munlock},
 *       {@code mlockall}, {@code munlockall}, {@code mprotect} and {@code unmap} change the
 *       address space every thread of the process shares, as map and unmap do. For rule 8,
 *       {@code madvise} with dontneed or free, {@code mprotect} and a range {@code write} or
 *       {@code unmap} write the region; {@code madvise willneed}, {@code mlock},
 *       {@code munlock} and a range {@code verify} use it.</li>
 * </ol>
 */
public final class ProgramCheck {
    private ProgramCheck() {}

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");

    /**
     * Checks a program's name, copies and code against the rules above and the limits in
     * {@link Program}.
     *
     * @throws ProgramFormatException for the first problem, naming the instruction (its index
     *         from 0) if it is about one. No requirements.
     */
    public static void check(String name, int copies, List<Instruction> code) throws ProgramFormatException {
        check(name, copies, code, Program.Fate.EXIT);
    }

    /**
     * {@link #check(String, int, List)} for a program expected to meet {@code expect}: one that
     * expects {@link Program.Fate#SEGV} may write its {@code ro} regions (that is how it meets it).
     */
    public static void check(String name, int copies, List<Instruction> code, Program.Fate expect) throws ProgramFormatException {
        checkName(name);
        if (copies < 0 || copies > Program.COPIES_MAX) {
            throw new ProgramFormatException(name, "copies " + copies + " is out of range 0.." + Program.COPIES_MAX);
        }
        if (code.size() > Program.CODE_MAX) {
            throw new ProgramFormatException(name, code.size() + " instructions, more than the " + Program.CODE_MAX + " allowed");
        }
        new Walk(name, code, expect.segv()).run();
    }

    /**
     * Checks a program name: 1..{@link Program#NAME_MAX} letters, digits, {@code _ . -}.
     *
     * @throws ProgramFormatException naming the problem. No requirements.
     */
    public static void checkName(String name) throws ProgramFormatException {
        if (name == null || name.isEmpty() || name.length() > Program.NAME_MAX || !NAME.matcher(name).matches()) {
            throw new ProgramFormatException("bad program name '" + name + "' (1.." + Program.NAME_MAX
                    + " letters, digits, '_', '.', '-')");
        }
    }

    /**
     * For each {@code fork} in {@code code}, the index of its {@code endfork}; -1 at every other
     * index. {@code code} must have passed {@link #check}.
     */
    static int[] forkEnds(List<Instruction> code) {
        int[] ends = new int[code.size()];
        Arrays.fill(ends, -1);
        Deque<Integer> open = new ArrayDeque<>();
        for (int i = 0; i < code.size(); i++) {
            switch (code.get(i)) {
                case Loop l -> open.push(i);
                case Fork f -> open.push(i);
                case StartThread t -> open.push(i);
                case EndLoop e -> open.pop();
                case EndFork e -> ends[open.pop()] = i;
                case EndThread e -> ends[open.pop()] = i;
                default -> { }
            }
        }
        return ends;
    }

    /** One pass over the code with the register state and the open blocks. */
    private static final class Walk {
        private enum Kind { LOOP, FORK, THREAD }

        private final String name;
        private final List<Instruction> code;
        /** Pages of the region in each register; 0 when unmapped. */
        private long[] pages = new long[Instruction.REGISTERS];
        private Prot[] prot = new Prot[Instruction.REGISTERS];
        /** Per register: mapped {@code shared}, and an id for the region it names (0: none). */
        private boolean[] shared = new boolean[Instruction.REGISTERS];
        private int[] region = new int[Instruction.REGISTERS];
        private int regions;
        /** The pages of each mapped register still mapped (a partial unmap leaves holes); null when unmapped. */
        private PageRuns[] runs = new PageRuns[Instruction.REGISTERS];
        private final Deque<Block> open = new ArrayDeque<>();
        /** The code running as one process thread: the program, then each open fork or thread body. */
        private final Deque<Frame> frames = new ArrayDeque<>();
        private int threadDepth;

        /** An open block and the registers as they were when it opened. */
        private static final class Block {
            final int opener;
            final Kind kind;
            final long[] pages;
            final Prot[] prot;
            final boolean[] shared;
            final int[] region;
            /** Something in the body (nested loops included) produces an action. */
            boolean acts;

            final PageRuns[] runs;

            Block(int opener, Kind kind, long[] pages, Prot[] prot, boolean[] shared, int[] region, PageRuns[] runs) {
                this.opener = opener;
                this.kind = kind;
                this.pages = pages.clone();
                this.prot = prot.clone();
                this.shared = shared.clone();
                this.region = region.clone();
                this.runs = runs.clone();
            }
        }

        /** A fork or thread body still running beside its starter (until a wait). */
        private record Party(int opener, boolean thread, BitSet uses, BitSet writes) {
            String what() { return (thread ? "the thread started" : "the child forked") + " at instruction " + opener; }
        }

        /** One thread of control: its own region uses, and the bodies it started that may still run. */
        private static final class Frame {
            /** Regions this code can share with its starter (for the program: none). */
            final BitSet reach;
            final BitSet uses = new BitSet();
            final BitSet writes = new BitSet();
            final List<Party> running = new ArrayList<>();
            /**
             * A fork body's copies of regions a thread of its parent was writing when the fork
             * copied them, by region id: the thread started at that instruction. Until the body
             * writes the whole region again, what such a copy holds is not known.
             */
            final java.util.Map<Integer, Integer> unknown = new java.util.HashMap<>();

            Frame(BitSet reach) {
                this.reach = reach;
            }
        }

        /** The program expects SIGSEGV: writes to ro regions are allowed. */
        private final boolean roWrites;

        Walk(String name, List<Instruction> code, boolean roWrites) {
            this.name = name;
            this.code = code;
            this.roWrites = roWrites;
            frames.push(new Frame(new BitSet()));
        }

        void run() throws ProgramFormatException {
            for (int i = 0; i < code.size(); i++) {
                Instruction in = code.get(i);
                // Before a fork pushes its own block, so the fork counts for the enclosing body.
                if (acts(in) && !open.isEmpty()) open.peek().acts = true;
                if (threadDepth > 0 && (in instanceof Mmap || in instanceof Munmap || in instanceof Fork
                        || in instanceof StartThread || in instanceof Wait || in instanceof Exit
                        || in instanceof Instruction.UnmapRange || in instanceof Instruction.Mlock
                        || in instanceof Instruction.Munlock || in instanceof Instruction.Mlockall
                        || in instanceof Instruction.Munlockall || in instanceof Instruction.Mprotect)) {
                    throw error(i, "'" + in.text().split(" ")[0] + "' inside a thread block (a thread only writes, verifies, "
                            + "touches, madvises, sleeps and loops)");
                }
                switch (in) {
                    case Mmap m -> {
                        if (pages[m.reg()] != 0) throw error(i, "r" + m.reg() + " is already mapped");
                        pages[m.reg()] = m.pages();
                        prot[m.reg()] = m.prot();
                        shared[m.reg()] = m.shared();
                        region[m.reg()] = ++regions;
                        runs[m.reg()] = PageRuns.all(m.pages());
                    }
                    case Munmap u -> {
                        mapped(i, u.reg());
                        use(i, u.reg(), true);
                        pages[u.reg()] = 0;
                        prot[u.reg()] = null;
                        shared[u.reg()] = false;
                        region[u.reg()] = 0;
                        runs[u.reg()] = null;
                    }
                    case Write w -> {
                        writable(i, w.reg());
                        // Writing every page still mapped makes a copy of unknown contents known again.
                        frames.peek().unknown.remove(region[w.reg()]);
                        use(i, w.reg(), true);
                    }
                    case Verify v -> {
                        mapped(i, v.reg());
                        use(i, v.reg(), false);
                    }
                    case Touch t -> {
                        if (t.access() == Instruction.Access.WRITE) writable(i, t.reg());
                        else mapped(i, t.reg());
                        // A touch that writes stores what the page holds already: a read for sharing.
                        use(i, t.reg(), false);
                    }
                    case Sleep s -> { }
                    case Loop l -> openBlock(i, Kind.LOOP);
                    case Fork f -> {
                        openBlock(i, Kind.FORK);
                        Frame parent = frames.peek();
                        BitSet reach = new BitSet();
                        java.util.Map<Integer, Integer> unknown = new java.util.HashMap<>();
                        for (int r = 0; r < Instruction.REGISTERS; r++) {
                            if (region[r] == 0) continue;
                            if (shared[r]) {
                                reach.set(region[r]);
                                continue;
                            }
                            // A private region a running thread writes is copied mid-write (rule 8).
                            Integer writer = parent.unknown.get(region[r]);
                            for (Party p : parent.running) {
                                if (writer == null && p.thread() && p.writes().get(region[r])) writer = p.opener();
                            }
                            region[r] = ++regions;   // the child's copy-on-write copy
                            if (writer != null) unknown.put(region[r], writer);
                        }
                        Frame child = new Frame(reach);
                        child.unknown.putAll(unknown);
                        frames.push(child);
                    }
                    case StartThread t -> {
                        openBlock(i, Kind.THREAD);
                        BitSet reach = new BitSet();
                        for (int r = 0; r < Instruction.REGISTERS; r++) {
                            if (region[r] != 0) reach.set(region[r]);
                        }
                        frames.push(new Frame(reach));
                        threadDepth++;
                    }
                    case Wait w -> frames.peek().running.clear();
                    case EndLoop e -> endLoop(i);
                    case EndFork e -> endBody(i, Kind.FORK);
                    case EndThread e -> endBody(i, Kind.THREAD);
                                        // memory-control instructions and page ranges
                    case Instruction.Mlock l -> {
                        range(i, l.reg(), l.page(), l.count());
                        use(i, l.reg(), false);
                    }
                    case Instruction.Munlock l -> {
                        range(i, l.reg(), l.page(), l.count());
                        use(i, l.reg(), false);
                    }
                    case Instruction.Mlockall l -> { }
                    case Instruction.Munlockall l -> { }
                    case Instruction.Mprotect m -> {
                        range(i, m.reg(), m.page(), m.count());
                        use(i, m.reg(), true);
                    }
                    case Instruction.Madvise m -> {
                        range(i, m.reg(), m.page(), m.count());
                        use(i, m.reg(), m.advice() != Instruction.Advice.WILLNEED);
                    }
                    case Instruction.WriteRange w -> {
                        writable(i, w.reg());
                        range(i, w.reg(), w.page(), w.count());
                        use(i, w.reg(), true);
                    }
                    case Instruction.VerifyRange v -> {
                        range(i, v.reg(), v.page(), v.count());
                        use(i, v.reg(), false);
                    }
                    case Instruction.UnmapRange u -> {
                        range(i, u.reg(), u.page(), u.count());
                        use(i, u.reg(), true);
                        PageRuns left = runs[u.reg()].minus(u.page(), u.page() + u.count());
                        runs[u.reg()] = left.isEmpty() ? null : left;
                        if (left.isEmpty()) {
                            pages[u.reg()] = 0;
                            prot[u.reg()] = null;
                            shared[u.reg()] = false;
                            region[u.reg()] = 0;
                        }
                    }
                    case Exit x -> {
                        boolean last = i == code.size() - 1 && open.isEmpty();
                        boolean endsFork = i + 1 < code.size() && code.get(i + 1) instanceof EndFork
                                && !open.isEmpty() && open.peek().kind == Kind.FORK;
                        if (!last && !endsFork) {
                            throw error(i, "'exit' must be the last instruction of the program or of a fork block");
                        }
                    }
                }
            }
            if (!open.isEmpty()) {
                Block b = open.peek();
                throw error(b.opener, switch (b.kind) {
                    case LOOP -> "'loop' has no matching 'endloop'";
                    case FORK -> "'fork' has no matching 'endfork'";
                    case THREAD -> "'thread' has no matching 'endthread'";
                });
            }
            for (Party p : frames.peek().running) {
                if (p.thread()) throw error(p.opener(), "the thread is not waited for: 'wait' before the program ends");
            }
        }

        private static boolean acts(Instruction in) {
            return !(in instanceof Loop || in instanceof EndLoop || in instanceof EndFork || in instanceof Exit
                    || in instanceof EndThread);
        }

        private void openBlock(int i, Kind kind) throws ProgramFormatException {
            if (open.size() == Program.DEPTH_MAX) {
                throw error(i, "blocks nested deeper than " + Program.DEPTH_MAX);
            }
            open.push(new Block(i, kind, pages, prot, shared, region, runs));
        }

        /** The register's region is used (written when {@code write}) by the code running now. */
        private void use(int i, int reg, boolean write) throws ProgramFormatException {
            int id = region[reg];
            Frame f = frames.peek();
            Integer writer = f.unknown.get(id);
            if (writer != null) {
                throw error(i, "r" + reg + " was copied by 'fork' at instruction " + frameOpener() + " while the thread started at instruction "
                        + writer + " was writing it: what the copy holds is not known ('wait' before 'fork', or 'write r" + reg
                        + "' in the fork block first)");
            }
            for (Party p : f.running) {
                if (p.uses().get(id) && (write || p.writes().get(id))) {
                    throw error(i, "r" + reg + " is shared with " + p.what() + ", which "
                            + (p.writes().get(id) ? "writes" : "uses") + " it: not before 'wait'");
                }
            }
            f.uses.set(id);
            if (write) f.writes.set(id);
        }

        private void endLoop(int i) throws ProgramFormatException {
            if (open.isEmpty()) throw error(i, "'endloop' without 'loop'");
            Block b = open.peek();
            if (b.kind != Kind.LOOP) {
                throw error(i, "'endloop' inside an open " + (b.kind == Kind.FORK ? "fork" : "thread") + " block (close it with '"
                        + (b.kind == Kind.FORK ? "endfork" : "endthread") + "' first)");
            }
            if (!b.acts) {
                throw error(b.opener, "loop body does nothing (it needs a map, unmap, write, verify, touch, sleep or fork)");
            }
            for (int r = 0; r < Instruction.REGISTERS; r++) {
                if (pages[r] != b.pages[r] || prot[r] != b.prot[r] || shared[r] != b.shared[r]
                        || !java.util.Objects.equals(runs[r], b.runs[r])) {
                    throw error(i, "each pass of a loop must end with the regions it began with: r" + r + " was "
                            + state(b.pages[r], b.prot[r], b.shared[r], b.runs[r]) + " at 'loop' and is "
                            + state(pages[r], prot[r], shared[r], runs[r])
                            + " here");
                }
            }
            for (Party p : frames.peek().running) {
                if (p.opener() > b.opener && (p.thread() || !p.writes().isEmpty())) {
                    throw error(p.opener(), p.what() + " inside a loop body is not waited for in the same pass ('wait' before 'endloop')");
                }
            }
            open.pop();
            // A body that acts makes the enclosing body act too.
            if (!open.isEmpty()) open.peek().acts = true;
        }

        private void endBody(int i, Kind kind) throws ProgramFormatException {
            String opener = kind == Kind.FORK ? "fork" : "thread";
            String closer = kind == Kind.FORK ? "endfork" : "endthread";
            if (open.isEmpty()) throw error(i, "'" + closer + "' without '" + opener + "'");
            Block b = open.peek();
            if (b.kind != kind) {
                String other = switch (b.kind) {
                    case LOOP -> "loop block (close it with 'endloop' first)";
                    case FORK -> "fork block (close it with 'endfork' first)";
                    case THREAD -> "thread block (close it with 'endthread' first)";
                };
                throw error(i, "'" + closer + "' inside an open " + other);
            }
            Frame body = frames.pop();
            for (Party p : body.running) {
                if (p.thread() || !p.writes().isEmpty()) {
                    throw error(p.opener(), p.what() + (p.thread() ? "" : " writes shared regions and")
                            + " is not waited for before the end of the fork block");
                }
            }
            open.pop();
            if (kind == Kind.THREAD) threadDepth--;
            // The child or thread ends here; the starter goes on with the registers it had.
            pages = b.pages;
            prot = b.prot;
            shared = b.shared;
            region = b.region;
            runs = b.runs;
            BitSet uses = (BitSet) body.uses.clone();
            uses.and(body.reach);
            BitSet writes = (BitSet) body.writes.clone();
            writes.and(body.reach);
            Party party = new Party(b.opener, kind == Kind.THREAD, uses, writes);
            Frame f = frames.peek();
            for (Party q : f.running) {
                if (party.writes().intersects(q.uses()) || q.writes().intersects(party.uses())) {
                    BitSet both = (BitSet) party.writes().clone();
                    both.and(q.uses());
                    if (both.isEmpty()) {
                        both = (BitSet) q.writes().clone();
                        both.and(party.uses());
                    }
                    throw error(i, registerOf(both.nextSetBit(0)) + " is shared by " + party.what() + " and " + q.what()
                            + ", and one of them writes it: 'wait' between them");
                }
            }
            f.running.add(party);
            f.uses.or(uses);
            f.writes.or(writes);
        }

        /** The instruction that opened the innermost open fork block. */
        private int frameOpener() {
            for (Block b : open) {
                if (b.kind == Kind.FORK) return b.opener;
            }
            return -1;
        }

        private String registerOf(int id) {
            for (int r = 0; r < Instruction.REGISTERS; r++) {
                if (region[r] == id) return "r" + r;
            }
            return "a region";
        }

        private void mapped(int i, int reg) throws ProgramFormatException {
            if (pages[reg] == 0) throw error(i, "r" + reg + " is not mapped");
        }

        private void writable(int i, int reg) throws ProgramFormatException {
            mapped(i, reg);
            if (prot[reg] != Prot.RW && !roWrites) {
                throw error(i, "r" + reg + " is mapped read-only");
            }
        }

        private static String state(long pages, Prot prot, boolean shared, PageRuns runs) {
            if (pages == 0) return "unmapped";
            String s = "mapped " + Units.size(pages) + " " + prot.word() + (shared ? " shared" : "");
            return runs == null || runs.isAll(pages) ? s : s + " (pages " + runs + " left)";
        }

        /**
         * A range operand: the register mapped, and unless {@code count} is 0 (the whole
         * region), the pages {@code [page, page + count)} inside the region and all still mapped.
         */
        private void range(int i, int reg, long page, long count) throws ProgramFormatException {
            mapped(i, reg);
            if (count == 0) return;
            if (page + count > pages[reg]) {
                throw error(i, "pages " + page + ".." + (page + count - 1) + " are outside r" + reg + " (pages 0.."
                        + (pages[reg] - 1) + ")");
            }
            if (!runs[reg].covers(page, page + count)) {
                throw error(i, "pages " + page + ".." + (page + count - 1) + " of r" + reg
                        + " are not all mapped (mapped: " + runs[reg] + ")");
            }
        }

        private ProgramFormatException error(int i, String problem) {
            return new ProgramFormatException(name, i, code.get(i).text(), problem);
        }
    }
}
