package org.dfemu.emulator.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/**
 * An uncaught exception ends the run as a panic naming the thread, and every other kernel thread
 * is unwound so nothing is left running; misuse from the wrong context is refused.
 */
class PanicTest {
    @Test
    void exceptionInAThreadEndsTheRunAndTheOthersAreUnwound() {
        try (TestMachine m = new TestMachine(2, 17)) {
            LwktScheduler s = m.sched;
            IllegalStateException boom = new IllegalStateException("boom in crasher");
            AtomicInteger unwound = new AtomicInteger();
            int[] started = {0};
            s.spawn("sleeper", 0, 0, () -> {
                started[0]++;
                try {
                    s.sleep(0x10, "forever", 0);
                } finally {
                    unwound.incrementAndGet();
                    s.popFrame();  // scheduler calls while unwinding must not block or run
                }
            });
            s.spawn("spinner", 1, 0, () -> {
                started[0]++;
                try {
                    while (true) s.consume(100);
                } finally {
                    unwound.incrementAndGet();
                }
            });
            s.spawn("crasher", 1, 0, () -> {
                while (started[0] < 2) s.yield();
                s.consume(10_000);
                throw boom;
            });

            RunResult r = s.run();

            assertEquals(RunResult.Outcome.PANIC, r.outcome(), r::toString);
            assertSame(boom, r.panicCause());
            assertEquals("crasher", r.panicThread().name());
            assertEquals(3, r.panicThread().tid());
            assertTrue(r.reason().contains("boom in crasher"));
            assertTrue(r.toString().contains("panic at"), r::toString);
            assertTrue(r.toString().contains("at org.dfemu.emulator.sched.PanicTest"), "no Java backtrace: " + r);
            assertEquals(2, unwound.get(), "the other threads were not unwound");
            for (ThreadInfo t : s.threads()) {
                if (!t.name().equals("crasher")) assertTrue(t.state() != ThreadState.EXITED);
            }
        }
    }

    @Test
    void exceptionInAnEventActionIsAnInterruptPanic() {
        try (TestMachine m = new TestMachine(1, 2)) {
            LwktScheduler s = m.sched;
            m.clock.scheduleIn(1_000, "bad interrupt", true, () -> {
                s.pushFrame("bad_intr");
                throw new IllegalArgumentException("handler failed");
            });
            s.spawn("victim", 0, 0, () -> s.consume(5_000));
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.PANIC, r.outcome(), r::toString);
            assertEquals(0, r.panicThread().tid());
            assertEquals("interrupt", r.panicThread().name());
            assertEquals(java.util.List.of("bad_intr"), r.panicThread().frames());
            assertTrue(r.reason().startsWith("in interrupt context (interrupted tid 1, victim)"), r.reason());
            assertEquals(1_000, r.timeNs());
        }
    }

    @Test
    void sleepingFromAnEventActionPanics() {
        try (TestMachine m = new TestMachine(1, 2)) {
            LwktScheduler s = m.sched;
            m.clock.scheduleIn(1_000, "sleepy interrupt", true, () -> s.sleep(0x20, "nope", 0));
            s.spawn("victim", 0, 0, () -> s.consume(5_000));
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.PANIC, r.outcome(), r::toString);
            assertTrue(r.reason().contains("sleep: called from interrupt context"), r.reason());
        }
    }

    @Test
    void threadPrimitivesFromTheHostAreRefused() {
        try (TestMachine m = new TestMachine(1, 2)) {
            LwktScheduler s = m.sched;
            SchedulerPanic p = assertThrows(SchedulerPanic.class, () -> s.sleep(0x20, "host", 0));
            assertEquals("sleep: not called from a running kernel thread", p.getMessage());
        }
    }

    @Test
    void requestStopFromKernelCodeStopsAtTheNextSchedulingPoint() {
        try (TestMachine m = new TestMachine(2, 2)) {
            LwktScheduler s = m.sched;
            int[] after = {0};
            s.spawn("other", 1, 0, () -> s.sleep(0x30, "idle", 0));
            s.spawn("init", 0, 0, () -> {
                s.consume(1_000);
                s.requestStop("shutdown requested");
                after[0]++;
                s.consume(1_000);
                after[0]++;
            });
            RunResult r = s.run();
            assertEquals(RunResult.Outcome.STOPPED, r.outcome(), r::toString);
            assertEquals("shutdown requested", r.reason());
            assertEquals(1, after[0], "init ran past its next scheduling point");
        }
    }

    @Test
    void runWithNoThreadsReturnsAtOnce() {
        try (TestMachine m = new TestMachine(1, 2)) {
            RunResult r = m.sched.run();
            assertEquals(RunResult.Outcome.ALL_EXITED, r.outcome());
            assertThrows(IllegalStateException.class, m.sched::run);
        }
    }
}
