package org.dfemu.emulator.api;

/**
 * The contract between the kernel and the machine's thread scheduler: DragonFly's LWKT
 * primitives as the port needs them.
 *
 * <p>Kernel threads are carried by Java virtual threads, but exactly one of them runs at any
 * instant, across all emulated CPUs; every hand-off is chosen by a seeded PRNG, so a run is a
 * pure function of (image, settings, seed). Every method that may switch threads is a
 * <em>scheduling point</em>: {@link #tsleep}, {@link #yield}, {@link #consume}, contended lock
 * acquisition.
 *
 * <p>Wait channels are 64-bit identifiers (in the kernel, the address of the thing waited on, as
 * {@code tsleep(&vmstats.v_free_count, ...)} does); {@code wmesg} is the short name a deadlock
 * report prints, as in {@code ps -o wchan}.
 *
 * <p>Locks live in emulated memory: each is one naturally aligned 64-bit word at a physical
 * address, 0 when free; the encoding is documented on the implementation. Contention is a
 * scheduling point; a thread blocked on a lock is reported with the lock's owner.
 *
 * <p>Every method here must be called from a kernel thread the scheduler runs, unless it says
 * otherwise ("any context" methods may also be called from interrupt context, i.e. from a
 * {@code VirtualClock} event action). A thread-only method called from interrupt context, or
 * from a thread the scheduler does not run, is a panic. Interrupt context therefore cannot
 * sleep, take locks or enter critical sections: an event action records what happened and
 * wakes the thread that does the work, as DragonFly's interrupt threads do.
 *
 * <p>Nothing but a scheduling point ever switches threads: kernel code between two scheduling
 * points runs alone on the whole machine, and a wakeup only makes a thread runnable. Time is
 * one global virtual clock; it moves only through {@link #consume} and while every thread is
 * asleep. How the next thread is chosen is documented on the implementation
 * ({@code sched.LwktScheduler}).
 *
 * <p>When a run ends (deadlock, panic, stop), threads still inside a scheduling point are
 * unwound by an {@link Error} thrown from it. Kernel code must not catch {@code Throwable} or
 * {@code Error} around scheduler calls, and its {@code finally} blocks must not expect scheduler
 * calls to succeed then (they throw the same Error). An uncaught exception in a kernel thread is
 * a panic that ends the run.
 */
public interface Scheduler {
    /** {@code EWOULDBLOCK}: returned by {@link #tsleep} when the timeout expired. */
    int EWOULDBLOCK = 35;

    /**
     * Creates a kernel thread bound to {@code cpu}, runnable at once. {@code td} is an opaque
     * value the kernel attaches (the address of its {@code struct thread}). Returns the thread id
     * (positive, assigned in creation order). Any context, including before the run starts.
     * Not a scheduling point: the new thread first runs when a later scheduling point picks it.
     */
    int spawn(String name, int cpu, long td, Runnable body);

    /** Thread id of the running kernel thread. */
    int curtid();

    /** The {@code td} value given to {@link #spawn} for the running thread. */
    long curtd();

    /**
     * CPU the running thread is bound to. Any context: in interrupt context, the CPU of the
     * thread whose scheduling point advanced the clock.
     */
    int curcpu();

    /** Number of emulated CPUs. */
    int ncpus();

    /** Virtual time in nanoseconds. Any context. */
    long now();

    /**
     * Virtual time as the running thread sees it: {@link #now()} plus the CPU time it has done
     * and not yet been charged (the CPU-time model charges at scheduling points). For the length
     * of spans (a page fault) that end before one. Any context; {@link #now()} without the model.
     */
    default long cpuNow() { return now(); }

    /** True if counted CPU work (accesses, walks, traps, page zeroing) is charged as virtual time. */
    default boolean countsCpuTime() { return false; }

    /** Clock interrupt frequency ({@code hz}). Any context. */
    int hz();

    /** {@code ticks}: clock interrupts since boot, derived from virtual time. Any context. */
    long ticks();

    /**
     * Sleeps on {@code ident} until {@link #wakeup}/{@link #wakeupOne} on it, or until
     * {@code timeoutNs} (0 = no timeout) has passed. Returns 0 when woken, {@link #EWOULDBLOCK}
     * on timeout. Always a scheduling point. The timeout is exact in virtual nanoseconds (not
     * rounded to ticks). A pending timeout counts as outstanding work, so a timed sleeper is never
     * reported as deadlocked (only, with the watchdog, as livelocked). Panics if the caller holds
     * a spin lock. Callers re-check their condition after it returns, as in the C code.
     */
    int tsleep(long ident, String wmesg, long timeoutNs);

    /** Makes every thread sleeping on {@code ident} runnable, in the order they slept. Any context. */
    void wakeup(long ident);

    /** Makes the longest sleeper on {@code ident} runnable, if any. Any context. */
    void wakeupOne(long ident);

    /**
     * A scheduling point with no state change ({@code lwkt_yield}): another runnable thread
     * runs first if the critical-section rule allows one, so a polling loop around it progresses.
     */
    void yield();

    /**
     * Spends {@code ns} of virtual CPU time in the running thread; a scheduling point. Events due
     * meanwhile fire (in interrupt context); then the thread may be preempted, with a seeded
     * probability, in favour of another runnable thread.
     */
    void consume(long ns);

    /**
     * {@code crit_enter}: while the count is non-zero no other thread runs on this CPU; threads of
     * other CPUs may still run in between the caller's scheduling points. Sleeping inside a
     * critical section is allowed and gives the CPU up until the thread runs again.
     */
    void critEnter();

    /** {@code crit_exit}. Not a scheduling point. Panics if the count is already 0. */
    void critExit();

    /** The running thread's critical-section nesting count. */
    int critCount();

    /**
     * {@code spin_lock} on the lock word at physical address {@code pa}. As in DragonFly the
     * holder is in a critical section until {@link #spinUnlock}, and must not sleep (a
     * {@link #tsleep} or a contended lockmgr call panics). Not recursive. Contention is a
     * scheduling point (the spinner lets others run, then retries); it never sleeps.
     */
    void spinLock(long pa);

    /** {@code spin_trylock}: true if acquired (then in a critical section, as for spinLock); never blocks. */
    boolean spinTryLock(long pa);

    /** {@code spin_unlock}; panics if the caller does not hold it. */
    void spinUnlock(long pa);

    /**
     * {@code lockmgr(LK_EXCLUSIVE)} on the sleepable lock word at {@code pa}; may sleep, on the
     * wait channel {@code pa} with wmesg {@code name}. Not recursive: panics if the caller already
     * holds it in any mode.
     */
    void lockExclusive(long pa, String name);

    /** {@code lockmgr(LK_SHARED)}; may sleep. */
    void lockShared(long pa, String name);

    /** {@code lockmgr(LK_EXCLUSIVE|LK_NOWAIT)}: true if acquired. */
    boolean lockTryExclusive(long pa, String name);

    /**
     * {@code lockmgr(LK_RELEASE)} of a shared or exclusive hold. Not a scheduling point; wakes
     * the lock's waiters when it becomes free. Panics if the caller does not hold it.
     */
    void lockRelease(long pa);

    /**
     * Records a kernel-level call-chain frame for the running thread (e.g. "kmem_slab_alloc"),
     * so that deadlock reports show where a thread sleeps in kernel terms rather than a Java
     * stack. {@link #popFrame} must be called on the way out (try/finally). Any context: an event
     * action's frames go on a separate interrupt stack.
     */
    void pushFrame(String function);

    /** Pops the frame the matching {@link #pushFrame} pushed. Any context. */
    void popFrame();

    /**
     * The running thread's kernel frames (in an event action, the interrupt stack's), innermost
     * first, as a new list: for checkers that record where the kernel was. Any context. Not a
     * scheduling point; reads only.
     */
    java.util.List<String> frames();

    /**
     * Tells the watchdog that the system made forward progress (a fault completed,
     * an I/O finished). A run that waits for memory with no progress for the watchdog interval is
     * stopped and reported as a livelock. Any context.
     */
    void progress();

    /**
     * Sets the hand-off listener: at every hand-off, before the chosen thread runs (also a
     * thread's first run), it is told the CPU that thread runs on; the thread giving up the CPU
     * (or the host) calls it, and the chosen thread sees what it did. For software that keeps a
     * per-CPU context for the running code (the kernel's current TLB), so that it need not look
     * the CPU up after every scheduling point. The listener must not call the scheduler. Call
     * before the run, once. Not a scheduling point.
     */
    void onHandOff(java.util.function.IntConsumer cpuListener);

    /**
     * Ends the run as soon as possible with outcome STOPPED and {@code reason} (a clean shutdown,
     * a time limit). Any context, including another host thread.
     */
    void requestStop(String reason);
}
