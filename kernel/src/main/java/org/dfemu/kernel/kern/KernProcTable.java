package org.dfemu.kernel.kern;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.Queue;
import org.dfemu.kernel.sys.StructProc;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.function.LongPredicate;

import static org.dfemu.kernel.Ctypes.C_INT;

/**
 * The process table of DragonFly's kern/kern_proc.c at commit 737b020b54 (2021-05-28): the
 * {@code procglob[ALLPROC_HSIZE]} hash of allproc lists, pid assignment with insertion
 * (proc_add_allproc/proc_makepid), removal (proc_remove_zombie) and allproc_scan().
 *
 * <pre>
 *   procglob[0].allproc  -> proc(pid 512) -> proc(pid 256)    chains linked through p_list,
 *   procglob[1].allproc  -> proc(pid 257) -> proc(pid 1)      newest first (LIST_INSERT_HEAD)
 *   ...
 *   procglob[255].allproc -> ...                              chain = ALLPROC_HASH(pid)
 * </pre>
 *
 * allproc_scan() visits chain 0 to ALLPROC_HSIZE-1, each from its head: pids below ALLPROC_HSIZE
 * come out in pid order, larger ones interleave by hash and then newest first.
 *
 * <p>The name: the C file's natural Java name, {@code KernProc}, is the port's process layer
 * (kern_exec/kern_fork/kern_exit), which is created per run; this table is kernel-global and is
 * laid out in the data segment at link time.
 *
 * <p>PORT: what the port leaves out of the file:
 * <ul>
 * <li>Process groups and sessions (procglob's allpgrp/allsess chains, pgfind, enterpgrp, ...):
 *     the workload's processes have none, so proc_makepid checks only the allproc chain.</li>
 * <li>The per-chain {@code proc_token}: LWKT tokens are not modelled (see {@link Lwkt}); nothing
 *     here blocks, so the lists are only ever changed by one thread at a time.</li>
 * <li>{@code p_stat} and the zombie state: a process is on its chain from proc_add_allproc until
 *     its exit removes it (exit1 and the parent's reap are one step in the port), so no scan meets
 *     an SZOMB process. PHOLD/PRELE are not modelled: a scan's callback must not block, and only
 *     a process's own thread removes it, so no process leaves a list while a scan stands on it.</li>
 * <li>{@code pid_doms[]} and {@code kern.randompid}: the reuse delay keys on wall-clock seconds,
 *     which dfemu does not have (determinism); the port's pids never wrap within a run.</li>
 * </ul>
 */
public final class KernProcTable {
    /** Number of allproc chains (a power of two). */
    public static final int ALLPROC_HSIZE = 256;
    static final int ALLPROC_HMASK = ALLPROC_HSIZE - 1;
    /** sys/proc.h: process ids are below this. */
    public static final int PID_MAX = 999999;

    /** {@code ALLPROC_HASH(pid)}: the chain of {@code pid}. */
    public static int ALLPROC_HASH(int pid) { return pid & ALLPROC_HMASK; }

    // struct procglob { struct proclist allproc; } (port subset: no allpgrp/allsess/proc_token).
    private static final StructLayout PROCGLOB = MemoryLayout.structLayout(
            Queue.LIST_HEAD.withName("allproc")).withName("procglob");
    /** Size of one procglob entry. */
    public static final long PROCGLOB_SIZEOF = PROCGLOB.byteSize();
    private static final long ALLPROC = Ctypes.offset(PROCGLOB, "allproc");

    private static final StructLayout GLOBALS = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(ALLPROC_HSIZE, PROCGLOB).withName("procglob"),
            C_INT.withName("nextpid"),      // proc_makepid's static
            C_INT.withName("nprocs")).withName("kern_proc_globals");
    private static final long PROCGLOB_ARRAY = Ctypes.offset(GLOBALS, "procglob");
    private static final long NEXTPID = Ctypes.offset(GLOBALS, "nextpid");
    private static final long NPROCS = Ctypes.offset(GLOBALS, "nprocs");

    private final Kernel kernel;
    private final KernelMemory km;
    private final Queue.List plist;
    private final long globals;
    private final long mProc;
    private final long mLwp;

    /**
     * (boot only) Lays out procglob[] and the pid counter in the data segment and defines
     * kern_proc.c's M_PROC and M_LWP malloc types. {@code nextpid}
     * starts at 1 as in the C. PORT: {@code nprocs} is kern_fork.c's; it lives here because the
     * port's kern_fork.c ({@link KernProc}) is created per run, after link. It starts at 0: there
     * is no proc0.
     */
    public KernProcTable(Kernel kernel, DataSegment data) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.plist = new Queue.List(km, StructProc.p_list$OFFSET, kernel.invariants());
        this.globals = data.alloc(GLOBALS);
        km.store32(globals + NEXTPID, 1);
        this.mProc = kernel.kernSlaballoc().mallocDefine(data, "proc");
        this.mLwp = kernel.kernSlaballoc().mallocDefine(data, "lwp");
    }

    /** {@code M_PROC}: proc structures (fork1 allocates each struct proc from it). */
    public long mProc() { return mProc; }

    /** {@code M_LWP}: lwp structures (lwp_fork and lwp_create allocate each struct lwp from it). */
    public long mLwp() { return mLwp; }

    /** {@code &procglob[n].allproc}: the head of chain {@code n}. */
    public long allprocHead(int n) {
        return globals + PROCGLOB_ARRAY + n * PROCGLOB_SIZEOF + ALLPROC;
    }

    /** The p_list descriptor (LIST_FIRST/LIST_NEXT over the chains). */
    public Queue.List plist() { return plist; }

    /** {@code nprocs}: processes that exist. */
    public int nprocs() { return km.load32(globals + NPROCS); }

    /** {@code nprocs += delta} (fork1 adds, the reap subtracts); returns the new count. */
    public int nprocsAdd(int delta) { return km.fetchAdd32(globals + NPROCS, delta) + delta; }

    /**
     * procinit(): empties every chain. (boot only) PORT: pid_doms[] seeding, the pgrp/session
     * chains, the tokens, lwkt_init and uihashinit are not ported (class comment).
     */
    public void procinit() {
        for (int i = 0; i < ALLPROC_HSIZE; i++) {
            plist.listInit(allprocHead(i));
        }
    }

    /**
     * proc_add_allproc(): gives {@code p} a pid and puts it on its allproc chain. PORT:
     * kern.randompid is not ported, so the random offset is always 0. Never blocks.
     */
    public void procAddAllproc(long p) {
        procMakepid(p, 0);
    }

    /**
     * proc_makepid(): takes the next pid candidate (wrapping at PID_MAX to 100 and up), then
     * steps it by ALLPROC_HSIZE while the candidate's chain already holds it, so the pid stays on
     * the same chain; assigns it to {@code p} and inserts {@code p} at its chain's head.
     * PORT: no pid_doms[] domain skipping and no pgrp/session id check (class comment).
     */
    private void procMakepid(long p, int randomOffset) {
        int base;
        retry:
        for (;;) {
            base = km.fetchAdd32(globals + NEXTPID, 1) + randomOffset;
            if (base <= 0 || base >= PID_MAX) {
                base = base % PID_MAX;
                if (base < 0) base = 100;
                if (base < 100) base += 100;
                km.store32(globals + NEXTPID, base);
            }
            int n = ALLPROC_HASH(base);
            // PORT: procglob[n].proc_token is not taken (tokens are not modelled).
            restart1:
            for (;;) {
                for (long ps = plist.listFirst(allprocHead(n)); ps != 0; ps = plist.listNext(ps)) {
                    if (StructProc.p_pid(km, ps) == base) {
                        base += ALLPROC_HSIZE;
                        if (base >= PID_MAX) continue retry;
                        continue restart1;
                    }
                }
                break;
            }
            StructProc.p_pid(km, p, base);
            plist.listInsertHead(allprocHead(n), p);
            return;
        }
    }

    /**
     * proc_remove_zombie(): takes {@code p} off its allproc chain. PORT: called by the exiting
     * process itself (no parent reaps it; see the class comment), so there is no p_sibling to
     * unlink, no PSTALL and no pid_doms[] stamp. Never blocks.
     */
    public void procRemoveZombie(long p) {
        plist.listRemove(p);
    }

    /**
     * allproc_scan(): {@code cb} on each process's struct proc, chain 0 first, each chain from
     * its head, until {@code cb} returns false (the C's callback returning -1). Like the C, it
     * visits at most nprocs + ncpus processes, so a scan racing with forks ends.
     *
     * <p>{@code cb} must not block (PHOLD is not modelled; class comment). Never blocks.
     */
    public void allprocScan(LongPredicate cb) {
        int limit = nprocs() + kernel.config().ncpus();
        for (int n = 0; n < ALLPROC_HSIZE; n++) {
            long head = allprocHead(n);
            if (plist.listFirst(head) == 0) continue;
            // PORT: procglob[n].proc_token is not taken, and p_stat is not modelled: a process
            // is SACTIVE until its exit removes it, so one already killed but still exiting can
            // be chosen again, as in the C.
            long p;
            for (p = plist.listFirst(head); p != 0; p = plist.listNext(p)) {
                if (!cb.test(p)) break;
                if (--limit < 0) break;
            }
            if (p != 0) break;   // asked to stop early
        }
    }
}
