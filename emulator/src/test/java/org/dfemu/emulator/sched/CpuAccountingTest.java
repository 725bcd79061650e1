package org.dfemu.emulator.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Per-CPU and per-thread counters add up to what the threads did. */
class CpuAccountingTest {
    @Test
    void busyTimeAndSwitchesAreChargedToTheRightCpu() {
        try (TestMachine m = new TestMachine(3, 8)) {
            LwktScheduler s = m.sched;
            for (int i = 0; i < 6; i++) {
                long each = 100L * (i + 1);
                s.spawn("w" + i, i % 3, 0, () -> {
                    for (int k = 0; k < 10; k++) s.consume(each);
                });
            }
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.ALL_EXITED, r.outcome(), r::toString);

            List<CpuStats> cpus = s.cpuStats();
            // cpu c runs w(c) and w(c+3): 10 * 100 * ((c+1) + (c+4)) ns.
            for (int c = 0; c < 3; c++) {
                assertEquals(1_000L * (2 * c + 5), cpus.get(c).busyNs(), "cpu" + c);
                assertEquals(0, cpus.get(c).curthread(), "all threads exited, cpu" + c + " is idle");
            }
            assertEquals(r.contextSwitches(), cpus.stream().mapToLong(CpuStats::switches).sum());
            List<ThreadInfo> threads = s.threads();
            assertEquals(r.contextSwitches(), threads.stream().mapToLong(ThreadInfo::switches).sum());
            assertEquals(3_000, threads.get(2).cpuNs());
            assertEquals(21_000, r.timeNs(), "one global clock: the CPUs' work adds up");
        }
    }
}
