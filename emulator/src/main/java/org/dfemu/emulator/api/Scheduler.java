package org.dfemu.emulator.api;

/**
 * The contract between the software the machine runs and its thread scheduler: threads, wait
 * channels, a preemption-disable count, scheduling points, the virtual clock, and the means to
 * end a run. It knows no locks and no rules about when a thread may sleep: those belong to the
 * software it runs (the kernel), which builds them on these primitives.
 *
 * <p>Kernel threads are carried by Java virtual threads, but exactly one of them runs at any
 * instant, across all emulated CPUs; every hand-off is chosen by a seeded PRNG, so a run is a
 * pure function of (image, settings, seed). Every method that may switch threads is a
 * <em>scheduling point</em>: {@link #sleep}, {@link #blockOn}, {@link #yield},
 * {@link #consume}.
 *
 * <p>Wait channels are 64-bit identifiers (in the kernel, the address of the thing waited
 * on); {@code wmesg} is the short name a deadlock
 * report prints, as in {@code ps -o wchan}.
 *
 * <p>A thread that waits for something another thread holds says so ({@link Awaited}): with
 * {@link #blockOn} while it sleeps for it, with {@link #awaiting} while it yields until it can
 * take it. Reports then show what it waits for and who holds it; with {@link #holdings} they also
 * show what each thread holds.
 *
 * <p>Every method here must be called from a kernel thread the scheduler runs, unless it says
 * otherwise ("any context" methods may also be called from interrupt context, i.e. from a
 * {@code VirtualClock} event action). A thread-only method called from interrupt context, or
 * from a thread the scheduler does not run, is a panic. Interrupt context therefore cannot
 * sleep, block or disable preemption: an event action records what happened and
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

    /** The name thread {@code tid} was spawned with, or null if no thread has that id. Any context; reads only. */
    String threadName(int tid);

    /**
     * {@code "tid 3 (pagedaemon, SLEEPING)"}: thread {@code tid} and its state now, as reports name
     * a thread; null if no thread has that id. Any context; reads only.
     */
    String threadLabel(int tid);

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
     * {@code timeoutNs} (0 = no timeout) has passed. Returns true if the timeout ended it, false
     * when woken. Always a scheduling point. The timeout is exact in virtual nanoseconds (not
     * rounded to ticks). A pending timeout counts as outstanding work, so a timed sleeper is never
     * reported as deadlocked (only, with the watchdog, as livelocked). Callers re-check their
     * condition after it returns. Whether the caller may sleep at all is the caller's rule.
     */
    boolean sleep(long ident, String wmesg, long timeoutNs);

    /** Makes every thread sleeping or blocked on {@code ident} runnable, in the order they slept. Any context. */
    void wakeup(long ident);

    /** Makes the longest sleeper (or blocked thread) on {@code ident} runnable, if any. Any context. */
    void wakeupOne(long ident);

    /**
     * Sleeps on {@code ident}, with no timeout, waiting for {@code what}, which another thread
     * holds: the thread's state is LOCKWAIT and reports show {@code what} and its holders until
     * the thread is woken ({@link #wakeupBlocked}, or {@link #wakeup}/{@link #wakeupOne} on
     * {@code ident}). Always a scheduling point; the caller re-checks and blocks again if it still
     * cannot have it. Such a sleep does not arm the stall watchdog's wmesg filter.
     */
    void blockOn(long ident, String wmesg, Awaited what);

    /**
     * Makes every thread {@link #blockOn blocked} on {@code ident} runnable, in the order they
     * blocked; threads that {@link #sleep} on it stay asleep. Not a scheduling point. Any context.
     */
    void wakeupBlocked(long ident);

    /**
     * A forced scheduling point with no state change: another runnable
     * thread runs first if the preemption rule allows one, so a polling loop around it
     * progresses. Returns true if another thread ran before the caller got the CPU back, false if
     * none could (none runnable, or all held off by preemption-disabled threads of their CPUs).
     */
    boolean yield();

    /**
     * Declares what the running thread waits for while it polls ({@link #yield}) for something
     * another thread holds, or with null that it no longer does; reports show it meanwhile. Not a
     * scheduling point.
     */
    void awaiting(Awaited what);

    /**
     * Spends {@code ns} of virtual CPU time in the running thread; a scheduling point. Events due
     * meanwhile fire (in interrupt context); then the thread may be preempted, with a seeded
     * probability, in favour of another runnable thread.
     */
    void consume(long ns);

    /**
     * Raises the running thread's preemption-disable count: while it is non-zero no other thread
     * of this CPU runs; threads of other CPUs may still run in between the caller's scheduling
     * points. Sleeping with it raised is allowed and gives the CPU up until the thread runs again.
     * Not a scheduling point.
     */
    void preemptDisable();

    /** Lowers the count {@link #preemptDisable} raised. Not a scheduling point. Panics if it is already 0. */
    void preemptEnable();

    /** The running thread's preemption-disable count. */
    int preemptCount();

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

    /** What each thread holds, for reports: see {@link #holdings}. */
    @FunctionalInterface
    interface Holdings {
        /** What thread {@code tid} holds now, in the order it took them. Reads only; must not call the scheduler. */
        java.util.List<Held> of(int tid);
    }

    /**
     * Sets where thread snapshots (reports, core files) read what each thread holds; without it
     * they show nothing held. Call before the run, once. Not a scheduling point.
     */
    void holdings(Holdings holdings);

    /**
     * Ends the run as a DEADLOCK found by the caller (e.g. threads polling in a cycle, each for
     * what the next one holds): the report has {@code headline} and every live thread as it is
     * now. Returns, once the run is over, the Error the caller must throw to unwind (as from any
     * scheduling point after the run ended). Thread context.
     */
    Error deadlock(String headline);

    /**
     * Ends the run as soon as possible with outcome STOPPED and {@code reason} (a clean shutdown,
     * a time limit). Any context, including another host thread.
     */
    void requestStop(String reason);
}
