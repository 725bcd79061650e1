package org.dfemu.kernel.harness.check;

import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.machine.Pmap;
import org.dfemu.kernel.machine.StructPmap;
import org.dfemu.kernel.machine.StructPvEntry;
import org.dfemu.kernel.machine.Vmparam;

import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.KernelPanic;
import org.dfemu.kernel.sys.Tree;
import org.dfemu.kernel.vm.StructVmPage;
import org.dfemu.kernel.vm.VmPage;

import java.util.ArrayList;
import java.util.List;

import static org.dfemu.kernel.machine.Param.NPDEPG;
import static org.dfemu.kernel.machine.Param.NPDPEPG;
import static org.dfemu.kernel.machine.Param.NPTEPG;
import static org.dfemu.kernel.machine.Param.PAGE_SIZE;

/**
 * (dfemu only) Invariant checker of the pmap, for tests and simulations ({@link KernelCheck}): walks the page tables in
 * emulated memory and compares them with the pv entries and the vm_page wire counts. Not a port
 * of DragonFly code; it states the rules pmap.c maintains.
 *
 * <p>User pmap ({@link #checkUserPmap}):
 * <ol>
 * <li>Every page-table page (PML4, and each PDP, PD and PT page reachable from the user half of
 *     the PML4) has exactly one pv entry in the pmap's tree, at the pindex of its position
 *     (pmap_pdp_pindex/pd/pt), whose pv_m is that page.</li>
 * <li>Every pv entry names a live page-table page: pv_pmap is the pmap and pv_m is the page
 *     reached at the pv's position (so no pv survives its page and no pv tracks a leaf).</li>
 * <li>Each page-table page is wired once for its own mapping plus once per valid entry in it,
 *     and is flagged PG_MAPPED|PG_WRITEABLE|PG_UNQUEUED; no user entry is a 2 MiB page.</li>
 * <li>pm_stats: resident_count = pv entries + valid leaf PTEs; wired_count = leaf PTEs with PG_W.</li>
 * <li>When quiescent, every pv holds only the pmap's hold (pv_hold == 1) and every placemarker is
 *     free.</li>
 * </ol>
 * Kernel ({@link #checkKernel}): every PD entry below kernel_vm_end is valid; PT pages added by
 * pmap_growkernel (not the boot ones at KPTphys) are wired; every valid leaf PTE in
 * [KvaStart, kernel_vm_end) maps a page that is wired (or is not managed RAM).
 *
 * <p>When the rules hold: every operation that changes a pmap's page tables, pv entries and
 * pm_stats together does so under the pv locks (or the placemarker) it holds, and may sleep
 * holding them (pmap_enter allocating a page-table page). So at a scheduling point rules 1-4 hold
 * for a pmap that is not {@link #busy}; rule 5 holds only at quiescence. The kernel rules hold at
 * any scheduling point (kmem_alloc wires a page before entering it, kmem_free removes the
 * mapping before unwiring).
 *
 * <p>Caller: between scheduling points no thread may be changing the checked page tables (run
 * from a clock event, from the thread that owns the pmap, or after the run). Never blocks; reads only.
 */
public final class PmapCheck {
    private final KernelMemory km;
    private final PhysicalMemory ram;
    private final Pmap pmap;
    private final VmPage vmPage;

    public PmapCheck(Kernel kernel) {
        this.km = kernel.km();
        this.ram = km.ram();
        this.pmap = kernel.pmap();
        this.vmPage = kernel.vmPage();
    }

    /**
     * True if an operation on {@code pm} may be in progress: a pv entry is locked or a
     * placemarker is held (a thread may be asleep inside pmap_enter or pmap_remove with the page
     * tables half changed). Reads only.
     */
    public boolean busy(long pm) {
        for (int i = 0; i < StructPmap.PM_PLACEMARKS; i++) {
            if (km.load64(StructPmap.pm_placemark(pm, i)) != StructPmap.PM_NOPLACEMARK) {
                return true;
            }
        }
        Tree.Rb rb = pmap.pvEntryRbTree();
        for (long pv = rb.rbMin(StructPmap.pm_pvroot(pm)); pv != 0; pv = rb.rbNext(pv)) {
            if ((StructPvEntry.pv_hold(km, pv) & StructPvEntry.PV_HOLD_LOCKED) != 0) {
                return true;
            }
        }
        return false;
    }

    /** Violations of the user-pmap rules for {@code pm} (a pinit'ed user pmap); empty if none. */
    public List<String> checkUserPmap(long pm, boolean quiescent) {
        List<String> errs = new ArrayList<>();
        long pmlpv = StructPmap.pm_pmlpv(km, pm);
        if (pmlpv == 0) {
            errs.add("pmap has no PML4 pv");
            return errs;
        }
        long pml4Phys = pmap.pmapKextract(StructPmap.pm_pml4(km, pm));
        Counts c = new Counts();
        checkTablePage(errs, pm, pml4Phys, Pmap.pmapPml4Pindex(), "PML4", c);

        long vBit = StructPmap.pmap_bits(km, pm, StructPmap.PG_V_IDX);
        long psBit = StructPmap.pmap_bits(km, pm, StructPmap.PG_PS_IDX);
        long wBit = StructPmap.pmap_bits(km, pm, StructPmap.PG_W_IDX);
        for (int i = 0; i < Vmparam.NUPDP_USER; i++) {
            long e4 = ram.load64(pml4Phys + 8L * i);
            if ((e4 & vBit) == 0) {
                continue;
            }
            long pdpPhys = e4 & Pmap.PG_FRAME;
            long uva4 = Vmparam.UVADDR(i, 0, 0, 0);
            checkTablePage(errs, pm, pdpPhys, Pmap.pmapPdpPindex(uva4), "PDP", c);
            for (int j = 0; j < NPDPEPG; j++) {
                long e3 = ram.load64(pdpPhys + 8L * j);
                if ((e3 & vBit) == 0) {
                    continue;
                }
                if ((e3 & psBit) != 0) {
                    errs.add(String.format("PDP entry %d/%d is a large page", i, j));
                    continue;
                }
                long pdPhys = e3 & Pmap.PG_FRAME;
                long uva3 = Vmparam.UVADDR(i, j, 0, 0);
                checkTablePage(errs, pm, pdPhys, Pmap.pmapPdPindex(uva3), "PD", c);
                for (int k = 0; k < NPDEPG; k++) {
                    long e2 = ram.load64(pdPhys + 8L * k);
                    if ((e2 & vBit) == 0) {
                        continue;
                    }
                    if ((e2 & psBit) != 0) {
                        errs.add(String.format("PD entry %d/%d/%d is a large page", i, j, k));
                        continue;
                    }
                    long ptPhys = e2 & Pmap.PG_FRAME;
                    long uva2 = Vmparam.UVADDR(i, j, k, 0);
                    checkTablePage(errs, pm, ptPhys, Pmap.pmapPtPindex(uva2), "PT", c);
                    for (int l = 0; l < NPTEPG; l++) {
                        long pte = ram.load64(ptPhys + 8L * l);
                        if ((pte & vBit) != 0) {
                            c.leaves++;
                            if ((pte & wBit) != 0) {
                                c.wiredLeaves++;
                            }
                        }
                    }
                }
            }
        }

        // Every pv must have been met exactly once by the walk.
        Tree.Rb rb = pmap.pvEntryRbTree();
        long root = StructPmap.pm_pvroot(pm);
        long npv = 0;
        for (long pv = rb.rbMin(root); pv != 0; pv = rb.rbNext(pv)) {
            npv++;
            if (StructPvEntry.pv_pmap(km, pv) != pm) {
                errs.add(String.format("pv 0x%x (pindex %d) has pv_pmap 0x%x", pv, StructPvEntry.pv_pindex(km, pv),
                        StructPvEntry.pv_pmap(km, pv)));
            }
            if (Long.compareUnsigned(StructPvEntry.pv_pindex(km, pv), Pmap.pmapPtPindex(0)) < 0) {
                errs.add(String.format("pv 0x%x tracks a leaf PTE (pindex %d)", pv, StructPvEntry.pv_pindex(km, pv)));
            }
            if (quiescent && StructPvEntry.pv_hold(km, pv) != 1) {
                errs.add(String.format("pv 0x%x (pindex %d) pv_hold 0x%x, expected 1 when quiescent", pv,
                        StructPvEntry.pv_pindex(km, pv), StructPvEntry.pv_hold(km, pv)));
            }
            if (!c.seen.contains(pv)) {
                errs.add(String.format("pv 0x%x (pindex %d, pv_m 0x%x) names no live page-table page", pv,
                        StructPvEntry.pv_pindex(km, pv), StructPvEntry.pv_m(km, pv)));
            }
        }
        if (npv != c.tablePages) {
            errs.add(String.format("%d pv entries for %d page-table pages", npv, c.tablePages));
        }
        long resident = StructPmap.resident_count(km, pm);
        if (resident != npv + c.leaves) {
            errs.add(String.format("resident_count %d, expected %d pv + %d leaves", resident, npv, c.leaves));
        }
        long wired = StructPmap.wired_count(km, pm);
        if (wired != c.wiredLeaves) {
            errs.add(String.format("wired_count %d, expected %d wired leaves", wired, c.wiredLeaves));
        }
        if (quiescent) {
            for (int i = 0; i < StructPmap.PM_PLACEMARKS; i++) {
                long mark = km.load64(StructPmap.pm_placemark(pm, i));
                if (mark != StructPmap.PM_NOPLACEMARK) {
                    errs.add(String.format("placemarker %d held (0x%x) while quiescent", i, mark));
                }
            }
        }
        return errs;
    }

    private static final class Counts {
        long tablePages;
        long leaves;
        long wiredLeaves;
        final java.util.HashSet<Long> seen = new java.util.HashSet<>();
    }

    /** Rules 1 and 3 for the page-table page at {@code pa}, expected at {@code pindex}. */
    private void checkTablePage(List<String> errs, long pm, long pa, long pindex, String level, Counts c) {
        c.tablePages++;
        long pv = pmap.pvEntryRbTree().rbLookup(StructPmap.pm_pvroot(pm), pindex);
        if (pv == 0) {
            errs.add(String.format("%s page 0x%x (pindex %d) has no pv entry", level, pa, pindex));
            return;
        }
        if (!c.seen.add(pv)) {
            errs.add(String.format("%s page 0x%x: pv 0x%x already names another page", level, pa, pv));
        }
        long m = StructPvEntry.pv_m(km, pv);
        if (m == 0 || vmPage.VM_PAGE_TO_PHYS(m) != pa) {
            errs.add(String.format("%s pv 0x%x (pindex %d) names page 0x%x, the table is at 0x%x", level, pv, pindex,
                    m == 0 ? 0 : vmPage.VM_PAGE_TO_PHYS(m), pa));
            return;
        }
        long vBit = StructPmap.pmap_bits(km, pm, StructPmap.PG_V_IDX);
        int children = 0;
        int n = level.equals("PML4") ? Vmparam.NUPDP_USER : NPTEPG;
        for (int i = 0; i < n; i++) {
            if ((ram.load64(pa + 8L * i) & vBit) != 0) {
                children++;
            }
        }
        int wire = StructVmPage.wire_count(km, m);
        if (wire != 1 + children) {
            errs.add(String.format("%s page 0x%x wire_count %d, expected 1 + %d valid entries", level, pa, wire, children));
        }
        int need = StructVmPage.PG_MAPPED | StructVmPage.PG_WRITEABLE | StructVmPage.PG_UNQUEUED;
        if ((StructVmPage.flags(km, m) & need) != need) {
            errs.add(String.format("%s page 0x%x flags 0x%x lack MAPPED|WRITEABLE|UNQUEUED", level, pa,
                    StructVmPage.flags(km, m)));
        }
    }

    /** Violations of the kernel page-table rules; empty if none. */
    public List<String> checkKernel() {
        List<String> errs = new ArrayList<>();
        long kpml4 = pmap.kpml4phys();
        long kptLo = pmap.kptphys();
        long kptHi = kptLo + pmap.nkptphys() * PAGE_SIZE;
        long end = pmap.kernelVmEnd();
        if (Long.compareUnsigned(end, pmap.kvaEnd()) > 0) {
            errs.add(String.format("kernel_vm_end 0x%x beyond KvaEnd 0x%x", end, pmap.kvaEnd()));
        }
        for (long va = pmap.kvaStart(); Long.compareUnsigned(va, end) < 0; va += 1L << Param.PDRSHIFT) {
            long pde = pdeOf(kpml4, va);
            if ((pde & Pmap.X86_PG_V) == 0) {
                errs.add(String.format("no page table for 0x%x below kernel_vm_end 0x%x", va, end));
                continue;
            }
            long ptPa = pde & Pmap.PG_FRAME;
            if (ptPa < kptLo || ptPa >= kptHi) {
                long m = managed(ptPa);
                if (m != 0 && StructVmPage.wire_count(km, m) < 1) {
                    errs.add(String.format("grown kernel PT page 0x%x for 0x%x is not wired", ptPa, va));
                }
            }
            for (int l = 0; l < NPTEPG; l++) {
                long pte = ram.load64(ptPa + 8L * l);
                if ((pte & Pmap.X86_PG_V) == 0) {
                    continue;
                }
                long m = managed(pte & Pmap.PG_FRAME);
                if (m != 0 && StructVmPage.wire_count(km, m) < 1) {
                    errs.add(String.format("kernel va 0x%x maps page 0x%x, which is not wired",
                            va + (long) l * PAGE_SIZE, pte & Pmap.PG_FRAME));
                }
            }
        }
        return errs;
    }

    /** The kernel PD entry for va (0 if a level above is missing), read from RAM. */
    private long pdeOf(long kpml4, long va) {
        long e = ram.load64(kpml4 + 8 * Pmap.pmapPdpIndex(va));
        if ((e & Pmap.X86_PG_V) == 0) {
            return 0;
        }
        e = ram.load64((e & Pmap.PG_FRAME) + 8 * Pmap.pmapPdIndex(va));
        if ((e & Pmap.X86_PG_V) == 0) {
            return 0;
        }
        return ram.load64((e & Pmap.PG_FRAME) + 8 * Pmap.pmapPtIndex(va));
    }

    /** The vm_page of a managed physical page, or 0 for a page outside vm_page_array. */
    private long managed(long pa) {
        long pn = pa >>> Param.PAGE_SHIFT;
        long first = vmPage.firstPage();
        if (pn < first || pn >= first + vmPage.vmPageArraySize()) {
            return 0;
        }
        return vmPage.PHYS_TO_VM_PAGE(pa);
    }

    /** Panics with every violation if the user pmap breaks a rule. */
    public void assertUserPmap(long pm, boolean quiescent) {
        List<String> errs = checkUserPmap(pm, quiescent);
        if (!errs.isEmpty()) {
            throw new KernelPanic("pmap check: " + String.join("; ", errs));
        }
    }

    /** Panics with every violation if the kernel page tables break a rule. */
    public void assertKernel() {
        List<String> errs = checkKernel();
        if (!errs.isEmpty()) {
            throw new KernelPanic("pmap check: " + String.join("; ", errs));
        }
    }
}
