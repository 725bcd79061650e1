package org.dfemu.emulator.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A thread with preemption disabled is never displaced by a thread of its own CPU; other CPUs go on. */
class PreemptDisableTest {
    /** Counts how often the same-CPU and other-CPU threads ran while the probe consumed 50 times. */
    private static long[] probe(long seed, boolean disabled) {
        // Switch at every consume: without preemption disabled the same-CPU thread would surely run.
        try (TestMachine m = new TestMachine(2, seed, SchedulerSettings.DEFAULTS.withSwitchProbability(1.0))) {
            LwktScheduler s = m.sched;
            long[] counts = new long[2];
            long[] during = new long[2];
            boolean[] done = {false};
            s.spawn("probe", 0, 0, () -> {
                if (disabled) s.preemptDisable();
                long same0 = counts[0];
                long other0 = counts[1];
                for (int i = 0; i < 50; i++) s.consume(100);
                during[0] = counts[0] - same0;
                during[1] = counts[1] - other0;
                if (disabled) s.preemptEnable();
                done[0] = true;
            });
            s.spawn("samecpu", 0, 0, () -> {
                while (!done[0]) {
                    counts[0]++;
                    s.consume(100);
                }
            });
            s.spawn("othercpu", 1, 0, () -> {
                while (!done[0]) {
                    counts[1]++;
                    s.consume(100);
                }
            });
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.ALL_EXITED, r.outcome(), r::toString);
            return during;
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void sameCpuThreadNeverRunsWhilePreemptionIsDisabled(long seed) {
        long[] during = probe(seed, true);
        assertEquals(0, during[0], "a same-CPU thread displaced a thread with preemption disabled");
        assertTrue(during[1] >= 50, "other CPUs must keep running in between: " + during[1]);
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void withPreemptionEnabledTheSameCpuThreadRunsInBetween(long seed) {
        long[] during = probe(seed, false);
        assertTrue(during[0] > 0, "control: the same-CPU thread should run when nothing holds it off");
    }
}
