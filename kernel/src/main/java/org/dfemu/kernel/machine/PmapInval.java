package org.dfemu.kernel.machine;

import org.dfemu.emulator.cpu.Cpu;
import org.dfemu.emulator.cpu.Cpus;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;

import static org.dfemu.kernel.machine.Param.PAGE_SIZE;

/**
 * pmap_inval.c: DragonFly BSD sys/platform/pc64/x86_64/pmap_inval.c at commit 737b020b54
 * (2021-05-28), PTE changes synchronised with the TLBs of every cpu a pmap is active on.
 *
 * <p>In the C, the originating cpu publishes a command ({@code invinfo[cpu]}), IPIs the target
 * cpus ({@code smp_invlpg}) and all of them rendezvous, one of them storing the new PTE while
 * the others stand still, then each invalidates its TLB. The result the callers rely on: on
 * return the PTE holds the new value and no cpu in {@code pmap->pm_active} (nor the caller's
 * cpu) can use a translation made from the old one.
 *
 * <p>PORT: only one emulated thread runs at a time, so no other cpu can be walking the tables
 * while the PTE changes and the rendezvous collapses into: change the PTE, then invalidate on
 * the target cpus through the emulator's {@link Cpu#shootdownPage}/{@link Cpu#shootdownFlush}
 * (which count and trace each IPI). The single-cpu shortcut of the C is the same call with only
 * the caller's bit set. Targets are limited to the running cpus ({@code smp_active_mask},
 * {@link Pmap#smpActiveMask}): the boot cpu alone until the machine's CPUs are attached. Before
 * pmap_bootstrap no cpu can have cached anything, and only the PTE is changed. {@code pmap->pm_active} is one 64-bit
 * mask (the emulator has at most 64 cpus).
 */
public final class PmapInval {
    /** Past this many pages an invalidation flushes the whole TLB instead of invlpg'ing. */
    public static final int MAX_INVAL_PAGES = 128;

    /**
     * {@code pmap_inval_bulk_t}: a batch of kernel_pmap PTE changes invalidated once at the end.
     * PORT: the C keeps it on the caller's stack and never links it anywhere, so it is a Java
     * object here.
     */
    public static final class Bulk {
        long pmap;
        long vaBeg;
        long vaEnd;
        long count;

        /** An empty batch. */
        public Bulk() {
        }
    }

    private final Kernel kernel;
    private final KernelMemory km;

    public PmapInval(Kernel kernel) {
        this.kernel = kernel;
        this.km = kernel.km();
    }

    /** The cpus to invalidate on: the pmap's active cpus among the running ones, and the caller's. */
    private long targetMask(Cpus cpus, long pmap) {
        long tmpmask = StructPmap.pm_active(km, pmap) & kernel.pmap().smpActiveMask();
        return tmpmask | (1L << mycpu(cpus).id());
    }

    private Cpu mycpu(Cpus cpus) {
        Cpu cpu = kernel.pmap().curcpu();
        km.checkCpu(cpu, "pmap_inval");
        return cpu;
    }

    /**
     * pmap_inval_smp(): replaces {@code npgs} consecutive PTEs from {@code ptep} (if non-zero)
     * with {@code npte}, for the pages from {@code va} ({@code va == -1}: the whole TLB), and
     * invalidates them on every cpu the pmap is active on and the caller's. Returns the last
     * old PTE (0 if {@code ptep} is 0). {@code pmap} 0 means kernel_pmap. No requirements; never
     * blocks.
     */
    public long pmapInvalSmp(long pmap, long va, long npgs, long ptep, long npte) {
        if (pmap == 0) {
            pmap = kernel.pmap().kernelPmap();
        }
        long opte = 0;
        if (ptep != 0) {
            for (long i = 0; i < npgs; i++) {
                opte = km.swap64(ptep + 8 * i, npte);
            }
        }
        Cpus cpus = kernel.pmap().cpus();
        if (cpus == null) {
            return opte;
        }
        long mask = targetMask(cpus, pmap);
        Cpu cpu = mycpu(cpus);
        if (va == -1 || npgs > MAX_INVAL_PAGES) {
            cpu.shootdownFlush(mask, false);
        } else {
            for (long i = 0; i < npgs; i++) {
                cpu.shootdownPage(mask, va + i * PAGE_SIZE);
            }
        }
        return opte;
    }

    /**
     * pmap_inval_smp_cmpset(): replaces the PTE at {@code ptep} with {@code npte} only if it still
     * holds {@code opte}, and then invalidates {@code va} on the pmap's cpus and the caller's.
     * Returns false (nothing changed or invalidated) if the PTE had changed; callers retry. No
     * requirements; never blocks.
     */
    public boolean pmapInvalSmpCmpset(long pmap, long va, long ptep, long opte, long npte) {
        if (pmap == 0) {
            pmap = kernel.pmap().kernelPmap();
        }
        if (!km.cas64(ptep, opte, npte)) {
            return false;
        }
        Cpus cpus = kernel.pmap().cpus();
        if (cpus != null) {
            long mask = targetMask(cpus, pmap);
            if (va == -1) {
                mycpu(cpus).shootdownFlush(mask, false);
            } else {
                mycpu(cpus).shootdownPage(mask, va);
            }
        }
        return true;
    }

    /** pmap_inval_bulk_init(). */
    public void pmapInvalBulkInit(Bulk bulk, long pmap) {
        bulk.pmap = pmap;
        bulk.vaBeg = 0;
        bulk.vaEnd = 0;
        bulk.count = 0;
    }

    /**
     * pmap_inval_bulk(): replaces the PTE at {@code ptep} with {@code npte} and returns the old
     * one. With no bulk nothing is invalidated; for a user pmap the change is synchronous
     * (pmap_inval_smp); for kernel_pmap the range is accumulated and invalidated by
     * {@link #pmapInvalBulkFlush} (kernel callers guarantee nobody uses the addresses meanwhile).
     * Never blocks.
     */
    public long pmapInvalBulk(Bulk bulk, long va, long ptep, long npte) {
        if (bulk == null) {
            return km.swap64(ptep, npte);
        }
        if (bulk.pmap != kernel.pmap().kernelPmap()) {
            return pmapInvalSmp(bulk.pmap, va, 1, ptep, npte);
        }
        long pte = km.swap64(ptep, npte);
        if (va == -1) {
            bulk.vaBeg = va;
        } else if (bulk.vaBeg == bulk.vaEnd) {
            bulk.vaBeg = va;
            bulk.vaEnd = va + PAGE_SIZE;
        } else if (va == bulk.vaEnd) {
            bulk.vaEnd = va + PAGE_SIZE;
        } else {
            bulk.vaBeg = -1;
            bulk.vaEnd = 0;
        }
        ++bulk.count;
        return pte;
    }

    /** pmap_inval_bulk_flush(): invalidates what the bulk accumulated. Never blocks. */
    public void pmapInvalBulkFlush(Bulk bulk) {
        if (bulk == null) {
            return;
        }
        if (bulk.vaBeg != bulk.vaEnd) {
            if (bulk.vaBeg == -1) {
                pmapInvalSmp(bulk.pmap, bulk.vaBeg, 1, 0, 0);
            } else {
                long n = (bulk.vaEnd - bulk.vaBeg) >>> Param.PAGE_SHIFT;
                pmapInvalSmp(bulk.pmap, bulk.vaBeg, n, 0, 0);
            }
        }
        bulk.vaBeg = 0;
        bulk.vaEnd = 0;
        bulk.count = 0;
    }

    /**
     * smp_invltlb() (mp_machdep.c, kept with the other invalidations): flushes the non-global TLB
     * entries of every cpu, e.g. after kmem_slab_alloc() entered pages with VM_PROT_NOSYNC.
     * No requirements; never blocks.
     */
    public void smpInvltlb() {
        Cpus cpus = kernel.pmap().cpus();
        if (cpus != null) {
            mycpu(cpus).shootdownFlush(kernel.pmap().smpActiveMask(), false);
        }
    }
}
