package org.dfemu.kernel.harness.check;

import org.dfemu.emulator.api.Scheduler;
import org.dfemu.emulator.api.Tunable;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.Malloc;
import org.dfemu.kernel.sys.StructThread;
import org.dfemu.kernel.sys.StructVmstats;
import org.dfemu.kernel.vm.VmPage;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * (dfemu only: DragonFly has none) The reclaim-context checker, after Linux lockdep's fs_reclaim
 * annotation: while a thread is on the page-freeing path, every allocation that can sleep for
 * memory is a possible low-memory deadlock (the memory it waits for can only come from the path
 * that is waiting), so each such call site is recorded once, with its kernel call chain, the pages
 * it needs and the pages its allocation class may take at that moment.
 *
 * <p>The page-freeing path ({@link #onReclaimPath}): the pagedaemon and the emergency pager
 * (except in their one-time setup before the paging loop: the markers' kmalloc,
 * swap_pager_swap_init), the swap completion thread
 * "swapintr", and any thread with vm_pageout_flush or swap_pager_putpages among its kernel frames.
 *
 * <p>Recorded (each hook is one call in the ported code):
 * <ul>
 * <li>kmem_slab_alloc with M_WAITOK (so also _kmalloc_obj's new slab, which is always M_WAITOK),
 *     and kmalloc with M_WAITOK;</li>
 * <li>vm_wait;</li>
 * <li>the vm_page_alloc calls whose failure leads into vm_wait (vm_page_grab with VM_ALLOC_RETRY,
 *     pmap_allocpte); a VM_ALLOC_INTERRUPT one only when no free page is left, since that class
 *     may take the last free page (the guarantee zalloc's interrupt zones rest on);</li>
 * <li>zalloc of a zone without ZONE_INTERRUPT; vm_map_entry_reserve.</li>
 * </ul>
 * "The X class is guaranteed N": the pages vm_page_alloc would admit for that class right now,
 * from the running cpu's vmstats copy: NORMAL free - v_free_reserved plus the cache it recycles;
 * SYSTEM (also any TDF_SYSTHREAD thread, as vm_page_alloc promotes it) free - v_interrupt_free_min
 * while the cache is empty; INTERRUPT every free page.
 *
 * <p>Setting {@code debug.reclaim_check}: 0 off, 1 record and report (default), 2 also stop the
 * run at the first finding (the run's result is then "reclaim check", exit status 1).
 *
 * <p>Site records are host state about the run (a report), not kernel state. Recording reads
 * kernel memory and the scheduler's frame list only: no virtual time, no scheduling point, no
 * store to emulated memory, so a run with the check at 1 is the same run as at 0.
 */
public final class ReclaimCheck {
    /** {@code debug.reclaim_check}. */
    public static final Tunable DEBUG_RECLAIM_CHECK = Tunable.integer("debug.reclaim_check", "1", 0, 2,
            "reclaim-context checker: 0 off, 1 report allocations that may sleep on the page-freeing path, 2 also fail the run at the first");

    /** The checker's tunables, in the order reports list them. */
    public static final List<Tunable> TUNABLES = List.of(DEBUG_RECLAIM_CHECK);

    /** A recorded site: the line the report prints after "pageout path may block: ". */
    public record Site(String chain, String detail, String thread, long timeNs) {
        /** The report line. */
        public String line() {
            return String.format(Locale.ROOT, "pageout path may block: %s %s (first: %s at %.6f s)", chain, detail, thread,
                    timeNs / 1e9);
        }
    }

    private final Kernel kernel;
    private final KernelMemory km;
    private final int mode;
    // Set once by attach() (configuration); null while the kernel has no machine.
    private Scheduler sched;
    private java.util.function.IntSupplier tid = () -> -1;
    // Distinct sites by chain, in first-seen order (deterministic: one thread runs at a time).
    private final Map<String, Site> sites = new LinkedHashMap<>();
    // (frames, op) pairs already recorded or already found to make a recorded chain; lookup only.
    private final Map<SeenKey, Boolean> seen = new java.util.HashMap<>();
    private Site failure;

    /** (boot only) A checker with the mode {@code debug.reclaim_check} of the kernel's environment. */
    public ReclaimCheck(Kernel kernel) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.mode = kernel.kenv().fetchInt(DEBUG_RECLAIM_CHECK);
    }

    /**
     * Arms the checker on the machine's scheduler, with {@code tid} the running kernel thread's id
     * or -1 outside any (the scheduler's traceTid). Kernel.attachMachine. (boot only)
     */
    public void attach(Scheduler scheduler, java.util.function.IntSupplier tid) {
        this.sched = scheduler;
        this.tid = tid;
    }

    /** {@code debug.reclaim_check}. */
    public int mode() { return mode; }

    /** The distinct sites found, in the order first found. */
    public List<Site> sites() { return List.copyOf(sites.values()); }

    /** With mode 2: the finding that stopped the run, or null. */
    public Site failure() { return failure; }

    /** The report block: the heading and one line per site; empty when the check is off. */
    public List<String> report() {
        List<String> out = new ArrayList<>();
        if (mode == 0) return out;
        out.add("--- reclaim check ---");
        if (sites.isEmpty()) out.add("no allocation that may sleep for memory on the pageout path");
        for (Site s : sites.values()) out.add(s.line());
        return out;
    }

    /**
     * True while the running thread is on the page-freeing path (see the class comment). False in
     * boot context and in interrupt context. Reads only.
     */
    public boolean onReclaimPath() {
        return reclaimFrames() != null;
    }

    /** The running thread's kernel frames (innermost first) if it is on the page-freeing path, else null. */
    private List<String> reclaimFrames() {
        if (sched == null || kernel.lwkt().bootContext() || tid.getAsInt() < 0) return null;
        long td = sched.curtd();
        List<String> frames = sched.frames();
        if (frames.contains("vm_pageout_flush") || frames.contains("swap_pager_putpages")) return frames;
        if (td == kernel.vmPageout().pagethread() || td == kernel.vmPageout().emergpager()) {
            return frames.contains("vm_pageout_thread(setup)") ? null : frames;
        }
        return td != 0 && "swapintr".equals(StructThread.td_comm(km, td)) ? frames : null;
    }

    // ---- hooks -------------------------------------------------------------------------------------

    /** kmem_slab_alloc({@code size}, {@code flags}), inside its own frame. */
    public void slab(long size, int flags) {
        org.dfemu.emulator.cpu.Cpu token = km.instrumentBegin();  // an instrument: no CPU time, no TLB use
        try {
            List<String> frames;
            if (mode == 0 || (flags & Malloc.M_WAITOK) == 0 || (frames = reclaimFrames()) == null) return;
            pages(frames, "kmem_slab_alloc(M_WAITOK)", size / org.dfemu.kernel.machine.Param.PAGE_SIZE, VmPage.VM_ALLOC_NORMAL);
        } finally {
            km.instrumentEnd(token);
        }
    }

    /** kmalloc({@code size}, type, {@code flags}). */
    public void kmalloc(long size, long type, int flags) {
        org.dfemu.emulator.cpu.Cpu token = km.instrumentBegin();  // an instrument: no CPU time, no TLB use
        try {
            List<String> frames;
            if (mode == 0 || (flags & Malloc.M_WAITOK) == 0 || (frames = reclaimFrames()) == null) return;
            String name = org.dfemu.kernel.sys.StructMallocType.shortdesc(km, type);
            record(frames, "kmalloc(" + name + ", M_WAITOK)", () -> String.format(Locale.ROOT, "of %d bytes may need a new slab", size));
        } finally {
            km.instrumentEnd(token);
        }
    }

    /** vm_wait(), inside its own frame. */
    public void vmWait() {
        org.dfemu.emulator.cpu.Cpu token = km.instrumentBegin();  // an instrument: no CPU time, no TLB use
        try {
            List<String> frames;
            if (mode == 0 || (frames = reclaimFrames()) == null) return;
            record(frames, "vm_wait", () -> {
                long vs = kernel.vmMeter().mygdVmstats();
                long fc = StructVmstats.v_free_count(km, vs) + StructVmstats.v_cache_count(km, vs);
                return String.format(Locale.ROOT, "sleeps for free pages: free+cache %d, v_free_min %d",
                        fc, StructVmstats.v_free_min(km, vs));
            });
        } finally {
            km.instrumentEnd(token);
        }
    }

    /** A vm_page_alloc at {@code site} with {@code pageReq}, whose failure leads into vm_wait. */
    public void pageAlloc(String site, int pageReq) {
        org.dfemu.emulator.cpu.Cpu token = km.instrumentBegin();  // an instrument: no CPU time, no TLB use
        try {
            List<String> frames;
            if (mode == 0 || (frames = reclaimFrames()) == null) return;
            if ((pageReq & VmPage.VM_ALLOC_INTERRUPT) != 0 && guaranteed(pageReq) >= 1) return;
            pages(frames, site, 1, pageReq);
        } finally {
            km.instrumentEnd(token);
        }
    }

    /** zalloc of zone {@code z}. */
    public void zalloc(long z) {
        org.dfemu.emulator.cpu.Cpu token = km.instrumentBegin();  // an instrument: no CPU time, no TLB use
        try {
            List<String> frames;
            if (mode == 0 || (org.dfemu.kernel.vm.StructVmZone.zflags(km, z) & org.dfemu.kernel.vm.StructVmZone.ZONE_INTERRUPT) != 0
                    || (frames = reclaimFrames()) == null) return;
            pages(frames, "zalloc(" + kernel.vmZone().zname(z) + ")", org.dfemu.kernel.vm.StructVmZone.zalloc(km, z),
                    org.dfemu.kernel.vm.StructVmZone.zallocflag(km, z));
        } finally {
            km.instrumentEnd(token);
        }
    }

    /** vm_map_entry_reserve({@code count}). */
    public void mapEntryReserve(int count) {
        org.dfemu.emulator.cpu.Cpu token = km.instrumentBegin();  // an instrument: no CPU time, no TLB use
        try {
            List<String> frames;
            if (mode == 0 || (frames = reclaimFrames()) == null) return;
            record(frames, "vm_map_entry_reserve(" + count + ")", () -> "may zalloc(MAP ENTRY) and sleep in it");
        } finally {
            km.instrumentEnd(token);
        }
    }

    // ---- recording ---------------------------------------------------------------------------------

    private void pages(List<String> frames, String op, long need, int pageReq) {
        record(frames, op, () -> String.format(Locale.ROOT, "needs %d page%s, the %s class is guaranteed %d", need,
                need == 1 ? "" : "s", className(pageReq), guaranteed(pageReq)));
    }

    private boolean systhread() {
        return (StructThread.td_flags(km, kernel.lwkt().curthread()) & StructThread.TDF_SYSTHREAD) != 0;
    }

    private String className(int pageReq) {
        if ((pageReq & VmPage.VM_ALLOC_INTERRUPT) != 0) return "INTERRUPT";
        if ((pageReq & VmPage.VM_ALLOC_SYSTEM) != 0 || systhread()) return "SYSTEM";
        return "NORMAL";
    }

    /** The pages vm_page_alloc would admit for {@code pageReq}'s class now (see the class comment). */
    private long guaranteed(int pageReq) {
        long vs = kernel.vmMeter().mygdVmstats();
        long free = StructVmstats.v_free_count(km, vs);
        long cache = StructVmstats.v_cache_count(km, vs);
        long normal = Math.max(0, free - StructVmstats.v_free_reserved(km, vs))
                + ((pageReq & VmPage.VM_ALLOC_NORMAL) != 0 ? cache : 0);
        if ((pageReq & VmPage.VM_ALLOC_INTERRUPT) != 0) return free;
        if ((pageReq & VmPage.VM_ALLOC_SYSTEM) != 0 || systhread()) {
            long system = cache == 0 ? Math.max(0, free - StructVmstats.v_interrupt_free_min(km, vs)) : 0;
            return Math.max(normal, system);
        }
        return normal;
    }

    /**
     * Records the site: the running thread's kernel frames ({@code frames}, innermost first)
     * outermost first, the innermost replaced by {@code op} when it is the same function (the hook
     * runs inside the op's own frame). A (frames, op) pair seen before costs one hash lookup: a
     * loop that passes one site again and again (a retry without a scheduling point) builds no
     * chain and formats no detail.
     */
    private void record(List<String> frames, String op, java.util.function.Supplier<String> detail) {
        if (seen.putIfAbsent(new SeenKey(frames, op), Boolean.TRUE) != null) return;
        StringBuilder chain = new StringBuilder();
        String opFn = op.indexOf('(') < 0 ? op : op.substring(0, op.indexOf('('));
        int inner = !frames.isEmpty() && frames.getFirst().equals(opFn) ? 1 : 0;
        for (int i = frames.size() - 1; i >= inner; i--) chain.append(frames.get(i)).append(" -> ");
        chain.append(op);
        String key = chain.toString();
        if (sites.containsKey(key)) return;
        long td = kernel.lwkt().curthread();
        Site s = new Site(key, detail.get(), StructThread.td_comm(km, td), sched.now());
        sites.put(key, s);
        if (mode == 2 && failure == null) {
            failure = s;
            sched.requestStop("reclaim check: " + s.line());
        }
    }

    /** A hook's frames and op, as passed to {@link #record}; two can make the same chain. */
    private record SeenKey(List<String> frames, String op) {}
}
