package org.dfemu.kernel.harness.workload;

import java.util.ArrayDeque;
import java.util.Arrays;
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

/**
 * Checks how a program's instructions fit together; the operands of each one were checked when
 * its record was built. The rules (also in disk-images/README.md):
 *
 * <ol>
 *   <li>Blocks nest: every {@code loop} has its {@code endloop} and every {@code fork} its
 *       {@code endfork}, the innermost open block closing first, at most
 *       {@link Program#DEPTH_MAX} deep.</li>
 *   <li>Registers: since the code has no conditionals and every loop pass starts alike (rule 3),
 *       which regions are mapped at each instruction is known before it runs. {@code map} needs
 *       its register unmapped; {@code unmap}, {@code write}, {@code verify} and {@code touch}
 *       need it mapped; {@code write} and {@code touch ... write} need it {@code rw}. A fork
 *       block starts with the parent's registers (the child's copy-on-write copies) and the
 *       parent continues after {@code endfork} with its registers as they were at {@code fork}.</li>
 *   <li>A loop body ends with the same regions mapped (same sizes and protections) as it began,
 *       so every pass sees the registers the first one did.</li>
 *   <li>A loop body contains a map, unmap, write, verify, touch, sleep or fork, directly or in a
 *       nested loop, so every pass produces an action: the interpreter never spins.</li>
 *   <li>{@code exit} is the last instruction of the program or of a fork block: with no
 *       conditionals, anything after it would never run.</li>
 *   <li>Memory control and page ranges: a range ({@code PAGE COUNT}) lies inside the region as
 *       mapped and all its pages are still mapped; {@code unmap rN PAGE COUNT} removes pages
 *       (the register is unmapped once none is left), and rule 3 compares the pages left too.
 *       {@code mlock}, {@code munlock}, {@code mprotect} and {@code madvise} need the register
 *       mapped. {@code mprotect} does not change the protection rule 2 checks: what it forbids
 *       shows at run time as SIGSEGV.</li>
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
        checkName(name);
        if (copies < 0 || copies > Program.COPIES_MAX) {
            throw new ProgramFormatException(name, "copies " + copies + " is out of range 0.." + Program.COPIES_MAX);
        }
        if (code.size() > Program.CODE_MAX) {
            throw new ProgramFormatException(name, code.size() + " instructions, more than the " + Program.CODE_MAX + " allowed");
        }
        new Walk(name, code).run();
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
                case EndLoop e -> open.pop();
                case EndFork e -> ends[open.pop()] = i;
                default -> { }
            }
        }
        return ends;
    }

    /** One pass over the code with the register state and the open blocks. */
    private static final class Walk {
        private final String name;
        private final List<Instruction> code;
        /** Pages of the region in each register; 0 when unmapped. */
        private long[] pages = new long[Instruction.REGISTERS];
        private Prot[] prot = new Prot[Instruction.REGISTERS];
        /** The pages of each mapped register still mapped (a partial unmap leaves holes); null when unmapped. */
        private PageRuns[] runs = new PageRuns[Instruction.REGISTERS];
        private final Deque<Block> open = new ArrayDeque<>();

        /** An open block and the registers as they were when it opened. */
        private static final class Block {
            final int opener;
            final boolean loop;
            final long[] pages;
            final Prot[] prot;
            final PageRuns[] runs;
            /** Something in the body (nested loops included) produces an action. */
            boolean acts;

            Block(int opener, boolean loop, long[] pages, Prot[] prot, PageRuns[] runs) {
                this.opener = opener;
                this.loop = loop;
                this.pages = pages.clone();
                this.prot = prot.clone();
                this.runs = runs.clone();
            }
        }

        Walk(String name, List<Instruction> code) {
            this.name = name;
            this.code = code;
        }

        void run() throws ProgramFormatException {
            for (int i = 0; i < code.size(); i++) {
                Instruction in = code.get(i);
                // Before a fork pushes its own block, so the fork counts for the enclosing body.
                if (acts(in) && !open.isEmpty()) open.peek().acts = true;
                switch (in) {
                    case Mmap m -> {
                        if (pages[m.reg()] != 0) throw error(i, "r" + m.reg() + " is already mapped");
                        pages[m.reg()] = m.pages();
                        prot[m.reg()] = m.prot();
                        runs[m.reg()] = PageRuns.all(m.pages());
                    }
                    case Munmap u -> {
                        mapped(i, u.reg());
                        pages[u.reg()] = 0;
                        prot[u.reg()] = null;
                        runs[u.reg()] = null;
                    }
                    case Write w -> writable(i, w.reg());
                    case Verify v -> mapped(i, v.reg());
                    case Touch t -> {
                        if (t.access() == Instruction.Access.WRITE) writable(i, t.reg());
                        else mapped(i, t.reg());
                    }
                    case Sleep s -> { }
                    case Loop l -> openBlock(i, true);
                    case Fork f -> openBlock(i, false);
                    case EndLoop e -> endLoop(i);
                    case EndFork e -> endFork(i);
                    // memory-control instructions and page ranges
                    case Instruction.Mlock l -> range(i, l.reg(), l.page(), l.count());
                    case Instruction.Munlock l -> range(i, l.reg(), l.page(), l.count());
                    case Instruction.Mlockall l -> { }
                    case Instruction.Munlockall l -> { }
                    case Instruction.Mprotect m -> range(i, m.reg(), m.page(), m.count());
                    case Instruction.Madvise m -> range(i, m.reg(), m.page(), m.count());
                    case Instruction.WriteRange w -> {
                        writable(i, w.reg());
                        range(i, w.reg(), w.page(), w.count());
                    }
                    case Instruction.VerifyRange v -> range(i, v.reg(), v.page(), v.count());
                    case Instruction.UnmapRange u -> {
                        range(i, u.reg(), u.page(), u.count());
                        PageRuns left = runs[u.reg()].minus(u.page(), u.page() + u.count());
                        runs[u.reg()] = left.isEmpty() ? null : left;
                        if (left.isEmpty()) {
                            pages[u.reg()] = 0;
                            prot[u.reg()] = null;
                        }
                    }
                    case Exit x -> {
                        boolean last = i == code.size() - 1 && open.isEmpty();
                        boolean endsFork = i + 1 < code.size() && code.get(i + 1) instanceof EndFork
                                && !open.isEmpty() && !open.peek().loop;
                        if (!last && !endsFork) {
                            throw error(i, "'exit' must be the last instruction of the program or of a fork block");
                        }
                    }
                }
            }
            if (!open.isEmpty()) {
                Block b = open.peek();
                throw error(b.opener, b.loop ? "'loop' has no matching 'endloop'" : "'fork' has no matching 'endfork'");
            }
        }

        private static boolean acts(Instruction in) {
            return !(in instanceof Loop || in instanceof EndLoop || in instanceof EndFork || in instanceof Exit);
        }

        private void openBlock(int i, boolean loop) throws ProgramFormatException {
            if (open.size() == Program.DEPTH_MAX) {
                throw error(i, "blocks nested deeper than " + Program.DEPTH_MAX);
            }
            open.push(new Block(i, loop, pages, prot, runs));
        }

        private void endLoop(int i) throws ProgramFormatException {
            if (open.isEmpty()) throw error(i, "'endloop' without 'loop'");
            Block b = open.peek();
            if (!b.loop) throw error(i, "'endloop' inside an open fork block (close it with 'endfork' first)");
            if (!b.acts) {
                throw error(b.opener, "loop body does nothing (it needs a map, unmap, write, verify, touch, sleep or fork)");
            }
            for (int r = 0; r < Instruction.REGISTERS; r++) {
                if (pages[r] != b.pages[r] || prot[r] != b.prot[r] || !java.util.Objects.equals(runs[r], b.runs[r])) {
                    throw error(i, "each pass of a loop must end with the regions it began with: r" + r + " was "
                            + state(b.pages[r], b.prot[r], b.runs[r]) + " at 'loop' and is " + state(pages[r], prot[r], runs[r])
                            + " here");
                }
            }
            open.pop();
            // A body that acts makes the enclosing body act too.
            if (!open.isEmpty()) open.peek().acts = true;
        }

        private void endFork(int i) throws ProgramFormatException {
            if (open.isEmpty()) throw error(i, "'endfork' without 'fork'");
            Block b = open.peek();
            if (b.loop) throw error(i, "'endfork' inside an open loop block (close it with 'endloop' first)");
            open.pop();
            // The child exits here; the parent goes on with the registers it had at 'fork'.
            pages = b.pages;
            prot = b.prot;
            runs = b.runs;
        }

        private void mapped(int i, int reg) throws ProgramFormatException {
            if (pages[reg] == 0) throw error(i, "r" + reg + " is not mapped");
        }

        private void writable(int i, int reg) throws ProgramFormatException {
            mapped(i, reg);
            if (prot[reg] != Prot.RW) throw error(i, "r" + reg + " is mapped read-only");
        }

        private static String state(long pages, Prot prot, PageRuns runs) {
            if (pages == 0) return "unmapped";
            String s = "mapped " + Units.size(pages) + " " + prot.word();
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
