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
 * {@code VirtualClock} event action).
 */
public interface Scheduler {
    /** {@code EWOULDBLOCK}: returned by {@link #tsleep} when the timeout expired. */
    int EWOULDBLOCK = 35;

    /**
     * Creates a kernel thread bound to {@code cpu}, runnable at once. {@code td} is an opaque
     * value the kernel attaches (the address of its {@code struct thread}). Returns the thread id
     * (positive, assigned in creation order). Any context, including before {@link #run}.
     */
    int spawn(String name, int cpu, long td, Runnable body);

    /** Thread id of the running kernel thread. */
    int curtid();

    /** The {@code td} value given to {@link #spawn} for the running thread. */
    long curtd();

    /** CPU the running thread is bound to. */
    int curcpu();

    /** Number of emulated CPUs. */
    int ncpus();

    /** Virtual time in nanoseconds. Any context. */
    long now();

    /** Clock interrupt frequency ({@code hz}). Any context. */
    int hz();

    /** {@code ticks}: clock interrupts since boot, derived from virtual time. Any context. */
    long ticks();

    /**
     * Sleeps on {@code ident} until {@link #wakeup}/{@link #wakeupOne} on it, or until
     * {@code timeoutNs} (0 = no timeout) has passed. Returns 0 when woken, {@link #EWOULDBLOCK}
     * on timeout. Always a scheduling point.
     */
    int tsleep(long ident, String wmesg, long timeoutNs);

    /** Makes every thread sleeping on {@code ident} runnable, in the order they slept. Any context. */
    void wakeup(long ident);

    /** Makes the longest sleeper on {@code ident} runnable, if any. Any context. */
    void wakeupOne(long ident);

    /** A scheduling point with no state change ({@code lwkt_yield}). */
    void yield();

    /** Spends {@code ns} of virtual CPU time in the running thread; a scheduling point. */
    void consume(long ns);

    /** {@code crit_enter}: while the count is non-zero no other thread runs on this CPU. */
    void critEnter();

    /** {@code crit_exit}. */
    void critExit();

    /** The running thread's critical-section nesting count. */
    int critCount();

    /** {@code spin_lock} on the lock word at physical address {@code pa}. */
    void spinLock(long pa);

    /** {@code spin_trylock}: true if acquired, never blocks. */
    boolean spinTryLock(long pa);

    /** {@code spin_unlock}; panics if the caller does not hold it. */
    void spinUnlock(long pa);

    /** {@code lockmgr(LK_EXCLUSIVE)} on the sleepable lock word at {@code pa}; may sleep. */
    void lockExclusive(long pa, String name);

    /** {@code lockmgr(LK_SHARED)}; may sleep. */
    void lockShared(long pa, String name);

    /** {@code lockmgr(LK_EXCLUSIVE|LK_NOWAIT)}: true if acquired. */
    boolean lockTryExclusive(long pa, String name);

    /** {@code lockmgr(LK_RELEASE)} of a shared or exclusive hold. */
    void lockRelease(long pa);

    /**
     * Records a kernel-level call-chain frame for the running thread (e.g. "kmem_slab_alloc"),
     * so that deadlock reports show where a thread sleeps in kernel terms rather than a Java
     * stack. {@link #popFrame} must be called on the way out (try/finally).
     */
    void pushFrame(String function);

    void popFrame();

    /**
     * Tells the watchdog that the system made forward progress (a page freed, a fault completed,
     * an I/O finished). A run that waits for memory with no progress for the watchdog interval is
     * stopped and reported as a livelock. Any context.
     */
    void progress();
}
