package org.dfemu.kernel.vm;

import org.dfemu.kernel.harness.check.VmPageQueueCheck;
import org.dfemu.emulator.sched.RunResult;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.vm.SwapPager.SwapmetaAlloc;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.machine.Vmparam;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.dfemu.kernel.machine.Param.PAGE_SIZE;
import static org.dfemu.kernel.vm.StructVmPage.PG_SWAPPED;
import static org.dfemu.kernel.vm.UserProcs.entryAt;
import static org.dfemu.kernel.vm.UserProcs.exitProcess;
import static org.dfemu.kernel.vm.UserProcs.mapAnon;
import static org.dfemu.kernel.vm.UserProcs.newProcess;
import static org.dfemu.kernel.vm.UserProcs.userLoad;
import static org.dfemu.kernel.vm.UserProcs.userStore;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * vm_fault_object()'s swap_pager_unswapped(): a write fault (VM_FAULT_DIRTY) that dirties a page
 * with a swap block frees the block, since the copy on swap is stale from then on; a read fault
 * keeps it (the clean page can be dropped and read back again).
 */
class VmFaultUnswapTest {
    private static final long MB = 1L << 20;
    private static final long BASE = 0x3000_0000L;

    @TempDir
    Path dir;

    private static long va(int page) { return BASE + (long) page * PAGE_SIZE; }

    /** What the pageout daemon does to a page before it goes: no more mappings, then freed. */
    private static void evict(Kernel k, long m) {
        k.vmPage().vmPageBusyWait(m, false, "test");
        k.vmPage2().vmPageProtect(m, Vm.VM_PROT_NONE);
        k.vmPage2().vmPageFree(m);
    }

    @Test
    void aWriteFaultOnAPageWithSwapFreesTheBlockAndAReadFaultKeepsIt() throws IOException {
        try (SwapRig rig = SwapRig.boot(dir, 32 * MB, 8 * MB, SwapmetaAlloc.ZALLOC, 31)) {
            Kernel k = rig.mk.kernel;
            KernelMemory km = k.km();
            SwapPager sp = k.swapPager();
            VmSwap swap = k.vmSwap();
            sp.swapPagerIntrStart();
            boolean[] done = {false};
            rig.mk.thread("proc", 0, () -> {
                long vm = k.vmMap().vmspaceAlloc(0, Vmparam.VM_MAX_USER_ADDRESS);
                long p = newProcess(k, vm);
                mapAnon(k, vm, BASE, 4 * PAGE_SIZE, Vm.VM_PROT_RW);
                for (int i = 0; i < 4; i++) {
                    userStore(rig.mk, va(i), 1000 + i);
                }
                long obj = StructVmMapEntry.object(km, entryAt(k, vm, BASE));
                int free0 = swap.vmSwapSize();

                // Launder all four to swap as the pagedaemon would: write-protected, then written.
                long[] m = new long[4];
                for (int i = 0; i < 4; i++) {
                    m[i] = k.vmPage().vmPageLookup(obj, i);
                    assertEquals(StructVmPage.VM_PAGE_BITS_ALL, StructVmPage.dirty(km, m[i]), "dirtied by its write fault");
                    k.vmPage().vmPageBusyWait(m[i], false, "test");
                    k.vmPage2().vmPageProtect(m[i], Vm.VM_PROT_READ);
                    k.vmPage().vmPageIoStart(m[i]);
                    k.vmPage().vmPageWakeup(m[i]);
                }
                k.vmObject().vmObjectPipAdd(obj, 4);   // vm_pageout_flush's; the completion drops it
                sp.swapPagerPutpages(obj, m, 4, 0, new int[4]);
                assertEquals(free0 - 4, swap.vmSwapSize(), "four swap blocks in use");

                // Page 1, resident and clean: the write fault dirties it and frees its block.
                userStore(rig.mk, va(1) + 8, 1);
                assertEquals(free0 - 3, swap.vmSwapSize(), "vm_swap_size rises back by one");
                assertFalse(sp.swapPagerHaspage(obj, 1));
                assertEquals(0, StructVmPage.flags(km, m[1]) & PG_SWAPPED);
                assertEquals(StructVmPage.VM_PAGE_BITS_ALL, StructVmPage.dirty(km, m[1]));

                // Page 2, swapped out: paged in by the write fault, which then frees the block.
                evict(k, m[2]);
                userStore(rig.mk, va(2) + 8, 2);
                assertEquals(1002, userLoad(rig.mk, va(2)), "the data came back from swap");
                assertEquals(free0 - 2, swap.vmSwapSize());
                assertFalse(sp.swapPagerHaspage(obj, 2));

                // Page 3, swapped out: a read fault pages it in and keeps the block.
                evict(k, m[3]);
                assertEquals(1003, userLoad(rig.mk, va(3)));
                assertEquals(free0 - 2, swap.vmSwapSize(), "a read leaves the block");
                assertTrue(sp.swapPagerHaspage(obj, 3));

                exitProcess(k, p);
                assertEquals(free0, swap.vmSwapSize(), "exit frees the rest");
                done[0] = true;
                rig.mk.machine.scheduler().requestStop("test done");
            });
            RunResult r = rig.mk.machine.scheduler().run();
            assertEquals(RunResult.Outcome.STOPPED, r.outcome(), r.toString());
            assertTrue(done[0]);
            VmPageQueueCheck.assertConsistent(k);
        }
    }
}
