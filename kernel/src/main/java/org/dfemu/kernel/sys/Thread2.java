package org.dfemu.kernel.sys;

import org.dfemu.emulator.api.Scheduler;
import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.kern.Lwkt;

/**
 * thread2.h: DragonFly BSD sys/sys/thread2.h at commit 737b020b54 (2021-05-28): the critical
 * section, {@code crit_enter}/{@code crit_exit}, as the port uses it.
 *
 * <p>A critical section keeps the current thread on its CPU: while the count is raised no other
 * thread of that CPU runs (interrupts are deferred in the C; here event actions may still fire,
 * but they may use only the "any context" primitives, so they cannot see the difference).
 * Threads of other CPUs go on. Sleeping in one is allowed and gives the CPU up until the thread
 * runs again.
 *
 * <p>PORT: in thread context the count is the scheduler's per-thread preemption-disable count
 * rather than {@code td_critcount}: the choice rule must read it at every scheduling point, and a
 * store to emulated memory would be counted CPU work, changing every run. In boot context
 * (thread0, before any thread runs) it is thread0's {@code td_critcount}, as in the C.
 */
public final class Thread2 {
    private final Lwkt lwkt;
    private final KernelMemory km;

    public Thread2(Kernel kernel, Lwkt lwkt) {
        this.lwkt = lwkt;
        this.km = kernel.km();
    }

    /**
     * {@code crit_enter()}: enters a critical section of the current thread (nests). No
     * requirements; never blocks; not a scheduling point.
     */
    public void critEnter() {
        if (lwkt.bootContext()) {
            long td = lwkt.thread0();
            StructThread.td_critcount(km, td, StructThread.td_critcount(km, td) + 1);
            return;
        }
        lwkt.scheduler().preemptDisable();
    }

    /**
     * {@code crit_exit()}: leaves the innermost critical section. Panics if the thread is in
     * none. Never blocks.
     *
     * <p>PORT: the C's crit_exit may switch to a thread the critical section held off
     * (gd_reqflags); here preemption happens only at scheduling points, so it never does.
     */
    public void critExit() {
        if (lwkt.bootContext()) {
            long td = lwkt.thread0();
            int c = StructThread.td_critcount(km, td);
            Kassert.kkassert(c > 0, "td->td_critcount > 0", "crit_exit");
            StructThread.td_critcount(km, td, c - 1);
            return;
        }
        Scheduler sched = lwkt.scheduler();
        if (sched.preemptCount() == 0) {
            throw Kassert.panic("crit_exit: thread %s is not in a critical section", sched.threadName(sched.curtid()));
        }
        sched.preemptEnable();
    }

    /**
     * {@code crit_enter_raw(td)} for the current thread in thread context: what spin_lock does,
     * without looking the context up again. Never blocks.
     */
    public void critEnterRaw(Scheduler sched) {
        sched.preemptDisable();
    }

    /**
     * {@code crit_exit_quick(td)} for the current thread in thread context: what spin_unlock
     * does. The scheduler panics if the count is already 0. Never blocks (see {@link #critExit}).
     */
    public void critExitQuick(Scheduler sched) {
        sched.preemptEnable();
    }

    /** {@code curthread->td_critcount}: the current thread's critical-section nesting. Never blocks. */
    public int critCount() {
        return lwkt.bootContext() ? StructThread.td_critcount(km, lwkt.thread0()) : lwkt.scheduler().preemptCount();
    }
}
