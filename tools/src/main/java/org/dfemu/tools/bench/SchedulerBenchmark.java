package org.dfemu.tools.bench;

import java.util.concurrent.TimeUnit;
import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.emulator.sched.LwktScheduler;
import org.dfemu.emulator.sched.RunResult;
import org.dfemu.emulator.time.VirtualClock;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.kern.KernLock;
import org.dfemu.kernel.kern.KernSpinlock;
import org.dfemu.kernel.sys.Malloc;
import org.dfemu.kernel.sys.StructLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What the scheduler's primitives, and the kernel's locks built on them, cost, one operation each (the profile of docs/profile.md: hand-offs
 * per run times the cost of one). Each invocation is a whole scheduler run of {@value #OPS}
 * operations, so the run's setup (two virtual threads, the scheduler) is divided out. In the
 * one-thread cases {@value #SLEEPERS} other threads sleep on other channels meanwhile, as the
 * kernel's daemons do in a run, so the sleep queues are not empty.
 * <ul>
 *   <li>{@link #handOff}: two threads on two CPUs that each {@code yield()}; every yield hands
 *       the token to the other thread (unpark it, park self), as a switch in a sweep run does.</li>
 *   <li>{@link #spinLockPair}: one uncontended {@code spin_lock} + {@code spin_unlock} of the
 *       kernel's kern_spinlock.c port (the lock word's CAS, the critical section, the witness's
 *       held-lock bookkeeping, the lock word's translation through the TLB), on a kernel booted
 *       for the run (boot is not timed).</li>
 *   <li>{@link #lockmgrPair}: one uncontended exclusive {@code lockmgr} + release (kern_lock.c's
 *       port), likewise.</li>
 *   <li>{@link #wakeupNobody}: a {@code wakeup} on a channel nobody sleeps on (the kernel's
 *       common case: vm_page_wakeup and friends wake whoever might wait).</li>
 *   <li>{@link #consumeAlone}: {@code consume(1)} with no other runnable thread (clock advance,
 *       no switch).</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SchedulerBenchmark {
    static final int OPS = 100_000;
    private static final long CHANNEL = 0xffff_f800_0010_0000L;
    static final int SLEEPERS = 8;

    private PhysicalMemory memory;

    @Setup(Level.Trial)
    public void setUp() {
        memory = new PhysicalMemory(PhysicalMemory.MIN_SIZE);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        memory.close();
    }

    private static LwktScheduler scheduler(int ncpus) {
        return new LwktScheduler(new VirtualClock(), ncpus, LwktScheduler.DEFAULT_HZ, 1, TraceSink.NONE);
    }

    /**
     * A kernel booted (early boot: the kernel page tables, so lock words are translated by the
     * TLB as in a run) on RAM of its own with a one-CPU scheduler attached, made before each
     * invocation (a kernel takes one scheduler, once), so that booting is not timed.
     */
    @State(Scope.Thread)
    public static class KernelRig {
        PhysicalMemory ram;
        LwktScheduler sched;
        Kernel kernel;
        /** The lock: a zeroed kmalloc'd word (a free spin lock, or the start of a free struct lock). */
        long lock;

        @Setup(Level.Invocation)
        public void boot() {
            ram = new PhysicalMemory(PhysicalMemory.MIN_SIZE);
            kernel = Kernel.boot(ram, new KernelConfig(1, LwktScheduler.DEFAULT_HZ));
            lock = kernel.kernSlaballoc().kmalloc(StructLock.SIZEOF, kernel.lwkt().mThread(), Malloc.M_WAITOK | Malloc.M_ZERO);
            sched = scheduler(1);
            kernel.lwkt().attachScheduler(sched);
        }

        @TearDown(Level.Invocation)
        public void halt() {
            ram.close();
        }
    }

    private static long finish(LwktScheduler s) {
        RunResult r = s.run();
        if (r.outcome() != RunResult.Outcome.ALL_EXITED) throw new IllegalStateException("run ended " + r.outcome() + ": " + r.reason());
        return r.contextSwitches();
    }

    /**
     * Runs {@code work} in a thread that starts once {@value #SLEEPERS} others sleep (with a
     * timeout, so the run ends when they time out after it exited). Each sleeper spawns the next
     * one, or the worker, before it sleeps; a thread spawned first runs at the spawner's sleep.
     */
    private static void withSleepers(LwktScheduler s, Runnable work) {
        s.spawn("sleeper0", 0, 0, sleeper(s, 0, work));
    }

    private static Runnable sleeper(LwktScheduler s, int i, Runnable work) {
        return () -> {
            if (i + 1 < SLEEPERS) {
                s.spawn("sleeper" + (i + 1), 0, 0, sleeper(s, i + 1, work));
            } else {
                s.spawn("worker", 0, 0, work);
            }
            s.sleep(CHANNEL + (1L << 20) + 64L * i, "sleeper", 1_000_000_000L);
        };
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long handOff() {
        LwktScheduler s = scheduler(2);
        for (int cpu = 0; cpu < 2; cpu++) {
            s.spawn("yielder" + cpu, cpu, 0, () -> {
                for (int i = 0; i < OPS / 2; i++) s.yield();
            });
        }
        return finish(s);
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long spinLockPair(KernelRig rig) {
        KernSpinlock spin = rig.kernel.kernSpinlock();
        long lock = rig.lock;
        withSleepers(rig.sched, () -> {
            for (int i = 0; i < OPS; i++) {
                spin.spinLock(lock);
                spin.spinUnlock(lock);
            }
        });
        return finish(rig.sched);
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long lockmgrPair(KernelRig rig) {
        KernLock lk = rig.kernel.kernLock();
        long lock = rig.lock;
        withSleepers(rig.sched, () -> {
            for (int i = 0; i < OPS; i++) {
                lk.lockmgr(lock, StructLock.LK_EXCLUSIVE, "bench");
                lk.lockmgr(lock, StructLock.LK_RELEASE, null);
            }
        });
        return finish(rig.sched);
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long wakeupNobody() {
        LwktScheduler s = scheduler(1);
        withSleepers(s, () -> {
            for (int i = 0; i < OPS; i++) s.wakeup(CHANNEL + 64L * (i & 1023));
        });
        return finish(s);
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long consumeAlone() {
        LwktScheduler s = scheduler(1);
        withSleepers(s, () -> {
            for (int i = 0; i < OPS; i++) s.consume(1);
        });
        return finish(s);
    }
}
