package org.dfemu.kernel.machine;

import static org.dfemu.kernel.machine.Param.NPDPEPG;
import static org.dfemu.kernel.machine.Param.NPML4EPG;
import static org.dfemu.kernel.machine.Param.NPTEPG;
import static org.dfemu.kernel.machine.Param.NPDEPG;
import static org.dfemu.kernel.machine.Param.PAGE_SHIFT;
import static org.dfemu.kernel.machine.Param.PDPSHIFT;
import static org.dfemu.kernel.machine.Param.PDRSHIFT;
import static org.dfemu.kernel.machine.Param.PML4SHIFT;

/**
 * The kernel's virtual address space: DragonFly's sys/platform/pc64/include/vmparam.h together with
 * the page-table index constants of sys/platform/pc64/include/pmap.h it is derived from, at commit
 * 737b020b54 (2021-05-28). Every address is computed from the same symbols as in the C.
 *
 * <pre>
 *   0x0000000000000000 .. VM_MAX_USER_ADDRESS     user space (256 PML4 slots)
 *   UPT_MIN_ADDRESS (PML4 slot 256)               recursive page-table map
 *   DMAP_MIN_ADDRESS (slot 368) .. +64 TiB        direct map of all physical memory
 *   VM_MIN_KERNEL_ADDRESS (slot 496, PDP 1)        kernel_map (KVA), 8 TiB - 1 GiB
 *   KERNBASE (slot 511, PDP 510) = -2 GiB          the kernel image (.text/.data/.bss)
 * </pre>
 *
 * The port reaches kernel structures through the DMAP ({@link #PHYS_TO_DMAP}); see
 * {@link org.dfemu.kernel.KernelMemory}.
 */
public final class Vmparam {
    private Vmparam() {}

    /** pmap.h: PML4 slots of KVM (512 GiB each). */
    public static final int NKPML4E = 16;
    /** pmap.h: PML4 slots of the DMAP. */
    public static final int NDMPML4E = 128;
    /** pmap.h: index of the recursive PML4 mapping. */
    public static final int PML4PML4I = NPML4EPG / 2;
    /** pmap.h: start of KVM. */
    public static final int KPML4I = NPML4EPG - NKPML4E;
    /** pmap.h: start of the DMAP. */
    public static final int DMPML4I = KPML4I - NDMPML4E;
    /** pmap.h: KERNBASE's PDP index, -2 GiB. */
    public static final int KPDPI = NPDPEPG - 2;
    /** pmap.h: page-directory index of the per-cpu area. */
    public static final int MPPTDI = NPDEPG - 8;
    /** pmap.h: PDPs reserved for user space. */
    public static final int NUPDP_USER = NPML4EPG / 2;

    /** vmparam.h: PDs representing KVM. */
    public static final long NKPDPE = (long) NKPML4E * NPDPEPG - 1;

    /** pmap.h KVADDR(): a sign-extended kernel address from its four table indexes. */
    public static long KVADDR(long l4, long l3, long l2, long l1) {
        return (-1L << 47) | (l4 << PML4SHIFT) | (l3 << PDPSHIFT) | (l2 << PDRSHIFT) | (l1 << PAGE_SHIFT);
    }

    /** pmap.h UVADDR(): a user address from its four table indexes. */
    public static long UVADDR(long l4, long l3, long l2, long l1) {
        return (l4 << PML4SHIFT) | (l3 << PDPSHIFT) | (l2 << PDRSHIFT) | (l1 << PAGE_SHIFT);
    }

    public static final long VM_MIN_KERNEL_ADDRESS = KVADDR(KPML4I, NKPML4E * (long) NPDPEPG - NKPDPE, 0, 0);
    public static final long VM_MAX_KERNEL_ADDRESS = KVADDR(KPML4I + NKPML4E - 1, NPDPEPG - 1, MPPTDI, NPTEPG - 1);
    public static final long DMAP_MIN_ADDRESS = KVADDR(DMPML4I, 0, 0, 0);
    public static final long DMAP_MAX_ADDRESS = KVADDR(DMPML4I + NDMPML4E, 0, 0, 0);
    public static final long KERNBASE = KVADDR(KPML4I + NKPML4E - 1, KPDPI, 0, 0);
    public static final long UPT_MIN_ADDRESS = KVADDR(PML4PML4I, 0, 0, 0);
    public static final long UPT_MAX_ADDRESS = KVADDR(PML4PML4I, PML4PML4I, PML4PML4I, PML4PML4I);
    public static final long VM_MIN_USER_ADDRESS = 0;
    public static final long VM_MAX_USER_ADDRESS = UVADDR(NUPDP_USER - 1, NPDPEPG - 1, NPDEPG - 1, 0);

    /**
     * Physical load address of the kernel image: pc64's getmemsize() blocks out
     * [0x200000, first) as kernel memory. The port's kernel data segment starts here.
     */
    public static final long KERNLOAD = 0x200000L;

    /** PHYS_TO_DMAP(). */
    public static long PHYS_TO_DMAP(long pa) { return pa + DMAP_MIN_ADDRESS; }

    /** DMAP_TO_PHYS(). */
    public static long DMAP_TO_PHYS(long va) { return va - DMAP_MIN_ADDRESS; }
}
