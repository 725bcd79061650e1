package org.dfemu.kernel.vm;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.harness.trace.KernelEvents;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.kern.KernSlaballoc;
import org.dfemu.kernel.kern.Lwkt;
import org.dfemu.kernel.sys.Malloc;
import org.dfemu.kernel.sys.StructProc;
import org.dfemu.kernel.sys.StructThread;
import org.dfemu.kernel.sys.StructVmmeter;
import org.dfemu.kernel.sys.StructVmstats;
import org.dfemu.kernel.sys.Sysctl;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_LONG;
import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * vm_pageout.c: DragonFly BSD sys/vm/vm_pageout.c at commit 737b020b54 (2021-05-28): the pageout
 * globals, the free-page threshold formulas, pagedaemon_wakeup(), and the daemon itself:
 * vm_pageout_thread() run by two kernel threads, the primary "pagedaemon" and the "emergpager"
 * (which takes over, for anonymous memory only, when the primary has stalled for 2 s), with the
 * inactive scan (double-LRU laundering of dirty pages in 64-page aligned clusters through
 * vm_pager_put_pages), the active scan, the cache scan and the OOM kill.
 *
 * <p>PORT: there are no vnodes in the port, so the vnode paths (vget/vput in vm_pageout_page,
 * the emergency pager's VCHR exception, speedup_syncer) are absent; there is no vmdaemon
 * (RLIMIT_RSS) and no vm_pageout_map_deactivate_pages (memuse limits). Markers that the C keeps
 * on the daemon's stack are kmalloc'd with the per-queue ones. The daemon's scans charge
 * virtual CPU time ({@link #PAGEOUT_PAGE_NS}) where the C yields.
 *
 * <p>Globals (in the data segment):
 * <pre>
 * int vm_pages_needed;           // pageout daemon tsleep event; 1 = paging, 2 = to target2
 * int vm_pageout_deficit;        // estimated pages short (failed allocations)
 * int vm_pageout_pages_needed;   // the pageout daemon itself waits for pages
 * int vm_page_free_hysteresis;   // = 16
 * struct thread *pagethread;     // the primary pageout daemon
 * struct thread *emergpager;     // the emergency pager
 * int vm_max_launder;            // dirty flushes per pass
 * int vm_page_max_wired;         // system-wide wired page limit
 * </pre>
 *
 * <p>The reserve ladder these produce, as vm_pageout_free_page_calc() and the daemon's setup set
 * it (min = v_free_min):
 * <pre>
 *   v_interrupt_free_min = min/8 + 7      pages only INTERRUPT (and SYSTEM, cache empty) may take
 *   v_pageout_free_min   = min*2/8 + 7    the pagedaemon's own vm_wait wake-up level
 *   v_free_severe        = min*4/8        faults stall below this
 *   v_free_reserved      = min*4/8 + 7    NORMAL/QUICK allocations stop here
 *   v_free_min           = 64 + pages/200
 *   v_paging_wait  = v_free_target = 2*min
 *   v_paging_start = 3*min, v_paging_target1 = 4*min, v_paging_target2 = 5*min
 * </pre>
 */
public final class VmPageout {
    private static final StructLayout GLOBALS = MemoryLayout.structLayout(
            C_INT.withName("vm_pages_needed"),
            C_INT.withName("vm_pageout_deficit"),
            C_INT.withName("vm_pageout_pages_needed"),
            C_INT.withName("vm_page_free_hysteresis"),
            C_POINTER.withName("pagethread"),
            C_POINTER.withName("emergpager"),
            C_INT.withName("vm_max_launder"),
            C_INT.withName("vm_page_max_wired"),
            C_LONG.withName("vm_pagedaemon_uptime"),
            C_INT.withName("sequence_emerg_pager"),
            C_INT.withName("vm_emerg_launder"),
            C_INT.withName("vm_pageout_stats_actcmp"),
            C_INT.withName("vm_pageout_stats_inamin"),
            C_INT.withName("vm_pageout_stats_inalim"),
            C_INT.withName("vm_pageout_stats_scan"),
            C_INT.withName("vm_pageout_stats_ticks"),
            C_INT.withName("vm_pageout_algorithm"),
            C_INT.withName("defer_swap_pageouts"),
            C_INT.withName("disable_swap_pageouts"),
            C_INT.withName("vm_anonmem_decline"),
            C_INT.withName("vm_filemem_decline"),
            C_LONG.withName("vm_pageout_stats_rsecs"),
            C_INT.withName("vm_pageout_memuse_mode"),
            C_INT.withName("vm_pageout_allow_active"),
            C_LONG.withName("lastkillticks"),
            C_INT.withName("cache_rover0"),
            C_INT.withName("cache_rover1")).withName("vm_pageout_globals");

    private static final long VM_PAGES_NEEDED = Ctypes.offset(GLOBALS, "vm_pages_needed");
    private static final long VM_PAGEOUT_DEFICIT = Ctypes.offset(GLOBALS, "vm_pageout_deficit");
    private static final long VM_PAGEOUT_PAGES_NEEDED = Ctypes.offset(GLOBALS, "vm_pageout_pages_needed");
    private static final long VM_PAGE_FREE_HYSTERESIS = Ctypes.offset(GLOBALS, "vm_page_free_hysteresis");
    private static final long PAGETHREAD = Ctypes.offset(GLOBALS, "pagethread");
    private static final long EMERGPAGER = Ctypes.offset(GLOBALS, "emergpager");
    private static final long VM_MAX_LAUNDER = Ctypes.offset(GLOBALS, "vm_max_launder");
    private static final long VM_PAGE_MAX_WIRED = Ctypes.offset(GLOBALS, "vm_page_max_wired");
    private static final long VM_PAGEDAEMON_UPTIME = Ctypes.offset(GLOBALS, "vm_pagedaemon_uptime");
    private static final long SEQUENCE_EMERG_PAGER = Ctypes.offset(GLOBALS, "sequence_emerg_pager");
    private static final long VM_EMERG_LAUNDER = Ctypes.offset(GLOBALS, "vm_emerg_launder");
    private static final long VM_PAGEOUT_STATS_ACTCMP = Ctypes.offset(GLOBALS, "vm_pageout_stats_actcmp");
    private static final long VM_PAGEOUT_STATS_INAMIN = Ctypes.offset(GLOBALS, "vm_pageout_stats_inamin");
    private static final long VM_PAGEOUT_STATS_INALIM = Ctypes.offset(GLOBALS, "vm_pageout_stats_inalim");
    private static final long VM_PAGEOUT_STATS_SCAN = Ctypes.offset(GLOBALS, "vm_pageout_stats_scan");
    private static final long VM_PAGEOUT_STATS_TICKS = Ctypes.offset(GLOBALS, "vm_pageout_stats_ticks");
    private static final long VM_PAGEOUT_ALGORITHM = Ctypes.offset(GLOBALS, "vm_pageout_algorithm");
    private static final long DEFER_SWAP_PAGEOUTS = Ctypes.offset(GLOBALS, "defer_swap_pageouts");
    private static final long DISABLE_SWAP_PAGEOUTS = Ctypes.offset(GLOBALS, "disable_swap_pageouts");
    private static final long VM_ANONMEM_DECLINE = Ctypes.offset(GLOBALS, "vm_anonmem_decline");
    private static final long VM_FILEMEM_DECLINE = Ctypes.offset(GLOBALS, "vm_filemem_decline");
    private static final long VM_PAGEOUT_STATS_RSECS = Ctypes.offset(GLOBALS, "vm_pageout_stats_rsecs");
    private static final long VM_PAGEOUT_MEMUSE_MODE = Ctypes.offset(GLOBALS, "vm_pageout_memuse_mode");
    private static final long VM_PAGEOUT_ALLOW_ACTIVE = Ctypes.offset(GLOBALS, "vm_pageout_allow_active");
    private static final long LASTKILLTICKS = Ctypes.offset(GLOBALS, "lastkillticks");
    private static final long CACHE_ROVER0 = Ctypes.offset(GLOBALS, "cache_rover0");
    private static final long CACHE_ROVER1 = Ctypes.offset(GLOBALS, "cache_rover1");

    private final Kernel kernel;
    private final KernelMemory km;
    private final long globals;
    /** {@code M_PAGEOUT}: static MALLOC_DEFINE(M_PAGEOUT, "pageout", ...), the daemons' markers. */
    private final long mPageout;

    /** (boot only) Lays out the globals with their initial values and registers the sysctls. */
    public VmPageout(Kernel kernel, DataSegment data, Sysctl sysctl) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.globals = data.alloc(GLOBALS);
        this.mPageout = kernel.kernSlaballoc().mallocDefine(data, "pageout");
        km.store32(globals + VM_PAGE_FREE_HYSTERESIS, 16);
        sysctl.sysctlInt("vm.page_free_hysteresis", globals + VM_PAGE_FREE_HYSTERESIS,
                "Free more pages than the minimum required");
        sysctl.sysctlInt("vm.max_launder", globals + VM_MAX_LAUNDER, "Limit dirty flushes in pageout");
        km.store32(globals + VM_EMERG_LAUNDER, 100);
        km.store32(globals + VM_PAGEOUT_STATS_INAMIN, 16);
        km.store32(globals + VM_PAGEOUT_STATS_INALIM, 4096);
        km.store32(globals + VM_ANONMEM_DECLINE, StructVmPage.ACT_DECLINE);
        km.store32(globals + VM_FILEMEM_DECLINE, StructVmPage.ACT_DECLINE * 2);
        km.store64(globals + VM_PAGEOUT_STATS_RSECS, 300);
        km.store32(globals + VM_PAGEOUT_MEMUSE_MODE, 2);
        km.store32(globals + VM_PAGEOUT_ALLOW_ACTIVE, 1);
        km.store32(globals + CACHE_ROVER1, StructVpgqueues.PQ_L2_MASK / 2);
        sysctl.sysctlInt("vm.emerg_launder", globals + VM_EMERG_LAUNDER, "Emergency pager minimum");
        sysctl.sysctlInt("vm.pageout_stats_actcmp", globals + VM_PAGEOUT_STATS_ACTCMP, "Current dynamic act_count comparator");
        sysctl.sysctlInt("vm.pageout_stats_inamin", globals + VM_PAGEOUT_STATS_INAMIN, "min out of lim tests must match");
        sysctl.sysctlInt("vm.pageout_stats_inalim", globals + VM_PAGEOUT_STATS_INALIM, "min out of lim tests must match");
        sysctl.sysctlInt("vm.pageout_stats_ticks", globals + VM_PAGEOUT_STATS_TICKS, "Interval for partial stats scan");
        sysctl.sysctlInt("vm.pageout_stats_scan", globals + VM_PAGEOUT_STATS_SCAN, "hold/ACT scan count per interval");
        sysctl.sysctlInt("vm.defer_swapspace_pageouts", globals + DEFER_SWAP_PAGEOUTS, "Give preference to dirty pages in mem");
        sysctl.sysctlInt("vm.disable_swapspace_pageouts", globals + DISABLE_SWAP_PAGEOUTS, "Disallow swapout of dirty pages");
        sysctl.sysctlInt("vm.pageout_memuse_mode", globals + VM_PAGEOUT_MEMUSE_MODE, "memoryuse resource mode");
        sysctl.sysctlInt("vm.pageout_allow_active", globals + VM_PAGEOUT_ALLOW_ACTIVE, "allow inactive+active");
    }

    // ---- globals ---------------------------------------------------------------------------

    /** {@code &vm_pages_needed}: the pagedaemon's wait channel. */
    public long vmPagesNeededAddr() { return globals + VM_PAGES_NEEDED; }
    public int vmPagesNeeded() { return km.load32(globals + VM_PAGES_NEEDED); }
    public void vmPagesNeeded(int v) { km.store32(globals + VM_PAGES_NEEDED, v); }

    /** {@code &vm_pageout_deficit}. */
    public long vmPageoutDeficitAddr() { return globals + VM_PAGEOUT_DEFICIT; }
    public int vmPageoutDeficit() { return km.load32(globals + VM_PAGEOUT_DEFICIT); }
    public void vmPageoutDeficit(int v) { km.store32(globals + VM_PAGEOUT_DEFICIT, v); }

    /** {@code &vm_pageout_pages_needed}: where the pagedaemon sleeps when it needs pages itself. */
    public long vmPageoutPagesNeededAddr() { return globals + VM_PAGEOUT_PAGES_NEEDED; }
    public int vmPageoutPagesNeeded() { return km.load32(globals + VM_PAGEOUT_PAGES_NEEDED); }
    public void vmPageoutPagesNeeded(int v) { km.store32(globals + VM_PAGEOUT_PAGES_NEEDED, v); }

    public int vmPageFreeHysteresis() { return km.load32(globals + VM_PAGE_FREE_HYSTERESIS); }

    /** {@code pagethread}: the primary pageout daemon's struct thread, 0 until it is created. */
    public long pagethread() { return km.load64(globals + PAGETHREAD); }
    /** Sets {@code pagethread} (kproc_start stores the created thread there). */
    public void pagethread(long td) { km.store64(globals + PAGETHREAD, td); }

    /** {@code emergpager}: the emergency pager's struct thread, 0 until it is created. */
    public long emergpager() { return km.load64(globals + EMERGPAGER); }
    public void emergpager(long td) { km.store64(globals + EMERGPAGER, td); }

    public int vmMaxLaunder() { return km.load32(globals + VM_MAX_LAUNDER); }
    public int vmPageMaxWired() { return km.load32(globals + VM_PAGE_MAX_WIRED); }

    // ---- functions ---------------------------------------------------------------------------

    /**
     * vm_pageout_free_page_calc(): sets v_free_min and the reserves below it from v_page_count.
     * (The C ignores its count argument and reads vmstats.v_page_count; so does the port.)
     * No requirements.
     */
    public void vmPageoutFreePageCalc(long count) {
        long vs = kernel.vmMeter().vmstats();
        long freeMin = 64 + StructVmstats.v_page_count(km, vs) / 200;
        StructVmstats.v_free_min(km, vs, freeMin);
        StructVmstats.v_free_reserved(km, vs, freeMin * 4 / 8 + 7);
        StructVmstats.v_free_severe(km, vs, freeMin * 4 / 8 + 0);
        StructVmstats.v_pageout_free_min(km, vs, freeMin * 2 / 8 + 7);
        StructVmstats.v_interrupt_free_min(km, vs, freeMin * 1 / 8 + 7);
    }

    /**
     * The one-time setup at the start of vm_pageout_thread() in the primary pageout daemon: the
     * launder limit, the reserves (vm_pageout_free_page_calc), the paging targets, the inactive
     * target and the wired-page limit, from v_page_count and the free count at this moment.
     *
     * <p>PORT: in the C this is inline in vm_pageout_thread(); it is split out so the thresholds
     * exist as soon as the boot reaches the point where the daemon would start, and the daemon's
     * port calls it first. The stats-scan tuning of the same block belongs to the daemon's loop.
     * (boot only, or the pageout daemon) Never blocks.
     */
    public void vmPageoutThreadSetup() {
        long vs = kernel.vmMeter().vmstats();
        if (vmMaxLaunder() == 0) {
            km.store32(globals + VM_MAX_LAUNDER, (int) (kernel.physmem() / 256 + 16));
        }
        vmPageoutFreePageCalc(StructVmstats.v_page_count(km, vs));
        long freeMin = StructVmstats.v_free_min(km, vs);
        StructVmstats.v_free_target(km, vs, freeMin * 2);
        StructVmstats.v_paging_wait(km, vs, freeMin * 2);
        StructVmstats.v_paging_start(km, vs, freeMin * 3);
        StructVmstats.v_paging_target1(km, vs, freeMin * 4);
        StructVmstats.v_paging_target2(km, vs, freeMin * 5);
        StructVmstats.v_inactive_target(km, vs, StructVmstats.v_free_count(km, vs) / 16);
        if (vmPageMaxWired() == 0) {
            km.store32(globals + VM_PAGE_MAX_WIRED, (int) (StructVmstats.v_free_count(km, vs) / 3));
        }
    }

    /**
     * pagedaemon_wakeup(): called after taking a page off the free or cache queue. If paging
     * should start and the caller is not the pagedaemon itself, sets vm_pages_needed to 1 and
     * wakes the daemon, or, if it is already working (vm_pages_needed > 1) and free pages are
     * below minimum, bumps vm_pages_needed without a (wasted) wakeup.
     *
     * <p>No requirements; SMP races on vm_pages_needed are tolerated, as in the C. Never blocks.
     */
    public void pagedaemonWakeup() {
        VmPage2 p2 = kernel.vmPage2();
        if (p2.vmPagingStart(0) && kernel.lwkt().curthread() != pagethread()) {
            if (vmPagesNeeded() <= 1) {
                vmPagesNeeded(1);
                kernel.lwkt().wakeup(vmPagesNeededAddr());
            } else if (p2.vmPagingMin()) {
                vmPagesNeeded(vmPagesNeeded() + 1);
            }
        }
    }

    // ---- the daemon ------------------------------------------------------------------------

    /** MAXSCAN_DIVIDER: each pass looks at about a tenth of a sub-queue. */
    static final int MAXSCAN_DIVIDER = 10;
    /** VM_CACHE_SCAN_MIN: scan_cache leaves at least this many pages in PQ_CACHE. */
    static final int VM_CACHE_SCAN_MIN = 16;
    /** BLIST_MAX_ALLOC: the largest (and alignment of a) laundering cluster. */
    static final int BLIST_MAX_ALLOC = 64;

    // vm_object.h OBJPC_* flags, as vm_pageout_flush's callers pass them.
    static final int OBJPC_SYNC = 0x0001;
    static final int OBJPC_TRY_TO_CACHE = 0x0020;
    static final int OBJPC_ALLOW_ACTIVE = 0x0040;

    /**
     * Virtual CPU time charged per page the daemon examines when the machine does not count CPU
     * time (its {@code machine.cpu_*} settings all 0). PORT: where the C calls lwkt_yield()
     * between pages, the port also spends this time (see {@link org.dfemu.kernel.kern.Lwkt#consume}),
     * so a pass that only finds pages in flight does not retry at the same instant forever. With
     * the CPU-time model the page's work is what the model counted, charged at that lwkt_yield.
     */
    static final long PAGEOUT_PAGE_NS = 100;
    /** Virtual CPU time of one pass's bookkeeping (the sub-queue loops) without the CPU-time model, same reason. */
    static final long PAGEOUT_PASS_NS = 10_000;

    // struct markers { struct vm_page hold, stat, pact; }, PQ_L2_SIZE of them per daemon thread;
    // PORT: plus one more vm_page per thread for scan_inactive's marker, which the C keeps on its
    // stack (the port has no emulated kernel stacks).
    private static final long MARKERS_SIZEOF = 3 * StructVmPage.SIZEOF;
    private static final long MARK_HOLD = 0;
    private static final long MARK_STAT = StructVmPage.SIZEOF;
    private static final long MARK_PACT = 2 * StructVmPage.SIZEOF;

    /** The process layer that posts the OOM killer's kill; set once when processes exist. */
    private volatile Killproc killproc;

    /**
     * killproc() as the OOM killer needs it. PORT: kern_sig.c is not ported; the process layer
     * ({@link org.dfemu.kernel.kern.KernProc}) posts the kill to the process's thread and records
     * it in the run's report. The victim is found on the allproc lists in emulated memory
     * ({@link org.dfemu.kernel.kern.KernProcTable#allprocScan}).
     */
    public interface Killproc {
        /** killproc(p, why): SIGKILLs the process (it exits at its next step, waking if asleep). */
        void killproc(long p, String why);
    }

    /** (configuration) Tells the OOM killer who delivers its kill. */
    public void attachKillproc(Killproc procs) { this.killproc = procs; }

    private int g32(long off) { return km.load32(globals + off); }
    private void s32(long off, int v) { km.store32(globals + off, v); }

    /** {@code &vm_pagedaemon_uptime}: the emergency pager's sleep channel. */
    public long vmPagedaemonUptimeAddr() { return globals + VM_PAGEDAEMON_UPTIME; }
    public long vmPagedaemonUptime() { return km.load64(globals + VM_PAGEDAEMON_UPTIME); }
    public int vmPageoutStatsActcmp() { return g32(VM_PAGEOUT_STATS_ACTCMP); }

    /** {@code time_uptime}: whole seconds since boot (ticks / hz). */
    private long timeUptime() { return kernel.lwkt().ticks() / kernel.lwkt().hz(); }

    private void cnt(long fieldOffset) {
        StructVmmeter.inc(km, kernel.vmMeter().mycnt(), fieldOffset);
    }

    /**
     * lwkt_yield() between pages: a scheduling point that charges the CPU time counted so far
     * (splz's pending interrupts fire as the clock moves) and may switch, as lwkt_resched_wanted
     * would. PORT: without the CPU-time model, plus a flat charge for the page's work.
     */
    private void pageoutYield() {
        org.dfemu.kernel.kern.Lwkt lwkt = kernel.lwkt();
        lwkt.consume(lwkt.countsCpuTime() ? 0 : PAGEOUT_PAGE_NS);
    }

    /** PQAVERAGE(n): a sub-queue's share of n, rounded away from zero, at least 1. */
    static long PQAVERAGE(long n) {
        if (n >= 0) {
            return (n + (StructVpgqueues.PQ_L2_SIZE - 1)) / (StructVpgqueues.PQ_L2_SIZE / 2) + 1;
        }
        return (n - (StructVpgqueues.PQ_L2_SIZE - 1)) / (StructVpgqueues.PQ_L2_SIZE / 2) - 1;
    }

    private int pqBase(long m) {
        return StructVmPage.queue(km, m) - StructVmPage.pc(km, m);
    }

    /** Requeues m at the tail of its queue if it is still on the inactive queue (page and queue locked). */
    private void requeueInactiveTail(long m) {
        VmPage vp = kernel.vmPage();
        vp.vmPageAndQueueSpinLock(m);
        if (pqBase(m) == StructVpgqueues.PQ_INACTIVE) {
            long pl = vp.vmPageQueueList(StructVmPage.queue(km, m));
            vp.pglist().tailqRemove(pl, m);
            vp.pglist().tailqInsertTail(pl, m);
        }
        vp.vmPageAndQueueSpinUnlock(m);
    }

    /**
     * vm_pageout_clean_helper(): launders m (busied) with its dirty, unwired, unheld inactive (or,
     * with OBJPC_ALLOW_ACTIVE, active) neighbours in the BLIST_MAX_ALLOC-aligned block around it,
     * scanning backwards first so clusters stay aligned. Returns the pages flushed. May block.
     */
    int vmPageoutCleanHelper(long m, int vmflushFlags) {
        kernel.lwkt().pushFrame("vm_pageout_clean_helper");
        try {
            VmPage vp = kernel.vmPage();
            VmPage2 p2 = kernel.vmPage2();
            long object = StructVmPage.object(km, m);
            long pindex = StructVmPage.pindex(km, m);
            // Leave held or special pages alone.
            if (StructVmPage.hold_count(km, m) != 0 || (StructVmPage.flags(km, m) & StructVmPage.PG_UNQUEUED) != 0) {
                vp.vmPageWakeup(m);
                return 0;
            }
            long[] mc = new long[BLIST_MAX_ALLOC];
            int pageBase = (int) (pindex % BLIST_MAX_ALLOC);
            mc[pageBase] = m;
            int ib = pageBase - 1;
            int is = pageBase + 1;
            boolean[] error = new boolean[1];
            kernel.vmObject().vmObjectHold(object);
            while (ib >= 0) {
                long p = vp.vmPageLookupBusyTry(object, pindex - pageBase + ib, true, error);
                if (error[0] || p == 0 || !clusterable(p, m, vmflushFlags)) break;
                mc[ib] = p;
                --ib;
            }
            ++ib;
            while (is < BLIST_MAX_ALLOC && pindex - pageBase + is < StructVmObject.size(km, object)) {
                long p = vp.vmPageLookupBusyTry(object, pindex - pageBase + is, true, error);
                if (error[0] || p == 0 || !clusterable(p, m, vmflushFlags)) break;
                mc[is] = p;
                ++is;
            }
            kernel.vmObject().vmObjectDrop(object);
            long[] run = new long[is - ib];
            System.arraycopy(mc, ib, run, 0, is - ib);
            return vmPageoutFlush(run, is - ib, vmflushFlags);
        } finally {
            kernel.lwkt().popFrame();
        }
    }

    // The neighbour test of vm_pageout_clean_helper (p busied): dirty, unwired, unheld, inactive
    // (or active if allowed). Unbusies p and returns false when p ends the cluster; otherwise
    // copies m's PG_WINATCFLS and act_count to p to keep the cluster's pages together.
    private boolean clusterable(long p, long m, int vmflushFlags) {
        VmPage vp = kernel.vmPage();
        VmPage2 p2 = kernel.vmPage2();
        if (pqBase(p) == StructVpgqueues.PQ_CACHE || (StructVmPage.flags(km, p) & StructVmPage.PG_UNQUEUED) != 0) {
            vp.vmPageWakeup(p);
            return false;
        }
        vp.vmPageTestDirty(p);
        if (((StructVmPage.dirty(km, p) & StructVmPage.valid(km, p)) == 0
                && (StructVmPage.flags(km, p) & StructVmPage.PG_NEED_COMMIT) == 0)
                || StructVmPage.wire_count(km, p) != 0 || StructVmPage.hold_count(km, p) != 0) {
            vp.vmPageWakeup(p);
            return false;
        }
        if (pqBase(p) != StructVpgqueues.PQ_INACTIVE) {
            if (pqBase(p) != StructVpgqueues.PQ_ACTIVE || (vmflushFlags & OBJPC_ALLOW_ACTIVE) == 0) {
                vp.vmPageWakeup(p);
                return false;
            }
        }
        if ((StructVmPage.flags(km, m) & StructVmPage.PG_WINATCFLS) != 0) {
            p2.vmPageFlagSet(p, StructVmPage.PG_WINATCFLS);
        } else {
            p2.vmPageFlagClear(p, StructVmPage.PG_WINATCFLS);
        }
        StructVmPage.act_count(km, p, StructVmPage.act_count(km, m));
        return true;
    }

    /**
     * vm_pageout_flush(): launders the {@code count} busied pages {@code mc} (one object): soft-busy
     * for I/O, write-protect (or unmap, with OBJPC_TRY_TO_CACHE), unbusy, then
     * vm_pager_put_pages. VM_PAGER_FAIL/ERROR (swap full) leave a page where it is (inactive) for
     * a later try. Pages not PENDing are finished here. Returns the pages paged out. May block
     * (in swap_pager_putpages: SWAPMETA, vm_wait, pbufs).
     */
    public int vmPageoutFlush(long[] mc, int count, int vmflushFlags) {
        VmPage vp = kernel.vmPage();
        VmPage2 p2 = kernel.vmPage2();
        kernel.lwkt().pushFrame("vm_pageout_flush");
        try {
            int[] pageoutStatus = new int[count];
            int numpagedout = 0;
            for (int i = 0; i < count; i++) {
                final int ii = i;
                Kassert.kassert(StructVmPage.valid(km, mc[i]) == StructVmPage.VM_PAGE_BITS_ALL,
                        () -> String.format("vm_pageout_flush page 0x%x index %d/%d: partially invalid page", mc[ii], ii, count));
                vp.vmPageIoStart(mc[i]);
            }
            // Read-only first, so the pmaps' modified bits are collected before the write.
            for (int i = 0; i < count; i++) {
                if ((vmflushFlags & OBJPC_TRY_TO_CACHE) != 0) {
                    p2.vmPageProtect(mc[i], Vm.VM_PROT_NONE);
                } else {
                    p2.vmPageProtect(mc[i], Vm.VM_PROT_READ);
                }
                vp.vmPageWakeup(mc[i]);
            }
            long object = StructVmPage.object(km, mc[0]);
            kernel.vmObject().vmObjectPipAdd(object, count);
            // PORT: the swap pager names its put flags VM_PAGER_PUT_SYNC/VM_PAGER_TRY_TO_CACHE
            // (values 0x1/0x10); the C passes the OBJPC_* bits straight through.
            int putFlags = 0;
            if ((vmflushFlags & OBJPC_SYNC) != 0) putFlags |= SwapPager.VM_PAGER_PUT_SYNC;
            if ((vmflushFlags & OBJPC_TRY_TO_CACHE) != 0) putFlags |= SwapPager.VM_PAGER_TRY_TO_CACHE;
            // PORT: no kernel_object pages are ever laundered here (it is never paged), so no OBJPC_SYNC for it.
            kernel.vmPager().vmPagerPutPages(StructVmObject.type(km, object), object, mc, count, putFlags, pageoutStatus);

            for (int i = 0; i < count; i++) {
                long mt = mc[i];
                switch (pageoutStatus[i]) {
                    case VmPager.VM_PAGER_OK, VmPager.VM_PAGER_PEND -> numpagedout++;
                    case VmPager.VM_PAGER_BAD -> {
                        // Outside the object: the changes are lost, as in the C.
                        vp.vmPageBusyWait(mt, false, "pgbad");
                        kernel.pmap().pmapClearModify(mt);
                        p2.vmPageUndirty(mt);
                        vp.vmPageWakeup(mt);
                    }
                    default -> {
                        // VM_PAGER_ERROR / FAIL (out of swap) / AGAIN: the page stays inactive
                        // and will be tried again later.
                    }
                }
                if (pageoutStatus[i] != VmPager.VM_PAGER_PEND) {
                    vp.vmPageBusyWait(mt, false, "pgouw");
                    vp.vmPageIoFinish(mt);
                    if ((vmflushFlags & OBJPC_TRY_TO_CACHE) != 0) {
                        vp.vmPageTryToCache(mt);
                    } else if (p2.vmPagingSevere()) {
                        vp.vmPageDeactivate(mt);
                        vp.vmPageWakeup(mt);
                    } else {
                        vp.vmPageWakeup(mt);
                    }
                    kernel.vmObject().vmObjectPipWakeup(object);
                }
            }
            return numpagedout;
        } finally {
            kernel.lwkt().popFrame();
        }
    }

    /** vm_pageout_page_free(): unmaps and frees m (busied). */
    private void vmPageoutPageFree(long m) {
        kernel.vmPage2().vmPageProtect(m, Vm.VM_PROT_NONE);
        kernel.vmPage2().vmPageFree(m);
    }

    private boolean isep() {
        return kernel.lwkt().curthread() == emergpager();
    }

    /**
     * vm_pageout_scan_inactive(): scans about a tenth of inactive sub-queue {@code q} from the
     * head, with a marker, until {@code availShortage} pages were freed, cached or laundered,
     * handing each page to vm_pageout_page. The emergency pager skips everything but anonymous
     * memory. Stops early (reporting full completion) once free+cache is above target2. Returns
     * the pages dealt with. counts: [0] laundered, [1] freed or cached, [2] dirty marked for a
     * second pass, [3] reactivated. May block.
     *
     * <p>PORT: {@code marker} is the calling daemon's marker page (the C's stack marker).
     * Vnode-backed objects do not exist in the port, so the vnode branches are absent.
     */
    long vmPageoutScanInactive(int pass, int q, long availShortage, long[] vnodesSkipped, long[] counts, long marker) {
        VmPage vp = kernel.vmPage();
        VmPage2 p2 = kernel.vmPage2();
        kernel.lwkt().pushFrame("vm_pageout_scan_inactive");
        try {
            boolean isep = isep();
            long delta = 0;
            // The launder limit applies to the whole queue; per sub-queue, growing on later passes.
            long[] maxLaunder = {(long) vmMaxLaunder() / StructVpgqueues.PQ_L2_SIZE};
            if (pass != 0) maxLaunder[0] *= 2;
            maxLaunder[0] = (maxLaunder[0] + MAXSCAN_DIVIDER - 1) / MAXSCAN_DIVIDER;
            if (maxLaunder[0] <= 1) maxLaunder[0] = 1;
            if (maxLaunder[0] >= vmMaxLaunder() / 16) maxLaunder[0] = vmMaxLaunder() / 16 + 1;

            km.bzero(marker, StructVmPage.SIZEOF);
            StructVmPage.flags(km, marker, StructVmPage.PG_FICTITIOUS | StructVmPage.PG_MARKER);
            StructVmPage.busy_count(km, marker, StructVmPage.PBUSY_LOCKED);
            StructVmPage.queue(km, marker, StructVpgqueues.PQ_INACTIVE + q);
            StructVmPage.pc(km, marker, q);
            StructVmPage.wire_count(km, marker, 1);

            int queue = StructVpgqueues.PQ_INACTIVE + q;
            long pl = vp.vmPageQueueList(queue);
            vp.vmPageQueuesSpinLock(queue);
            vp.pglist().tailqInsertHead(pl, marker);
            long maxscan = (StructVpgqueues.lcnt(km, vp.vmPageQueue(queue)) + MAXSCAN_DIVIDER - 1) / MAXSCAN_DIVIDER + 1;
            long m;
            while ((m = vp.pglist().tailqNext(marker)) != 0 && maxscan-- > 0 && availShortage - delta > 0) {
                final long mm = m;
                Kassert.kkassert(StructVmPage.queue(km, m) == queue, "m->queue == PQ_INACTIVE + q", "vm_pageout_scan_inactive");
                vp.pglist().tailqRemove(pl, marker);
                vp.pglist().tailqInsertAfter(pl, m, marker);
                cnt(StructVmmeter.v_pdpages$OFFSET);
                if ((StructVmPage.flags(km, m) & StructVmPage.PG_MARKER) != 0) continue;
                if (vp.vmPageBusyTry(m, true)) continue;
                Kassert.kassert(StructVmPage.queue(km, mm) == queue, () -> "vm_pageout_scan_inactive: page left its queue");
                vp.vmPageQueuesSpinUnlock(queue);

                // The emergency pager only takes anonymous memory (the port has no VCHR vnodes).
                long object = StructVmPage.object(km, m);
                if (isep && object != 0) {
                    int type = StructVmObject.type(km, object);
                    if (type != StructVmObject.OBJT_DEFAULT && type != StructVmObject.OBJT_SWAP) {
                        vp.vmPageWakeup(m);
                        pageoutYield();
                        vp.vmPageQueuesSpinLock(queue);
                        continue;
                    }
                }
                // Dirty pages go around the inactive queue twice (double LRU) unless memuse_mode >= 3.
                if (g32(VM_PAGEOUT_MEMUSE_MODE) >= 3) p2.vmPageFlagSet(m, StructVmPage.PG_WINATCFLS);
                int vmflushFlags = 0;
                if (g32(VM_PAGEOUT_ALLOW_ACTIVE) != 0) vmflushFlags |= OBJPC_ALLOW_ACTIVE;
                if ((StructVmPage.flags(km, m) & StructVmPage.PG_WINATCFLS) != 0) vmflushFlags |= OBJPC_TRY_TO_CACHE;
                int count = vmPageoutPage(m, maxLaunder, vnodesSkipped, pass, vmflushFlags, counts);
                delta += count;

                pageoutYield();
                vp.vmPageQueuesSpinLock(queue);
                // Other activity may have freed enough memory: stop, reporting full completion.
                if (!p2.vmPagingTarget2()) {
                    if (delta < availShortage) delta = availShortage;
                    break;
                }
            }
            vp.pglist().tailqRemove(pl, marker);
            vp.vmPageQueuesSpinUnlock(queue);
            return delta;
        } finally {
            kernel.lwkt().popFrame();
        }
    }

    /**
     * vm_pageout_page(): disposes of the busied inactive page m: wired pages leave the queue,
     * held ones go to the tail, referenced ones are reactivated with a higher act_count, invalid
     * ones are freed, clean ones cached; dirty ones are marked PG_WINATCFLS on the first pass
     * over them and laundered (vm_pageout_clean_helper) on the next, within max_launder. Returns
     * the pages freed, cached or laundered. May block.
     *
     * <p>PORT: no vnode-backed objects exist, so the vget/vput path and vpfailed are absent.
     */
    int vmPageoutPage(long m, long[] maxLaunderp, long[] vnodesSkippedp, int pass, int vmflushFlags, long[] counts) {
        VmPage vp = kernel.vmPage();
        VmPage2 p2 = kernel.vmPage2();
        int count = 0;
        int actcount;
        // Wiring no longer removes a page from its queue; do it now.
        if (StructVmPage.wire_count(km, m) != 0) {
            vp.vmPageUnqueueNowakeup(m);
            vp.vmPageWakeup(m);
            return 0;
        }
        // A held page may be under I/O.
        if (StructVmPage.hold_count(km, m) != 0) {
            requeueInactiveTail(m);
            vp.vmPageWakeup(m);
            return 0;
        }
        long object = StructVmPage.object(km, m);
        if (object == 0 || StructVmObject.ref_count(km, object) == 0) {
            // An unused object's references do not count.
            p2.vmPageFlagClear(m, StructVmPage.PG_REFERENCED);
            kernel.pmap().pmapClearReference(m);
        } else if ((StructVmPage.flags(km, m) & StructVmPage.PG_REFERENCED) == 0
                && (actcount = kernel.pmap().pmapTsReferenced(m)) != 0) {
            // Used while inactive (the pmap says so): back to the active queue, with a boost.
            ++counts[3];
            vp.vmPageActivate(m);
            StructVmPage.act_count(km, m, StructVmPage.act_count(km, m) + actcount + StructVmPage.ACT_ADVANCE);
            vp.vmPageWakeup(m);
            return 0;
        }
        // The VM knows of a reference: reactivate with an even higher act_count.
        if ((StructVmPage.flags(km, m) & StructVmPage.PG_REFERENCED) != 0) {
            p2.vmPageFlagClear(m, StructVmPage.PG_REFERENCED);
            actcount = kernel.pmap().pmapTsReferenced(m);
            vp.vmPageActivate(m);
            StructVmPage.act_count(km, m, StructVmPage.act_count(km, m) + actcount + StructVmPage.ACT_ADVANCE + 1);
            vp.vmPageWakeup(m);
            ++counts[3];
            return 0;
        }
        // Collect dirtiness from the pmaps; a partly dirty page is fully dirty.
        if (StructVmPage.dirty(km, m) == 0) {
            vp.vmPageTestDirty(m);
        } else {
            vp.vmPageDirty(m);
        }
        int flags = StructVmPage.flags(km, m);
        if (StructVmPage.valid(km, m) == 0 && (flags & StructVmPage.PG_NEED_COMMIT) == 0) {
            // Invalid pages are simply freed.
            vmPageoutPageFree(m);
            cnt(StructVmmeter.v_dfree$OFFSET);
            ++count;
            ++counts[1];
        } else if (StructVmPage.dirty(km, m) == 0 && (flags & StructVmPage.PG_NEED_COMMIT) == 0) {
            // Clean pages go to the cache, which is as good as free.
            vp.vmPageCache(m);
            ++count;
            ++counts[1];
        } else if ((flags & StructVmPage.PG_WINATCFLS) == 0 && pass == 0) {
            // Flushing is expensive: a dirty page gets a second trip through the inactive queue
            // first (double LRU).
            ++counts[2];
            p2.vmPageFlagSet(m, StructVmPage.PG_WINATCFLS);
            requeueInactiveTail(m);
            vp.vmPageWakeup(m);
        } else if (maxLaunderp[0] > 0) {
            // Launder it (and its neighbours).
            if ((flags & StructVmPage.PG_WINATCFLS) == 0) p2.vmPageFlagSet(m, StructVmPage.PG_WINATCFLS);
            boolean swapPageoutsOk;
            if (object != 0 && StructVmObject.type(km, object) != StructVmObject.OBJT_SWAP
                    && StructVmObject.type(km, object) != StructVmObject.OBJT_DEFAULT) {
                swapPageoutsOk = true;
            } else {
                int defer = g32(DEFER_SWAP_PAGEOUTS);
                int disable = g32(DISABLE_SWAP_PAGEOUTS);
                swapPageoutsOk = !(defer != 0 || disable != 0);
                swapPageoutsOk |= disable == 0 && defer != 0 && p2.vmPagingMin();
            }
            // Dead objects are being run down: leave their pages.
            if (!swapPageoutsOk || object == 0 || (StructVmObject.flags(km, object) & StructVmObject.OBJ_DEAD) != 0) {
                requeueInactiveTail(m);
                vp.vmPageWakeup(m);
                return 0;
            }
            // Count the cluster against the shortage now, for the pages it will clean.
            count = vmPageoutCleanHelper(m, vmflushFlags);
            counts[0] += count;
            maxLaunderp[0] -= count;
        } else {
            vp.vmPageWakeup(m);
        }
        return count;
    }

    /**
     * vm_pageout_scan_active(): ages the pages of active sub-queue {@code q} from the daemon's
     * marker: referenced pages gain act_count, others lose vm.anonmem_decline and are deactivated
     * (or, while the free+cache shortage lasts, cached if clean) once below pass + 1. Returns
     * the pages moved. {@code recycleCountp[0]} counts pages recycled against the shortage.
     * The emergency pager ignores vnode pages (none in the port). Never blocks on memory.
     */
    long vmPageoutScanActive(int pass, int q, long availShortage, long inactiveShortage, long marker, long[] recycleCountp) {
        VmPage vp = kernel.vmPage();
        VmPage2 p2 = kernel.vmPage2();
        long delta = 0;
        int queue = StructVpgqueues.PQ_ACTIVE + q;
        long pl = vp.vmPageQueueList(queue);
        vp.vmPageQueuesSpinLock(queue);
        long maxscan = (StructVpgqueues.lcnt(km, vp.vmPageQueue(queue)) + MAXSCAN_DIVIDER - 1) / MAXSCAN_DIVIDER + 1;
        long m;
        while ((m = vp.pglist().tailqNext(marker)) != 0 && maxscan-- > 0
                && (availShortage - delta > 0 || inactiveShortage > 0)) {
            vp.pglist().tailqRemove(pl, marker);
            vp.pglist().tailqInsertAfter(pl, m, marker);
            if ((StructVmPage.flags(km, m) & StructVmPage.PG_MARKER) != 0) continue;
            if (vp.vmPageBusyTry(m, true)) continue;
            vp.vmPageQueuesSpinUnlock(queue);

            if (StructVmPage.wire_count(km, m) != 0) {
                // Wired pages simply leave the queue.
                vp.vmPageUnqueueNowakeup(m);
                vp.vmPageWakeup(m);
            } else {
                cnt(StructVmmeter.v_pdpages$OFFSET);
                // How much has the page been used? (Not worth asking for unreferenced objects.)
                long object = StructVmPage.object(km, m);
                int actcount = 0;
                if (object != 0 && StructVmObject.ref_count(km, object) != 0) {
                    if ((StructVmPage.flags(km, m) & StructVmPage.PG_REFERENCED) != 0) ++actcount;
                    actcount += kernel.pmap().pmapTsReferenced(m);
                    if (actcount != 0) {
                        int ac = StructVmPage.act_count(km, m) + StructVmPage.ACT_ADVANCE + actcount;
                        StructVmPage.act_count(km, m, Math.min(ac, StructVmPage.ACT_MAX));
                    }
                }
                p2.vmPageFlagClear(m, StructVmPage.PG_REFERENCED);
                if (actcount != 0 && StructVmObject.ref_count(km, object) != 0) {
                    vp.vmPageWakeup(m);
                } else {
                    int type = object != 0 ? StructVmObject.type(km, object) : -1;
                    int decline = type == StructVmObject.OBJT_DEFAULT || type == StructVmObject.OBJT_SWAP
                            ? g32(VM_ANONMEM_DECLINE) : g32(VM_FILEMEM_DECLINE);
                    int ac = StructVmPage.act_count(km, m);
                    StructVmPage.act_count(km, m, ac - Math.min(ac, decline));
                    if (g32(VM_PAGEOUT_ALGORITHM) != 0 || object == 0 || StructVmObject.ref_count(km, object) == 0
                            || StructVmPage.act_count(km, m) < pass + 1) {
                        // Deactivate; with a shortage left, cache a clean page right away.
                        --inactiveShortage;
                        if (availShortage - delta > 0 || (object != 0 && StructVmObject.ref_count(km, object) == 0)) {
                            if (availShortage - delta > 0) ++recycleCountp[0];
                            p2.vmPageProtect(m, Vm.VM_PROT_NONE);
                            if (StructVmPage.dirty(km, m) == 0
                                    && (StructVmPage.flags(km, m) & StructVmPage.PG_NEED_COMMIT) == 0
                                    && availShortage - delta > 0) {
                                vp.vmPageCache(m);
                            } else {
                                vp.vmPageDeactivate(m);
                                vp.vmPageWakeup(m);
                            }
                        } else {
                            vp.vmPageDeactivate(m);
                            vp.vmPageWakeup(m);
                        }
                        ++delta;
                    } else {
                        vp.vmPageWakeup(m);
                    }
                }
            }
            pageoutYield();
            vp.vmPageQueuesSpinLock(queue);
        }
        // Queue exhausted: the marker goes back to the head for the next round.
        if (m == 0) {
            vp.pglist().tailqRemove(pl, marker);
            vp.pglist().tailqInsertHead(pl, marker);
        }
        vp.vmPageQueuesSpinUnlock(queue);
        return delta;
    }

    /**
     * vm_pageout_scan_cache(): frees PQ_CACHE pages while free is below v_free_target (or
     * v_free_min) and more than VM_CACHE_SCAN_MIN are cached, with one rover per daemon; then
     * the low-memory warning and the OOM kill: swap_pager_full, pass > 1, not the emergency
     * pager, a shortage left and free+cache below target1, at most once a second, kills the
     * process with the most anonymous + swap pages. May block.
     */
    void vmPageoutScanCache(long availShortage, int pass, long vnodesSkipped, long recycleCount) {
        VmPage vp = kernel.vmPage();
        VmPage2 p2 = kernel.vmPage2();
        long vs = kernel.vmMeter().vmstats();
        boolean isep = isep();
        while ((StructVmstats.v_free_count(km, vs) < StructVmstats.v_free_target(km, vs)
                || StructVmstats.v_free_count(km, vs) < StructVmstats.v_free_min(km, vs))
                && StructVmstats.v_cache_count(km, vs) > VM_CACHE_SCAN_MIN) {
            int r0 = g32(CACHE_ROVER0);
            int r1 = g32(CACHE_ROVER1);
            if (((r0 ^ r1) & StructVpgqueues.PQ_L2_MASK) != 0) {
                long m = vp.vmPageListFind(StructVpgqueues.PQ_CACHE, (isep ? r1 : r0) & StructVpgqueues.PQ_L2_MASK);
                if (m == 0) break;
                // Returned off its queue and spinlocked; if it cannot be busied, deactivate it.
                if (vp.vmPageBusyTry(m, true)) {
                    vp.vmPageDeactivateLocked(m);
                    p2.vmPageSpinUnlock(m);
                    continue;
                }
                p2.vmPageSpinUnlock(m);
                pagedaemonWakeup();
                pageoutYield();
                int flags = StructVmPage.flags(km, m);
                if ((flags & StructVmPage.PG_MAPPED) != 0 || (StructVmPage.valid(km, m) & StructVmPage.dirty(km, m)) != 0) {
                    kernel.kprintf(String.format("WARNING! page race during find/busy: 0x%x queue == %d dirty=%02x",
                            m, pqBase(m), StructVmPage.dirty(km, m)));
                }
                if ((flags & (StructVmPage.PG_UNQUEUED | StructVmPage.PG_NEED_COMMIT | StructVmPage.PG_MAPPED)) != 0
                        || StructVmPage.hold_count(km, m) != 0 || StructVmPage.wire_count(km, m) != 0
                        || (StructVmPage.valid(km, m) & StructVmPage.dirty(km, m)) != 0) {
                    vp.vmPageDeactivate(m);
                    vp.vmPageWakeup(m);
                    continue;
                }
                kernel.pmap().pmapMappedSync(m);
                vmPageoutPageFree(m);
                cnt(StructVmmeter.v_dfree$OFFSET);
            }
            // next_rover
            if (isep) {
                s32(CACHE_ROVER1, r1 - StructVpgqueues.PQ_PRIME2);
            } else {
                s32(CACHE_ROVER0, r0 + StructVpgqueues.PQ_PRIME2);
            }
        }
        // PORT: no syncer (no vnodes) and no vmdaemon (no RLIMIT_RSS), so the kicks of both are absent.

        long ticks = kernel.lwkt().ticks();
        SwapPager sp = kernel.swapPager();
        if (sp.swapPagerAlmostFull() != 0 && pass > 0 && !isep
                && (p2.vmPagingMinDnc(recycleCount) || availShortage > 0)) {
            kernel.kprintf(String.format("Warning: system low on memory+swap shortage %d for %d ticks!",
                    availShortage, ticks - sp.swapFailTicks()));
        }
        if (sp.swapPagerFull() != 0 && pass > 1 && !isep && availShortage > 0 && p2.vmPagingTarget1()
                && Integer.toUnsignedLong((int) (ticks - km.load64(globals + LASTKILLTICKS))) >= kernel.lwkt().hz()) {
            // Kill something, at most once a second, to give it time to free its memory.
            km.store64(globals + LASTKILLTICKS, ticks);
            vmPageoutOomKill();
        }
    }

    /**
     * The kill of vm_pageout_scan_cache: allproc_scan(vm_pageout_scan_callback) finds the process
     * with the most anonymous + swap pages; it gets P_LOWMEMKILL and killproc("out of swap
     * space"), and the free-count waiters are woken. Returns the victim's struct proc or 0.
     * Never blocks.
     *
     * <p>PORT: the C skips P_SYSTEM processes, init, and pids below 48 when swap exists; the
     * port's processes are all workload programs numbered from 1 (there is no init and no low
     * system pids), so only processes already exiting are skipped. p_nice/resetpriority are
     * not modelled (no user scheduler).
     */
    long vmPageoutOomKill() {
        Killproc procs = killproc;
        if (procs == null) return 0;
        long[] big = {0, 0};  // info.bigproc, info.bigsize
        kernel.kernProcTable().allprocScan(p -> {
            // vm_pageout_scan_callback()
            long vm = StructProc.p_vmspace(km, p);
            if (vm == 0) return true;
            long size = kernel.vmMap().vmspaceAnonymousCount(vm) + kernel.vmMap().vmspaceSwapCount(vm);
            if (big[1] < size) {
                big[0] = p;
                big[1] = size;
            }
            return true;
        });
        long p = big[0];
        if (p != 0) {
            kernel.kprintf(String.format("Try to kill process %d %s", StructProc.p_pid(km, p), StructProc.p_comm(km, p)));
            km.atomicSet32(p + StructProc.p_flags$OFFSET, StructProc.P_LOWMEMKILL);
            procs.killproc(p, "out of swap space");
            kernel.lwkt().wakeup(kernel.vmMeter().vmstats() + StructVmstats.v_free_count$OFFSET);
        }
        return p;
    }

    /**
     * vm_pageout_scan_hold(): walks a few PQ_HOLD pages of sub-queue q from the marker and
     * re-runs vm_page_unhold() on any left there with hold_count 0 (a free/unhold race).
     */
    void vmPageoutScanHold(int q, long marker) {
        VmPage vp = kernel.vmPage();
        int queue = StructVpgqueues.PQ_HOLD + q;
        long pl = vp.vmPageQueueList(queue);
        long pcount = Math.min(StructVpgqueues.lcnt(km, vp.vmPageQueue(queue)), g32(VM_PAGEOUT_STATS_SCAN));
        vp.vmPageQueuesSpinLock(queue);
        long m;
        while ((m = vp.pglist().tailqNext(marker)) != 0 && pcount-- > 0) {
            vp.pglist().tailqRemove(pl, marker);
            vp.pglist().tailqInsertAfter(pl, m, marker);
            if ((StructVmPage.flags(km, m) & StructVmPage.PG_MARKER) != 0) continue;
            if (StructVmPage.hold_count(km, m) != 0) break;
            kernel.kprintf(String.format("DEBUG: pageout HOLD->FREE 0x%x", m));
            vp.vmPageHold(m);
            vp.vmPageQueuesSpinUnlock(queue);
            vp.vmPageUnhold(m);
            vp.vmPageQueuesSpinLock(queue);
        }
        if (m == 0) {
            vp.pglist().tailqRemove(pl, marker);
            vp.pglist().tailqInsertHead(pl, marker);
        }
        vp.vmPageQueuesSpinUnlock(queue);
    }

    /**
     * vm_pageout_page_stats(): keeps act_count meaningful on active sub-queue q while paging is
     * (or was recently) going on: referenced pages gain, others decay by ACT_DECLINE and are
     * deactivated below the adaptive vm.pageout_stats_actcmp while the inactive target is short;
     * every vm.pageout_stats_inalim pages the comparator moves up or down. counterp: [0] pages
     * looked at, [1] deactivation candidates. Never blocks on memory.
     */
    void vmPageoutPageStats(int q, long marker, long[] counterp) {
        VmPage vp = kernel.vmPage();
        VmPage2 p2 = kernel.vmPage2();
        long vs = kernel.vmMeter().vmstats();
        int queue = StructVpgqueues.PQ_ACTIVE + q;
        long pq = vp.vmPageQueue(queue);
        long pl = vp.vmPageQueueList(queue);
        // Not worth it while the active queue is under half of usable memory.
        if (StructVmstats.v_active_count(km, vs) < StructVmstats.v_free_count(km, vs)
                + StructVmstats.v_cache_count(km, vs) + StructVmstats.v_inactive_count(km, vs)) {
            return;
        }
        // Only while paging, or for vm.pageout_stats_rsecs after the daemon last ran.
        if (vmPagesNeeded() == 0 && !p2.vmPagingInactive()) {
            if (timeUptime() - vmPagedaemonUptime() > km.load64(globals + VM_PAGEOUT_STATS_RSECS)) return;
        }
        long pcount = Math.min(StructVpgqueues.lcnt(km, pq), g32(VM_PAGEOUT_STATS_SCAN));
        vp.vmPageQueuesSpinLock(queue);
        long m;
        while ((m = vp.pglist().tailqNext(marker)) != 0 && pcount-- > 0) {
            vp.pglist().tailqRemove(pl, marker);
            vp.pglist().tailqInsertAfter(pl, m, marker);
            if ((StructVmPage.flags(km, m) & StructVmPage.PG_MARKER) != 0) continue;
            ++counterp[0];
            if (vp.vmPageBusyTry(m, true)) continue;
            vp.vmPageQueuesSpinUnlock(queue);
            if (StructVmPage.wire_count(km, m) != 0) {
                vp.vmPageUnqueueNowakeup(m);
                vp.vmPageWakeup(m);
            } else if (StructVmPage.hold_count(km, m) != 0) {
                vp.vmPageWakeup(m);
            } else {
                int actcount = 0;
                if ((StructVmPage.flags(km, m) & StructVmPage.PG_REFERENCED) != 0) {
                    p2.vmPageFlagClear(m, StructVmPage.PG_REFERENCED);
                    actcount += 1;
                }
                actcount += kernel.pmap().pmapTsReferenced(m);
                if (actcount != 0) {
                    int ac = StructVmPage.act_count(km, m) + StructVmPage.ACT_ADVANCE + actcount;
                    StructVmPage.act_count(km, m, Math.min(ac, StructVmPage.ACT_MAX));
                } else if (StructVmPage.act_count(km, m) == 0) {
                    // Deactivate only while the inactive target is not met.
                    if (p2.vmPagingInactive()) {
                        p2.vmPageProtect(m, Vm.VM_PROT_NONE);
                        vp.vmPageDeactivate(m);
                    }
                    ++counterp[1];
                } else {
                    int ac = StructVmPage.act_count(km, m);
                    StructVmPage.act_count(km, m, ac - Math.min(ac, StructVmPage.ACT_DECLINE));
                    if (StructVmPage.act_count(km, m) < g32(VM_PAGEOUT_STATS_ACTCMP)) {
                        if (p2.vmPagingInactive()) {
                            p2.vmPageProtect(m, Vm.VM_PROT_NONE);
                            vp.vmPageDeactivate(m);
                        }
                        ++counterp[1];
                    }
                }
                vp.vmPageWakeup(m);
            }
            vp.vmPageQueuesSpinLock(queue);
        }
        if (m == 0) {
            vp.pglist().tailqRemove(pl, marker);
            vp.pglist().tailqInsertHead(pl, marker);
        }
        vp.vmPageQueuesSpinUnlock(queue);
        // Adapt the comparator to the progress of about every inalim pages.
        if (counterp[0] > g32(VM_PAGEOUT_STATS_INALIM)) {
            int actcmp = g32(VM_PAGEOUT_STATS_ACTCMP);
            if (counterp[1] < g32(VM_PAGEOUT_STATS_INAMIN)) {
                if (actcmp < StructVmPage.ACT_MAX * 3 / 4) s32(VM_PAGEOUT_STATS_ACTCMP, actcmp + 1);
            } else if (actcmp > 0) {
                s32(VM_PAGEOUT_STATS_ACTCMP, actcmp - 1);
            }
            counterp[0] = 0;
            counterp[1] = 0;
        }
    }

    /**
     * kproc_start() of "pagedaemon" (SI_ORDER_FIRST) and "emergpager" (SI_ORDER_ANY): creates
     * both threads running vm_pageout_thread(); pagethread and emergpager point at them. The
     * primary does the setup (thresholds, swap_pager_swap_init) when it first runs; the emergency
     * pager waits for it. Requires the scheduler. Never blocks.
     */
    public void vmPageoutStart() {
        pagethread(kernel.lwkt().lwktCreate("pagedaemon", 0, 0, this::vmPageoutThread));
        emergpager(kernel.lwkt().lwktCreate("emergpager", 0, 0, this::vmPageoutThread));
    }

    /**
     * The primary daemon's one-time setup in vm_pageout_thread(): vmPageoutThreadSetup() (launder
     * limit, reserves, targets), the stats-scan tuning, the first vm_pagedaemon_uptime,
     * swap_pager_swap_init(), and the go-ahead to the emergency pager. May block (swap init).
     */
    void vmPageoutPrimarySetup() {
        Lwkt lwkt = kernel.lwkt();
        long vs = kernel.vmMeter().vmstats();
        vmPageoutThreadSetup();
        // Stats scan: pages per run and the interval.
        if (g32(VM_PAGEOUT_STATS_SCAN) == 0) {
            s32(VM_PAGEOUT_STATS_SCAN, (int) Math.max(16,
                    StructVmstats.v_free_count(km, vs) / StructVpgqueues.PQ_L2_SIZE / 16));
        }
        if (g32(VM_PAGEOUT_STATS_TICKS) == 0) {
            s32(VM_PAGEOUT_STATS_TICKS, lwkt.hz() / 10);
        }
        km.store64(globals + VM_PAGEDAEMON_UPTIME, timeUptime());
        kernel.swapPager().swapPagerSwapInit();
        s32(SEQUENCE_EMERG_PAGER, 1);
        lwkt.wakeup(globals + SEQUENCE_EMERG_PAGER);
    }

    /** The daemon's paging state between passes. */
    private enum State { PAGING_IDLE, PAGING_TARGET1, PAGING_TARGET2 }

    /**
     * vm_pageout_thread(): the body of both the primary pageout daemon and the emergency pager.
     * Never returns.
     */
    void vmPageoutThread() {
        Lwkt lwkt = kernel.lwkt();
        VmPage vp = kernel.vmPage();
        VmPage2 p2 = kernel.vmPage2();
        long vs = kernel.vmMeter().vmstats();
        KernSlaballoc slab = kernel.kernSlaballoc();
        int q1iterator = 0;
        int q2iterator = 0;
        int q3iterator = 0;
        long[] scounter = {0, 0};

        long td = lwkt.curthread();
        StructThread.td_flags(km, td, StructThread.td_flags(km, td) | StructThread.TDF_SYSTHREAD);
        State state = State.PAGING_IDLE;

        long markers;
        long inactiveMarker;
        boolean isep = false;
        // dfemu: the frame tells deadlock reports and the reclaim-context checker
        // (harness/check/ReclaimCheck) that the daemon is in its one-time setup, not freeing pages.
        lwkt.pushFrame("vm_pageout_thread(setup)");
        try {
            // Markers for the incremental hold, stats (active) and paging active-queue scans.
            markers = slab.kmalloc(MARKERS_SIZEOF * StructVpgqueues.PQ_L2_SIZE, mPageout, Malloc.M_WAITOK | Malloc.M_ZERO);
            // PORT: vm_pageout_scan_inactive()'s marker is a local on the daemon's kernel stack in the
            // C; the port's frames are Java's, so the daemon takes it here once, from M_PAGEOUT.
            inactiveMarker = slab.kmalloc(StructVmPage.SIZEOF, mPageout, Malloc.M_WAITOK | Malloc.M_ZERO);
            for (int q = 0; q < StructVpgqueues.PQ_L2_SIZE; ++q) {
                long mark = markers + q * MARKERS_SIZEOF;
                initMarker(mark + MARK_HOLD, StructVpgqueues.PQ_HOLD + q);
                initMarker(mark + MARK_STAT, StructVpgqueues.PQ_ACTIVE + q);
                initMarker(mark + MARK_PACT, StructVpgqueues.PQ_ACTIVE + q);
            }

            // The setup is done once, by the primary.
            if (td == emergpager()) {
                isep = true;
            } else {
                vmPageoutPrimarySetup();
            }
            // The emergency pager starts once the primary is set up.
            if (isep) {
                while (g32(SEQUENCE_EMERG_PAGER) == 0) {
                    lwkt.tsleep(globals + SEQUENCE_EMERG_PAGER, "pstartup", lwkt.hz());
                }
            }
        } finally {
            lwkt.popFrame();
        }

        int pass = 0;
        long warnTime = timeUptime();
        for (;;) {
            long availShortage;
            long inactiveShortage;
            long[] vnodesSkipped = {0};
            long[] recycleCount = {0};
            // Per-pass figures for the trace: pages scanned, laundered, freed or cached.
            long scannedThisPass;
            long launderedThisPass = 0;
            long freedOrCachedThisPass = 0;
            long pdpagesBefore = kernel.vmMeter().vcnt(StructVmmeter.v_pdpages$OFFSET);
            long passStart = kernel.trace().start(KernelEvents.VM_PAGEOUT_PASS);

            if (pass > 0x7FFF0000) pass = 0x70000000;

            if (isep) {
                // Watch the primary while paging is needed; take over only when it has not
                // refreshed vm_pagedaemon_uptime for 2 seconds.
                if (vmPagesNeeded() != 0) {
                    lwkt.tsleep(vmPagedaemonUptimeAddr(), "psleep", lwkt.hz());
                } else {
                    lwkt.tsleep(vmPagedaemonUptimeAddr(), "psleep", lwkt.hz() * 10);
                }
                if (vmPagesNeeded() == 0) {
                    pass = 0;
                    continue;
                }
                if ((int) (timeUptime() - vmPagedaemonUptime()) < 2) {
                    pass = 0;
                    continue;
                }
            } else {
                // Unconditional partial scans: PQ_HOLD races and active-page statistics.
                int q3 = q3iterator & StructVpgqueues.PQ_L2_MASK;
                vmPageoutScanHold(q3, markers + q3 * MARKERS_SIZEOF + MARK_HOLD);
                vmPageoutPageStats(q3, markers + q3 * MARKERS_SIZEOF + MARK_STAT, scounter);
                ++q3iterator;
                // Idle: sleep, then check whether paging is needed anyway (racing wakeups).
                if (vmPagesNeeded() == 0) {
                    int error = lwkt.tsleep(vmPagesNeededAddr(), "psleep", g32(VM_PAGEOUT_STATS_TICKS));
                    if (error != 0 && !p2.vmPagingStart(0) && vmPagesNeeded() == 0) {
                        continue;
                    }
                    km.store64(globals + VM_PAGEDAEMON_UPTIME, timeUptime());
                    vmPagesNeeded(1);
                    state = State.PAGING_TARGET1;
                    // Wake the emergency pager so it watches us.
                    lwkt.wakeup(vmPagedaemonUptimeAddr());
                }
            }
            cnt(StructVmmeter.v_pdwakeups$OFFSET);
            // PORT: no lwkt_yield in the C here; the port keeps a scheduling point per pass so a
            // pass that finds nothing to do cannot loop without one. Its time is the CPU-time
            // model's when the machine counts it, else a flat charge.
            lwkt.consume(lwkt.countsCpuTime() ? 0 : PAGEOUT_PASS_NS);

            // INACTIVE -> CLEAN/PAGEOUT, toward target1 (hard) or target2 (lazily), plus the
            // deficit of failed allocations, from counts with every cpu's adjustments folded in.
            kernel.vmMeter().vmstatsRollup();
            if (!isep) km.store64(globals + VM_PAGEDAEMON_UPTIME, timeUptime());
            if (state == State.PAGING_TARGET1) {
                availShortage = p2.vmPagingTarget1Count() + vmPageoutDeficit();
            } else {
                availShortage = p2.vmPagingTarget2Count() + vmPageoutDeficit();
            }
            vmPageoutDeficit(0);

            if (availShortage > 0) {
                long delta = 0;
                long[] counts = {0, 0, 0, 0};
                long use = availShortage;
                // Past target1, page out in smaller batches.
                if (state == State.PAGING_TARGET2 && use > StructVmstats.v_inactive_target(km, vs) / 10) {
                    use = StructVmstats.v_inactive_target(km, vs) / 10 + 1;
                }
                int qq = q1iterator;
                for (int q = 0; q < StructVpgqueues.PQ_L2_SIZE; ++q) {
                    delta += vmPageoutScanInactive(pass / MAXSCAN_DIVIDER, qq & StructVpgqueues.PQ_L2_MASK,
                            PQAVERAGE(use), vnodesSkipped, counts, inactiveMarker);
                    if (isep) --qq; else ++qq;
                    if (availShortage - delta <= 0) break;
                    // A big exit may have freed plenty: no need to go on deactivating.
                    if (!p2.vmPagingTarget2() && !p2.vmPagingMinDnc(vmPageFreeHysteresis())) {
                        availShortage = 0;
                        break;
                    }
                }
                availShortage -= delta;
                q1iterator = qq;
                launderedThisPass = counts[0];
                freedOrCachedThisPass = counts[1];
            }

            // How many active pages to deactivate: the pure inactive target, plus (bounded) twice
            // what the inactive scan could not retire; again from freshly rolled-up counts.
            kernel.vmMeter().vmstatsRollup();
            if (!isep) km.store64(globals + VM_PAGEDAEMON_UPTIME, timeUptime());
            inactiveShortage = StructVmstats.v_inactive_target(km, vs) - StructVmstats.v_inactive_count(km, vs);
            if (availShortage > 0) {
                long tmp = availShortage * 2;
                if (tmp > StructVmstats.v_inactive_target(km, vs) / 10) tmp = StructVmstats.v_inactive_target(km, vs) / 10;
                inactiveShortage += tmp;
            }
            // PORT: pmap_collect() is a no-op in DragonFly's pc64 pmap and is not ported.
            // The emergency pager always moves a few pages, the inactive queue may lack anonymous ones.
            if (isep && inactiveShortage < g32(VM_EMERG_LAUNDER)) {
                inactiveShortage = g32(VM_EMERG_LAUNDER);
            }
            if (inactiveShortage > 0) {
                long delta = 0;
                int qq = q2iterator;
                for (int q = 0; q < StructVpgqueues.PQ_L2_SIZE; ++q) {
                    int qm = qq & StructVpgqueues.PQ_L2_MASK;
                    delta += vmPageoutScanActive(pass / MAXSCAN_DIVIDER, qm, PQAVERAGE(availShortage),
                            PQAVERAGE(inactiveShortage), markers + qm * MARKERS_SIZEOF + MARK_PACT, recycleCount);
                    if (isep) --qq; else ++qq;
                    if (inactiveShortage - delta <= 0 && availShortage - delta <= 0) break;
                    // Other activity may have met the inactive target.
                    if (StructVmstats.v_inactive_count(km, vs) > StructVmstats.v_inactive_target(km, vs)) {
                        inactiveShortage = 0;
                        break;
                    }
                }
                inactiveShortage -= delta;
                availShortage -= delta;
                q2iterator = qq;
            }

            // CACHE -> FREE, and the drastic measures, after a third rollup.
            kernel.vmMeter().vmstatsRollup();
            if (!isep) km.store64(globals + VM_PAGEDAEMON_UPTIME, timeUptime());
            vmPageoutScanCache(availShortage, pass / MAXSCAN_DIVIDER, vnodesSkipped[0], recycleCount[0]);

            scannedThisPass = kernel.vmMeter().vcnt(StructVmmeter.v_pdpages$OFFSET) - pdpagesBefore;
            kernel.trace().pageoutPass(scannedThisPass, launderedThisPass, freedOrCachedThisPass, passStart);

            if (availShortage > 0) {
                // Not enough retired: go on (MAXSCAN_DIVIDER passes cover the inactive queue).
                if (pass == 0) warnTime = timeUptime();
                ++pass;
                if (!isep && timeUptime() - warnTime >= 60) {
                    kernel.kprintf(String.format("pagedaemon: WARNING! Continuous paging for %d minutes",
                            (timeUptime() - warnTime) / 60));
                    warnTime = timeUptime();
                }
                // Retry at once, unless swap is completely full: then pause 200 ms.
                if (vmPagesNeeded() != 0 && kernel.swapPager().swapPagerFull() != 0) {
                    lwkt.tsleep(vmPagesNeededAddr(), "pdelay", lwkt.hz() / 5);
                }
            } else {
                pass = 0;
                if (p2.vmPagingStart(0) || p2.vmPagingMinDnc(vmPageFreeHysteresis())) {
                    // Still short enough to keep paging toward target1.
                    state = State.PAGING_TARGET1;
                    vmPagesNeeded(2);
                    // Waiters may go once we are above the wait point.
                    if (!p2.vmPagingWait()) lwkt.wakeup(vs + StructVmstats.v_free_count$OFFSET);
                } else if (vmPagesNeeded() != 0) {
                    // Continue lazily to target2; waiters can go.
                    if (p2.vmPagingTarget1()) {
                        state = State.PAGING_TARGET1;
                        vmPagesNeeded(2);
                    } else if (p2.vmPagingTarget2()) {
                        state = State.PAGING_TARGET2;
                        vmPagesNeeded(2);
                    } else {
                        vmPagesNeeded(0);
                    }
                    lwkt.wakeup(vs + StructVmstats.v_free_count$OFFSET);
                }
            }
        }
    }

    // A marker page on queue {@code queue}: fictitious, busied, wired so nothing takes it.
    private void initMarker(long mark, int queue) {
        VmPage vp = kernel.vmPage();
        StructVmPage.flags(km, mark, StructVmPage.PG_FICTITIOUS | StructVmPage.PG_MARKER);
        StructVmPage.busy_count(km, mark, StructVmPage.PBUSY_LOCKED);
        StructVmPage.queue(km, mark, queue);
        StructVmPage.pc(km, mark, queue);
        StructVmPage.wire_count(km, mark, 1);
        vp.vmPageQueuesSpinLock(queue);
        vp.pglist().tailqInsertHead(vp.vmPageQueueList(queue), mark);
        vp.vmPageQueuesSpinUnlock(queue);
    }
}
