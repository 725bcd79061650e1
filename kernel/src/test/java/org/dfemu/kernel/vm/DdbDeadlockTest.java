package org.dfemu.kernel.vm;

import org.dfemu.emulator.MachineConfig;
import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.cpu.CpuSettings;
import org.dfemu.emulator.sched.RunResult;
import org.dfemu.emulator.sched.SchedulerSettings;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.harness.report.DdbDeadlock;
import org.dfemu.kernel.sys.StructThread;
import org.dfemu.kernel.sys.StructVmstats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.dfemu.kernel.sys.Malloc.M_WAITOK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SWAPMETA deadlock of the 2021-05-14 mail, built for real and read back through the
 * kernel-terms report: a thread registered as the pagedaemon (TDF_SYSTHREAD, so SYSTEM class)
 * builds swap metadata on the kmalloc_obj variant while the free count sits at
 * v_interrupt_free_min; its 32-page slab cannot be had, so it sleeps in vm_wait, a second at a
 * time, and nothing else can free a page: the stall watchdog stops the run as a livelock.
 */
class DdbDeadlockTest {
    private static final long MB = 1L << 20;
    private static final long SECOND = 1_000_000_000L;

    @TempDir
    Path dir;

    @Test
    void pagedaemonStuckInVmWaitUnderSwapmetaIsReportedInKernelTerms() throws IOException {
        SchedulerSettings stall = SchedulerSettings.DEFAULTS.withWatchdogNs(5 * SECOND)
                .withWatchdogWmesgs(DdbDeadlock.MEMORY_WAIT_WMESGS);
        MachineConfig mc = new MachineConfig(32 * MB, 1, 100, 41, stall, CpuSettings.DEFAULT, TraceSink.NONE);
        KernelConfig kc = new KernelConfig(1, 100).setenv(SwapPager.VM_SWAPMETA_ALLOC.name(), SwapPager.SwapmetaAlloc.KMALLOC_OBJ.word());
        try (SwapRig rig = SwapRig.boot(dir, 8 * MB, mc, kc, true)) {
            Kernel k = rig.mk.kernel;
            SwapPager sp = k.swapPager();
            long obj = VmTestSupport.newObject(k, 4096);
            // Kernel_map's page tables and map-entry caches first, so only the slab is at stake.
            k.kernSlaballoc().kfree(k.kernSlaballoc().kmalloc(128 * 1024, k.kernSlaballoc().mDevbuf(), M_WAITOK),
                    k.kernSlaballoc().mDevbuf());
            long chan = obj + 8;
            boolean[] go = {false};
            long pd = k.lwkt().lwktCreate("pagedaemon", 0, StructThread.TDF_SYSTHREAD, () -> {
                while (!go[0]) {
                    k.lwkt().tsleep(chan, "go", 0);
                }
                sp.swpPagerMetaBuild(obj, 0, sp.swpPagerGetswapspace(obj, 1));
                throw new AssertionError("swp_pager_meta_build returned with the free count at v_interrupt_free_min");
            });
            k.vmPageout().pagethread(pd);
            rig.mk.thread("hog", 0, () -> {
                // Leaves exactly v_interrupt_free_min + 1 free (the hog's exit gives nothing
                // back: lwkt_exit keeps its struct thread and stack for the next thread), and the
                // pagedaemon takes that page (SYSTEM may take pages above v_interrupt_free_min)
                // and is left at the line.
                VmTestSupport.drainTo(k, VmTestSupport.interruptFreeMin(k) + 1);
                go[0] = true;
                k.lwkt().wakeup(chan);
            });

            RunResult r = rig.mk.machine.scheduler().run();
            assertEquals(RunResult.Outcome.LIVELOCK, r.outcome(), r::toString);
            assertTrue(r.deadlock().headline().contains("while waiting for memory"), r.deadlock().headline());

            List<String> report = DdbDeadlock.report(k, r.deadlock());
            String text = String.join("\n", report);
            long vs = k.vmMeter().vmstats();
            assertEquals(StructVmstats.v_interrupt_free_min(k.km(), vs), StructVmstats.v_free_count(k.km(), vs), text);

            String pdLine = report.stream().filter(l -> l.startsWith("  pagedaemon in ")).findFirst().orElseThrow(() -> new AssertionError(text));
            assertTrue(pdLine.startsWith("  pagedaemon in vm_wait (wchan &vm_pageout_pages_needed, \"VMWait\", timeout at "), pdLine);
            assertTrue(pdLine.endsWith("), from kmem_slab_alloc, from _kmalloc_obj(SWAPMETA), from swp_pager_meta_build"), pdLine);

            assertTrue(text.contains("v_free_count is below: v_pageout_free_min, v_free_severe, v_free_reserved, v_free_min,"
                    + " v_paging_start, v_paging_target1, v_paging_target2"), text);
            assertTrue(report.stream().anyMatch(l -> l.matches("  v_interrupt_free_min +\\d+  at +\\(INTERRUPT allocations stop\\)")), text);
            assertTrue(report.stream().anyMatch(l -> l.matches("  v_free_reserved +\\d+  BELOW +\\(NORMAL allocations stop\\)")), text);
            assertTrue(text.contains("  pagedaemon: blocked, it needs free pages itself: pagedaemon in vm_wait"), text);
            assertTrue(text.contains("  emergpager: not running"), text);
            assertTrue(text.contains("swap: 1 pages in use"), text);

            // Addresses in kernel terms.
            assertEquals("&vmstats.v_free_count", DdbDeadlock.symbolize(k, r.threads(), vs + StructVmstats.v_free_count$OFFSET));
            long m5 = k.vmPage().vmPageArray() + 5 * StructVmPage.SIZEOF;
            assertEquals(String.format("vm_page[5] (pa 0x%x)", StructVmPage.phys_addr(k.km(), m5)),
                    DdbDeadlock.symbolize(k, r.threads(), m5));
            assertEquals("&thread pagedaemon", DdbDeadlock.symbolize(k, r.threads(), pd));
        }
    }
}
