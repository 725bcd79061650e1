package org.dfemu.kernel.vm;

import org.dfemu.emulator.api.Tunable;
import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.kern.Lwkt;
import org.dfemu.kernel.machine.Machdep;
import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.machine.Vmparam;
import org.dfemu.kernel.sys.Queue;
import org.dfemu.kernel.sys.StructGlobaldata;
import org.dfemu.kernel.sys.Sysctl;
import org.dfemu.kernel.sys.StructProc;
import org.dfemu.kernel.sys.StructThread;
import org.dfemu.kernel.sys.StructVmmeter;
import org.dfemu.kernel.sys.StructVmstats;
import org.dfemu.kernel.sys.Tree;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.List;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_LONG;
import static org.dfemu.kernel.Ctypes.C_POINTER;
import static org.dfemu.kernel.machine.Param.DEV_BSHIFT;
import static org.dfemu.kernel.machine.Param.DEV_BSIZE;
import static org.dfemu.kernel.machine.Param.PAGE_SHIFT;
import static org.dfemu.kernel.machine.Param.PAGE_SIZE;
import static org.dfemu.kernel.vm.StructVmPage.ACT_INIT;
import static org.dfemu.kernel.vm.StructVmPage.PBUSY_LOCKED;
import static org.dfemu.kernel.vm.StructVmPage.PBUSY_MASK;
import static org.dfemu.kernel.vm.StructVmPage.PBUSY_WANTED;
import static org.dfemu.kernel.vm.StructVmPage.PG_FICTITIOUS;
import static org.dfemu.kernel.vm.StructVmPage.PG_KEEP_NEWPAGE_MASK;
import static org.dfemu.kernel.vm.StructVmPage.PG_MAPPED;
import static org.dfemu.kernel.vm.StructVmPage.PG_NEED_COMMIT;
import static org.dfemu.kernel.vm.StructVmPage.PG_NOSYNC;
import static org.dfemu.kernel.vm.StructVmPage.PG_REFERENCED;
import static org.dfemu.kernel.vm.StructVmPage.PG_UNQUEUED;
import static org.dfemu.kernel.vm.StructVmPage.PG_WINATCFLS;
import static org.dfemu.kernel.vm.StructVmPage.PG_WRITEABLE;
import static org.dfemu.kernel.vm.StructVmPage.VM_PAGE_BITS_ALL;
import static org.dfemu.kernel.vm.StructVpgqueues.PQ_ACTIVE;
import static org.dfemu.kernel.vm.StructVpgqueues.PQ_CACHE;
import static org.dfemu.kernel.vm.StructVpgqueues.PQ_COUNT;
import static org.dfemu.kernel.vm.StructVpgqueues.PQ_FREE;
import static org.dfemu.kernel.vm.StructVpgqueues.PQ_HOLD;
import static org.dfemu.kernel.vm.StructVpgqueues.PQ_INACTIVE;
import static org.dfemu.kernel.vm.StructVpgqueues.PQ_L2_MASK;
import static org.dfemu.kernel.vm.StructVpgqueues.PQ_L2_SIZE;
import static org.dfemu.kernel.vm.StructVpgqueues.PQ_NONE;

/**
 * vm_page.c: DragonFly BSD sys/vm/vm_page.c at commit 737b020b54 (2021-05-28), the resident
 * memory module: the vm_page array, the page queues, page allocation with its free-page
 * reserves, freeing, wiring, holding, busying, queue movement, object association and the
 * low-memory waits. Also the VM_ALLOC_* flags of vm_page.h.
 *
 * <p>Pages. Every physical page the VM manages has a {@code struct vm_page} ({@link StructVmPage})
 * in {@code vm_page_array}, which vm_page_startup() carves out of the top of the largest RAM
 * range, so it costs what it costs on the real machine (128 bytes per 4 KiB page). Pages are
 * named by the kernel address of their vm_page ({@code vm_page_t m}); 0 is NULL.
 *
 * <p>Queues. {@code vm_page_queues[PQ_COUNT]} holds, for each of PQ_FREE, PQ_INACTIVE, PQ_ACTIVE,
 * PQ_CACHE and PQ_HOLD, PQ_L2_SIZE (1024) colored sub-queues, each a TAILQ with its own spinlock,
 * length {@code lcnt} and the offset of the vmstats counter it feeds (PQ_HOLD feeds
 * v_active_count). A queued page has {@code m->queue == base + m->pc}. Movement:
 * <pre>
 *   FREE --alloc--> (none, busied) --activate/deactivate/cache--> ACTIVE / INACTIVE / CACHE
 *   any --free_toq--> FREE (or HOLD while held) ; HOLD --last unhold--> FREE
 *   CACHE --alloc(NORMAL) below reserved--> freed and reallocated
 * </pre>
 * Lock order: the page's spinlock, then its queue's. _vm_page_list_find() takes them the other
 * way round but only try-locks the page.
 *
 * <p>Allocation classes (vm_page_alloc), the reserve ladder:
 * <pre>
 *   NORMAL / QUICK   down to v_free_reserved; below it NORMAL may recycle a PQ_CACHE page
 *   SYSTEM           down to v_interrupt_free_min, only while the cache is empty
 *                    (TDF_SYSTHREAD threads get SYSTEM implicitly)
 *   INTERRUPT        down to the last free page
 * </pre>
 * A failed allocation counts in vm_pageout_deficit and wakes the pagedaemon; vm_page_alloc never
 * sleeps. vm_wait()/vm_wait_pfault() are the sleeping side, woken by vm_page_free_wakeup().
 *
 * <p>Globals (in the data segment, one struct):
 * <pre>
 * vm_page_t   vm_page_array;          vm_pindex_t vm_page_array_size;   vm_pindex_t first_page;
 * vm_paddr_t  vm_low_phys_reserved;   void *vm_page_dump;               long vm_page_dump_size;
 * u_long vm_dma_reserved;             alist_blk_t vm_contig_alist.bl_free;
 * u_int64_t vm_contig_bitmap[65536 / 64];   // PORT: stands for vm_contig_alist/vm_contig_ameta
 * int vm_pages_waiting;               int set_assoc_mask;               int dnweight;
 * struct vpgqueues vm_page_queues[PQ_COUNT];   // 64-byte aligned, 5121 x 64 bytes
 * </pre>
 * PORT: vm_page_dump and vm_page_dump_size belong to pc64's minidump_machdep.c in the C; the
 * port has no minidumps, so they sit here with the one function that sets them (the bitmap is
 * still carved, as it costs RAM on the real machine; dump_add_page() bookkeeping is not done).
 *
 * <p>PORT, overall:
 * <ul>
 * <li>Statistics go straight to the global vmstats (see {@link VmMeter}); the per-cpu
 *     adjustment and rollup of _vm_page_rem_queue_spinlocked() are gone.</li>
 * <li>LWKT tokens (vm_token, object tokens) are not modelled (see {@link Lwkt}); their
 *     ASSERT_LWKT_TOKEN_HELD checks are dropped.</li>
 * <li>The DMA reserve is kept as the C keeps it (vm_add_new_page parks every page below
 *     vm_low_phys_reserved in vm_contig_alist, vm_page_startup_finish returns all but
 *     vm.dma_reserved of it), but nothing allocates from it: vm_page_alloc_contig has no caller
 *     in the port (no drivers), so it is not ported. PORT: subr_alist.c is not ported either;
 *     vm_contig_alist is a flat bitmap of the alist's 65536 blocks plus its bl_free, and
 *     {@link #alistFreeInfo} answers as the C's radix tree does (see there).</li>
 * <li>No NUMA organisation (no cpu topology is probed), no vm_page_hash lookup heuristic (its
 *     table comes from kmem_alloc3; the C treats a missing table as "not found").</li>
 * </ul>
 */
public final class VmPage {
    // ---- vm_page.h: allocation flags ------------------------------------------------------
    /** Ok to use cache pages. */
    public static final int VM_ALLOC_NORMAL = 0x0001;
    /** Ok to exhaust most of the free list. */
    public static final int VM_ALLOC_SYSTEM = 0x0002;
    /** Ok to exhaust the entire free list. */
    public static final int VM_ALLOC_INTERRUPT = 0x0004;
    /** Request pre-zeroed memory (vm_page_grab zeroes an invalid page). */
    public static final int VM_ALLOC_ZERO = 0x0008;
    /** Like NORMAL but do not use the cache. */
    public static final int VM_ALLOC_QUICK = 0x0010;
    /** vm_page_grab: zero the page even if already valid. */
    public static final int VM_ALLOC_FORCE_ZERO = 0x0020;
    /** Ok to return NULL on an insertion collision. */
    public static final int VM_ALLOC_NULL_OK = 0x0040;
    /** vm_page_grab: block indefinitely. */
    public static final int VM_ALLOC_RETRY = 0x0080;
    /** Use the per-gd cache. */
    public static final int VM_ALLOC_USE_GD = 0x0100;
    public static final int VM_ALLOC_CPU_SPEC = 0x0200;
    public static final int VM_ALLOC_CPU_SHIFT = 16;

    /** VM_ALLOC_CPU(n): allocate with cpu n's page-color localisation. */
    public static int VM_ALLOC_CPU(int n) {
        return (n << VM_ALLOC_CPU_SHIFT) | VM_ALLOC_CPU_SPEC;
    }

    /** VM_ALLOC_GETCPU(flags). */
    public static int VM_ALLOC_GETCPU(int flags) {
        return flags >>> VM_ALLOC_CPU_SHIFT;
    }

    // ---- the DMA reserve ------------------------------------------------------------------
    /** Blocks (pages) of vm_contig_alist: alist_init(&vm_contig_alist, 65536, ...). */
    private static final int VM_CONTIG_BLOCKS = 65536;
    /** sys/alist.h: ALIST_BMAP_RADIX, blocks per leaf (bits of an alist_bmap_t). */
    private static final int ALIST_BMAP_RADIX = 32;
    /** sys/alist.h: ALIST_META_RADIX, children per meta node. */
    private static final int ALIST_META_RADIX = 16;

    /**
     * vm.dma_reserved (TUNABLE_ULONG in vm_page.c): bytes of low memory vm_page_startup_finish
     * leaves in the DMA reserve; 0 = min(128M, total / 16).
     */
    public static final Tunable VM_DMA_RESERVED_TUNABLE = Tunable.size("vm.dma_reserved", "0", 0, 256L << 20, PAGE_SIZE,
            "low memory kept for DMA after boot; 0 = min(128M, RAM/16), as DragonFly");
    public static final List<Tunable> TUNABLES = List.of(VM_DMA_RESERVED_TUNABLE);

    // ---- globals ---------------------------------------------------------------------------
    private static final StructLayout GLOBALS = MemoryLayout.structLayout(
            C_POINTER.withName("vm_page_array"),
            C_LONG.withName("vm_page_array_size"),
            C_LONG.withName("first_page"),
            C_LONG.withName("vm_low_phys_reserved"),
            C_POINTER.withName("vm_page_dump"),
            C_LONG.withName("vm_page_dump_size"),
            C_INT.withName("vm_pages_waiting"),
            C_INT.withName("set_assoc_mask"),
            C_INT.withName("dnweight"),
            Ctypes.pad(4),
            MemoryLayout.sequenceLayout(PQ_COUNT, StructVpgqueues.layout()).withName("vm_page_queues"),
            C_LONG.withName("vm_dma_reserved"),
            MemoryLayout.sequenceLayout(VM_CONTIG_BLOCKS / 64, C_LONG).withName("vm_contig_bitmap"),
            C_INT.withName("vm_contig_bl_free"),
            Ctypes.pad(4))
            .withName("vm_page_globals");
    private static final long VM_PAGE_ARRAY = Ctypes.offset(GLOBALS, "vm_page_array");
    private static final long VM_PAGE_ARRAY_SIZE = Ctypes.offset(GLOBALS, "vm_page_array_size");
    private static final long FIRST_PAGE = Ctypes.offset(GLOBALS, "first_page");
    private static final long VM_PAGE_DUMP = Ctypes.offset(GLOBALS, "vm_page_dump");
    private static final long VM_PAGE_DUMP_SIZE = Ctypes.offset(GLOBALS, "vm_page_dump_size");
    private static final long VM_PAGES_WAITING = Ctypes.offset(GLOBALS, "vm_pages_waiting");
    private static final long SET_ASSOC_MASK = Ctypes.offset(GLOBALS, "set_assoc_mask");
    private static final long DNWEIGHT = Ctypes.offset(GLOBALS, "dnweight");
    private static final long VM_PAGE_QUEUES = Ctypes.offset(GLOBALS, "vm_page_queues");
    private static final long VM_LOW_PHYS_RESERVED = Ctypes.offset(GLOBALS, "vm_low_phys_reserved");
    private static final long VM_CONTIG_BL_FREE = Ctypes.offset(GLOBALS, "vm_contig_bl_free");
    private static final long VM_DMA_RESERVED = Ctypes.offset(GLOBALS, "vm_dma_reserved");
    private static final long VM_CONTIG_BITMAP = Ctypes.offset(GLOBALS, "vm_contig_bitmap");

    private static final long SIZEOF_VM_PAGE = StructVmPage.SIZEOF;
    private static final long SIZEOF_VPGQUEUES = StructVpgqueues.SIZEOF;

    private final Kernel kernel;
    private final KernelMemory km;
    private final Lwkt lwkt;
    private final long globals;
    private final long queues;
    /** TAILQ of vm_page by pageq ({@code struct pglist}). */
    private final Queue.Tailq pglist;
    /** {@code vm_page_rb_tree}: RB_GENERATE2(vm_page_rb_tree, vm_page, rb_entry, rb_vm_page_compare, vm_pindex_t, pindex). */
    private final Tree.Rb vmPageRbTree;

    /** (boot only) Lays out vm_page.c's globals. */
    public VmPage(Kernel kernel, DataSegment data, Sysctl sysctl) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.lwkt = kernel.lwkt();
        this.globals = data.alloc(GLOBALS);
        km.store64(globals + VM_DMA_RESERVED, kernel.kenv().fetchLong(VM_DMA_RESERVED_TUNABLE));
        sysctl.sysctlLong("vm.dma_reserved", globals + VM_DMA_RESERVED, "Memory reserved for DMA");
        sysctl.sysctlUint("vm.dma_free_pages", globals + VM_CONTIG_BL_FREE, "Memory reserved for DMA");
        this.queues = globals + VM_PAGE_QUEUES;
        this.pglist = new Queue.Tailq(km, StructVmPage.pageq$OFFSET, kernel.invariants());
        this.vmPageRbTree = new Tree.Rb(km, lwkt, StructVmPage.rb_entry$OFFSET,
                this::rbVmPageCompare, m -> StructVmPage.pindex(km, m));
        // Initialised data: SET - minimum set-associative size, 16 until vm_page_startup_finish().
        km.store32(globals + SET_ASSOC_MASK, 16 - 1);
    }

    // ---- accessors of globals and struct fields -------------------------------------------

    /** {@code vm_page_array}: address of the first vm_page. */
    public long vmPageArray() { return km.load64(globals + VM_PAGE_ARRAY); }

    /** {@code vm_page_array_size}: vm_page entries, from first_page up. */
    public long vmPageArraySize() { return km.load64(globals + VM_PAGE_ARRAY_SIZE); }

    /** {@code first_page}: physical page number of vm_page_array[0]. */
    public long firstPage() { return km.load64(globals + FIRST_PAGE); }

    /** {@code &vm_page_queues[i]}. */
    public long vmPageQueue(int i) { return queues + i * SIZEOF_VPGQUEUES; }

    /** {@code &vm_page_queues[i].pl}: the list head. */
    public long vmPageQueueList(int i) { return vmPageQueue(i) + StructVpgqueues.pl$OFFSET; }

    /** The tail-queue descriptor of page lists, for code that walks them (the pageout scans). */
    public Queue.Tailq pglist() { return pglist; }

    /** The descriptor of the object page trees ({@code vm_page_rb_tree}). */
    public Tree.Rb vmPageRbTree() { return vmPageRbTree; }

    /** {@code vm_pages_waiting}: processes sleeping in vm_wait. */
    public int vmPagesWaiting() { return km.load32(globals + VM_PAGES_WAITING); }

    private void vmPagesWaiting(int v) { km.store32(globals + VM_PAGES_WAITING, v); }

    /** {@code set_assoc_mask}: the local color set the queue searches start with. */
    public int setAssocMask() { return km.load32(globals + SET_ASSOC_MASK); }

    /** {@code vm_page_dump}: the minidump page bitmap vm_page_startup() carves (0 before). */
    public long vmPageDump() { return km.load64(globals + VM_PAGE_DUMP); }

    /** PHYS_TO_VM_PAGE(pa). */
    public long PHYS_TO_VM_PAGE(long pa) {
        return vmPageArray() + (Param.atop(pa) - firstPage()) * SIZEOF_VM_PAGE;
    }

    /** VM_PAGE_TO_PHYS(m). */
    public long VM_PAGE_TO_PHYS(long m) { return StructVmPage.phys_addr(km, m); }

    private long vs() { return kernel.vmMeter().vmstats(); }

    private VmPage2 p2() { return kernel.vmPage2(); }

    private VmPageout pageout() { return kernel.vmPageout(); }

    private int queue(long m) { return StructVmPage.queue(km, m); }

    private int pc(long m) { return StructVmPage.pc(km, m); }

    private int flags(long m) { return StructVmPage.flags(km, m); }

    private int busyCount(long m) { return StructVmPage.busy_count(km, m); }

    private boolean casBusy(long m, int expect, int update) {
        return km.cas32(m + StructVmPage.busy_count$OFFSET, expect, update);
    }

    private void flagSet(long m, int bits) { km.atomicSet32(m + StructVmPage.flags$OFFSET, bits); }

    private void flagClear(long m, int bits) { km.atomicClear32(m + StructVmPage.flags$OFFSET, bits); }

    private void spinLockPage(long m) { lwkt.spinLock(m + StructVmPage.spin$OFFSET); }

    private void spinUnlockPage(long m) { lwkt.spinUnlock(m + StructVmPage.spin$OFFSET); }

    private boolean spinTryLockPage(long m) { return lwkt.spinTryLock(m + StructVmPage.spin$OFFSET); }

    private void incCnt(long fieldOffset) { StructVmmeter.inc(km, kernel.vmMeter().mycnt(), fieldOffset); }

    // ---- boot -------------------------------------------------------------------------------

    /** vm_page_queue_init(): the counters each queue feeds, empty lists, free locks. */
    private void vmPageQueueInit() {
        for (int i = 0; i < PQ_L2_SIZE; i++) {
            StructVpgqueues.cnt_offset(km, vmPageQueue(PQ_FREE + i), (int) StructVmstats.v_free_count$OFFSET);
        }
        for (int i = 0; i < PQ_L2_SIZE; i++) {
            StructVpgqueues.cnt_offset(km, vmPageQueue(PQ_CACHE + i), (int) StructVmstats.v_cache_count$OFFSET);
        }
        for (int i = 0; i < PQ_L2_SIZE; i++) {
            StructVpgqueues.cnt_offset(km, vmPageQueue(PQ_INACTIVE + i), (int) StructVmstats.v_inactive_count$OFFSET);
        }
        for (int i = 0; i < PQ_L2_SIZE; i++) {
            StructVpgqueues.cnt_offset(km, vmPageQueue(PQ_ACTIVE + i), (int) StructVmstats.v_active_count$OFFSET);
        }
        for (int i = 0; i < PQ_L2_SIZE; i++) {
            StructVpgqueues.cnt_offset(km, vmPageQueue(PQ_HOLD + i), (int) StructVmstats.v_active_count$OFFSET);
        }
        for (int i = 0; i < PQ_COUNT; i++) {
            long vpq = vmPageQueue(i);
            StructVpgqueues.lastq(km, vpq, -1);
            pglist.tailqInit(vpq + StructVpgqueues.pl$OFFSET);
            lwkt.spinInit(vpq + StructVpgqueues.spin$OFFSET);
        }
    }

    /** (low level boot) vm_set_page_size(): v_page_size = PAGE_SIZE. */
    public void vmSetPageSize() {
        long vs = vs();
        if (StructVmstats.v_page_size(km, vs) == 0) {
            StructVmstats.v_page_size(km, vs, PAGE_SIZE);
        }
        int ps = StructVmstats.v_page_size(km, vs);
        if (((ps - 1) & ps) != 0) {
            throw Kassert.panic("vm_set_page_size: page size not a power of two");
        }
    }

    /**
     * (low level boot) vm_add_new_page(): gives the page at {@code pa} its color and puts it at
     * the head of its free queue, counting it in v_page_count and v_free_count.
     *
     * <p>PORT: the C prints and ignores a page added twice (a BIOS range overlap); the port's
     * phys_avail cannot overlap, so a duplicate is a boot bug and panics. A page below
     * vm_low_phys_reserved goes to the DMA reserve instead: counted in v_page_count and
     * v_dma_pages, wired (v_wire_count), PG_FICTITIOUS | PG_UNQUEUED, on no queue, free in
     * vm_contig_alist.
     */
    private void vmAddNewPage(long pa) {
        long m = PHYS_TO_VM_PAGE(pa);
        if (queue(m) != PQ_NONE) {
            throw Kassert.panic("vm_add_new_page: duplicate pa %016x", pa);
        }
        StructVmPage.phys_addr(km, m, pa);
        StructVmPage.flags(km, m, 0);
        StructVmPage.pat_mode(km, m, StructVmPage.PAT_WRITE_BACK);
        // Color, twisted for cpu localisation so cpus selecting by m->queue get different colors.
        long pn = pa >>> PAGE_SHIFT;
        int pc = (int) (pn ^ (pn / PQ_L2_SIZE) ^ (pn / ((long) PQ_L2_SIZE * PQ_L2_SIZE))) & PQ_L2_MASK;
        StructVmPage.pc(km, m, pc);

        long vs = vs();
        if (pa < km.load64(globals + VM_LOW_PHYS_RESERVED)) {
            StructVmstats.add(km, vs, StructVmstats.v_page_count$OFFSET, 1);
            StructVmstats.add(km, vs, StructVmstats.v_dma_pages$OFFSET, 1);
            StructVmPage.flags(km, m, StructVmPage.flags(km, m) | PG_FICTITIOUS | PG_UNQUEUED);
            StructVmPage.queue(km, m, PQ_NONE);
            StructVmPage.wire_count(km, m, 1);
            StructVmstats.add(km, vs, StructVmstats.v_wire_count$OFFSET, 1);
            alistFree(pa >>> PAGE_SHIFT, 1);
            return;
        }

        StructVmPage.queue(km, m, pc + PQ_FREE);
        Kassert.kkassert(StructVmPage.dirty(km, m) == 0, "m->dirty == 0", "vm_add_new_page");

        StructVmstats.add(km, vs, StructVmstats.v_page_count$OFFSET, 1);
        StructVmstats.add(km, vs, StructVmstats.v_free_count$OFFSET, 1);
        long vpq = vmPageQueue(pc + PQ_FREE);
        pglist.tailqInsertHead(vpq + StructVpgqueues.pl$OFFSET, m);
        StructVpgqueues.lcnt(km, vpq, StructVpgqueues.lcnt(km, vpq) + 1);
    }

    /**
     * (low level boot) vm_page_startup(): page-aligns phys_avail[], carves the minidump bitmap and
     * vm_page_array from the top of the largest range (through the DMAP, as pmap_map() does on
     * pc64), initialises every vm_page from first_page to the end of the last range, and puts
     * every remaining available page on the free queues in ascending address order.
     *
     * <p>Call once, after getmemsize() (and anything that reserved physical memory), in boot
     * context. Never blocks.
     */
    public void vmPageStartup() {
        Machdep md = kernel.machdep();
        vmSetPageSize();
        long total = 0;
        long biggestsize = 0;
        int biggestone = 0;

        int i;
        for (i = 0; md.physAvailEnd(i) != 0; ++i) {
            long beg = Param.roundPage(md.physAvailBeg(i));
            long end = Param.truncPage(md.physAvailEnd(i));
            if (end < beg) {
                end = beg;
            }
            md.setPhysAvail(i, beg, end);
        }
        for (i = 0; md.physAvailEnd(i) != 0; ++i) {
            long size = md.physAvailEnd(i) - md.physAvailBeg(i);
            if (size > biggestsize) {
                biggestone = i;
                biggestsize = size;
            }
            total += size;
        }
        Kassert.kkassert(i > 0, "phys_avail[0].phys_end != 0", "vm_page_startup");
        --i;

        long end = Param.truncPage(md.physAvailEnd(biggestone));

        vmPageQueueInit();

        // The minidump page bitmap (pc64 only): one bit per physical page up to the last range.
        long pageRange = md.physAvailEnd(i) / PAGE_SIZE;
        long dumpSize = Param.roundPage(((pageRange + 7) & ~7L) / 8);
        end -= dumpSize;
        long dump = Vmparam.PHYS_TO_DMAP(end);
        km.bzero(dump, dumpSize);
        km.store64(globals + VM_PAGE_DUMP, dump);
        km.store64(globals + VM_PAGE_DUMP_SIZE, dumpSize);

        long firstPage = md.physAvailBeg(0) / PAGE_SIZE;
        km.store64(globals + FIRST_PAGE, firstPage);
        pageRange = md.physAvailEnd(i) / PAGE_SIZE - firstPage;
        long npages = (total - pageRange * SIZEOF_VM_PAGE) / PAGE_SIZE;

        // Low memory for 32-bit DMA: min(256M, total / 4) now, most of it returned by
        // vm_page_startup_finish(), which keeps vm_dma_reserved (default min(128M, total / 16)).
        long lowPhysReserved = (long) VM_CONTIG_BLOCKS << PAGE_SHIFT;
        if (lowPhysReserved > total / 4) {
            lowPhysReserved = total / 4;
        }
        km.store64(globals + VM_LOW_PHYS_RESERVED, lowPhysReserved);
        if (km.load64(globals + VM_DMA_RESERVED) == 0) {
            long dmaReserved = 128L * 1024 * 1024;
            if (dmaReserved > total / 16) {
                dmaReserved = total / 16;
            }
            km.store64(globals + VM_DMA_RESERVED, dmaReserved);
        }
        // alist_init(): every block starts allocated (the bitmap and bl_free are zeroed data).

        long newEnd = Param.truncPage(end - pageRange * SIZEOF_VM_PAGE);
        long mapped = Vmparam.PHYS_TO_DMAP(newEnd);
        km.store64(globals + VM_PAGE_ARRAY, mapped);

        // Clear all page structures and set phys_addr, so PHYS_TO_VM_PAGE() works even on pages
        // not in the free queues.
        km.bzero(mapped, pageRange * SIZEOF_VM_PAGE);
        km.store64(globals + VM_PAGE_ARRAY_SIZE, pageRange);
        long m = mapped;
        long pa = Param.ptoa(firstPage);
        for (long j = 0; j < pageRange; ++j) {
            lwkt.spinInit(m + StructVmPage.spin$OFFSET);
            StructVmPage.phys_addr(km, m, pa);
            pa += PAGE_SIZE;
            m += SIZEOF_VM_PAGE;
        }

        // Free queues in ascending physical order, so low memory is allocated last.
        long vs = vs();
        StructVmstats.v_page_count(km, vs, 0);
        StructVmstats.v_free_count(km, vs, 0);
        for (i = 0; md.physAvailEnd(i) != 0 && npages > 0; ++i) {
            pa = md.physAvailBeg(i);
            long lastPa = i == biggestone ? newEnd : md.physAvailEnd(i);
            while (pa < lastPa && npages-- > 0) {
                vmAddNewPage(pa);
                pa += PAGE_SIZE;
            }
        }
        kernel.vmMeter().gdVmstatsRefresh(kernel.globaldata().mycpu());
    }

    /**
     * vm_page_startup_finish() (SI_SUB_PROC0_POST): widens set_assoc_mask to the cpu count
     * (PQ_L2_SIZE / ncpus_fit - 1, at least 15), then returns the DMA reserve to the free queues
     * down to vm_dma_reserved bytes: repeatedly the top power-of-2 run of the alist's highest free
     * chunk, each page unwired and freed, so the lowest pages stay reserved.
     *
     * <p>PORT: the "DMA space used" console line is not printed (the port has no console); the
     * vm_page_hash table needs kmem_alloc3 (not yet ported); vm_page_hash stays NULL, which the C
     * handles. (boot only) Never blocks.
     */
    public void vmPageStartupFinish() {
        int mask = PQ_L2_SIZE / kernel.config().ncpusFit() - 1;
        if (mask < 7) {
            mask = 7;
        }
        if (mask < 15) {
            mask = 15;
        }
        km.store32(globals + SET_ASSOC_MASK, mask);

        // Return part of the initial reserve. PORT: vm_contig_spin is not taken: boot context,
        // one cpu running, and nothing else uses the alist.
        long reservedPages = km.load64(globals + VM_DMA_RESERVED) / PAGE_SIZE;
        for (;;) {
            long[] info = alistFreeInfo();
            long bfree = info[0];
            long blk = info[1];
            long count = info[2];
            if (bfree <= reservedPages || count == 0) {
                break;
            }
            bfree -= reservedPages;
            if (count > bfree) {
                blk += count - bfree;
                count = bfree;
            }
            long xcount;
            for (xcount = 1; xcount <= count; xcount <<= 1) {
                // nearest power of 2 <= count
            }
            xcount >>= 1;
            blk += count - xcount;
            count = xcount;

            alistAlloc(blk, count);
            StructVmstats.add(km, vs(), StructVmstats.v_dma_pages$OFFSET, -count);
            long m = PHYS_TO_VM_PAGE(blk << PAGE_SHIFT);
            km.store64(globals + VM_LOW_PHYS_RESERVED, StructVmPage.phys_addr(km, m));
            while (count != 0) {
                kernel.vmPage2().vmPageFlagClear(m, PG_FICTITIOUS | PG_UNQUEUED);
                vmPageBusyWait(m, false, "cpgfr");
                vmPageUnwire(m, false);
                kernel.vmPage2().vmPageFree(m);
                --count;
                m += SIZEOF_VM_PAGE;
            }
        }
    }

    /** {@code vm_low_phys_reserved}: pages below it are (or were) the DMA reserve. */
    public long vmLowPhysReserved() { return km.load64(globals + VM_LOW_PHYS_RESERVED); }

    /** {@code vm_dma_reserved}: bytes the DMA reserve keeps after vm_page_startup_finish(). */
    public long vmDmaReserved() { return km.load64(globals + VM_DMA_RESERVED); }

    /** {@code vm_contig_alist.bl_free}: free pages in the DMA reserve (sysctl vm.dma_free_pages). */
    public long vmContigFreePages() { return Integer.toUnsignedLong(km.load32(globals + VM_CONTIG_BL_FREE)); }

    // PORT: stands for subr_alist.c over vm_contig_alist (see the class comment): one bit per
    // block, set when free.
    private boolean alistIsFree(long blk) {
        long w = km.load64(globals + VM_CONTIG_BITMAP + (blk >>> 6) * 8);
        return (w & (1L << (blk & 63))) != 0;
    }

    private void alistSet(long blk, boolean free) {
        long a = globals + VM_CONTIG_BITMAP + (blk >>> 6) * 8;
        long w = km.load64(a);
        km.store64(a, free ? w | (1L << (blk & 63)) : w & ~(1L << (blk & 63)));
    }

    /** alist_free(&vm_contig_alist, blk, count): the blocks must be allocated. */
    private void alistFree(long blk, long count) {
        Kassert.kkassert(blk + count <= VM_CONTIG_BLOCKS, "blk + count <= bl_blocks", "alist_free");
        for (long b = blk; b < blk + count; b++) {
            Kassert.kkassert(!alistIsFree(b), "block allocated", "alist_free");
            alistSet(b, true);
        }
        km.store32(globals + VM_CONTIG_BL_FREE, km.load32(globals + VM_CONTIG_BL_FREE) + (int) count);
    }

    /**
     * alist_alloc(&vm_contig_alist, blk, count) where the caller has found [blk, blk + count)
     * free and count-aligned, as vm_page_startup_finish() has: the C's radix tree then returns
     * blk. Never blocks.
     */
    private void alistAlloc(long blk, long count) {
        for (long b = blk; b < blk + count; b++) {
            Kassert.kkassert(alistIsFree(b), "block free", "alist_alloc");
            alistSet(b, false);
        }
        km.store32(globals + VM_CONTIG_BL_FREE, km.load32(globals + VM_CONTIG_BL_FREE) - (int) count);
    }

    /**
     * alist_free_info(&vm_contig_alist, &blk, &count): returns {bl_free, blk, count}. The C walks
     * its radix tree (root radix 131072 over 65536 blocks, 16 children per meta node, 32-block
     * leaves) from the highest non-allocated child down: the first fully free child on that path
     * (8192, 512 or 32 blocks, aligned) is the answer, and a partly free leaf answers with its
     * highest free block alone. The highest non-allocated child on each level is the one holding
     * the highest free block, so the walk is done here from that block. Never blocks.
     */
    private long[] alistFreeInfo() {
        long bfree = Integer.toUnsignedLong(km.load32(globals + VM_CONTIG_BL_FREE));
        long high = -1;
        for (long w = VM_CONTIG_BLOCKS / 64 - 1; w >= 0 && high < 0; w--) {
            long word = km.load64(globals + VM_CONTIG_BITMAP + w * 8);
            if (word != 0) {
                high = w * 64 + 63 - Long.numberOfLeadingZeros(word);
            }
        }
        if (high < 0) {
            return new long[] {bfree, 0, 0};
        }
        for (long radix = (long) ALIST_BMAP_RADIX * ALIST_META_RADIX * ALIST_META_RADIX;
                radix >= ALIST_BMAP_RADIX; radix /= ALIST_META_RADIX) {
            long start = high & ~(radix - 1);
            boolean allFree = true;
            for (long b = start; b < start + radix && allFree; b++) {
                allFree = alistIsFree(b);
            }
            if (allFree) {
                return new long[] {bfree, start, radix};
            }
        }
        return new long[] {bfree, high, 1};
    }

    /** rb_vm_page_compare(): orders an object's pages by pindex (unsigned). */
    public int rbVmPageCompare(long p1, long p2) {
        return Long.compareUnsigned(StructVmPage.pindex(km, p1), StructVmPage.pindex(km, p2));
    }

    // ---- queue locks --------------------------------------------------------------------------

    // _vm_page_queue_spin_lock(): the caller holds the page spinlock, so m->queue cannot change.
    private void _vmPageQueueSpinLock(long m) {
        int queue = queue(m);
        if (queue != PQ_NONE) {
            lwkt.spinLock(vmPageQueue(queue) + StructVpgqueues.spin$OFFSET);
            Kassert.kkassert(queue == queue(m), "queue == m->queue", "_vm_page_queue_spin_lock");
        }
    }

    private void _vmPageQueueSpinUnlock(long m) {
        int queue = queue(m);
        if (queue != PQ_NONE) {
            lwkt.spinUnlock(vmPageQueue(queue) + StructVpgqueues.spin$OFFSET);
        }
    }

    private void _vmPageQueuesSpinLock(int queue) {
        if (queue != PQ_NONE) {
            lwkt.spinLock(vmPageQueue(queue) + StructVpgqueues.spin$OFFSET);
        }
    }

    private void _vmPageQueuesSpinUnlock(int queue) {
        if (queue != PQ_NONE) {
            lwkt.spinUnlock(vmPageQueue(queue) + StructVpgqueues.spin$OFFSET);
        }
    }

    /** vm_page_queue_spin_lock(): locks m's queue. The caller holds m's spinlock. */
    public void vmPageQueueSpinLock(long m) { _vmPageQueueSpinLock(m); }

    /** vm_page_queues_spin_lock(): locks queue {@code queue} (nothing for PQ_NONE). */
    public void vmPageQueuesSpinLock(int queue) { _vmPageQueuesSpinLock(queue); }

    /** vm_page_queue_spin_unlock(). */
    public void vmPageQueueSpinUnlock(long m) { _vmPageQueueSpinUnlock(m); }

    /** vm_page_queues_spin_unlock(). */
    public void vmPageQueuesSpinUnlock(int queue) { _vmPageQueuesSpinUnlock(queue); }

    // _vm_page_and_queue_spin_lock(): page first, then queue. The queue may change before the
    // page lock is held, so callers recheck.
    private void _vmPageAndQueueSpinLock(long m) {
        spinLockPage(m);
        _vmPageQueueSpinLock(m);
    }

    private void _vmPageAndQueueSpinUnlock(long m) {
        _vmPageQueuesSpinUnlock(queue(m));
        spinUnlockPage(m);
    }

    /** vm_page_and_queue_spin_unlock(). */
    public void vmPageAndQueueSpinUnlock(long m) { _vmPageAndQueueSpinUnlock(m); }

    /** vm_page_and_queue_spin_lock(): locks the page, then its queue. */
    public void vmPageAndQueueSpinLock(long m) { _vmPageAndQueueSpinLock(m); }

    /**
     * _vm_page_rem_queue_spinlocked(): takes m off its queue and returns the base queue it was on
     * (PQ_NONE if none). The page and its queue must be spinlocked; the queue is unlocked on
     * return, the page stays locked.
     */
    private int _vmPageRemQueueSpinlocked(long m) {
        int queue = queue(m);
        if (queue != PQ_NONE) {
            long pq = vmPageQueue(queue);
            pglist.tailqRemove(pq + StructVpgqueues.pl$OFFSET, m);
            // This cpu's adjustment and its own copy (it sees its own change at once; other cpus
            // at the next hardclock). When the adjustment falls below -1024 while paging is near,
            // it is folded into the global count at once so the pageout daemon sees it.
            long gd = kernel.globaldata().mycpu();
            int cntOffset = StructVpgqueues.cnt_offset(km, pq);
            long cnt = StructGlobaldata.gd_vmstats_adj(gd) + cntOffset;
            km.fetchAdd64(cnt, -1);
            km.fetchAdd64(StructGlobaldata.gd_vmstats(gd) + cntOffset, -1);
            if (km.load64(cnt) < -1024 && p2().vmPagingStart(-1024 * kernel.config().ncpus())) {
                long copy = km.swap64(cnt, 0);
                StructVmstats.add(km, vs(), cntOffset, copy);
            }
            // PORT: dfemu-only low-water mark of v_free_count (DragonFly has no such counter).
            if (queue - pc(m) == PQ_FREE) kernel.vmMeter().dfemuFreeLow();
            StructVpgqueues.lcnt(km, pq, StructVpgqueues.lcnt(km, pq) - 1);
            StructVmPage.queue(km, m, PQ_NONE);
            int oqueue = queue;
            queue -= pc(m);
            _vmPageQueuesSpinUnlock(oqueue);
        }
        return queue;
    }

    /**
     * _vm_page_add_queue_spinlocked(): puts m on {@code queue}, PQ_FREE always at the head (LIFO,
     * cache-hot), others at the head if {@code athead} else the tail. m must be spinlocked, on no
     * queue and neither FICTITIOUS nor UNQUEUED; returns with the page and the queue locked.
     */
    private void _vmPageAddQueueSpinlocked(long m, int queue, boolean athead) {
        Kassert.kkassert(queue(m) == PQ_NONE && (flags(m) & (PG_FICTITIOUS | PG_UNQUEUED)) == 0,
                "m->queue == PQ_NONE && (m->flags & (PG_FICTITIOUS | PG_UNQUEUED)) == 0",
                "_vm_page_add_queue_spinlocked");
        if (queue != PQ_NONE) {
            _vmPageQueuesSpinLock(queue);
            long pq = vmPageQueue(queue);
            StructVpgqueues.lcnt(km, pq, StructVpgqueues.lcnt(km, pq) + 1);
            // This cpu's adjustment and its own copy; a hardclock or vmstats_rollup() folds the
            // adjustment into the global count.
            long gd = kernel.globaldata().mycpu();
            int cntOffset = StructVpgqueues.cnt_offset(km, pq);
            km.fetchAdd64(StructGlobaldata.gd_vmstats_adj(gd) + cntOffset, 1);
            km.fetchAdd64(StructGlobaldata.gd_vmstats(gd) + cntOffset, 1);
            StructVmPage.queue(km, m, queue);
            long pl = pq + StructVpgqueues.pl$OFFSET;
            if (queue - pc(m) == PQ_FREE) {
                pglist.tailqInsertHead(pl, m);
            } else if (athead) {
                pglist.tailqInsertHead(pl, m);
            } else {
                pglist.tailqInsertTail(pl, m);
            }
        }
    }

    // ---- busy ---------------------------------------------------------------------------------

    /**
     * vm_page_sleep_busy(): waits once until the page is not hard-busy (and, with
     * {@code alsoMBusy}, not soft-busy either). Does not busy the page; on return it may be busy
     * again. No requirements; may block.
     *
     * <p>PORT: tsleep_interlock() is implicit: no scheduling point lies between setting
     * PBUSY_WANTED and tsleep(), so the wakeup cannot be lost.
     */
    public void vmPageSleepBusy(long m, boolean alsoMBusy, String msg) {
        for (;;) {
            int busyCount = busyCount(m);
            if ((busyCount & PBUSY_LOCKED) == 0 && (!alsoMBusy || (busyCount & PBUSY_MASK) == 0)) {
                break;
            }
            if (casBusy(m, busyCount, busyCount | PBUSY_WANTED)) {
                flagSet(m, PG_REFERENCED);
                lwkt.pushFrame("vm_page_sleep_busy");
                try {
                    lwkt.tsleep(m, msg, 0);
                } finally {
                    lwkt.popFrame();
                }
                break;
            }
        }
    }

    /**
     * vm_get_pg_color(): the page color (queue index) for an allocation by {@code cpuid} of
     * (object, pindex): cpu-localised, spreading an object's consecutive pages.
     *
     * <p>PORT: no cpu topology is probed (cpu_topology_ht_ids is 0), so this is the C's
     * "unknown topology" branch: PQ_L2_SIZE / ncpus colors per cpu.
     */
    public int vmGetPgColor(int cpuid, long object, long pindex) {
        int objectPgColor = object != 0 ? StructVmObject.pg_color(km, object) : 0;
        int cpuscale = PQ_L2_SIZE / kernel.config().ncpus();
        long pgColor = (long) cpuid * cpuscale;
        pgColor += Long.remainderUnsigned(pindex + objectPgColor, cpuscale);
        return (int) (pgColor & PQ_L2_MASK);
    }

    /**
     * vm_page_busy_wait(): waits until the page can be hard-busied (and, with {@code alsoMBusy},
     * has no soft-busies), then busies it. No requirements; may block.
     */
    public void vmPageBusyWait(long m, boolean alsoMBusy, String msg) {
        for (;;) {
            int busyCount = busyCount(m);
            if ((busyCount & PBUSY_LOCKED) != 0 || (alsoMBusy && busyCount != 0)) {
                if (casBusy(m, busyCount, busyCount | PBUSY_WANTED)) {
                    flagSet(m, PG_REFERENCED);
                    lwkt.pushFrame("vm_page_busy_wait");
                    try {
                        lwkt.tsleep(m, msg, 0);
                    } finally {
                        lwkt.popFrame();
                    }
                }
            } else if (casBusy(m, busyCount, busyCount | PBUSY_LOCKED)) {
                break;
            }
        }
    }

    /**
     * vm_page_busy_try(): tries to hard-busy the page (with {@code alsoMBusy}, only if it has no
     * soft-busies). Returns true on FAILURE, as the C does. Never blocks.
     */
    public boolean vmPageBusyTry(long m, boolean alsoMBusy) {
        for (;;) {
            int busyCount = busyCount(m);
            if ((busyCount & PBUSY_LOCKED) != 0) {
                return true;
            }
            if (alsoMBusy && (busyCount & PBUSY_MASK) != 0) {
                return true;
            }
            if (casBusy(m, busyCount, busyCount | PBUSY_LOCKED)) {
                return false;
            }
        }
    }

    // _vm_page_wakeup(): clears BUSY and WANTED; returns true if someone must be woken.
    private boolean _vmPageWakeup(long m) {
        for (;;) {
            int busyCount = busyCount(m);
            if (casBusy(m, busyCount, busyCount & ~(PBUSY_LOCKED | PBUSY_WANTED))) {
                return (busyCount & PBUSY_WANTED) != 0;
            }
        }
    }

    /**
     * vm_page_wakeup(): releases the hard-busy and wakes waiters. The page must be hard-busied
     * by the caller. Never blocks.
     */
    public void vmPageWakeup(long m) {
        Kassert.kassert((busyCount(m) & PBUSY_LOCKED) != 0, () -> "vm_page_wakeup: page not busy!!!");
        if (_vmPageWakeup(m)) {
            lwkt.wakeup(m);
        }
    }

    // ---- hold ---------------------------------------------------------------------------------

    /**
     * vm_page_hold(): prevents the page's reuse (not its disassociation). The page must not be
     * on, or about to move to, the free queue. Never blocks.
     */
    public void vmPageHold(long m) {
        km.fetchAdd32(m + StructVmPage.hold_count$OFFSET, 1);
        Kassert.kkassert(queue(m) - pc(m) != PQ_FREE, "m->queue - m->pc != PQ_FREE", "vm_page_hold");
    }

    /**
     * vm_page_unhold(): drops a hold; a page freed while held sits on PQ_HOLD and goes back to
     * PQ_FREE on the last unhold. Never blocks (spins).
     */
    public void vmPageUnhold(long m) {
        Kassert.kassert(StructVmPage.hold_count(km, m) > 0 && queue(m) - pc(m) != PQ_FREE,
                () -> String.format("vm_page_unhold: pg 0x%x illegal hold_count (%d) or on FREE queue (%d)",
                        m, StructVmPage.hold_count(km, m), queue(m) - pc(m)));
        if (km.fetchAdd32(m + StructVmPage.hold_count$OFFSET, -1) == 1 && queue(m) - pc(m) == PQ_HOLD) {
            spinLockPage(m);
            if (StructVmPage.hold_count(km, m) == 0 && queue(m) - pc(m) == PQ_HOLD) {
                _vmPageQueueSpinLock(m);
                _vmPageRemQueueSpinlocked(m);
                _vmPageAddQueueSpinlocked(m, PQ_FREE + pc(m), true);
                _vmPageQueueSpinUnlock(m);
            }
            spinUnlockPage(m);
        }
    }

    // ---- object association -------------------------------------------------------------------

    /**
     * vm_page_insert(): enters m into {@code object} at {@code pindex}. Returns false (and leaves
     * m unassociated) if the object already has a page there. The caller holds the object; m
     * must not be in an object. Never blocks.
     *
     * <p>PORT: gd_vmtotal.t_rm (vm.vmtotal statistics) is not kept.
     */
    public boolean vmPageInsert(long m, long object, long pindex) {
        if (StructVmPage.object(km, m) != 0) {
            throw Kassert.panic("vm_page_insert: already inserted");
        }
        km.fetchAdd32(object + StructVmObject.generation$OFFSET, 1);

        spinLockPage(m);
        StructVmPage.object(km, m, object);
        StructVmPage.pindex(km, m, pindex);
        if (vmPageRbTree.rbInsert(StructVmObject.rb_memq(object), m) != 0) {
            StructVmPage.object(km, m, 0);
            StructVmPage.pindex(km, m, 0);
            spinUnlockPage(m);
            return false;
        }
        StructVmObject.resident_page_count(km, object, StructVmObject.resident_page_count(km, object) + 1);
        spinUnlockPage(m);

        if ((StructVmPage.valid(km, m) & StructVmPage.dirty(km, m)) != 0
                || (flags(m) & (PG_WRITEABLE | PG_NEED_COMMIT)) != 0) {
            kernel.vmObject().vmObjectSetWriteableDirty(object);
        }

        kernel.swapPager().swapPagerPageInserted(m);
        return true;
    }

    /**
     * vm_page_remove(): takes m out of its object (nothing if it has none). m must be hard-busied
     * and stays busied (unlike FreeBSD). The caller disposes of pmap mappings first. Never blocks.
     */
    public void vmPageRemove(long m) {
        long object = StructVmPage.object(km, m);
        if (object == 0) {
            return;
        }
        if ((busyCount(m) & PBUSY_LOCKED) == 0) {
            throw Kassert.panic("vm_page_remove: page not busy");
        }
        VmObject vo = kernel.vmObject();
        vo.vmObjectHold(object);

        spinLockPage(m);
        vmPageRbTree.rbRemove(StructVmObject.rb_memq(object), m);
        StructVmObject.resident_page_count(km, object, StructVmObject.resident_page_count(km, object) - 1);
        StructVmPage.object(km, m, 0);
        km.fetchAdd32(object + StructVmObject.generation$OFFSET, 1);
        spinUnlockPage(m);

        vo.vmObjectDrop(object);
    }

    /**
     * vm_page_lookup(): the page at (object, pindex), or 0. The caller holds the object.
     * PORT: the vm_page_hash_enter() heuristic is absent (no hash table). Never blocks.
     */
    public long vmPageLookup(long object, long pindex) {
        long m = vmPageRbTree.rbLookup(StructVmObject.rb_memq(object), pindex);
        if (m != 0) {
            Kassert.kkassert(StructVmPage.object(km, m) == object && StructVmPage.pindex(km, m) == pindex,
                    "m->object == object && m->pindex == pindex", "vm_page_lookup");
        }
        return m;
    }

    /**
     * vm_page_lookup_busy_wait(): looks up and hard-busies the page at (object, pindex), sleeping
     * while it is busy (and, with {@code alsoMBusy}, soft-busy); 0 if there is none. The caller
     * holds the object. May block.
     */
    public long vmPageLookupBusyWait(long object, long pindex, boolean alsoMBusy, String msg) {
        long memq = StructVmObject.rb_memq(object);
        long m = vmPageRbTree.rbLookup(memq, pindex);
        while (m != 0) {
            Kassert.kkassert(StructVmPage.object(km, m) == object && StructVmPage.pindex(km, m) == pindex,
                    "m->object == object && m->pindex == pindex", "vm_page_lookup_busy_wait");
            int busyCount = busyCount(m);
            if ((busyCount & PBUSY_LOCKED) != 0 || (alsoMBusy && busyCount != 0)) {
                if (casBusy(m, busyCount, busyCount | PBUSY_WANTED)) {
                    flagSet(m, PG_REFERENCED);
                    lwkt.pushFrame("vm_page_lookup_busy_wait");
                    try {
                        lwkt.tsleep(m, msg, 0);
                    } finally {
                        lwkt.popFrame();
                    }
                    m = vmPageRbTree.rbLookup(memq, pindex);
                }
            } else if (casBusy(m, busyCount, busyCount | PBUSY_LOCKED)) {
                break;
            }
        }
        return m;
    }

    /**
     * vm_page_lookup_busy_try(): looks up and tries to hard-busy the page at (object, pindex).
     * Returns 0 if there is no page; otherwise the page, with {@code errorp[0]} true if it could
     * not be busied. The caller holds the object. Never blocks.
     */
    public long vmPageLookupBusyTry(long object, long pindex, boolean alsoMBusy, boolean[] errorp) {
        long m = vmPageRbTree.rbLookup(StructVmObject.rb_memq(object), pindex);
        errorp[0] = false;
        while (m != 0) {
            Kassert.kkassert(StructVmPage.object(km, m) == object && StructVmPage.pindex(km, m) == pindex,
                    "m->object == object && m->pindex == pindex", "vm_page_lookup_busy_try");
            int busyCount = busyCount(m);
            if ((busyCount & PBUSY_LOCKED) != 0) {
                errorp[0] = true;
                break;
            }
            if (alsoMBusy && busyCount != 0) {
                errorp[0] = true;
                break;
            }
            if (casBusy(m, busyCount, busyCount | PBUSY_LOCKED)) {
                break;
            }
        }
        return m;
    }

    /**
     * vm_page_lookup_sbusy_try(): the page at (object, pindex), soft-busied for read-only use, if
     * it exists, is not fictitious, is valid over [pgoff, pgoff+pgbytes) and can be soft-busied;
     * else 0. The caller holds the object. Never blocks.
     */
    public long vmPageLookupSbusyTry(long object, long pindex, int pgoff, int pgbytes) {
        long m = vmPageRbTree.rbLookup(StructVmObject.rb_memq(object), pindex);
        if (m != 0) {
            if (!sbusyUsable(m, pgoff, pgbytes)) {
                m = 0;
            } else if (vmPageSbusyTry(m)) {
                m = 0;
            } else if (!sbusyUsable(m, pgoff, pgbytes)) {
                p2().vmPageSbusyDrop(m);
                m = 0;
            }
        }
        return m;
    }

    private boolean sbusyUsable(long m, int pgoff, int pgbytes) {
        return (StructVmPage.valid(km, m) == VM_PAGE_BITS_ALL || vmPageIsValid(m, pgoff, pgbytes))
                && (flags(m) & PG_FICTITIOUS) == 0;
    }

    /** vm_page_next(): the object's page at m's pindex + 1, or 0. The caller holds the object. */
    public long vmPageNext(long m) {
        long next = vmPageRbTree.rbNext(m);
        if (next != 0 && StructVmPage.pindex(km, next) != StructVmPage.pindex(km, m) + 1) {
            next = 0;
        }
        return next;
    }

    /**
     * vm_page_rename(): moves the hard-busied page to (newObject, newPindex) and dirties it (its
     * swap, if any, is invalid after the move). Both objects are held by the caller; the page
     * stays busied. Panics if the target slot is taken.
     */
    public void vmPageRename(long m, long newObject, long newPindex) {
        Kassert.kkassert((busyCount(m) & PBUSY_LOCKED) != 0, "m->busy_count & PBUSY_LOCKED", "vm_page_rename");
        if (StructVmPage.object(km, m) != 0) {
            vmPageRemove(m);
        }
        if (!vmPageInsert(m, newObject, newPindex)) {
            throw Kassert.panic("vm_page_rename: target exists (0x%x,%d)", newObject, newPindex);
        }
        if (queue(m) - pc(m) == PQ_CACHE) {
            vmPageDeactivate(m);
        }
        vmPageDirty(m);
    }

    /** vm_page_unqueue_nowakeup(): takes m off its queue; for pages the caller keeps busied. */
    public void vmPageUnqueueNowakeup(long m) {
        vmPageAndQueueSpinLock(m);
        _vmPageRemQueueSpinlocked(m);
        spinUnlockPage(m);
    }

    /** vm_page_unqueue(): takes m off its queue, waking the pagedaemon if it was free or cache. */
    public void vmPageUnqueue(long m) {
        vmPageAndQueueSpinLock(m);
        int queue = _vmPageRemQueueSpinlocked(m);
        if (queue == PQ_FREE || queue == PQ_CACHE) {
            spinUnlockPage(m);
            pageout().pagedaemonWakeup();
        } else {
            spinUnlockPage(m);
        }
    }

    // ---- queue search -------------------------------------------------------------------------

    /**
     * _vm_page_list_find(): a page of queue {@code basequeue + index}, or of a nearby color if
     * that one is empty. The page is returned spinlocked, still on its queue, with the queue
     * spinlocked; 0 if none. Pages whose spinlock is held are skipped (try-lock: the lock order
     * is reversed here).
     */
    private long _vmPageListFind(int basequeue, int index) {
        index &= PQ_L2_MASK;
        long pq = vmPageQueue(basequeue + index);
        long pl = pq + StructVpgqueues.pl$OFFSET;
        if (pglist.tailqFirst(pl) != 0) {
            lwkt.spinLock(pq + StructVpgqueues.spin$OFFSET);
            for (long m = pglist.tailqFirst(pl); m != 0; m = pglist.tailqNext(m)) {
                if (!spinTryLockPage(m)) {
                    continue;
                }
                Kassert.kkassert(queue(m) == basequeue + index, "m->queue == basequeue + index", "_vm_page_list_find");
                StructVpgqueues.lastq(km, pq, -1);
                return m;
            }
            lwkt.spinUnlock(pq + StructVpgqueues.spin$OFFSET);
        }
        return _vmPageListFindWide(basequeue, index, pq + StructVpgqueues.lastq$OFFSET);
    }

    // Scans queue set q around pqi; returns a spinlocked page (queue locked too) or 0.
    private long scanQueue(int basequeue, int pqi) {
        long pq = vmPageQueue(basequeue + pqi);
        long pl = pq + StructVpgqueues.pl$OFFSET;
        if (pglist.tailqFirst(pl) == 0) {
            return 0;
        }
        lwkt.spinLock(pq + StructVpgqueues.spin$OFFSET);
        for (long m = pglist.tailqFirst(pl); m != 0; m = pglist.tailqNext(m)) {
            if (!spinTryLockPage(m)) {
                continue;
            }
            Kassert.kkassert(queue(m) == basequeue + pqi, "m->queue == basequeue + pqi", "_vm_page_list_find_wide");
            return m;
        }
        lwkt.spinUnlock(pq + StructVpgqueues.spin$OFFSET);
        return 0;
    }

    /**
     * _vm_page_list_find_wide(): searches ever wider aligned sets of colors (16, 32, ... up to
     * all PQ_L2_SIZE) around {@code index}, skipping the set already searched. {@code lastp} is
     * the address of the starting queue's {@code lastq}, a hint to skip empty queues next time.
     */
    private long _vmPageListFindWide(int basequeue, int index, long lastp) {
        int pqmask = setAssocMask() >> 1;
        int lastq = km.load32(lastp);
        if (lastq >= 0) {
            index = lastq;
        }
        index &= PQ_L2_MASK;
        int count = 0;
        int skipStart = -1;
        int skipNext = -1;
        do {
            pqmask = (pqmask << 1) | 1;
            int pqi = index;
            int range = pqmask + 1;
            while (range > 0) {
                if (pqi >= skipStart && pqi < skipNext) {
                    range -= skipNext - pqi;
                    pqi = (pqi & ~pqmask) | (skipNext & pqmask);
                }
                if (range > 0) {
                    long m = scanQueue(basequeue, pqi);
                    if (m != 0) {
                        if (count >= 8) {
                            km.store32(lastp, pqi & PQ_L2_MASK);
                        }
                        return m;
                    }
                }
                --range;
                ++count;
                pqi = (pqi & ~pqmask) | ((pqi + 1) & pqmask);
            }
            skipStart = pqi & ~pqmask;
            skipNext = (pqi | pqmask) + 1;
        } while (pqmask != PQ_L2_MASK);
        return 0;
    }

    // _vm_page_list_find2(): as _vm_page_list_find() over two queue types, preferring bq1.
    private long _vmPageListFind2(int bq1, int bq2, int index) {
        index &= PQ_L2_MASK;
        long pq1 = vmPageQueue(bq1 + index);
        long pq2 = vmPageQueue(bq2 + index);
        long pl1 = pq1 + StructVpgqueues.pl$OFFSET;
        if (pglist.tailqFirst(pl1) != 0) {
            lwkt.spinLock(pq1 + StructVpgqueues.spin$OFFSET);
            for (long m = pglist.tailqFirst(pl1); m != 0; m = pglist.tailqNext(m)) {
                if (!spinTryLockPage(m)) {
                    continue;
                }
                Kassert.kkassert(queue(m) == bq1 + index, "m->queue == bq1 + index", "_vm_page_list_find2");
                StructVpgqueues.lastq(km, pq1, -1);
                StructVpgqueues.lastq(km, pq2, -1);
                return m;
            }
            lwkt.spinUnlock(pq1 + StructVpgqueues.spin$OFFSET);
        }
        return _vmPageListFind2Wide(bq1, bq2, index,
                pq1 + StructVpgqueues.lastq$OFFSET, pq2 + StructVpgqueues.lastq$OFFSET);
    }

    /**
     * _vm_page_list_find2_wide(): widens over both queue types at once, basequeue1 a step ahead
     * of basequeue2, to stay cpu-local. As in the C, the search ends when basequeue1's set has
     * reached all colors, so basequeue2 is never searched wider than half of them.
     */
    private long _vmPageListFind2Wide(int basequeue1, int basequeue2, int index, long lastp1, long lastp2) {
        int lastq1 = km.load32(lastp1);
        if (lastq1 >= 0) {
            index = lastq1;
        }
        index &= PQ_L2_MASK;

        int pqmask1 = setAssocMask() >> 1;
        int count1 = 0;
        int skipStart1 = -1;
        int skipNext1 = -1;

        int pqmask2 = setAssocMask() >> 1;
        int count2 = 0;
        int skipStart2 = -1;
        int skipNext2 = -1;

        do {
            if (pqmask1 != PQ_L2_MASK) {
                pqmask1 = (pqmask1 << 1) | 1;
                int pqi = index;
                int range = pqmask1 + 1;
                while (range > 0) {
                    if (pqi >= skipStart1 && pqi < skipNext1) {
                        range -= skipNext1 - pqi;
                        pqi = (pqi & ~pqmask1) | (skipNext1 & pqmask1);
                    }
                    if (range > 0) {
                        long m = scanQueue(basequeue1, pqi);
                        if (m != 0) {
                            if (count1 >= 8) {
                                km.store32(lastp1, pqi & PQ_L2_MASK);
                            }
                            return m;
                        }
                    }
                    --range;
                    ++count1;
                    pqi = (pqi & ~pqmask1) | ((pqi + 1) & pqmask1);
                }
                skipStart1 = pqi & ~pqmask1;
                skipNext1 = (pqi | pqmask1) + 1;
            }
            // skip2:
            if (pqmask1 < ((setAssocMask() << 1) | 1)) {
                continue;
            }

            pqmask2 = (pqmask2 << 1) | 1;
            int pqi = index;
            int range = pqmask2 + 1;
            while (range > 0) {
                if (pqi >= skipStart2 && pqi < skipNext2) {
                    range -= skipNext2 - pqi;
                    pqi = (pqi & ~pqmask2) | (skipNext2 & pqmask2);
                }
                if (range > 0) {
                    long m = scanQueue(basequeue2, pqi);
                    if (m != 0) {
                        if (count2 >= 8) {
                            km.store32(lastp2, pqi & PQ_L2_MASK);
                        }
                        return m;
                    }
                }
                --range;
                ++count2;
                pqi = (pqi & ~pqmask2) | ((pqi + 1) & pqmask2);
            }
            skipStart2 = pqi & ~pqmask2;
            skipNext2 = (pqi | pqmask2) + 1;
        } while (pqmask1 != PQ_L2_MASK && pqmask2 != PQ_L2_MASK);
        return 0;
    }

    /**
     * vm_page_list_find(): a page of queue type {@code basequeue} near color {@code index},
     * removed from its queue and returned spinlocked (not busied); 0 if none. Never blocks.
     */
    public long vmPageListFind(int basequeue, int index) {
        long m = _vmPageListFind(basequeue, index);
        if (m != 0) {
            _vmPageRemQueueSpinlocked(m);
        }
        return m;
    }

    /**
     * vm_page_select_cache(): a recyclable page from PQ_CACHE near {@code pgColor}, removed from
     * its queue and hard-busied (not spinlocked); 0 if none. Candidates that cannot be busied or
     * reused are deactivated. Never blocks.
     */
    private long vmPageSelectCache(int pgColor) {
        for (;;) {
            long m = _vmPageListFind(PQ_CACHE, pgColor);
            if (m == 0) {
                return 0;
            }
            _vmPageRemQueueSpinlocked(m);
            if (vmPageBusyTry(m, true)) {
                _vmPageDeactivateLocked(m, false);
                spinUnlockPage(m);
            } else {
                if (recyclable(m)) {
                    spinUnlockPage(m);
                    Kassert.kkassert((flags(m) & PG_UNQUEUED) == 0, "(m->flags & PG_UNQUEUED) == 0",
                            "vm_page_select_cache");
                    pageout().pagedaemonWakeup();
                    return m;
                }
                _vmPageDeactivateLocked(m, false);
                if (_vmPageWakeup(m)) {
                    spinUnlockPage(m);
                    lwkt.wakeup(m);
                } else {
                    spinUnlockPage(m);
                }
            }
        }
    }

    // The state a busied cache page must be in to be reused (it may have raced a lookup).
    private boolean recyclable(long m) {
        return (flags(m) & (PG_NEED_COMMIT | PG_MAPPED)) == 0
                && StructVmPage.hold_count(km, m) == 0
                && StructVmPage.wire_count(km, m) == 0
                && (StructVmPage.dirty(km, m) & StructVmPage.valid(km, m)) == 0;
    }

    // The state of a busied free page, asserted.
    private void assertFreePageState(long m, String func) {
        Kassert.kkassert((flags(m) & (PG_UNQUEUED | PG_NEED_COMMIT)) == 0,
                "(m->flags & (PG_UNQUEUED | PG_NEED_COMMIT)) == 0", func);
        Kassert.kassert(StructVmPage.hold_count(km, m) == 0,
                () -> String.format("m->hold_count is not zero pg 0x%x q=%d flags=%08x hold=%d wire=%d",
                        m, queue(m), flags(m), StructVmPage.hold_count(km, m), StructVmPage.wire_count(km, m)));
        Kassert.kkassert(StructVmPage.wire_count(km, m) == 0, "m->wire_count == 0", func);
    }

    /**
     * vm_page_select_free(): a page from PQ_FREE near {@code pgColor}, removed and hard-busied;
     * 0 if none. A page that cannot be busied (something like pmap_collect holds it) is moved to
     * the inactive queue out of the way. Never blocks.
     */
    private long vmPageSelectFree(int pgColor) {
        for (;;) {
            long m = _vmPageListFind(PQ_FREE, pgColor);
            if (m == 0) {
                return 0;
            }
            _vmPageRemQueueSpinlocked(m);
            if (vmPageBusyTry(m, true)) {
                _vmPageDeactivateLocked(m, false);
                spinUnlockPage(m);
            } else {
                assertFreePageState(m, "vm_page_select_free");
                spinUnlockPage(m);
                pageout().pagedaemonWakeup();
                return m;
            }
        }
    }

    /**
     * vm_page_select_free_or_cache(): a page from PQ_FREE, or failing that a recyclable one from
     * PQ_CACHE, near {@code pgColor}; removed and hard-busied. {@code fromcachep[0]} tells which.
     * Never blocks.
     */
    private long vmPageSelectFreeOrCache(int pgColor, boolean[] fromcachep) {
        fromcachep[0] = false;
        for (;;) {
            long m = _vmPageListFind2(PQ_FREE, PQ_CACHE, pgColor);
            if (m == 0) {
                return 0;
            }
            if (vmPageBusyTry(m, true)) {
                _vmPageRemQueueSpinlocked(m);
                _vmPageDeactivateLocked(m, false);
                spinUnlockPage(m);
            } else if (queue(m) - pc(m) == PQ_FREE) {
                _vmPageRemQueueSpinlocked(m);
                assertFreePageState(m, "vm_page_select_free_or_cache");
                spinUnlockPage(m);
                pageout().pagedaemonWakeup();
                return m;
            } else {
                _vmPageRemQueueSpinlocked(m);
                if (recyclable(m)) {
                    spinUnlockPage(m);
                    Kassert.kkassert((flags(m) & PG_UNQUEUED) == 0, "(m->flags & PG_UNQUEUED) == 0",
                            "vm_page_select_free_or_cache");
                    pageout().pagedaemonWakeup();
                    fromcachep[0] = true;
                    return m;
                }
                _vmPageDeactivateLocked(m, false);
                if (_vmPageWakeup(m)) {
                    spinUnlockPage(m);
                    lwkt.wakeup(m);
                } else {
                    spinUnlockPage(m);
                }
            }
        }
    }

    // ---- allocation ---------------------------------------------------------------------------

    /**
     * vm_page_alloc(): allocates a page, entered at (object, pindex) if {@code object} is not 0
     * (else pindex is the caller's to use). Returns the hard-busied page, removed from all queues,
     * not wired, valid 0; or 0 when the allocation class may not dig deeper into the free pages,
     * or (with VM_ALLOC_NULL_OK) when the slot is already taken.
     *
     * <p>Admission, against the running cpu's copy of the counts ({@code mycpu->gd_vmstats},
     * exact for this cpu's own changes, behind on other cpus'; see {@link VmMeter}): any caller while {@code v_free_count >=
     * v_free_reserved}; INTERRUPT while a free page exists; SYSTEM while the cache is empty and
     * {@code v_free_count > v_interrupt_free_min}. A thread with TDF_SYSTHREAD is treated as
     * SYSTEM. Refused NORMAL requests recycle a PQ_CACHE page (free it, try again); every other
     * refusal increments vm_pageout_deficit, calls pagedaemon_wakeup() and returns 0.
     *
     * <p>At least one of NORMAL, QUICK, SYSTEM, INTERRUPT is required. The object, if any, must be
     * held. Never sleeps.
     *
     * <p>When the counts promised a page but the search found none, vmstats_rollup() refreshes
     * the counts before the retry. PORT: the C then retries at once (a racing cpu holds the page
     * spinlocks); here the racing holder is a thread switched out while holding a page spinlock,
     * so the retry yields to let it run (except in boot context, where nothing else runs). The INVARIANTS check of
     * td_preempted is absent: emulated interrupts never preempt a thread.
     */
    public long vmPageAlloc(long object, long pindex, int pageReq) {
        long m;
        int cpuidLocal;
        if ((pageReq & VM_ALLOC_CPU_SPEC) != 0) {
            cpuidLocal = VM_ALLOC_GETCPU(pageReq);
        } else {
            cpuidLocal = lwkt.mycpuid();
        }
        int pgColor = vmGetPgColor(cpuidLocal, object, pindex);

        Kassert.kkassert((pageReq & (VM_ALLOC_NORMAL | VM_ALLOC_QUICK | VM_ALLOC_INTERRUPT | VM_ALLOC_SYSTEM)) != 0,
                "page_req & (VM_ALLOC_NORMAL|VM_ALLOC_QUICK|VM_ALLOC_INTERRUPT|VM_ALLOC_SYSTEM)", "vm_page_alloc");

        // Certain system threads (pageout daemons, buf daemons) may dig deeper.
        if ((StructThread.td_flags(km, lwkt.curthread()) & StructThread.TDF_SYSTHREAD) != 0) {
            pageReq |= VM_ALLOC_SYSTEM;
        }

        boolean[] fromcache = new boolean[1];
        boolean inject = kernel.failAlloc().vmPageAlloc(pageReq);    // dfemu: fault injection (FailAlloc)
        boolean rolledUp = false;
        loop:
        for (;;) {
            // The running cpu's copy of the counts, re-read on every retry (the cpu may change).
            long vs = kernel.vmMeter().mygdVmstats();
            long freeCount = StructVmstats.v_free_count(km, vs);
            boolean foundCache = false;
            // dfemu: an injected failure takes the "no pages available" branch.
            if (!inject && (freeCount >= StructVmstats.v_free_reserved(km, vs)
                    || ((pageReq & VM_ALLOC_INTERRUPT) != 0 && freeCount > 0)
                    || ((pageReq & VM_ALLOC_SYSTEM) != 0
                        && StructVmstats.v_cache_count(km, vs) == 0
                        && freeCount > StructVmstats.v_interrupt_free_min(km, vs)))) {
                // Enough free pages to take one. A NORMAL request scans free and cache queues
                // together, so a strained free queue does not widen the scan to everything.
                if ((pageReq & VM_ALLOC_NORMAL) != 0) {
                    m = vmPageSelectFreeOrCache(pgColor, fromcache);
                    foundCache = m != 0 && fromcache[0];
                } else {
                    m = vmPageSelectFree(pgColor);
                }
            } else if ((pageReq & VM_ALLOC_NORMAL) != 0 && !inject) {
                // Recycle a cache page: free it and try again, so the free reserve is replenished.
                m = vmPageSelectCache(pgColor);
                if (m == 0) {
                    km.fetchAdd32(pageout().vmPageoutDeficitAddr(), 1);
                    pageout().pagedaemonWakeup();
                    kernel.trace().pageAlloc(0, pageReq, object);
                    return 0;
                }
                foundCache = true;
            } else {
                // No pages available: wake the pageout daemon and give up.
                km.fetchAdd32(pageout().vmPageoutDeficitAddr(), 1);
                pageout().pagedaemonWakeup();
                kernel.trace().pageAlloc(0, pageReq, object);
                return 0;
            }

            if (foundCache) {
                // found_cache: free the cache page (only if its object can be locked without
                // risk: the caller may hold some other object's lock), then loop.
                final long cachePage = m;
                Kassert.kassert(StructVmPage.dirty(km, m) == 0,
                        () -> String.format("Found dirty cache page 0x%x", cachePage));
                long obj = StructVmPage.object(km, m);
                if (obj != 0) {
                    if (kernel.vmObject().vmObjectHoldTry(obj)) {
                        if ((flags(m) & (PG_MAPPED | PG_WRITEABLE)) != 0) {
                            p2().vmPageProtect(m, Vm.VM_PROT_NONE);
                        }
                        vmPageFreeToq(m);
                        kernel.vmObject().vmObjectDrop(obj);
                    } else {
                        vmPageDeactivate(m);
                        vmPageWakeup(m);
                    }
                } else {
                    if ((flags(m) & (PG_MAPPED | PG_WRITEABLE)) != 0) {
                        p2().vmPageProtect(m, Vm.VM_PROT_NONE);
                    }
                    vmPageFreeToq(m);
                }
                continue loop;
            }

            if (m == 0) {
                // The counts admitted the request but the search found no page: this cpu's copy
                // may be stale, so fold every cpu's adjustments in and look again (see PORT
                // above). In boot context no other thread can hold a page spinlock, so a second
                // miss after a rollup would spin forever (as the C would, e.g. before the
                // thresholds exist).
                final long admittedFree = freeCount;
                final long reserved = StructVmstats.v_free_reserved(km, vs);
                Kassert.kassert(!lwkt.bootContext() || !rolledUp, () -> String.format(
                        "vm_page_alloc: admitted with v_free_count %d, v_free_reserved %d, but no page found",
                        admittedFree, reserved));
                kernel.vmMeter().vmstatsRollup();
                rolledUp = true;
                if (!lwkt.bootContext()) {
                    lwkt.lwktYield();
                }
                continue loop;
            }
            break;
        }

        // Good page: already busied and removed from its queue.
        final long page = m;
        Kassert.kassert(StructVmPage.dirty(km, page) == 0,
                () -> String.format("vm_page_alloc: free/cache page 0x%x was dirty", page));
        Kassert.kkassert(queue(m) == PQ_NONE, "m->queue == PQ_NONE", "vm_page_alloc");

        flagClear(m, ~PG_KEEP_NEWPAGE_MASK);
        Kassert.kkassert(StructVmPage.wire_count(km, m) == 0, "m->wire_count == 0", "vm_page_alloc");
        Kassert.kkassert((busyCount(m) & PBUSY_MASK) == 0, "(m->busy_count & PBUSY_MASK) == 0", "vm_page_alloc");
        StructVmPage.act_count(km, m, 0);
        StructVmPage.valid(km, m, 0);

        if (object != 0) {
            if (!vmPageInsert(m, object, pindex)) {
                vmPageFreeToq(m);
                if ((pageReq & VM_ALLOC_NULL_OK) == 0) {
                    throw Kassert.panic("PAGE RACE 0x%x[%d]/0x%x", object, pindex, page);
                }
                m = 0;
            }
        } else {
            StructVmPage.pindex(km, m, pindex);
        }

        // Wake the pageout daemon when we would be nearly out of memory.
        pageout().pagedaemonWakeup();
        kernel.trace().pageAlloc(m, pageReq, object);
        return m;
    }

    // ---- waiting for memory -----------------------------------------------------------------

    /**
     * vm_wait_nominal(): sleeps until free+cache is back above v_free_min. Never call it from the
     * pageout path (it would deadlock). May block.
     */
    public void vmWaitNominal() {
        while (p2().vmPagingMin()) {
            vmWait(0);
        }
    }

    /** vm_test_nominal(): true if vm_wait_nominal() would block. */
    public boolean vmTestNominal() {
        return p2().vmPagingMin();
    }

    /**
     * vm_wait(): sleeps at most {@code timo} ticks (0 means hz: never forever) for free pages.
     * The pagedaemon and emergency pager sleep on &vm_pageout_pages_needed, and only while below
     * v_free_min; every other thread, if below its nice-scaled trip point
     * (vm_paging_min_nice(nice + 1)), wakes the pagedaemon and sleeps on &vmstats.v_free_count.
     * Returns at once if memory is not short. May block.
     *
     * <p>PORT: vm_token is not taken (see {@link Lwkt}).
     *
     * <p>PORT: in boot context (thread0 before the scheduler runs) the C's tsleep returns at once
     * while cold, so a caller looping on vm_wait spins until memory appears, and nothing can free a
     * page before the daemons run. DragonFly never waits for memory cold (swapon(8) runs in a
     * process after boot); dfemu runs swaponvp in boot context, so after
     * {@link #BOOT_WAIT_LIMIT} consecutive boot-context waits that would have slept it panics
     * instead of spinning forever.
     */
    public void vmWait(int timo) {
        if (timo == 0) {
            timo = lwkt.hz();
        }
        VmPageout po = pageout();
        long td = lwkt.curthread();
        lwkt.pushFrame("vm_wait");
        kernel.swapmetaPaths().vmWait();    // dfemu: SWAPMETA path counters
        kernel.reclaimCheck().vmWait();     // dfemu: reclaim-context checker
        try {
            if (td == po.pagethread() || td == po.emergpager()) {
                // The pageout daemon itself needs pages: this is bad.
                if (p2().vmPagingMin()) {
                    po.vmPageoutPagesNeeded(1);
                    kernel.trace().vmWaitSleep();
                    lwkt.tsleep(po.vmPageoutPagesNeededAddr(), "VMWait", timo);
                    kernel.trace().vmWaitWoke(2);
                }
            } else {
                int nice = curNice(td);
                boolean memoryShort = p2().vmPagingMinNice(nice + 1);
                if (!memoryShort) {
                    bootWaits = 0;
                }
                if (memoryShort) {
                    if (po.vmPagesNeeded() <= 1) {
                        po.vmPagesNeeded(po.vmPagesNeeded() + 1);
                        lwkt.wakeup(po.vmPagesNeededAddr());
                    }
                    vmPagesWaiting(vmPagesWaiting() + 1);
                    bootWaitCheck();
                    kernel.trace().vmWaitSleep();
                    lwkt.tsleep(vs() + StructVmstats.v_free_count$OFFSET, "vmwait", timo);
                    kernel.trace().vmWaitWoke(0);
                }
            }
        } finally {
            lwkt.popFrame();
        }
    }

    /** Consecutive boot-context waits after which {@link #vmWait} panics (see its PORT note). */
    static final int BOOT_WAIT_LIMIT = 10_000;
    // Boot-context waits in a row: thread0's spin guard, not kernel state (the C has no such count).
    private int bootWaits;

    /** Counts a wait that would sleep; in boot context, panics once it is {@link #BOOT_WAIT_LIMIT} in a row. */
    private void bootWaitCheck() {
        if (!lwkt.bootContext()) {
            return;
        }
        if (++bootWaits >= BOOT_WAIT_LIMIT) {
            throw Kassert.panic("vm_wait: out of memory in boot context (free %d, reserved %d): thread0 cannot sleep",
                    StructVmstats.v_free_count(km, vs()), StructVmstats.v_free_reserved(km, vs()));
        }
    }

    private int curNice(long td) {
        long p = StructThread.td_proc(km, td);
        return p != 0 ? StructProc.p_nice(km, p) : 0;
    }

    /**
     * vm_wait_pfault(): the page-fault path's wait. Below the process's nice-scaled trip point
     * (vm_paging_min_nice(nice)) it wakes the pagedaemon and sleeps hz/10+1 ticks at a time on
     * &vmstats.v_free_count, at least once and for as long as paging is severe, unless the
     * process is being killed for low memory (P_LOWMEMKILL). May block.
     */
    public void vmWaitPfault() {
        long td = lwkt.curthread();
        int nice = curNice(td);
        if (!p2().vmPagingMinNice(nice)) {
            return;
        }
        VmPageout po = pageout();
        lwkt.pushFrame("vm_wait_pfault");
        try {
            do {
                if (po.vmPagesNeeded() <= 1) {
                    po.vmPagesNeeded(po.vmPagesNeeded() + 1);
                    lwkt.wakeup(po.vmPagesNeededAddr());
                }
                vmPagesWaiting(vmPagesWaiting() + 1);
                kernel.trace().vmWaitSleep();
                lwkt.tsleep(vs() + StructVmstats.v_free_count$OFFSET, "pfault", lwkt.hz() / 10 + 1);
                kernel.trace().vmWaitWoke(1);

                // Do not stay stuck if the system is trying to kill the process.
                long p = StructThread.td_proc(km, lwkt.curthread());
                if (p != 0 && (StructProc.p_flags(km, p) & StructProc.P_LOWMEMKILL) != 0) {
                    break;
                }
            } while (p2().vmPagingSevere());
        } finally {
            lwkt.popFrame();
        }
    }

    // ---- queue movement -----------------------------------------------------------------------

    /**
     * vm_page_activate(): puts the page on the active queue (if it may be queued) with act_count
     * at least ACT_INIT. Wired pages are fine. Never blocks.
     */
    public void vmPageActivate(long m) {
        if (queue(m) - pc(m) == PQ_ACTIVE || (flags(m) & (PG_FICTITIOUS | PG_UNQUEUED)) != 0) {
            if (StructVmPage.act_count(km, m) < ACT_INIT) {
                StructVmPage.act_count(km, m, ACT_INIT);
            }
            return;
        }
        spinLockPage(m);
        if (queue(m) - pc(m) != PQ_ACTIVE && (flags(m) & (PG_FICTITIOUS | PG_UNQUEUED)) == 0) {
            _vmPageQueueSpinLock(m);
            int oqueue = _vmPageRemQueueSpinlocked(m);
            if (oqueue == PQ_CACHE) {
                incCnt(StructVmmeter.v_reactivated$OFFSET);
            }
            if (StructVmPage.act_count(km, m) < ACT_INIT) {
                StructVmPage.act_count(km, m, ACT_INIT);
            }
            _vmPageAddQueueSpinlocked(m, PQ_ACTIVE + pc(m), false);
            _vmPageAndQueueSpinUnlock(m);
            if (oqueue == PQ_CACHE || oqueue == PQ_FREE) {
                pageout().pagedaemonWakeup();
            }
        } else {
            if (StructVmPage.act_count(km, m) < ACT_INIT) {
                StructVmPage.act_count(km, m, ACT_INIT);
            }
            spinUnlockPage(m);
        }
    }

    /** vm_page_soft_activate(): as vm_page_activate(), cheaper when already active. */
    public void vmPageSoftActivate(long m) {
        if (queue(m) - pc(m) == PQ_ACTIVE || (flags(m) & (PG_FICTITIOUS | PG_UNQUEUED)) != 0) {
            if (StructVmPage.act_count(km, m) < ACT_INIT) {
                StructVmPage.act_count(km, m, ACT_INIT);
            }
        } else {
            vmPageActivate(m);
        }
    }

    /**
     * vm_page_free_wakeup(): after a page went to the free or cache queue. Wakes the pagedaemon if
     * it waits for pages and free+cache reached v_pageout_free_min; wakes vm_wait sleepers once
     * free+cache is v_page_free_hysteresis (16) pages above v_free_min, or above target1.
     * Never blocks.
     */
    private void vmPageFreeWakeup() {
        VmPageout po = pageout();
        long vs = kernel.vmMeter().mygdVmstats();
        if (po.vmPageoutPagesNeeded() != 0
                && StructVmstats.v_cache_count(km, vs) + StructVmstats.v_free_count(km, vs)
                    >= StructVmstats.v_pageout_free_min(km, vs)) {
            po.vmPageoutPagesNeeded(0);
            lwkt.wakeup(po.vmPageoutPagesNeededAddr());
        }
        if (vmPagesWaiting() != 0) {
            if (!p2().vmPagingMinDnc(po.vmPageFreeHysteresis()) || !p2().vmPagingTarget1()) {
                vmPagesWaiting(0);
                lwkt.wakeup(vs() + StructVmstats.v_free_count$OFFSET);
                incCnt(StructVmmeter.v_ppwakeups$OFFSET);
            }
        }
    }

    /**
     * vm_page_free_toq(): returns the page to PQ_FREE (PQ_HOLD while held) and takes it out of
     * its object. The page must be hard-busied, not soft-busied, unwired, unmapped and not already
     * free; the busy is released (the page is free). Never blocks (spins).
     *
     * <p>A page freed is not progress to the stall watchdog (debug.stall_timeout): a slab
     * attempt that takes pages and gives them back frees pages without anything moving
     * (kmalloc_obj_intnowait's spin on swapmeta-refill); real progress shows as faults completed
     * and swap I/O finished.
     */
    public void vmPageFreeToq(long m) {
        incCnt(StructVmmeter.v_tfree$OFFSET);
        if ((flags(m) & (PG_MAPPED | PG_WRITEABLE)) != 0) {
            kernel.pmap().pmapMappedSync(m);
        }
        Kassert.kkassert((flags(m) & PG_MAPPED) == 0, "(m->flags & PG_MAPPED) == 0", "vm_page_free_toq");
        Kassert.kkassert((busyCount(m) & PBUSY_LOCKED) != 0, "m->busy_count & PBUSY_LOCKED", "vm_page_free_toq");

        if ((busyCount(m) & PBUSY_MASK) != 0 || queue(m) - pc(m) == PQ_FREE) {
            if (queue(m) - pc(m) == PQ_FREE) {
                throw Kassert.panic("vm_page_free: freeing free page");
            }
            throw Kassert.panic("vm_page_free: freeing busy page");
        }

        vmPageRemove(m);

        // No further management of fictitious pages beyond object and queue removal.
        if ((flags(m) & PG_FICTITIOUS) != 0) {
            Kassert.kkassert(queue(m) == PQ_NONE, "m->queue == PQ_NONE", "vm_page_free_toq");
            vmPageWakeup(m);
            return;
        }
        vmPageAndQueueSpinLock(m);
        _vmPageRemQueueSpinlocked(m);

        StructVmPage.valid(km, m, 0);
        StructVmPage.dirty(km, m, 0);

        int wireCount = StructVmPage.wire_count(km, m);
        if (wireCount != 0) {
            if (wireCount > 1) {
                throw Kassert.panic("vm_page_free: invalid wire count (%d), pindex: 0x%x",
                        wireCount, StructVmPage.pindex(km, m));
            }
            throw Kassert.panic("vm_page_free: freeing wired page");
        }
        // MD_PAGE_FREEABLE
        if ((flags(m) & (PG_MAPPED | PG_WRITEABLE)) != 0) {
            throw Kassert.panic("vm_page_free: page 0x%x is still mapped!", m);
        }

        // The page returns to normal operation on PQ_HOLD or PQ_FREE.
        flagClear(m, PG_NEED_COMMIT | PG_UNQUEUED);
        boolean toFree = StructVmPage.hold_count(km, m) == 0;
        if (!toFree) {
            _vmPageAddQueueSpinlocked(m, PQ_HOLD + pc(m), false);
        } else {
            _vmPageAddQueueSpinlocked(m, PQ_FREE + pc(m), true);
        }

        // Clear BUSY while still holding the page spinlock (the queue must be unlocked first, or
        // the wakeup could deadlock).
        _vmPageQueueSpinUnlock(m);
        if (_vmPageWakeup(m)) {
            spinUnlockPage(m);
            lwkt.wakeup(m);
        } else {
            spinUnlockPage(m);
        }
        vmPageFreeWakeup();
        if (toFree) {
            kernel.trace().pageFree(m);
        }
    }

    /**
     * vm_page_wire(): adds a wiring (counted in v_wire_count on the first). Does not move the page
     * between queues. No effect on fictitious pages. The page must be hard-busied.
     */
    public void vmPageWire(long m) {
        Kassert.kkassert((busyCount(m) & PBUSY_LOCKED) != 0, "m->busy_count & PBUSY_LOCKED", "vm_page_wire");
        if ((flags(m) & PG_FICTITIOUS) == 0) {
            if (km.fetchAdd32(m + StructVmPage.wire_count$OFFSET, 1) == 0) {
                StructVmstats.add(km, StructGlobaldata.gd_vmstats_adj(kernel.globaldata().mycpu()),
                        StructVmstats.v_wire_count$OFFSET, 1);
            }
            Kassert.kassert(StructVmPage.wire_count(km, m) != 0,
                    () -> String.format("vm_page_wire: wire_count overflow m=0x%x", m));
        }
    }

    /**
     * vm_page_unwire(): drops a wiring; on the last one the page goes to the active queue if
     * {@code activate} or PG_NEED_COMMIT, else to the inactive queue (never the cache: the page
     * may just have been dirtied). UNQUEUED pages stay off queues; fictitious pages are
     * untouched. The page must be hard-busied. Never blocks.
     */
    public void vmPageUnwire(long m, boolean activate) {
        Kassert.kkassert((busyCount(m) & PBUSY_LOCKED) != 0, "m->busy_count & PBUSY_LOCKED", "vm_page_unwire");
        if ((flags(m) & PG_FICTITIOUS) != 0) {
            return;
        }
        int wireCount = StructVmPage.wire_count(km, m);
        if (wireCount <= 0) {
            throw Kassert.panic("vm_page_unwire: invalid wire count: %d", wireCount);
        }
        if (km.fetchAdd32(m + StructVmPage.wire_count$OFFSET, -1) == 1) {
            StructVmstats.add(km, StructGlobaldata.gd_vmstats_adj(kernel.globaldata().mycpu()),
                    StructVmstats.v_wire_count$OFFSET, -1);
            if ((flags(m) & PG_UNQUEUED) != 0) {
                return;
            } else if (activate || (flags(m) & PG_NEED_COMMIT) != 0) {
                vmPageActivate(m);
            } else {
                vmPageDeactivate(m);
            }
        }
    }

    /**
     * _vm_page_deactivate_locked(): moves the page to the inactive queue, at the tail (LRU) or,
     * with {@code athead}, at the head ("as if cached"). The page spinlock is held on entry and
     * on return. Wired pages are fine. Never blocks.
     */
    private void _vmPageDeactivateLocked(long m, boolean athead) {
        if (queue(m) - pc(m) == PQ_INACTIVE || (flags(m) & (PG_FICTITIOUS | PG_UNQUEUED)) != 0) {
            return;
        }
        _vmPageQueueSpinLock(m);
        int oqueue = _vmPageRemQueueSpinlocked(m);
        if ((flags(m) & (PG_FICTITIOUS | PG_UNQUEUED)) == 0) {
            if (oqueue == PQ_CACHE) {
                incCnt(StructVmmeter.v_reactivated$OFFSET);
            }
            flagClear(m, PG_WINATCFLS);
            _vmPageAddQueueSpinlocked(m, PQ_INACTIVE + pc(m), athead);
            if (!athead) {
                km.fetchAdd64(vmPageQueue(PQ_INACTIVE + pc(m)) + StructVpgqueues.adds$OFFSET, 1);
            }
        }
        _vmPageQueueSpinUnlock(m);
    }

    /** vm_page_deactivate(): moves the page to the tail of the inactive queue. No requirements. */
    public void vmPageDeactivate(long m) {
        if (queue(m) - pc(m) != PQ_INACTIVE && (flags(m) & (PG_FICTITIOUS | PG_UNQUEUED)) == 0) {
            spinLockPage(m);
            _vmPageDeactivateLocked(m, false);
            spinUnlockPage(m);
        }
    }

    /** vm_page_deactivate_locked(): as vm_page_deactivate(); the caller holds the page spinlock. */
    public void vmPageDeactivateLocked(long m) {
        _vmPageDeactivateLocked(m, false);
    }

    /**
     * vm_page_try_to_cache(): moves a hard-busied clean page to PQ_CACHE; returns true if it did.
     * A dirty active page is deactivated instead. The busy is always released. Never blocks.
     */
    public boolean vmPageTryToCache(long m) {
        if (StructVmPage.dirty(km, m) != 0 || StructVmPage.hold_count(km, m) != 0
                || StructVmPage.wire_count(km, m) != 0 || queue(m) - pc(m) == PQ_CACHE
                || (flags(m) & (PG_UNQUEUED | PG_NEED_COMMIT | PG_FICTITIOUS)) != 0) {
            vmPageWakeup(m);
            return false;
        }
        vmPageTestDirty(m);
        if (StructVmPage.dirty(km, m) != 0 || (flags(m) & PG_NEED_COMMIT) != 0) {
            if (queue(m) - pc(m) == PQ_ACTIVE) {
                vmPageDeactivate(m);
            }
            vmPageWakeup(m);
            return false;
        }
        vmPageCache(m);
        return true;
    }

    /**
     * vm_page_try_to_free(): frees an unbusied page if it is clean, unheld, unwired and queued
     * normally; returns true if it did. No requirements. Never blocks.
     */
    public boolean vmPageTryToFree(long m) {
        if (vmPageBusyTry(m, true)) {
            return false;
        }
        if (StructVmPage.dirty(km, m) != 0 || StructVmPage.hold_count(km, m) != 0
                || StructVmPage.wire_count(km, m) != 0
                || (flags(m) & (PG_UNQUEUED | PG_NEED_COMMIT | PG_FICTITIOUS)) != 0
                || queue(m) - pc(m) == PQ_FREE || queue(m) - pc(m) == PQ_HOLD) {
            vmPageWakeup(m);
            return false;
        }
        vmPageTestDirty(m);
        if (StructVmPage.dirty(km, m) != 0 || (flags(m) & PG_NEED_COMMIT) != 0) {
            vmPageWakeup(m);
            return false;
        }
        p2().vmPageProtect(m, Vm.VM_PROT_NONE);
        if (StructVmPage.dirty(km, m) != 0 || (flags(m) & PG_NEED_COMMIT) != 0) {
            vmPageWakeup(m);
            return false;
        }
        vmPageFreeToq(m);
        return true;
    }

    /**
     * vm_page_cache(): puts a hard-busied clean page on PQ_CACHE (dirty ones are deactivated,
     * unsuitable ones left alone). The busy is released. Never blocks.
     */
    public void vmPageCache(long m) {
        if ((flags(m) & (PG_UNQUEUED | PG_NEED_COMMIT | PG_FICTITIOUS)) != 0
                || (busyCount(m) & PBUSY_MASK) != 0
                || StructVmPage.wire_count(km, m) != 0 || StructVmPage.hold_count(km, m) != 0) {
            vmPageWakeup(m);
            return;
        }
        if (queue(m) - pc(m) == PQ_CACHE) {
            Kassert.kkassert((flags(m) & PG_MAPPED) == 0, "(m->flags & PG_MAPPED) == 0", "vm_page_cache");
            vmPageWakeup(m);
            return;
        }
        if ((flags(m) & (PG_MAPPED | PG_WRITEABLE)) != 0) {
            p2().vmPageProtect(m, Vm.VM_PROT_NONE);
            kernel.pmap().pmapMappedSync(m);
        }
        if ((flags(m) & (PG_UNQUEUED | PG_MAPPED)) != 0
                || (busyCount(m) & PBUSY_MASK) != 0
                || StructVmPage.wire_count(km, m) != 0 || StructVmPage.hold_count(km, m) != 0) {
            vmPageWakeup(m);
        } else if (StructVmPage.dirty(km, m) != 0 || (flags(m) & PG_NEED_COMMIT) != 0) {
            vmPageDeactivate(m);
            vmPageWakeup(m);
        } else {
            _vmPageAndQueueSpinLock(m);
            _vmPageRemQueueSpinlocked(m);
            _vmPageAddQueueSpinlocked(m, PQ_CACHE + pc(m), false);
            _vmPageAndQueueSpinUnlock(m);
            vmPageWakeup(m);
            vmPageFreeWakeup();
        }
    }

    /**
     * vm_page_dontneed(): madvise(MADV_DONTNEED): by a fixed weighting, leaves the page alone,
     * deactivates it (3 of 32) or puts it at the head of the inactive queue (28 of 32). The page
     * must be busied. The C's function-static {@code dnweight} is a global here.
     */
    public void vmPageDontneed(long m) {
        int dnw = km.fetchAdd32(globals + DNWEIGHT, 1) + 1;
        if ((dnw & 0x01F0) == 0 || queue(m) - pc(m) == PQ_INACTIVE || queue(m) - pc(m) == PQ_CACHE) {
            if (StructVmPage.act_count(km, m) >= ACT_INIT) {
                StructVmPage.act_count(km, m, StructVmPage.act_count(km, m) - 1);
            }
            return;
        }
        // Clear the referenced state, or the pagedaemon would reactivate the page.
        flagClear(m, PG_REFERENCED);
        kernel.pmap().pmapClearReference(m);

        if (StructVmPage.dirty(km, m) == 0) {
            vmPageTestDirty(m);
        }
        boolean head = !(StructVmPage.dirty(km, m) != 0 || (dnw & 0x0070) == 0);
        spinLockPage(m);
        _vmPageDeactivateLocked(m, head);
        spinUnlockPage(m);
    }

    /** vm_page_io_start(): adds a soft-busy for I/O. The page must be hard-busied. */
    public void vmPageIoStart(long m) {
        int ocount = km.fetchAdd32(m + StructVmPage.busy_count$OFFSET, 1);
        Kassert.kkassert((ocount & PBUSY_LOCKED) != 0, "ocount & PBUSY_LOCKED", "vm_page_io_start");
    }

    /** vm_page_io_finish(): drops an I/O soft-busy. */
    public void vmPageIoFinish(long m) {
        int ocount = km.fetchAdd32(m + StructVmPage.busy_count$OFFSET, -1);
        Kassert.kkassert((ocount & PBUSY_MASK) != 0, "ocount & PBUSY_MASK", "vm_page_io_finish");
    }

    /** vm_page_sbusy_try(): soft-busies a page that is not hard-busied; true on FAILURE. */
    public boolean vmPageSbusyTry(long m) {
        for (;;) {
            int ocount = busyCount(m);
            if ((ocount & PBUSY_LOCKED) != 0) {
                return true;
            }
            if (casBusy(m, ocount, ocount + 1)) {
                return false;
            }
        }
    }

    /** vm_page_need_commit(): a clean page that must still be committed (tmpfs) cannot be reused. */
    public void vmPageNeedCommit(long m) {
        flagSet(m, PG_NEED_COMMIT);
        kernel.vmObject().vmObjectSetWriteableDirty(StructVmPage.object(km, m));
    }

    /** vm_page_clear_commit(). */
    public void vmPageClearCommit(long m) {
        flagClear(m, PG_NEED_COMMIT);
    }

    /**
     * vm_page_grab(): the page at (object, pindex), hard-busied, allocating it if needed; with
     * VM_ALLOC_RETRY (which needs NORMAL) it never returns 0, looping on vm_wait(); without it, 0
     * if the allocation failed, and a panic (the C's NULL dereference) if the page was busy.
     * ZERO zeroes a new invalid page, FORCE_ZERO any page, and marks it valid. Not from
     * interrupts. May block.
     */
    public long vmPageGrab(long object, long pindex, int allocflags) {
        Kassert.kkassert((allocflags & (VM_ALLOC_NORMAL | VM_ALLOC_INTERRUPT | VM_ALLOC_SYSTEM)) != 0,
                "allocflags & (VM_ALLOC_NORMAL|VM_ALLOC_INTERRUPT|VM_ALLOC_SYSTEM)", "vm_page_grab");
        VmObject vo = kernel.vmObject();
        boolean shared = true;
        boolean[] error = new boolean[1];
        long m;
        vo.vmObjectHoldShared(object);
        try {
            for (;;) {
                m = vmPageLookupBusyTry(object, pindex, true, error);
                if (error[0]) {
                    vmPageSleepBusy(m, true, "pgrbwt");
                    if ((allocflags & VM_ALLOC_RETRY) == 0) {
                        // PORT: the C sets m = NULL, breaks out and reads m->valid: a NULL
                        // dereference, i.e. a kernel page-fault panic (still so at HEAD). The
                        // port panics the same way rather than return the NULL the comment
                        // promises, so a run that reaches this path reports the C's bug.
                        throw Kassert.panic("vm_page_grab: NULL page dereferenced (busy page at pindex %d"
                                + " without VM_ALLOC_RETRY)", pindex);
                    }
                } else if (m == 0) {
                    if (shared) {
                        vo.vmObjectUpgrade(object);
                        shared = false;
                    }
                    if ((allocflags & VM_ALLOC_RETRY) != 0) {
                        allocflags |= VM_ALLOC_NULL_OK;
                        kernel.reclaimCheck().pageAlloc("vm_page_grab(VM_ALLOC_RETRY)", allocflags);    // dfemu
                    }
                    m = vmPageAlloc(object, pindex, allocflags & ~VM_ALLOC_RETRY);
                    if (m != 0) {
                        break;
                    }
                    vmWait(0);
                    if ((allocflags & VM_ALLOC_RETRY) == 0) {
                        return 0;
                    }
                } else {
                    break;
                }
            }
            // Zero an invalid page when asked (no pre-zeroed pages in DragonFly any more).
            if (StructVmPage.valid(km, m) == 0) {
                if ((allocflags & (VM_ALLOC_ZERO | VM_ALLOC_FORCE_ZERO)) != 0) {
                    km.zeroPage(VM_PAGE_TO_PHYS(m));
                    StructVmPage.valid(km, m, VM_PAGE_BITS_ALL);
                }
            } else if ((allocflags & VM_ALLOC_FORCE_ZERO) != 0) {
                km.zeroPage(VM_PAGE_TO_PHYS(m));
                StructVmPage.valid(km, m, VM_PAGE_BITS_ALL);
            }
            return m;
        } finally {
            vo.vmObjectDrop(object);
        }
    }

    // ---- valid and dirty bits ---------------------------------------------------------------

    /**
     * vm_page_bits(): the valid/dirty bit mask covering bytes [base, base+size) of a page, one
     * bit per DEV_BSIZE chunk touched. base + size must not exceed PAGE_SIZE.
     */
    public static int vmPageBits(int base, int size) {
        Kassert.kassert(base + size <= PAGE_SIZE,
                () -> String.format("vm_page_bits: illegal base/size %d/%d", base, size));
        if (size == 0) {
            return 0;
        }
        int firstBit = base >> DEV_BSHIFT;
        int lastBit = (base + size - 1) >> DEV_BSHIFT;
        return (2 << lastBit) - (1 << firstBit);
    }

    // pmap_zero_page_area(): zeroes part of a page through the direct map.
    private void pmapZeroPageArea(long pa, int off, int size) {
        km.zeroPhys(pa + off, size);
    }

    // _vm_page_zero_valid(): zeroes the invalid parts of partially covered chunks at both ends.
    private void _vmPageZeroValid(long m, int base, int size) {
        if (size == 0) {
            return;
        }
        int valid = StructVmPage.valid(km, m);
        int frag = base & ~(DEV_BSIZE - 1);
        if (frag != base && (valid & (1 << (base >> DEV_BSHIFT))) == 0) {
            pmapZeroPageArea(VM_PAGE_TO_PHYS(m), frag, base - frag);
        }
        int endoff = base + size;
        frag = endoff & ~(DEV_BSIZE - 1);
        if (frag != endoff && (valid & (1 << (endoff >> DEV_BSHIFT))) == 0) {
            pmapZeroPageArea(VM_PAGE_TO_PHYS(m), endoff, DEV_BSIZE - (endoff & (DEV_BSIZE - 1)));
        }
    }

    /** vm_page_set_valid(): marks [base, base+size) valid (inclusive of partial chunks). */
    public void vmPageSetValid(long m, int base, int size) {
        _vmPageZeroValid(m, base, size);
        StructVmPage.valid(km, m, StructVmPage.valid(km, m) | vmPageBits(base, size));
    }

    /** vm_page_set_validclean(): marks valid and clean; a whole page also drops PG_NOSYNC. Busied. */
    public void vmPageSetValidclean(long m, int base, int size) {
        _vmPageZeroValid(m, base, size);
        int pagebits = vmPageBits(base, size);
        StructVmPage.valid(km, m, StructVmPage.valid(km, m) | pagebits);
        StructVmPage.dirty(km, m, StructVmPage.dirty(km, m) & ~pagebits);
        if (base == 0 && size == PAGE_SIZE) {
            flagClear(m, PG_NOSYNC);
        }
    }

    /** vm_page_set_validdirty(): marks valid and dirty (buwrite). The page must be busied. */
    public void vmPageSetValiddirty(long m, int base, int size) {
        int pagebits = vmPageBits(base, size);
        StructVmPage.valid(km, m, StructVmPage.valid(km, m) | pagebits);
        StructVmPage.dirty(km, m, StructVmPage.dirty(km, m) | pagebits);
        long object = StructVmPage.object(km, m);
        if (object != 0) {
            kernel.vmObject().vmObjectSetWriteableDirty(object);
        }
    }

    /** vm_page_clear_dirty(): clears dirty bits; a whole page also drops PG_NOSYNC. */
    public void vmPageClearDirty(long m, int base, int size) {
        StructVmPage.dirty(km, m, StructVmPage.dirty(km, m) & ~vmPageBits(base, size));
        if (base == 0 && size == PAGE_SIZE) {
            flagClear(m, PG_NOSYNC);
        }
    }

    /**
     * vm_page_dirty(): makes the page all dirty and its object possibly dirty. Panics for a page
     * on the free or cache queue (dirty pages are not allowed there).
     */
    public void vmPageDirty(long m) {
        int pqtype = queue(m) - pc(m);
        Kassert.kassert(pqtype != PQ_CACHE && pqtype != PQ_FREE,
                () -> "vm_page_dirty: page in free/cache queue!");
        if (StructVmPage.dirty(km, m) != VM_PAGE_BITS_ALL) {
            StructVmPage.dirty(km, m, VM_PAGE_BITS_ALL);
            long object = StructVmPage.object(km, m);
            if (object != 0) {
                kernel.vmObject().vmObjectSetWriteableDirty(object);
            }
        }
    }

    /** vm_page_set_invalid(): clears valid and dirty bits of [base, base+size). */
    public void vmPageSetInvalid(long m, int base, int size) {
        int bits = vmPageBits(base, size);
        StructVmPage.valid(km, m, StructVmPage.valid(km, m) & ~bits);
        StructVmPage.dirty(km, m, StructVmPage.dirty(km, m) & ~bits);
        km.fetchAdd32(StructVmPage.object(km, m) + StructVmObject.generation$OFFSET, 1);
    }

    /**
     * vm_page_zero_invalid(): zeroes every invalid chunk of the page (so user mappings see zeros);
     * with {@code setvalid}, then marks the page all valid.
     */
    public void vmPageZeroInvalid(long m, boolean setvalid) {
        int valid = StructVmPage.valid(km, m);
        int nchunks = PAGE_SIZE / DEV_BSIZE;
        for (int b = 0, i = 0; i <= nchunks; ++i) {
            if (i == nchunks || (valid & (1 << i)) != 0) {
                if (i > b) {
                    pmapZeroPageArea(VM_PAGE_TO_PHYS(m), b << DEV_BSHIFT, (i - b) << DEV_BSHIFT);
                }
                b = i + 1;
            }
        }
        if (setvalid) {
            StructVmPage.valid(km, m, VM_PAGE_BITS_ALL);
        }
    }

    /** vm_page_is_valid(): true if [base, base+size) is valid (size 0: if anything is valid). */
    public boolean vmPageIsValid(long m, int base, int size) {
        int bits = vmPageBits(base, size);
        int valid = StructVmPage.valid(km, m);
        return valid != 0 && (valid & bits) == bits;
    }

    /**
     * vm_page_test_dirty(): folds the pmap's modified state (the D bits of the page's mappings)
     * into m->dirty. The page must be busied. May block (pmap backing scan).
     */
    public void vmPageTestDirty(long m) {
        if (StructVmPage.dirty(km, m) != VM_PAGE_BITS_ALL && kernel.pmap().pmapIsModified(m)) {
            vmPageDirty(m);
        }
    }
}
