package org.dfemu.kernel.vm;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.StructVmstats;
import org.dfemu.kernel.sys.Sysctl;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * vm_pageout.c: DragonFly BSD sys/vm/vm_pageout.c at commit 737b020b54 (2021-05-28), the part the
 * page allocator depends on: the pageout globals, the free-page threshold formulas and
 * pagedaemon_wakeup(). The daemon's loop (the scans, laundering, the emergency pager) is ported
 * separately on top of this class.
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
            C_INT.withName("vm_page_max_wired")).withName("vm_pageout_globals");

    private static final long VM_PAGES_NEEDED = Ctypes.offset(GLOBALS, "vm_pages_needed");
    private static final long VM_PAGEOUT_DEFICIT = Ctypes.offset(GLOBALS, "vm_pageout_deficit");
    private static final long VM_PAGEOUT_PAGES_NEEDED = Ctypes.offset(GLOBALS, "vm_pageout_pages_needed");
    private static final long VM_PAGE_FREE_HYSTERESIS = Ctypes.offset(GLOBALS, "vm_page_free_hysteresis");
    private static final long PAGETHREAD = Ctypes.offset(GLOBALS, "pagethread");
    private static final long EMERGPAGER = Ctypes.offset(GLOBALS, "emergpager");
    private static final long VM_MAX_LAUNDER = Ctypes.offset(GLOBALS, "vm_max_launder");
    private static final long VM_PAGE_MAX_WIRED = Ctypes.offset(GLOBALS, "vm_page_max_wired");

    private final Kernel kernel;
    private final KernelMemory km;
    private final long globals;

    /** (boot only) Lays out the globals with their initial values and registers the sysctls. */
    public VmPageout(Kernel kernel, DataSegment data, Sysctl sysctl) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.globals = data.alloc(GLOBALS);
        km.store32(globals + VM_PAGE_FREE_HYSTERESIS, 16);
        sysctl.sysctlInt("vm.page_free_hysteresis", globals + VM_PAGE_FREE_HYSTERESIS,
                "Free more pages than the minimum required");
        sysctl.sysctlInt("vm.max_launder", globals + VM_MAX_LAUNDER, "Limit dirty flushes in pageout");
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
}
