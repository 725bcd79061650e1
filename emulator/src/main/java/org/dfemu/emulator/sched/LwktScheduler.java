package org.dfemu.emulator.sched;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

import org.dfemu.emulator.api.Awaited;
import org.dfemu.emulator.api.Held;
import org.dfemu.emulator.api.PanicFrames;
import org.dfemu.emulator.api.Scheduler;
import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.cpu.Cpus;
import org.dfemu.emulator.time.VirtualClock;
import org.dfemu.emulator.trace.EmulatorEvents;

/**
 * The machine's thread scheduler: neutral thread primitives (threads, wait channels, a
 * preemption-disable count, scheduling points) over Java virtual threads, one running at a time,
 * every choice drawn from one seeded {@link SplittableRandom}. The model of preemption is that
 * of an LWKT-style kernel: a thread keeps its CPU until a scheduling point.
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>owner</b>: the one Java thread allowed to touch scheduler state: the running kernel
 *       thread, or the host thread inside {@link #run()} until the first hand-off. Everything
 *       below (run queue, sleep queues, the clock, thread records) belongs to the owner.</li>
 *   <li><b>curthread of a CPU</b>: the thread holding that CPU: the running thread, or a thread
 *       that was preempted and not yet displaced by another thread of the same CPU; none after
 *       its thread blocked or exited.</li>
 *   <li><b>scheduling point</b>: {@link #consume}, {@link #yield}, {@link #sleep},
 *       {@link #blockOn}, thread exit. Nothing else ever switches threads.</li>
 * </ul>
 *
 * <h2>Hand-off</h2>
 * The owner picks the next thread, publishes it in the volatile {@code current}, and unparks its
 * virtual thread (starting it the first time); then it parks until {@code current} names it
 * again. Parking sits in a loop on {@code current}, so spurious wakeups and early unparks are
 * harmless. The volatile write/read pair orders all scheduler state between owners, which is why
 * no other field is volatile. A thread that continues (the common case at a consume point) does
 * not park or unpark anything.
 *
 * <h2>Choice rule (the preemption model)</h2>
 * <ol>
 *   <li>Eligible threads: the runnable ones, except that while a CPU's curthread is in a
 *       preemption-disabled ({@code preemptCount > 0}), no other thread of that CPU is eligible;
 *       threads of other CPUs still run in between.</li>
 *   <li>{@link #consume}: time advances first; then, if other threads are runnable, the running
 *       thread is preempted with probability {@link SchedulerSettings#switchProbability()} in
 *       favour of an eligible thread chosen uniformly; otherwise it continues.</li>
 *   <li>{@link #yield}: always hands the CPU to a uniformly chosen eligible other thread when
 *       there is one (it exists to let others run: a thread polling for what another holds
 *       cannot progress until the holder runs).</li>
 *   <li>Blocking ({@link #sleep}, {@link #blockOn}) and exit: a uniformly chosen eligible thread runs
 *       next; if none is runnable, the clock jumps to its next event (firing it in interrupt
 *       context) until one is, or until nothing pending could ever wake one (a deadlock).</li>
 * </ol>
 * Wakeups and spawns are not scheduling points: the woken thread waits for the next one.
 *
 * <h2>Time</h2>
 * One global {@link VirtualClock} for all CPUs: {@code consume(ns)} advances it by {@code ns},
 * whichever CPU runs, so the CPUs' work is interleaved, not overlapped. Events due on the way
 * fire at their own time in interrupt context on the consuming thread's Java thread; they fire
 * even when that thread has preemption disabled (interrupt handlers may only use the "any
 * context" primitives, so they cannot observe it). Sleep timeouts are kept in nanoseconds, not
 * rounded to ticks.
 *
 * <h2>CPU time</h2>
 * With {@link #attachCpuTime}, the work each CPU counted ({@link org.dfemu.emulator.cpu.Cpu#takeNs}:
 * accesses, page walks, traps, pages zeroed and copied) and the context switches made to the
 * running thread are charged to it at each of its scheduling points, before anything else happens
 * there: the clock advances by that time (events due on the way fire as for {@code consume}),
 * then the point does its work. In {@code sleep} and {@code blockOn} the charge comes after the
 * thread is on its wait queue (so a wakeup fired on the way is not lost) and before its timeout
 * is set (so the timeout counts from the end of its CPU time). Work counted outside any thread
 * (event actions run while no thread charges) goes to the next thread of the CPU that did it;
 * boot's is dropped when the run starts. Without it nothing is charged and runs are as they
 * were before the model.
 *
 * <h2>Deadlock and livelock</h2>
 * When no thread is runnable and the clock has no keepsAlive event, the run stops with a
 * {@link DeadlockReport} of kind DEADLOCK; housekeeping events do not keep a run alive. The
 * software may end a run the same way with its own finding ({@link #deadlock}: pollers that wait
 * for each other in a cycle). When the watchdog is enabled
 * and virtual time reaches {@code watchdogNs} after the last {@link #progress()} while at least
 * one thread is asleep, the run stops as a LIVELOCK at exactly that instant (the clock is
 * stepped to the deadline first; no periodic event is needed). With
 * {@link SchedulerSettings#watchdogWmesgs()} only the listed sleeps (the kernel's waits for
 * memory) arm it, and the interval counts from the first such sleep after the last progress.
 * A thread that counts {@link SchedulerSettings#runawayNs()} of CPU time (the CPU-time model;
 * the watchdog's interval if that is shorter) without reaching a scheduling point also ends the
 * run as a LIVELOCK: the clock only moves at scheduling points,
 * so such a loop would otherwise never end.
 *
 * <h2>End of a run</h2>
 * The owner that ends the run (last exit, deadlock, watchdog, panic, stop request) publishes the
 * {@link RunResult} and wakes the host. The host then hands the token to each remaining started
 * thread in turn; it wakes inside its scheduling point, throws an internal Error that unwinds
 * its stack, and terminates. One at a time, so kernel {@code finally} blocks never run
 * concurrently; scheduler calls made while unwinding throw the same Error.
 */
public final class LwktScheduler implements Scheduler {
    /** {@code hz} when the boot settings do not say otherwise. */
    public static final int DEFAULT_HZ = 100;

    private static final long NS_PER_SEC = 1_000_000_000L;

    private final VirtualClock clock;
    private final int ncpus;
    private final int hz;
    private final SchedulerSettings settings;
    private final SplittableRandom rng;
    private final TraceSink trace;

    /** Every thread ever spawned; index tid - 1. */
    private final ArrayList<KThread> threads = new ArrayList<>();
    /** Runnable threads other than the running one, in a deterministic (not FIFO) order. */
    private final ArrayList<KThread> runq = new ArrayList<>();
    private final WaitQueues waits = new WaitQueues();
    private final KThread[] curthread;
    private final long[] cpuSwitches;
    private final long[] cpuBusyNs;
    /** Scratch: runq indices of eligible threads; reused to keep scheduling points allocation-free. */
    private int[] eligible = new int[16];

    /** Kernel frames pushed by event actions; emptied after each clock advance. */
    private final FrameStack interruptFrames = new FrameStack();
    private boolean inInterrupt;
    private int interruptCpu;

    /** The hand-off token: the kernel thread that owns the machine, null while the host does. */
    private volatile KThread current;
    private volatile RunResult result;
    private volatile String stopReason;
    private Thread host;
    private boolean runCalled;

    private int liveThreads;
    private int blockedThreads;
    private long lastProgressNs;
    /** With {@code watchdogWmesgs}: when the first watched sleep since the last progress began, or -1. */
    private long stallSinceNs = -1;
    /** Threads in a sleep whose wmesg is one of {@code watchdogWmesgs}. */
    private int watchedAsleep;
    private long contextSwitches;
    private long digest;
    /** Thread-context {@link #pushFrame} calls, to check for a runaway thread every 4096th. */
    private long framePushes;
    /** The CPUs whose counted work is charged at scheduling points ({@link #attachCpuTime}); null: none. */
    private Cpus cpuTime;
    /** Virtual ns charged to a thread for each hand-off that switches to it. */
    private long nsPerSwitch;
    /** {@link #onHandOff}'s listener: told the CPU of each thread dispatched. */
    private IntConsumer handOffListener = cpu -> { };
    /** {@link #holdings}' source: what each thread holds, for snapshots. */
    private Holdings holdings = tid -> List.of();

    /**
     * A scheduler with {@link SchedulerSettings#DEFAULTS}.
     *
     * @param clock  the machine's clock (this scheduler advances it)
     * @param ncpus  number of emulated CPUs, at least 1
     * @param hz     clock interrupt frequency, e.g. {@link #DEFAULT_HZ}
     * @param seed   the only source of scheduling choices
     * @param trace  where SCHED_* events go ({@link TraceSink#NONE} for none)
     */
    public LwktScheduler(VirtualClock clock, int ncpus, int hz, long seed, TraceSink trace) {
        this(clock, ncpus, hz, seed, trace, SchedulerSettings.DEFAULTS);
    }

    /** As {@link #LwktScheduler(VirtualClock, int, int, long, TraceSink)}, with settings. */
    public LwktScheduler(VirtualClock clock, int ncpus, int hz, long seed, TraceSink trace,
                         SchedulerSettings settings) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.trace = Objects.requireNonNull(trace, "trace");
        this.settings = Objects.requireNonNull(settings, "settings");
        if (ncpus < 1) throw new IllegalArgumentException("ncpus " + ncpus + " is below 1");
        if (hz < 1) throw new IllegalArgumentException("hz " + hz + " is below 1");
        this.ncpus = ncpus;
        this.hz = hz;
        this.rng = new SplittableRandom(seed);
        this.curthread = new KThread[ncpus];
        this.cpuSwitches = new long[ncpus];
        this.cpuBusyNs = new long[ncpus];
    }

    // ---- running ----------------------------------------------------------------------------

    /**
     * Runs the spawned threads until every one has exited, a deadlock or livelock is detected, a
     * thread or event action panics, or {@link #requestStop} is called. Called once, from a host
     * thread (not a kernel thread). Blocks the host thread for the whole run. On return no kernel
     * thread of this scheduler is left alive: those that had not exited were unwound.
     */
    public RunResult run() {
        if (runCalled) throw new IllegalStateException("run: already called");
        runCalled = true;
        host = Thread.currentThread();
        lastProgressNs = clock.now();
        if (cpuTime != null) {
            // Boot's work ran before virtual time began: none of it is charged.
            for (int c = 0; c < ncpus; c++) cpuTime.cpu(c).takeNs();
        }
        if (liveThreads == 0) {
            finish(endResult(RunResult.Outcome.ALL_EXITED, "no threads to run"));
        } else {
            KThread first = idle(null);
            if (first != null) {
                dispatch(null, first);
                handOff(first);
            }
        }
        boolean interrupted = false;
        while (result == null) {
            LockSupport.park(this);
            // An interrupt of the host (a user's ^C) asks for a stop; park would not block again
            // while the flag is set, so it is cleared here and restored on return.
            if (Thread.interrupted()) {
                interrupted = true;
                requestStop("host thread interrupted");
            }
        }
        abandonThreads();
        if (interrupted) Thread.currentThread().interrupt();
        return result;
    }

    /**
     * Asks the run to stop with outcome STOPPED at the next scheduling point (a shutdown, a
     * virtual-time limit set as a clock event, a user interrupt). The first reason wins. Any
     * context, also from another host thread.
     */
    @Override
    public void requestStop(String reason) {
        Objects.requireNonNull(reason, "reason");
        if (stopReason == null) stopReason = reason;
    }

    /**
     * Charges the CPU time {@code cpus} count (and {@code nsPerSwitch} per context switch) to the
     * running thread at its scheduling points (see the class comment). Before {@link #run()} only.
     */
    public void attachCpuTime(Cpus cpus, long nsPerSwitch) {
        if (runCalled) throw new IllegalStateException("attachCpuTime: the run has started");
        if (cpus.count() != ncpus) throw new IllegalArgumentException("attachCpuTime: " + cpus.count() + " CPUs, scheduler has " + ncpus);
        if (nsPerSwitch < 0) throw new IllegalArgumentException("attachCpuTime: negative switch time " + nsPerSwitch);
        this.cpuTime = cpus;
        this.nsPerSwitch = nsPerSwitch;
    }

    @Override
    public boolean countsCpuTime() { return cpuTime != null; }

    /**
     * {@inheritDoc} Any context: in interrupt context, boot context or without
     * {@link #attachCpuTime}, {@link #now()}.
     */
    @Override
    public long cpuNow() {
        long now = clock.now();
        if (cpuTime == null) return now;
        KThread t = current;
        if (inInterrupt || t == null || t.carrier != Thread.currentThread()) return now;
        return now + cpuTime.cpu(t.cpu).pendingNs() + t.switchNs;
    }

    /**
     * Charges {@code self}'s counted CPU time plus {@code ns}: the clock advances by the sum
     * (events firing on the way). False if the run ended meanwhile (then the caller abandons).
     */
    private boolean charge(KThread self, long ns) {
        if (cpuTime != null) {
            ns += cpuTime.cpu(self.cpu).takeNs() + self.switchNs;
            self.switchNs = 0;
        }
        if (ns == 0) return true;
        self.cpuNs += ns;
        cpuBusyNs[self.cpu] += ns;
        return advance(clock.now() + ns, self);
    }

    @Override
    public void onHandOff(IntConsumer cpuListener) {
        if (runCalled) throw new IllegalStateException("onHandOff: the run has started");
        handOffListener = Objects.requireNonNull(cpuListener, "cpuListener");
    }

    @Override
    public void holdings(Holdings source) {
        if (runCalled) throw new IllegalStateException("holdings: the run has started");
        holdings = Objects.requireNonNull(source, "holdings");
    }

    /** Snapshot of every thread ever spawned, by thread id. From the owner, or after {@link #run()}. */
    public List<ThreadInfo> threads() {
        List<ThreadInfo> out = new ArrayList<>(threads.size());
        for (KThread t : threads) out.add(info(t, t.panicFrames != null ? t.panicFrames : t.frames.snapshot()));
        return out;
    }

    /** Per-CPU counters. From the owner, or after {@link #run()}. */
    public List<CpuStats> cpuStats() {
        List<CpuStats> out = new ArrayList<>(ncpus);
        for (int c = 0; c < ncpus; c++) {
            out.add(new CpuStats(c, curthread[c] != null ? curthread[c].tid : 0, cpuSwitches[c], cpuBusyNs[c]));
        }
        return out;
    }

    public SchedulerSettings settings() { return settings; }

    // ---- Scheduler: threads and time --------------------------------------------------------

    /**
     * {@inheritDoc} Not a scheduling point: the new thread first runs when a later scheduling
     * point chooses it. Any context (kernel thread, event action, or the host before {@link #run()}).
     */
    @Override
    public int spawn(String name, int cpu, long td, Runnable body) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(body, "body");
        if (cpu < 0 || cpu >= ncpus) {
            throw new IllegalArgumentException("spawn " + name + ": cpu " + cpu + " is not in 0.." + (ncpus - 1));
        }
        if (result != null) throw new IllegalStateException("spawn " + name + ": the run has ended");
        KThread t = new KThread(threads.size() + 1, name, cpu, td, body);
        t.carrier = Thread.ofVirtual().name("lwkt-" + t.tid + "-" + name).unstarted(() -> threadMain(t));
        t.timeoutAction = () -> sleepTimedOut(t);
        threads.add(t);
        liveThreads++;
        runq.add(t);
        if (trace.enabled(EmulatorEvents.SCHED_SPAWN)) {
            trace.record(clock.now(), cpu, t.tid, EmulatorEvents.SCHED_SPAWN, t.tid, cpu, 0, 0);
        }
        return t.tid;
    }

    @Override
    public int curtid() { return self("curtid").tid; }

    @Override
    public long curtd() { return self("curtd").td; }

    /** {@inheritDoc} In interrupt context: the CPU whose thread advanced the clock (0 before any ran). */
    @Override
    public int curcpu() { return inInterrupt ? interruptCpu : self("curcpu").cpu; }

    @Override
    public int ncpus() { return ncpus; }

    @Override
    public String threadName(int tid) {
        KThread t = threadOrNull(tid);
        return t != null ? t.name : null;
    }

    /** {@inheritDoc} As a report's holder: {@link ThreadInfo.Holder#toString()}. */
    @Override
    public String threadLabel(int tid) {
        KThread t = threadOrNull(tid);
        return t != null ? new ThreadInfo.Holder(t.tid, t.name, t.state).toString() : null;
    }

    @Override
    public long now() { return clock.now(); }

    @Override
    public int hz() { return hz; }

    /** {@inheritDoc} {@code floor(now * hz / 1e9)}, computed without overflow. */
    @Override
    public long ticks() {
        long now = clock.now();
        return now / NS_PER_SEC * hz + now % NS_PER_SEC * hz / NS_PER_SEC;
    }

    @Override
    public void progress() {
        lastProgressNs = clock.now();
        stallSinceNs = -1;
    }

    // ---- Scheduler: sleep and wakeup --------------------------------------------------------

    /**
     * {@inheritDoc} The timeout is exact in virtual nanoseconds (no rounding to ticks); it is a
     * keepsAlive clock event, so a timed sleeper never counts as deadlocked. Panics in interrupt
     * context.
     */
    @Override
    public boolean sleep(long ident, String wmesg, long timeoutNs) {
        KThread self = self("sleep");
        Objects.requireNonNull(wmesg, "wmesg");
        if (timeoutNs < 0) throw panic(self, "sleep(" + wmesg + "): negative timeout " + timeoutNs);
        self.state = ThreadState.SLEEPING;
        self.wchan = ident;
        self.wmesg = wmesg;
        self.timedOut = false;
        waits.add(ident, self);
        blockedThreads++;
        self.watched = settings.watchdogWmesgs().contains(wmesg);
        if (self.watched) {
            watchedAsleep++;
            if (stallSinceNs < 0) stallSinceNs = clock.now();
        }
        if (cpuTime != null) {
            if (!charge(self, 0)) throw abandon(self);
            // An event on the way may have woken it: then it does not sleep, nor time out.
            if (self.state != ThreadState.SLEEPING) timeoutNs = 0;
        }
        if (timeoutNs > 0) self.timeout = clock.scheduleIn(timeoutNs, wmesg, true, self.timeoutAction);
        if (trace.enabled(EmulatorEvents.SCHED_SLEEP)) {
            trace.record(clock.now(), self.cpu, self.tid, EmulatorEvents.SCHED_SLEEP, ident, timeoutNs, 0, 0);
        }
        block(self);
        return self.timedOut;
    }

    @Override
    public void wakeup(long ident) {
        for (KThread t = waits.takeAll(ident); t != null; ) {
            KThread next = WaitQueues.detach(t);
            makeRunnable(t, false);
            t = next;
        }
    }

    @Override
    public void wakeupOne(long ident) {
        KThread t = waits.takeFirst(ident);
        if (t != null) makeRunnable(t, false);
    }

    /**
     * {@inheritDoc} As {@link #sleep} without a timeout, except for the state (LOCKWAIT), the
     * declared {@code what}, and that the watchdog's wmesg filter ignores it. Panics in interrupt
     * context.
     */
    @Override
    public void blockOn(long ident, String wmesg, Awaited what) {
        KThread self = self("blockOn");
        Objects.requireNonNull(wmesg, "wmesg");
        self.state = ThreadState.LOCKWAIT;
        self.wchan = ident;
        self.wmesg = wmesg;
        self.awaited = Objects.requireNonNull(what, "what");
        waits.add(ident, self);
        blockedThreads++;
        if (cpuTime != null && !charge(self, 0)) throw abandon(self);
        if (trace.enabled(EmulatorEvents.SCHED_SLEEP)) {
            trace.record(clock.now(), self.cpu, self.tid, EmulatorEvents.SCHED_SLEEP, ident, 0, 0, 0);
        }
        block(self);
    }

    @Override
    public void wakeupBlocked(long ident) {
        for (KThread t = waits.takeInState(ident, ThreadState.LOCKWAIT); t != null; ) {
            KThread next = WaitQueues.detach(t);
            makeRunnable(t, false);
            t = next;
        }
    }

    // ---- Scheduler: scheduling points and preemption ---------------------------------------

    /** {@inheritDoc} Hands the CPU to a uniformly chosen eligible other thread if there is one. */
    @Override
    public boolean yield() {
        return preempt(self("yield"), true);
    }

    @Override
    public void awaiting(Awaited what) {
        self("awaiting").awaited = what;
    }

    /**
     * {@inheritDoc} Advances the global clock by {@code ns} (firing due events in interrupt
     * context), then switches with probability {@code switchProbability} if others are runnable.
     */
    @Override
    public void consume(long ns) {
        KThread self = self("consume");
        if (ns < 0) throw panic(self, "consume: negative time " + ns);
        if (!charge(self, ns)) throw abandon(self);
        preempt(self, false);
    }

    @Override
    public void preemptDisable() { self("preemptDisable").preemptCount++; }

    /** {@inheritDoc} Not a scheduling point. Panics if the count is 0. */
    @Override
    public void preemptEnable() {
        KThread self = self("preemptEnable");
        if (self.preemptCount == 0) throw panic(self, "preemptEnable: thread " + self.name + " has preemption enabled");
        self.preemptCount--;
    }

    @Override
    public int preemptCount() { return self("preemptCount").preemptCount; }

    /**
     * {@inheritDoc} The report is made at the present instant, before anything is charged, as a
     * deadlock the scheduler finds itself; the SCHED_DEADLOCK record names the caller.
     */
    @Override
    public Error deadlock(String headline) {
        KThread self = self("deadlock");
        finish(deadlockResult(DeadlockReport.Kind.DEADLOCK, Objects.requireNonNull(headline, "headline")));
        return abandon(self);
    }

    // ---- Scheduler: frames ------------------------------------------------------------------

    /**
     * {@inheritDoc} Any context: in an event action the frame goes on the interrupt's own stack.
     * In a thread, every 4096th push also checks for a runaway thread ({@link #checkRunaway}).
     */
    @Override
    public void pushFrame(String function) {
        frames("pushFrame").push(function);
        if (cpuTime != null && !inInterrupt && (++framePushes & 0xFFF) == 0) checkRunaway(current);
    }

    /**
     * A thread that has counted {@link SchedulerSettings#runawayLimitNs()} of CPU time (the
     * runaway bound, or the watchdog's interval if shorter) since its last scheduling point ends
     * the run as a LIVELOCK: with no scheduling point the clock cannot advance, so
     * neither the watchdog nor {@code --time} would ever end it, and the host would loop for
     * good (a kernel loop that retries without sleeping, e.g. the pageout daemon retrying an
     * allocation whose vm_wait returns at once). Reads counters only; a run in which no thread
     * runs that long between scheduling points is not changed.
     */
    private void checkRunaway(KThread self) {
        long interval = settings.runawayLimitNs();
        if (interval <= 0) return;
        long pending = cpuTime.cpu(self.cpu).pendingNs() + self.switchNs;
        if (pending < interval) return;
        finish(deadlockResult(DeadlockReport.Kind.LIVELOCK, "tid " + self.tid + " (" + self.name + ") ran "
                + VirtualTime.seconds(pending) + " of CPU time without reaching a scheduling point ("
                + (interval == settings.watchdogNs() ? "watchdog " : "runaway bound ")
                + VirtualTime.seconds(interval) + "); " + blockedThreads + " thread(s) asleep: " + sleepSummary()));
        throw abandon(self);
    }

    /** {@inheritDoc} Any context. Panics if no frame was pushed. */
    @Override
    public void popFrame() {
        FrameStack f = frames("popFrame");
        if (!f.pop()) throw new SchedulerPanic("popFrame: no kernel frame to pop", List.of());
    }

    /** {@inheritDoc} */
    @Override
    public List<String> frames() {
        return frames("frames").snapshot();
    }

    // ---- thread bodies ----------------------------------------------------------------------

    /** What each carrier virtual thread runs. Started by the hand-off that first chose it. */
    private void threadMain(KThread self) {
        try {
            awaitTurn(self);
            self.body.run();
        } catch (RunAborted aborted) {
            return;
        } catch (Throwable e) {
            // After the run ended, whatever an unwinding thread throws is of no interest.
            if (result == null) {
                List<String> frames = e instanceof PanicFrames pf && pf.panicFrames() != null ? pf.panicFrames() : self.frames.snapshot();
                self.panicFrames = frames;
                finish(panicResult(info(self, frames), e, ""));
            }
            return;
        }
        if (result == null) exit(self);
    }

    private void exit(KThread self) {
        if (cpuTime != null && !charge(self, 0)) return;
        self.state = ThreadState.EXITED;
        liveThreads--;
        if (curthread[self.cpu] == self) curthread[self.cpu] = null;
        if (trace.enabled(EmulatorEvents.SCHED_EXIT)) {
            trace.record(clock.now(), self.cpu, self.tid, EmulatorEvents.SCHED_EXIT, self.tid, 0, 0, 0);
        }
        if (liveThreads == 0) {
            finish(endResult(RunResult.Outcome.ALL_EXITED, "all threads exited"));
            return;
        }
        KThread next = idle(self);
        if (next == null) return;
        dispatch(self, next);
        handOff(next);
    }

    // ---- scheduling -------------------------------------------------------------------------

    /**
     * A scheduling point where {@code self} stays runnable. Switches to a uniformly chosen
     * eligible thread if {@code forced}, else with probability switchProbability. Returns when
     * {@code self} runs again; true if another thread ran meanwhile.
     */
    private boolean preempt(KThread self, boolean forced) {
        if (cpuTime != null && !charge(self, 0)) throw abandon(self);
        if (stopReason != null) {
            finish(endResult(RunResult.Outcome.STOPPED, stopReason));
            throw abandon(self);
        }
        if (runq.isEmpty()) return false;
        if (!forced && !(rng.nextDouble() < settings.switchProbability())) return false;
        int n = gatherEligible();
        if (n == 0) return false;
        KThread next = takeEligible(rng.nextInt(n));
        self.state = ThreadState.RUNNABLE;
        runq.add(self);
        dispatch(self, next);
        handOff(next);
        awaitTurn(self);
        return true;
    }

    /** A scheduling point where {@code self} has just gone to sleep; returns when it runs again. */
    private void block(KThread self) {
        if (curthread[self.cpu] == self) curthread[self.cpu] = null;
        KThread next = idle(self);
        if (next == null) throw abandon(self);
        dispatch(self, next);
        if (next != self) {
            handOff(next);
            awaitTurn(self);
        }
    }

    /**
     * Chooses the next thread to run, advancing the clock while none is runnable. Returns null
     * if the run ended instead (stop request, deadlock, livelock, panic in an event action), with
     * the result already published. {@code self} is the thread that gave up the CPU, or null for
     * the host; the chosen thread may be {@code self} if an event woke it.
     */
    private KThread idle(KThread self) {
        while (true) {
            if (stopReason != null) {
                finish(endResult(RunResult.Outcome.STOPPED, stopReason));
                return null;
            }
            int n = gatherEligible();
            if (n > 0) return takeEligible(rng.nextInt(n));
            if (!clock.hasKeepAliveEvents()) {
                finish(deadlockResult(DeadlockReport.Kind.DEADLOCK,
                        "no thread can run and no timer or I/O is pending; " + blockedThreads + " thread(s) asleep"));
                return null;
            }
            if (!advance(clock.nextEventTime(), self)) return null;
        }
    }

    /** Fills {@link #eligible} with the runq indices of eligible threads; returns how many. */
    private int gatherEligible() {
        int size = runq.size();
        if (eligible.length < size) eligible = new int[Math.max(size, eligible.length * 2)];
        int n = 0;
        for (int i = 0; i < size; i++) {
            KThread t = runq.get(i);
            KThread holder = curthread[t.cpu];
            if (holder == null || holder == t || holder.preemptCount == 0) eligible[n++] = i;
        }
        return n;
    }

    /** Removes and returns the {@code k}-th eligible thread from the run queue. */
    private KThread takeEligible(int k) {
        int i = eligible[k];
        int last = runq.size() - 1;
        KThread t = runq.get(i);
        runq.set(i, runq.get(last));
        runq.remove(last);
        return t;
    }

    /** Bookkeeping for handing the CPU from {@code from} (null: the host) to {@code next}. */
    private void dispatch(KThread from, KThread next) {
        handOffListener.accept(next.cpu);
        next.state = ThreadState.RUNNING;
        curthread[next.cpu] = next;
        next.switches++;
        if (from != next) next.switchNs += nsPerSwitch;
        cpuSwitches[next.cpu]++;
        contextSwitches++;
        int fromTid = from != null ? from.tid : 0;
        long now = clock.now();
        digest = (Long.rotateLeft(digest, 23) ^ now * 0x9E3779B97F4A7C15L ^ ((long) fromTid << 32 | next.tid))
                * 0xBF58476D1CE4E5B9L;
        if (trace.enabled(EmulatorEvents.SCHED_SWITCH)) {
            trace.record(now, next.cpu, next.tid, EmulatorEvents.SCHED_SWITCH, fromTid, next.tid, 0, 0);
        }
    }

    /** Passes the token to {@code next}. The caller must not touch scheduler state afterwards. */
    private void handOff(KThread next) {
        boolean first = !next.started;
        next.started = true;
        current = next;
        if (first) {
            next.carrier.start();
        } else {
            LockSupport.unpark(next.carrier);
        }
    }

    /** Parks until {@code self} holds the token; throws {@link RunAborted} if the run has ended. */
    private void awaitTurn(KThread self) {
        while (current != self) LockSupport.park(this);
        if (result != null) throw RunAborted.INSTANCE;
    }

    /** After the run ended from inside {@code self}: waits for the host to let it unwind. */
    private RunAborted abandon(KThread self) {
        while (current != self) LockSupport.park(this);
        return RunAborted.INSTANCE;
    }

    /**
     * Advances the clock to {@code target} in interrupt context on behalf of {@code interrupted}
     * (null: the host). While a thread is asleep the watchdog is armed: time first moves only to
     * its deadline (last progress + interval), so a livelock is reported at the instant the
     * interval ran out, not at the end of a long sleep. False if the run ended (an event action
     * threw, or the watchdog fired), with the result published.
     */
    private boolean advance(long target, KThread interrupted) {
        long interval = settings.watchdogNs();
        boolean watchAll = settings.watchdogWmesgs().isEmpty();
        while (true) {
            // Armed while someone waits: any sleeper, or (with watched wmesgs) a waiter for memory.
            boolean armed = interval > 0 && (watchAll ? blockedThreads > 0 : stallSinceNs >= 0 && watchedAsleep > 0);
            long since = watchAll ? lastProgressNs : stallSinceNs;
            long deadline = since + interval;
            long step = armed && deadline >= 0 ? Math.min(target, Math.max(deadline, clock.now())) : target;
            if (!fireEvents(step, interrupted)) return false;
            // Events due at the deadline may have reported progress or woken the waiter (a
            // timed-out vm_wait): look again before firing; a woken waiter that sleeps again
            // without progress is caught at that sleep, so the report shows it waiting.
            since = watchAll ? lastProgressNs : stallSinceNs;
            boolean waiting = watchAll ? blockedThreads > 0 : stallSinceNs >= 0 && watchedAsleep > 0;
            if (armed && waiting && clock.now() - since >= interval) {
                finish(deadlockResult(DeadlockReport.Kind.LIVELOCK, "no progress for "
                        + VirtualTime.seconds(clock.now() - since) + " of virtual time"
                        + (watchAll ? "" : " while waiting for memory") + " (watchdog "
                        + VirtualTime.seconds(interval) + "); " + blockedThreads + " thread(s) asleep: "
                        + sleepSummary()));
                return false;
            }
            if (step == target) return true;
        }
    }

    /** "vmwait x2, swintr": the wait messages of the sleeping threads, in thread order, counted. */
    private String sleepSummary() {
        java.util.LinkedHashMap<String, Integer> counts = new java.util.LinkedHashMap<>();
        for (KThread t : threads) {
            if (t.blocked()) counts.merge(t.wmesg, 1, Integer::sum);
        }
        StringBuilder sb = new StringBuilder();
        for (var e : counts.entrySet()) {
            if (!sb.isEmpty()) sb.append(", ");
            sb.append(e.getKey()).append(e.getValue() > 1 ? " x" + e.getValue() : "");
        }
        return sb.toString();
    }

    /** Moves the clock to {@code target}, firing due events; false if one threw (the run ended as a panic). */
    private boolean fireEvents(long target, KThread interrupted) {
        interruptCpu = interrupted != null ? interrupted.cpu : 0;
        inInterrupt = true;
        Throwable failure = null;
        try {
            clock.advanceTo(target);
        } catch (Throwable e) {
            failure = e;
        }
        inInterrupt = false;
        if (failure == null) {
            interruptFrames.clear();
            return true;
        }
        List<String> frames = failure instanceof PanicFrames pf && pf.panicFrames() != null ? pf.panicFrames() : interruptFrames.snapshot();
        interruptFrames.clear();
        ThreadInfo who = new ThreadInfo(0, "interrupt", interruptCpu, 0, ThreadState.RUNNING, 0, null, -1, 0,
                frames, 0, 0, null, List.of());
        String where = "in interrupt context"
                + (interrupted != null ? " (interrupted tid " + interrupted.tid + ", " + interrupted.name + ")" : "")
                + ": ";
        finish(panicResult(who, failure, where));
        return false;
    }

    private void makeRunnable(KThread t, boolean byTimeout) {
        if (t.timeout != null) {
            clock.cancel(t.timeout);
            t.timeout = null;
        }
        if (trace.enabled(EmulatorEvents.SCHED_WAKEUP)) {
            KThread waker = inInterrupt ? null : current;
            trace.record(clock.now(), waker != null ? waker.cpu : interruptCpu, waker != null ? waker.tid : 0,
                    EmulatorEvents.SCHED_WAKEUP, t.wchan, t.tid, byTimeout ? 1 : 0, 0);
        }
        if (t.state == ThreadState.SLEEPING && t.watched) watchedAsleep--;
        t.state = ThreadState.RUNNABLE;
        t.wchan = 0;
        t.wmesg = null;
        t.awaited = null;
        blockedThreads--;
        runq.add(t);
    }

    /** Action of a timed sleep's clock event (interrupt context). */
    private void sleepTimedOut(KThread t) {
        t.timeout = null;
        waits.remove(t.wchan, t);
        t.timedOut = true;
        makeRunnable(t, true);
    }

    // ---- helpers ----------------------------------------------------------------------------

    private KThread threadOrNull(long tid) {
        return tid >= 1 && tid <= threads.size() ? threads.get((int) tid - 1) : null;
    }

    /**
     * Thread id for trace records and device bookkeeping: the running kernel thread's id, or -1 in
     * interrupt context or outside any kernel thread. Never throws. Any context.
     */
    public int traceTid() {
        KThread t = current;
        if (inInterrupt || t == null || t.carrier != Thread.currentThread()) return -1;
        return t.tid;
    }

    /** CPU for trace records: the running thread's CPU, or -1 in interrupt context or outside. Any context. */
    public int traceCpu() {
        KThread t = current;
        if (inInterrupt || t == null || t.carrier != Thread.currentThread()) return -1;
        return t.cpu;
    }

    // ---- context checks ---------------------------------------------------------------------

    /**
     * The running kernel thread, for a primitive that needs one. Throws {@link RunAborted} in a
     * thread being unwound after the run ended, so its {@code finally} blocks cannot block.
     */
    private KThread self(String fn) {
        KThread t = current;
        Thread me = Thread.currentThread();
        if (inInterrupt && (t != null ? t.carrier == me : me == host)) {
            throw new SchedulerPanic(fn + ": called from interrupt context", interruptFrames.snapshot());
        }
        if (t == null || t.carrier != me) {
            throw new SchedulerPanic(fn + ": not called from a running kernel thread", List.of());
        }
        if (result != null) throw RunAborted.INSTANCE;
        return t;
    }

    private FrameStack frames(String fn) {
        return inInterrupt ? interruptFrames : self(fn).frames;
    }

    private SchedulerPanic panic(KThread self, String message) {
        return new SchedulerPanic(message, inInterrupt ? interruptFrames.snapshot() : self.frames.snapshot());
    }

    // ---- results ----------------------------------------------------------------------------

    /** Publishes the run's result and wakes the host. The caller must not touch state afterwards. */
    private void finish(RunResult r) {
        if (r.deadlock() != null && trace.enabled(EmulatorEvents.SCHED_DEADLOCK)) {
            KThread t = current;
            trace.record(clock.now(), t != null ? t.cpu : 0, t != null ? t.tid : 0, EmulatorEvents.SCHED_DEADLOCK,
                    r.threads().size(), 0, 0, 0);
        }
        result = r;
        current = null;
        LockSupport.unpark(host);
    }

    /** Host side, after the result is out: lets each started thread unwind, one at a time. */
    private void abandonThreads() {
        boolean interrupted = false;
        for (KThread t : threads) {
            if (!t.started) continue;
            current = t;
            LockSupport.unpark(t.carrier);
            while (true) {
                try {
                    t.carrier.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        current = null;
        if (interrupted) Thread.currentThread().interrupt();
    }

    private RunResult endResult(RunResult.Outcome outcome, String reason) {
        return new RunResult(outcome, clock.now(), reason, liveInfos(), null, null, null, contextSwitches, digest);
    }

    private RunResult deadlockResult(DeadlockReport.Kind kind, String headline) {
        List<ThreadInfo> live = liveInfos();
        DeadlockReport report = new DeadlockReport(kind, clock.now(), headline, live);
        RunResult.Outcome outcome = kind == DeadlockReport.Kind.DEADLOCK ? RunResult.Outcome.DEADLOCK : RunResult.Outcome.LIVELOCK;
        return new RunResult(outcome, clock.now(), headline, live, report, null, null, contextSwitches, digest);
    }

    private RunResult panicResult(ThreadInfo who, Throwable cause, String where) {
        return new RunResult(RunResult.Outcome.PANIC, clock.now(), where + cause, liveInfos(), null, who, cause,
                contextSwitches, digest);
    }

    private List<ThreadInfo> liveInfos() {
        List<ThreadInfo> out = new ArrayList<>();
        for (KThread t : threads) {
            if (t.state != ThreadState.EXITED) out.add(info(t, t.frames.snapshot()));
        }
        return out;
    }

    private ThreadInfo info(KThread t, List<String> frames) {
        ThreadInfo.Wait wait = t.awaited == null ? null : waitInfo(t.awaited);
        long timeoutAt = t.timeout != null && t.timeout.pending() ? t.timeout.when() : -1;
        boolean asleep = t.blocked();
        List<Held> held = holdings.of(t.tid);
        return new ThreadInfo(t.tid, t.name, t.cpu, t.td, t.state, asleep ? t.wchan : 0, asleep ? t.wmesg : null,
                timeoutAt, t.preemptCount, frames, t.switches, t.cpuNs, wait, held);
    }

    /** What {@code a} describes now, its holders named as the scheduler knows them. */
    private ThreadInfo.Wait waitInfo(Awaited a) {
        long word = a.word();
        List<ThreadInfo.Holder> holders = new ArrayList<>();
        for (int tid : a.owners()) {
            KThread o = threadOrNull(tid);
            if (o != null) holders.add(new ThreadInfo.Holder(o.tid, o.name, o.state));
        }
        return new ThreadInfo.Wait(a.addr(), a.name(), a.mode(), word, a.shared(), holders);
    }
}
