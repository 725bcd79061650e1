package org.dfemu.kernel.harness.workload;

/**
 * One instruction of a workload program, as decoded from the user partition (encoding and text
 * syntax in disk-images/README.md). A program's code is a flat list: blocks are opened by
 * {@link Loop} and {@link Fork} and closed by {@link EndLoop} and {@link EndFork}, exactly as the
 * text lines and the encoded records follow each other (a {@link StartThread} block likewise, closed
 * by {@link EndThread}), so "instruction i" means the same thing
 * in the text, the binary and an error message.
 *
 * <p>Each record checks its own operands when constructed and throws
 * {@link IllegalArgumentException} with a one-line problem in the text syntax's terms; how the
 * instructions fit together (nesting, registers) is checked by {@link ProgramCheck}.
 * {@link #text()} gives the canonical text line, which compiles back to an equal record.
 */
public sealed interface Instruction {
    /** Number of region registers, {@code r0} .. {@code r15}. */
    int REGISTERS = 16;
    /** Bytes per page: the unit of every region size. */
    long PAGE_SIZE = 4096;
    /** Largest region, in pages: 1T, far beyond any machine dfemu runs. */
    long PAGES_MAX = 1L << 28;
    /** Largest {@code touch ... random N}, and largest {@code loop N}. */
    long COUNT_MAX = 1_000_000_000L;
    /** Longest single sleep: one hour of virtual time. */
    long SLEEP_NS_MAX = 3_600_000_000_000L;

    /** The instruction as one line of program text. */
    String text();

    /** Access rights of a mapped region; the value is the mmap PROT_ bit set, as encoded. */
    enum Prot {
        /** Readable only: the region can only ever hold zeros (generation 0). */
        RO(1, "ro"),
        /** Readable and writable. */
        RW(3, "rw");

        private final int bits;
        private final String word;

        Prot(int bits, String word) {
            this.bits = bits;
            this.word = word;
        }

        /** PROT_READ (1), plus PROT_WRITE (2) for rw. */
        public int bits() { return bits; }

        /** The text syntax word: {@code ro} or {@code rw}. */
        public String word() { return word; }
    }

    /** Which pages a {@link Touch} visits. */
    enum Order {
        /** Every page, from page 0 up. */
        SEQ(0, "seq"),
        /** Pages 0, n, 2n, ... below the region's end. */
        STRIDE(1, "stride"),
        /** n pages drawn uniformly (with replacement) from the process's seeded generator. */
        RANDOM(2, "random");

        private final int code;
        private final String word;

        Order(int code, String word) {
            this.code = code;
            this.word = word;
        }

        /** The encoded value. */
        public int code() { return code; }

        /** The text syntax word. */
        public String word() { return word; }
    }

    /** What a {@link Touch} does to each page it visits. */
    enum Access {
        /** Verify the page against its region's current contents (loads). */
        READ(0, "read"),
        /** Rewrite the page with its region's current contents (stores that dirty it). */
        WRITE(1, "write");

        private final int code;
        private final String word;

        Access(int code, String word) {
            this.code = code;
            this.word = word;
        }

        /** The encoded value. */
        public int code() { return code; }

        /** The text syntax word. */
        public String word() { return word; }
    }

    /**
     * {@code map rN SIZE rw|ro [shared]}: maps {@code pages} pages of zero-filled anonymous memory
     * into {@code reg}; {@code shared} is mmap's MAP_SHARED|MAP_ANON (inherited shared by forked
     * children) instead of MAP_PRIVATE|MAP_ANON.
     */
    record Mmap(int reg, long pages, Prot prot, boolean shared) implements Instruction {
        public Mmap {
            checkRegister(reg);
            if (pages < 1 || pages > PAGES_MAX) {
                throw new IllegalArgumentException("map: size of " + pages + " pages is out of range 1.." + PAGES_MAX
                        + " (4K..1T)");
            }
            if (prot == null) throw new IllegalArgumentException("map: no protection");
        }

        /** A private mapping (MAP_PRIVATE|MAP_ANON). */
        public Mmap(int reg, long pages, Prot prot) {
            this(reg, pages, prot, false);
        }

        @Override
        public String text() {
            return "map r" + reg + " " + Units.size(pages) + " " + prot.word() + (shared ? " shared" : "");
        }
    }

    /** {@code unmap rN}: unmaps the region in {@code reg}. */
    record Munmap(int reg) implements Instruction {
        public Munmap {
            checkRegister(reg);
        }

        @Override
        public String text() { return "unmap r" + reg; }
    }

    /** {@code write rN}: gives the region a new generation and writes its pattern to every page. */
    record Write(int reg) implements Instruction {
        public Write {
            checkRegister(reg);
        }

        @Override
        public String text() { return "write r" + reg; }
    }

    /** {@code verify rN}: checks every page of the region holds its current generation's pattern. */
    record Verify(int reg) implements Instruction {
        public Verify {
            checkRegister(reg);
        }

        @Override
        public String text() { return "verify r" + reg; }
    }

    /**
     * {@code touch rN seq|stride N|random N read|write}: visits pages of the region.
     *
     * @param n 0 for {@link Order#SEQ}; the stride (1..{@link #PAGES_MAX}) for
     *          {@link Order#STRIDE}; the number of pages (1..{@link #COUNT_MAX}) for
     *          {@link Order#RANDOM}
     */
    record Touch(int reg, Order order, long n, Access access) implements Instruction {
        public Touch {
            checkRegister(reg);
            if (order == null || access == null) throw new IllegalArgumentException("touch: no order or access");
            switch (order) {
                case SEQ -> {
                    if (n != 0) throw new IllegalArgumentException("touch seq takes no count (found " + n + ")");
                }
                case STRIDE -> {
                    if (n < 1 || n > PAGES_MAX) {
                        throw new IllegalArgumentException("touch: stride " + n + " is out of range 1.." + PAGES_MAX);
                    }
                }
                case RANDOM -> {
                    if (n < 1 || n > COUNT_MAX) {
                        throw new IllegalArgumentException("touch: random count " + n + " is out of range 1.." + COUNT_MAX);
                    }
                }
            }
        }

        @Override
        public String text() {
            return "touch r" + reg + " " + order.word() + (order == Order.SEQ ? "" : " " + n) + " " + access.word();
        }
    }

    /** {@code sleep DURATION}: sleeps {@code ns} nanoseconds of virtual time. */
    record Sleep(long ns) implements Instruction {
        public Sleep {
            if (ns < 1 || ns > SLEEP_NS_MAX) {
                throw new IllegalArgumentException("sleep: " + ns + "ns is out of range 1ns..3600s");
            }
        }

        @Override
        public String text() { return "sleep " + Units.duration(ns); }
    }

    /** {@code loop N}: runs the instructions up to the matching {@link EndLoop} {@code count} times. */
    record Loop(long count) implements Instruction {
        public Loop {
            if (count < 1 || count > COUNT_MAX) {
                throw new IllegalArgumentException("loop: count " + count + " is out of range 1.." + COUNT_MAX);
            }
        }

        @Override
        public String text() { return "loop " + count; }
    }

    /** {@code endloop}: closes the innermost open {@link Loop}. */
    record EndLoop() implements Instruction {
        @Override
        public String text() { return "endloop"; }
    }

    /**
     * {@code fork}: the process forks; the child runs the instructions up to the matching
     * {@link EndFork} and exits there, the parent skips them and continues after it.
     */
    record Fork() implements Instruction {
        @Override
        public String text() { return "fork"; }
    }

    /** {@code endfork}: closes the innermost open {@link Fork}; the child exits on reaching it. */
    record EndFork() implements Instruction {
        @Override
        public String text() { return "endfork"; }
    }

    /** {@code exit}: the process exits (also implied at the end of the program and of a fork block). */
    record Exit() implements Instruction {
        @Override
        public String text() { return "exit"; }
    }

    // ---- threads and wait (opcodes 0x21..0x23) ----------------------------------------------

    /**
     * {@code thread}: the process starts another thread (LWP) that runs the instructions up to the
     * matching {@link EndThread} in the same address space and ends there; the starting thread
     * skips them and continues after it.
     */
    record StartThread() implements Instruction {
        @Override
        public String text() { return "thread"; }
    }

    /** {@code endthread}: closes the innermost open {@link StartThread}; the thread ends on reaching it. */
    record EndThread() implements Instruction {
        @Override
        public String text() { return "endthread"; }
    }

    /** {@code wait}: waits until every child this process forked and every thread it started has ended. */
    record Wait() implements Instruction {
        @Override
        public String text() { return "wait"; }
    }

    /**
    // ---- memory-control instructions and page ranges (opcodes 0x10..0x1f) ----------------------

    /**
     * The pages an instruction covers: {@code count} pages from page {@code page} of the region,
     * or, when {@code count} is 0 (and {@code page} 0), the whole region as the register now
     * describes it (every page still mapped).
     */
    private static void checkRange(String op, long page, long count, boolean wholeAllowed) {
        if (count == 0 && wholeAllowed) {
            if (page != 0) throw new IllegalArgumentException(op + ": page " + page + " without a count");
            return;
        }
        if (page < 0 || page >= PAGES_MAX) {
            throw new IllegalArgumentException(op + ": page " + page + " is out of range 0.." + (PAGES_MAX - 1));
        }
        if (count < 1 || count > PAGES_MAX - page) {
            throw new IllegalArgumentException(op + ": count " + count + " is out of range 1.." + (PAGES_MAX - page)
                    + " (page + count at most " + PAGES_MAX + ")");
        }
    }

    /**
     * Whether {@code in} is one of the memory-control or page-range instructions (opcodes
     * 0x10..0x1f): they clip map entries, which the kernel's process layer prepares for.
     */
    static boolean controlsMemory(Instruction in) {
        return in instanceof Mlock || in instanceof Munlock || in instanceof Mlockall || in instanceof Munlockall
                || in instanceof Mprotect || in instanceof Madvise || in instanceof WriteRange
                || in instanceof VerifyRange || in instanceof UnmapRange;
    }

    /** Whether any instruction of {@code code} {@link #controlsMemory controls memory}. */
    public static boolean controlsMemory(java.util.List<Instruction> code) {
        for (Instruction in : code) {
            if (controlsMemory(in)) return true;
        }
        return false;
    }

    private static String range(long page, long count) {
        return count == 0 ? "" : " " + page + " " + count;
    }

    /** mprotect's new protection; the value is the PROT_ bit set, as encoded. */
    enum Protect {
        /** PROT_NONE: every access faults. */
        NONE(0, "none"),
        /** PROT_READ. */
        RO(1, "ro"),
        /** PROT_READ | PROT_WRITE. */
        RW(3, "rw");

        private final int bits;
        private final String word;

        Protect(int bits, String word) {
            this.bits = bits;
            this.word = word;
        }

        /** The PROT_ bits, as encoded. */
        public int bits() { return bits; }

        /** The text syntax word. */
        public String word() { return word; }
    }

    /** madvise's advice; the value is the MADV_ constant of sys/mman.h, as encoded. */
    enum Advice {
        /** MADV_WILLNEED (3). */
        WILLNEED(3, "willneed"),
        /** MADV_DONTNEED (4). */
        DONTNEED(4, "dontneed"),
        /** MADV_FREE (5). */
        FREE(5, "free");

        private final int behav;
        private final String word;

        Advice(int behav, String word) {
            this.behav = behav;
            this.word = word;
        }

        /** The MADV_ value, as encoded. */
        public int behav() { return behav; }

        /** The text syntax word. */
        public String word() { return word; }
    }

    /** {@code mlock rN [PAGE COUNT]}: wires the pages (mlock(2)); count 0: the whole region. */
    record Mlock(int reg, long page, long count) implements Instruction {
        public Mlock {
            checkRegister(reg);
            checkRange("mlock", page, count, true);
        }

        @Override
        public String text() { return "mlock r" + reg + range(page, count); }
    }

    /** {@code munlock rN [PAGE COUNT]}: unwires the pages (munlock(2)); count 0: the whole region. */
    record Munlock(int reg, long page, long count) implements Instruction {
        public Munlock {
            checkRegister(reg);
            checkRange("munlock", page, count, true);
        }

        @Override
        public String text() { return "munlock r" + reg + range(page, count); }
    }

    /** {@code mlockall current|future|current,future}: mlockall(2) with MCL_CURRENT (1) and/or MCL_FUTURE (2). */
    record Mlockall(int how) implements Instruction {
        public static final int MCL_CURRENT = 1;
        public static final int MCL_FUTURE = 2;

        public Mlockall {
            if (how < 1 || how > 3) {
                throw new IllegalArgumentException("mlockall: flags " + how + " are not 1 (current), 2 (future) or 3 (both)");
            }
        }

        @Override
        public String text() {
            return "mlockall " + switch (how) {
                case MCL_CURRENT -> "current";
                case MCL_FUTURE -> "future";
                default -> "current,future";
            };
        }
    }

    /** {@code munlockall}: munlockall(2). */
    record Munlockall() implements Instruction {
        @Override
        public String text() { return "munlockall"; }
    }

    /** {@code mprotect rN none|ro|rw [PAGE COUNT]}: mprotect(2); count 0: the whole region. */
    record Mprotect(int reg, Protect prot, long page, long count) implements Instruction {
        public Mprotect {
            checkRegister(reg);
            if (prot == null) throw new IllegalArgumentException("mprotect: no protection");
            checkRange("mprotect", page, count, true);
        }

        @Override
        public String text() { return "mprotect r" + reg + " " + prot.word() + range(page, count); }
    }

    /** {@code madvise rN willneed|dontneed|free [PAGE COUNT]}: madvise(2); count 0: the whole region. */
    record Madvise(int reg, Advice advice, long page, long count) implements Instruction {
        public Madvise {
            checkRegister(reg);
            if (advice == null) throw new IllegalArgumentException("madvise: no advice");
            checkRange("madvise", page, count, true);
        }

        @Override
        public String text() { return "madvise r" + reg + " " + advice.word() + range(page, count); }
    }

    /** {@code write rN PAGE COUNT}: a new generation written to {@code count} pages from {@code page}. */
    record WriteRange(int reg, long page, long count) implements Instruction {
        public WriteRange {
            checkRegister(reg);
            checkRange("write", page, count, false);
        }

        @Override
        public String text() { return "write r" + reg + range(page, count); }
    }

    /** {@code verify rN PAGE COUNT}: checks {@code count} pages from {@code page}. */
    record VerifyRange(int reg, long page, long count) implements Instruction {
        public VerifyRange {
            checkRegister(reg);
            checkRange("verify", page, count, false);
        }

        @Override
        public String text() { return "verify r" + reg + range(page, count); }
    }

    /** {@code unmap rN PAGE COUNT}: unmaps {@code count} pages from {@code page}; the rest stays mapped. */
    record UnmapRange(int reg, long page, long count) implements Instruction {
        public UnmapRange {
            checkRegister(reg);
            checkRange("unmap", page, count, false);
        }

        @Override
        public String text() { return "unmap r" + reg + range(page, count); }
    }

    private static void checkRegister(int reg) {
        if (reg < 0 || reg >= REGISTERS) {
            throw new IllegalArgumentException("no register r" + reg + " (registers are r0..r" + (REGISTERS - 1) + ")");
        }
    }
}
