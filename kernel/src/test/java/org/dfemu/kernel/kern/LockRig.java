package org.dfemu.kernel.kern;

import org.dfemu.emulator.sched.LwktScheduler;
import org.dfemu.emulator.sched.RunResult;
import org.dfemu.emulator.sched.SchedulerSettings;
import org.dfemu.emulator.sched.TraceLog;
import org.dfemu.emulator.time.VirtualClock;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.sys.Malloc;
import org.dfemu.kernel.sys.StructLock;

/**
 * A booted kernel with the machine's scheduler attached, for the tests of the ported
 * synchronisation (kern_lock.c, kern_spinlock.c, kern_synch.c, thread2.h). Threads are spawned on
 * the scheduler directly (no struct thread, no stack: nothing allocates behind the test's back),
 * and the run's result is returned whatever it is, so deadlocks and panics can be examined.
 * Lock words and counters live in one zeroed kmalloc'd page, taken in boot context.
 */
final class LockRig implements AutoCloseable {
    final TestKernel t;
    final Kernel k;
    final LwktScheduler sched;
    final TraceLog log = new TraceLog();
    final VirtualClock clock = new VirtualClock();
    private final long page;

    LockRig(int ncpus, long seed) {
        this(ncpus, seed, SchedulerSettings.DEFAULTS);
    }

    LockRig(int ncpus, long seed, SchedulerSettings settings) {
        KernelConfig config = new KernelConfig(ncpus, LwktScheduler.DEFAULT_HZ);
        t = TestKernel.boot(16 << 20, config);
        k = t.kernel;
        page = k.kernSlaballoc().kmalloc(4096, k.lwkt().mThread(), Malloc.M_WAITOK | Malloc.M_ZERO);
        sched = new LwktScheduler(clock, ncpus, config.hz(), seed, log, settings);
        k.lwkt().attachScheduler(sched);
    }

    /** A zeroed 8-byte word at byte {@code off} of the rig's page (a free spin lock, a counter). */
    long word(int off) {
        return page + off;
    }

    /** A free {@code struct lock} at byte {@code off} of the rig's page. */
    long lock(int off) {
        return page + off;
    }

    /** The physical address of the lock word of the {@code struct lock} at {@code lk}, as reports show it. */
    long lockPa(long lk) {
        return k.km().pa(StructLock.lockWord(lk));
    }

    /** The physical address of {@code kva}, as reports show a spin lock. */
    long pa(long kva) {
        return k.km().pa(kva);
    }

    /** Reads a word without the TLB (from the host, after the run). */
    long peek(long kva) {
        return t.ram.load64(pa(kva));
    }

    RunResult run() {
        RunResult r = sched.run();
        k.lwkt().bootContextResumed();
        return r;
    }

    @Override
    public void close() {
        t.close();
    }
}
