package org.dfemu.kernel.kern;

import org.dfemu.emulator.api.Scheduler;
import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.harness.witness.Witness;
import org.dfemu.kernel.sys.Errno;

/**
 * kern_synch.c: DragonFly BSD sys/kern/kern_synch.c at commit 737b020b54 (2021-05-28): sleeping
 * on a wait channel and waking its sleepers, as the port uses them.
 *
 * <p>A wait channel is a kernel address (the thing waited for); sleepers are kept by the
 * scheduler, woken in the order they slept.
 *
 * <p>PORT: the sleep queues, timeouts and the switch itself are the emulator's
 * {@link Scheduler} (sleep, wakeup, wakeupOne); this file keeps the C's rules around them: the
 * boot-time early return, the timeout in ticks, and that a thread holding a spin lock must not
 * sleep. The C has no process-level parts here (no PCATCH, no signals, no estcpu): the port's
 * sleepers are kernel threads.
 */
public final class KernSynch {
    private final Kernel kernel;
    private final Lwkt lwkt;
    private final Witness witness;

    public KernSynch(Kernel kernel, Lwkt lwkt, Witness witness) {
        this.kernel = kernel;
        this.lwkt = lwkt;
        this.witness = witness;
    }

    /**
     * {@code tsleep(ident, flags, wmesg, timo)}: sleeps on {@code ident} until a wakeup on it, or
     * until {@code timo} ticks have passed (0: no timeout). Returns 0 when woken,
     * {@link Errno#EWOULDBLOCK} when the timeout ended it. The caller re-checks its condition.
     *
     * <p>Locking: the caller must hold no spin lock (panics: sleeping would leave the spin lock's
     * critical section for good). Any lockmgr locks and critical sections stay held across the
     * sleep. Always a scheduling point in thread context. Before threads run (boot context) it
     * returns 0 at once, as the C does until {@code tsleep_now_works}.
     *
     * <p>PORT: {@code flags} must be 0 (PCATCH, PINTERLOCKED and PNORESCHED are not used by the
     * ported code). The C catches a sleep with spin locks held in lwkt_switch (gd_spinlocks);
     * the port checks here, before the switch, from the holder's {@link Witness} record.
     */
    public int tsleep(long ident, int flags, String wmesg, int timo) {
        Kassert.kassert(ident != 0, () -> "tsleep: no ident");
        Kassert.kkassert(flags == 0, "flags == 0", "tsleep");
        if (lwkt.bootContext()) {
            return 0;
        }
        long timeoutNs = timo == 0 ? 0 : (long) timo * 1_000_000_000L / lwkt.hz();
        kernel.trace().tsleep(ident, wmesg);
        return sleep(ident, wmesg, timeoutNs);
    }

    /**
     * (dfemu only) A sleep of the workload's own: a program's pause, not a kernel tsleep, so not
     * traced as one: {@code timeoutNs} of virtual time on {@code ident}, or until woken. Thread
     * context; always a scheduling point. Returns as {@link #tsleep}; the same spin-lock rule.
     */
    public int sleepNs(long ident, String wmesg, long timeoutNs) {
        return sleep(ident, wmesg, timeoutNs);
    }

    private int sleep(long ident, String wmesg, long timeoutNs) {
        Scheduler sched = lwkt.scheduler();
        // PORT: the C catches this in lwkt_switch (gd_spinlocks); checked here, before the switch.
        requireNoSpinlocks(sched, "tsleep", wmesg);
        return sched.sleep(ident, wmesg, timeoutNs) ? Errno.EWOULDBLOCK : 0;
    }

    /**
     * The rule every sleeping primitive applies (tsleep here, lockmgr when it would block): the
     * current thread holds no spin lock. Panics naming the last one taken. Thread context.
     */
    void requireNoSpinlocks(Scheduler sched, String fn, String wmesg) {
        int tid = sched.curtid();
        if (witness.spins(tid) > 0) {
            throw Kassert.panic("%s(%s): %s would sleep holding spin lock 0x%x",
                    fn, wmesg, sched.threadName(tid), witness.lastSpin(tid));
        }
    }

    /**
     * {@code wakeup(ident)}: makes every thread sleeping on {@code ident} runnable, in the order
     * they slept. Any context (interrupt context included); never blocks, not a scheduling point.
     * A no-op in boot context, where nobody sleeps.
     */
    public void wakeup(long ident) {
        if (lwkt.bootContext()) {
            return;
        }
        lwkt.scheduler().wakeup(ident);
    }

    /**
     * {@code wakeup_one(ident)}: makes the longest sleeper on {@code ident} runnable, if any. Any
     * context; never blocks. A no-op in boot context.
     */
    public void wakeupOne(long ident) {
        if (lwkt.bootContext()) {
            return;
        }
        lwkt.scheduler().wakeupOne(ident);
    }
}
