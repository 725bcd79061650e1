package org.dfemu.kernel.harness.workload;

import java.util.List;

/**
 * One workload program: its name, how many copies of it the kernel starts at boot, and its code
 * (a flat instruction list, see {@link Instruction}). A {@code Program} is always valid: the
 * constructor runs {@link ProgramCheck}, so whoever interprets one may rely on properly nested
 * blocks and on every register being mapped where it is used.
 *
 * @param name   1..{@link #NAME_MAX} characters of letters, digits, {@code _ . -}; unique in a
 *               {@link Workload}; the processes' command name
 * @param copies processes started from it at boot, 0..{@link #COPIES_MAX} (0 keeps it in the
 *               image without running it)
 * @param code   at most {@link #CODE_MAX} instructions; may be empty (the process exits at once)
 * @param expect the fate every copy (and every process forked from one) must meet for the run to
 *               end {@code result: ok}; {@link Fate#EXIT} unless the spec says otherwise
 */
public record Program(String name, int copies, List<Instruction> code, Fate expect) {
    /** How a process of the program ends: {@code program NAME ... expect exit|segv|killed|exit-or-killed|segv-or-killed}. */
    public enum Fate {
        /** It runs to its end (its {@code exit}, the program's end, or its fork block's end). */
        EXIT(0, "exit"),
        /** A user access fails and SIGSEGV kills it (a store to a ro region, ...). */
        SEGV(1, "segv"),
        /** Anything else ends it early: the pageout daemon kills it for lack of memory, or its mmap fails. */
        KILLED(2, "killed"),
        /**
         * {@link #EXIT}, or {@link #KILLED} if memory and swap run out first: for programs that
         * together may need more than RAM plus swap, where the OOM kill is the kernel doing its job.
         */
        EXIT_OR_KILLED(3, "exit-or-killed"),
        /** {@link #SEGV}, or {@link #KILLED} if memory and swap run out first (as {@link #EXIT_OR_KILLED}). */
        SEGV_OR_KILLED(4, "segv-or-killed");

        private final int code;
        private final String word;

        Fate(int code, String word) {
            this.code = code;
            this.word = word;
        }

        /** The encoded value (program format version 2). */
        public int code() { return code; }

        /** The spec's word. */
        public String word() { return word; }

        /** True if a process expected to meet this fate may end with {@code met}. */
        public boolean accepts(Fate met) {
            return met == this || met == KILLED && (this == EXIT_OR_KILLED || this == SEGV_OR_KILLED)
                    || met == EXIT && this == EXIT_OR_KILLED || met == SEGV && this == SEGV_OR_KILLED;
        }

        /** True if the program ends with a store SIGSEGV is expected to stop ({@link #SEGV} or {@link #SEGV_OR_KILLED}). */
        public boolean segv() { return this == SEGV || this == SEGV_OR_KILLED; }
    }

    /** Longest name: DragonFly's MAXCOMLEN, the size of a process's command name. */
    public static final int NAME_MAX = 16;
    /** Most copies of one program started at boot. */
    public static final int COPIES_MAX = 256;
    /** Most instructions in one program. */
    public static final int CODE_MAX = 65536;
    /** Deepest nesting of loop and fork blocks. */
    public static final int DEPTH_MAX = 16;

    /**
     * @throws IllegalArgumentException with {@link ProgramCheck}'s message if the program is not
     *         valid; use {@link #of} to get the checked {@link ProgramFormatException} instead.
     */
    public Program {
        if (expect == null) throw new IllegalArgumentException("program " + name + ": no expected fate");
        code = List.copyOf(code);
        try {
            ProgramCheck.check(name, copies, code, expect);
        } catch (ProgramFormatException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** A program whose processes are expected to exit. */
    public Program(String name, int copies, List<Instruction> code) {
        this(name, copies, code, Fate.EXIT);
    }

    /** {@link #of(String, int, List)} with an expected fate other than the default. */
    public static Program of(String name, int copies, List<Instruction> code, Fate expect) throws ProgramFormatException {
        ProgramCheck.check(name, copies, code, expect);
        return new Program(name, copies, code, expect);
    }

    /**
     * Builds a program, reporting the first problem as a checked exception that names the
     * offending instruction's index. No requirements.
     */
    public static Program of(String name, int copies, List<Instruction> code) throws ProgramFormatException {
        ProgramCheck.check(name, copies, code);
        return new Program(name, copies, code);
    }
}
