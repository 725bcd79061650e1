package org.dfemu.kernel.kern;

import org.dfemu.emulator.api.Scheduler;
import org.dfemu.emulator.api.Tunable;
import org.dfemu.emulator.cpu.Cpu;
import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.KernelPanic;
import org.dfemu.kernel.harness.witness.Witness;
import org.dfemu.kernel.machine.Vmparam;
import org.dfemu.kernel.sys.Errno;
import org.dfemu.kernel.sys.Malloc;
import org.dfemu.kernel.sys.StructGlobaldata;
import org.dfemu.kernel.sys.StructLock;
import org.dfemu.kernel.sys.StructThread;
import org.dfemu.kernel.vm.VmKern;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.List;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * lwkt_thread.c: DragonFly BSD sys/kern/lwkt_thread.c at commit 737b020b54 (2021-05-28), as the
 * port needs it: curthread, kernel-thread creation and exit with the thread cache (lwkt_init's
 * objcache of freed threads with their stacks, and gd_freetd), lwkt_yield, and the attachment of
 * the machine's scheduler.
 *
 * <p>Globals (data segment): thread0; thread_cache and lwkt_cache_threads (the lwkt.cache_threads
 * tunable, also a read-only sysctl).
 *
 * <p>PORT: the scheduling itself (run queues, sleep queues, preemption points) is the emulator's
 * {@link Scheduler}, which offers neutral primitives only; the semantics of DragonFly's
 * synchronisation are the ports of kern_synch.c ({@link KernSynch}: tsleep, wakeup),
 * kern_lock.c ({@link KernLock}: lockmgr), kern_spinlock.c ({@link KernSpinlock}: spin locks)
 * and sys/thread2.h ({@link org.dfemu.kernel.sys.Thread2}: critical sections). The methods of
 * the same names here (spinLock, lockmgrExclusive, critEnter, tsleep, ...) are one-line
 * forwards to them, kept so that the ported callers did not change.
 *
 * <p>Two contexts:
 * <ul>
 * <li><b>Boot context</b>: code running on the Java thread that created the {@link Kernel}
 *     (mi_startup on thread0, before any kernel thread runs). curthread is thread0, a static
 *     {@code struct thread} in the data segment; nothing else can run, so a spinlock is a plain
 *     CAS of its word from 0 to 1 and back (finding it held is a deadlock, hence a panic), a
 *     critical section is thread0's td_critcount, tsleep returns at once as DragonFly's does
 *     before {@code tsleep_now_works}, and wakeup has nobody to wake.</li>
 * <li><b>Thread context</b>: code running in a kernel thread created by {@link #lwktCreate},
 *     carried by the scheduler (or spawned on it directly, as tests do). The synchronisation
 *     ports build on the scheduler's primitives.</li>
 * </ul>
 * Boot code must have released every lock before the scheduler runs, and must not call kernel
 * functions while it runs.
 *
 * <p>PORT: LWKT tokens are not in the scheduler contract. Only one thread runs at a time and a
 * thread releases its tokens at every scheduling point, so a token can never be found held by
 * another thread at acquisition; the port therefore drops lwkt_gettoken/lwkt_reltoken
 * (vm_token, object tokens) where they only serialise non-blocking code, and says so at each site.
 */
public final class Lwkt {
    /** {@code EWOULDBLOCK}, as tsleep() returns it on timeout. */
    public static final int EWOULDBLOCK = Errno.EWOULDBLOCK;

    /**
     * {@code lwkt.cache_threads}: how many freed threads (with their kernel stacks) the thread
     * cache keeps, nominally; 0 lets lwkt_init choose ncpus * 4, at least 32.
     */
    public static final Tunable LWKT_CACHE_THREADS = Tunable.integer("lwkt.cache_threads", "0", 0, 65536,
            "thread+kstack cache: freed kernel threads kept with their stacks, nominally (0: ncpus * 4, at least 32)");

    /** The tunables lwkt_thread.c fetches, in the order reports list them. */
    public static final List<Tunable> TUNABLES = List.of(LWKT_CACHE_THREADS);

    private static final StructLayout GLOBALS = MemoryLayout.structLayout(
            C_POINTER.withName("thread_cache"),
            C_INT.withName("lwkt_cache_threads"),
            Ctypes.pad(4)).withName("lwkt_thread_globals");
    private static final long THREAD_CACHE = Ctypes.offset(GLOBALS, "thread_cache");
    private static final long LWKT_CACHE_THREADS_G = Ctypes.offset(GLOBALS, "lwkt_cache_threads");

    private final Kernel kernel;
    private final KernelMemory km;
    private final Thread bootThread;
    private final long thread0;
    private final long globals;
    // Set once by attachScheduler() (configuration); null while the machine has no scheduler.
    private volatile Scheduler sched;
    // M_THREAD's address, set once at link time (mallocDefineThread).
    private long mThread;

    /**
     * (boot only) Allocates thread0 in the data segment; the calling Java thread becomes the boot
     * context.
     */
    public Lwkt(Kernel kernel, DataSegment data) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.bootThread = Thread.currentThread();
        this.thread0 = data.alloc("thread0", StructThread.layout());
        StructThread.td_comm(km, thread0, "thread0");
        this.globals = data.alloc(GLOBALS);
        km.store32(globals + LWKT_CACHE_THREADS_G, kernel.kenv().fetchInt(LWKT_CACHE_THREADS));
        kernel.sysctl().sysctlInt("lwkt.cache_threads", globals + LWKT_CACHE_THREADS_G, "thread+kstack cache");
    }

    /**
     * Hands the machine's scheduler to the kernel, so that {@link #lwktCreate} can spawn threads.
     * (boot only) Panics if called twice or if the scheduler's ncpus/hz differ from the kernel's.
     */
    public void attachScheduler(Scheduler scheduler) {
        Kassert.kkassert(sched == null, "sched == NULL", "lwkt_attach_scheduler");
        Kassert.kkassert(scheduler.ncpus() == kernel.config().ncpus(), "scheduler ncpus == ncpus",
                "lwkt_attach_scheduler");
        Kassert.kkassert(scheduler.hz() == kernel.config().hz(), "scheduler hz == hz", "lwkt_attach_scheduler");
        sched = scheduler;
        scheduler.onHandOff(this::handedOff);
        scheduler.holdings(kernel.witness());
    }

    /** (dfemu) The machine's scheduler, for the ported synchronisation code; null before {@link #attachScheduler}. */
    public Scheduler scheduler() { return sched; }

    /** True when the caller is in boot context (see the class comment). */
    public boolean bootContext() {
        return Thread.currentThread() == bootThread;
    }

    /** The address of thread0's {@code struct thread}. */
    public long thread0() { return thread0; }

    /** {@code curthread}: the running thread's {@code struct thread} address. */
    public long curthread() {
        return bootContext() ? thread0 : sched.curtd();
    }

    /** The running thread's scheduler id; 0 for thread0. */
    public int curtid() {
        return bootContext() ? 0 : sched.curtid();
    }

    /** {@code mycpu->gd_cpuid}. */
    public int mycpuid() {
        return bootContext() ? 0 : sched.curcpu();
    }

    /** {@code hz}. */
    public int hz() { return kernel.config().hz(); }

    /**
     * Virtual time in nanoseconds (the machine's clock); 0 during boot. PORT: dfemu-only, for
     * statistics the emulator keeps beside the C's (the C reads {@code ticks}).
     */
    public long nanouptime() {
        return bootContext() ? 0 : sched.now();
    }

    /** {@code ticks}; 0 during boot. */
    public long ticks() {
        return bootContext() ? 0 : sched.ticks();
    }

    /** {@code spin_init}: forwards to {@link KernSpinlock#spinInit}. */
    public void spinInit(long kva) { kernel.kernSpinlock().spinInit(kva); }

    /** {@code spin_lock}: forwards to {@link KernSpinlock#spinLock}. */
    public void spinLock(long kva) { kernel.kernSpinlock().spinLock(kva); }

    /** {@code spin_trylock}: forwards to {@link KernSpinlock#spinTrylock}. */
    public boolean spinTryLock(long kva) { return kernel.kernSpinlock().spinTrylock(kva); }

    /** {@code spin_unlock}: forwards to {@link KernSpinlock#spinUnlock}. */
    public void spinUnlock(long kva) { kernel.kernSpinlock().spinUnlock(kva); }

    /** {@code lockinit}: forwards to {@link KernLock#lockinit}. */
    public void lockinit(long lk) { kernel.kernLock().lockinit(lk); }

    /** {@code lockmgr(lk, LK_EXCLUSIVE)}: forwards to {@link KernLock#lockmgr}. May block. */
    public void lockmgrExclusive(long lk, String wmesg) {
        kernel.kernLock().lockmgr(lk, StructLock.LK_EXCLUSIVE, wmesg);
    }

    /** {@code lockinuse(lk)}: forwards to {@link KernLock#lockinuse}. Reads only. */
    public boolean lockmgrHeld(long lk) { return kernel.kernLock().lockinuse(lk); }

    /**
     * {@code lockmgr(lk, LK_EXCLUSIVE | LK_SLEEPFAIL)}: true with the lock if it was free; false
     * without it after waiting for its release (the C's ENOLCK). Forwards to
     * {@link KernLock#lockmgr}. May block.
     */
    public boolean lockmgrExclusiveSleepfail(long lk, String wmesg) {
        return kernel.kernLock().lockmgr(lk, StructLock.LK_EXCLUSIVE | StructLock.LK_SLEEPFAIL, wmesg) == 0;
    }

    /** {@code lockmgr(lk, LK_RELEASE)}: forwards to {@link KernLock#lockmgr}. Never blocks. */
    public void lockmgrRelease(long lk) {
        kernel.kernLock().lockmgr(lk, StructLock.LK_RELEASE, null);
    }

    /**
     * The scheduler's hand-off to a thread on {@code cpuid} (its first run included): the
     * kernel's accesses from now on go through that CPU's TLB, as a real CPU's accesses change
     * hands there. Called by the scheduler before the chosen thread runs, so no scheduling point
     * needs to look the CPU up again. Never blocks.
     */
    private void handedOff(int cpuid) {
        Cpu cpu = kernel.pmap().cpuFor(cpuid);
        if (cpu != null) {
            km.setCpu(cpu);
        }
    }

    /**
     * Back in boot context after the scheduler's run (the host thread reads the reports): the
     * kernel's accesses go through cpu 0 again, as boot context's always do. Boot context only.
     */
    public void bootContextResumed() {
        Kassert.kkassert(bootContext(), "boot context", "lwkt_boot_context_resumed");
        km.setCpu(kernel.pmap().curcpu());
    }

    /** {@code crit_enter}: forwards to {@link org.dfemu.kernel.sys.Thread2#critEnter}. */
    public void critEnter() { kernel.thread2().critEnter(); }

    /** {@code crit_exit}: forwards to {@link org.dfemu.kernel.sys.Thread2#critExit}. */
    public void critExit() { kernel.thread2().critExit(); }

    /** {@code tsleep(ident, 0, wmesg, timo)}: forwards to {@link KernSynch#tsleep}. */
    public int tsleep(long ident, String wmesg, int timo) {
        return kernel.kernSynch().tsleep(ident, 0, wmesg, timo);
    }

    /** (dfemu only) A workload's pause: forwards to {@link KernSynch#sleepNs}. */
    public int sleepNs(long ident, String wmesg, long timeoutNs) {
        return kernel.kernSynch().sleepNs(ident, wmesg, timeoutNs);
    }

    /** {@code wakeup(ident)}: forwards to {@link KernSynch#wakeup}. Any context. */
    public void wakeup(long ident) { kernel.kernSynch().wakeup(ident); }

    /** {@code wakeup_one(ident)}: forwards to {@link KernSynch#wakeupOne}. Any context. */
    public void wakeupOne(long ident) { kernel.kernSynch().wakeupOne(ident); }

    /** {@code lwkt_yield}: lets other runnable threads run. A no-op in boot context. */
    public void lwktYield() {
        if (!bootContext()) {
            sched.yield();   // whether another thread ran does not matter to lwkt_yield
        }
    }

    /**
     * Spends {@code ns} of virtual CPU time in the running kernel thread (a scheduling point, like
     * lwkt_yield); a no-op in boot context. PORT: DragonFly's kernel code costs real time; here a
     * kernel loop that would otherwise retry at one instant (the pageout daemon's scans) charges
     * its work so the clock, and the I/O it waits for, advance.
     */
    public void consume(long ns) {
        if (!bootContext()) {
            sched.consume(ns);
        }
    }

    /**
     * True if the machine charges the kernel's counted work (accesses, walks, traps, page zeroing)
     * as virtual CPU time at scheduling points (its {@code machine.cpu_*} settings); false in boot
     * context and without the model. Never blocks.
     */
    public boolean countsCpuTime() {
        return sched != null && sched.countsCpuTime();
    }

    /** The scheduler of the kernel thread running on this Java thread, for {@link #framesAtPanic}. */
    private static final ScopedValue<Scheduler> RUNNING = ScopedValue.newInstance();

    /**
     * PORT: dfemu-only. The running kernel thread's frames (or, in an event action, the
     * interrupt's), read when a {@link KernelPanic} is raised, before unwinding pops them; null
     * outside a kernel thread (boot) or when they cannot be read. Reads only: no time, no
     * scheduling decision.
     */
    public static java.util.List<String> framesAtPanic() {
        if (!RUNNING.isBound()) return null;
        try {
            return RUNNING.get().frames();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Records a kernel call-chain frame for deadlock reports; pair with {@link #popFrame}. */
    public void pushFrame(String function) {
        if (!bootContext()) {
            sched.pushFrame(function);
        }
    }

    public void popFrame() {
        if (!bootContext()) {
            sched.popFrame();
        }
    }

    /**
     * Tells the stall watchdog the system made progress. Called exactly where a page fault
     * completes (VmFault) and a swap I/O finishes (SwapPager); nothing else counts, a sleep timing
     * out least of all, nor a page freed (a failed slab attempt frees the pages it took). Any
     * context.
     */
    public void progress() {
        if (!bootContext()) {
            sched.progress();
        }
    }

    /**
     * {@code lwkt_create()}: creates a kernel thread named {@code name} on {@code cpu} with
     * {@code tdflags} (e.g. {@link StructThread#TDF_SYSTHREAD}) and makes it runnable. Returns its
     * {@code struct thread} address. When {@code body} returns the thread ends in
     * {@link #lwktExit}.
     *
     * <p>A panic inside {@code body} carries the thread's id and name.
     *
     * <p>Requires the scheduler ({@link #attachScheduler}), lwkt_init, kmalloc and kernel_map. May
     * block in thread context, as the C does: a struct thread the cache does not have is an
     * M_WAITOK kmalloc and a stack's pages come from vm_page_grab(VM_ALLOC_RETRY), both of which
     * wait for memory.
     */
    public long lwktCreate(String name, int cpu, int tdflags, Runnable body) {
        Scheduler s = sched;
        Kassert.kassert(s != null, () -> "lwkt_create: no scheduler attached");
        long td = lwktAllocThread(StructThread.LWKT_THREAD_STACK, cpu, tdflags);
        StructThread.td_comm(km, td, name);
        int tid = s.spawn(name, cpu, td, () -> {
            try {
                ScopedValue.where(RUNNING, s).run(() -> {
                    body.run();
                    lwktExitCheck(s, name);
                    lwktExit();
                });
            } catch (KernelPanic p) {
                kernel.trace().panic(p.panicString());
                throw p.inThread(s.curtid(), name);
            }
        });
        kernel.trace().threadName(tid, name);
        return td;
    }

    /**
     * lwkt_exit's check that the exiting thread holds no spin lock (the C panics in lwkt_switch
     * on gd_spinlocks). PORT: the holds are the {@link Witness}'s record, not a per-cpu count.
     */
    private void lwktExitCheck(Scheduler s, String name) {
        Witness w = kernel.witness();
        int tid = s.curtid();
        if (w.spins(tid) > 0) {
            throw Kassert.panic("lwkt_exit: %s exits holding spin lock 0x%x", name, w.lastSpin(tid));
        }
    }

    /**
     * {@code _lwkt_thread_ctor()}: a struct thread fresh from M_THREAD enters the thread cache
     * with no stack and TDF_ALLOCATED_THREAD. PORT: the port's struct thread has no td_mpflags,
     * which the C clears here too.
     */
    private boolean lwktThreadCtor(long td, long privdata, int ocflags) {
        StructThread.td_kstack(km, td, 0);
        StructThread.td_kstack_size(km, td, 0);
        StructThread.td_flags(km, td, StructThread.TDF_ALLOCATED_THREAD);
        return true;
    }

    /**
     * {@code _lwkt_thread_dtor()}: a struct thread leaving the thread cache for M_THREAD gives its
     * kernel stack back to kernel_map. Panics on a thread not from the cache or without a stack.
     * May block (kmem_free).
     */
    private void lwktThreadDtor(long td, long privdata) {
        int flags = StructThread.td_flags(km, td);
        Kassert.kassert((flags & StructThread.TDF_ALLOCATED_THREAD) != 0,
                () -> "_lwkt_thread_dtor: not allocated from objcache");
        long stack = StructThread.td_kstack(km, td);
        int size = StructThread.td_kstack_size(km, td);
        Kassert.kassert((flags & StructThread.TDF_ALLOCATED_STACK) != 0 && stack != 0 && size > 0,
                () -> "_lwkt_thread_dtor: corrupted stack");
        VmKern vmKern = kernel.vmKern();
        vmKern.kmemFree(vmKern.kernelMap(), stack, size);
        StructThread.td_kstack(km, td, 0);
        StructThread.td_flags(km, td, 0);
    }

    /**
     * {@code lwkt_init()} (SYSINIT SI_BOOT2_LWKT_INIT): settles lwkt.cache_threads (0: ncpus * 4,
     * at least 32) and creates {@code thread_cache}, an objcache over M_THREAD of C-sized struct
     * threads without a limit that retains about lwkt.cache_threads freed threads with their
     * stacks. (boot only) Requires objcache_init and kmalloc.
     */
    public void lwktInit() {
        int cacheThreads = lwktCacheThreads();
        if (cacheThreads == 0) {
            cacheThreads = kernel.config().ncpus() * 4;
            if (cacheThreads < 32) {
                cacheThreads = 32;
            }
            km.store32(globals + LWKT_CACHE_THREADS_G, cacheThreads);
        }
        long oc = kernel.kernObjcache().objcacheCreateMbacked(mThread, StructThread.SIZEOF_C, 0, cacheThreads,
                this::lwktThreadCtor, this::lwktThreadDtor, 0);
        km.store64(globals + THREAD_CACHE, oc);
    }

    /** {@code lwkt_cache_threads}: the thread cache's nominal size (after lwkt_init, never 0). */
    public int lwktCacheThreads() { return km.load32(globals + LWKT_CACHE_THREADS_G); }

    /** {@code thread_cache}: the objcache of freed threads and their stacks (0 before lwkt_init). */
    public long threadCache() { return km.load64(globals + THREAD_CACHE); }

    /**
     * {@code lwkt_alloc_thread(NULL, stksize, cpu, flags)}: the struct thread this cpu's last
     * lwkt_exit parked in gd_freetd, else one from the thread cache (a C-sized kmalloc from
     * M_THREAD if the cache is empty), keeping its cached kernel stack if that is
     * {@code stksize} bytes, else freeing it and taking a new one from kernel_map
     * (kmem_alloc_stack: the first page an unbacked guard, the rest wired and zeroed, on
     * {@code cpu}'s page queues); then lwkt_init_thread's part the port keeps (the struct
     * zeroed, td_kstack, td_kstack_size, td_flags). May block (M_WAITOK, vm_page_grab RETRY);
     * panics if kernel_map has no room for the stack, where the C would go on with a NULL stack
     * and fault on it.
     *
     * <p>PORT: the callers always name the cpu, so the C's cpu_rotator for {@code cpu < 0} is
     * not ported; nor is the caller-supplied {@code td} (the C's static threads: thread0 here).
     * The C's checks of TDF_RUNNING, TDF_PREEMPT_LOCK and TDF_RUNQ are the scheduler's business.
     */
    long lwktAllocThread(int stksize, int cpu, int flags) {
        long gd = kernel.globaldata().mycpu();
        critEnter();
        long td = StructGlobaldata.gd_freetd(km, gd);
        if (td != 0) {
            StructGlobaldata.gd_freetd(km, gd, 0);
        } else {
            td = kernel.kernObjcache().objcacheGet(threadCache(), Malloc.M_WAITOK);
        }
        critExit();
        int tdflags = StructThread.td_flags(km, td);
        Kassert.kassert((tdflags & StructThread.TDF_ALLOCATED_THREAD) != 0,
                () -> String.format("lwkt_alloc_thread: corrupted td flags 0x%X", tdflags));
        flags |= tdflags & (StructThread.TDF_ALLOCATED_THREAD | StructThread.TDF_ALLOCATED_STACK);

        // Reuse the cached stack if it has the size asked for.
        VmKern vmKern = kernel.vmKern();
        long stack = StructThread.td_kstack(km, td);
        if (stack != 0 && StructThread.td_kstack_size(km, td) != stksize) {
            if ((flags & StructThread.TDF_ALLOCATED_STACK) != 0) {
                vmKern.kmemFree(vmKern.kernelMap(), stack, StructThread.td_kstack_size(km, td));
                stack = 0;
            }
        }
        if (stack == 0) {
            stack = vmKern.kmemAllocStack(vmKern.kernelMap(), stksize, VmKern.KM_CPU(cpu));
            if (stack == 0) {
                throw Kassert.panic("lwkt_alloc_thread: no kernel_map space for a %d-byte stack", stksize);
            }
            flags |= StructThread.TDF_ALLOCATED_STACK;
        }
        km.bzero(td, StructThread.SIZEOF_C);
        StructThread.td_kstack(km, td, stack);
        StructThread.td_kstack_size(km, td, stksize);
        StructThread.td_flags(km, td, flags);
        return td;
    }

    /**
     * {@code lwkt_free_thread()}: a thread that will never run again goes back to the thread
     * cache with its stack (TDF_ALLOCATED_THREAD); a caller-supplied struct thread only gives
     * back a stack it was given by {@link #lwktAllocThread}. May block (a cache that overflows
     * destroys the thread: kmem_free, kfree).
     *
     * <p>PORT: in the C the reaper of an exited LWP calls this; the port has no zombie LWPs and
     * every thread, a process's included, ends in {@link #lwktExit}. The C's KKASSERTs on
     * td_refs and on the run and sleep queue flags are the scheduler's business.
     */
    public void lwktFreeThread(long td) {
        int flags = StructThread.td_flags(km, td);
        if ((flags & StructThread.TDF_ALLOCATED_THREAD) != 0) {
            kernel.kernObjcache().objcachePut(threadCache(), td);
        } else if ((flags & StructThread.TDF_ALLOCATED_STACK) != 0) {
            // A client-allocated struct with a stack of ours.
            long stack = StructThread.td_kstack(km, td);
            int size = StructThread.td_kstack_size(km, td);
            Kassert.kassert(stack != 0 && size > 0, () -> "lwkt_free_thread: corrupted stack");
            kernel.vmKern().kmemFree(kernel.vmKern().kernelMap(), stack, size);
            StructThread.td_kstack(km, td, 0);
            StructThread.td_kstack_size(km, td, 0);
        }
    }

    /**
     * {@code lwkt_exit()}, the end of the running kernel thread once its body returned: in a
     * critical section, the thread parked in this cpu's gd_freetd by the previous exit goes back
     * to the thread cache (looping, since the put may block and another exit may park one
     * meanwhile), then the exiting thread parks itself there, stack and all: the C cannot free
     * the stack it still runs on, and the next lwkt_alloc_thread on this cpu takes it first.
     * May block (the put).
     *
     * <p>PORT: lwkt_hold is not ported, so there are no td_refs to wait for ("tdreap"); taking
     * the thread off the run queue and gd_tdallq is the scheduler's, which retires it when its
     * body returns. cpu_thread_exit switches away for good inside the critical section; here
     * the section is left and the body returns to the scheduler, with no scheduling point
     * after the thread parked.
     */
    private void lwktExit() {
        long td = curthread();
        long gd = kernel.globaldata().mycpu();
        critEnter();
        for (;;) {
            long std = StructGlobaldata.gd_freetd(km, gd);
            if (std == 0) {
                break;
            }
            StructGlobaldata.gd_freetd(km, gd, 0);
            kernel.kernObjcache().objcachePut(threadCache(), std);
        }
        Kassert.kkassert(StructGlobaldata.gd_freetd(km, gd) == 0, "gd->gd_freetd == NULL", "lwkt_exit");
        if ((StructThread.td_flags(km, td) & StructThread.TDF_ALLOCATED_THREAD) != 0) {
            StructGlobaldata.gd_freetd(km, gd, td);
        }
        critExit();
    }

    /**
     * (boot only) lwkt_thread.c's {@code MALLOC_DEFINE(M_THREAD, "thread", ...)}. PORT: Lwkt is
     * linked before kern_slaballoc.c's class, so Kernel registers this type right after it.
     */
    public void mallocDefineThread(DataSegment data) {
        this.mThread = kernel.kernSlaballoc().mallocDefine(data, "thread");
    }

    /** {@code M_THREAD}: lwkt threads. */
    public long mThread() { return mThread; }
}
