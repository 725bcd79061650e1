package org.dfemu.kernel.harness.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.dfemu.kernel.harness.workload.Program.Fate;

/**
 * What became of the workload's processes (kern_exec.c/kern_exit.c at commit 737b020b54 have no
 * such thing: it is the port's record of {@link KernProc}'s processes, kept outside emulated RAM
 * because only the run's report reads it). One entry per process in pid order, and every page
 * whose verification failed. Written by the process threads, which run one at a time; read after
 * the run.
 */
public final class ProcReport {
    /** Data-loss records kept in full; later ones are only counted. */
    public static final int LOSSES_KEPT = 64;

    /** An empty report, before the first process. */
    public ProcReport() {
    }

    /** How a process ended. */
    public enum Status {
        RUNNING, EXITED,
        /** Killed for its own doing (SIGSEGV, a failed mmap). */
        KILLED,
        /** Killed by the pageout daemon because swap and memory ran out (DragonFly's P_LOWMEMKILL). */
        OOM_KILLED
    }

    /** One process: its pid, program name, and how it ended. */
    public static final class Proc {
        private final int pid;
        private final String name;
        private Status status = Status.RUNNING;
        private String fate = "running";
        private long dataLossPages;
        private final Fate expect;
        private Fate met;
        /** System calls that returned an error (mlock EAGAIN, ...): the first few in full, all counted. */
        private final List<String> refusals = new ArrayList<>();
        private long refusalCount;

        Proc(int pid, String name, Fate expect) {
            this.pid = pid;
            this.name = name;
            this.expect = expect;
        }

        /** The fate its program's {@code expect} asks for. */
        public Fate expect() { return expect; }

        /** The fate it met: null while running. */
        public Fate met() { return met; }

        /** It ended and met another fate than expected. */
        public boolean unexpected() { return met != null && !expect.accepts(met); }

        public int pid() { return pid; }
        public String name() { return name; }
        public Status status() { return status; }
        /** "exited", "SIGSEGV at va 0x... (code N)", "mmap failed ..." or "running". */
        public String fate() { return fate; }
        /** Pages this process found holding other data than it wrote. */
        public long dataLossPages() { return dataLossPages; }

        /** The first {@link #REFUSALS_KEPT} refused calls, each "instruction: ERRNO (call)". */
        public List<String> refusals() { return List.copyOf(refusals); }

        /** System calls of this process that returned an error. */
        public long refusalCount() { return refusalCount; }

        /** The summary line: "pid N name: fate[ | data loss: K pages][ | refused: first call (N in all)]". */
        public String line() {
            return String.format(Locale.ROOT, "pid %d %s: %s%s%s", pid, name, fate,
                    dataLossPages == 0 ? "" : " | data loss: " + dataLossPages + " pages",
                    refusalCount == 0 ? "" : " | refused: " + refusals.get(0)
                            + (refusalCount == 1 ? "" : " (" + refusalCount + " in all)"));
        }
    }

    /**
     * A page that failed verification: process, the user address of the page, its index in its
     * region, and the first slot that differed with the word expected and the word found.
     */
    public record DataLoss(int pid, String name, long va, long page, int slot, long expected, long found) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "pid %d (%s) data loss at va 0x%x (page %d, slot %d): expected 0x%016x, found 0x%016x",
                    pid, name, va, page, slot, expected, found);
        }
    }

    private final List<Proc> procs = new ArrayList<>();
    private final List<DataLoss> losses = new ArrayList<>();
    private long dataLossPages;

    public Proc add(int pid, String name) {
        return add(pid, name, Fate.EXIT);
    }

    /** A process whose program expects it to meet {@code expect}. */
    public Proc add(int pid, String name, Fate expect) {
        Proc p = new Proc(pid, name, expect);
        procs.add(p);
        return p;
    }

    public void exited(Proc p) {
        p.status = Status.EXITED;
        p.fate = "exited";
        p.met = Fate.EXIT;
    }

    public void killed(Proc p, String fate) {
        killed(p, fate, Fate.KILLED);
    }

    /** {@code p} was killed for its own doing: {@code met} is {@link Fate#SEGV} or {@link Fate#KILLED}. */
    public void killed(Proc p, String fate, Fate met) {
        p.status = Status.KILLED;
        p.fate = fate;
        p.met = met;
    }

    /** The pageout daemon killed {@code p} for lack of memory; {@code fate} says why, for the report. */
    public void oomKilled(Proc p, String fate) {
        p.status = Status.OOM_KILLED;
        p.fate = fate;
        p.met = Fate.KILLED;
    }

    /** Processes that ended with another fate than their program expects, in pid order. */
    public List<Proc> unexpected() { return procs.stream().filter(Proc::unexpected).toList(); }
    /** Refused calls kept in full per process; later ones are only counted. */
    public static final int REFUSALS_KEPT = 8;

    /**
     * A system call of {@code p} returned an error, which the program sees as the call's result
     * and goes on; {@code what} is "instruction: ERRNO (call)".
     */
    public void refused(Proc p, String what) {
        p.refusalCount++;
        if (p.refusals.size() < REFUSALS_KEPT) p.refusals.add(what);
    }

    public void dataLoss(Proc p, DataLoss loss) {
        p.dataLossPages++;
        dataLossPages++;
        if (losses.size() < LOSSES_KEPT) losses.add(loss);
    }

    /** Every process started, in pid order. */
    public List<Proc> procs() { return List.copyOf(procs); }

    /** The first {@link #LOSSES_KEPT} data-loss records. */
    public List<DataLoss> losses() { return List.copyOf(losses); }

    /** Pages that failed verification, over all processes. */
    public long dataLossPages() { return dataLossPages; }

    /** Processes the pageout daemon killed because memory and swap ran out. */
    public long oomKills() { return procs.stream().filter(p -> p.status == Status.OOM_KILLED).count(); }

    /** Processes not yet exited or killed. */
    public long running() { return procs.stream().filter(p -> p.status == Status.RUNNING).count(); }

    /** One {@link Proc#line} per process, in pid order. */
    public List<String> summary() {
        List<String> out = new ArrayList<>();
        for (Proc p : procs) out.add(p.line());
        return out;
    }
}
