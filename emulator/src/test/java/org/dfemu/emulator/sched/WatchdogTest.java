package org.dfemu.emulator.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The watchdog stops runs that keep sleeping without progress, and leaves progressing ones alone. */
class WatchdogTest {
    private static final long SECOND = 1_000_000_000L;
    private static final SchedulerSettings WATCHDOG_1S = SchedulerSettings.DEFAULTS.withWatchdogNs(SECOND);

    @Test
    void sleepingWithTimeoutsAndNoProgressIsALivelock() {
        try (TestMachine m = new TestMachine(2, 21, WATCHDOG_1S)) {
            LwktScheduler s = m.sched;
            for (int i = 0; i < 2; i++) {
                s.spawn("pagedaemon" + i, i, 0, () -> {
                    s.pushFrame("vm_pageout_scan");
                    // 30 ms does not divide 1 s: at the deadline both are caught asleep.
                    while (true) s.sleep(0x40, "psleep", 30_000_000);
                });
            }
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.LIVELOCK, r.outcome(), r::toString);
            DeadlockReport rep = r.deadlock();
            assertEquals(DeadlockReport.Kind.LIVELOCK, rep.kind());
            assertTrue(rep.headline().startsWith("no progress for 1.000000000 s of virtual time"), rep.headline());
            assertEquals(SECOND, r.timeNs(), "stopped as soon as the interval passed");
            assertEquals("pagedaemon0 in vm_pageout_scan", rep.thread("pagedaemon0").frameChain());
            assertTrue(rep.headline().endsWith("2 thread(s) asleep: psleep x2"), rep.headline());
            ThreadInfo pd1 = rep.thread("pagedaemon1");
            assertEquals(ThreadState.SLEEPING, pd1.state());
            assertEquals("psleep", pd1.wmesg());
            assertEquals(1_020_000_000L, pd1.timeoutAtNs());
            assertTrue(rep.toString().startsWith("LIVELOCK at 1.000000000 s"), rep::toString);
        }
    }

    @Test
    void progressKeepsTheWatchdogQuiet() {
        try (TestMachine m = new TestMachine(2, 21, WATCHDOG_1S)) {
            LwktScheduler s = m.sched;
            for (int i = 0; i < 2; i++) {
                s.spawn("pagedaemon" + i, i, 0, () -> {
                    for (int k = 0; k < 300; k++) {
                        s.sleep(0x40, "psleep", 10_000_000);
                        s.progress();
                    }
                });
            }
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.ALL_EXITED, r.outcome(), r::toString);
            assertTrue(r.timeNs() >= 3 * SECOND);
        }
    }

    @Test
    void withWatchedWmesgsOnlyAWaitForMemoryArmsIt() {
        SchedulerSettings memoryOnly = WATCHDOG_1S.withWatchdogWmesgs(java.util.Set.of("vmwait"));
        try (TestMachine m = new TestMachine(1, 22, memoryOnly)) {
            LwktScheduler s = m.sched;
            s.spawn("idle", 0, 0, () -> {
                // 2 s of idle sleeping without progress: not a stall.
                for (int k = 0; k < 200; k++) s.sleep(0x40, "psleep", 10_000_000);
                // Then a wait for memory that never ends: stopped 1 s after it began.
                while (true) s.sleep(0x80, "vmwait", 30_000_000);
            });
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.LIVELOCK, r.outcome(), r::toString);
            assertEquals(3 * SECOND, r.timeNs(), r::toString);
            assertTrue(r.deadlock().headline().contains("while waiting for memory"), r.deadlock().headline());
            assertTrue(r.deadlock().headline().endsWith("1 thread(s) asleep: vmwait"), r.deadlock().headline());
        }
    }

    @Test
    void aWaiterWokenAtTheDeadlineIsCaughtAsleepAgain() {
        SchedulerSettings memoryOnly = SchedulerSettings.DEFAULTS.withWatchdogNs(2 * SECOND)
                .withWatchdogWmesgs(java.util.Set.of("vmwait"));
        try (TestMachine m = new TestMachine(1, 23, memoryOnly)) {
            LwktScheduler s = m.sched;
            s.spawn("swapintr", 0, 0, () -> s.sleep(0x40, "swintr", 0));
            // vm_wait's one-second sleeps end exactly at the 2 s deadline.
            s.spawn("allocator", 0, 0, () -> {
                while (true) s.sleep(0x80, "vmwait", SECOND);
            });
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.LIVELOCK, r.outcome(), r::toString);
            assertEquals(2 * SECOND, r.timeNs(), r::toString);
            ThreadInfo a = r.deadlock().thread("allocator");
            assertEquals(ThreadState.SLEEPING, a.state(), a::toString);
            assertEquals("vmwait", a.wmesg());
        }
    }
}
