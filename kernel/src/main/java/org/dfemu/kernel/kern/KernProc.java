package org.dfemu.kernel.kern;

import org.dfemu.kernel.harness.report.ProcReport;

import java.util.Locale;
import org.dfemu.emulator.Machine;
import org.dfemu.emulator.api.Scheduler;
import org.dfemu.emulator.cpu.Cpu;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.harness.workload.SegvException;
import org.dfemu.kernel.machine.Vmparam;
import org.dfemu.kernel.sys.Malloc;
import org.dfemu.kernel.sys.StructProc;
import org.dfemu.kernel.sys.StructThread;
import org.dfemu.kernel.harness.workload.Action;
import org.dfemu.kernel.harness.workload.Instruction;
import org.dfemu.kernel.harness.workload.PagePattern;
import org.dfemu.kernel.harness.workload.Program;
import org.dfemu.kernel.harness.workload.ProgramInterpreter;
import org.dfemu.kernel.harness.workload.Workload;
import org.dfemu.kernel.vm.StructVmMapEntry;
import org.dfemu.kernel.vm.StructVmspace;
import org.dfemu.kernel.vm.Vm;
import org.dfemu.kernel.vm.VmMap;
import org.dfemu.kernel.vm.VmPageout;
import java.util.HashMap;
import java.util.Map;

/**
 * Processes: the parts of kern/kern_exec.c, kern/kern_fork.c and kern/kern_exit.c (DragonFly BSD
 * at commit 737b020b54) that give a program an address space, a thread, a child and an end.
 *
 * <p>PORT: dfemu's processes run workload programs ({@link ProgramInterpreter}) instead of ELF
 * images, and have no system-call layer: the process's kernel thread asks the interpreter for
 * the next {@link Action} and carries it out itself. mmap/munmap are vm_map_find/vm_map_remove on
 * the process's map; page writes and verifies are user-mode 64-bit stores and loads through the
 * thread's CPU, so they fault through the MMU into trap_pfault like a real program's; fork is
 * vmspace_fork plus a new proc and thread; exit is vmspace_rel. A failed user fault
 * ({@link SegvException}) kills the process, as SIGSEGV's default action would.
 *
 * <p>Context-switch rule. The emulator has no switch hook, and several process threads share a
 * CPU, so a thread may find another process's CR3 and mode on its CPU after any scheduling point
 * (consume, tsleep, a lock wait, a fault that blocked). Each process thread therefore makes
 * sure its CPU is on its own pmap (pmap_activate, unless CR3 already holds the pmap's PML4:
 * {@link org.dfemu.kernel.machine.Pmap#pmapActivateOnReturn}) and sets user mode immediately
 * before every page access batch, after
 * its last scheduling point, and leaves kernel mode after it; the fault path does the same on its
 * return to user mode ({@link org.dfemu.kernel.machine.Trap}). A process's thread is bound to one CPU,
 * so its pmap is only ever active there; it stays in that CPU's pm_active while other processes
 * use the CPU (harmless: it only widens TLB shootdowns) until exit deactivates it, which
 * pmap_release requires.
 *
 * <p>Each page operation charges {@link #PAGE_OP_NS} of virtual CPU time and each map change
 * {@link #MAP_OP_NS}, so the scheduler interleaves the processes.
 *
 * <p>The process list is the kernel's, in emulated memory: spawn gives the new struct proc its
 * pid and p_comm and puts it on allproc ({@link KernProcTable#procAddAllproc}), exit takes it off
 * ({@link KernProcTable#procRemoveZombie}), and every kernel walk over the processes (the OOM
 * killer's allproc_scan) goes through {@link KernProcTable}. The process count is the kernel's
 * {@code nprocs}.
 */
public final class KernProc implements VmPageout.Killproc {
    /** Virtual CPU time of one page written or verified (eight words). */
    public static final long PAGE_OP_NS = 100;
    /** Virtual CPU time of one mmap or munmap, besides the work of the map itself. */
    public static final long MAP_OP_NS = 1_000;
    /** Where region searches start: above the first 256 MiB, as a program's text and heap would be. */
    static final long USER_BASE = 0x1000_0000L;

    /** Source of a process's actions: {@link ProgramInterpreter#next}, or a script in tests. */
    interface ActionSource {
        Action next();
    }

    private final Kernel kernel;
    private final Machine machine;
    private final KernelMemory km;
    private final Scheduler sched;
    private final ProcReport report = new ProcReport();
    private final Runnable allExited;
    private final KernProcTable procs;
    /**
     * The user-program side of each live process, by its struct proc's address: the interpreter's
     * regions and the report entry, which are the workload's, not the kernel's. Only looked up by
     * address (killproc), never iterated: the kernel's process list is allproc in emulated memory.
     */
    private final Map<Long, Process> programs = new HashMap<>();
    private int nextCpu;

    /**
     * A process layer for {@code kernel} running on {@code machine} (attached). {@code allExited}
     * runs on the last process thread when the last live process has exited or been killed (e.g.
     * the run's {@code requestStop}).
     */
    public KernProc(Kernel kernel, Machine machine, Runnable allExited) {
        this.kernel = kernel;
        this.machine = machine;
        this.km = kernel.km();
        this.sched = machine.scheduler();
        this.allExited = allExited;
        this.procs = kernel.kernProcTable();
        kernel.vmPageout().attachKillproc(this);
    }

    /** The report the processes write to; complete once they all ended. */
    public ProcReport report() { return report; }

    /**
     * Starts every copy of every program of {@code workload} as a process (pids from 1 in
     * program and copy order), its thread bound to the CPUs round-robin, with interpreters
     * seeded from {@code runSeed}. Runs nothing yet: the threads start when the scheduler runs.
     * Requires the attached machine; may block (kmalloc M_WAITOK) in thread context. Calls
     * {@code allExited} at once if the workload has no process.
     */
    public void startWorkload(Workload workload, long runSeed) {
        int index = 0;
        for (Program program : workload.programs()) {
            for (int copy = 0; copy < program.copies(); copy++) {
                ProgramInterpreter interp = ProgramInterpreter.boot(program, index, copy, runSeed);
                long vm = kernel.vmMap().vmspaceAlloc(Vmparam.VM_MIN_USER_ADDRESS, Vmparam.VM_MAX_USER_ADDRESS);
                if (Instruction.controlsMemory(program.code())) {
                    mapText(vm);
                }
                spawn(program.name(), vm, new long[Instruction.REGISTERS], new long[Instruction.REGISTERS], interp::next,
                        program.expect(), null);
            }
            index++;
        }
        if (procs.nprocs() == 0) allExited.run();
    }

    /**
     * Creates a process named {@code name} (its p_comm) with address space {@code vm} (its
     * reference passes to the process) and regions at {@code regionVa} of {@code regionPages}
     * pages, puts it on allproc with the next pid (fork1's proc_add_allproc), and queues its
     * thread. Returns its pid. May block (kmalloc M_WAITOK) in thread context.
     */
    int spawn(String name, long vm, long[] regionVa, long[] regionPages, ActionSource actions) {
        return spawn(name, vm, regionVa, regionPages, actions, Program.Fate.EXIT, null);
    }

    /**
     * {@link #spawn(String, long, long[], long[], ActionSource)} for a process expected to meet
     * {@code expect}, forked by {@code parent} (null: started at boot).
     */
    int spawn(String name, long vm, long[] regionVa, long[] regionPages, ActionSource actions, Program.Fate expect,
              Process parent) {
        long p = kernel.kernSlaballoc().kmalloc(StructProc.SIZEOF_C, procs.mProc(), Malloc.M_WAITOK | Malloc.M_ZERO);
        StructProc.p_vmspace(km, p, vm);
        StructProc.p_comm(km, p, name);
        procs.procAddAllproc(p);
        procs.nprocsAdd(1);
        int pid = StructProc.p_pid(km, p);
        ProcReport.Proc rp = report.add(pid, name, expect);
        int cpu = nextCpu;
        nextCpu = (nextCpu + 1) % machine.cpus().count();
        Process proc = new Process(pid, name, p, vm, regionVa, regionPages, rp, cpu, expect, parent);
        if (parent != null) parent.children++;
        programs.put(p, proc);
        lwpCreate(proc, actions);
        return pid;
    }

    /**
     * A process as its threads know it: pid, struct proc, vmspace and where its regions are, and
     * the bookkeeping of its end (the trace's exit record, its parent and live children).
     *
     * <p>PORT: struct proc's p_pptr, p_children and p_sibling are not in the port's struct
     * proc view (the proc is allocated at the C's size, but the view keeps what kernel code
     * reads); the parent link and
     * the count of live children are kept here, and kern_wait/exit1 use them as the C uses the
     * lists. Only a forked process's own threads and its parent's read them.
     */
    static final class Process {
        private final int pid;
        private final String name;
        private final long p;
        private final long vm;
        private final long[] regionVa;
        private final long[] regionPages;
        private final ProcReport.Proc entry;
        /** The CPU all of the process's threads are bound to (its pmap is active only there). */
        final int cpu;
        final Program.Fate expect;
        /** The process that forked this one, or null. */
        final Process parent;
        /** Forked children not yet exited. */
        int children;
        /** In kern_wait's sleep (so a child's exit wakes it; see exit()). */
        boolean waiting;
        /** exit1 has run: children no longer wake this process. */
        boolean exited;
        /** LWPs created so far (names the threads). */
        int lwps;
        /** The trace's exit record (how, arg), set by the first event that ends the process; -1: none yet. */
        int exitHow = -1;
        long exitArg;

        Process(int pid, String name, long p, long vm, long[] regionVa, long[] regionPages, ProcReport.Proc entry, int cpu,
                Program.Fate expect, Process parent) {
            this.pid = pid;
            this.name = name;
            this.p = p;
            this.vm = vm;
            this.regionVa = regionVa;
            this.regionPages = regionPages;
            this.entry = entry;
            this.cpu = cpu;
            this.expect = expect;
            this.parent = parent;
        }

        int pid() { return pid; }
        String name() { return name; }
        long p() { return p; }
        long vm() { return vm; }
        long[] regionVa() { return regionVa; }
        long[] regionPages() { return regionPages; }
        ProcReport.Proc entry() { return entry; }
        long pmap() { return StructVmspace.vm_pmap(vm); }
        long map() { return StructVmspace.vm_map(vm); }

        /** Records how the process ends, unless an earlier event did. */
        void ending(int how, long arg) {
            if (exitHow < 0) {
                exitHow = how;
                exitArg = arg;
            }
        }
    }

    /**
     * lwp_create() (kern_fork.c), with the thread start of lwp_fork: {@code proc} gets another
     * thread running {@code actions} (the process's first one when it has none yet):
     * p_nthreads goes up and a kernel thread is created through lwkt_create, bound to the
     * process's CPU. The only place a process thread is made. As in the C, the struct lwp comes
     * from M_LWP (M_WAITOK | M_ZERO) before the thread; it goes back when the thread ends
     * (lwp_exit's lwp_dispose). May block in thread context.
     *
     * <p>PORT: the new thread is bound to the CPU of the process's other threads, so the
     * process's pmap is active on one CPU only and the context-switch rule (class comment) holds.
     */
    private void lwpCreate(Process proc, ActionSource actions) {
        int n = proc.lwps++;
        StructProc.p_nthreads(km, proc.p(), StructProc.p_nthreads(km, proc.p()) + 1);
        String tname = n == 0 ? proc.name() + "." + proc.pid() : proc.name() + "." + proc.pid() + "." + n;
        long lp = kernel.kernSlaballoc().kmalloc(StructProc.LWP_SIZEOF_C, procs.mLwp(), Malloc.M_WAITOK | Malloc.M_ZERO);
        kernel.lwkt().lwktCreate(tname, proc.cpu, 0, () -> run(proc, actions, n == 0, lp));
    }

    /**
     * The body of a process's thread: actions until its end or a fatal signal, then lwp_exit();
     * the last thread out runs exit1(). A fatal signal in any thread ends the whole process
     * (killlwps: P_WEXIT, the others stop at their next step).
     */
    private void run(Process proc, ActionSource actions, boolean first, long lp) {
        StructThread.td_proc(km, kernel.lwkt().curthread(), proc.p());
        if (first) kernel.trace().procStart(proc.pid(), proc.name());
        try {
            boolean running = true;
            while (running && !killed(proc)) {
                running = perform(proc, actions.next());
            }
            if (!killed(proc)) {
                // A thread's end ends only the thread; the first thread's is the process's exit.
                if (first) {
                    report.exited(proc.entry());
                    proc.ending(0, 0);
                }
            } else {
                proc.ending(2, 0);
            }
        } catch (SegvException e) {
            if (killed(proc)) {
                // The fault failed because the process is being killed (P_LOWMEMKILL): the
                // pending SIGKILL ends it, the report keeps killproc's reason.
                proc.ending(2, e.va());
            } else {
                proc.ending(1, e.va());
                String fate = String.format(Locale.ROOT, "SIGSEGV at va 0x%x (code %d)", e.va(), e.siCode());
                kernel.kprintf(String.format(Locale.ROOT, "pid %d (%s) killed by %s", proc.pid(), proc.name(), fate));
                report.killed(proc.entry(), fate, Program.Fate.SEGV);
                killlwps(proc);
            }
        } catch (MapFailed e) {
            kernel.kprintf(String.format(Locale.ROOT, "pid %d (%s) killed: %s", proc.pid(), proc.name(), e.getMessage()));
            report.killed(proc.entry(), e.getMessage(), Program.Fate.KILLED);
            proc.ending(0, 1);   // as a program whose mmap failed: exit(1)
            killlwps(proc);
        }
        lwpExit(proc, lp);
    }

    /**
     * The part of killlwps() a dying thread does: P_WEXIT marks the process as exiting, and the
     * other threads, woken from a workload sleep or a wait, stop at their next step. PORT: the
     * C's caller then sleeps until p_nthreads is 1; here the last thread out runs exit1
     * ({@link #lwpExit}). Never blocks.
     */
    private void killlwps(Process proc) {
        if (StructProc.p_nthreads(km, proc.p()) <= 1) return;
        km.atomicSet32(proc.p() + StructProc.p_flags$OFFSET, StructProc.P_WEXIT);
        sched.wakeup(proc.p());
    }

    /**
     * lwp_exit(): the thread leaves its process (p_nthreads drops; whoever waits for that is
     * woken) and its struct lwp {@code lp} goes back to M_LWP; the last one runs the rest of
     * exit1 ({@link #exit}). May block.
     *
     * <p>PORT: the C frees an lwp when it is reaped (lwp_wait or the process reap, after the
     * thread has switched away for good); the port has no zombie LWPs, so the exiting thread
     * frees its own.
     */
    private void lwpExit(Process proc, long lp) {
        int left = StructProc.p_nthreads(km, proc.p()) - 1;
        StructProc.p_nthreads(km, proc.p(), left);
        kernel.kernSlaballoc().kfree(lp, procs.mLwp());
        if (left > 0) {
            kernel.lwkt().wakeup(proc.p() + StructProc.p_nthreads$OFFSET);
            StructThread.td_proc(km, kernel.lwkt().curthread(), 0);
            return;
        }
        kernel.trace().procExit(proc.pid(), proc.exitHow < 0 ? 0 : proc.exitHow, proc.exitArg);
        exit(proc);
    }

    /**
     * The {@code wait} instruction: the thread joins every other thread of the process (as the
     * C's exit1 waits for p_nthreads to drop to 1 on {@code &p->p_nthreads}), then kern_wait()
     * for every forked child: while one is alive, tsleep on the proc, which a child's exit1
     * wakes (wakeup(p->p_pptr)). Returns early if the process is being killed. May block.
     *
     * <p>PORT: the C reaps one zombie per wait4 call; the port's children free themselves at
     * exit (see {@link #exit}), so waiting for all of them is waiting for the count to reach 0.
     */
    private void kernWait(Process proc) {
        while (StructProc.p_nthreads(km, proc.p()) > 1 && !killed(proc)) {
            kernel.lwkt().tsleep(proc.p() + StructProc.p_nthreads$OFFSET, "lwpwait", 0);
        }
        while (proc.children > 0 && !killed(proc)) {
            proc.waiting = true;
            kernel.lwkt().tsleep(proc.p(), "wait", 0);
            proc.waiting = false;
        }
    }

    /**
     * Carries out one action in {@code proc}'s address space. Returns false after
     * {@link Action.Exit}. May block. Throws {@link SegvException} when a user access fails.
     */
    boolean perform(Process proc, Action action) {
        switch (action) {
            case Action.Mmap m -> mmap(proc, m);
            case Action.Munmap u -> {
                long va = proc.regionVa()[u.reg()];
                kernel.vmMap().vmMapRemove(proc.map(), va, va + Param.ptoa(proc.regionPages()[u.reg()]));
                proc.regionVa()[u.reg()] = 0;
                proc.regionPages()[u.reg()] = 0;
                kernel.lwkt().consume(MAP_OP_NS);
            }
            case Action.WritePage w -> {
                long va = pageVa(proc, w.reg(), w.page());
                Cpu cpu = enterUser(proc);
                try {
                    for (int k = 0; k < PagePattern.SLOTS; k++) cpu.store64(va + PagePattern.slotOffset(k), w.word(k));
                } finally {
                    cpu.setUserMode(false);
                }
                kernel.lwkt().consume(PAGE_OP_NS);
            }
            case Action.VerifyPage v -> {
                long va = pageVa(proc, v.reg(), v.page());
                Cpu cpu = enterUser(proc);
                int badSlot = -1;
                long found = 0;
                try {
                    for (int k = 0; k < PagePattern.SLOTS; k++) {
                        long word = cpu.load64(va + PagePattern.slotOffset(k));
                        if (!v.accepts(k, word) && badSlot < 0) {
                            badSlot = k;
                            found = word;
                        }
                    }
                } finally {
                    cpu.setUserMode(false);
                }
                if (badSlot >= 0) {
                    ProcReport.DataLoss loss = new ProcReport.DataLoss(proc.pid(), proc.name(), va, v.page(), badSlot, v.word(badSlot), found);
                    if (proc.entry().dataLossPages() < 8) kernel.kprintf(loss.toString());
                    report.dataLoss(proc.entry(), loss);
                }
                kernel.lwkt().consume(PAGE_OP_NS);
            }
            case Action.Sleep s -> kernel.lwkt().sleepNs(proc.p(), "pause", Math.max(1, s.ns()));
            case Action.Fork f -> {
                long vm2 = kernel.vmMap().vmspaceFork(proc.vm());
                spawn(proc.name(), vm2, proc.regionVa().clone(), proc.regionPages().clone(), f.child()::next, proc.expect, proc);
                kernel.lwkt().consume(MAP_OP_NS);
            }
            case Action.Thread t -> {
                lwpCreate(proc, t.thread()::next);
                kernel.lwkt().consume(MAP_OP_NS);
            }
            case Action.Wait w -> kernWait(proc);
            case Action.Exit e -> {
                return false;
            }
            // memory-control actions: the system calls of vm_mmap.c (VmMmap); an error is the
            // call's result, recorded as the instruction's outcome, and the program goes on.
            case Action.MunmapRange u -> {
                long va = pageVa(proc, u.reg(), u.page());
                kernel.vmMap().vmMapRemove(proc.map(), va, va + Param.ptoa(u.count()));
                if (u.empty()) {
                    proc.regionVa()[u.reg()] = 0;
                    proc.regionPages()[u.reg()] = 0;
                }
                kernel.lwkt().consume(MAP_OP_NS);
            }
            case Action.Mlock l -> {
                long va = pageVa(proc, l.reg(), l.page());
                long len = Param.ptoa(l.count());
                int error = l.lock() ? kernel.vmMmap().sysMlock(proc.map(), va, len)
                        : kernel.vmMmap().sysMunlock(proc.map(), va, len);
                outcome(proc, l.lock() ? "mlock" : "munlock", l.reg(), l.page(), l.count(), error);
            }
            case Action.Mlockall l -> outcome(proc, "mlockall " + (l.how() == 1 ? "current" : l.how() == 2 ? "future" : "current,future"), -1, 0, 0,
                    kernel.vmMmap().sysMlockall(proc.map(), l.how()));
            case Action.Munlockall l -> outcome(proc, "munlockall", -1, 0, 0, kernel.vmMmap().sysMunlockall(proc.map()));
            case Action.Mprotect m -> outcome(proc, "mprotect", m.reg(), m.page(), m.count(),
                    kernel.vmMmap().sysMprotect(proc.map(), pageVa(proc, m.reg(), m.page()), Param.ptoa(m.count()), m.prot()));
            case Action.Madvise m -> outcome(proc, "madvise", m.reg(), m.page(), m.count(),
                    kernel.vmMmap().sysMadvise(proc.map(), pageVa(proc, m.reg(), m.page()), Param.ptoa(m.count()), m.behav()));
        }
        return true;
    }

    /**
     * After a memory-control call: charges {@link #MAP_OP_NS} and, if it returned an error,
     * records it in the process report ("mlock r0 pages 0+1024: EAGAIN") and on the console.
     */
    private void outcome(Process proc, String call, int reg, long page, long count, int error) {
        if (error != 0) {
            String what = String.format(Locale.ROOT, "%s%s: %s", call,
                    reg < 0 ? "" : String.format(Locale.ROOT, " r%d pages %d+%d", reg, page, count),
                    org.dfemu.kernel.sys.Errno.name(error));
            if (proc.entry().refusalCount() < 8) {
                kernel.kprintf(String.format(Locale.ROOT, "pid %d (%s): %s", proc.pid(), proc.name(), what));
            }
            report.refused(proc.entry(), what);
        }
        kernel.lwkt().consume(MAP_OP_NS);
    }

    /** Where a program that clips its regions gets its one-page text entry (see {@link #mapText}). */
    static final long TEXT_VA = 0x40_0000L;

    /**
     * Maps one read-only, never-touched page at {@link #TEXT_VA}, below every region: it stands
     * for the text segment a DragonFly process always has below its mmaps. PORT: dfemu's
     * processes have no executable image, so a region's map entry could be the lowest of its map;
     * vm_map_simplify_entry at this commit reads {@code prev->ba.backing_ba} without checking
     * prev (a NULL dereference that the port keeps), which a process with text never reaches.
     * Only programs that clip entries (mlock, mprotect, madvise, range forms) get it, so the runs
     * of other programs are unchanged. May block.
     */
    private void mapText(long vm) {
        long[] addr = {TEXT_VA};
        int rv = kernel.vmMap().vmMapFind(StructVmspace.vm_map(vm), 0, 0, 0, addr, Param.PAGE_SIZE, Param.PAGE_SIZE, false,
                StructVmMapEntry.VM_MAPTYPE_NORMAL, StructVmMapEntry.VM_SUBSYS_MMAP, Vm.VM_PROT_READ, Vm.VM_PROT_ALL, 0);
        if (rv != VmMap.KERN_SUCCESS) {
            throw new IllegalStateException("text page at 0x" + Long.toHexString(TEXT_VA) + ": vm_map_find " + rv);
        }
    }

    /**
     * mmap(MAP_ANON) of the region at the lowest free address from {@link #USER_BASE}, as
     * vm_mmap does it for an anonymous mapping (no object yet, docow 0); a MAP_SHARED one is then
     * given VM_INHERIT_SHARE (vm_map_inherit), so vmspace_fork shares it. May block.
     */
    private void mmap(Process proc, Action.Mmap m) {
        long[] addr = {USER_BASE};
        int prot = m.prot() == Instruction.Prot.RW ? Vm.VM_PROT_RW : Vm.VM_PROT_READ;
        int rv = kernel.vmMap().vmMapFind(proc.map(), 0, 0, 0, addr, Param.ptoa(m.pages()), Param.PAGE_SIZE, true,
                StructVmMapEntry.VM_MAPTYPE_NORMAL, StructVmMapEntry.VM_SUBSYS_MMAP, prot, Vm.VM_PROT_ALL, 0);
        if (rv != VmMap.KERN_SUCCESS) {
            throw new MapFailed(String.format(Locale.ROOT, "mmap of %d pages failed (vm_map_find %d)", m.pages(), rv));
        }
        if (m.shared()) {
            // vm_mmap: shared memory is also shared with children.
            rv = kernel.vmMap().vmMapInherit(proc.map(), addr[0], addr[0] + Param.ptoa(m.pages()), StructVmMapEntry.VM_INHERIT_SHARE);
            if (rv != VmMap.KERN_SUCCESS) {
                kernel.vmMap().vmMapRemove(proc.map(), addr[0], addr[0] + Param.ptoa(m.pages()));
                throw new MapFailed(String.format(Locale.ROOT, "mmap of %d pages failed (vm_map_inherit %d)", m.pages(), rv));
            }
        }
        // vm_mmap(): if the process has marked all future mappings for wiring (mlockall
        // MCL_FUTURE), wire this one; as in the C, the result is not checked.
        if ((org.dfemu.kernel.vm.StructVmMap.flags(km, proc.map()) & org.dfemu.kernel.vm.StructVmMap.MAP_WIREFUTURE) != 0) {
            kernel.vmMap().vmMapUnwire(proc.map(), addr[0], addr[0] + Param.ptoa(m.pages()), false);
        }
        proc.regionVa()[m.reg()] = addr[0];
        proc.regionPages()[m.reg()] = m.pages();
        kernel.lwkt().consume(MAP_OP_NS);
    }

    private static long pageVa(Process proc, int reg, long page) {
        return proc.regionVa()[reg] + Param.ptoa(page);
    }

    /**
     * The return to user mode of the context-switch rule (class comment): this thread's CPU
     * gets the process's page tables and user mode. No scheduling point may follow before the
     * access batch. Never blocks.
     */
    private Cpu enterUser(Process proc) {
        kernel.pmap().pmapActivateOnReturn(proc.pmap());
        Cpu cpu = machine.cpu(kernel.lwkt().mycpuid());
        cpu.setUserMode(true);
        return cpu;
    }

    // P_LOWMEMKILL stands for the pending SIGKILL, P_WEXIT for another thread's exit1: the
    // thread ends at its next step.
    private boolean killed(Process proc) {
        return (StructProc.p_flags(km, proc.p()) & (StructProc.P_LOWMEMKILL | StructProc.P_WEXIT)) != 0;
    }

    /**
     * killproc(p, why): logs "pid N (name), uid 0, was killed: why", records the kill in the
     * report ("killed: why (N pages)") and posts the kill: the process's thread exits at its
     * next step (exit1 releases its vmspace), and is woken if it sleeps in a workload sleep.
     * The caller has set P_LOWMEMKILL, which also lets vm_wait_pfault give up. Never blocks.
     */
    @Override
    public void killproc(long p, String why) {
        Process proc = programs.get(p);
        if (proc == null) return;   // not one of this layer's processes
        int pid = StructProc.p_pid(km, p);
        long vm = StructProc.p_vmspace(km, p);
        long pages = kernel.vmMap().vmspaceAnonymousCount(vm) + kernel.vmMap().vmspaceSwapCount(vm);
        kernel.kprintf(String.format(Locale.ROOT, "pid %d (%s), uid %d, was killed: %s", pid, StructProc.p_comm(km, p), 0, why));
        if (proc.entry().status() != ProcReport.Status.OOM_KILLED) {
            kernel.trace().oomKill(pid, pages);
            report.oomKilled(proc.entry(), String.format(Locale.ROOT, "killed: %s (%d pages)", why, pages));
        }
        km.atomicSet32(p + StructProc.p_flags$OFFSET, StructProc.P_LOWMEMKILL);
        sched.wakeup(p);   // a workload sleep (tsleep on the proc)
    }

    /**
     * exit1(): the proc leaves allproc, the address space goes, the proc is freed; the last one
     * out ends the run. May block.
     *
     * <p>PORT: there is no zombie state and no parent waiting, so exit1's
     * proc_move_allproc_zombie and kern_wait's reap are done here: the proc leaves allproc first,
     * before anything that may block, so allproc_scan never meets a process being released;
     * nprocs drops once the proc is freed.
     */
    private void exit(Process proc) {
        procs.procRemoveZombie(proc.p());
        programs.remove(proc.p());
        proc.exited = true;
        Process pp = proc.parent;
        if (pp != null && !pp.exited) {
            pp.children--;
            // wakeup(p->p_pptr), issued only while the parent is in kern_wait: the port's
            // workload sleep also sleeps on the proc, and a child's exit must not cut it short.
            if (pp.waiting) kernel.lwkt().wakeup(pp.p());
        }
        kernel.pmap().pmapDeactivate(proc.pmap());
        StructThread.td_proc(km, kernel.lwkt().curthread(), 0);
        kernel.vmMap().vmspaceRel(proc.vm());
        kernel.kernSlaballoc().kfree(proc.p(), procs.mProc());
        if (procs.nprocsAdd(-1) == 0) allExited.run();
    }

    /** A process's mmap found no room: it is killed, as a program failing its mmap would die. */
    private static final class MapFailed extends RuntimeException {
        MapFailed(String message) { super(message, null, false, false); }
    }
}
