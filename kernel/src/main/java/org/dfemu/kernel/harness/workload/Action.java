package org.dfemu.kernel.harness.workload;

import org.dfemu.kernel.harness.workload.Instruction.Prot;

/**
 * One memory operation of a process, as {@link ProgramInterpreter#next} hands it to the kernel.
 * The interpreter touches no memory: the kernel's process code carries out each action in the
 * process's address space, its loads and stores going through the CPU and the MMU, so that they
 * fault like a real program's. Region registers ({@code reg}) name the regions; where a region
 * lives in the address space is the kernel's choice, made at {@link Mmap}.
 */
public sealed interface Action {
    /**
     * Map {@code pages} pages of zero-filled anonymous memory with protection {@code prot} and
     * remember the region as register {@code reg}, which is unmapped now; {@code shared}:
     * MAP_SHARED, so forked children share the region instead of copying it.
     */
    record Mmap(int reg, long pages, Prot prot, boolean shared) implements Action {
        /** A private mapping. */
        public Mmap(int reg, long pages, Prot prot) {
            this(reg, pages, prot, false);
        }
    }

    /** Unmap the region of register {@code reg}, which is mapped now. */
    record Munmap(int reg) implements Action {}

    /**
     * Store the pattern of ({@code stream}, {@code page}, {@code generation}) into page
     * {@code page} of region {@code reg}: {@link #word}{@code (k)} at byte offset
     * {@link PagePattern#slotOffset}{@code (k)} for every slot k. The region is mapped rw.
     */
    record WritePage(int reg, long page, long stream, long generation) implements Action {
        /** The word to store at slot {@code slot}. */
        public long word(int slot) {
            return PagePattern.word(stream, page, generation, slot);
        }
    }

    /**
     * Load every slot of page {@code page} of region {@code reg} and compare it with
     * {@link #word}{@code (k)}. Any difference is data loss and must be reported, never ignored.
     */
    record VerifyPage(int reg, long page, long stream, long generation, Expect expect) implements Action {
        /** A page whose content is known exactly. */
        public VerifyPage(int reg, long page, long stream, long generation) {
            this(reg, page, stream, generation, Expect.EXACT);
        }

        /** The word expected at slot {@code slot}. */
        public long word(int slot) {
            return PagePattern.word(stream, page, generation, slot);
        }

        /** Whether {@code found}, loaded from slot {@code slot}, is a content the page may hold. */
        public boolean accepts(int slot, long found) {
            return switch (expect) {
                case EXACT -> found == word(slot);
                case EXACT_OR_ZERO -> found == word(slot) || found == 0;
                case ANY -> true;
            };
        }
    }

    /**
     * What a {@link VerifyPage} may find. After madvise(MADV_FREE) the kernel may drop a page
     * without writing it anywhere (DragonFly's vm_object_madvise cleans it and frees its swap),
     * so the page holds either what was written or, once reclaimed, what lies below it: zeros
     * for a region no fork has shared, possibly an older generation from a backing object
     * otherwise.
     */
    enum Expect {
        /** The pattern of (stream, page, generation). */
        EXACT,
        /** That pattern, or zeros in every slot. */
        EXACT_OR_ZERO,
        /** Anything: the load is done (it may fault) but not compared. */
        ANY
    }

    /** Sleep {@code ns} nanoseconds of virtual time. */
    record Sleep(long ns) implements Action {}

    /**
     * Fork: create a child process whose address space is a copy-on-write copy of this one
     * (every mapped region at the same place) and run {@code child} in it. The parent goes on
     * with its own {@link ProgramInterpreter#next}.
     */
    record Fork(ProgramInterpreter child) implements Action {}

    /**
     * Start another thread (LWP) of this process, in the same address space, running
     * {@code thread}; this thread goes on with its own {@link ProgramInterpreter#next}.
     */
    record Thread(ProgramInterpreter thread) implements Action {}

    /** Wait until every child this process forked and every thread this thread started has ended. */
    record Wait() implements Action {}

    // ---- memory-control actions (mlock, mprotect, madvise, partial unmap) -----------------------
    // Each covers pages [page, page + count) of region reg, which are all mapped; the kernel
    // carries it out as the system call would (kern VmMmap) and records a refusal (errno) as the
    // instruction's outcome.

    /** mlock(2) ({@code lock}) or munlock(2) of the pages. */
    record Mlock(int reg, long page, long count, boolean lock) implements Action {}

    /** mlockall(2) with {@code how}: MCL_CURRENT 1, MCL_FUTURE 2. */
    record Mlockall(int how) implements Action {}

    /** munlockall(2). */
    record Munlockall() implements Action {}

    /** mprotect(2) of the pages to {@code prot} (PROT_ bits). */
    record Mprotect(int reg, long page, long count, int prot) implements Action {}

    /** madvise(2) of the pages with {@code behav} (an MADV_ value). */
    record Madvise(int reg, long page, long count, int behav) implements Action {}

    /**
     * munmap(2) of the pages; the region's other pages stay mapped where they are. {@code empty}:
     * no page of the region is left mapped.
     */
    record MunmapRange(int reg, long page, long count, boolean empty) implements Action {}


    /**
     * Exit: tear down the address space (a thread started by {@link Thread}: that thread ends).
     * The interpreter returns no further action.
     */
    record Exit() implements Action {}
}
