package org.dfemu.kernel.vm;

import org.dfemu.kernel.harness.check.VmPageQueueCheck;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.harness.check.PmapCheck;
import org.dfemu.kernel.machine.Vmparam;
import org.junit.jupiter.api.Test;

import static org.dfemu.kernel.machine.Param.PAGE_SIZE;
import static org.dfemu.kernel.vm.UserProcs.entryAt;
import static org.dfemu.kernel.vm.UserProcs.exitProcess;
import static org.dfemu.kernel.vm.UserProcs.faults;
import static org.dfemu.kernel.vm.UserProcs.mapAnon;
import static org.dfemu.kernel.vm.UserProcs.newProcess;
import static org.dfemu.kernel.vm.UserProcs.userLoad;
import static org.dfemu.kernel.vm.UserProcs.userStore;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The burst of a user fault (vm_fault.c: VM_FAULT_BURST from trap_pfault, vm_prefault and
 * vm_prefault_quick): which neighbours of the faulting page get mapped with it, and when none do.
 */
class VmPrefaultTest {
    private static final long MB = 1L << 20;
    private static final long BASE = 0x2000_0000L;

    private static long va(int page) { return BASE + (long) page * PAGE_SIZE; }

    /** Whether page {@code page} of the region has a valid PTE in the process's pmap. */
    private static boolean mapped(Kernel k, long vm, int page) {
        return !k.pmap().pmapPrefaultOk(StructVmspace.vm_pmap(vm), va(page));
    }

    private static long object(Kernel k, long vm) {
        return StructVmMapEntry.object(k.km(), entryAt(k, vm, BASE));
    }

    /** Runs {@code body(k, mk, vm)} as a process on a fresh 32M machine with a 32-page RW region. */
    private static void withProcess(long seed, ProcBody body) {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 1, seed)) {
            Kernel k = mk.kernel;
            mk.thread("proc", 0, () -> {
                long vm = k.vmMap().vmspaceAlloc(0, Vmparam.VM_MAX_USER_ADDRESS);
                long p = newProcess(k, vm);
                mapAnon(k, vm, BASE, 32 * PAGE_SIZE, Vm.VM_PROT_RW);
                body.run(k, mk, vm);
                new PmapCheck(k).assertUserPmap(StructVmspace.vm_pmap(vm), true);
                exitProcess(k, p);
            });
            mk.run();
            VmPageQueueCheck.assertConsistent(k);
        }
    }

    private interface ProcBody {
        void run(Kernel k, MachineKernel mk, long vm);
    }

    /**
     * With DragonFly's defaults (vm.shared_fault=1) a zero-fill fault keeps its shared holds and
     * bursts with vm_prefault_quick, which only maps pages already resident: in a fresh region
     * nothing but the faulting page is mapped or allocated.
     */
    @Test
    void byDefaultAZeroFillFaultPrefaultsNothingInAFreshRegion() {
        withProcess(11, (k, mk, vm) -> {
            long f0 = faults(k);
            userStore(mk, va(16), 7);
            assertEquals(f0 + 1, faults(k));
            assertEquals(1, StructVmObject.resident_page_count(k.km(), object(k, vm)));
            for (int page = 12; page <= 20; page++) {
                assertEquals(page == 16, mapped(k, vm, page), "page " + page);
            }
        });
    }

    /**
     * vm_prefault_quick after a fault that took the slow path (vm.fault_bypass=0 here): the
     * resident but unmapped neighbours, alternately above and below, 8 of them, are mapped, and
     * touching them takes no fault. With the bypass on (the default) the same fault on an active,
     * dirty page is resolved by vm_fault_bypass, which does not burst.
     */
    @Test
    void aSlowFaultMapsEightResidentNeighboursAndABypassedOneNone() {
        withProcess(12, (k, mk, vm) -> {
            for (int page = 0; page < 32; page++) {
                userStore(mk, va(page), page + 100);
            }
            long pmap = StructVmspace.vm_pmap(vm);
            k.pmap().pmapRemove(pmap, va(0), va(32));
            assertFalse(mapped(k, vm, 16));

            long f0 = faults(k);
            assertEquals(116, userLoad(mk, va(16)));
            assertEquals(f0 + 1, faults(k));
            assertTrue(mapped(k, vm, 16));
            assertFalse(mapped(k, vm, 17), "bypassed: no burst");

            k.pmap().pmapRemove(pmap, va(0), va(32));
            k.vmFault().setVmFaultBypass(0);
            f0 = faults(k);
            assertEquals(116, userLoad(mk, va(16)));
            assertEquals(f0 + 1, faults(k));
            for (int page = 10; page <= 22; page++) {
                assertEquals(page >= 12 && page <= 20, mapped(k, vm, page), "page " + page);
            }
            for (int page = 12; page <= 20; page++) {
                assertEquals(page + 100, userLoad(mk, va(page)));
            }
            assertEquals(f0 + 1, faults(k), "the prefaulted neighbours took no fault of their own");
        });
    }

    /**
     * vm_prefault (vm.shared_fault=0: every fault ends with exclusive holds): a zero-fill write
     * fault also zero-fills its 8 neighbours of the default object, maps them writable, dirty and
     * inactive; the scan in one direction stops at a mapped page or the entry's end.
     */
    @Test
    void vmPrefaultZeroFillsEightNeighboursAndStopsAtMappedPagesAndTheEntryEnd() {
        withProcess(13, (k, mk, vm) -> {
            KernelMemory km = k.km();
            k.vmFault().setVmSharedFault(0);
            long f0 = faults(k);
            userStore(mk, va(16), 5);
            assertEquals(f0 + 1, faults(k));
            long obj = object(k, vm);
            assertEquals(9, StructVmObject.resident_page_count(km, obj));
            for (int page = 12; page <= 20; page++) {
                assertTrue(mapped(k, vm, page), "page " + page);
                long m = k.vmPage().vmPageLookup(obj, page);
                assertEquals(StructVmPage.VM_PAGE_BITS_ALL, StructVmPage.dirty(km, m), "dirtied by the write fault");
                if (page != 16) {
                    assertEquals(StructVpgqueues.PQ_INACTIVE, StructVmPage.queue(km, m) - StructVmPage.pc(km, m));
                }
            }
            for (int page = 12; page <= 20; page++) {
                userStore(mk, va(page) + 8, page);
                assertEquals(page == 16 ? 5 : 0, userLoad(mk, va(page)));
            }
            assertEquals(f0 + 1, faults(k), "stores to the prefaulted pages took no fault");

            // At page 23 the scan below stops at page 20 (mapped): 24, 22, 25, 21, 26, 27.
            userStore(mk, va(23), 1);
            assertEquals(9 + 7, StructVmObject.resident_page_count(km, obj));
            assertTrue(mapped(k, vm, 27));
            assertFalse(mapped(k, vm, 28));
            // At page 30 the scan above stops at the entry's end (page 31 is its last): 31, 29, 28,
            // then page 27 (mapped) ends it below too.
            userStore(mk, va(30), 1);
            assertEquals(9 + 7 + 4, StructVmObject.resident_page_count(km, obj));
            assertEquals(f0 + 3, faults(k));
        });
    }

    /**
     * vm_prefault zero-fills no neighbour while vm_paging_min() is true: with free memory taken
     * down below v_free_min (but not to v_free_severe, where the fault itself would wait), the
     * fault maps its own page only.
     */
    @Test
    void vmPrefaultStopsAtVmPagingMin() {
        withProcess(14, (k, mk, vm) -> {
            KernelMemory km = k.km();
            k.vmFault().setVmSharedFault(0);
            long hog = VmTestSupport.newObject(k, 1 << 16);
            long n = 0;
            while (!k.vmPage2().vmPagingMin()) {
                long m = k.vmPage().vmPageAlloc(hog, n++, VmPage.VM_ALLOC_NORMAL);
                assertTrue(m != 0);
                k.vmPage().vmPageWakeup(m);
            }
            assertFalse(k.vmPage2().vmPagingSevere());
            userStore(mk, va(16), 5);
            assertEquals(1, StructVmObject.resident_page_count(km, object(k, vm)));
            assertFalse(mapped(k, vm, 15));
            assertFalse(mapped(k, vm, 17));
        });
    }
}
