package org.dfemu.tools.explore;

import java.util.List;
import org.dfemu.kernel.harness.workload.Instruction;
import org.dfemu.kernel.harness.workload.Program;

/**
 * An upper bound on the anonymous memory a generated scenario's processes can hold at once, in
 * pages, read from the code alone: every process is counted with every region its program maps
 * (a region mapped inside a loop is live once per process at a time, since each pass ends with
 * the regions it began with), and a program's processes are its copies times one plus each
 * {@code fork}'s executions (the product of the loop counts around it, fork bodies included). A
 * {@code shared} region is counted in every process that has it, so the bound is loose where
 * children share; threads add nothing (they share the address space).
 *
 * <p>{@link Grammar} compares it with RAM plus swap: a scenario that may need more can end with
 * the pageout daemon's OOM kill, which is then the kernel doing its job, not a failure.
 */
final class Demand {
    private Demand() {}

    /** The bound for a whole scenario's programs. */
    static long scenarioPages(List<Program> programs) {
        long total = 0;
        for (Program p : programs) total = saturatedAdd(total, saturatedMul(p.copies(), programPages(p.code())));
        return total;
    }

    /** The bound for one copy of a program: its processes times the pages its maps name. */
    static long programPages(List<Instruction> code) {
        long mapped = 0;
        long processes = 1;
        long[] loops = new long[code.size() + 1];
        int depth = 0;
        long mult = 1;
        for (Instruction in : code) {
            switch (in) {
                case Instruction.Mmap m -> mapped = saturatedAdd(mapped, m.pages());
                case Instruction.Loop l -> {
                    loops[depth++] = mult;
                    mult = saturatedMul(mult, l.count());
                }
                case Instruction.EndLoop e -> mult = depth > 0 ? loops[--depth] : 1;
                case Instruction.Fork f -> processes = saturatedAdd(processes, mult);
                default -> { }
            }
        }
        return saturatedMul(processes, mapped);
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return r < 0 ? Long.MAX_VALUE : r;
    }

    private static long saturatedMul(long a, long b) {
        return Math.multiplyHigh(a, b) != 0 || a * b < 0 ? Long.MAX_VALUE : a * b;
    }
}
