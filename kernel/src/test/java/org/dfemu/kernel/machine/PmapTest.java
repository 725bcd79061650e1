package org.dfemu.kernel.machine;

import org.dfemu.kernel.sys.StructVmstats;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.harness.check.PmapCheck;
import org.dfemu.emulator.cpu.Cpu;
import org.dfemu.emulator.mmu.PageFaultCode;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.vm.StructVmPage;
import org.dfemu.kernel.vm.Vm;
import org.dfemu.kernel.harness.check.VmPageQueueCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.dfemu.kernel.machine.Param.PAGE_SIZE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * User pmaps on the emulated machine: what pmap_enter/remove/protect put in the page tables is
 * what the CPUs' MMUs translate, TLBs are invalidated, and the pv entries track exactly the
 * page-table pages.
 */
class PmapTest {
    private static final long MB = 1L << 20;

    /** Thrown by the tests' trap handler to abort a faulting user access. */
    private static final class UserFault extends RuntimeException {
        final long va;
        final int code;

        UserFault(long va, int code) {
            super(null, null, false, false);
            this.va = va;
            this.code = code;
        }
    }

    private static List<UserFault> trapFaults(MachineKernel mk) {
        List<UserFault> faults = new ArrayList<>();
        mk.machine.setTrapHandler((cpu, va, code) -> {
            UserFault f = new UserFault(va, code);
            faults.add(f);
            throw f;
        });
        return faults;
    }

    private static Cpu mycpu(MachineKernel mk) {
        return mk.machine.cpu(mk.kernel.lwkt().mycpuid());
    }

    /** A user load on the current cpu, or null if it faulted. */
    private static Long userLoad(MachineKernel mk, long va) {
        Cpu cpu = mycpu(mk);
        cpu.setUserMode(true);
        try {
            return cpu.load64(va);
        } catch (UserFault f) {
            return null;
        } finally {
            cpu.setUserMode(false);
        }
    }

    private static boolean userStore(MachineKernel mk, long va, long v) {
        Cpu cpu = mycpu(mk);
        cpu.setUserMode(true);
        try {
            cpu.store64(va, v);
            return true;
        } catch (UserFault f) {
            return false;
        } finally {
            cpu.setUserMode(false);
        }
    }

    @Test
    void enteredMappingIsTranslatedByTheMmuAndRemovingItFaults() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 1, 1)) {
            List<UserFault> faults = trapFaults(mk);
            Kernel k = mk.kernel;
            mk.thread("pmaptest", 0, () -> {
                KernelMemory km = k.km();
                UserSpace us = new UserSpace(k, 16, new UserSpace.Region(0x4000_0000L, 16, 0));
                long m = us.newPage(3, 0x1234_5678_9abc_def0L);
                long va = us.va(3);
                us.enter(m, Vm.VM_PROT_READ | Vm.VM_PROT_WRITE, false);
                k.pmap().pmapActivate(us.pmap);

                assertEquals(0x1234_5678_9abc_def0L, userLoad(mk, va));
                assertTrue(userStore(mk, va + 16, 0x55L));
                long pa = k.vmPage().VM_PAGE_TO_PHYS(m);
                assertEquals(0x55L, km.load64(Vmparam.PHYS_TO_DMAP(pa) + 16), "the store reached the page through the DMAP");
                assertEquals(pa, k.pmap().pmapExtract(us.pmap, va));
                new PmapCheck(k).assertUserPmap(us.pmap, true);

                k.pmap().pmapRemove(us.pmap, va, va + PAGE_SIZE);
                assertEquals(0, faults.size());
                assertEquals(null, userLoad(mk, va + 8), "the TLB entry was invalidated");
                assertEquals(1, faults.size());
                assertEquals(va + 8, faults.get(0).va);
                assertEquals(PageFaultCode.U, faults.get(0).code, "a user read of a not-present page");
                assertEquals(0, k.pmap().pmapExtract(us.pmap, va));
                assertEquals(0, StructVmPage.flags(km, m) & StructVmPage.PG_MAPPED, "last mapping gone");
                new PmapCheck(k).assertUserPmap(us.pmap, true);

                k.pmap().pmapDeactivate(us.pmap);
                us.destroy(new long[] {m});
                new PmapCheck(k).assertKernel();
            });
            mk.run();
            VmPageQueueCheck.assertConsistent(k);
        }
    }

    /**
     * A mapping cached in cpu 1's TLB stops translating once cpu 0 removes it: pmap_remove shoots
     * the page down on every cpu the pmap is active on.
     */
    @Test
    void removalOnOneCpuInvalidatesAnotherCpusTlb() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 2, 7)) {
            trapFaults(mk);
            Kernel k = mk.kernel;
            long chan = k.pmap().kernelPmap();
            UserSpace[] us = new UserSpace[1];
            long[] page = new long[1];
            int[] phase = {0};
            Long[] seen = new Long[2];
            mk.thread("owner", 0, () -> {
                us[0] = new UserSpace(k, 4, new UserSpace.Region(0x7000_0000L, 4, 0));
                page[0] = us[0].newPage(1, 42);
                us[0].enter(page[0], Vm.VM_PROT_READ, false);
                phase[0] = 1;
                k.lwkt().wakeup(chan);
                while (phase[0] != 2) {
                    k.lwkt().tsleep(chan, "wait", 0);
                }
                k.pmap().pmapRemove(us[0].pmap, us[0].va(1), us[0].va(1) + PAGE_SIZE);
                phase[0] = 3;
                k.lwkt().wakeup(chan);
                while (phase[0] != 4) {
                    k.lwkt().tsleep(chan, "wait", 0);
                }
                us[0].destroy(page);
            });
            mk.thread("user", 1, () -> {
                while (phase[0] != 1) {
                    k.lwkt().tsleep(chan, "wait", 0);
                }
                k.pmap().pmapActivate(us[0].pmap);
                seen[0] = userLoad(mk, us[0].va(1));
                phase[0] = 2;
                k.lwkt().wakeup(chan);
                while (phase[0] != 3) {
                    k.lwkt().tsleep(chan, "wait", 0);
                }
                seen[1] = userLoad(mk, us[0].va(1));
                k.pmap().pmapDeactivate(us[0].pmap);
                phase[0] = 4;
                k.lwkt().wakeup(chan);
            });
            mk.run();
            assertEquals(42L, seen[0]);
            assertEquals(null, seen[1], "cpu 1's TLB entry was shot down");
            assertTrue(mk.machine.cpu(1).counters().shootdownsReceived() > 0);
        }
    }

    /**
     * A seeded random sequence of enter / remove / protect over regions that span several PML4,
     * PDP, PD and PT pages, checked after every step: every page-table page has exactly one pv
     * entry and every pv entry names a live page-table page (PmapCheck), and the MMU of the cpu
     * translates exactly the expected mappings (stale TLB entries would show).
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void randomEnterRemoveProtectKeepsPvEntriesExact(long seed) {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 1, seed)) {
            trapFaults(mk);
            Kernel k = mk.kernel;
            mk.thread("pmaprand", 0, () -> {
                UserSpace us = new UserSpace(k, 256,
                        new UserSpace.Region(0x4000_0000L - 32 * PAGE_SIZE, 64, 0),
                        new UserSpace.Region(0x0000_0080_0000_0000L, 64, 64),
                        new UserSpace.Region(0x0000_7f00_0000_0000L, 64, 128),
                        new UserSpace.Region(0x0020_0000L - 16 * PAGE_SIZE, 64, 192));
                long[] pages = new long[256];
                for (int p = 0; p < 256; p++) {
                    pages[p] = us.newPage(p, 0x1000 + p);
                }
                int[] expect = new int[256]; // 0 unmapped, 1 read-only, 2 read-write
                boolean[] wired = new boolean[256];
                PmapCheck check = new PmapCheck(k);
                Pmap pmap = k.pmap();
                pmap.pmapActivate(us.pmap);
                SplittableRandom rnd = new SplittableRandom(seed);
                for (int step = 0; step < 300; step++) {
                    int op = rnd.nextInt(100);
                    if (op < 45) {
                        int p = rnd.nextInt(256);
                        boolean rw = rnd.nextBoolean();
                        boolean w = rnd.nextInt(4) == 0;
                        if (wired[p] && !w) {
                            // pmap_enter never unwires a PTE; wiring changes go through pmap_unwire
                            // (vm_fault_unwire), as in DragonFly.
                            assertEquals(pages[p], pmap.pmapUnwire(us.pmap, us.va(p)));
                        }
                        us.enter(pages[p], rw ? Vm.VM_PROT_READ | Vm.VM_PROT_WRITE : Vm.VM_PROT_READ, w);
                        expect[p] = rw ? 2 : 1;
                        wired[p] = w;
                    } else if (op < 80) {
                        UserSpace.Region r = us.regions[rnd.nextInt(us.regions.length)];
                        long a = r.offset() + rnd.nextLong(r.npages());
                        long b = a + 1 + rnd.nextLong(r.offset() + r.npages() - a);
                        if (op < 65) {
                            pmap.pmapRemove(us.pmap, r.va(a), r.va(a) + (b - a) * PAGE_SIZE);
                            for (long p = a; p < b; p++) {
                                expect[(int) p] = 0;
                                wired[(int) p] = false;
                            }
                        } else {
                            pmap.pmapProtect(us.pmap, r.va(a), r.va(a) + (b - a) * PAGE_SIZE, Vm.VM_PROT_READ);
                            for (long p = a; p < b; p++) {
                                expect[(int) p] = Math.min(expect[(int) p], 1);
                            }
                        }
                    } else {
                        int p = rnd.nextInt(256);
                        checkAccess(mk, us, p, expect[p]);
                    }
                    check.assertUserPmap(us.pmap, true);
                }
                for (int p = 0; p < 256; p++) {
                    checkAccess(mk, us, p, expect[p]);
                }
                check.assertUserPmap(us.pmap, true);
                // Page-table pages stay until pmap_release (pmap_dynamic_delete is off): the
                // PML4, 3 PDPs (PML4 slots 0, 1, 254), 4 PDs and 6 PTs the regions span.
                assertEquals(14, pvCount(k, us.pmap));
                check.assertKernel();
                pmap.pmapDeactivate(us.pmap);
                us.destroy(pages);
            });
            mk.run();
            VmPageQueueCheck.assertConsistent(k);
        }
    }

    private static long pvCount(Kernel k, long pm) {
        long n = 0;
        org.dfemu.kernel.sys.Tree.Rb rb = k.pmap().pvEntryRbTree();
        for (long pv = rb.rbMin(StructPmap.pm_pvroot(pm)); pv != 0; pv = rb.rbNext(pv)) {
            n++;
        }
        return n;
    }

    /** The MMU agrees with the expected state of object page p: absent, read-only or writable. */
    private static void checkAccess(MachineKernel mk, UserSpace us, int p, int expect) {
        long va = us.va(p);
        Long v = userLoad(mk, va);
        if (expect == 0) {
            assertEquals(null, v, "page " + p + " must not be mapped");
            return;
        }
        assertEquals(0x1000L + p, v, "page " + p + " must be mapped");
        boolean wrote = userStore(mk, va + 8, p);
        assertEquals(expect == 2, wrote, "page " + p + (expect == 2 ? " must be writable" : " must be read-only"));
    }

    @Test
    void isModifiedFollowsTheDirtyBitTheMmuSets() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 1, 5)) {
            trapFaults(mk);
            Kernel k = mk.kernel;
            mk.thread("dirty", 0, () -> {
                UserSpace us = new UserSpace(k, 8, new UserSpace.Region(0x1000_0000L, 8, 0));
                long m = us.newPage(2, 9);
                long va = us.va(2);
                Pmap pmap = k.pmap();
                us.enter(m, Vm.VM_PROT_READ | Vm.VM_PROT_WRITE, false);
                pmap.pmapActivate(us.pmap);

                assertFalse(pmap.pmapIsModified(m), "freshly entered");
                assertEquals(9L, userLoad(mk, va));
                assertFalse(pmap.pmapIsModified(m), "a read sets A, not D");
                assertTrue(userStore(mk, va, 10));
                assertTrue(pmap.pmapIsModified(m), "the write set D");

                k.vmPage().vmPageBusyWait(m, true, "test");
                pmap.pmapClearModify(m);
                assertFalse(pmap.pmapIsModified(m), "D cleared");
                k.vmPage().vmPageWakeup(m);
                assertEquals(10L, userLoad(mk, va));
                assertFalse(pmap.pmapIsModified(m), "reads do not dirty");
                assertTrue(userStore(mk, va, 11));
                assertTrue(pmap.pmapIsModified(m), "a write after clear_modify sets D again (the TLB was invalidated)");

                k.vmPage().vmPageBusyWait(m, true, "test");
                StructVmPage.dirty(k.km(), m, 0);
                k.vmPage().vmPageTestDirty(m);
                assertEquals(StructVmPage.VM_PAGE_BITS_ALL, StructVmPage.dirty(k.km(), m), "vm_page_test_dirty");
                // Write-protecting moves D into the page and makes the next write fault.
                k.vmPage2().vmPageProtect(m, Vm.VM_PROT_READ);
                k.vmPage().vmPageWakeup(m);
                assertFalse(userStore(mk, va, 12));
                assertEquals(11L, userLoad(mk, va));
                pmap.pmapDeactivate(us.pmap);
                us.destroy(new long[] {m});
            });
            mk.run();
        }
    }

    @Test
    void unmappedUserAccessFaultsWithoutPageTables() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 1, 3)) {
            List<UserFault> faults = trapFaults(mk);
            Kernel k = mk.kernel;
            mk.thread("empty", 0, () -> {
                UserSpace us = new UserSpace(k, 1, new UserSpace.Region(0x2000_0000L, 1, 0));
                k.pmap().pmapActivate(us.pmap);
                assertEquals(null, userLoad(mk, 0x2000_0000L));
                k.pmap().pmapDeactivate(us.pmap);
                new PmapCheck(k).assertUserPmap(us.pmap, true);
                us.destroy(new long[0]);
            });
            mk.run();
            assertEquals(1, faults.size());
        }
    }

    @Test
    void pmapCheckReportsAStrayPvEntry() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 1, 4)) {
            Kernel k = mk.kernel;
            List<String> errs = new ArrayList<>();
            mk.thread("corrupt", 0, () -> {
                UserSpace us = new UserSpace(k, 4, new UserSpace.Region(0x3000_0000L, 4, 0));
                long m = us.newPage(0, 1);
                us.enter(m, Vm.VM_PROT_READ, false);
                // Knock out the PD entry behind the PT page: its pv entry now names a page the
                // page tables no longer reach.
                long pml4 = k.pmap().pmapKextract(StructPmap.pm_pml4(k.km(), us.pmap));
                long pdp = k.km().ram().load64(pml4) & Pmap.PG_FRAME;
                long pd = k.km().ram().load64(pdp + 8 * Pmap.pmapPdIndex(0x3000_0000L)) & Pmap.PG_FRAME;
                long slot = pd + 8 * Pmap.pmapPtIndex(0x3000_0000L);
                long saved = k.km().ram().load64(slot);
                k.km().ram().store64(slot, 0);
                errs.addAll(new PmapCheck(k).checkUserPmap(us.pmap, true));
                k.km().ram().store64(slot, saved);
                assertTrue(new PmapCheck(k).checkUserPmap(us.pmap, true).isEmpty());
                us.destroy(new long[] {m});
            });
            mk.run();
            assertTrue(errs.stream().anyMatch(e -> e.contains("names no live page-table page")), errs.toString());
            assertTrue(errs.stream().anyMatch(e -> e.contains("wire_count")), errs.toString());
        }
    }

    @Test
    void kernelPageTablesCheckAfterBoot() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 2, 9)) {
            assertTrue(new PmapCheck(mk.kernel).checkKernel().isEmpty());
            for (int c = 0; c < 2; c++) {
                assertEquals(mk.kernel.pmap().kpml4phys(), mk.machine.cpu(c).cr3(), "cpu " + c + " runs on the kernel page tables");
            }
        }
    }

    /**
     * pmap_allocpte() cannot fail: with no free page it sleeps in vm_wait and retries, and the
     * mapping is made once another thread frees memory.
     */
    @Test
    void allocpteWaitsForMemory() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 1, 13)) {
            trapFaults(mk);
            Kernel k = mk.kernel;
            KernelMemory km = k.km();
            long chan = k.pmap().kernelPmap() + 1;
            UserSpace[] us = new UserSpace[1];
            long[] page = new long[1];
            List<Long> hoard = new ArrayList<>();
            boolean[] freed = {false};
            boolean[] enteredAfterFree = {false};
            int[] phase = {0};
            mk.thread("hog", 0, () -> {
                us[0] = new UserSpace(k, 4, new UserSpace.Region(0x5000_0000L, 4, 0));
                page[0] = us[0].newPage(0, 31);
                long vs = k.vmMeter().vmstats();
                while (TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET) > 0) {
                    hoard.add(k.vmPage().vmPageAlloc(0, hoard.size(), org.dfemu.kernel.vm.VmPage.VM_ALLOC_INTERRUPT));
                }
                phase[0] = 1;
                k.lwkt().wakeup(chan);
                // Let the mapper run into the empty free list, then give memory back.
                k.lwkt().tsleep(chan, "hog", 5);
                freed[0] = true;
                for (long m : hoard) {
                    k.vmPage2().vmPageFree(m);
                }
            });
            mk.thread("mapper", 0, () -> {
                while (phase[0] != 1) {
                    k.lwkt().tsleep(chan, "wait", 0);
                }
                us[0].enter(page[0], Vm.VM_PROT_READ, false);
                enteredAfterFree[0] = freed[0];
                k.pmap().pmapActivate(us[0].pmap);
                assertEquals(31L, userLoad(mk, us[0].va(0)));
                k.pmap().pmapDeactivate(us[0].pmap);
                new PmapCheck(k).assertUserPmap(us[0].pmap, true);
                us[0].destroy(page);
            });
            mk.run();
            assertTrue(enteredAfterFree[0], "pmap_enter completed only after memory was freed");
        }
    }
}
