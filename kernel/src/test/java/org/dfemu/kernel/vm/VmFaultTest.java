package org.dfemu.kernel.vm;

import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.harness.check.VmPageQueueCheck;
import org.dfemu.emulator.api.Scheduler;
import org.dfemu.emulator.cpu.Cpu;
import org.dfemu.emulator.mmu.PageFaultCode;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.harness.check.PmapCheck;
import org.dfemu.kernel.harness.workload.SegvException;
import org.dfemu.kernel.machine.Vmparam;
import org.dfemu.kernel.sys.Malloc;
import org.dfemu.kernel.sys.StructProc;
import org.dfemu.kernel.sys.StructThread;
import org.dfemu.kernel.sys.StructVmstats;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.dfemu.kernel.machine.Param.PAGE_SIZE;
import static org.dfemu.kernel.vm.UserProcs.entryAt;
import static org.dfemu.kernel.vm.UserProcs.exitProcess;
import static org.dfemu.kernel.vm.UserProcs.faults;
import static org.dfemu.kernel.vm.UserProcs.mapAnon;
import static org.dfemu.kernel.vm.UserProcs.newProcess;
import static org.dfemu.kernel.vm.UserProcs.userLoad;
import static org.dfemu.kernel.vm.UserProcs.userStore;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Processes' page faults on the emulated machine: a kernel thread plays a process (a struct proc
 * whose p_vmspace is a vmspace, its pmap loaded on the thread's cpu) and makes user-mode loads and
 * stores, which fault through the MMU into trap_pfault and vm_fault.
 */
class VmFaultTest {
    private static final long MB = 1L << 20;
    private static final long BASE = 0x1000_0000L;

    private static void checkPmap(Kernel k, long vm) {
        new PmapCheck(k).assertUserPmap(StructVmspace.vm_pmap(vm), true);
    }

    @Test
    void firstTouchZeroFillsAndWritesReadBack() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 1, 1)) {
            Kernel k = mk.kernel;
            mk.thread("proc", 0, () -> {
                long vm = k.vmMap().vmspaceAlloc(0, Vmparam.VM_MAX_USER_ADDRESS);
                long p = newProcess(k, vm);
                mapAnon(k, vm, BASE, 4 * PAGE_SIZE, Vm.VM_PROT_RW);
                assertEquals(0, userLoad(mk, BASE + 8), "a fresh anonymous page reads as zero");
                userStore(mk, BASE + 2 * PAGE_SIZE + 16, 0xfeed_f00dL);
                assertEquals(0xfeed_f00dL, userLoad(mk, BASE + 2 * PAGE_SIZE + 16));
                assertEquals(0, userLoad(mk, BASE + 2 * PAGE_SIZE + 24));
                long entry = entryAt(k, vm, BASE);
                long obj = StructVmMapEntry.object(k.km(), entry);
                assertEquals(2, StructVmObject.resident_page_count(k.km(), obj), "two pages touched, two faulted in");
                checkPmap(k, vm);
                exitProcess(k, p);
                new PmapCheck(k).assertKernel();
            });
            mk.run();
            VmPageQueueCheck.assertConsistent(k);
        }
    }

    @Test
    void writeToReadOnlyMappingAndUnmappedAddressAreSigsegv() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 1, 2)) {
            Kernel k = mk.kernel;
            mk.thread("proc", 0, () -> {
                long vm = k.vmMap().vmspaceAlloc(0, Vmparam.VM_MAX_USER_ADDRESS);
                long p = newProcess(k, vm);
                mapAnon(k, vm, BASE, 2 * PAGE_SIZE, Vm.VM_PROT_READ);
                long f0 = faults(k);
                assertEquals(0, userLoad(mk, BASE), "reading a read-only anonymous page");
                assertEquals(f0 + 1, faults(k), "the read's fault completed and is counted");
                SegvException w = assertThrows(SegvException.class, () -> userStore(mk, BASE + 40, 1));
                assertEquals(BASE + 40, w.va());
                assertEquals(SegvException.SEGV_ACCERR, w.siCode());
                assertEquals(VmMap.KERN_PROTECTION_FAILURE, w.kernResult());
                assertEquals(PageFaultCode.P | PageFaultCode.W | PageFaultCode.U, w.errorCode(),
                        "the page was present: a protection fault of a user write");
                assertEquals(0, userLoad(mk, BASE + 40), "the refused store did nothing");

                long hole = 0x5000_1238L;
                SegvException u = assertThrows(SegvException.class, () -> userLoad(mk, hole));
                assertEquals(hole, u.va());
                assertEquals(SegvException.SEGV_MAPERR, u.siCode());
                assertEquals(VmMap.KERN_INVALID_ADDRESS, u.kernResult());
                assertEquals(f0 + 1, faults(k),
                        "v_vm_faults counts at vm_fault's done_success: the two refused faults are not counted");
                checkPmap(k, vm);
                exitProcess(k, p);
            });
            mk.run();
            VmPageQueueCheck.assertConsistent(k);
        }
    }

    @Test
    void removedMappingFaultsAgainAndItsPagesAreFreed() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 1, 3)) {
            Kernel k = mk.kernel;
            KernelMemory km = k.km();
            mk.thread("proc", 0, () -> {
                long vm = k.vmMap().vmspaceAlloc(0, Vmparam.VM_MAX_USER_ADDRESS);
                long p = newProcess(k, vm);
                mapAnon(k, vm, BASE, 8 * PAGE_SIZE, Vm.VM_PROT_RW);
                for (int i = 0; i < 8; i++) {
                    userStore(mk, BASE + i * PAGE_SIZE, i + 1);
                }
                long free = TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET);
                // Unmap the middle: the entry is clipped into two, the middle pages freed.
                k.vmMap().vmMapRemove(StructVmspace.vm_map(vm), BASE + 2 * PAGE_SIZE, BASE + 6 * PAGE_SIZE);
                assertEquals(free + 4, TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET),
                        "the four unmapped pages of the one-mapping object were freed");
                SegvException e = assertThrows(SegvException.class, () -> userLoad(mk, BASE + 3 * PAGE_SIZE));
                assertEquals(SegvException.SEGV_MAPERR, e.siCode());
                assertEquals(2, userLoad(mk, BASE + PAGE_SIZE));
                assertEquals(7, userLoad(mk, BASE + 6 * PAGE_SIZE));
                checkPmap(k, vm);
                k.vmMap().vmMapRemove(StructVmspace.vm_map(vm), 0, Vmparam.VM_MAX_USER_ADDRESS);
                assertEquals(free + 8, TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET),
                        "removing the last mappings terminated the object");
                assertThrows(SegvException.class, () -> userLoad(mk, BASE));
                exitProcess(k, p);
            });
            mk.run();
            VmPageQueueCheck.assertConsistent(k);
        }
    }

    private static void await(Kernel k, boolean[] flag, long chan) {
        while (!flag[0]) {
            k.lwkt().tsleep(chan, "await", 1);
        }
    }

    /**
     * fork: parent and child see the pre-fork contents, then each its own writes. The parent's
     * pages are write-protected by vmspace_fork; the first write on either side shadows its entry
     * and copies the page into the new head object.
     */
    @Test
    void afterForkParentAndChildEachSeeTheirOwnWrites() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 2, 4)) {
            Kernel k = mk.kernel;
            KernelMemory km = k.km();
            long chan = k.pmap().kernelPmap();
            boolean[] parentWrote = {false};
            boolean[] childDone = {false};
            long[] child = new long[1];
            mk.thread("parent", 0, () -> {
                long vm1 = k.vmMap().vmspaceAlloc(0, Vmparam.VM_MAX_USER_ADDRESS);
                long p = newProcess(k, vm1);
                mapAnon(k, vm1, BASE, 4 * PAGE_SIZE, Vm.VM_PROT_RW);
                userStore(mk, BASE, 0xa0);
                userStore(mk, BASE + PAGE_SIZE, 0xa1);
                long obj = StructVmMapEntry.object(km, entryAt(k, vm1, BASE));

                child[0] = k.vmMap().vmspaceFork(vm1);
                assertEquals(2, StructVmObject.ref_count(km, obj), "parent and child entries share the object");
                assertEquals(0, StructVmObject.flags(km, obj) & StructVmObject.OBJ_ONEMAPPING);
                long pte = k.pmap().pmapPte(StructVmspace.vm_pmap(vm1), BASE);
                assertEquals(0, km.load64(pte) & org.dfemu.kernel.machine.Pmap.X86_PG_RW,
                        "vmspace_fork write-protected the parent's page");
                mk.thread("child", 1, () -> {
                    long c = newProcess(k, child[0]);
                    await(k, parentWrote, chan);
                    assertEquals(0xa0, userLoad(mk, BASE), "the child sees the pre-fork value");
                    userStore(mk, BASE, 0xc0);
                    assertEquals(0xc0, userLoad(mk, BASE));
                    assertEquals(0xa1, userLoad(mk, BASE + PAGE_SIZE), "read through the backing chain");
                    userStore(mk, BASE + 3 * PAGE_SIZE, 0xc3);
                    assertEquals(0xc3, userLoad(mk, BASE + 3 * PAGE_SIZE));
                    checkPmap(k, child[0]);
                    childDone[0] = true;
                    k.lwkt().wakeup(chan);
                    exitProcess(k, c);
                });

                userStore(mk, BASE, 0xb0);
                assertEquals(0xb0, userLoad(mk, BASE));
                long head = StructVmMapEntry.object(km, entryAt(k, vm1, BASE));
                assertNotEquals(obj, head, "the parent's write shadowed its entry");
                assertEquals(obj, StructVmMapEntry.ba_object(km,
                        StructVmMapEntry.ba_backing_ba(km, StructVmMapEntry.ba(entryAt(k, vm1, BASE)))));
                parentWrote[0] = true;
                k.lwkt().wakeup(chan);
                await(k, childDone, chan);
                assertEquals(0xb0, userLoad(mk, BASE), "the child's write stayed in the child");
                assertEquals(0xa1, userLoad(mk, BASE + PAGE_SIZE));
                assertEquals(0, userLoad(mk, BASE + 3 * PAGE_SIZE));
                userStore(mk, BASE + PAGE_SIZE, 0xb1);
                assertEquals(0xb1, userLoad(mk, BASE + PAGE_SIZE));
                checkPmap(k, vm1);
                exitProcess(k, p);
            });
            mk.run();
            VmPageQueueCheck.assertConsistent(k);
            new PmapCheck(k).assertKernel();
        }
    }

    /**
     * Below v_free_severe a fault does not even try to allocate: it sleeps in vm_wait_pfault and
     * finishes only once pages were freed back above severe.
     */
    @Test
    void aFaultWaitsInVmWaitPfaultWhilePagingIsSevere() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 1, 5)) {
            Kernel k = mk.kernel;
            KernelMemory km = k.km();
            Scheduler sched = mk.machine.scheduler();
            long vs = k.vmMeter().vmstats();
            long severe = StructVmstats.v_free_severe(km, vs);
            List<Long> taken = new ArrayList<>();
            boolean[] faulted = {false};
            boolean[] blockedSeen = {false};
            long[] freeAtReturn = new long[1];
            mk.thread("proc", 0, () -> {
                long vm = k.vmMap().vmspaceAlloc(0, Vmparam.VM_MAX_USER_ADDRESS);
                long p = newProcess(k, vm);
                mapAnon(k, vm, BASE, 4 * PAGE_SIZE, Vm.VM_PROT_RW);
                // Prefault: the object, page-table pages and pv entries exist before memory runs low.
                userStore(mk, BASE, 1);
                taken.addAll(VmTestSupport.drainTo(k, severe - 10));
                userStore(mk, BASE + PAGE_SIZE, 2);
                freeAtReturn[0] = TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET);
                faulted[0] = true;
                assertEquals(2, userLoad(mk, BASE + PAGE_SIZE));
                exitProcess(k, p);
            });
            mk.thread("freer", 0, () -> {
                while (taken.isEmpty()) {
                    sched.consume(1_000_000L);
                }
                sched.consume(50_000_000L);
                blockedSeen[0] = !faulted[0] && k.vmPage().vmPagesWaiting() > 0;
                while (!taken.isEmpty()) {
                    sched.consume(1_000_000L);
                    k.vmPage().vmPageFreeToq(taken.removeLast());
                }
            });
            mk.run();
            assertTrue(blockedSeen[0], "the fault was asleep in vm_wait_pfault");
            assertTrue(faulted[0]);
            assertTrue(freeAtReturn[0] + 1 >= severe, "the fault resumed only above severe: free " + freeAtReturn[0]);
            VmPageQueueCheck.assertConsistent(k);
        }
    }

    /**
     * Unmapping the middle of a shadowed (copy-on-write) entry clips it: both remaining pieces
     * keep their own copy of the backing chain and still read the right pages; exit frees all.
     */
    @Test
    void clippingAShadowedEntryKeepsBothHalvesBacked() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 1, 6)) {
            Kernel k = mk.kernel;
            KernelMemory km = k.km();
            mk.thread("proc", 0, () -> {
                long vm1 = k.vmMap().vmspaceAlloc(0, Vmparam.VM_MAX_USER_ADDRESS);
                long p = newProcess(k, vm1);
                mapAnon(k, vm1, BASE, 6 * PAGE_SIZE, Vm.VM_PROT_RW);
                for (int i = 0; i < 6; i++) {
                    userStore(mk, BASE + i * PAGE_SIZE, 0x100 + i);
                }
                long vm2 = k.vmMap().vmspaceFork(vm1);
                userStore(mk, BASE + 5 * PAGE_SIZE, 0x205);
                k.vmMap().vmMapRemove(StructVmspace.vm_map(vm1), BASE + 2 * PAGE_SIZE, BASE + 4 * PAGE_SIZE);
                long lo = entryAt(k, vm1, BASE);
                long hi = entryAt(k, vm1, BASE + 4 * PAGE_SIZE);
                long loNext = StructVmMapEntry.ba_backing_ba(km, StructVmMapEntry.ba(lo));
                long hiNext = StructVmMapEntry.ba_backing_ba(km, StructVmMapEntry.ba(hi));
                assertNotEquals(0, loNext);
                assertNotEquals(loNext, hiNext, "each piece has its own backing structure");
                assertEquals(StructVmMapEntry.ba_object(km, loNext), StructVmMapEntry.ba_object(km, hiNext));
                assertEquals(BASE + 4 * PAGE_SIZE, StructVmMapEntry.ba_start(km, hiNext));
                assertEquals(0x100, userLoad(mk, BASE));
                assertEquals(0x101, userLoad(mk, BASE + PAGE_SIZE));
                assertEquals(0x104, userLoad(mk, BASE + 4 * PAGE_SIZE));
                assertEquals(0x205, userLoad(mk, BASE + 5 * PAGE_SIZE));
                assertThrows(SegvException.class, () -> userLoad(mk, BASE + 2 * PAGE_SIZE));
                userStore(mk, BASE + 4 * PAGE_SIZE, 0x204);
                assertEquals(0x204, userLoad(mk, BASE + 4 * PAGE_SIZE));
                checkPmap(k, vm1);
                exitProcess(k, p);
                long free = TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET);
                k.vmMap().vmspaceRel(vm2);
                assertTrue(TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET) >= free + 6,
                        "the last vmspace freed the six pre-fork pages");
            });
            mk.run();
            VmPageQueueCheck.assertConsistent(k);
            new PmapCheck(k).assertKernel();
        }
    }

    /**
     * The swap-in hook: for an OBJT_SWAP object, a page its pager has is brought in through
     * vm_pager_get_page; a page it does not have is zero-filled; termination calls its dealloc.
     * The pager here is the test's own, standing in for the swap pager.
     */
    @Test
    void swapObjectPagesComeFromItsPager() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 1, 7)) {
            Kernel k = mk.kernel;
            KernelMemory km = k.km();
            List<Long> gets = new ArrayList<>();
            List<Long> deallocs = new ArrayList<>();
            k.vmPager().vmPagerSetOps(StructVmObject.OBJT_SWAP, new VmPagerOps() {
                @Override
                public int pgoGetpage(long object, long[] mpp, int seqaccess) {
                    long m = mpp[0];
                    gets.add(StructVmPage.pindex(km, m));
                    long pa = k.vmPage().VM_PAGE_TO_PHYS(m);
                    k.pmap().pmapZeroPage(pa);
                    km.store64(Vmparam.PHYS_TO_DMAP(pa), 0x5a00 + StructVmPage.pindex(km, m));
                    StructVmPage.valid(km, m, StructVmPage.VM_PAGE_BITS_ALL);
                    return VmPager.VM_PAGER_OK;
                }

                @Override
                public boolean pgoHaspage(long object, long pindex) { return pindex == 1; }

                @Override
                public void pgoDealloc(long object) { deallocs.add(object); }
            });
            long[] obj = new long[1];
            mk.thread("proc", 0, () -> {
                long vm = k.vmMap().vmspaceAlloc(0, Vmparam.VM_MAX_USER_ADDRESS);
                long p = newProcess(k, vm);
                mapAnon(k, vm, BASE, 4 * PAGE_SIZE, Vm.VM_PROT_RW);
                userStore(mk, BASE, 7);
                obj[0] = StructVmMapEntry.object(km, entryAt(k, vm, BASE));
                // What the swap pager does when it first pages the object out.
                StructVmObject.type(km, obj[0], StructVmObject.OBJT_SWAP);
                assertEquals(0x5a01, userLoad(mk, BASE + PAGE_SIZE), "paged in by the pager");
                assertEquals(0, userLoad(mk, BASE + 2 * PAGE_SIZE), "the pager has no copy: zero fill");
                assertEquals(7, userLoad(mk, BASE), "a resident page never asks the pager");
                assertEquals(List.of(1L), gets);
                exitProcess(k, p);
            });
            mk.run();
            assertEquals(List.of(obj[0]), deallocs, "terminating the object released its backing store");
            VmPageQueueCheck.assertConsistent(k);
        }
    }
}
