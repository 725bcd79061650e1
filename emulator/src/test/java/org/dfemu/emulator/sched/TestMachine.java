package org.dfemu.emulator.sched;

import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.emulator.time.VirtualClock;

/** A clock, the smallest RAM (scratch words for tests), an in-memory trace and a scheduler, for one test run. */
final class TestMachine implements AutoCloseable {
    final VirtualClock clock = new VirtualClock();
    final PhysicalMemory memory = new PhysicalMemory(PhysicalMemory.MIN_SIZE);
    final TraceLog log = new TraceLog();
    final LwktScheduler sched;

    TestMachine(int ncpus, long seed) {
        this(ncpus, seed, SchedulerSettings.DEFAULTS);
    }

    TestMachine(int ncpus, long seed, SchedulerSettings settings) {
        sched = new LwktScheduler(clock, ncpus, LwktScheduler.DEFAULT_HZ, seed, log, settings);
    }

    @Override
    public void close() {
        memory.close();
    }
}
