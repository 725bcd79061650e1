package org.dfemu.kernel.kern;

import org.dfemu.emulator.api.Scheduler;
import org.dfemu.emulator.cpu.Cpu;
import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.KernelPanic;
import org.dfemu.kernel.harness.witness.Witness;
import org.dfemu.kernel.machine.Vmparam;
import org.dfemu.kernel.sys.Errno;
import org.dfemu.kernel.sys.Malloc;
import org.dfemu.kernel.sys.StructLock;
import org.dfemu.kernel.sys.StructThread;
import org.dfemu.kernel.vm.VmKern;

/**
 * lwkt_thread.c: DragonFly BSD sys/kern/lwkt_thread.c at commit 737b020b54 (2021-05-28), as the
 * port needs it: curthread, kernel-thread creation and exit, lwkt_yield, and the attachment of
 * the machine's scheduler.
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

    private final Kernel kernel;
    private final KernelMemory km;
    private final Thread bootThread;
    private final long thread0;
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
     * {@code struct thread} address.
     *
     * <p>A panic inside {@code body} carries the thread's id and name.
     *
     * <p>Requires the scheduler ({@link #attachScheduler}), kmalloc and kernel_map. May block in
     * thread context, as the C does: the struct thread is an M_WAITOK kmalloc and the stack's
     * pages come from vm_page_grab(VM_ALLOC_RETRY), both of which wait for memory.
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
                });
            } catch (KernelPanic p) {
                kernel.trace().panic(p.panicString());
                throw p.inThread(s.curtid(), name);
            }
            lwktFreeThread(td);
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
     * {@code lwkt_alloc_thread(NULL, stksize, cpu, flags)}: a struct thread of the C's size from
     * M_THREAD and a {@code stksize} kernel stack from kernel_map (kmem_alloc_stack: the first
     * page an unbacked guard, the rest wired and zeroed, on {@code cpu}'s page queues), then
     * lwkt_init_thread's part the port keeps (td_kstack, td_kstack_size, td_flags). May block
     * (M_WAITOK, vm_page_grab RETRY); panics if kernel_map has no room for the stack, where the
     * C would go on with a NULL stack and fault on it.
     *
     * <p>PORT: the C takes the thread from an objcache over M_THREAD that keeps up to
     * lwkt.cache_threads (32) freed threads with their stacks, and lwkt_exit parks the last one in
     * gd_freetd; the port has no objcache, so every thread is a fresh kmalloc and stack and every
     * exit returns both at once.
     */
    private long lwktAllocThread(int stksize, int cpu, int flags) {
        KernSlaballoc slab = kernel.kernSlaballoc();
        long td = slab.kmalloc(StructThread.SIZEOF_C, mThread, Malloc.M_WAITOK);
        VmKern vmKern = kernel.vmKern();
        long stack = vmKern.kmemAllocStack(vmKern.kernelMap(), stksize, VmKern.KM_CPU(cpu));
        if (stack == 0) {
            throw Kassert.panic("lwkt_alloc_thread: no kernel_map space for a %d-byte stack", stksize);
        }
        km.bzero(td, StructThread.SIZEOF_C);
        StructThread.td_kstack(km, td, stack);
        StructThread.td_kstack_size(km, td, stksize);
        StructThread.td_flags(km, td, flags | StructThread.TDF_ALLOCATED_THREAD | StructThread.TDF_ALLOCATED_STACK);
        return td;
    }

    /**
     * {@code lwkt_free_thread()} for a thread whose body returned: its stack goes back to
     * kernel_map (kmem_free: unwired, pages freed) and its struct thread to M_THREAD.
     * PORT: the exiting thread frees both itself (DragonFly defers the free to the next switch,
     * gd_freetd, because it cannot free the stack it runs on; here nothing runs on that stack) and
     * the objcache does not keep them (see {@link #lwktAllocThread}). May block (map lock, page
     * busy waits).
     */
    private void lwktFreeThread(long td) {
        kernel.vmKern().kmemFree(kernel.vmKern().kernelMap(), StructThread.td_kstack(km, td),
                StructThread.td_kstack_size(km, td));
        StructThread.td_kstack(km, td, 0);
        StructThread.td_kstack_size(km, td, 0);
        kernel.kernSlaballoc().kfree(td, mThread);
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
