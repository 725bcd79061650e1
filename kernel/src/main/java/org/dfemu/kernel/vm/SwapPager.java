package org.dfemu.kernel.vm;

import org.dfemu.emulator.api.Tunable;
import org.dfemu.emulator.disk.IoStatus;
import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.sys.StructVmmeter;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.kern.Lwkt;
import org.dfemu.kernel.kern.SubrBlist;
import org.dfemu.kernel.sys.Malloc;
import org.dfemu.kernel.sys.StructThread;
import org.dfemu.kernel.sys.StructVmstats;
import org.dfemu.kernel.sys.Sysctl;
import org.dfemu.kernel.sys.Tree;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.List;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_LONG;
import static org.dfemu.kernel.Ctypes.C_POINTER;
import static org.dfemu.kernel.kern.SubrBlist.BLIST_MAX_ALLOC;
import static org.dfemu.kernel.kern.SubrBlist.SWAPBLK_NONE;
import static org.dfemu.kernel.vm.StructSwblock.SWAP_META_MASK;
import static org.dfemu.kernel.vm.StructSwblock.SWAP_META_PAGES;
import static org.dfemu.kernel.vm.StructVmPage.PBUSY_SWAPINPROG;
import static org.dfemu.kernel.vm.StructVmPage.PBUSY_WANTED;
import static org.dfemu.kernel.vm.StructVmPage.PG_REFERENCED;
import static org.dfemu.kernel.vm.StructVmPage.PG_SWAPPED;
import static org.dfemu.kernel.vm.StructVmPage.VM_PAGE_BITS_ALL;
import static org.dfemu.kernel.vm.VmSwap.SWB_DMMASK;
import static org.dfemu.kernel.sys.Errno.ENOMEM;
import static org.dfemu.kernel.vm.VmPager.VM_PAGER_AGAIN;
import static org.dfemu.kernel.vm.VmPager.VM_PAGER_ERROR;
import static org.dfemu.kernel.vm.VmPager.VM_PAGER_FAIL;
import static org.dfemu.kernel.vm.VmPager.VM_PAGER_OK;
import static org.dfemu.kernel.vm.VmPager.VM_PAGER_PEND;
import static org.dfemu.kernel.vm.VmSwap.SWB_DMMAX;

/**
 * swap_pager.c: DragonFly BSD sys/vm/swap_pager.c at commit 737b020b54 (2021-05-28): anonymous
 * memory's backing store.
 *
 * <p>Vocabulary. A <em>swap block</em> ({@code swblk_t}) is a page-sized slot of swap space,
 * numbered across the interleaved devices ({@link VmSwap}); SWAPBLK_NONE (2^63) means none. The
 * free blocks are a blist ({@link SubrBlist}) that never allocates memory. An object's metadata
 * is an RB tree ({@code object->swblock_root}, keyed by swb_index) of {@link StructSwblock}s,
 * each mapping 32 consecutive page indices to their swap blocks:
 * <pre>
 *   object --swblock_root--> swblock{swb_index=0,  swb_count=2, swb_pages[0..31]}
 *                            swblock{swb_index=32, swb_count=1, ...}
 *   swb_pages[pindex &amp; 31] = swap block of page pindex, or SWAPBLK_NONE
 * </pre>
 *
 * <p>Algorithm, pageout (swap_pager_putpages): per chunk of up to nsw_cluster_max (16) pages, get
 * that many contiguous blocks from the blist (halving down to 4, else VM_PAGER_FAIL), trim the
 * run at a stripe boundary, record each page's block with swp_pager_meta_build (the ONLY memory
 * allocation on the anonymous pageout path: a swblock from SWAPMETA, retried after vm_wait(0)
 * forever when the allocator returns NULL), and write the pages to the device. The pagedaemon's
 * and the emergency pager's writes are asynchronous (at most nsw_wcount_async = 4 in flight),
 * everyone else's synchronous. The completion (swp_pager_async_iodone) undirties the pages and
 * sets PG_SWAPPED, or on error frees the blocks and re-dirties the pages.
 *
 * <p>Algorithm, pagein (swap_pager_getpage): look up the page's block (none: VM_PAGER_FAIL),
 * read it into the busied page, sleep on the page until the completion clears PBUSY_SWAPINPROG.
 *
 * <p>The allocator behind SWAPMETA is the boot setting {@code vm.swapmeta_alloc}
 * ({@link SwapmetaAlloc}): {@code zalloc} (DragonFly: a ZONE_INTERRUPT zone, which makes progress
 * with one free page), {@code kmalloc_obj} (a kmalloc_obj zone, kern_kmalloc.c unchanged: a new
 * slab is 32 VM_ALLOC_NORMAL pages allocated with M_WAITOK) and {@code kmalloc_obj_reserve} (the
 * same zone flagged KSF_OBJRESERVE: kern_kmalloc.c keeps kern.kmalloc_obj_reserve_slabs ready
 * slabs, see KernKmalloc) and {@code kmalloc_obj_nowait} (the reserve, plus: the pageout daemons
 * ask for a swblock without blocking, and a page whose swblock cannot be had that way is left
 * dirty, as a page without swap space is). Only {@link #swapmetaAlloc}, {@link #swapmetaFree},
 * the soft failure of swp_pager_meta_build and its handling in swap_pager_putpages differ.
 *
 * <p>Globals (data segment): swap_zone, the SWAPMETA malloc type, swapblist, swapiterator,
 * vm_swap_anon_use, vm_swap_cache_use, swap_pager_full, swap_pager_almost_full, swap_fail_ticks,
 * nswap_lowat, nswap_hiwat, nsw_rcount, nsw_wcount_sync, nsw_wcount_async,
 * nsw_wcount_async_max, nsw_cluster_max, swap_async_max, swap_user_async, swap_burst_read, the
 * pbuf free list and the completion queue; the pbufs themselves.
 *
 * <p>PORT: the I/O buffers are pbufs reduced to a {@code swbuf} (below) with no KVA (pager_map
 * is not modelled): the swbuf's one device request names the cluster's pages as a scatter-gather
 * list of their physical addresses (VmSwap.swapdevStrategy), which is what the disk driver's
 * busdma would derive from the pbuf's KVA mapping, so there is no pmap_qenter/pmap_qremove. As in
 * the C, a swbuf is one request with one completion. The disk's completion interrupt only records
 * the status in the swbuf; the rest of biodone runs, as in DragonFly where bio completion runs in
 * the disk's interrupt thread, in the kernel thread
 * "swapintr" (started by {@link #swapPagerIntrStart}), or in the waiting thread for synchronous
 * writes (biowait, then swp_pager_async_iodone, as the C does). vm_token and the object tokens are
 * not taken (see Lwkt's PORT note); gd_vmtotal.t_vm and the kcollect callbacks are not kept.
 * swap_pager_strategy, swap_pager_copy, swap_pager_condfree, swap_pager_reserve and swapoff are
 * not ported.
 *
 * <p>As {@code swappagerops} ({@link VmPagerOps}) it is registered for OBJT_SWAP objects at link
 * time (Kernel); pgo_putpages is called directly by the pageout code.
 */
public final class SwapPager implements VmPagerOps {

    /** putpages flags (vm_pager.h). */
    public static final int VM_PAGER_PUT_SYNC = 0x0001;
    public static final int VM_PAGER_PUT_INVAL = 0x0002;
    public static final int VM_PAGER_TRY_TO_CACHE = 0x0010;

    /** swp_pager_meta_ctl flags (swap_pager.h). */
    public static final int SWM_FREE = 0x02;
    public static final int SWM_POP = 0x04;

    /** {@code MAX_PAGEOUT_CLUSTER}. */
    public static final int MAX_PAGEOUT_CLUSTER = 16;
    /** {@code MAXPHYS / PAGE_SIZE} (MAXPHYS 128 KiB). */
    private static final int MAXPHYS_PAGES = 32;
    /** {@code XIO_INTERNAL_PAGES}: read-ahead bound of getpage. */
    private static final int XIO_INTERNAL_PAGES = MAX_PAGEOUT_CLUSTER;
    /**
     * {@code nswbuf_kva}: pbufs with KVA. PORT: vm_pager.c derives it from nbuf; 16 is its floor,
     * which gives the C's ratios (8 read, 4 sync write, 4 async write).
     */
    public static final int NSWBUF_KVA = 16;

    /** bio_caller_info1.index bits. */
    private static final int SWBIO_READ = 0x01;
    private static final int SWBIO_WRITE = 0x02;
    private static final int SWBIO_SYNC = 0x04;
    private static final int SWBIO_TTC = 0x08;

    /**
     * {@code struct swbuf} (PORT: the part of struct buf and its bio the swap pager uses).
     * <pre>
     *   next        0  free list / completion queue link
     *   index       8  SWBIO_* (bio_caller_info1.index)
     *   error      12  b_error (0, or the errno the request completed with)
     *   blkno      16  first swap block (bio_offset &gt;&gt; PAGE_SHIFT)
     *   npages     24  b_xio.xio_npages
     *   driver     28  bio_driver_info: index of the requested page (reads)
     *   done       32  biodone_sync's flag for biowait
     *   (pad)      36
     *   pages[16]  40  b_xio.xio_pages
     * </pre>
     */
    private static final StructLayout SWBUF = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_POINTER.withName("next"),
            C_INT.withName("index"),
            C_INT.withName("error"),
            C_LONG.withName("blkno"),
            C_INT.withName("npages"),
            C_INT.withName("driver"),
            C_INT.withName("done"),
            Ctypes.pad(4),
            MemoryLayout.sequenceLayout(MAX_PAGEOUT_CLUSTER, C_POINTER).withName("pages")).withName("swbuf"), 168);
    private static final long B_NEXT = Ctypes.offset(SWBUF, "next");
    private static final long B_INDEX = Ctypes.offset(SWBUF, "index");
    private static final long B_ERROR = Ctypes.offset(SWBUF, "error");
    private static final long B_BLKNO = Ctypes.offset(SWBUF, "blkno");
    private static final long B_NPAGES = Ctypes.offset(SWBUF, "npages");
    private static final long B_DRIVER = Ctypes.offset(SWBUF, "driver");
    private static final long B_DONE = Ctypes.offset(SWBUF, "done");
    private static final long B_PAGES = Ctypes.offset(SWBUF, "pages");

    private static final StructLayout GLOBALS = MemoryLayout.structLayout(
            C_POINTER.withName("swap_zone"),
            C_POINTER.withName("swapblist"),
            C_LONG.withName("swapiterator"),
            C_LONG.withName("vm_swap_anon_use"),
            C_LONG.withName("vm_swap_cache_use"),
            C_INT.withName("swap_pager_full"),
            C_INT.withName("swap_pager_almost_full"),
            C_INT.withName("swap_fail_ticks"),
            C_INT.withName("nswap_lowat"),
            C_INT.withName("nswap_hiwat"),
            C_INT.withName("nsw_rcount"),
            C_INT.withName("nsw_wcount_sync"),
            C_INT.withName("nsw_wcount_async"),
            C_INT.withName("nsw_wcount_async_max"),
            C_INT.withName("nsw_cluster_max"),
            C_INT.withName("swap_async_max"),
            C_INT.withName("swap_user_async"),
            C_INT.withName("swap_burst_read"),
            C_INT.withName("bswneeded"),
            C_POINTER.withName("bswlist"),
            C_POINTER.withName("swapintr_queue"),
            C_POINTER.withName("swapintr_td")).withName("swap_pager_globals");
    private static final long SWAP_ZONE = Ctypes.offset(GLOBALS, "swap_zone");
    private static final long SWAPBLIST = Ctypes.offset(GLOBALS, "swapblist");
    private static final long SWAPITERATOR = Ctypes.offset(GLOBALS, "swapiterator");
    private static final long VM_SWAP_ANON_USE = Ctypes.offset(GLOBALS, "vm_swap_anon_use");
    private static final long VM_SWAP_CACHE_USE = Ctypes.offset(GLOBALS, "vm_swap_cache_use");
    private static final long SWAP_PAGER_FULL = Ctypes.offset(GLOBALS, "swap_pager_full");
    private static final long SWAP_PAGER_ALMOST_FULL = Ctypes.offset(GLOBALS, "swap_pager_almost_full");
    private static final long SWAP_FAIL_TICKS = Ctypes.offset(GLOBALS, "swap_fail_ticks");
    private static final long NSWAP_LOWAT = Ctypes.offset(GLOBALS, "nswap_lowat");
    private static final long NSWAP_HIWAT = Ctypes.offset(GLOBALS, "nswap_hiwat");
    private static final long NSW_RCOUNT = Ctypes.offset(GLOBALS, "nsw_rcount");
    private static final long NSW_WCOUNT_SYNC = Ctypes.offset(GLOBALS, "nsw_wcount_sync");
    private static final long NSW_WCOUNT_ASYNC = Ctypes.offset(GLOBALS, "nsw_wcount_async");
    private static final long NSW_WCOUNT_ASYNC_MAX = Ctypes.offset(GLOBALS, "nsw_wcount_async_max");
    private static final long NSW_CLUSTER_MAX = Ctypes.offset(GLOBALS, "nsw_cluster_max");
    private static final long SWAP_ASYNC_MAX = Ctypes.offset(GLOBALS, "swap_async_max");
    private static final long SWAP_USER_ASYNC = Ctypes.offset(GLOBALS, "swap_user_async");
    private static final long SWAP_BURST_READ = Ctypes.offset(GLOBALS, "swap_burst_read");
    private static final long BSWNEEDED = Ctypes.offset(GLOBALS, "bswneeded");
    private static final long BSWLIST = Ctypes.offset(GLOBALS, "bswlist");
    private static final long SWAPINTR_QUEUE = Ctypes.offset(GLOBALS, "swapintr_queue");
    private static final long SWAPINTR_TD = Ctypes.offset(GLOBALS, "swapintr_td");

    /** {@code vm.swapmeta_alloc}: which allocator swp_pager_meta_build takes swblocks from. */
    public enum SwapmetaAlloc implements Tunable.Word {
        /** DragonFly's: zalloc on the ZONE_INTERRUPT zone SWAPMETA. */
        ZALLOC("zalloc"),
        /** SWAPMETA as a kmalloc_obj zone, kern_kmalloc.c unchanged. */
        KMALLOC_OBJ("kmalloc_obj"),
        /** SWAPMETA as a kmalloc_obj zone that keeps ready slabs (the 2021-05-14 mail's proposal). */
        KMALLOC_OBJ_RESERVE("kmalloc_obj_reserve"),
        /**
         * The ready slabs, and a pageout path that never blocks for SWAPMETA: when no slab can be
         * had without blocking, swp_pager_meta_build fails and swap_pager_putpages leaves the
         * page dirty for a later pass (a second patch on top of the mail's proposal).
         */
        KMALLOC_OBJ_NOWAIT("kmalloc_obj_nowait"),
        /**
         * kmalloc_obj_nowait, with the pageout daemons' swblocks asked for with M_INTNOWAIT: a new
         * slab may take its 32 pages from the interrupt reserve (a third patch, after the second
         * spun on swapmeta-refill seed 3 with 47 pages free, 30 above the SYSTEM class's floor).
         */
        KMALLOC_OBJ_INTNOWAIT("kmalloc_obj_intnowait");

        private final String word;

        SwapmetaAlloc(String word) { this.word = word; }

        /** The boot-setting value ("zalloc", "kmalloc_obj", "kmalloc_obj_reserve", "kmalloc_obj_nowait", ...). */
        @Override
        public String word() { return word; }

        /** True for the variants that keep ready slabs (KSF_OBJRESERVE). */
        public boolean readySlabs() { return this != ZALLOC && this != KMALLOC_OBJ; }

        /** True for the variants whose pageout daemons never block for SWAPMETA (they defer instead). */
        public boolean pageoutDefers() { return this == KMALLOC_OBJ_NOWAIT || this == KMALLOC_OBJ_INTNOWAIT; }
    }

    /** VARIANT: the allocator behind SWAPMETA; its values are the constants of {@link SwapmetaAlloc}. */
    public static final Tunable VM_SWAPMETA_ALLOC = Tunable.choice("vm.swapmeta_alloc", SwapmetaAlloc.ZALLOC,
            "allocator behind SWAPMETA (swblock) structures: the variant under test");

    /** The tunables swap_pager.c fetches, in the order reports list them. */
    public static final List<Tunable> TUNABLES = List.of(VM_SWAPMETA_ALLOC);

    private final Kernel kernel;
    private final KernelMemory km;
    private final Lwkt lwkt;
    private final long globals;
    private final long swbufs;
    private final SwapmetaAlloc alloc;
    /** The SWAPMETA kmalloc_obj zone (MALLOC_DEFINE_OBJ) for the kmalloc_obj variants, else 0. */
    private final long swapmetaType;
    private final Tree.Rb swblockTree;

    /**
     * (boot only) Lays out swap_pager.c's globals and pbufs, registers its sysctls and, for the
     * kmalloc_obj variants, defines the SWAPMETA object zone.
     */
    public SwapPager(Kernel kernel, DataSegment data, Sysctl sysctl) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.lwkt = kernel.lwkt();
        this.globals = data.alloc(GLOBALS);
        this.swbufs = data.alloc(SWBUF.byteSize() * NSWBUF_KVA, 8);
        this.alloc = kernel.kenv().fetchChoice(VM_SWAPMETA_ALLOC, SwapmetaAlloc.class);
        this.swblockTree = new Tree.Rb(km, lwkt, StructSwblock.swb_entry$OFFSET,
                (a, b) -> Long.compareUnsigned(StructSwblock.swb_index(km, a), StructSwblock.swb_index(km, b)),
                e -> StructSwblock.swb_index(km, e));
        if (alloc == SwapmetaAlloc.ZALLOC) {
            this.swapmetaType = 0;
        } else {
            // VARIANT (vm.swapmeta_alloc): MALLOC_DEFINE_OBJ(M_SWAPMETA, sizeof(struct swblock), "SWAPMETA").
            this.swapmetaType = kernel.kernSlaballoc().mallocDefineObj(data, StructSwblock.SIZEOF, "SWAPMETA");
            if (alloc.readySlabs()) {
                kernel.kernKmalloc().kmallocObjSetReserve(swapmetaType);
            }
        }
        km.store32(globals + NSWAP_LOWAT, 128);
        km.store32(globals + NSWAP_HIWAT, 512);
        km.store32(globals + SWAP_ASYNC_MAX, 4);
        for (int i = 0; i < NSWBUF_KVA; i++) {
            long bp = swbufs + i * SWBUF.byteSize();
            km.store64(bp + B_NEXT, km.load64(globals + BSWLIST));
            km.store64(globals + BSWLIST, bp);
        }
        sysctl.sysctlInt("vm.swap_async_max", globals + SWAP_ASYNC_MAX, "Maximum running async swap ops");
        sysctl.sysctlInt("vm.swap_burst_read", globals + SWAP_BURST_READ, "Allow burst reads for pageins");
        sysctl.sysctlInt("vm.swap_user_async", globals + SWAP_USER_ASYNC, "Allow async writes from user processes");
        sysctl.sysctlLong("vm.swap_anon_use", globals + VM_SWAP_ANON_USE, "");
        sysctl.sysctlLong("vm.swap_cache_use", globals + VM_SWAP_CACHE_USE, "");
    }

    // ---- swappagerops ---------------------------------------------------------------------------

    /** pgo_getpage: {@link #swapPagerGetpage}. */
    @Override
    public int pgoGetpage(long object, long[] mpp, int seqaccess) {
        return swapPagerGetpage(object, mpp, seqaccess);
    }

    @Override
    public void pgoPutpages(long object, long[] m, int count, int flags, int[] rtvals) {
        swapPagerPutpages(object, m, count, flags, rtvals);
    }

    /** pgo_haspage: {@link #swapPagerHaspage}. */
    @Override
    public boolean pgoHaspage(long object, long pindex) {
        return swapPagerHaspage(object, pindex);
    }

    /** pgo_dealloc: {@link #swapPagerDealloc}. */
    @Override
    public void pgoDealloc(long object) {
        swapPagerDealloc(object);
    }

    // ---- globals ----------------------------------------------------------------------------

    /** {@code swap_zone} (zalloc variant; 0 before swap_pager_swap_init and in the others). */
    public long swapZone() { return km.load64(globals + SWAP_ZONE); }

    /** The SWAPMETA kmalloc_obj zone of the kmalloc_obj variants (0 under zalloc). */
    public long swapmetaType() { return swapmetaType; }

    /** {@code swapblist}: 0 until the first swapon. */
    public long swapblist() { return km.load64(globals + SWAPBLIST); }

    void swapblist(long bl) { km.store64(globals + SWAPBLIST, bl); }

    /** {@code &swapblist}, for blist_resize. */
    long swapblistAddr() { return globals + SWAPBLIST; }

    /** {@code swap_pager_full}: 2 after an allocation failed, cleared when swap is back above lowat. */
    public int swapPagerFull() { return km.load32(globals + SWAP_PAGER_FULL); }

    /** {@code swap_fail_ticks}: ticks when swap allocation last failed. */
    public int swapFailTicks() { return i32(SWAP_FAIL_TICKS); }

    /** {@code swap_pager_almost_full}. */
    public int swapPagerAlmostFull() { return km.load32(globals + SWAP_PAGER_ALMOST_FULL); }

    /** {@code nswap_lowat}. */
    public int nswapLowat() { return km.load32(globals + NSWAP_LOWAT); }

    /** {@code nswap_hiwat}. */
    public int nswapHiwat() { return km.load32(globals + NSWAP_HIWAT); }

    /** {@code vm_swap_anon_use}. */
    public long vmSwapAnonUse() { return km.load64(globals + VM_SWAP_ANON_USE); }

    /** {@code nsw_wcount_async}: async write pbufs left. */
    public int nswWcountAsync() { return km.load32(globals + NSW_WCOUNT_ASYNC); }

    /** {@code nsw_cluster_max}. */
    public int nswClusterMax() { return km.load32(globals + NSW_CLUSTER_MAX); }

    private int i32(long off) { return km.load32(globals + off); }

    private void i32(long off, int v) { km.store32(globals + off, v); }

    private VmSwap vmSwap() { return kernel.vmSwap(); }

    // ---- sizecheck, init ---------------------------------------------------------------------

    /**
     * swp_sizecheck(): below nswap_lowat free pages sets swap_pager_almost_full (warning once);
     * otherwise clears swap_pager_full, and above nswap_hiwat almost_full too. Never blocks.
     */
    void swpSizecheck() {
        int size = vmSwap().vmSwapSize();
        if (size < i32(NSWAP_LOWAT)) {
            if (i32(SWAP_PAGER_ALMOST_FULL) == 0) {
                kernel.kprintf("swap_pager: out of swap space");
                i32(SWAP_PAGER_ALMOST_FULL, 1);
                i32(SWAP_FAIL_TICKS, (int) lwkt.ticks());
            }
        } else {
            i32(SWAP_PAGER_FULL, 0);
            if (size > i32(NSWAP_HIWAT)) {
                i32(SWAP_PAGER_ALMOST_FULL, 0);
            }
        }
    }

    /**
     * swap_pager_swap_init(): called once by the pageout daemon before its loop. Sets the pbuf
     * limits (nsw_cluster_max = min(MAXPHYS/PAGE_SIZE, MAX_PAGEOUT_CLUSTER) = 16, reads
     * (nswbuf_kva+1)/2, sync writes (nswbuf_kva+3)/4, async writes 4) and creates SWAPMETA.
     * Under zalloc: a ZONE_INTERRUPT zone of n = max(v_page_count/2, maxswzone/sizeof(swblock))
     * entries, retried with n -= (n+2)/3 while zinit fails (no KVA), panicking if it never
     * succeeds. May block (zinit).
     *
     * <p>VARIANT: under the kmalloc_obj variants SWAPMETA is the object zone defined at link time
     * (no entry count, no KVA reservation); kmalloc_obj_reserve builds its ready slabs here, before
     * first use, as the 2021-05-14 mail suggests for boot-sensitive zones.
     */
    public void swapPagerSwapInit() {
        i32(NSW_CLUSTER_MAX, Math.min(MAXPHYS_PAGES, MAX_PAGEOUT_CLUSTER));
        i32(NSW_RCOUNT, (NSWBUF_KVA + 1) / 2);
        i32(NSW_WCOUNT_SYNC, (NSWBUF_KVA + 3) / 4);
        i32(NSW_WCOUNT_ASYNC, 4);
        i32(NSW_WCOUNT_ASYNC_MAX, 4);

        if (alloc != SwapmetaAlloc.ZALLOC) {
            if (alloc.readySlabs()) {
                kernel.kernKmalloc().kmallocObjReserveFill(swapmetaType, Malloc.M_WAITOK);
            }
            return;
        }
        long n = StructVmstats.v_page_count(km, kernel.vmMeter().vmstats()) / 2;
        long maxswzone = kernel.subrParam().maxswzone();
        if (maxswzone != 0 && n < maxswzone / StructSwblock.SIZEOF) {
            n = maxswzone / StructSwblock.SIZEOF;
        }
        long n2 = n;
        long zone = 0;
        do {
            zone = kernel.vmZone().zinit("SWAPMETA", StructSwblock.SIZEOF, n, StructVmZone.ZONE_INTERRUPT);
            if (zone != 0) {
                break;
            }
            // Not enough KVA: try two thirds of the previous size.
            n -= (n + 2) / 3;
        } while (n > 0);
        if (zone == 0) {
            throw Kassert.panic("swap_pager_swap_init: swap_zone == NULL");
        }
        km.store64(globals + SWAP_ZONE, zone);
        if (n2 != n) {
            kernel.kprintf(String.format("Swap zone entries reduced from %d to %d.", n2, n));
        }
    }

    /** {@code mycpu->gd_cnt.FIELD += n}: this cpu's vmmeter event counter. */
    private void cnt(long fieldOffset, int n) {
        long c = kernel.vmMeter().mycnt() + fieldOffset;
        km.store32(c, km.load32(c) + n);
    }

    /**
     * A new swblock from SWAPMETA, or 0 (the caller vm_waits and retries, or under
     * kmalloc_obj_nowait with {@code mflags} M_NOWAIT gives up). {@code mflags} (M_WAITOK,
     * M_NOWAIT or M_INTNOWAIT) is read by kmalloc_obj_nowait and _intnowait only. May block
     * (kmalloc_obj).
     */
    private long swapmetaAlloc(int mflags) {
        return switch (alloc) {
            case ZALLOC -> kernel.vmZone().zalloc(swapZone());
            // VARIANT: M_INTNOWAIT includes M_NULLOK, so a zone at its limit returns NULL into the
            // vm_wait retry instead of panicking; the slab path ignores the flags (kern_kmalloc.c).
            case KMALLOC_OBJ, KMALLOC_OBJ_RESERVE ->
                    kernel.kernKmalloc().kmallocObj(StructSwblock.SIZEOF, swapmetaType, Malloc.M_INTNOWAIT);
            // VARIANT kmalloc_obj_nowait: without M_WAITOK the slab path must not block for
            // pages either (M_NOSLABWAIT) and may return NULL.
            case KMALLOC_OBJ_NOWAIT, KMALLOC_OBJ_INTNOWAIT -> kernel.kernKmalloc().kmallocObj(StructSwblock.SIZEOF, swapmetaType,
                    (mflags & Malloc.M_WAITOK) != 0 ? mflags | Malloc.M_NULLOK : mflags | Malloc.M_NULLOK | Malloc.M_NOSLABWAIT);
        };
    }

    private void swapmetaFree(long swap) {
        if (alloc == SwapmetaAlloc.ZALLOC) {
            kernel.vmZone().zfree(swapZone(), swap);
        } else {
            kernel.kernKmalloc().kfreeObj(swap, swapmetaType);
        }
    }

    /**
     * swap_pager_dealloc(): frees all swap metadata and swap space of {@code object} (pages still
     * in flight are not waited for beyond paging_in_progress). May block.
     *
     * <p>PORT: vm_object_pip_wait is a sleep on the object while paging_in_progress is non-zero.
     */
    public void swapPagerDealloc(long object) {
        kernel.vmObject().vmObjectHold(object);
        while (km.load32(object + StructVmObject.paging_in_progress$OFFSET) != 0) {
            lwkt.tsleep(object, "swpdea", 0);
        }
        swpPagerMetaFreeAll(object);
        kernel.vmObject().vmObjectDrop(object);
    }

    // ---- swap space ---------------------------------------------------------------------------

    /**
     * swp_pager_getswapspace(): {@code npages} contiguous swap blocks from the blist (from the
     * iterator, then from 0), or SWAPBLK_NONE, setting swap_pager_full = 2 and almost_full with a
     * warning. On success accounts the space (swapacctspace, anon or cache use) and runs
     * swp_sizecheck. The caller holds the object. Never blocks.
     */
    long swpPagerGetswapspace(long object, int npages) {
        SubrBlist bl = vmSwap().blist();
        long blk = bl.blistAllocat(swapblist(), npages, km.load64(globals + SWAPITERATOR));
        if (blk == SWAPBLK_NONE) {
            blk = bl.blistAllocat(swapblist(), npages, 0);
        }
        if (blk == SWAPBLK_NONE) {
            if (i32(SWAP_PAGER_FULL) != 2) {
                if (vmSwap().vmSwapMax() == 0) {
                    kernel.kprintf("Warning: The system would like to page to swap but no swap space is configured!");
                } else {
                    kernel.kprintf(String.format("swap_pager_getswapspace: swap full allocating %d pages", npages));
                }
                i32(SWAP_PAGER_FULL, 2);
                if (i32(SWAP_PAGER_ALMOST_FULL) == 0) {
                    i32(SWAP_FAIL_TICKS, (int) lwkt.ticks());
                }
                i32(SWAP_PAGER_ALMOST_FULL, 1);
            }
        } else {
            // swapiterator is not advanced: the C disables that ("doesn't work well").
            vmSwap().swapacctspace(blk, -npages);
            long use = StructVmObject.type(km, object) == StructVmObject.OBJT_SWAP ? VM_SWAP_ANON_USE : VM_SWAP_CACHE_USE;
            km.store64(globals + use, km.load64(globals + use) + npages);
            swpSizecheck();
            kernel.trace().swapAlloc(blk, npages);
        }
        return blk;
    }

    /**
     * swp_pager_freeswapspace(): returns {@code npages} blocks at {@code blk} to the blist (unless
     * the device is closing) and to vm_swap_size; swp_sizecheck. Never blocks.
     *
     * <p>PORT: the freed blocks are also discarded (TRIM) on the device (see VmSwap.swapdevDiscard).
     */
    void swpPagerFreeswapspace(long object, long blk, int npages) {
        vmSwap().swNusedSub(blk, npages);
        long use = StructVmObject.type(km, object) == StructVmObject.OBJT_SWAP ? VM_SWAP_ANON_USE : VM_SWAP_CACHE_USE;
        km.store64(globals + use, km.load64(globals + use) - npages);
        if (vmSwap().closing(blk)) {
            return;
        }
        vmSwap().blist().blistFree(swapblist(), blk, npages);
        vmSwap().vmSwapSize(vmSwap().vmSwapSize() + npages);
        vmSwap().swapdevDiscard(blk, npages);
        swpSizecheck();
        kernel.trace().swapFree(blk, npages);
    }

    /**
     * swap_pager_freespace(): frees the swap of pages [start, start+size) of {@code object}
     * (metadata and space). May block (lwkt_yield between swblocks).
     */
    public void swapPagerFreespace(long object, long start, long size) {
        kernel.vmObject().vmObjectHold(object);
        swpPagerMetaFree(object, start, size);
        kernel.vmObject().vmObjectDrop(object);
    }

    /** swap_pager_freespace_all(): frees all swap of {@code object}. May block. */
    public void swapPagerFreespaceAll(long object) {
        kernel.vmObject().vmObjectHold(object);
        swpPagerMetaFreeAll(object);
        kernel.vmObject().vmObjectDrop(object);
    }

    /**
     * swap_pager_page_inserted(): sets PG_SWAPPED on the busied page {@code m} just inserted if
     * its object has swap for it. Never blocks.
     */
    public void swapPagerPageInserted(long m) {
        long object = StructVmPage.object(km, m);
        if (StructVmObject.swblock_count(km, object) != 0) {
            if (swpPagerMetaCtl(object, StructVmPage.pindex(km, m), 0) != SWAPBLK_NONE) {
                kernel.vmPage2().vmPageFlagSet(m, PG_SWAPPED);
            }
        }
    }

    /**
     * swap_pager_haspage(): whether {@code object} has a swap block for {@code pindex}. No
     * requirements; never blocks.
     */
    public boolean swapPagerHaspage(long object, long pindex) {
        kernel.vmObject().vmObjectHold(object);
        long blk0 = swpPagerMetaCtl(object, pindex, 0);
        kernel.vmObject().vmObjectDrop(object);
        return blk0 != SWAPBLK_NONE;
    }

    /**
     * swap_pager_unswapped(): the busied page {@code m} is being dirtied: frees its swap block,
     * clears PG_SWAPPED. Does not change m->dirty. Never blocks.
     */
    public void swapPagerUnswapped(long m) {
        if ((StructVmPage.flags(km, m) & PG_SWAPPED) != 0) {
            long object = StructVmPage.object(km, m);
            kernel.vmObject().vmObjectHold(object);
            swpPagerMetaCtl(object, StructVmPage.pindex(km, m), SWM_FREE);
            kernel.vmPage2().vmPageFlagClear(m, PG_SWAPPED);
            kernel.vmObject().vmObjectDrop(object);
        }
    }

    // ---- pbufs --------------------------------------------------------------------------------

    /**
     * getpbuf_kva(pfreecnt) (vm_pager.c): waits until the counter at {@code pfreecnt} is non-zero,
     * takes one from it, then takes a swbuf from the free list (waiting if none). May block.
     */
    private long getpbufKva(long pfreecnt) {
        while (km.load32(pfreecnt) <= 0) {
            lwkt.tsleep(pfreecnt, "wswbuf0", 0);
        }
        km.store32(pfreecnt, km.load32(pfreecnt) - 1);
        long bp;
        while ((bp = km.load64(globals + BSWLIST)) == 0) {
            i32(BSWNEEDED, 1);
            lwkt.tsleep(globals + BSWNEEDED, "wswbuf1", 0);
        }
        km.store64(globals + BSWLIST, km.load64(bp + B_NEXT));
        km.bzero(bp, SWBUF.byteSize());
        return bp;
    }

    /** relpbuf(bp, pfreecnt): returns {@code bp} and a count to {@code pfreecnt}, waking waiters. Never blocks. */
    private void relpbuf(long bp, long pfreecnt) {
        km.store64(bp + B_NEXT, km.load64(globals + BSWLIST));
        km.store64(globals + BSWLIST, bp);
        if (i32(BSWNEEDED) != 0) {
            i32(BSWNEEDED, 0);
            lwkt.wakeup(globals + BSWNEEDED);
        }
        int n = km.load32(pfreecnt) + 1;
        km.store32(pfreecnt, n);
        if (n == 1) {
            lwkt.wakeup(pfreecnt);
        }
    }

    private long page(long bp, int j) { return km.load64(bp + B_PAGES + 8L * j); }

    private void page(long bp, int j, long m) { km.store64(bp + B_PAGES + 8L * j, m); }

    /** The swbuf's index in the swbuf array (dfemu's trace keys swap I/O in flight by it). */
    private int swbufSlot(long bp) { return (int) ((bp - swbufs) / SWBUF.byteSize()); }

    /**
     * vn_strategy(swapdev_vp, bio): starts the swbuf's transfer, all its pages as one device
     * request (swapdev_strategy). A request the strategy refuses
     * completes at once with its error, as biodone would: the sync waiter sees it done, an async
     * swbuf goes straight to swp_pager_async_iodone in the caller's context. Never blocks.
     */
    private void vnStrategy(long bp, boolean write) {
        int n = km.load32(bp + B_NPAGES);
        long[] pas = new long[n];
        for (int j = 0; j < n; j++) {
            pas[j] = StructVmPage.phys_addr(km, page(bp, j));
        }
        kernel.trace().swapIoStart(swbufSlot(bp), write, km.load64(bp + B_BLKNO), n);
        int error = vmSwap().swapdevStrategy(write, km.load64(bp + B_BLKNO), n, pas, (id, status) -> swapIntr(bp, status));
        if (error != 0) {
            km.store32(bp + B_ERROR, error);
            if ((km.load32(bp + B_INDEX) & SWBIO_SYNC) != 0) {
                km.store32(bp + B_DONE, 1);
            } else {
                swpPagerAsyncIodone(bp);
            }
        }
    }

    /**
     * The disk's completion interrupt for {@code bp}'s request (interrupt context: only memory
     * and wakeup), biodone's first half: a synchronous swbuf is marked done and its waiter woken
     * (biodone_sync); any other is queued for the swapintr thread.
     */
    private void swapIntr(long bp, IoStatus status) {
        if (status != IoStatus.OK) {
            km.store32(bp + B_ERROR, status.errno());
        }
        if ((km.load32(bp + B_INDEX) & SWBIO_SYNC) != 0) {
            km.store32(bp + B_DONE, 1);
            lwkt.wakeup(bp);
        } else {
            km.store64(bp + B_NEXT, km.load64(globals + SWAPINTR_QUEUE));
            km.store64(globals + SWAPINTR_QUEUE, bp);
            lwkt.wakeup(globals + SWAPINTR_QUEUE);
        }
        lwkt.progress();
    }

    /**
     * Starts the swap completion thread "swapintr" (the disk interrupt thread's share of biodone
     * for swap I/O). Requires the scheduler; called by swapon. Returns its struct thread. The
     * thread runs forever, sleeping on its queue ("swintr") while there is nothing to complete.
     */
    public long swapPagerIntrStart() {
        long td = km.load64(globals + SWAPINTR_TD);
        if (td != 0) {
            return td;
        }
        td = lwkt.lwktCreate("swapintr", 0, StructThread.TDF_SYSTHREAD | StructThread.TDF_INTTHREAD, this::swapintrThread);
        km.store64(globals + SWAPINTR_TD, td);
        return td;
    }

    private void swapintrThread() {
        for (;;) {
            long bp = km.swap64(globals + SWAPINTR_QUEUE, 0);
            if (bp == 0) {
                lwkt.tsleep(globals + SWAPINTR_QUEUE, "swintr", 0);
                continue;
            }
            // The queue is LIFO; complete in arrival order.
            long rev = 0;
            while (bp != 0) {
                long next = km.load64(bp + B_NEXT);
                km.store64(bp + B_NEXT, rev);
                rev = bp;
                bp = next;
            }
            while (rev != 0) {
                long next = km.load64(rev + B_NEXT);
                km.store64(rev + B_NEXT, 0);
                swpPagerAsyncIodone(rev);
                rev = next;
            }
        }
    }

    // ---- getpage / putpages -------------------------------------------------------------------

    /**
     * swap_pager_getpage(): brings the busied page {@code mpp[0]} of {@code object} in from swap,
     * plus up to vm.swap_burst_read following pages with contiguous blocks in the same stripe
     * (those are allocated VM_ALLOC_QUICK, left unbusied and deactivated on completion). Returns
     * VM_PAGER_FAIL if the page has no swap block, VM_PAGER_ERROR if the read failed (the page is
     * not valid), VM_PAGER_OK otherwise, with mpp[0] valid and still busy. Sleeps until the
     * read completes ("swread"). A page already fully valid returns VM_PAGER_OK at once. May block.
     *
     * <p>PORT: the read-ahead-only case (a valid PG_RAM page with swap_burst_read set) is not
     * ported: such a page returns VM_PAGER_OK without read-ahead.
     */
    public int swapPagerGetpage(long object, long[] mpp, int seqaccess) {
        VmPage vmPage = kernel.vmPage();
        long mreq = mpp[0];
        kernel.vmObject().vmObjectHold(object);
        try {
            if (StructVmPage.object(km, mreq) != object) {
                throw Kassert.panic("swap_pager_getpages: object mismatch 0x%x/0x%x", object, StructVmPage.object(km, mreq));
            }
            if (StructVmPage.valid(km, mreq) == VM_PAGE_BITS_ALL) {
                return VM_PAGER_OK;
            }

            long blk = swpPagerMetaCtl(object, StructVmPage.pindex(km, mreq), 0);
            long[] marray = new long[XIO_INTERNAL_PAGES];
            marray[0] = mreq;
            int i;
            for (i = 1; i <= i32(SWAP_BURST_READ) && i < XIO_INTERNAL_PAGES
                    && StructVmPage.pindex(km, mreq) + i < StructVmObject.size(km, object); ++i) {
                long iblk = swpPagerMetaCtl(object, StructVmPage.pindex(km, mreq) + i, 0);
                if (iblk != blk + i || ((blk ^ iblk) & ~SWB_DMMASK) != 0) {
                    break;
                }
                boolean[] error = {false};
                long m = vmPage.vmPageLookupBusyTry(object, StructVmPage.pindex(km, mreq) + i, true, error);
                if (error[0]) {
                    break;
                } else if (m == 0) {
                    m = vmPage.vmPageAlloc(object, StructVmPage.pindex(km, mreq) + i, VmPage.VM_ALLOC_QUICK);
                    if (m == 0) {
                        break;
                    }
                } else {
                    if (StructVmPage.valid(km, m) != 0) {
                        vmPage.vmPageWakeup(m);
                        break;
                    }
                    vmPage.vmPageUnqueueNowakeup(m);
                }
                marray[i] = m;
            }
            if (i > 1) {
                kernel.vmPage2().vmPageFlagSet(marray[i - 1], StructVmPage.PG_RAM);
            }

            if (blk == SWAPBLK_NONE) {
                Kassert.kkassert(i == 1, "i == 1", "swap_pager_getpage");
                return VM_PAGER_FAIL;
            }

            long bp = getpbufKva(globals + NSW_RCOUNT);
            for (int j = 0; j < i; ++j) {
                page(bp, j, marray[j]);
            }
            km.store32(bp + B_NPAGES, i);
            km.store64(bp + B_BLKNO, blk);
            km.store32(bp + B_INDEX, SWBIO_READ);
            km.store32(bp + B_DRIVER, 0);
            for (int j = 0; j < i; ++j) {
                km.atomicSet32(marray[j] + StructVmPage.busy_count$OFFSET, PBUSY_SWAPINPROG);
            }
            cnt(StructVmmeter.v_swapin$OFFSET, 1);
            cnt(StructVmmeter.v_swappgsin$OFFSET, i);
            kernel.vmObject().vmObjectPipAdd(object, i);
            vnStrategy(bp, false);

            // Wait for the requested page; the completion clears PBUSY_SWAPINPROG and flashes it.
            // (An interrupt cannot come between the test and tsleep: interrupts only fire at
            // scheduling points.)
            for (;;) {
                int busyCount = StructVmPage.busy_count(km, mreq);
                if ((busyCount & PBUSY_SWAPINPROG) == 0) {
                    break;
                }
                if (!km.cas32(mreq + StructVmPage.busy_count$OFFSET, busyCount,
                        busyCount | PBUSY_SWAPINPROG | PBUSY_WANTED)) {
                    continue;
                }
                km.atomicSet32(mreq + StructVmPage.flags$OFFSET, PG_REFERENCED);
                if (lwkt.tsleep(mreq, "swread", lwkt.hz() * 20) != 0) {
                    kernel.kprintf(String.format("swap_pager: indefinite wait buffer: bp 0x%x offset: %d, size: %d",
                            bp, blk << 12, (long) i << 12));
                }
            }
            return StructVmPage.valid(km, mreq) != VM_PAGE_BITS_ALL ? VM_PAGER_ERROR : VM_PAGER_OK;
        } finally {
            kernel.vmObject().vmObjectDrop(object);
        }
    }

    /**
     * swap_pager_putpages(): assigns swap to the {@code count} soft-busied pages {@code m} of
     * {@code object} (converted to OBJT_SWAP) and writes them. rtvals[i] becomes VM_PAGER_PEND
     * (the completion unbusies the page) or VM_PAGER_FAIL (no swap space; the caller keeps the
     * page). Writes are synchronous (VM_PAGER_PUT_SYNC is forced) unless the caller is the
     * pagedaemon or the emergency pager, or vm.swap_user_async is set. May block: in
     * swp_pager_meta_build (SWAPMETA, vm_wait), for a pbuf, and in the synchronous write.
     *
     * <p>VARIANT kmalloc_obj_nowait: for the pagedaemon and the emergency pager the swblocks are
     * asked for with M_NOWAIT; at the first page whose swblock cannot be had without blocking,
     * that page and the rest of its run get VM_PAGER_AGAIN (see swpPagerPutpagesDefer) and only
     * the pages before it are written; a run with none written gives its pbuf back. VARIANT
     * kmalloc_obj_intnowait: the same, asked for with M_INTNOWAIT.
     */
    public void swapPagerPutpages(long object, long[] m, int count, int flags, int[] rtvals) {
        VmObject vmObject = kernel.vmObject();
        vmObject.vmObjectHold(object);
        lwkt.pushFrame("swap_pager_putpages");
        try {
            if (count != 0 && StructVmPage.object(km, m[0]) != object) {
                throw Kassert.panic("swap_pager_getpages: object mismatch 0x%x/0x%x", object, StructVmPage.object(km, m[0]));
            }
            // Step 1: turn the object into OBJT_SWAP; force sync I/O for anyone but the pagers.
            if (StructVmObject.type(km, object) == StructVmObject.OBJT_DEFAULT) {
                swpPagerMetaConvert(object);
            }
            long td = lwkt.curthread();
            VmPageout po = kernel.vmPageout();
            if (td != po.pagethread() && td != po.emergpager() && i32(SWAP_USER_ASYNC) == 0) {
                flags |= VM_PAGER_PUT_SYNC;
            }
            // ---- VARIANT kmalloc_obj_nowait (begin) ----
            // The pageout daemons must not sleep for SWAPMETA: they ask without blocking, with
            // the SYSTEM class they already have (M_NOWAIT), so a 32-page slab never empties the
            // interrupt reserve; failing that, the page is left dirty for a later pass.
            // VARIANT kmalloc_obj_intnowait: the same with M_INTNOWAIT, so that slab may take its
            // pages from the interrupt reserve (down to none free).
            int metaFlags = Malloc.M_WAITOK;
            if (alloc.pageoutDefers() && (td == po.pagethread() || td == po.emergpager())) {
                metaFlags = alloc == SwapmetaAlloc.KMALLOC_OBJ_INTNOWAIT ? Malloc.M_INTNOWAIT : Malloc.M_NOWAIT;
            }
            // ---- VARIANT kmalloc_obj_nowait (end) ----

            // Step 2: follow the swap_async_max sysctl, within [1, nswbuf_kva/2].
            if (i32(SWAP_ASYNC_MAX) != i32(NSW_WCOUNT_ASYNC_MAX)) {
                int n = i32(SWAP_ASYNC_MAX);
                if (n > NSWBUF_KVA / 2) {
                    n = NSWBUF_KVA / 2;
                }
                if (n < 1) {
                    n = 1;
                }
                i32(SWAP_ASYNC_MAX, n);
                n -= i32(NSW_WCOUNT_ASYNC_MAX);
                if (i32(NSW_WCOUNT_ASYNC) + n >= 0) {
                    i32(NSW_WCOUNT_ASYNC_MAX, i32(NSW_WCOUNT_ASYNC_MAX) + n);
                    i32(NSW_WCOUNT_ASYNC, i32(NSW_WCOUNT_ASYNC) + n);   // pbuf_adjcount
                    if (n > 0) {
                        lwkt.wakeup(globals + NSW_WCOUNT_ASYNC);
                    }
                }
            }

            // Step 3: assign swap and issue the I/O; pages stay dirty until the write is done.
            int n;
            for (int i = 0; i < count; i += n) {
                n = (int) Math.min(BLIST_MAX_ALLOC, count - i);
                n = Math.min(n, i32(NSW_CLUSTER_MAX));

                // The biggest run we can get, halving down to 4 (smaller would fragment swap).
                long blk;
                while ((blk = swpPagerGetswapspace(object, n)) == SWAPBLK_NONE && n > 4) {
                    n >>= 1;
                }
                if (blk == SWAPBLK_NONE) {
                    for (int j = 0; j < n; ++j) {
                        rtvals[i + j] = VM_PAGER_FAIL;
                    }
                    continue;
                }

                // The I/O cannot cross a stripe (device) boundary.
                if (((blk ^ (blk + n)) & ~SWB_DMMASK) != 0) {
                    int j = (int) (((blk + SWB_DMMAX) & ~SWB_DMMASK) - blk);
                    swpPagerFreeswapspace(object, blk + j, n - j);
                    n = j;
                }

                boolean sync = (flags & VM_PAGER_PUT_SYNC) != 0;
                long bp = getpbufKva(globals + (sync ? NSW_WCOUNT_SYNC : NSW_WCOUNT_ASYNC));
                km.store64(bp + B_BLKNO, blk);
                int nio = n;    // VARIANT kmalloc_obj_nowait: the pages whose swap was recorded
                for (int j = 0; j < n; ++j) {
                    long mreq = m[i + j];
                    if (swpPagerMetaBuild(StructVmPage.object(km, mreq), StructVmPage.pindex(km, mreq), blk + j,
                            metaFlags) != 0) {
                        // ---- VARIANT kmalloc_obj_nowait (begin) ----
                        swpPagerPutpagesDefer(object, m, i + j, n - j, blk + j, rtvals);
                        nio = j;
                        break;
                        // ---- VARIANT kmalloc_obj_nowait (end) ----
                    }
                    if (StructVmObject.type(km, object) == StructVmObject.OBJT_SWAP) {
                        kernel.vmPage().vmPageDirty(mreq);
                    }
                    rtvals[i + j] = VM_PAGER_OK;
                    km.atomicSet32(mreq + StructVmPage.busy_count$OFFSET, PBUSY_SWAPINPROG);
                    page(bp, j, mreq);
                }
                // ---- VARIANT kmalloc_obj_nowait (begin) ----
                if (nio == 0) {
                    relpbuf(bp, globals + (sync ? NSW_WCOUNT_SYNC : NSW_WCOUNT_ASYNC));
                    continue;
                }
                // ---- VARIANT kmalloc_obj_nowait (end) ----
                km.store32(bp + B_NPAGES, nio);
                cnt(StructVmmeter.v_swapout$OFFSET, 1);
                cnt(StructVmmeter.v_swappgsout$OFFSET, nio);
                km.store32(bp + B_INDEX, SWBIO_WRITE);

                if (!sync) {
                    vnStrategy(bp, true);
                    for (int j = 0; j < nio; ++j) {
                        rtvals[i + j] = VM_PAGER_PEND;
                    }
                    continue;
                }

                // Synchronous: wait, then run the normal completion (rtvals PEND so the caller
                // does not unbusy the pages a second time).
                int index = SWBIO_WRITE | SWBIO_SYNC;
                if ((flags & VM_PAGER_TRY_TO_CACHE) != 0) {
                    index |= SWBIO_TTC;
                }
                km.store32(bp + B_INDEX, index);
                vnStrategy(bp, true);
                while (km.load32(bp + B_DONE) == 0) {
                    lwkt.tsleep(bp, "swwrt", 0);
                }
                for (int j = 0; j < nio; ++j) {
                    rtvals[i + j] = VM_PAGER_PEND;
                }
                swpPagerAsyncIodone(bp);
            }
        } finally {
            lwkt.popFrame();
            vmObject.vmObjectDrop(object);
        }
    }

    /**
     * VARIANT kmalloc_obj_nowait (not in DragonFly): swp_pager_meta_build could not record the
     * swap of page {@code m[first]} without blocking. The {@code npages} pages from there to the
     * end of the run get VM_PAGER_AGAIN (they stay dirty and inactive for a later pass, as
     * vm_pageout_flush treats a page that found no swap space) and their {@code npages} blocks
     * from {@code blk} go back to the blist. The run's earlier pages are still written, so the
     * daemon keeps freeing memory with the swblocks it has. The caller holds the object. Never
     * blocks.
     */
    private void swpPagerPutpagesDefer(long object, long[] m, int first, int npages, long blk, int[] rtvals) {
        swpPagerFreeswapspace(object, blk, npages);
        for (int k = 0; k < npages; ++k) {
            rtvals[first + k] = VM_PAGER_AGAIN;
        }
        kernel.swapmetaPaths().pageoutMetaDeferrals(npages);    // dfemu: SWAPMETA path counters
    }

    /**
     * swap_pager_newswap(): recomputes nswap_lowat (4%) and nswap_hiwat (6%) of vm_swap_max
     * (128 and 512 pages without swap), then swp_sizecheck. Never blocks.
     */
    public void swapPagerNewswap() {
        int max = vmSwap().vmSwapMax();
        if (max != 0) {
            i32(NSWAP_LOWAT, (int) ((long) max * 4 / 100));
            i32(NSWAP_HIWAT, (int) ((long) max * 6 / 100));
            kernel.kprintf(String.format("swap low/high-water marks set to %d/%d", i32(NSWAP_LOWAT), i32(NSWAP_HIWAT)));
        } else {
            i32(NSWAP_LOWAT, 128);
            i32(NSWAP_HIWAT, 512);
        }
        swpSizecheck();
    }

    /**
     * swp_pager_async_iodone(): completes a swbuf (thread context: swapintr, or the synchronous
     * writer). Reads: each page becomes valid and clean with PG_SWAPPED (on error: invalid);
     * PBUSY_SWAPINPROG is cleared; the requested page is flashed (its waiter wakes, it stays
     * busy), the others deactivated and unbusied. Writes: each page is hard-busied, undirtied
     * (OBJT_SWAP) and PG_SWAPPED, deactivated if paging is severe, its I/O soft-busy dropped, and
     * cached (TTC) or unbusied; on error its swap block is freed, PG_SWAPPED cleared, and an
     * OBJT_SWAP page re-dirtied and activated. Then paging_in_progress drops by npages and the
     * pbuf goes back. May block (vm_page_busy_wait on a write's page).
     */
    void swpPagerAsyncIodone(long bp) {
        VmPage vmPage = kernel.vmPage();
        VmPage2 vmPage2 = kernel.vmPage2();
        int index = km.load32(bp + B_INDEX);
        int error = km.load32(bp + B_ERROR);
        int npages = km.load32(bp + B_NPAGES);
        kernel.trace().swapIoDone(swbufSlot(bp), error);
        if (error != 0) {
            kernel.kprintf(String.format("swap_pager: I/O error - %s failed; offset %d,size %d, error %d",
                    (index & SWBIO_READ) != 0 ? "pagein" : "pageout", km.load64(bp + B_BLKNO) << 12,
                    (long) npages << 12, error));
        }
        long object = npages != 0 ? StructVmPage.object(km, page(bp, 0)) : 0;
        int driver = km.load32(bp + B_DRIVER);

        for (int i = 0; i < npages; ++i) {
            long m = page(bp, i);
            if (error != 0) {
                if ((index & SWBIO_READ) != 0) {
                    // The requested page stays busy for the caller; the others are released.
                    StructVmPage.valid(km, m, 0);
                    km.atomicClear32(m + StructVmPage.busy_count$OFFSET, PBUSY_SWAPINPROG);
                    if (i != driver) {
                        vmPage.vmPageDeactivate(m);
                        vmPage.vmPageWakeup(m);
                    } else {
                        vmPage2.vmPageFlash(m);
                    }
                } else {
                    // Forget the block (the C cannot throw it away from an interrupt either) and
                    // keep the data: an OBJT_SWAP page has no other backing store.
                    vmPage.vmPageBusyWait(m, false, "swadpg");
                    long mobj = StructVmPage.object(km, m);
                    kernel.vmObject().vmObjectHold(mobj);
                    swpPagerMetaCtl(mobj, StructVmPage.pindex(km, m), SWM_FREE);
                    vmPage2.vmPageFlagClear(m, PG_SWAPPED);
                    kernel.vmObject().vmObjectDrop(mobj);
                    if (StructVmObject.type(km, mobj) == StructVmObject.OBJT_SWAP) {
                        vmPage.vmPageDirty(m);
                        vmPage.vmPageActivate(m);
                    }
                    vmPage.vmPageIoFinish(m);
                    km.atomicClear32(m + StructVmPage.busy_count$OFFSET, PBUSY_SWAPINPROG);
                    vmPage.vmPageWakeup(m);
                }
            } else if ((index & SWBIO_READ) != 0) {
                StructVmPage.valid(km, m, VM_PAGE_BITS_ALL);
                vmPage2.vmPageUndirty(m);
                vmPage2.vmPageFlagSet(m, PG_SWAPPED);
                km.atomicClear32(m + StructVmPage.busy_count$OFFSET, PBUSY_SWAPINPROG);
                if (i != driver) {
                    vmPage.vmPageDeactivate(m);
                    vmPage.vmPageWakeup(m);
                } else {
                    vmPage2.vmPageFlash(m);
                }
            } else {
                // Clean now, without touching the pmap's modified bits (no pmap ops here).
                vmPage.vmPageBusyWait(m, false, "swadpg");
                if (StructVmObject.type(km, StructVmPage.object(km, m)) == StructVmObject.OBJT_SWAP) {
                    vmPage2.vmPageUndirty(m);
                }
                vmPage2.vmPageFlagSet(m, PG_SWAPPED);
                km.atomicClear32(m + StructVmPage.busy_count$OFFSET, PBUSY_SWAPINPROG);
                if (vmPage2.vmPagingSevere()) {
                    vmPage.vmPageDeactivate(m);
                }
                vmPage.vmPageIoFinish(m);
                if ((index & SWBIO_TTC) != 0) {
                    vmPage.vmPageTryToCache(m);
                } else {
                    vmPage.vmPageWakeup(m);
                }
            }
        }

        if (object != 0) {
            for (int i = 0; i < npages; i++) {
                kernel.vmObject().vmObjectPipWakeup(object);
            }
        }

        long nswptr;
        if ((index & SWBIO_READ) != 0) {
            nswptr = globals + NSW_RCOUNT;
        } else if ((index & SWBIO_SYNC) != 0) {
            nswptr = globals + NSW_WCOUNT_SYNC;
        } else {
            nswptr = globals + NSW_WCOUNT_ASYNC;
        }
        relpbuf(bp, nswptr);
    }

    // ---- metadata -----------------------------------------------------------------------------

    /** The swblock RB tree type ({@code swblock_rb_tree}, keyed by swb_index). */
    public Tree.Rb swblockTree() { return swblockTree; }

    /** swp_pager_lookup(): the swblock covering {@code index}, or 0. The caller holds the object. */
    public long swpPagerLookup(long object, long index) {
        index &= ~SWAP_META_MASK;
        return swblockTree.rbLookup(object + StructVmObject.swblock_root$OFFSET, index);
    }

    /** swp_pager_remove(): takes {@code swap} out of the object's tree. The caller holds the object. */
    private void swpPagerRemove(long object, long swap) {
        swblockTree.rbRemove(object + StructVmObject.swblock_root$OFFSET, swap);
    }

    /** swp_pager_meta_convert(): an OBJT_DEFAULT object becomes OBJT_SWAP. The caller holds the object. */
    public void swpPagerMetaConvert(long object) {
        if (StructVmObject.type(km, object) == StructVmObject.OBJT_DEFAULT) {
            StructVmObject.type(km, object, StructVmObject.OBJT_SWAP);
            Kassert.kkassert(StructVmObject.swblock_count(km, object) == 0, "object->swblock_count == 0",
                    "swp_pager_meta_convert");
        }
    }

    /**
     * swp_pager_meta_build(): records swap block {@code swapblk} (not SWAPBLK_NONE) for page
     * {@code index} of {@code object} (OBJT_DEFAULT becomes OBJT_SWAP), freeing the block it had.
     * A missing swblock is allocated from SWAPMETA; when the allocator returns NULL this waits in
     * vm_wait(0) and retries, forever. The caller holds the object. May block (vm_wait, and the
     * kmalloc_obj variants' slab allocation).
     */
    public void swpPagerMetaBuild(long object, long index, long swapblk) {
        swpPagerMetaBuild(object, index, swapblk, Malloc.M_WAITOK);
    }

    /**
     * VARIANT kmalloc_obj_nowait: swp_pager_meta_build() with the allocation flags {@code mflags}.
     * M_WAITOK: as above (always returns 0). M_NOWAIT or M_INTNOWAIT (only swap_pager_putpages
     * under kmalloc_obj_nowait or _intnowait passes them): a swblock that cannot be allocated
     * without blocking makes this return ENOMEM with nothing recorded and {@code swapblk} still the
     * caller's, instead of waiting in vm_wait. The caller holds the object. May block (the SWAPMETA allocation's KVA).
     */
    public int swpPagerMetaBuild(long object, long index, long swapblk, int mflags) {
        Kassert.kkassert(swapblk != SWAPBLK_NONE, "swapblk != SWAPBLK_NONE", "swp_pager_meta_build");
        if (StructVmObject.type(km, object) == StructVmObject.OBJT_DEFAULT) {
            swpPagerMetaConvert(object);
        }
        lwkt.pushFrame("swp_pager_meta_build");
        long swap;
        try {
            // retry: the tree may have changed while we slept.
            for (;;) {
                swap = swpPagerLookup(object, index);
                if (swap != 0) {
                    break;
                }
                swap = swapmetaAlloc(mflags);
                if (swap == 0) {
                    // ---- VARIANT kmalloc_obj_nowait (begin) ----
                    if ((mflags & Malloc.M_WAITOK) == 0) {
                        return ENOMEM;
                    }
                    // ---- VARIANT kmalloc_obj_nowait (end) ----
                    kernel.vmPage().vmWait(0);
                    continue;
                }
                StructSwblock.swb_index(km, swap, index & ~SWAP_META_MASK);
                StructSwblock.swb_count(km, swap, 0);
                StructVmObject.swblock_count(km, object, StructVmObject.swblock_count(km, object) + 1);
                for (int i = 0; i < SWAP_META_PAGES; ++i) {
                    StructSwblock.swb_pages(km, swap, i, SWAPBLK_NONE);
                }
                long oswap = swblockTree.rbInsert(object + StructVmObject.swblock_root$OFFSET, swap);
                Kassert.kkassert(oswap == 0, "oswap == NULL", "swp_pager_meta_build");
                break;
            }
        } finally {
            lwkt.popFrame();
        }

        // Free what the slot held; swb_count drops after the free so the swblock cannot vanish.
        long slot = index & SWAP_META_MASK;
        long v;
        while ((v = StructSwblock.swb_pages(km, swap, slot)) != SWAPBLK_NONE) {
            StructSwblock.swb_pages(km, swap, slot, SWAPBLK_NONE);
            swpPagerFreeswapspace(object, v, 1);
            StructSwblock.swb_count(km, swap, StructSwblock.swb_count(km, swap) - 1);
        }
        StructSwblock.swb_pages(km, swap, slot, swapblk);
        StructSwblock.swb_count(km, swap, StructSwblock.swb_count(km, swap) + 1);
        return 0;
    }

    /**
     * swp_pager_meta_free(): frees the swap blocks of pages [index, index+count) of
     * {@code object}, and each swblock that becomes empty. Resident pages are not touched. The
     * caller holds the object. May block (lwkt_yield after each swblock).
     *
     * <p>PORT: the RB_SCAN over the range is a walk over the swblocks in range collected first,
     * each looked up again before its turn (RB_SCAN's in-progress list, which makes the C scan
     * safe against removals while the callback yields, needs per-scan kernel stack memory that
     * the port does not have).
     */
    public void swpPagerMetaFree(long object, long index, long count) {
        if (StructVmObject.swblock_count(km, object) == 0) {
            Kassert.kkassert(swblockTree.rbEmpty(object + StructVmObject.swblock_root$OFFSET),
                    "RB_EMPTY(&object->swblock_root)", "swp_pager_meta_free");
            return;
        }
        if (count == 0) {
            return;
        }
        long basei = index & ~SWAP_META_MASK;
        long begi = index;
        long endi = index + count - 1;
        long head = object + StructVmObject.swblock_root$OFFSET;
        List<Long> keys = new ArrayList<>();
        for (long swb = swblockTree.rbMin(head); swb != 0; swb = swblockTree.rbNext(swb)) {
            long k = StructSwblock.swb_index(km, swb);
            if (Long.compareUnsigned(k, basei) >= 0 && Long.compareUnsigned(k, endi) <= 0) {
                keys.add(k);
            }
        }
        for (long k : keys) {
            long swap = swblockTree.rbLookup(head, k);
            if (swap != 0) {
                swpPagerMetaFreeCallback(object, swap, begi, endi);
            }
        }
    }

    private void swpPagerMetaFreeCallback(long object, long swap, long begi, long endi) {
        long swbIndex = StructSwblock.swb_index(km, swap);
        int index = Long.compareUnsigned(swbIndex, begi) < 0 ? (int) (begi & SWAP_META_MASK) : 0;
        int eindex = Long.compareUnsigned(swbIndex + SWAP_META_PAGES, endi) > 0 ? (int) (endi & SWAP_META_MASK)
                : (int) SWAP_META_MASK;
        while (index <= eindex) {
            long v = StructSwblock.swb_pages(km, swap, index);
            if (v != SWAPBLK_NONE) {
                StructSwblock.swb_pages(km, swap, index, SWAPBLK_NONE);
                swpPagerFreeswapspace(object, v, 1);
                int c = StructSwblock.swb_count(km, swap) - 1;
                StructSwblock.swb_count(km, swap, c);
                if (c == 0) {
                    swpPagerRemove(object, swap);
                    swapmetaFree(swap);
                    StructVmObject.swblock_count(km, object, StructVmObject.swblock_count(km, object) - 1);
                    break;
                }
            }
            ++index;
        }
        lwkt.lwktYield();
    }

    /**
     * swp_pager_meta_free_all(): frees every swap block and swblock of {@code object}. Panics
     * ("swap_pager_meta_free_all: swb_count != 0") on a miscounted swblock. The caller holds the
     * object. May block (lwkt_yield after each swblock).
     */
    public void swpPagerMetaFreeAll(long object) {
        long head = object + StructVmObject.swblock_root$OFFSET;
        long swap;
        while ((swap = swblockTree.rbRoot(head)) != 0) {
            swpPagerRemove(object, swap);
            for (int i = 0; i < SWAP_META_PAGES; ++i) {
                long v = StructSwblock.swb_pages(km, swap, i);
                if (v != SWAPBLK_NONE) {
                    swpPagerFreeswapspace(object, v, 1);
                    StructSwblock.swb_count(km, swap, StructSwblock.swb_count(km, swap) - 1);
                }
            }
            if (StructSwblock.swb_count(km, swap) != 0) {
                throw Kassert.panic("swap_pager_meta_free_all: swb_count != 0");
            }
            swapmetaFree(swap);
            StructVmObject.swblock_count(km, object, StructVmObject.swblock_count(km, object) - 1);
            lwkt.lwktYield();
        }
        Kassert.kkassert(StructVmObject.swblock_count(km, object) == 0, "object->swblock_count == 0",
                "swp_pager_meta_free_all");
    }

    /**
     * swp_pager_meta_ctl(): the swap block of page {@code index} of {@code object}, or
     * SWAPBLK_NONE. SWM_POP removes it from the metadata (freeing an emptied swblock); SWM_FREE
     * also frees the block and returns SWAPBLK_NONE. The caller holds the object. Never blocks.
     */
    public long swpPagerMetaCtl(long object, long index, int flags) {
        if (StructVmObject.swblock_count(km, object) == 0) {
            return SWAPBLK_NONE;
        }
        long r1 = SWAPBLK_NONE;
        long swap = swpPagerLookup(object, index);
        if (swap != 0) {
            long slot = index & SWAP_META_MASK;
            r1 = StructSwblock.swb_pages(km, swap, slot);
            if (r1 != SWAPBLK_NONE) {
                if ((flags & (SWM_FREE | SWM_POP)) != 0) {
                    StructSwblock.swb_pages(km, swap, slot, SWAPBLK_NONE);
                    int c = StructSwblock.swb_count(km, swap) - 1;
                    StructSwblock.swb_count(km, swap, c);
                    if (c == 0) {
                        swpPagerRemove(object, swap);
                        swapmetaFree(swap);
                        StructVmObject.swblock_count(km, object, StructVmObject.swblock_count(km, object) - 1);
                    }
                }
                if ((flags & SWM_FREE) != 0) {
                    swpPagerFreeswapspace(object, r1, 1);
                    r1 = SWAPBLK_NONE;
                }
            }
        }
        return r1;
    }
}
