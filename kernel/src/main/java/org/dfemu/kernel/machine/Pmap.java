package org.dfemu.kernel.machine;

import org.dfemu.emulator.cpu.Cpu;
import org.dfemu.emulator.cpu.Cpus;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.emulator.mmu.Pte;
import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.kern.Lwkt;
import org.dfemu.kernel.sys.StructGlobaldata;
import org.dfemu.kernel.sys.Tree;
import org.dfemu.kernel.vm.StructVmMapEntry;
import org.dfemu.kernel.vm.StructVmObject;
import org.dfemu.kernel.vm.StructVmPage;
import org.dfemu.kernel.vm.Vm;
import org.dfemu.kernel.vm.VmPage;
import org.dfemu.kernel.vm.VmPage2;
import org.dfemu.kernel.vm.VmZone;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_LONG;
import static org.dfemu.kernel.Ctypes.C_POINTER;
import static org.dfemu.kernel.machine.Param.NPDEPG;
import static org.dfemu.kernel.machine.Param.NPDPEPG;
import static org.dfemu.kernel.machine.Param.NPML4EPG;
import static org.dfemu.kernel.machine.Param.NPTEPG;
import static org.dfemu.kernel.machine.Param.PAGE_MASK;
import static org.dfemu.kernel.machine.Param.PAGE_SHIFT;
import static org.dfemu.kernel.machine.Param.PAGE_SIZE;
import static org.dfemu.kernel.machine.Param.PDPSHIFT;
import static org.dfemu.kernel.machine.Param.PDRSHIFT;
import static org.dfemu.kernel.machine.Param.PML4SHIFT;
import static org.dfemu.kernel.machine.StructPmap.NUPD_TOTAL;
import static org.dfemu.kernel.machine.StructPmap.NUPDP_TOTAL;
import static org.dfemu.kernel.machine.StructPmap.NUPT_TOTAL;
import static org.dfemu.kernel.machine.StructPmap.NUPTE_TOTAL;
import static org.dfemu.kernel.machine.StructPmap.NUPTE_USER;
import static org.dfemu.kernel.machine.StructPmap.PG_A_IDX;
import static org.dfemu.kernel.machine.StructPmap.PG_G_IDX;
import static org.dfemu.kernel.machine.StructPmap.PG_MANAGED_IDX;
import static org.dfemu.kernel.machine.StructPmap.PG_M_IDX;
import static org.dfemu.kernel.machine.StructPmap.PG_PS_IDX;
import static org.dfemu.kernel.machine.StructPmap.PG_RW_IDX;
import static org.dfemu.kernel.machine.StructPmap.PG_U_IDX;
import static org.dfemu.kernel.machine.StructPmap.PG_V_IDX;
import static org.dfemu.kernel.machine.StructPmap.PG_W_IDX;
import static org.dfemu.kernel.machine.StructPmap.PM_NOPLACEMARK;
import static org.dfemu.kernel.machine.StructPmap.PM_PLACEMARKS;
import static org.dfemu.kernel.machine.StructPmap.PM_PLACEMARK_WAKEUP;
import static org.dfemu.kernel.machine.StructPmap.PMAP_FLAG_SIMPLE;
import static org.dfemu.kernel.machine.StructPvEntry.PV_HOLD_LOCKED;
import static org.dfemu.kernel.machine.StructPvEntry.PV_HOLD_MASK;
import static org.dfemu.kernel.machine.StructPvEntry.PV_HOLD_WAITING;
import static org.dfemu.kernel.vm.StructVmPage.PG_FICTITIOUS;
import static org.dfemu.kernel.vm.StructVmPage.PG_MAPPED;
import static org.dfemu.kernel.vm.StructVmPage.PG_MAPPEDMULTI;
import static org.dfemu.kernel.vm.StructVmPage.PG_REFERENCED;
import static org.dfemu.kernel.vm.StructVmPage.PG_UNQUEUED;
import static org.dfemu.kernel.vm.StructVmPage.PG_WRITEABLE;

/**
 * pmap.c: DragonFly BSD sys/platform/pc64/x86_64/pmap.c at commit 737b020b54 (2021-05-28), the
 * x86-64 physical map: the kernel's page tables (built at boot, grown by pmap_growkernel),
 * unmanaged kernel mappings (pmap_kenter/pmap_qenter), user pmaps with their page-table pages
 * and pv_entries, and the per-page operations (modify/reference bits, protection).
 *
 * <p>Page-table format (sys/cpu/x86_64/include/pmap.h), 4 levels of 512 8-byte entries:
 * <pre>
 *  63 62     52 51                                  12 11  9 8 7 6 5 4 3 2 1 0
 * +--+---------+--------------------------------------+-----+-+-+-+-+-+-+-+-+-+
 * |NX| avail   |            physical frame            |avail|G|PS|M|A|PCD|PWT|U|RW|V|
 * +--+---------+--------------------------------------+-----+-+-+-+-+-+-+-+-+-+
 *   avail bit 9 (0x200) = PG_W (wired), bit 10 (0x400) = PG_MANAGED
 * </pre>
 * Code reaches the bits through {@code pmap->pmap_bits[PG_*_IDX]} as the C does.
 *
 * <p>Kernel address space as the port builds it ({@link #createPagetables}):
 * <pre>
 *   PML4[256]            recursive slot: PTmap/PDmap, so vtopte(va) is a plain kernel address
 *   PML4[368..495]       DMAP: all RAM (at least 4 GiB worth) with 2 MiB pages, PG_G
 *   PML4[496..511]       KVM: KPDPphys pages; KvaStart = VM_MIN_KERNEL_ADDRESS
 *   [KvaStart, KvaEnd)   kernel_map; PT pages preallocated for nkpt_phys * 2 MiB, then
 *                        pmap_growkernel() adds PT (and PD) pages as kernel_vm_end advances
 * </pre>
 *
 * <p>PV entries (pmap.h, since 2019): a user pmap has one pv_entry per page-table page, in its
 * RB tree {@code pm_pvroot}, keyed by one pindex space:
 * <pre>
 *   PTE  [0, NUPTE_TOTAL)                       va >> 12        (placemarkers only)
 *   PT   NUPTE_TOTAL + (va >> 21)
 *   PD   NUPTE_TOTAL + NUPT_TOTAL + (va >> 30)
 *   PDP  NUPTE_TOTAL + NUPT_TOTAL + NUPD_TOTAL + (va >> 39)
 *   PML4 NUPTE_TOTAL + NUPT_TOTAL + NUPD_TOTAL + NUPDP_TOTAL
 * </pre>
 * A page-table page is wired once for its mapping in its parent and once more for each valid
 * entry in it; leaf PTEs have no pv_entry and are locked with placemarkers
 * ({@code pm_placemarks}). Leaf reverse mappings are found by scanning the page's object's
 * {@code backing_list} ({@link #pmapPageBackingScan}). pv_entries come from the PV ENTRY zone
 * (zbootinit in {@link #pmapInit}, ZONE_INTERRUPT in {@link #pmapInit2}).
 *
 * <p>Lock order: pte placemarker, pt pv, pd pv, pdp pv, pml4 pv (bottom-up); the pmap spinlock
 * ({@code pm_spin}) only around tree operations.
 *
 * <p>PORT, overall:
 * <ul>
 * <li>Nothing is linked at KERNBASE: the port's kernel image is its data segment, reached
 *     through the DMAP ({@link DataSegment}). So create_pagetables() builds no KERNBASE page
 *     tables (KPTbase, KPDbase: 2 GiB worth, 1026 pages in the C), kernel_map is the single range
 *     [KvaStart, KvaEnd) with virtual_start = KvaStart, virtual_end = KvaEnd and no virtual2
 *     cutout, and no SYSMAPs (CMAP1, crashdumpmap, ptvmmap, msgbufp) are reserved.</li>
 * <li>KvaEnd is KvaStart + KvaSize with KvaSize from the boot configuration
 *     ({@link org.dfemu.kernel.KernelConfig#kvaSizeFor}) rather than VM_MAX_KERNEL_ADDRESS, and
 *     the preallocated KVA page tables are clamped to it.</li>
 * <li>The CPU is taken to have NX (pmap_nx_enable mode 1) and PAT; meltdown_mitigation is 0 (no
 *     isolated user PML4, no iso_pmap). PAT is configured in the bits only (the emulator does not
 *     model cache types).</li>
 * <li>Shared spinlocks (spin_lock_shared, spin_lock_upgrade_try) are exclusive spinlocks; the
 *     backing_lk lockmgr lock is taken exclusively where the C takes it shared.</li>
 * <li>RB_SCAN over pm_pvroot is a keyed walk (find the least pindex at or after the next key
 *     under pm_spin, call back, continue from the following key), because RB_SCAN's scan record
 *     would need a kernel stack in emulated memory. The order and the tolerance of removals in the
 *     callback are RB_SCAN's; an entry inserted ahead of the walk during a callback is visited.</li>
 * <li>TLB shootdowns go to the emulated CPUs ({@link PmapInval}): the boot cpu from
 *     pmap_bootstrap, the machine's from {@link #attachCpus}. The kernel's own loads and stores
 *     through {@link KernelMemory} are supervisor accesses of the current cpu, through its TLB
 *     and the emulator's page walker (which sets A and D), as on the real machine, so they too
 *     see a PTE change only once it is invalidated.</li>
 * </ul>
 */
public final class Pmap {
    // ---- sys/cpu/x86_64/include/pmap.h: PTE bits --------------------------------------------
    // PORT: the hardware's bit values are the emulator's (Pte, which its page walker reads); these are
    // DragonFly's names for them, so the kernel and the machine cannot disagree on a bit.
    public static final long X86_PG_V = Pte.P;
    public static final long X86_PG_RW = Pte.RW;
    public static final long X86_PG_U = Pte.US;
    public static final long X86_PG_NC_PWT = Pte.PWT;
    public static final long X86_PG_NC_PCD = Pte.PCD;
    public static final long X86_PG_A = Pte.A;
    public static final long X86_PG_M = Pte.D;
    public static final long X86_PG_PS = Pte.PS;
    public static final long X86_PG_PTE_PAT = Pte.PAT;
    public static final long X86_PG_G = Pte.G;
    public static final long X86_PG_AVAIL1 = Pte.AVAIL1;
    public static final long X86_PG_AVAIL2 = Pte.AVAIL2;
    public static final long X86_PG_AVAIL3 = Pte.AVAIL3;
    public static final long X86_PG_PDE_PAT = Pte.PAT_LARGE;
    public static final long X86_PG_NX = Pte.NX;
    public static final long PG_FRAME = Pte.FRAME;
    public static final long PG_PS_FRAME = Pte.FRAME_2M;

    /** pmap_bits_default[]: the regular x86-64 pmap's bits, by PG_*_IDX. */
    private static final long[] PMAP_BITS_DEFAULT = {
            StructPmap.REGULAR_PMAP, X86_PG_V, X86_PG_RW, X86_PG_U, X86_PG_A, X86_PG_M, X86_PG_PS, X86_PG_G,
            X86_PG_AVAIL1, X86_PG_AVAIL2, X86_PG_AVAIL3, X86_PG_NC_PWT | X86_PG_NC_PCD, X86_PG_NX};

    // specialreg.h PAT types
    public static final int PAT_UNCACHEABLE = 0x00;
    public static final int PAT_WRITE_COMBINING = 0x01;
    public static final int PAT_WRITE_THROUGH = 0x04;
    public static final int PAT_WRITE_PROTECTED = 0x05;
    public static final int PAT_WRITE_BACK = 0x06;
    public static final int PAT_UNCACHED = 0x07;

    /** pmap.c: minimum pv_entries carved at pmap_init(). */
    public static final int MINPV = 2048;

    private static final long NBPDR = 1L << PDRSHIFT;
    private static final long NBPDP = 1L << PDPSHIFT;
    private static final long PDRMASK = NBPDR - 1;
    private static final long PDPMASK = NBPDP - 1;
    private static final long PML4_SIGNMASK = 0xffff000000000000L;
    private static final int NPTEPGSHIFT = 9;
    private static final int NPDEPGSHIFT = 9;
    private static final int NPDPEPGSHIFT = 9;
    private static final int NPML4EPGSHIFT = 9;
    /** pmap.c PM_PLACE_BASE: placemarker zones for PTE, PT, PD, PDP. */
    private static final int PM_PLACE_BASE = PM_PLACEMARKS >> 2;

    // ---- globals -------------------------------------------------------------------------------
    private static final StructLayout GLOBALS = MemoryLayout.structLayout(
            C_LONG.withName("avail_start"),
            C_LONG.withName("virtual2_start"),
            C_LONG.withName("virtual2_end"),
            C_LONG.withName("virtual_start"),
            C_LONG.withName("virtual_end"),
            C_LONG.withName("KvaStart"),
            C_LONG.withName("KvaEnd"),
            C_LONG.withName("KvaSize"),
            C_LONG.withName("DMapMaxAddress"),
            C_LONG.withName("kernel_vm_end"),
            C_LONG.withName("dmaplimit"),
            C_LONG.withName("KPTphys"),
            C_LONG.withName("KPDphys"),
            C_LONG.withName("KPDPphys"),
            C_LONG.withName("KPML4phys"),
            C_LONG.withName("DMPDphys"),
            C_LONG.withName("DMPDPphys"),
            C_POINTER.withName("pvzone"),
            C_POINTER.withName("pvinit"),
            C_LONG.withName("vm_pmap_pv_entries"),
            MemoryLayout.sequenceLayout(StructPmap.PROTECTION_CODES_SIZE, C_LONG).withName("protection_codes"),
            MemoryLayout.sequenceLayout(StructPmap.PAT_INDEX_SIZE, C_LONG).withName("pat_pte_index"),
            MemoryLayout.sequenceLayout(StructPmap.PAT_INDEX_SIZE, C_LONG).withName("pat_pde_index"),
            C_LONG.withName("nkpt_phys"),
            C_INT.withName("ndmpdp"),
            C_INT.withName("pmap_initialized"),
            C_INT.withName("pmap_nx_enable"),
            C_INT.withName("pmap_dynamic_delete")).withName("pmap_globals");
    private static final long AVAIL_START = Ctypes.offset(GLOBALS, "avail_start");
    private static final long VIRTUAL2_START = Ctypes.offset(GLOBALS, "virtual2_start");
    private static final long VIRTUAL2_END = Ctypes.offset(GLOBALS, "virtual2_end");
    private static final long VIRTUAL_START = Ctypes.offset(GLOBALS, "virtual_start");
    private static final long VIRTUAL_END = Ctypes.offset(GLOBALS, "virtual_end");
    private static final long KVA_START = Ctypes.offset(GLOBALS, "KvaStart");
    private static final long KVA_END = Ctypes.offset(GLOBALS, "KvaEnd");
    private static final long KVA_SIZE = Ctypes.offset(GLOBALS, "KvaSize");
    private static final long DMAP_MAX_ADDRESS = Ctypes.offset(GLOBALS, "DMapMaxAddress");
    private static final long KERNEL_VM_END = Ctypes.offset(GLOBALS, "kernel_vm_end");
    private static final long DMAPLIMIT = Ctypes.offset(GLOBALS, "dmaplimit");
    private static final long KPT_PHYS = Ctypes.offset(GLOBALS, "KPTphys");
    private static final long KPD_PHYS = Ctypes.offset(GLOBALS, "KPDphys");
    private static final long KPDP_PHYS = Ctypes.offset(GLOBALS, "KPDPphys");
    private static final long KPML4_PHYS = Ctypes.offset(GLOBALS, "KPML4phys");
    private static final long DMPD_PHYS = Ctypes.offset(GLOBALS, "DMPDphys");
    private static final long DMPDP_PHYS = Ctypes.offset(GLOBALS, "DMPDPphys");
    private static final long PVZONE = Ctypes.offset(GLOBALS, "pvzone");
    private static final long PVINIT = Ctypes.offset(GLOBALS, "pvinit");
    private static final long VM_PMAP_PV_ENTRIES = Ctypes.offset(GLOBALS, "vm_pmap_pv_entries");
    private static final long PROTECTION_CODES = Ctypes.offset(GLOBALS, "protection_codes");
    private static final long PAT_PTE_INDEX = Ctypes.offset(GLOBALS, "pat_pte_index");
    private static final long PAT_PDE_INDEX = Ctypes.offset(GLOBALS, "pat_pde_index");
    private static final long NKPT_PHYS = Ctypes.offset(GLOBALS, "nkpt_phys");
    private static final long NDMPDP = Ctypes.offset(GLOBALS, "ndmpdp");
    private static final long PMAP_INITIALIZED = Ctypes.offset(GLOBALS, "pmap_initialized");
    private static final long PMAP_NX_ENABLE = Ctypes.offset(GLOBALS, "pmap_nx_enable");
    private static final long PMAP_DYNAMIC_DELETE = Ctypes.offset(GLOBALS, "pmap_dynamic_delete");

    private static final long RBE_LEFT = Ctypes.offset(Tree.RB_ENTRY, "rbe_left");
    private static final long RBE_RIGHT = Ctypes.offset(Tree.RB_ENTRY, "rbe_right");

    private final Kernel kernel;
    private final KernelMemory km;
    private final Lwkt lwkt;
    private final long globals;
    private final long kernelPmap;
    private final long pvzoneStore;
    private final long pvzoneName;
    private final PmapInval inval;
    /** {@code pv_entry_rb_tree}: RB_GENERATE2(pv_entry_rb_tree, pv_entry, pv_entry, pv_entry_compare, vm_pindex_t, pv_pindex). */
    private final Tree.Rb pvEntryRbTree;
    // The CPUs the kernel runs on (configuration, not kernel state): the boot cpus from
    // pmap_bootstrap, the machine's once attached; null before pmap_bootstrap (no CPU can then
    // have cached a translation).
    private volatile Cpus cpus;
    private boolean cpusAttached;

    /** (boot only) Lays out pmap.c's globals: kernel_pmap, pvzone_store and the scalars. */
    public Pmap(Kernel kernel, DataSegment data) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.lwkt = kernel.lwkt();
        this.globals = data.alloc(GLOBALS);
        this.kernelPmap = data.alloc("kernel_pmap", StructPmap.layout());
        this.pvzoneStore = data.alloc(org.dfemu.kernel.vm.StructVmZone.layout());
        this.pvzoneName = data.allocString("PV ENTRY");
        this.inval = new PmapInval(kernel);
        this.pvEntryRbTree = new Tree.Rb(km, lwkt, StructPvEntry.pv_entry$OFFSET,
                this::pvEntryCompare, pv -> StructPvEntry.pv_pindex(km, pv));
        // Initialised data: vm_offset_t kernel_vm_end = VM_MIN_KERNEL_ADDRESS; pmap_nx_enable = -1.
        km.store64(globals + KERNEL_VM_END, Vmparam.VM_MIN_KERNEL_ADDRESS);
        km.store32(globals + PMAP_NX_ENABLE, -1);
    }

    // ---- accessors ------------------------------------------------------------------------------

    /** {@code &kernel_pmap}. */
    public long kernelPmap() { return kernelPmap; }

    /** {@code KvaStart}. */
    public long kvaStart() { return km.load64(globals + KVA_START); }

    /** {@code KvaEnd} (exclusive). */
    public long kvaEnd() { return km.load64(globals + KVA_END); }

    /** {@code KvaSize}. */
    public long kvaSize() { return km.load64(globals + KVA_SIZE); }

    /** {@code virtual_start}. */
    public long virtualStart() { return km.load64(globals + VIRTUAL_START); }

    /** {@code virtual_end}. */
    public long virtualEnd() { return km.load64(globals + VIRTUAL_END); }

    /** {@code virtual2_start} (0: no cutout). */
    public long virtual2Start() { return km.load64(globals + VIRTUAL2_START); }

    /** {@code virtual2_end}. */
    public long virtual2End() { return km.load64(globals + VIRTUAL2_END); }

    /** {@code kernel_vm_end}: KVA below it has kernel page tables. */
    public long kernelVmEnd() { return km.load64(globals + KERNEL_VM_END); }

    /** {@code KPML4phys}: the kernel's CR3. */
    public long kpml4phys() { return km.load64(globals + KPML4_PHYS); }

    /** {@code pvzone}. */
    public long pvzone() { return km.load64(globals + PVZONE); }

    /** {@code pmap_initialized}. */
    public boolean pmapInitialized() { return km.load32(globals + PMAP_INITIALIZED) != 0; }

    /** The CPUs the kernel runs on: the boot cpus after pmap_bootstrap, the machine's once attached; null before. */
    public Cpus cpus() { return cpus; }

    /**
     * {@code smp_active_mask} (mp_machdep.c): the cpus running kernel code, which invalidations
     * target; the boot cpu alone until the machine's CPUs are attached (the APs start then).
     */
    public long smpActiveMask() { return cpusAttached ? cpus.allMask() : 1L; }

    /**
     * {@code mycpu} as a CPU of the machine: the running thread's once the machine's CPUs are
     * attached; before, the boot cpu, which then runs all kernel code (boot context, and the
     * threads of a scheduler attached without the machine's CPUs, as in unit tests). Null before
     * pmap_bootstrap. Never blocks.
     */
    public Cpu curcpu() {
        return cpus == null ? null : cpuFor(lwkt.mycpuid());
    }

    /**
     * The machine CPU that runs kernel code on cpu {@code cpuid}: that CPU once the machine's
     * CPUs are attached, before it the boot cpu (see {@link #curcpu}). Null before
     * pmap_bootstrap. Any context; never blocks.
     */
    public Cpu cpuFor(int cpuid) {
        Cpus c = cpus;
        if (c == null) {
            return null;
        }
        return cpusAttached ? c.cpu(cpuid) : c.cpu(0);
    }

    /** pmap_inval.c (pmap_inval_smp and friends, smp_invltlb). */
    public PmapInval pmapInval() { return inval; }

    /** {@code pmap_pv_entries} limit computed by pmap_init2() (vm.pmap_pv_entries). */
    public long vmPmapPvEntries() { return km.load64(globals + VM_PMAP_PV_ENTRIES); }

    private VmPage vmPage() { return kernel.vmPage(); }

    private VmPage2 vmPage2() { return kernel.vmPage2(); }

    private VmZone vmZone() { return kernel.vmZone(); }

    private long bits(long pmap, int idx) { return StructPmap.pmap_bits(km, pmap, idx); }

    private static boolean ult(long a, long b) { return Long.compareUnsigned(a, b) < 0; }

    private static boolean uge(long a, long b) { return Long.compareUnsigned(a, b) >= 0; }

    // ---- RB tree and pindex helpers ---------------------------------------------------------

    /** pv_entry_compare(): by pv_pindex (unsigned). */
    public int pvEntryCompare(long pv1, long pv2) {
        return Long.compareUnsigned(StructPvEntry.pv_pindex(km, pv1), StructPvEntry.pv_pindex(km, pv2));
    }

    /** The pv_entry RB tree type (for the invariant checker). */
    public Tree.Rb pvEntryRbTree() { return pvEntryRbTree; }

    /**
     * pmap_removed_pte(): a managed PTE of {@code m} was removed; clear PG_MAPPED and PG_WRITEABLE
     * unless the page has been mapped more than once (PG_MAPPEDMULTI), atomically against
     * pmap_enter(). Never blocks.
     */
    private void pmapRemovedPte(long m, long pte) {
        long fa = m + StructVmPage.flags$OFFSET;
        int flags = km.load32(fa);
        while ((flags & PG_MAPPEDMULTI) == 0) {
            int nflags = flags & ~(PG_MAPPED | PG_WRITEABLE);
            if (km.cas32(fa, flags, nflags)) {
                break;
            }
            flags = km.load32(fa);
        }
    }

    /** pmap_pte_pindex(): pindex of a terminal PTE. */
    public static long pmapPtePindex(long va) {
        return (va >>> PAGE_SHIFT) & (NUPTE_TOTAL - 1);
    }

    /** pmap_pt_pindex(): pindex of the page table (PT page) covering va. */
    public static long pmapPtPindex(long va) {
        return NUPTE_TOTAL + ((va >>> PDRSHIFT) & (NUPT_TOTAL - 1));
    }

    /** pmap_pd_pindex(): pindex of the page directory covering va. */
    public static long pmapPdPindex(long va) {
        return NUPTE_TOTAL + NUPT_TOTAL + ((va >>> PDPSHIFT) & (NUPD_TOTAL - 1));
    }

    /** pmap_pdp_pindex(): pindex of the PDP page covering va. */
    public static long pmapPdpPindex(long va) {
        return NUPTE_TOTAL + NUPT_TOTAL + NUPD_TOTAL + ((va >>> PML4SHIFT) & (NUPDP_TOTAL - 1));
    }

    /** pmap_pml4_pindex(): pindex of the PML4 page. */
    public static long pmapPml4Pindex() {
        return NUPTE_TOTAL + NUPT_TOTAL + NUPD_TOTAL + NUPDP_TOTAL;
    }

    /** pmap_pte_index(): index of va's PTE in its PT. */
    public static long pmapPteIndex(long va) { return (va >>> PAGE_SHIFT) & ((1L << NPTEPGSHIFT) - 1); }

    /** pmap_pt_index(): index of va's PT in its PD. */
    public static long pmapPtIndex(long va) { return (va >>> PDRSHIFT) & ((1L << NPDEPGSHIFT) - 1); }

    /** pmap_pd_index(): index of va's PD in its PDP. */
    public static long pmapPdIndex(long va) { return (va >>> PDPSHIFT) & ((1L << NPDPEPGSHIFT) - 1); }

    /** pmap_pdp_index(): index of va's PDP in the PML4. */
    public static long pmapPdpIndex(long va) { return (va >>> PML4SHIFT) & ((1L << NPML4EPGSHIFT) - 1); }

    /** pv_cache(): remember a PT-level pv as the pmap's lookup hint. pm_spin or the pv lock held. */
    private void pvCache(long pmap, long pv, long pindex) {
        if (ult(pindex, pmapPtPindex(0))) {
            return;
        }
        if (ult(pindex, pmapPdPindex(0))) {
            StructPmap.pm_pvhint_pt(km, pmap, pv);
        }
    }

    /** pv_entry_lookup(): the pv for pindex, or 0. pm_spin held. */
    private long pvEntryLookup(long pmap, long pindex) {
        if (ult(pindex, pmapPtPindex(0))) {
            return 0;
        }
        long pv = ult(pindex, pmapPdPindex(0)) ? StructPmap.pm_pvhint_pt(km, pmap) : 0;
        if (pv == 0 || StructPvEntry.pv_pmap(km, pv) != pmap || StructPvEntry.pv_pindex(km, pv) != pindex) {
            // PORT: RB_LOOKUP_REL from the hint is RB_LOOKUP here (same result).
            pv = pvEntryRbTree.rbLookup(StructPmap.pm_pvroot(pmap), pindex);
            if (pv != 0) {
                pvCache(pmap, pv, pindex);
            }
        }
        return pv;
    }

    /**
     * The pv with the least pindex at or after {@code key} in the pmap's tree, or 0 (the keyed
     * walk that replaces RB_SCAN, see the class comment). pm_spin held.
     */
    private long pvEntryNfind(long pmap, long key) {
        long tmp = km.load64(StructPmap.pm_pvroot(pmap) + Tree.rbh_root$OFFSET);
        long res = 0;
        while (tmp != 0) {
            if (uge(StructPvEntry.pv_pindex(km, tmp), key)) {
                res = tmp;
                tmp = km.load64(tmp + StructPvEntry.pv_entry$OFFSET + RBE_LEFT);
            } else {
                tmp = km.load64(tmp + StructPvEntry.pv_entry$OFFSET + RBE_RIGHT);
            }
        }
        return res;
    }

    /**
     * pmap_placemarker_hash(): the placemarker slot for pindex, in one of four zones (PTE, PT,
     * PD, PDP/PML4) so lock ordering holds across levels.
     */
    private long pmapPlacemarkerHash(long pmap, long pindex) {
        int hi;
        if (ult(pindex, pmapPtPindex(0))) {
            hi = 0;
        } else if (ult(pindex, pmapPdPindex(0))) {
            hi = PM_PLACE_BASE;
        } else if (ult(pindex, pmapPdpPindex(0))) {
            hi = PM_PLACE_BASE << 1;
        } else {
            hi = PM_PLACE_BASE | (PM_PLACE_BASE << 1);
        }
        hi += (int) (pindex & (PM_PLACE_BASE - 1));
        return StructPmap.pm_placemark(pmap, hi);
    }

    /** pv_pte_lookup(): address (DMAP) of entry {@code pindex} in the page-table page of pv. */
    private long pvPteLookup(long pv, long pindex) {
        long pte = Vmparam.PHYS_TO_DMAP(vmPage().VM_PAGE_TO_PHYS(StructPvEntry.pv_m(km, pv)));
        return pte + 8 * pindex;
    }

    /** pmap_pdp(): address of va's PML4 entry (which points at a PDP page). */
    private long pmapPdp(long pmap, long va) {
        return StructPmap.pm_pml4(km, pmap) + 8 * pmapPdpIndex(va);
    }

    /** pmap_pdp_to_pd(): address of va's PDP entry in the PDP page the PML4 entry points at. */
    private long pmapPdpToPd(long pdpPte, long va) {
        return Vmparam.PHYS_TO_DMAP(pdpPte & PG_FRAME) + 8 * pmapPdIndex(va);
    }

    /** pmap_pd(): address of va's PDP entry, or 0 if there is no PDP page. */
    private long pmapPd(long pmap, long va) {
        long pdp = pmapPdp(pmap, va);
        long e = km.load64(pdp);
        if ((e & bits(pmap, PG_V_IDX)) == 0) {
            return 0;
        }
        return pmapPdpToPd(e, va);
    }

    /** pmap_pd_to_pt(): address of va's PD entry in the PD page the PDP entry points at. */
    private long pmapPdToPt(long pdPte, long va) {
        return Vmparam.PHYS_TO_DMAP(pdPte & PG_FRAME) + 8 * pmapPtIndex(va);
    }

    /**
     * pmap_pt(): address of va's PD entry (which points at the PT page), or 0 if there is no PD
     * page. PORT: simple pmaps (PMAP_FLAG_SIMPLE, embedded in objects) are not ported.
     */
    private long pmapPt(long pmap, long va) {
        long pd = pmapPd(pmap, va);
        if (pd == 0 || (km.load64(pd) & bits(pmap, PG_V_IDX)) == 0) {
            return 0;
        }
        return pmapPdToPt(km.load64(pd), va);
    }

    /** pmap_pt_to_pte(): address of va's PTE in the PT page the PD entry points at. */
    private long pmapPtToPte(long ptPte, long va) {
        return Vmparam.PHYS_TO_DMAP(ptPte & PG_FRAME) + 8 * pmapPteIndex(va);
    }

    /**
     * pmap_pte(): address of va's PTE (or of its PD entry if that maps a 2 MiB page), or 0 if no
     * page table covers va. No requirements.
     */
    public long pmapPte(long pmap, long va) {
        long pt = pmapPt(pmap, va);
        if (pt == 0) {
            return 0;
        }
        long e = km.load64(pt);
        if ((e & bits(pmap, PG_V_IDX)) == 0) {
            return 0;
        }
        if ((e & bits(pmap, PG_PS_IDX)) != 0) {
            return pt;
        }
        return pmapPtToPte(e, va);
    }

    /** vtopt(): address of va's PD entry through the recursive map (KVM only). */
    private static long vtopt(long va) {
        long mask = (1L << (NPDEPGSHIFT + NPDPEPGSHIFT + NPML4EPGSHIFT)) - 1;
        return addrPDmap() + 8 * ((va >>> PDRSHIFT) & mask);
    }

    /** vtopte(): address of va's PTE through the recursive map (KVM only). */
    private static long vtopte(long va) {
        long mask = (1L << (NPTEPGSHIFT + NPDEPGSHIFT + NPDPEPGSHIFT + NPML4EPGSHIFT)) - 1;
        return addrPTmap() + 8 * ((va >>> PAGE_SHIFT) & mask);
    }

    /** addr_PTmap: the recursive map's view of every PTE. */
    private static long addrPTmap() { return Vmparam.KVADDR(Vmparam.PML4PML4I, 0, 0, 0); }

    /** addr_PDmap: the recursive map's view of every PD entry. */
    private static long addrPDmap() {
        return Vmparam.KVADDR(Vmparam.PML4PML4I, Vmparam.PML4PML4I, 0, 0);
    }

    // ---- boot ------------------------------------------------------------------------------------

    /**
     * create_pagetables(): builds the kernel's page tables in pages taken with allocpages():
     * the KVA PT pages (nkpt_phys, enough for vm_page_array-sized and pv-sized early allocations
     * plus 128 spare, clamped to KvaSize), the PML4, the 16 kernel PDP pages, the KVA PD pages,
     * and the DMAP (128 PDP pages, ndmpdp PD pages of 2 MiB entries covering at least 4 GiB),
     * plus the recursive PML4 entry. (boot only)
     */
    private void createPagetables(Machdep md, long maxmem) {
        long ndmpdp = (Param.ptoa(maxmem) + NBPDP - 1) >>> PDPSHIFT;
        if (ndmpdp < 4) {
            ndmpdp = 4;
        }
        Kassert.kkassert(ndmpdp <= (long) Vmparam.NDMPML4E * NPML4EPG, "ndmpdp <= NDMPML4E * NPML4EPG",
                "create_pagetables");
        km.store32(globals + NDMPDP, (int) ndmpdp);
        km.store64(globals + DMAP_MAX_ADDRESS, Vmparam.DMAP_MIN_ADDRESS + ((ndmpdp * NPDEPG) << PDRSHIFT));

        long nkptPhys = ceilDiv(maxmem * StructVmPage.SIZEOF, NBPDR);
        nkptPhys += ceilDiv(maxmem * StructPvEntry.SIZEOF, NBPDR);
        nkptPhys += 128;
        // PORT: no page tables for KVA beyond KvaEnd (see the class comment).
        nkptPhys = Math.min(nkptPhys, kvaSize() / NBPDR);
        long nkpdPhys = (nkptPhys + NPDPEPG - 1) / NPDPEPG;

        long kptPhys = md.allocpages(nkptPhys);
        long kpml4Phys = md.allocpages(1);
        long kpdpPhys = md.allocpages(Vmparam.NKPML4E);
        long kpdPhys = md.allocpages(nkpdPhys);
        long dmpdpPhys = md.allocpages(Vmparam.NDMPML4E);
        long dmpdPhys = md.allocpages(ndmpdp);
        km.store64(globals + KPT_PHYS, kptPhys);
        km.store64(globals + NKPT_PHYS, nkptPhys);
        km.store64(globals + KPML4_PHYS, kpml4Phys);
        km.store64(globals + KPDP_PHYS, kpdpPhys);
        km.store64(globals + KPD_PHYS, kpdPhys);
        km.store64(globals + DMPDP_PHYS, dmpdpPhys);
        km.store64(globals + DMPD_PHYS, dmpdPhys);
        km.store64(globals + DMAPLIMIT, ndmpdp << PDPSHIFT);

        PhysicalMemory ram = km.ram();
        long[] b = PMAP_BITS_DEFAULT;
        // The initial KVA page tables, at the beginning of kernel virtual memory.
        for (long i = 0; i < nkptPhys; i++) {
            ram.store64(kpdPhys + 8 * i, (kptPhys + (i << PAGE_SHIFT)) | b[PG_RW_IDX] | b[PG_V_IDX]);
        }
        // PD pages into the PDP pages for the primary KVA space.
        long firstPdp = (long) Vmparam.NKPML4E * NPDPEPG - Vmparam.NKPDPE;
        for (long i = 0; i < nkpdPhys; i++) {
            ram.store64(kpdpPhys + 8 * (firstPdp + i),
                    (kpdPhys + (i << PAGE_SHIFT)) | b[PG_RW_IDX] | b[PG_V_IDX] | b[PG_A_IDX]);
        }
        // The direct map with 2 MiB pages; M and A preset because demotion expects it.
        for (long i = 0; i < (long) NPDEPG * ndmpdp; i++) {
            ram.store64(dmpdPhys + 8 * i, (i << PDRSHIFT) | b[PG_RW_IDX] | b[PG_V_IDX] | b[PG_PS_IDX]
                    | b[PG_G_IDX] | b[PG_M_IDX] | b[PG_A_IDX]);
        }
        for (long i = 0; i < ndmpdp; i++) {
            ram.store64(dmpdpPhys + 8 * i, (dmpdPhys + (i << PAGE_SHIFT)) | b[PG_RW_IDX] | b[PG_V_IDX] | b[PG_A_IDX]);
        }
        // The PML4 maps itself, giving PTmap.
        ram.store64(kpml4Phys + 8L * Vmparam.PML4PML4I, kpml4Phys | b[PG_RW_IDX] | b[PG_V_IDX] | b[PG_A_IDX]);
        for (int j = 0; j < Vmparam.NDMPML4E; ++j) {
            ram.store64(kpml4Phys + 8L * (Vmparam.DMPML4I + j),
                    (dmpdpPhys + ((long) j << PAGE_SHIFT)) | b[PG_RW_IDX] | b[PG_V_IDX] | b[PG_A_IDX]);
        }
        for (int j = 0; j < Vmparam.NKPML4E; ++j) {
            ram.store64(kpml4Phys + 8L * (Vmparam.KPML4I + j),
                    (kpdpPhys + ((long) j << PAGE_SHIFT)) | b[PG_RW_IDX] | b[PG_V_IDX] | b[PG_A_IDX]);
        }
    }

    private static long ceilDiv(long a, long b) { return (a + b - 1) / b; }

    /**
     * pmap_bootstrap() (boot only), called by getmemsize() with Maxmem known and before
     * phys_avail is built: sets KvaStart/KvaEnd/KvaSize, builds the kernel page tables
     * ({@link #createPagetables}) from the pages after the kernel image, fills the protection
     * codes and PAT tables, initialises kernel_pmap, and loads CR3 on the boot cpu (cpu 0 of
     * {@link Kernel#bootCpus}), whose TLB the kernel's own accesses go through from then on.
     */
    public void pmapBootstrap(Machdep md, long maxmem) {
        long kvaSize = kernel.config().kvaSizeFor(Param.ptoa(maxmem));
        long maxKva = Vmparam.VM_MAX_KERNEL_ADDRESS - Vmparam.VM_MIN_KERNEL_ADDRESS;
        if (Long.compareUnsigned(kvaSize, maxKva) > 0) {
            kvaSize = maxKva & -NBPDR;
        }
        long kvaStart = Vmparam.VM_MIN_KERNEL_ADDRESS;
        km.store64(globals + KVA_START, kvaStart);
        km.store64(globals + KVA_END, kvaStart + kvaSize);
        km.store64(globals + KVA_SIZE, kvaSize);
        km.store64(globals + AVAIL_START, md.firstaddr());

        createPagetables(md, maxmem);

        // PORT: no virtual2 cutout and no KERNBASE image (class comment).
        km.store64(globals + VIRTUAL2_START, 0);
        km.store64(globals + VIRTUAL2_END, 0);
        km.store64(globals + VIRTUAL_START, kvaStart);
        km.store64(globals + VIRTUAL_END, kvaStart + kvaSize);

        x86_64ProtectionInit();

        // kernel_pmap is statically allocated.
        long kpml4 = kpml4phys();
        StructPmap.pm_pml4(km, kernelPmap, Vmparam.PHYS_TO_DMAP(kpml4));
        StructPmap.pm_count(km, kernelPmap, 1);
        StructPmap.pm_active(km, kernelPmap, -1L);
        pvEntryRbTree.rbInit(StructPmap.pm_pvroot(kernelPmap));
        lwkt.spinInit(kernelPmap + StructPmap.pm_spin$OFFSET);
        for (int i = 0; i < PM_PLACEMARKS; ++i) {
            km.store64(StructPmap.pm_placemark(kernelPmap, i), PM_NOPLACEMARK);
        }

        pmapInitPat();
        pmapPinitDefaults(kernelPmap);

        // The boot cpu runs on the kernel page tables from here on: its TLB, filled by the
        // emulator's page walker, translates every kernel access (KernelMemory).
        cpus = kernel.bootCpus();
        Cpu bsp = cpus.cpu(0);
        bsp.loadCr3(kpml4);
        km.setCpu(bsp);
    }

    /**
     * pmap_init_pat(): the PTE/PDE bit patterns for each PAT memory type, for a CPU with PAT
     * (WRITE_PROTECTED and WRITE_COMBINING on PAT entries 5 and 6). (boot only)
     */
    private void pmapInitPat() {
        long[] pte = new long[StructPmap.PAT_INDEX_SIZE];
        pte[PAT_WRITE_BACK] = 0;
        pte[PAT_WRITE_THROUGH] = X86_PG_NC_PWT;
        pte[PAT_UNCACHED] = X86_PG_NC_PCD;
        pte[PAT_UNCACHEABLE] = X86_PG_NC_PCD | X86_PG_NC_PWT;
        pte[PAT_WRITE_PROTECTED] = X86_PG_PTE_PAT | X86_PG_NC_PWT;
        pte[PAT_WRITE_COMBINING] = X86_PG_PTE_PAT | X86_PG_NC_PCD;
        for (int i = 0; i < StructPmap.PAT_INDEX_SIZE; ++i) {
            long p = pte[i];
            km.store64(globals + PAT_PTE_INDEX + 8L * i, p);
            if ((p & X86_PG_PTE_PAT) != 0) {
                p &= ~X86_PG_PTE_PAT;
                p |= X86_PG_PDE_PAT;
            }
            km.store64(globals + PAT_PDE_INDEX + 8L * i, p);
        }
    }

    /**
     * Attaches the machine's CPUs: every CPU other than the boot cpu loads the kernel's CR3
     * (KPML4phys), as each AP does in the C when it starts running on the kernel page tables, and
     * from then on PTE changes are invalidated in their TLBs. A kernel booted on a boot cpu of
     * its own ({@link Kernel#bootCpus} is not {@code machineCpus}) moves to the machine's: all of
     * them load CR3, and cpu 0 carries the boot context's accesses on. Call once, after boot,
     * before any emulated CPU access. (boot only) Panics if called twice, if the machine has more
     * CPUs than the kernel was booted for, or if the CPUs lack NX, which the port's protection
     * codes use.
     *
     * <p>PORT: the C's APs load CR3 in their own startup code; the port's boot runs on the host
     * thread, so this loads their CR3 on their behalf.
     */
    public void attachCpus(Cpus machineCpus) {
        Kassert.kkassert(!cpusAttached, "!cpus_attached", "pmap_attach_cpus");
        Kassert.kkassert(cpus != null, "pmap_bootstrap done", "pmap_attach_cpus");
        Kassert.kkassert(machineCpus.count() <= kernel.config().ncpus(), "machine cpus <= ncpus", "pmap_attach_cpus");
        long cr3 = kpml4phys();
        boolean bootedHere = machineCpus == cpus;
        for (int i = 0; i < machineCpus.count(); i++) {
            Cpu cpu = machineCpus.cpu(i);
            if (!cpu.settings().nxe()) {
                throw Kassert.panic("pmap: cpu%d lacks NX (EFER.NXE), which pmap_nx_enable=1 requires", i);
            }
            if (i != 0 || !bootedHere) {
                cpu.loadCr3(cr3);
            }
        }
        cpus = machineCpus;
        cpusAttached = true;
        km.setCpu(machineCpus.cpu(0));
    }

    /**
     * pmap_init() (boot only), after vm_page_startup() and kmem_init(): carves the initial pv
     * entries (max(vm_page_array_size, MINPV)) with kmem_alloc and seeds the PV ENTRY zone with
     * them through zbootinit(); sets pmap_initialized. May block only in kmem_alloc (never at
     * boot).
     */
    public void pmapInit() {
        long n = vmPage().vmPageArraySize();
        long m = vmPage().vmPageArray();
        for (long i = 0; i < n; i++) {
            km.store64(m + i * StructVmPage.SIZEOF + StructVmPage.md$OFFSET, 0);
        }
        long initialPvs = Math.max(n, MINPV);
        long pvinit = kernel.vmKern().kmemAlloc(kernel.vmMap().kernelMap(), initialPvs * StructPvEntry.SIZEOF,
                StructVmMapEntry.VM_SUBSYS_PVENTRY);
        km.store64(globals + PVINIT, pvinit);
        km.store64(globals + PVZONE, pvzoneStore);
        vmZone().zbootinit(pvzoneStore, pvzoneName, StructPvEntry.SIZEOF, pvinit, initialPvs);
        km.store32(globals + PMAP_INITIALIZED, 1);
    }

    /**
     * pmap_init2() (boot only): sizes the PV ENTRY zone to maxproc * 32 + vm_page_array_size / 16
     * entries (at least MINPV) and makes it a ZONE_INTERRUPT zone (its KVA reserved now).
     * PORT: the meltdown isolation template (pmap_init2_iso_pmap) is not built (no mitigation).
     */
    public void pmapInit2() {
        long entryMax = (long) kernel.subrParam().maxproc() * 32 + vmPage().vmPageArraySize() / 16;
        km.store64(globals + VM_PMAP_PV_ENTRIES, entryMax);
        if (entryMax <= MINPV) {
            entryMax = MINPV;
        }
        vmZone().zinitna(pvzone(), 0, 0, entryMax, org.dfemu.kernel.vm.StructVmZone.ZONE_INTERRUPT);
        km.store32(globals + PMAP_DYNAMIC_DELETE, 0);
    }

    // ---- extraction --------------------------------------------------------------------------

    /**
     * pmap_extract(): the physical address va maps to in pmap, or 0. The page must be wired for
     * the answer to stay true. PORT: the handle variant (pmap_extract_done) is not ported.
     * May block on the PT pv lock (user pmaps).
     */
    public long pmapExtract(long pmap, long va) {
        long rtval = 0;
        if (uge(va, Vmparam.VM_MAX_USER_ADDRESS)) {
            long pt = pmapPt(pmap, va);
            if (pt != 0 && (km.load64(pt) & bits(pmap, PG_V_IDX)) != 0) {
                long e = km.load64(pt);
                if ((e & bits(pmap, PG_PS_IDX)) != 0) {
                    rtval = (e & PG_PS_FRAME) | (va & PDRMASK);
                } else {
                    long ptep = pmapPtToPte(e, va);
                    if ((km.load64(ptep) & bits(pmap, PG_V_IDX)) != 0) {
                        rtval = (km.load64(ptep) & PG_FRAME) | (va & PAGE_MASK);
                    }
                }
            }
        } else {
            long ptPv = pvGet(pmap, pmapPtPindex(va), null);
            if (ptPv != 0) {
                long ptep = pvPteLookup(ptPv, pmapPteIndex(va));
                long e = km.load64(ptep);
                if ((e & bits(pmap, PG_V_IDX)) != 0) {
                    rtval = (e & PG_FRAME) | (va & PAGE_MASK);
                }
                pvPut(ptPv);
            }
        }
        return rtval;
    }

    /**
     * pmap_kextract(): the physical address of a kernel virtual address (DMAP arithmetically,
     * else through the recursive map). The address must be mapped (else kernel page fault).
     * Never blocks.
     */
    public long pmapKextract(long va) {
        if (uge(va, Vmparam.DMAP_MIN_ADDRESS) && ult(va, Vmparam.DMAP_MAX_ADDRESS)) {
            return Vmparam.DMAP_TO_PHYS(va);
        }
        long pt = km.load64(vtopt(va));
        if ((pt & bits(kernelPmap, PG_PS_IDX)) != 0) {
            return (pt & PG_PS_FRAME) | (va & PDRMASK);
        }
        long pa = km.load64(pmapPtToPte(pt, va));
        return (pa & PG_FRAME) | (va & PAGE_MASK);
    }

    /** pmap_kvtom(): the vm_page mapped at kernel address va (kmalloc/kfree). Never blocks. */
    public long pmapKvtom(long va) {
        return vmPage().PHYS_TO_VM_PAGE(km.load64(vtopte(va)) & PG_FRAME);
    }

    // ---- unmanaged kernel mappings -------------------------------------------------------------

    /**
     * pmap_kenter(): maps the wired physical page pa at kernel address va (RW, unmanaged) and
     * invalidates va on every cpu. The PT page must exist (KVA below kernel_vm_end). Never blocks.
     */
    public void pmapKenter(long va, long pa) {
        long npte = pa | bits(kernelPmap, PG_RW_IDX) | bits(kernelPmap, PG_V_IDX);
        long ptep = vtopte(va);
        inval.pmapInvalSmp(kernelPmap, va, 1, ptep, npte);
    }

    /**
     * pmap_kenter_quick(): as pmap_kenter() but invalidating only the current cpu; returns 1 (the
     * caller may need smp_invltlb()). Never blocks.
     */
    public int pmapKenterQuick(long va, long pa) {
        long npte = pa | bits(kernelPmap, PG_RW_IDX) | bits(kernelPmap, PG_V_IDX);
        km.swap64(vtopte(va), npte);
        cpuInvlpg(va);
        return 1;
    }

    /** pmap_kremove(): unmaps kernel address va and invalidates it on every cpu. Never blocks. */
    public void pmapKremove(long va) {
        inval.pmapInvalSmp(kernelPmap, va, 1, vtopte(va), 0);
    }

    /** pmap_kremove_quick(): unmaps va, invalidating only the current cpu. Never blocks. */
    public void pmapKremoveQuick(long va) {
        km.swap64(vtopte(va), 0);
        cpuInvlpg(va);
    }

    /** cpu_invlpg() on the caller's cpu, if the machine is attached. */
    private void cpuInvlpg(long va) {
        Cpu c = curcpu();
        if (c != null) {
            c.invlpg(va);
        }
    }

    /** pmap_invalidate_range(): invalidates [sva, eva) on the pmap's cpus. Never blocks. */
    public void pmapInvalidateRange(long pmap, long sva, long eva) {
        inval.pmapInvalSmp(pmap, sva, (eva - sva) >>> PAGE_SHIFT, 0, 0);
    }

    /**
     * pmap_qenter(): maps the {@code count} wired pages {@code m[0..count)} at consecutive kernel
     * addresses from beg_va, replacing whatever was there, then invalidates the range on every
     * cpu. Page modifications are not tracked. Never blocks.
     */
    public void pmapQenter(long begVa, long[] m, int count) {
        long endVa = begVa + (long) count * PAGE_SIZE;
        int i = 0;
        for (long va = begVa; va != endVa; va += PAGE_SIZE, i++) {
            long pte = vmPage().VM_PAGE_TO_PHYS(m[i]) | bits(kernelPmap, PG_RW_IDX) | bits(kernelPmap, PG_V_IDX)
                    | StructPmap.pmap_cache_bits_pte(km, kernelPmap, StructVmPage.pat_mode(km, m[i]));
            km.swap64(vtopte(va), pte);
        }
        pmapInvalidateRange(kernelPmap, begVa, endVa);
    }

    /** pmap_qremove(): unmaps {@code count} pages from beg_va and invalidates them everywhere. */
    public void pmapQremove(long begVa, int count) {
        long endVa = begVa + (long) count * PAGE_SIZE;
        for (long va = begVa; va != endVa; va += PAGE_SIZE) {
            km.swap64(vtopte(va), 0);
            cpuInvlpg(va);
        }
        pmapInvalidateRange(kernelPmap, begVa, endVa);
    }

    // ---- pmap creation and destruction -------------------------------------------------------

    /** pmap_pinit_defaults(): the regular x86-64 bits, protection codes and PAT tables. */
    private void pmapPinitDefaults(long pmap) {
        for (int i = 0; i < StructPmap.PG_BITS_SIZE; i++) {
            km.store64(pmap + StructPmap.pmap_bits$OFFSET + 8L * i, PMAP_BITS_DEFAULT[i]);
        }
        for (int i = 0; i < StructPmap.PROTECTION_CODES_SIZE; i++) {
            km.store64(pmap + StructPmap.protection_codes$OFFSET + 8L * i, km.load64(globals + PROTECTION_CODES + 8L * i));
        }
        for (int i = 0; i < StructPmap.PAT_INDEX_SIZE; i++) {
            km.store64(pmap + StructPmap.pmap_cache_bits_pte$OFFSET + 8L * i, km.load64(globals + PAT_PTE_INDEX + 8L * i));
            km.store64(pmap + StructPmap.pmap_cache_bits_pde$OFFSET + 8L * i, km.load64(globals + PAT_PDE_INDEX + 8L * i));
        }
        km.store64(pmap + StructPmap.pmap_cache_mask_pte$OFFSET, X86_PG_NC_PWT | X86_PG_NC_PCD | X86_PG_PTE_PAT);
        km.store64(pmap + StructPmap.pmap_cache_mask_pde$OFFSET, X86_PG_NC_PWT | X86_PG_NC_PCD | X86_PG_PDE_PAT);
    }

    /** pmap_pinit_simple(): the common part of pmap initialisation (no page tables). */
    private void pmapPinitSimple(long pmap) {
        StructPmap.pm_count(km, pmap, 1);
        StructPmap.pm_active(km, pmap, 0);
        StructPmap.pm_pvhint_pt(km, pmap, 0);
        km.store64(pmap + StructPmap.pm_pvhint_unused$OFFSET, 0);
        StructPmap.pm_flags(km, pmap, PMAP_FLAG_SIMPLE);
        pmapPinitDefaults(pmap);
        if (StructPmap.pm_pmlpv(km, pmap) == 0) {
            pvEntryRbTree.rbInit(StructPmap.pm_pvroot(pmap));
            km.store64(pmap + StructPmap.resident_count$OFFSET, 0);
            km.store64(pmap + StructPmap.wired_count$OFFSET, 0);
            lwkt.spinInit(pmap + StructPmap.pm_spin$OFFSET);
            for (int i = 0; i < PM_PLACEMARKS; ++i) {
                km.store64(StructPmap.pm_placemark(pmap, i), PM_NOPLACEMARK);
            }
        }
    }

    /**
     * pmap_pinit(): initialises a zeroed (or previously released) {@code struct pmap} as a user
     * pmap: reserves 2 pages of KVA for the PML4 (kmem_alloc_pageable), allocates the PML4 page
     * through pmap_allocpte (its pv entry), maps it at pm_pml4 with pmap_kenter and installs the
     * DMAP, the kernel PDPs and the recursive entry. May block (vm_wait in pmap_allocpte,
     * kernel_map lock). Panics if kernel_map has no KVA left.
     */
    public void pmapPinit(long pmap) {
        pmapPinitSimple(pmap);
        StructPmap.pm_flags(km, pmap, StructPmap.pm_flags(km, pmap) & ~PMAP_FLAG_SIMPLE);

        if (StructPmap.pm_pml4(km, pmap) == 0) {
            long pml4 = kernel.vmKern().kmemAllocPageable(kernel.vmMap().kernelMap(), PAGE_SIZE * 2,
                    StructVmMapEntry.VM_SUBSYS_PML4);
            if (pml4 == 0) {
                throw Kassert.panic("pmap_pinit: no KVA for the PML4 of pmap 0x%x", pmap);
            }
            StructPmap.pm_pml4(km, pmap, pml4);
            km.store64(pmap + StructPmap.pm_pml4_iso$OFFSET, pml4 + PAGE_SIZE);
        }

        long pv = StructPmap.pm_pmlpv(km, pmap);
        if (pv == 0) {
            pv = pmapAllocpte(pmap, pmapPml4Pindex(), null);
            StructPmap.pm_pmlpv(km, pmap, pv);
            long pml4 = StructPmap.pm_pml4(km, pmap);
            pmapKenter(pml4, vmPage().VM_PAGE_TO_PHYS(StructPvEntry.pv_m(km, pv)));
            pvPut(pv);

            long rwva = bits(pmap, PG_RW_IDX) | bits(pmap, PG_V_IDX) | bits(pmap, PG_A_IDX);
            long dmpdp = km.load64(globals + DMPDP_PHYS);
            for (int j = 0; j < Vmparam.NDMPML4E; ++j) {
                km.store64(pml4 + 8L * (Vmparam.DMPML4I + j), (dmpdp + ((long) j << PAGE_SHIFT)) | rwva);
            }
            long kpdp = km.load64(globals + KPDP_PHYS);
            for (int j = 0; j < Vmparam.NKPML4E; ++j) {
                km.store64(pml4 + 8L * (Vmparam.KPML4I + j), (kpdp + ((long) j << PAGE_SHIFT)) | rwva);
            }
            km.store64(pml4 + 8L * Vmparam.PML4PML4I,
                    vmPage().VM_PAGE_TO_PHYS(StructPvEntry.pv_m(km, pv)) | rwva);
        } else {
            long m = StructPvEntry.pv_m(km, pv);
            Kassert.kkassert((StructVmPage.flags(km, m) & PG_MAPPED) != 0, "pv->pv_m->flags & PG_MAPPED", "pmap_pinit");
            Kassert.kkassert((StructVmPage.flags(km, m) & PG_WRITEABLE) != 0, "pv->pv_m->flags & PG_WRITEABLE", "pmap_pinit");
        }
        Kassert.kkassert(km.load64(StructPmap.pm_pml4(km, pmap) + 8 * 255) == 0, "pmap->pm_pml4[255] == 0", "pmap_pinit");
    }

    /**
     * pmap_puninit(): frees what pmap_release() leaves cached: the PML4 page, its pv and its KVA.
     * The pmap must be inactive and released. May block.
     */
    public void pmapPuninit(long pmap) {
        Kassert.kkassert(StructPmap.pm_active(km, pmap) == 0, "CPUMASK_TESTZERO(pmap->pm_active)", "pmap_puninit");
        long pv = StructPmap.pm_pmlpv(km, pmap);
        if (pv != 0) {
            if (!pvHoldTry(pv)) {
                pvLock(pv);
            }
            Kassert.kkassert(pv == StructPmap.pm_pmlpv(km, pmap), "pv == pmap->pm_pmlpv", "pmap_puninit");
            long p = pmapRemovePvPage(pv, true);
            pvFree(pv, 0);
            pmapKremove(StructPmap.pm_pml4(km, pmap));
            vmPage().vmPageBusyWait(p, false, "pgpun");
            Kassert.kkassert((StructVmPage.flags(km, p) & PG_UNQUEUED) != 0, "p->flags & PG_UNQUEUED", "pmap_puninit");
            vmPage().vmPageUnwire(p, false);
            vmPage2().vmPageFlagClear(p, PG_MAPPED | PG_WRITEABLE);
            vmPage2().vmPageFree(p);
            StructPmap.pm_pmlpv(km, pmap, 0);
        }
        long pml4 = StructPmap.pm_pml4(km, pmap);
        if (pml4 != 0) {
            Kassert.kkassert(pml4 != Vmparam.PHYS_TO_DMAP(kpml4phys()), "pmap->pm_pml4 != KPML4", "pmap_puninit");
            kernel.vmKern().kmemFree(kernel.vmMap().kernelMap(), pml4, PAGE_SIZE * 2);
            StructPmap.pm_pml4(km, pmap, 0);
            km.store64(pmap + StructPmap.pm_pml4_iso$OFFSET, 0);
        }
        Kassert.kkassert(StructPmap.resident_count(km, pmap) == 0, "pmap->pm_stats.resident_count == 0", "pmap_puninit");
        Kassert.kkassert(StructPmap.wired_count(km, pmap) == 0, "pmap->pm_stats.wired_count == 0", "pmap_puninit");
    }

    /**
     * pmap_allocpte(): returns the locked, held pv for the page-table page {@code ptepindex},
     * creating it and any missing parent levels. A new page-table page comes from
     * vm_page_alloc(NULL, pindex, NORMAL|SYSTEM|INTERRUPT), looping on vm_wait(0); it is wired
     * once for its entry in the parent, zeroed, flagged MAPPED|WRITEABLE|UNQUEUED, and the parent
     * gets one more wiring. If {@code pvpp} is non-null, {@code pvpp[0]} receives the locked
     * parent pv (0 for the PML4). Not for kernel_pmap. May block (vm_wait, pv locks).
     */
    private long pmapAllocpte(long pmap, long ptepindex, long[] pvpp) {
        boolean[] isnew = new boolean[1];
        long pv = pvAlloc(pmap, ptepindex, isnew);
        if (!isnew[0] && pvpp == null) {
            return pv;
        }
        Kassert.kkassert(uge(ptepindex, pmapPtPindex(0)), "ptepindex >= pmap_pt_pindex(0)", "pmap_allocpte");
        Kassert.kkassert(pmap != kernelPmap, "pmap != &kernel_pmap", "pmap_allocpte");

        long pvp;
        if (ult(ptepindex, pmapPdPindex(0))) {
            // pv is a PT, pvp its PD.
            long pindex = ((ptepindex - pmapPtPindex(0)) >>> NPDEPGSHIFT) + NUPTE_TOTAL + NUPT_TOTAL;
            pvp = pmapAllocpte(pmap, pindex, null);
            ptepindex = (StructPvEntry.pv_pindex(km, pv) - pmapPtPindex(0)) & ((1L << NPDEPGSHIFT) - 1);
        } else if (ult(ptepindex, pmapPdpPindex(0))) {
            // pv is a PD, pvp its PDP.
            long pindex = ((ptepindex - pmapPdPindex(0)) >>> NPDPEPGSHIFT) + NUPTE_TOTAL + NUPT_TOTAL + NUPD_TOTAL;
            pvp = pmapAllocpte(pmap, pindex, null);
            ptepindex = (StructPvEntry.pv_pindex(km, pv) - pmapPdPindex(0)) & ((1L << NPDPEPGSHIFT) - 1);
        } else if (ult(ptepindex, pmapPml4Pindex())) {
            // pv is a PDP, pvp the PML4.
            pvp = pmapAllocpte(pmap, pmapPml4Pindex(), null);
            ptepindex = (StructPvEntry.pv_pindex(km, pv) - pmapPdpPindex(0)) & ((1L << NPML4EPGSHIFT) - 1);
        } else {
            // pv is the PML4: no parent.
            pvp = 0;
        }

        if (isnew[0]) {
            if (pvp != 0) {
                vmPage2().vmPageWireQuick(StructPvEntry.pv_m(km, pvp));
            }
            long m;
            lwkt.pushFrame("pmap_allocpte");
            try {
                for (;;) {
                    kernel.reclaimCheck().pageAlloc("pmap_allocpte",
                            VmPage.VM_ALLOC_NORMAL | VmPage.VM_ALLOC_SYSTEM | VmPage.VM_ALLOC_INTERRUPT);    // dfemu
                    m = vmPage().vmPageAlloc(0, StructPvEntry.pv_pindex(km, pv),
                            VmPage.VM_ALLOC_NORMAL | VmPage.VM_ALLOC_SYSTEM | VmPage.VM_ALLOC_INTERRUPT);
                    if (m != 0) {
                        kernel.swapmetaPaths().ptpAlloc();    // dfemu: SWAPMETA path counters
                        break;
                    }
                    vmPage().vmWait(0);
                }
            } finally {
                lwkt.popFrame();
            }
            vmPage().vmPageWire(m);
            pmapZeroPage(vmPage().VM_PAGE_TO_PHYS(m));
            StructVmPage.valid(km, m, StructVmPage.VM_PAGE_BITS_ALL);
            vmPage2().vmPageFlagSet(m, PG_MAPPED | PG_WRITEABLE | PG_UNQUEUED);
            Kassert.kkassert(StructVmPage.queue(km, m) == org.dfemu.kernel.vm.StructVpgqueues.PQ_NONE,
                    "m->queue == PQ_NONE", "pmap_allocpte");
            StructPvEntry.pv_m(km, pv, m);

            // Wire the page into pvp (no interlock needed for 0 -> non-zero).
            if (pvp != 0) {
                long v = vmPage().VM_PAGE_TO_PHYS(m) | bits(pmap, PG_RW_IDX) | bits(pmap, PG_V_IDX) | bits(pmap, PG_A_IDX);
                if (ult(ptepindex, NUPTE_USER)) {
                    v |= bits(pmap, PG_U_IDX);
                }
                if (ult(ptepindex, pmapPtPindex(0))) {
                    v |= bits(pmap, PG_M_IDX);
                }
                long ptep = pvPteLookup(pvp, ptepindex);
                if ((km.load64(ptep) & bits(pmap, PG_V_IDX)) != 0) {
                    throw Kassert.panic("pmap_allocpte: ptpte present without pv_entry!");
                }
                long pte = km.swap64(ptep, v);
                if (pte != 0) {
                    kernel.kprintf(String.format("install pgtbl mixup 0x%016x old/new 0x%016x/0x%016x",
                            ptepindex, pte, v));
                }
            }
            vmPage().vmPageWakeup(m);
        }

        // notnew: the parent's entry must point at our page.
        if (pvp != 0) {
            Kassert.kkassert(StructPvEntry.pv_m(km, pvp) != 0, "pvp->pv_m != NULL", "pmap_allocpte");
            long ptep = pvPteLookup(pvp, ptepindex);
            long v = vmPage().VM_PAGE_TO_PHYS(StructPvEntry.pv_m(km, pv)) | bits(pmap, PG_RW_IDX)
                    | bits(pmap, PG_V_IDX) | bits(pmap, PG_A_IDX);
            if (ult(ptepindex, NUPTE_USER)) {
                v |= bits(pmap, PG_U_IDX);
            }
            if (ult(ptepindex, pmapPtPindex(0))) {
                v |= bits(pmap, PG_M_IDX);
            }
            if (km.load64(ptep) != v) {
                kernel.kprintf(String.format("mismatched upper level pt %016x/%016x", km.load64(ptep), v));
            }
        }
        if (pvpp != null) {
            pvpp[0] = pvp;
        } else if (pvp != 0) {
            pvPut(pvp);
        }
        return pv;
    }

    /** pmap_release() scan state (pmap_release_info). */
    private static final class ReleaseInfo {
        long pmap;
        boolean retry;
        long pvp;
    }

    /**
     * pmap_release(): frees every page-table page of a user pmap but the PML4 (kept for
     * pmap_puninit or re-use by pmap_pinit), walking the pv tree from low to high pindex. The
     * pmap must have no valid leaf mappings and be inactive on every cpu. May block.
     * Panics if pages remain resident or wired afterwards (the C parks the thread forever).
     */
    public void pmapRelease(long pmap) {
        Kassert.kassert(StructPmap.pm_active(km, pmap) == 0,
                () -> String.format("pmap still active! %016x", StructPmap.pm_active(km, pmap)));
        ReleaseInfo info = new ReleaseInfo();
        info.pmap = pmap;
        long spin = pmap + StructPmap.pm_spin$OFFSET;
        do {
            info.retry = false;
            info.pvp = 0;
            lwkt.spinLock(spin);
            long key = 0;
            for (;;) {
                long pv = pvEntryNfind(pmap, key);
                if (pv == 0) {
                    break;
                }
                key = StructPvEntry.pv_pindex(km, pv) + 1;
                if (pmapReleaseCallback(pv, info) < 0) {
                    break;
                }
            }
            lwkt.spinUnlock(spin);
            if (info.pvp != 0) {
                pvPut(info.pvp);
            }
        } while (info.retry);

        int expectedRes = 0;
        if ((StructPmap.pm_flags(km, pmap) & PMAP_FLAG_SIMPLE) == 0) {
            ++expectedRes;
        }
        if (StructPmap.resident_count(km, pmap) != expectedRes || StructPmap.wired_count(km, pmap) != 0) {
            throw Kassert.panic("fatal pmap problem - pmap 0x%x flags %08x rescnt=%d wirecnt=%d", pmap,
                    StructPmap.pm_flags(km, pmap), StructPmap.resident_count(km, pmap),
                    StructPmap.wired_count(km, pmap));
        }
    }

    /**
     * pmap_release_callback(): releases one pv (low to high), caching the parent pv so its wire
     * count can be dropped. Called and returns with pm_spin held; drops it meanwhile.
     */
    private int pmapReleaseCallback(long pv, ReleaseInfo info) {
        long pmap = info.pmap;
        long spin = pmap + StructPmap.pm_spin$OFFSET;
        long pindex = StructPvEntry.pv_pindex(km, pv);
        if (info.pvp == pv) {
            lwkt.spinUnlock(spin);
            info.pvp = 0;
        } else if (pvHoldTry(pv)) {
            lwkt.spinUnlock(spin);
        } else {
            lwkt.spinUnlock(spin);
            pvLock(pv);
            pvPut(pv);
            info.retry = true;
            lwkt.spinLock(spin);
            return -1;
        }
        Kassert.kkassert(StructPvEntry.pv_pmap(km, pv) == pmap && pindex == StructPvEntry.pv_pindex(km, pv),
                "pv->pv_pmap == pmap && pindex == pv->pv_pindex", "pmap_release_callback");

        long p = StructPvEntry.pv_pindex(km, pv);
        if (ult(p, pmapPtPindex(0))) {
            pindex = (p >>> NPTEPGSHIFT) + NUPTE_TOTAL;
        } else if (ult(p, pmapPdPindex(0))) {
            pindex = ((p - NUPTE_TOTAL) >>> NPDEPGSHIFT) + NUPTE_TOTAL + NUPT_TOTAL;
        } else if (ult(p, pmapPdpPindex(0))) {
            pindex = ((p - NUPTE_TOTAL - NUPT_TOTAL) >>> NPDPEPGSHIFT) + NUPTE_TOTAL + NUPT_TOTAL + NUPD_TOTAL;
        } else if (ult(p, pmapPml4Pindex())) {
            pindex = pmapPml4Pindex();
        } else {
            if (info.pvp != 0) {
                pvPut(info.pvp);
                info.pvp = 0;
            }
            pindex = 0;
        }
        if (pindex != 0) {
            if (info.pvp != 0 && StructPvEntry.pv_pindex(km, info.pvp) != pindex) {
                pvPut(info.pvp);
                info.pvp = 0;
            }
            if (info.pvp == 0) {
                info.pvp = pvGet(pmap, pindex, null);
            }
        } else if (info.pvp != 0) {
            pvPut(info.pvp);
            info.pvp = 0;
        }
        int r = pmapReleasePv(pv, info.pvp, null);
        lwkt.spinLock(spin);
        return r;
    }

    /**
     * pmap_release_pv(): removes a held, locked pv's page from its parent, and (except for the
     * PML4, which stays cached: returns -1) frees the page-table page and the pv. Returns 0.
     */
    private int pmapReleasePv(long pv, long pvp, PmapInval.Bulk bulk) {
        pmapRemovePvPte(pv, pvp, bulk, false);
        if (ult(StructPvEntry.pv_pindex(km, pv), pmapPtPindex(0))) {
            pmapRemovePvPage(pv, false);
            pvFree(pv, pvp);
            return 0;
        }
        if (uge(StructPvEntry.pv_pindex(km, pv), pmapPml4Pindex())) {
            pvPut(pv);
            return -1;
        }
        long p = pmapRemovePvPage(pv, true);
        vmPage().vmPageBusyWait(p, false, "pmaprl");
        if (StructVmPage.wire_count(km, p) != 1) {
            long pi = StructPvEntry.pv_pindex(km, pv);
            String tstr = uge(pi, pmapPdpPindex(0)) ? "PDP" : uge(pi, pmapPdPindex(0)) ? "PD"
                    : uge(pi, pmapPtPindex(0)) ? "PT" : "PTE";
            kernel.kprintf(String.format("p(%s) p->wire_count was %016x %d", tstr, pi, StructVmPage.wire_count(km, p)));
        }
        Kassert.kkassert(StructVmPage.wire_count(km, p) == 1, "p->wire_count == 1", "pmap_release_pv");
        Kassert.kkassert((StructVmPage.flags(km, p) & PG_UNQUEUED) != 0, "p->flags & PG_UNQUEUED", "pmap_release_pv");
        vmPage().vmPageUnwire(p, false);
        Kassert.kkassert(StructVmPage.wire_count(km, p) == 0, "p->wire_count == 0", "pmap_release_pv");
        vmPage2().vmPageFree(p);
        pvFree(pv, pvp);
        return 0;
    }

    /**
     * pmap_remove_pv_pte(): clears the entry pointing at pv's page in its parent page table (for
     * the PML4: nothing) and drops the parent's wiring (in pv_free). With {@code destroy} also
     * frees pv's page-table page and the pv. The pv must be locked; pvp, if given, locked. If the
     * parent had to be looked up here it is put away again (pmap_dynamic_delete is off).
     */
    private void pmapRemovePvPte(long pv, long pvp, PmapInval.Bulk bulk, boolean destroy) {
        long ptepindex = StructPvEntry.pv_pindex(km, pv);
        long pmap = StructPvEntry.pv_pmap(km, pv);
        boolean gotpvp = false;
        long p;
        Kassert.kkassert(pmap != 0, "pmap", "pmap_remove_pv_pte");

        if (uge(ptepindex, pmapPml4Pindex())) {
            p = StructPvEntry.pv_m(km, StructPmap.pm_pmlpv(km, pmap));
            Kassert.kkassert(StructPvEntry.pv_m(km, pv) == p, "pv->pv_m == p", "pmap_remove_pv_pte");
        } else if (uge(ptepindex, pmapPdpPindex(0))) {
            // A PDP page in the PML4.
            long pdpIndex = ptepindex - pmapPdpPindex(0);
            if (pvp == 0) {
                pvp = pvGet(pmap, pmapPml4Pindex(), null);
                Kassert.kkassert(pvp != 0, "pvp", "pmap_remove_pv_pte");
                gotpvp = true;
            }
            long pdp = StructPmap.pm_pml4(km, pmap) + 8 * (pdpIndex & ((1L << NPML4EPGSHIFT) - 1));
            Kassert.kkassert((km.load64(pdp) & bits(pmap, PG_V_IDX)) != 0, "*pdp & PG_V", "pmap_remove_pv_pte");
            p = vmPage().PHYS_TO_VM_PAGE(km.load64(pdp) & PG_FRAME);
            inval.pmapInvalBulk(bulk, -1, pdp, 0);
            Kassert.kkassert(StructPvEntry.pv_m(km, pv) == p, "pv->pv_m == p", "pmap_remove_pv_pte");
        } else if (uge(ptepindex, pmapPdPindex(0))) {
            // A PD page in its PDP.
            long pdIndex = ptepindex - pmapPdPindex(0);
            if (pvp == 0) {
                long pdpPindex = NUPTE_TOTAL + NUPT_TOTAL + NUPD_TOTAL + (pdIndex >>> NPML4EPGSHIFT);
                pvp = pvGet(pmap, pdpPindex, null);
                gotpvp = true;
            }
            Kassert.kkassert(pvp != 0, "pvp (not a simple pmap)", "pmap_remove_pv_pte");
            long pd = pvPteLookup(pvp, pdIndex & ((1L << NPDPEPGSHIFT) - 1));
            Kassert.kkassert((km.load64(pd) & bits(pmap, PG_V_IDX)) != 0, "*pd & PG_V", "pmap_remove_pv_pte");
            p = vmPage().PHYS_TO_VM_PAGE(km.load64(pd) & PG_FRAME);
            inval.pmapInvalBulk(bulk, -1, pd, 0);
            Kassert.kkassert(StructPvEntry.pv_m(km, pv) == p, "pv->pv_m == p", "pmap_remove_pv_pte");
        } else if (uge(ptepindex, pmapPtPindex(0))) {
            // A PT page in its PD.
            long ptIndex = ptepindex - pmapPtPindex(0);
            if (pvp == 0) {
                long pdPindex = NUPTE_TOTAL + NUPT_TOTAL + (ptIndex >>> NPDPEPGSHIFT);
                pvp = pvGet(pmap, pdPindex, null);
                Kassert.kkassert(pvp != 0, "pvp", "pmap_remove_pv_pte");
                gotpvp = true;
            }
            long pt = pvPteLookup(pvp, ptIndex & ((1L << NPDPEPGSHIFT) - 1));
            if ((km.load64(pt) & bits(pmap, PG_V_IDX)) == 0) {
                // The C reports this and parks the thread forever ("DEAD").
                throw Kassert.panic("*pt unexpectedly invalid %016x gotpvp=%b ptepindex=%d ptindex=%d pv=0x%x pvp=0x%x",
                        km.load64(pt), gotpvp, ptepindex, ptIndex, pv, pvp);
            }
            p = vmPage().PHYS_TO_VM_PAGE(km.load64(pt) & PG_FRAME);
            inval.pmapInvalBulk(bulk, -1, pt, 0);
            Kassert.kkassert(StructPvEntry.pv_m(km, pv) == p, "pv->pv_m == p", "pmap_remove_pv_pte");
        } else {
            throw Kassert.panic("assertion \"0\" failed in pmap_remove_pv_pte");
        }

        if (destroy) {
            Kassert.kkassert(StructVmPage.wire_count(km, StructPvEntry.pv_m(km, pv)) == 1,
                    "pv->pv_m->wire_count == 1", "pmap_remove_pv_pte");
            p = pmapRemovePvPage(pv, true);
            pvFree(pv, pvp);
            vmPage().vmPageBusyWait(p, false, "pgpun");
            vmPage().vmPageUnwire(p, false);
            vmPage2().vmPageFlagClear(p, PG_MAPPED | PG_WRITEABLE);
            vmPage2().vmPageFree(p);
        }

        if (pvp != 0 && gotpvp) {
            // pmap_dynamic_delete is 0 (disabled so vm_map_backing iterations do not race):
            // higher-level page tables are destroyed only at pmap_release().
            pvPut(pvp);
        }
    }

    /** pmap_remove_pv_page(): detaches the vm_page from a locked pv and returns it. */
    private long pmapRemovePvPage(long pv, boolean clrpgbits) {
        long m = StructPvEntry.pv_m(km, pv);
        StructPvEntry.pv_m(km, pv, 0);
        if (clrpgbits) {
            vmPage2().vmPageFlagClear(m, PG_MAPPED | PG_WRITEABLE);
        }
        return m;
    }

    /**
     * pmap_growkernel(): gives kernel page tables to [kstart, kend) (rounded out to 2 MiB and
     * clamped to kernel_map's end), allocating a PD page for each missing PDP entry and a wired PT
     * page for each missing PD entry with vm_page_alloc(NORMAL|SYSTEM|INTERRUPT), and advances
     * kernel_vm_end. kernel_map must be locked exclusively by the caller. Panics
     * ("pmap_growkernel: no memory to grow kernel") if no page is free. Never blocks.
     */
    public void pmapGrowkernel(long kstart, long kend) {
        long mapMax = kernel.vmMap().vmMapMax(kernel.vmMap().kernelMap());
        long kernelVmEnd = kernelVmEnd();
        // PORT: the C only grows below KERNBASE; the port's kernel_map lies entirely below it.
        Kassert.kkassert(ult(kstart, Vmparam.KERNBASE), "kstart < KERNBASE", "pmap_growkernel");
        if (Long.compareUnsigned(kstart, kernelVmEnd) > 0) {
            kstart = kernelVmEnd;
        }
        Kassert.kkassert(Long.compareUnsigned(kend, Vmparam.KERNBASE) <= 0, "kend <= KERNBASE", "pmap_growkernel");

        long span = PAGE_SIZE * (long) NPTEPG;
        kstart = kstart & -span;
        kend = (kend + span - 1) & -span;
        if (uge(kend - 1, mapMax)) {
            kend = mapMax;
        }
        long gd = kernel.globaldata().mycpu();
        while (ult(kstart, kend)) {
            long pt = pmapPt(kernelPmap, kstart);
            if (pt == 0) {
                // A new PD page.
                long nkpg = vmPage().vmPageAlloc(0, StructGlobaldata.gd_rand_incr_next(km, gd),
                        VmPage.VM_ALLOC_NORMAL | VmPage.VM_ALLOC_SYSTEM | VmPage.VM_ALLOC_INTERRUPT);
                if (nkpg == 0) {
                    throw Kassert.panic("pmap_growkernel: no memory to grow kernel");
                }
                long paddr = vmPage().VM_PAGE_TO_PHYS(nkpg);
                pmapZeroPage(paddr);
                long pd = pmapPd(kernelPmap, kstart);
                long newpd = paddr | bits(kernelPmap, PG_V_IDX) | bits(kernelPmap, PG_RW_IDX) | bits(kernelPmap, PG_A_IDX);
                km.swap64(pd, newpd);
                continue;
            }
            if ((km.load64(pt) & bits(kernelPmap, PG_V_IDX)) != 0) {
                kstart = (kstart + span) & -span;
                if (uge(kstart - 1, mapMax)) {
                    kstart = mapMax;
                    break;
                }
                continue;
            }
            // A new PT page.
            long nkpg = vmPage().vmPageAlloc(0, StructGlobaldata.gd_rand_incr_next(km, gd),
                    VmPage.VM_ALLOC_NORMAL | VmPage.VM_ALLOC_SYSTEM | VmPage.VM_ALLOC_INTERRUPT);
            if (nkpg == 0) {
                throw Kassert.panic("pmap_growkernel: no memory to grow kernel");
            }
            vmPage().vmPageWire(nkpg);
            long ptppaddr = vmPage().VM_PAGE_TO_PHYS(nkpg);
            pmapZeroPage(ptppaddr);
            long newpt = ptppaddr | bits(kernelPmap, PG_V_IDX) | bits(kernelPmap, PG_RW_IDX) | bits(kernelPmap, PG_A_IDX);
            km.swap64(pt, newpt);
            kstart = (kstart + span) & -span;
            if (uge(kstart - 1, mapMax)) {
                kstart = mapMax;
                break;
            }
        }
        if (ult(kernelVmEnd(), kstart)) {
            km.store64(globals + KERNEL_VM_END, kstart);
        }
    }

    /** pmap_reference(): adds a reference to the pmap. */
    public void pmapReference(long pmap) {
        if (pmap != 0) {
            km.fetchAdd32(pmap + StructPmap.pm_count$OFFSET, 1);
        }
    }

    /**
     * pmap_mapped_sync(): returns m's flags; PG_MAPPED/PG_WRITEABLE are only advisory here (the
     * caller calls vm_page_protect() if they are still set). Page hard-busied. Never blocks.
     */
    public int pmapMappedSync(long m) {
        return StructVmPage.flags(km, m);
    }

    // ---- pv entries ----------------------------------------------------------------------------

    private long pvHoldAddr(long pv) { return pv + StructPvEntry.pv_hold$OFFSET; }

    /**
     * pv_hold_try(): adds a hold, and locks the pv if it is unlocked; true if it locked it.
     * pm_spin (or the page's spinlock) held by the caller to stabilise the pv. Never blocks.
     */
    private boolean pvHoldTry(long pv) {
        long a = pvHoldAddr(pv);
        for (;;) {
            int count = km.load32(a);
            if ((count & PV_HOLD_LOCKED) == 0) {
                if (km.cas32(a, count, (count + 1) | PV_HOLD_LOCKED)) {
                    return true;
                }
            } else if (km.cas32(a, count, count + 1)) {
                return false;
            }
        }
    }

    /**
     * pv_drop(): drops a hold on an unlocked pv; the last hold on a pv no longer in a pmap frees
     * it (zfree). No spinlock may be held.
     */
    private void pvDrop(long pv) {
        long a = pvHoldAddr(pv);
        for (;;) {
            int count = km.load32(a);
            Kassert.kkassert((count & PV_HOLD_MASK) > 0, "(count & PV_HOLD_MASK) > 0", "pv_drop");
            Kassert.kkassert((count & (PV_HOLD_LOCKED | PV_HOLD_MASK)) != (PV_HOLD_LOCKED | 1),
                    "(count & (PV_HOLD_LOCKED | PV_HOLD_MASK)) != (PV_HOLD_LOCKED | 1)", "pv_drop");
            if (km.cas32(a, count, count - 1)) {
                if ((count & PV_HOLD_MASK) == 1) {
                    Kassert.kkassert(count == 1, "count == 1", "pv_drop");
                    Kassert.kkassert(StructPvEntry.pv_pmap(km, pv) == 0, "pv->pv_pmap == NULL", "pv_drop");
                    vmZone().zfree(pvzone(), pv);
                }
                return;
            }
        }
    }

    /**
     * pv_alloc(): finds or creates the pv for (pmap, pindex), returned held and locked. A new pv
     * ({@code isnew[0]} true) has two holds (the caller's and the pmap association) and no page
     * yet. The pv comes from the cpu's one-entry cache (gd_newpv) or zalloc(pvzone), whose result
     * is not checked, as in the C. May block (placemarker or pv lock).
     */
    private long pvAlloc(long pmap, long pindex, boolean[] isnew) {
        long gdNewpv = kernel.globaldata().mycpu() + StructGlobaldata.gd_newpv$OFFSET;
        long pnew = 0;
        if (km.load64(gdNewpv) != 0) {
            pnew = km.swap64(gdNewpv, 0);
        }
        if (pnew == 0) {
            pnew = vmZone().zalloc(pvzone());
            kernel.swapmetaPaths().pvAlloc(pnew);    // dfemu: SWAPMETA path counters
        }
        long spin = pmap + StructPmap.pm_spin$OFFSET;
        lwkt.spinLock(spin);
        for (;;) {
            long pv = pvEntryLookup(pmap, pindex);
            if (pv == 0) {
                // Block while someone holds our placemarker.
                long pmark = pmapPlacemarkerHash(pmap, pindex);
                if (((km.load64(pmark) ^ pindex) & ~PM_PLACEMARK_WAKEUP) == 0) {
                    atomicSetLong(pmark, PM_PLACEMARK_WAKEUP);
                    if (((km.load64(pmark) ^ pindex) & ~PM_PLACEMARK_WAKEUP) == 0) {
                        lwkt.spinUnlock(spin);
                        lwkt.tsleep(pmark, "pvplc", 0);
                        lwkt.spinLock(spin);
                    }
                    continue;
                }
                // Set up the new entry.
                StructPvEntry.pv_pmap(km, pnew, pmap);
                StructPvEntry.pv_pindex(km, pnew, pindex);
                StructPvEntry.pv_hold(km, pnew, PV_HOLD_LOCKED | 2);
                StructPvEntry.pv_flags(km, pnew, 0);
                long dup = pvEntryRbTree.rbInsert(StructPmap.pm_pvroot(pmap), pnew);
                km.fetchAdd64(pmap + StructPmap.resident_count$OFFSET, 1);
                lwkt.spinUnlock(spin);
                isnew[0] = true;
                final long p = pnew;
                Kassert.kassert(dup == 0, () -> String.format("pv insert failed 0x%x->0x%x", p, dup));
                return pnew;
            }
            // Already have an entry: put the staged pnew back and return it locked.
            if (pvHoldTry(pv)) {
                lwkt.spinUnlock(spin);
                long old = km.swap64(gdNewpv, pnew);
                if (old != 0) {
                    vmZone().zfree(pvzone(), old);
                }
                Kassert.kkassert(StructPvEntry.pv_pmap(km, pv) == pmap && StructPvEntry.pv_pindex(km, pv) == pindex,
                        "pv->pv_pmap == pmap && pv->pv_pindex == pindex", "pv_alloc");
                isnew[0] = false;
                return pv;
            }
            lwkt.spinUnlock(spin);
            pvLock(pv);
            pvPut(pv);
            lwkt.spinLock(spin);
        }
    }

    /** atomic_set_long(). */
    private void atomicSetLong(long a, long bitsToSet) {
        for (;;) {
            long v = km.load64(a);
            if (km.cas64(a, v, v | bitsToSet)) {
                return;
            }
        }
    }

    /**
     * pv_get(): the held, locked pv for (pmap, pindex), or 0. With {@code pmarkp} non-null and
     * no pv, the placemarker for pindex is acquired and returned in {@code pmarkp[0]} (the caller
     * releases it with pv_placemarker_wakeup); with pmarkp null the call only probes. May block.
     */
    private long pvGet(long pmap, long pindex, long[] pmarkp) {
        long spin = pmap + StructPmap.pm_spin$OFFSET;
        lwkt.spinLock(spin);
        for (;;) {
            long pv = pvEntryLookup(pmap, pindex);
            if (pv == 0) {
                long pmark = pmapPlacemarkerHash(pmap, pindex);
                if ((pmarkp != null && km.load64(pmark) != PM_NOPLACEMARK)
                        || ((km.load64(pmark) ^ pindex) & ~PM_PLACEMARK_WAKEUP) == 0) {
                    atomicSetLong(pmark, PM_PLACEMARK_WAKEUP);
                    if ((pmarkp != null && km.load64(pmark) != PM_NOPLACEMARK)
                            || ((km.load64(pmark) ^ pindex) & ~PM_PLACEMARK_WAKEUP) == 0) {
                        lwkt.spinUnlock(spin);
                        lwkt.tsleep(pmark, "pvpld", 0);
                        lwkt.spinLock(spin);
                    }
                    continue;
                }
                if (pmarkp != null) {
                    if (km.swap64(pmark, pindex) != PM_NOPLACEMARK) {
                        throw Kassert.panic("_pv_get: pmark race");
                    }
                    pmarkp[0] = pmark;
                }
                lwkt.spinUnlock(spin);
                return 0;
            }
            if (pvHoldTry(pv)) {
                lwkt.spinUnlock(spin);
                Kassert.kkassert(StructPvEntry.pv_pmap(km, pv) == pmap && StructPvEntry.pv_pindex(km, pv) == pindex,
                        "pv->pv_pmap == pmap && pv->pv_pindex == pindex", "_pv_get");
                return pv;
            }
            lwkt.spinUnlock(spin);
            pvLock(pv);
            pvPut(pv);
            lwkt.spinLock(spin);
        }
    }

    /**
     * pv_get_try(): as pv_get() without blocking. Returns the pv held and locked
     * ({@code errorp[0]} false), or held but not locked ({@code errorp[0]} true); or 0 with the
     * placemarker acquired ({@code errorp[0]} false, {@code pmarkp[0]} set) or not acquirable
     * ({@code errorp[0]} true). Never blocks.
     */
    private long pvGetTry(long pmap, long pindex, long[] pmarkp, boolean[] errorp) {
        long spin = pmap + StructPmap.pm_spin$OFFSET;
        lwkt.spinLock(spin);
        long pv = pvEntryLookup(pmap, pindex);
        if (pv == 0) {
            long pmark = pmapPlacemarkerHash(pmap, pindex);
            if (((km.load64(pmark) ^ pindex) & ~PM_PLACEMARK_WAKEUP) == 0) {
                errorp[0] = true;
            } else if (pmarkp != null && km.cas64(pmark, PM_NOPLACEMARK, pindex)) {
                errorp[0] = false;
            } else {
                errorp[0] = true;
            }
            if (pmarkp != null) {
                pmarkp[0] = pmark;
            }
            lwkt.spinUnlock(spin);
            return 0;
        }
        if (pvHoldTry(pv)) {
            lwkt.spinUnlock(spin);
            errorp[0] = false;
            return pv;
        }
        lwkt.spinUnlock(spin);
        errorp[0] = true;
        return pv;
    }

    /** pv_lock(): locks a held pv, sleeping while another thread has it locked. May block. */
    private void pvLock(long pv) {
        long a = pvHoldAddr(pv);
        for (;;) {
            int count = km.load32(a);
            if ((count & PV_HOLD_LOCKED) == 0) {
                if (km.cas32(a, count, count | PV_HOLD_LOCKED)) {
                    return;
                }
                continue;
            }
            // tsleep_interlock() is implicit: no scheduling point lies between the cmpset and
            // the sleep, so pv_unlock()'s wakeup cannot be missed.
            if (km.cas32(a, count, count | PV_HOLD_WAITING)) {
                lwkt.tsleep(pv, "pvwait", lwkt.hz());
            }
        }
    }

    /** pv_unlock(): unlocks a held, locked pv and wakes waiters. Never blocks. */
    private void pvUnlock(long pv) {
        long a = pvHoldAddr(pv);
        for (;;) {
            int count = km.load32(a);
            Kassert.kkassert(Integer.compareUnsigned(count & (PV_HOLD_LOCKED | PV_HOLD_MASK), PV_HOLD_LOCKED | 1) >= 0,
                    "(count & (PV_HOLD_LOCKED | PV_HOLD_MASK)) >= (PV_HOLD_LOCKED | 1)", "pv_unlock");
            if (km.cas32(a, count, count & ~(PV_HOLD_LOCKED | PV_HOLD_WAITING))) {
                if ((count & PV_HOLD_WAITING) != 0) {
                    lwkt.wakeup(pv);
                }
                return;
            }
        }
    }

    /** pv_put(): unlocks and drops a pv. No spinlock may be held. */
    private void pvPut(long pv) {
        Kassert.kkassert(StructPvEntry.pv_pmap(km, pv) == 0 || StructPvEntry.pv_m(km, pv) != 0,
                "pv->pv_pmap == NULL || pv->pv_m != NULL", "pv_put");
        if (km.cas32(pvHoldAddr(pv), PV_HOLD_LOCKED | 2, 1)) {
            return;
        }
        pvUnlock(pv);
        pvDrop(pv);
    }

    /**
     * pv_free(): removes a locked pv (whose page is already detached) from its pmap, drops the
     * parent page table's wiring for it if pvp is given, and disposes of the pv (zfree on the
     * last hold).
     */
    private void pvFree(long pv, long pvp) {
        Kassert.kkassert(StructPvEntry.pv_m(km, pv) == 0, "pv->pv_m == NULL", "_pv_free");
        Kassert.kkassert(Integer.compareUnsigned(StructPvEntry.pv_hold(km, pv) & (PV_HOLD_LOCKED | PV_HOLD_MASK),
                PV_HOLD_LOCKED | 1) >= 0, "(pv->pv_hold & (PV_HOLD_LOCKED|PV_HOLD_MASK)) >= (PV_HOLD_LOCKED|1)", "_pv_free");
        long pmap = StructPvEntry.pv_pmap(km, pv);
        if (pmap != 0) {
            long spin = pmap + StructPmap.pm_spin$OFFSET;
            lwkt.spinLock(spin);
            Kassert.kkassert(StructPvEntry.pv_pmap(km, pv) == pmap, "pv->pv_pmap == pmap", "_pv_free");
            if (StructPmap.pm_pvhint_pt(km, pmap) == pv) {
                StructPmap.pm_pvhint_pt(km, pmap, 0);
            }
            if (km.load64(pmap + StructPmap.pm_pvhint_unused$OFFSET) == pv) {
                km.store64(pmap + StructPmap.pm_pvhint_unused$OFFSET, 0);
            }
            pvEntryRbTree.rbRemove(StructPmap.pm_pvroot(pmap), pv);
            km.fetchAdd64(pmap + StructPmap.resident_count$OFFSET, -1);
            StructPvEntry.pv_pmap(km, pv, 0);
            StructPvEntry.pv_pindex(km, pv, 0);
            lwkt.spinUnlock(spin);

            if (pvp != 0 && vmPage2().vmPageUnwireQuick(StructPvEntry.pv_m(km, pvp))) {
                throw Kassert.panic("_pv_free: bad wirecount on pvp");
            }
            if (km.cas32(pvHoldAddr(pv), PV_HOLD_LOCKED | 2, 0)) {
                vmZone().zfree(pvzone(), pv);
                return;
            }
            pvDrop(pv);
        }
        pvUnlock(pv);
        pvDrop(pv);
    }

    /** pv_placemarker_wait(): sleeps until a placemarker we do not own is released. May block. */
    private void pvPlacemarkerWait(long pmap, long pmark) {
        long mark = km.load64(pmark);
        while (mark != PM_NOPLACEMARK) {
            if (km.cas64(pmark, mark, mark | PM_PLACEMARK_WAKEUP)) {
                lwkt.tsleep(pmark, "pvplw", 0);
                break;
            }
            mark = km.load64(pmark);
        }
    }

    /** pv_placemarker_wakeup(): releases a placemarker we own, waking waiters. Never blocks. */
    private void pvPlacemarkerWakeup(long pmap, long pmark) {
        long pindex = km.swap64(pmark, PM_NOPLACEMARK);
        Kassert.kkassert(pindex != PM_NOPLACEMARK, "pindex != PM_NOPLACEMARK", "pv_placemarker_wakeup");
        if ((pindex & PM_PLACEMARK_WAKEUP) != 0) {
            lwkt.wakeup(pmark);
        }
    }

    // ---- scanning a range: pmap_remove, pmap_protect -------------------------------------------

    /** The per-PTE action of a scan (the C's info->func). */
    @FunctionalInterface
    private interface ScanFunc {
        void apply(long pmap, ScanInfo info, long ptePlacemark, long ptPv, long va, long ptep);
    }

    /** struct pmap_scan_info (on the C's stack; a Java object here). */
    private static final class ScanInfo {
        long pmap;
        long sva;
        long eva;
        long svaPdPindex;
        long evaPdPindex;
        ScanFunc func;
        int prot;
        final PmapInval.Bulk bulkCore = new PmapInval.Bulk();
        PmapInval.Bulk bulk;
        int count;
        boolean stop;
    }

    /**
     * pmap_scan(): calls info.func for every valid PTE in [sva, eva), holding the PTE's
     * placemarker (consumed by func) and, for user addresses, the PT pv locked. User ranges are
     * walked by the PD pvs in the pmap's tree; kernel ranges by PD index through the recursive
     * map. With {@code smpInval} the changes are invalidated (batched for kernel_pmap). May block.
     */
    private void pmapScan(ScanInfo info, boolean smpInval) {
        long pmap = info.pmap;
        info.stop = false;
        if (pmap == 0 || info.sva == info.eva) {
            return;
        }
        if (smpInval) {
            info.bulk = info.bulkCore;
            inval.pmapInvalBulkInit(info.bulkCore, pmap);
        } else {
            info.bulk = null;
        }
        info.count = 0;

        // One page: common enough for a shortcut. Locks are ordered bottom-up: pte, pt.
        if (info.sva + PAGE_SIZE == info.eva) {
            long[] ptePlacemark = new long[1];
            long ptPv;
            long ptep;
            if (uge(info.sva, Vmparam.VM_MAX_USER_ADDRESS)) {
                ptPv = 0;
                long ptePv = pvGet(pmap, pmapPtePindex(info.sva), ptePlacemark);
                Kassert.kkassert(ptePv == 0, "pte_pv == NULL", "pmap_scan");
                ptep = vtopte(info.sva);
            } else {
                long ptePv = pvGet(pmap, pmapPtePindex(info.sva), ptePlacemark);
                Kassert.kkassert(ptePv == 0, "pte_pv == NULL", "pmap_scan");
                long[] ptPlacemark = new long[1];
                ptPv = pvGet(pmap, pmapPtPindex(info.sva), ptPlacemark);
                if (ptPv == 0) {
                    pvPlacemarkerWakeup(pmap, ptPlacemark[0]);
                    pvPlacemarkerWakeup(pmap, ptePlacemark[0]);
                    inval.pmapInvalBulkFlush(info.bulk);
                    return;
                }
                ptep = pvPteLookup(ptPv, pmapPteIndex(info.sva));
            }
            long oldpte = km.load64(ptep);
            if (oldpte == 0) {
                pvPlacemarkerWakeup(pmap, ptePlacemark[0]);
            } else {
                Kassert.kassert((oldpte & bits(pmap, PG_V_IDX)) == bits(pmap, PG_V_IDX),
                        () -> String.format("badB *ptep %016x/%016x sva %016x pte_pv NULL",
                                km.load64(ptep), oldpte, info.sva));
                info.func.apply(pmap, info, ptePlacemark[0], ptPv, info.sva, ptep);
            }
            if (ptPv != 0) {
                pvPut(ptPv);
            }
            inval.pmapInvalBulkFlush(info.bulk);
            return;
        }

        // Nominal case, by PD pindex (inclusive range: eva may overflow).
        info.svaPdPindex = pmapPdPindex(info.sva);
        info.evaPdPindex = pmapPdPindex(info.eva - PAGE_SIZE);
        long spin = pmap + StructPmap.pm_spin$OFFSET;
        if (uge(info.sva, Vmparam.VM_MAX_USER_ADDRESS)) {
            // The kernel keeps no pv_entry for its page tables: walk every PD index.
            lwkt.spinLock(spin);
            long pdPindex = info.svaPdPindex;
            while (Long.compareUnsigned(pdPindex, info.evaPdPindex) <= 0) {
                if (pmapScanCallback(pdPindex, info) < 0) {
                    break;
                }
                ++pdPindex;
                if (ult(pdPindex, info.svaPdPindex)) {
                    break;
                }
            }
            lwkt.spinUnlock(spin);
        } else {
            // User page tables: the PD pvs in range (RB_SCAN with pmap_scan_cmp, as a keyed walk).
            lwkt.spinLock(spin);
            long key = info.svaPdPindex;
            for (;;) {
                long pv = pvEntryNfind(pmap, key);
                if (pv == 0 || Long.compareUnsigned(StructPvEntry.pv_pindex(km, pv), info.evaPdPindex) > 0) {
                    break;
                }
                long pdPindex = StructPvEntry.pv_pindex(km, pv);
                key = pdPindex + 1;
                if (pmapScanCallback(pdPindex, info) < 0) {
                    break;
                }
            }
            lwkt.spinUnlock(spin);
        }
        inval.pmapInvalBulkFlush(info.bulk);
    }

    /**
     * pmap_scan_callback(): scans the part of [sva, eva) under one PD (1 GiB), PT page by PT page
     * and PTE by PTE. Called and returns with pm_spin held; drops it meanwhile. PORT: takes the
     * PD pindex directly (the C reads it from the pv, or from a dummy pv for kernel scans).
     */
    private int pmapScanCallback(long pdPindex, ScanInfo info) {
        long pmap = info.pmap;
        long spin = pmap + StructPmap.pm_spin$OFFSET;
        if (info.stop) {
            return -1;
        }
        lwkt.spinUnlock(spin);

        long sva = (pdPindex - pmapPdPindex(0)) << PDPSHIFT;
        if ((StructPmap.pm_flags(km, pmap) & PMAP_FLAG_SIMPLE) == 0 && (sva & PML4_SIGNMASK) != 0) {
            sva |= PML4_SIGNMASK;
        }
        long eva = sva + NBPDP;
        if (ult(sva, info.sva)) {
            sva = info.sva;
        }
        if (ult(eva, info.sva) || Long.compareUnsigned(eva, info.eva) > 0) {
            eva = info.eva;
        }

        long pdPv = 0;
        long ptPv = 0;
        long[] ptPlacemark = new long[1];
        long[] ptePlacemark = new long[1];
        boolean[] error = new boolean[1];
        long vaNext;
        for (; ult(sva, eva); sva = vaNext) {
            if (info.stop) {
                break;
            }
            boolean kernelSkip = false;
            if (uge(sva, Vmparam.VM_MAX_USER_ADDRESS)) {
                if (ptPv != 0) {
                    pvPut(ptPv);
                    ptPv = 0;
                }
                kernelSkip = true;
            }
            if (!kernelSkip) {
                // PD cache; skip the whole PD if it does not exist.
                if (pdPv == 0) {
                    pdPv = pvGet(pmap, pmapPdPindex(sva), null);
                } else if (StructPvEntry.pv_pmap(km, pdPv) != pmap || StructPvEntry.pv_pindex(km, pdPv) != pmapPdPindex(sva)) {
                    pvPut(pdPv);
                    pdPv = pvGet(pmap, pmapPdPindex(sva), null);
                }
                if (pdPv == 0) {
                    vaNext = (sva + NBPDP) & ~PDPMASK;
                    if (ult(vaNext, sva)) {
                        vaNext = eva;
                    }
                    continue;
                }
                // PT cache.
                if (ptPv != 0 && (StructPvEntry.pv_pmap(km, ptPv) != pmap
                        || StructPvEntry.pv_pindex(km, ptPv) != pmapPtPindex(sva))) {
                    pvPut(ptPv);
                    ptPv = 0;
                }
                if (ptPv == 0) {
                    ptPv = pvGetTry(pmap, pmapPtPindex(sva), ptPlacemark, error);
                    if (error[0]) {
                        pvPut(pdPv);
                        pdPv = 0;
                        if (ptPv != 0) {
                            pvLock(ptPv);
                            pvPut(ptPv);
                            ptPv = 0;
                        } else {
                            pvPlacemarkerWait(pmap, ptPlacemark[0]);
                        }
                        vaNext = sva;
                        continue;
                    }
                }
                if (ptPv == 0) {
                    // No page table page here.
                    pvPlacemarkerWakeup(pmap, ptPlacemark[0]);
                    vaNext = (sva + NBPDR) & ~PDRMASK;
                    if (ult(vaNext, sva)) {
                        vaNext = eva;
                    }
                    continue;
                }
            }

            // kernel_skip: scan to the end of this page table page or of the range.
            vaNext = (sva + NBPDR) & ~PDRMASK;
            if (ult(vaNext, sva)) {
                vaNext = eva;
            }
            if (Long.compareUnsigned(vaNext, eva) > 0) {
                vaNext = eva;
            }
            long ptep = ptPv != 0 ? pvPteLookup(ptPv, pmapPteIndex(sva)) : vtopte(sva);

            while (ult(sva, vaNext)) {
                if ((++info.count & 63) == 0) {
                    lwkt.lwktYield();
                }
                if (info.stop) {
                    break;
                }
                // Unlocked shortcut for an empty PTE.
                if (km.load64(ptep) == 0) {
                    sva += PAGE_SIZE;
                    ptep += 8;
                    continue;
                }
                long ptePv = pvGetTry(pmap, pmapPtePindex(sva), ptePlacemark, error);
                Kassert.kkassert(ptePv == 0, "pte_pv == NULL", "pmap_scan_callback");
                if (error[0]) {
                    if (pdPv != 0) {
                        pvPut(pdPv);
                        pdPv = 0;
                    }
                    if (ptPv != 0) {
                        pvPut(ptPv);
                        ptPv = 0;
                    }
                    pvPlacemarkerWait(pmap, ptePlacemark[0]);
                    vaNext = sva;
                    break;
                }
                long oldpte = km.load64(ptep);
                if (oldpte == 0) {
                    pvPlacemarkerWakeup(pmap, ptePlacemark[0]);
                    sva += PAGE_SIZE;
                    ptep += 8;
                    continue;
                }
                // pd_pv cannot be held across the callback.
                if (pdPv != 0) {
                    vmPage2().vmPageWireQuick(StructPvEntry.pv_m(km, pdPv));
                    pvUnlock(pdPv);
                }
                final long va = sva;
                final long badPte = oldpte;
                Kassert.kassert((oldpte & bits(pmap, PG_V_IDX)) != 0,
                        () -> String.format("bad *ptep %016x sva %016x", badPte, va));
                info.func.apply(pmap, info, ptePlacemark[0], ptPv, sva, ptep);
                if (pdPv != 0) {
                    pvLock(pdPv);
                    if (vmPage2().vmPageUnwireQuick(StructPvEntry.pv_m(km, pdPv))) {
                        throw Kassert.panic("pmap_scan_callback: bad wirecount on pd_pv");
                    }
                    if (StructPvEntry.pv_pmap(km, pdPv) == 0) {
                        vaNext = sva;
                        break;
                    }
                }
                if (ptPv != 0 && StructPvEntry.pv_pmap(km, ptPv) != pmap) {
                    break;
                }
                sva += PAGE_SIZE;
                ptep += 8;
            }
        }
        if (pdPv != 0) {
            pvPut(pdPv);
        }
        if (ptPv != 0) {
            pvPut(ptPv);
        }
        if ((++info.count & 7) == 0) {
            lwkt.lwktYield();
        }
        lwkt.spinLock(spin);
        return 0;
    }

    /**
     * pmap_remove(): removes every mapping in [sva, eva) from pmap, transferring M and A to the
     * vm_pages, and invalidates the TLBs. Page-table pages stay (pmap_dynamic_delete is off).
     * May block.
     */
    public void pmapRemove(long pmap, long sva, long eva) {
        ScanInfo info = new ScanInfo();
        info.pmap = pmap;
        info.sva = sva;
        info.eva = eva;
        info.func = this::pmapRemoveCallback;
        pmapScan(info, true);
    }

    /** pmap_remove_callback(): clears one PTE (placemarker held) and does its accounting. */
    private void pmapRemoveCallback(long pmap, ScanInfo info, long ptePlacemark, long ptPv, long va, long ptep) {
        long pte = km.load64(ptep);
        long oldm = 0;
        long managed = bits(pmap, PG_MANAGED_IDX);
        if ((pte & managed) != 0) {
            oldm = vmPage().PHYS_TO_VM_PAGE(pte & PG_FRAME);
            km.fetchAdd64(oldm + StructVmPage.md$OFFSET, 1);
        }
        pte = inval.pmapInvalBulk(info.bulk, va, ptep, 0);
        if ((pte & managed) != 0) {
            long p = vmPage().PHYS_TO_VM_PAGE(pte & PG_FRAME);
            Kassert.kkassert((pte & bits(pmap, PG_V_IDX)) != 0, "pte & PG_V", "pmap_remove_callback");
            if ((pte & bits(pmap, PG_M_IDX)) != 0) {
                vmPage().vmPageDirty(p);
            }
            if ((pte & bits(pmap, PG_A_IDX)) != 0) {
                vmPage2().vmPageFlagSet(p, PG_REFERENCED);
            }
            pmapRemovedPte(p, pte);
        }
        if ((pte & bits(pmap, PG_V_IDX)) != 0) {
            km.fetchAdd64(pmap + StructPmap.resident_count$OFFSET, -1);
            if (ptPv != 0 && vmPage2().vmPageUnwireQuick(StructPvEntry.pv_m(km, ptPv))) {
                throw Kassert.panic("pmap_remove: insufficient wirecount");
            }
        }
        if ((pte & bits(pmap, PG_W_IDX)) != 0) {
            km.fetchAdd64(pmap + StructPmap.wired_count$OFFSET, -1);
        }
        if ((pte & bits(pmap, PG_G_IDX)) != 0) {
            cpuInvlpg(va);
        }
        pvPlacemarkerWakeup(pmap, ptePlacemark);
        if (oldm != 0) {
            interlockRelease(oldm);
        }
    }

    /**
     * Drops the md.interlock_count hold a PTE swap took on oldm and wakes a pmap_clearbit or
     * pmap_remove_all waiting for it to drain (the 0x4000... bit).
     */
    private void interlockRelease(long oldm) {
        long a = oldm + StructVmPage.md$OFFSET;
        if ((km.fetchAdd64(a, -1) & 0x7FFFFFFFFFFFFFFFL) == 0x4000000000000001L) {
            for (;;) {
                long v = km.load64(a);
                if (km.cas64(a, v, v & ~0x4000000000000000L)) {
                    break;
                }
            }
            lwkt.wakeup(a);
        }
    }

    /**
     * pmap_protect(): lowers the protection of [sva, eva): no READ/EXECUTE removes the mappings,
     * WRITE kept changes nothing, otherwise clears RW (moving M and A to the pages). May block.
     */
    public void pmapProtect(long pmap, long sva, long eva, int prot) {
        if (pmap == 0) {
            return;
        }
        if ((prot & (Vm.VM_PROT_READ | Vm.VM_PROT_EXECUTE)) == Vm.VM_PROT_NONE) {
            pmapRemove(pmap, sva, eva);
            return;
        }
        if ((prot & Vm.VM_PROT_WRITE) != 0) {
            return;
        }
        ScanInfo info = new ScanInfo();
        info.pmap = pmap;
        info.sva = sva;
        info.eva = eva;
        info.func = this::pmapProtectCallback;
        info.prot = prot;
        pmapScan(info, true);
    }

    /** pmap_protect_callback(): write-protects one PTE (placemarker held). */
    private void pmapProtectCallback(long pmap, ScanInfo info, long ptePlacemark, long ptPv, long va, long ptep) {
        for (;;) {
            long pbits = km.load64(ptep);
            long cbits = pbits;
            if ((pbits & bits(pmap, PG_MANAGED_IDX)) != 0) {
                cbits &= ~bits(pmap, PG_A_IDX);
                cbits &= ~bits(pmap, PG_M_IDX);
            }
            cbits &= ~bits(pmap, PG_RW_IDX);
            if (pbits != cbits && !inval.pmapInvalSmpCmpset(pmap, va, ptep, pbits, cbits)) {
                continue;
            }
            if ((pbits & bits(pmap, PG_MANAGED_IDX)) != 0) {
                long m = vmPage().PHYS_TO_VM_PAGE(pbits & PG_FRAME);
                if ((pbits & bits(pmap, PG_A_IDX)) != 0) {
                    vmPage2().vmPageFlagSet(m, PG_REFERENCED);
                }
                if ((pbits & bits(pmap, PG_M_IDX)) != 0) {
                    vmPage().vmPageDirty(m);
                }
            }
            break;
        }
        pvPlacemarkerWakeup(pmap, ptePlacemark);
    }

    // ---- entering mappings -----------------------------------------------------------------------

    /**
     * pmap_enter(): maps page m at va in pmap with {@code prot} (VM_PROT_*; VM_PROT_NOSYNC allows
     * skipping the cpu synchronisation), wired or not, replacing any previous mapping. For a user
     * address the page-table pages are created as needed (pmap_allocpte, which may vm_wait).
     * Sets PG_MAPPED (PG_MAPPEDMULTI if already mapped) and PG_WRITEABLE on m. {@code entry} is
     * the map entry (0 allowed unless a managed page is being replaced). The page must be busied
     * (hard or soft). May block.
     */
    public void pmapEnter(long pmap, long va, long m, int prot, boolean wired, long entry) {
        if (pmap == 0) {
            return;
        }
        va = Param.truncPage(va);
        if (uge(va, kvaEnd()) && uge(va, Vmparam.VM_MAX_USER_ADDRESS)) {
            throw Kassert.panic("pmap_enter: toobig");
        }
        if (uge(va, Vmparam.UPT_MIN_ADDRESS) && ult(va, Vmparam.UPT_MAX_ADDRESS)) {
            throw Kassert.panic("pmap_enter: invalid to pmap_enter page table pages (va: 0x%x)", va);
        }
        if (ult(va, Vmparam.UPT_MAX_ADDRESS) && pmap == kernelPmap) {
            kernel.kprintf("Warning: pmap_enter called on UVA with kernel_pmap");
        }
        if (uge(va, Vmparam.UPT_MAX_ADDRESS) && pmap != kernelPmap) {
            kernel.kprintf("Warning: pmap_enter called on KVA withoutkernel_pmap");
        }

        long ptPv;
        long[] ptePlacemark = new long[1];
        long ptep;
        long origpte;
        if (!pmapInitialized()) {
            ptPv = 0;
            ptePlacemark[0] = 0;
            ptep = vtopte(va);
            origpte = km.load64(ptep);
        } else {
            long ptePv = pvGet(pmap, pmapPtePindex(va), ptePlacemark);
            Kassert.kkassert(ptePv == 0, "pte_pv == NULL", "pmap_enter");
            if (uge(va, Vmparam.VM_MAX_USER_ADDRESS)) {
                ptPv = 0;
                ptep = vtopte(va);
            } else {
                ptPv = pmapAllocpte(pmap, pmapPtPindex(va), null);
                ptep = pvPteLookup(ptPv, pmapPteIndex(va));
            }
            origpte = km.load64(ptep);
        }

        long pa = vmPage().VM_PAGE_TO_PHYS(m);
        long newpte = pa | StructPmap.protection_codes(km, pmap, prot & Vm.VM_PROT_ALL)
                | bits(pmap, PG_V_IDX) | bits(pmap, PG_A_IDX);
        if (wired) {
            newpte |= bits(pmap, PG_W_IDX);
        }
        if (ult(va, Vmparam.VM_MAX_USER_ADDRESS)) {
            newpte |= bits(pmap, PG_U_IDX);
        }
        if ((StructVmPage.flags(km, m) & PG_FICTITIOUS) == 0) {
            newpte |= bits(pmap, PG_MANAGED_IDX);
        }
        newpte |= StructPmap.pmap_cache_bits_pte(km, pmap, StructVmPage.pat_mode(km, m));

        // Threaded faults may find the PTE already right.
        if (((origpte ^ newpte) & ~(bits(pmap, PG_M_IDX) | bits(pmap, PG_A_IDX))) != 0) {
            long fa = m + StructVmPage.flags$OFFSET;
            int flags = km.load32(fa);
            for (;;) {
                int nflags = PG_MAPPED;
                if ((newpte & bits(pmap, PG_RW_IDX)) != 0) {
                    nflags |= PG_WRITEABLE;
                }
                if ((flags & PG_MAPPED) != 0) {
                    nflags |= PG_MAPPEDMULTI;
                }
                if (flags == (flags | nflags) || km.cas32(fa, flags, flags | nflags)) {
                    break;
                }
                flags = km.load32(fa);
            }

            long opa = origpte & PG_FRAME;
            long oldm;
            if (opa != 0 && (origpte & bits(pmap, PG_MANAGED_IDX)) != 0) {
                oldm = vmPage().PHYS_TO_VM_PAGE(opa);
                Kassert.kkassert(opa == StructVmPage.phys_addr(km, oldm), "opa == oldm->phys_addr", "pmap_enter");
                Kassert.kkassert(entry != 0, "entry != NULL", "pmap_enter");
                km.fetchAdd64(oldm + StructVmPage.md$OFFSET, 1);
            } else {
                oldm = 0;
            }

            if ((prot & Vm.VM_PROT_NOSYNC) != 0 || (opa == 0 && ptPv != 0)) {
                origpte = km.swap64(ptep, newpte);
                if (opa != 0) {
                    cpuInvlpg(va);
                }
            } else {
                origpte = inval.pmapInvalSmp(pmap, va, 1, ptep, newpte);
            }
            opa = origpte & PG_FRAME;

            if (ptPv != 0 && opa == 0) {
                vmPage2().vmPageWireQuick(StructPvEntry.pv_m(km, ptPv));
                km.fetchAdd64(StructPvEntry.pv_pmap(km, ptPv) + StructPmap.resident_count$OFFSET, 1);
            }
            if (wired && (origpte & bits(pmap, PG_W_IDX)) == 0) {
                km.fetchAdd64(pmap + StructPmap.wired_count$OFFSET, 1);
            }
            if (opa != 0 && (origpte & bits(pmap, PG_MANAGED_IDX)) != 0) {
                Kassert.kkassert(oldm == vmPage().PHYS_TO_VM_PAGE(opa), "oldm == PHYS_TO_VM_PAGE(opa)", "pmap_enter");
                if ((origpte & bits(pmap, PG_M_IDX)) != 0) {
                    vmPage().vmPageDirty(oldm);
                }
                if ((origpte & bits(pmap, PG_A_IDX)) != 0) {
                    vmPage2().vmPageFlagSet(oldm, PG_REFERENCED);
                }
                pmapRemovedPte(oldm, origpte);
            }
            if (oldm != 0) {
                interlockRelease(oldm);
            }
        }

        // done:
        Kassert.kkassert((newpte & bits(pmap, PG_MANAGED_IDX)) == 0 || (StructVmPage.flags(km, m) & PG_MAPPED) != 0,
                "(newpte & PG_MANAGED) == 0 || (m->flags & PG_MAPPED)", "pmap_enter");
        if (ptePlacemark[0] != 0) {
            pvPlacemarkerWakeup(pmap, ptePlacemark[0]);
        }
        if (ptPv != 0) {
            pvPut(ptPv);
        }
    }

    /**
     * pmap_prefault_ok(): whether {@code addr} can be prefaulted trivially, that is no valid PTE
     * is loaded for it (a missing page table counts as trivial: pmap_enter builds it). The
     * address lies in a mapped range of the locked map. Never blocks.
     */
    public boolean pmapPrefaultOk(long pmap, long addr) {
        long pte = pmapPte(pmap, addr);
        return pte == 0 || (km.load64(pte) & bits(pmap, PG_V_IDX)) == 0;
    }

    /**
     * pmap_unwire(): clears the wired bit of va's PTE and returns its page (for the caller to
     * unwire), or 0 if nothing is mapped there. May block on the PT pv (user pmaps).
     */
    public long pmapUnwire(long pmap, long va) {
        if (pmap == 0) {
            return 0;
        }
        long ptep;
        long m;
        if (pmap == kernelPmap) {
            if (pmapPt(pmap, va) == 0) {
                return 0;
            }
            ptep = pmapPte(pmap, va);
            if ((km.load64(ptep) & bits(pmap, PG_V_IDX)) != 0) {
                if ((km.load64(ptep) & bits(pmap, PG_W_IDX)) != 0) {
                    km.fetchAdd64(pmap + StructPmap.wired_count$OFFSET, -1);
                }
                atomicClearLong(ptep, bits(pmap, PG_W_IDX));
                m = vmPage().PHYS_TO_VM_PAGE(km.load64(ptep) & PG_FRAME);
            } else {
                m = 0;
            }
        } else {
            long ptPv = pvGet(pmap, pmapPtPindex(va), null);
            if (ptPv == 0) {
                return 0;
            }
            ptep = pvPteLookup(ptPv, pmapPteIndex(va));
            if ((km.load64(ptep) & bits(pmap, PG_V_IDX)) == 0) {
                pvPut(ptPv);
                return 0;
            }
            if ((km.load64(ptep) & bits(pmap, PG_W_IDX)) != 0) {
                km.fetchAdd64(StructPvEntry.pv_pmap(km, ptPv) + StructPmap.wired_count$OFFSET, -1);
            }
            atomicClearLong(ptep, bits(pmap, PG_W_IDX));
            m = vmPage().PHYS_TO_VM_PAGE(km.load64(ptep) & PG_FRAME);
            pvPut(ptPv);
        }
        return m;
    }

    private void atomicClearLong(long a, long bitsToClear) {
        for (;;) {
            long v = km.load64(a);
            if (km.cas64(a, v, v & ~bitsToClear)) {
                return;
            }
        }
    }

    /** pmap_zero_page(): zeroes the physical page through the DMAP. Never blocks. */
    public void pmapZeroPage(long phys) {
        km.zeroPage(phys);
    }

    /** pmap_copy_page(): copies a physical page through the DMAP. Never blocks. */
    public void pmapCopyPage(long src, long dst) {
        km.copyPage(src, dst);
    }

    // ---- per-page operations through the backing scan --------------------------------------------

    /** A visit of PMAP_PAGE_BACKING_SCAN: one candidate PTE of the page. Returns false to stop. */
    @FunctionalInterface
    private interface BackingVisit {
        /** What the scan should do next. */
        int visit(long ipmap, long iptep, long ipte, long iva);
    }

    private static final int SCAN_NEXT = 0;
    private static final int SCAN_STOP = 1;
    private static final int SCAN_RETRY = 2;

    /**
     * PMAP_PAGE_BACKING_SCAN: visits every PTE that maps m, found through the vm_map_backing
     * elements on m's object's backing_list (under the object's backing_lk): for each backing
     * whose object range holds m->pindex, the PTE at the corresponding address in the backing's
     * pmap, if it maps m's physical page. A visit may ask to retry the same backing (after a
     * lost cmpset race) or to stop. May block on backing_lk.
     */
    private void pmapPageBackingScan(long m, long matchPmap, BackingVisit v) {
        long iobj = StructVmPage.object(km, m);
        if (iobj == 0) {
            return;
        }
        long lk = iobj + StructVmObject.backing_lk$OFFSET;
        lwkt.lockmgrExclusive(lk, "backing_lk");
        try {
            long entryOff = StructVmMapEntry.ba_entry$OFFSET;
            long nextBa = km.load64(iobj + StructVmObject.backing_list$OFFSET);
            long iba;
            while ((iba = nextBa) != 0) {
                nextBa = km.load64(iba + entryOff);
                long ipmap = StructVmMapEntry.ba_pmap(km, iba);
                if (matchPmap != 0 && ipmap != matchPmap) {
                    continue;
                }
                long ipindexStart = StructVmMapEntry.ba_offset(km, iba) >>> PAGE_SHIFT;
                long ipindexEnd = ipindexStart
                        + ((StructVmMapEntry.ba_end(km, iba) - StructVmMapEntry.ba_start(km, iba)) >>> PAGE_SHIFT);
                long pindex = StructVmPage.pindex(km, m);
                if (ult(pindex, ipindexStart) || uge(pindex, ipindexEnd)) {
                    continue;
                }
                long iva = StructVmMapEntry.ba_start(km, iba) + ((pindex - ipindexStart) << PAGE_SHIFT);
                long iptep = pmapPte(ipmap, iva);
                if (iptep == 0) {
                    continue;
                }
                long ipte = km.load64(iptep);
                if (StructVmPage.phys_addr(km, m) != (ipte & PG_FRAME)) {
                    continue;
                }
                int r = v.visit(ipmap, iptep, ipte, iva);
                if (r == SCAN_STOP) {
                    break;
                }
                if (r == SCAN_RETRY) {
                    nextBa = iba;
                }
            }
        } finally {
            lwkt.lockmgrRelease(lk);
        }
    }

    /**
     * pmap_testbit(): true if any PTE mapping m has the pmap bit {@code bitIndex} (PG_M_IDX: only
     * pages flagged PG_WRITEABLE can have it). May block on backing_lk.
     */
    private boolean pmapTestbit(long m, int bitIndex) {
        if (!pmapInitialized() || (StructVmPage.flags(km, m) & PG_FICTITIOUS) != 0) {
            return false;
        }
        if (bitIndex == PG_M_IDX && (StructVmPage.flags(km, m) & PG_WRITEABLE) == 0) {
            return false;
        }
        boolean[] res = new boolean[1];
        pmapPageBackingScan(m, 0, (ipmap, iptep, ipte, iva) -> {
            if ((ipte & bits(ipmap, bitIndex)) != 0) {
                res[0] = true;
                return SCAN_STOP;
            }
            return SCAN_NEXT;
        });
        return res[0];
    }

    /**
     * pmap_clearbit(): clears the pmap bit {@code bitIndex} in every PTE mapping m. For PG_RW_IDX
     * also clears M (dirtying the page if it was set), waits for racing pmap_enter()s to drain
     * md.interlock_count, and clears PG_WRITEABLE. The page must be hard-busied; no spinlock held.
     * May block.
     *
     * <p>PORT: clearing M or A is done with pmap_inval_smp_cmpset (the C uses a plain atomic
     * clear without TLB invalidation), so no cpu keeps a TLB entry whose cached D bit would let
     * further writes go unrecorded after pmap_clear_modify().
     */
    private void pmapClearbit(long m, int bitIndex) {
        if (!pmapInitialized()) {
            if (bitIndex == PG_RW_IDX) {
                vmPage2().vmPageFlagClear(m, PG_WRITEABLE);
            }
            return;
        }
        if ((StructVmPage.flags(km, m) & (PG_MAPPED | PG_WRITEABLE)) == 0) {
            return;
        }
        if (bitIndex != PG_RW_IDX) {
            pmapPageBackingScan(m, 0, (ipmap, iptep, ipte, iva) -> {
                long bit = bits(ipmap, bitIndex);
                if ((ipte & bit) == 0) {
                    return SCAN_NEXT;
                }
                return inval.pmapInvalSmpCmpset(ipmap, iva, iptep, ipte, ipte & ~bit) ? SCAN_NEXT : SCAN_RETRY;
            });
            return;
        }
        if ((StructVmPage.flags(km, m) & PG_WRITEABLE) == 0) {
            return;
        }
        long retry = lwkt.ticks() + lwkt.hz() * 60L;
        long icountAddr = m + StructVmPage.md$OFFSET;
        again:
        for (;;) {
            pmapPageBackingScan(m, 0, (ipmap, iptep, ipte, iva) -> {
                if ((ipte & bits(ipmap, PG_RW_IDX)) == 0) {
                    return SCAN_NEXT;
                }
                long npte = ipte & ~(bits(ipmap, PG_RW_IDX) | bits(ipmap, PG_M_IDX));
                if (!inval.pmapInvalSmpCmpset(ipmap, iva, iptep, ipte, npte)) {
                    return SCAN_RETRY;
                }
                if ((ipte & bits(ipmap, PG_M_IDX)) != 0) {
                    vmPage().vmPageDirty(m);
                }
                return SCAN_NEXT;
            });
            if (waitInterlockDrained(icountAddr, retry, "pmap_clearbit")) {
                continue again;
            }
            break;
        }
        vmPage2().vmPageFlagClear(m, PG_WRITEABLE);
    }

    /**
     * The tail of pmap_clearbit(PG_RW)/pmap_remove_all(): marks md.interlock_count as examined
     * and, while a racing pmap_enter() still holds it, sleeps a tick and asks for another scan
     * (returns true). Panics if it does not drain within a minute.
     */
    private boolean waitInterlockDrained(long icountAddr, long retry, String fn) {
        long icount = km.fetchAdd64(icountAddr, 0x8000000000000000L) + 0x8000000000000000L;
        while ((icount & 0x3FFFFFFFFFFFFFFFL) != 0) {
            if (km.cas64(icountAddr, icount, icount | 0x4000000000000000L)) {
                lwkt.tsleep(icountAddr, "pgunm", 1);
                if (retry - lwkt.ticks() > 0) {
                    return true;
                }
                throw Kassert.panic("%s: cannot return interlock_count to 0 (0x%x, %d)", fn,
                        icountAddr - StructVmPage.md$OFFSET, km.load64(icountAddr));
            }
            icount = km.load64(icountAddr);
        }
        return false;
    }

    /**
     * pmap_remove_all(): removes m from every pmap that maps it (through the backing scan),
     * moving M and A to the page and dropping the PT pages' wirings, then clears PG_MAPPED,
     * PG_MAPPEDMULTI and PG_WRITEABLE. The page must be hard-busied. May block.
     */
    private void pmapRemoveAll(long m) {
        if (!pmapInitialized()) {
            return;
        }
        if ((StructVmPage.flags(km, m) & PG_MAPPED) == 0) {
            return;
        }
        long retry = lwkt.ticks() + lwkt.hz() * 60L;
        long icountAddr = m + StructVmPage.md$OFFSET;
        for (;;) {
            pmapPageBackingScan(m, 0, (ipmap, iptep, ipte, iva) -> {
                if (!inval.pmapInvalSmpCmpset(ipmap, iva, iptep, ipte, 0)) {
                    return SCAN_RETRY;
                }
                if ((ipte & bits(ipmap, PG_MANAGED_IDX)) != 0) {
                    if ((ipte & bits(ipmap, PG_M_IDX)) != 0) {
                        vmPage().vmPageDirty(m);
                    }
                    if ((ipte & bits(ipmap, PG_A_IDX)) != 0) {
                        vmPage2().vmPageFlagSet(m, PG_REFERENCED);
                    }
                    pmapRemovedPte(m, ipte);
                }
                // Tracking counters; pt_pv cannot go away thanks to our wiring of it.
                if (ipmap != kernelPmap) {
                    long spin = ipmap + StructPmap.pm_spin$OFFSET;
                    lwkt.spinLock(spin);
                    long ptPv = pvEntryLookup(ipmap, pmapPtPindex(iva));
                    lwkt.spinUnlock(spin);
                    if (ptPv != 0) {
                        if (vmPage2().vmPageUnwireQuick(StructPvEntry.pv_m(km, ptPv))) {
                            throw Kassert.panic("pmap_remove_all: bad wire_count on pt_pv");
                        }
                        km.fetchAdd64(ipmap + StructPmap.resident_count$OFFSET, -1);
                    }
                }
                if ((ipte & bits(ipmap, PG_W_IDX)) != 0) {
                    km.fetchAdd64(ipmap + StructPmap.wired_count$OFFSET, -1);
                }
                if ((ipte & bits(ipmap, PG_G_IDX)) != 0) {
                    cpuInvlpg(iva);
                }
                return SCAN_NEXT;
            });
            if (!waitInterlockDrained(icountAddr, retry, "pmap_remove_all")) {
                break;
            }
        }
        vmPage2().vmPageFlagClear(m, PG_MAPPED | PG_MAPPEDMULTI | PG_WRITEABLE);
    }

    /**
     * pmap_page_protect(): lowers every mapping of m: without WRITE but with READ/EXECUTE
     * write-protects them (clearing PG_WRITEABLE), with neither removes them. The page must be
     * hard-busied. May block.
     */
    public void pmapPageProtect(long m, int prot) {
        if ((prot & Vm.VM_PROT_WRITE) == 0) {
            if ((prot & (Vm.VM_PROT_READ | Vm.VM_PROT_EXECUTE)) != 0) {
                pmapClearbit(m, PG_RW_IDX);
            } else {
                pmapRemoveAll(m);
            }
        }
    }

    /**
     * pmap_ts_referenced(): counts (up to 5) and clears the A bits of m's mappings. May block on
     * backing_lk. PORT: each clear invalidates the TLBs (see pmapClearbit).
     */
    public int pmapTsReferenced(long m) {
        if (!pmapInitialized() || (StructVmPage.flags(km, m) & PG_FICTITIOUS) != 0) {
            return 0;
        }
        int[] rval = new int[1];
        pmapPageBackingScan(m, 0, (ipmap, iptep, ipte, iva) -> {
            if ((ipte & bits(ipmap, PG_A_IDX)) != 0) {
                long npte = ipte & ~bits(ipmap, PG_A_IDX);
                if (!inval.pmapInvalSmpCmpset(ipmap, iva, iptep, ipte, npte)) {
                    return SCAN_RETRY;
                }
                ++rval[0];
                if (rval[0] > 4) {
                    return SCAN_STOP;
                }
            }
            return SCAN_NEXT;
        });
        return rval[0];
    }

    /** pmap_is_modified(): true if any mapping of m has the M (dirty) bit set. May block. */
    public boolean pmapIsModified(long m) {
        return pmapTestbit(m, PG_M_IDX);
    }

    /** pmap_clear_modify(): clears the M bit in every mapping of m. Page hard-busied. May block. */
    public void pmapClearModify(long m) {
        pmapClearbit(m, PG_M_IDX);
    }

    /** pmap_clear_reference(): clears the A bit in every mapping of m. May block. */
    public void pmapClearReference(long m) {
        pmapClearbit(m, PG_A_IDX);
    }

    /**
     * x86_64_protection_init(): protection_codes[] for pmap_nx_enable mode 1 (automatic on an NX
     * CPU): read-only is NX, write is RW, execute has neither. (boot only)
     */
    private void x86_64ProtectionInit() {
        km.store32(globals + PMAP_NX_ENABLE, 1);
        int nx = km.load32(globals + PMAP_NX_ENABLE);
        for (int prot = 0; prot < StructPmap.PROTECTION_CODES_SIZE; prot++) {
            long kp = switch (prot) {
                case Vm.VM_PROT_NONE -> 0;
                case Vm.VM_PROT_READ -> nx >= 1 ? PMAP_BITS_DEFAULT[StructPmap.PG_NX_IDX] : 0;
                case Vm.VM_PROT_READ | Vm.VM_PROT_EXECUTE, Vm.VM_PROT_EXECUTE -> 0;
                case Vm.VM_PROT_WRITE, Vm.VM_PROT_READ | Vm.VM_PROT_WRITE ->
                        PMAP_BITS_DEFAULT[PG_RW_IDX] | (nx >= 2 ? PMAP_BITS_DEFAULT[StructPmap.PG_NX_IDX] : 0);
                default -> PMAP_BITS_DEFAULT[PG_RW_IDX];
            };
            km.store64(globals + PROTECTION_CODES + 8L * prot, kp);
        }
    }

    // ---- context switch (swtch.s) --------------------------------------------------------------

    /**
     * The pmap part of a context switch to a thread of this pmap (swtch.s cpu_heavy_restore):
     * sets the current cpu's bit in pm_active and loads the pmap's PML4 into the cpu's CR3.
     * Requires attached CPUs; called by the running thread. Never blocks.
     *
     * <p>PORT: swtch.s is assembly; this is the pmap-visible half of it, so that TLB shootdowns
     * reach the cpus the pmap is active on.
     */
    public void pmapActivate(long pmap) {
        Cpus c = cpus;
        Kassert.kassert(cpusAttached, () -> "pmap_activate: no CPUs attached");
        int cpu = lwkt.mycpuid();
        long a = pmap + StructPmap.pm_active$OFFSET;
        for (;;) {
            long v = km.load64(a);
            if (km.cas64(a, v, v | (1L << cpu))) {
                break;
            }
        }
        c.cpu(cpu).loadCr3(pmapKextract(StructPmap.pm_pml4(km, pmap)));
    }

    /**
     * The port's return to user mode ({@code Trap.returnToUser}, {@code KernProc.enterUser}):
     * {@link #pmapActivate} unless the current cpu already runs on this pmap, i.e. its CR3 holds
     * the pmap's PML4 and its bit is set in pm_active. Requires attached CPUs. Never blocks.
     *
     * <p>PORT: the C restores a process's context (cpu_heavy_restore, with its unconditional CR3
     * reload) only when it switches to the thread; the emulator's scheduler has no switch hook,
     * so the port restores on every return to user mode and skips the reload when nothing
     * switched the cpu away from this pmap. The reload would only flush the TLB: the port never
     * clears pm_active on switch-out, so every shootdown of this pmap reaches this cpu, and the
     * race the C's comment guards against (pm_active briefly clear) cannot happen.
     */
    public void pmapActivateOnReturn(long pmap) {
        Cpus c = cpus;
        Kassert.kassert(cpusAttached, () -> "pmap_activate: no CPUs attached");
        int cpu = lwkt.mycpuid();
        if ((km.load64(pmap + StructPmap.pm_active$OFFSET) & (1L << cpu)) != 0
                && c.cpu(cpu).cr3() == pmapKextract(StructPmap.pm_pml4(km, pmap))) {
            return;
        }
        pmapActivate(pmap);
    }

    /**
     * The reverse of {@link #pmapActivate}: the current cpu switches back to the kernel's page
     * tables and leaves the pmap's pm_active. Never blocks.
     */
    public void pmapDeactivate(long pmap) {
        Cpus c = cpus;
        Kassert.kassert(cpusAttached, () -> "pmap_deactivate: no CPUs attached");
        int cpu = lwkt.mycpuid();
        c.cpu(cpu).loadCr3(kpml4phys());
        long a = pmap + StructPmap.pm_active$OFFSET;
        for (;;) {
            long v = km.load64(a);
            if (km.cas64(a, v, v & ~(1L << cpu))) {
                break;
            }
        }
    }

    /** KPDPphys: the kernel PDP pages (for the invariant checker). */
    public long kpdpphys() { return km.load64(globals + KPDP_PHYS); }

    /** KPTphys: the first of the boot-time KVA page-table pages (for the invariant checker). */
    public long kptphys() { return km.load64(globals + KPT_PHYS); }

    /** nkpt_phys: how many KVA page-table pages create_pagetables() preallocated. */
    public long nkptphys() { return km.load64(globals + NKPT_PHYS); }
}
