package org.dfemu.kernel.vm;

import org.dfemu.kernel.harness.check.VmPageQueueCheck;
import org.dfemu.emulator.api.Scheduler;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.SchedulerHarness;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.kern.Lwkt;
import org.dfemu.kernel.sys.StructVmstats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.dfemu.kernel.vm.VmTestSupport.drainTo;
import static org.dfemu.kernel.vm.VmTestSupport.free;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * vm_wait()/vm_wait_pfault() really sleep and are really woken (docs/dragonfly-map.md §1.4,
 * behaviour 11), with kernel threads on the emulator's scheduler.
 *
 * <p>Threads run on the machine's real scheduler ({@link SchedulerHarness}); they record what they
 * saw into plain arrays and the assertions run after the machine has run.
 */
class VmWaitTest {
    private static final long SECOND = 1_000_000_000L;

    private TestKernel t;
    private Kernel k;
    private KernelMemory km;
    private VmPage vp;
    private Lwkt lwkt;
    private SchedulerHarness.Machine machine;
    private Scheduler sched;

    @BeforeEach
    void boot() {
        KernelConfig config = new KernelConfig(1, 100);
        t = TestKernel.boot(16 << 20, config);
        machine = SchedulerHarness.create(1, config, t.ram);
        k = t.kernel;
        km = k.km();
        vp = k.vmPage();
        lwkt = k.lwkt();
        sched = machine.scheduler();
        lwkt.attachScheduler(sched);
        // The cpus' hardclocks, which refresh their copies of the counts the wakeups test.
        k.kernClock().attachClock(machine.clock(), config.hz());
    }

    @AfterEach
    void close() {
        if (t != null) {
            VmPageQueueCheck.assertConsistent(k);
            t.close();
        }
    }

    private long vs() { return k.vmMeter().vmstats(); }

    private long min() { return StructVmstats.v_free_min(km, vs()); }

    /**
     * Frees one of {@code pages} per millisecond of virtual time, {@code count} times. The list
     * is filled by the test after the threads are created (creating a thread takes a page, so
     * threads are created before memory is drained).
     */
    private Runnable freer(List<Long> pages, int count) {
        return () -> {
            for (int i = 0; i < count; i++) {
                sched.consume(SECOND / 1000);
                vp.vmPageFreeToq(pages.removeLast());
            }
        };
    }

    @Test
    void anOrdinaryWaiterSleepsUntilMinPlusHysteresis() {
        List<Long> taken = new ArrayList<>();
        long[] woke = new long[2];
        lwkt.lwktCreate("waiter", 0, 0, () -> {
            long t0 = sched.now();
            vp.vmWait(0);
            woke[0] = sched.now() - t0;
            woke[1] = free(k);
        });
        lwkt.lwktCreate("freer", 0, 0, freer(taken, 40));
        taken.addAll(drainTo(k, min() - 1));
        machine.run();

        assertTrue(woke[0] < SECOND, "woken by a free, not by the hz timeout (" + woke[0] + " ns)");
        assertTrue(woke[1] >= min() + k.vmPageout().vmPageFreeHysteresis(),
                "not woken before free reached min + 16 (free " + woke[1] + ")");
        assertEquals(0, vp.vmPagesWaiting());
    }

    @Test
    void vmWaitNeverSleepsForeverTimeoutIsHz() {
        long[] slept = new long[1];
        lwkt.lwktCreate("waiter", 0, 0, () -> {
            long t0 = sched.now();
            vp.vmWait(0);
            slept[0] = sched.now() - t0;
        });
        drainTo(k, min() - 1);
        machine.run();
        assertEquals(SECOND, slept[0], "vm_wait(0) sleeps hz ticks = 1 s at most");
    }

    @Test
    void thePagedaemonIsWokenAtPageoutFreeMin() {
        long pageoutFreeMin = StructVmstats.v_pageout_free_min(km, vs());
        List<Long> taken = new ArrayList<>();
        long[] woke = new long[2];
        long td = lwkt.lwktCreate("pagedaemon", 0, 0, () -> {
            long t0 = sched.now();
            vp.vmWait(0);
            woke[0] = sched.now() - t0;
            woke[1] = free(k);
        });
        k.vmPageout().pagethread(td);
        lwkt.lwktCreate("freer", 0, 0, freer(taken, 20));
        taken.addAll(drainTo(k, pageoutFreeMin - 10));
        machine.run();
        assertTrue(woke[0] < SECOND, "woken by a free, not by the hz timeout");
        assertTrue(woke[1] >= pageoutFreeMin, "not woken before v_pageout_free_min (free " + woke[1] + ")");
        assertEquals(0, k.vmPageout().vmPageoutPagesNeeded());
    }

    @Test
    void allocatingBelowPagingStartWakesThePagedaemonChannel() {
        int[] slept = {-1};
        lwkt.lwktCreate("pagedaemon", 0, 0,
                () -> slept[0] = lwkt.tsleep(k.vmPageout().vmPagesNeededAddr(), "psleep", 10 * lwkt.hz()));
        lwkt.lwktCreate("allocator", 0, 0, () -> {
            for (int i = 0; i < 10; i++) {
                sched.consume(SECOND / 1000);
                vp.vmPageAlloc(0, i, VmPage.VM_ALLOC_NORMAL);
            }
        });
        drainTo(k, StructVmstats.v_paging_start(km, vs()) + 5);
        k.vmPageout().vmPagesNeeded(0);
        machine.run();
        assertEquals(0, slept[0], "woken by pagedaemon_wakeup(), not by its timeout");
        assertEquals(1, k.vmPageout().vmPagesNeeded());
    }

    @Test
    void aFaultStallsWhilePagingIsSevere() {
        long severe = StructVmstats.v_free_severe(km, vs());
        List<Long> taken = new ArrayList<>();
        long[] wokeAtFree = new long[1];
        lwkt.lwktCreate("faulter", 0, 0, () -> {
            vp.vmWaitPfault();
            wokeAtFree[0] = free(k);
        });
        // Frees slowly (1 ms apart): the faulter re-sleeps hz/10+1 ticks while still severe.
        lwkt.lwktCreate("freer", 0, 0, freer(taken, 30));
        taken.addAll(drainTo(k, severe - 10));
        machine.run();
        assertTrue(wokeAtFree[0] >= severe, "vm_wait_pfault returned at free " + wokeAtFree[0]);
    }
}
