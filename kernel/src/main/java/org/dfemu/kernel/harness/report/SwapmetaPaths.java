package org.dfemu.kernel.harness.report;

import org.dfemu.emulator.cpu.Cpu;
import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.Malloc;
import org.dfemu.kernel.sys.Sysctl;
import org.dfemu.kernel.sys.StructVmstats;
import org.dfemu.kernel.vm.StructVmZone;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.dfemu.kernel.Ctypes.C_LONG;

/**
 * (dfemu only: DragonFly has no such file) The SWAPMETA path counters: how often a run reached
 * each mechanism the SWAPMETA question (docs/the-question.md) turns on, counted by one-line hooks
 * in the ported code and kept as kernel globals in the data segment, readable as the sysctls
 * {@code debug.swapmeta.NAME}. docs/swapmeta-paths.md defines each counter, with the C function
 * whose Java form calls the hook.
 *
 * <p>Instrument only: a hook reads kernel memory and adds to its own counter; it takes no lock,
 * charges no virtual time, is no scheduling point and allocates nothing in emulated memory, so a
 * run is the same run with the counters as without. Each increment is also a trace event
 * ({@code vm_swapmeta_path}: counter index, value after, free count).
 *
 * <p>"free+cache" below is the running cpu's copy ({@code mycpu->gd_vmstats}), the copy
 * vm_page_alloc() admits against.
 */
public final class SwapmetaPaths {
    /** The counters' names, in index order (also the order of the sysctls, the report and the JSON). */
    public static final List<String> NAMES = List.of(
            "zalloc_prefill_items", "zget_calls", "zget_low_pages", "zget_interrupt_pages", "zfreemin_handouts",
            "zget_failures", "reserve_takes", "reserve_refills", "reserve_refill_failures", "blocking_slab_allocs",
            "pageout_vm_waits", "map_entry_reserve_waits", "kernel_map_lock_waits", "kva_failures",
            "ptp_allocs_in_pageout", "pv_low_allocs", "nowait_slab_allocs", "nowait_slab_failures",
            "pageout_meta_deferrals");

    /** zinitna(SWAPMETA): items its populate step (one zget) made: the zone's ztotal when zinitna returns. */
    public static final int ZALLOC_PREFILL_ITEMS = 0;
    /** zget() calls for the SWAPMETA zone, zinitna's populate call included. */
    public static final int ZGET_CALLS = 1;
    /** Pages zget() took for SWAPMETA while free+cache was below v_free_reserved (only SYSTEM/INTERRUPT could). */
    public static final int ZGET_LOW_PAGES = 2;
    /** Pages zget() took for SWAPMETA while free+cache was at or below v_interrupt_free_min (only INTERRUPT could). */
    public static final int ZGET_INTERRUPT_PAGES = 3;
    /** zget() for SWAPMETA got no page and handed out an item of the pool's zfreemin reserve instead. */
    public static final int ZFREEMIN_HANDOUTS = 4;
    /** zget() for SWAPMETA returned no item (zalloc returns NULL; swp_pager_meta_build then vm_waits). */
    public static final int ZGET_FAILURES = 5;
    /** _kmalloc_obj() rotated a ready slab (ggm->full) into a KSF_OBJRESERVE zone (the reserve variant). */
    public static final int RESERVE_TAKES = 6;
    /** Slabs kmalloc_obj_reserve_fill built on a non-blocking refill from _kmalloc_obj() (not the swap-init build). */
    public static final int RESERVE_REFILLS = 7;
    /** Non-blocking refills that stopped because kmem_slab_alloc(M_INTNOWAIT) returned NULL. */
    public static final int RESERVE_REFILL_FAILURES = 8;
    /** _kmalloc_obj(SWAPMETA) found no slab anywhere and called kmem_slab_alloc(M_WAITOK). */
    public static final int BLOCKING_SLAB_ALLOCS = 9;
    /** vm_wait() entered on the page-freeing path (ReclaimCheck#onReclaimPath), whatever the cause. */
    public static final int PAGEOUT_VM_WAITS = 10;
    /** vm_map_entry_reserve() found the cpu's reserve short and zalloc'ed MAP ENTRY items (may block). */
    public static final int MAP_ENTRY_RESERVE_WAITS = 11;
    /** vm_map_lock(kernel_map) found the lock held by another thread: the caller sleeps. */
    public static final int KERNEL_MAP_LOCK_WAITS = 12;
    /** vm_map_findspace() in kernel_map failed in kmem_slab_alloc() or kmem_alloc3(): no KVA. */
    public static final int KVA_FAILURES = 13;
    /** pmap_allocpte() allocated a page-table page on the page-freeing path. */
    public static final int PTP_ALLOCS_IN_PAGEOUT = 14;
    /** pv_alloc() took a pv_entry from zalloc(PV ENTRY) while free+cache was below v_free_reserved. */
    public static final int PV_LOW_ALLOCS = 15;
    /** _kmalloc_obj(SWAPMETA) built a new slab with its caller's non-blocking flags (M_NOSLABWAIT). */
    public static final int NOWAIT_SLAB_ALLOCS = 16;
    /** _kmalloc_obj(SWAPMETA) got NULL from that non-blocking kmem_slab_alloc and returned NULL. */
    public static final int NOWAIT_SLAB_FAILURES = 17;
    /** Pages swap_pager_putpages left dirty (VM_PAGER_AGAIN) because swp_pager_meta_build failed softly. */
    public static final int PAGEOUT_META_DEFERRALS = 18;

    private static final StructLayout GLOBALS;
    static {
        MemoryLayout[] fields = new MemoryLayout[NAMES.size() + 1];
        fields[0] = C_LONG.withName("swapmeta_zone");
        for (int i = 0; i < NAMES.size(); i++) fields[i + 1] = C_LONG.withName(NAMES.get(i));
        GLOBALS = MemoryLayout.structLayout(fields).withName("swapmeta_paths");
    }
    private static final long ZONE = Ctypes.offset(GLOBALS, "swapmeta_zone");
    private static final long COUNTERS = Ctypes.offset(GLOBALS, NAMES.getFirst());

    private final Kernel kernel;
    private final KernelMemory km;
    private final long globals;

    /** (boot only) Lays out the counters and registers their sysctls. */
    public SwapmetaPaths(Kernel kernel, DataSegment data, Sysctl sysctl) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.globals = data.alloc("swapmeta_paths", GLOBALS);
        for (int i = 0; i < NAMES.size(); i++) {
            sysctl.sysctlLong("debug.swapmeta." + NAMES.get(i), counter(i), "SWAPMETA path counter (docs/swapmeta-paths.md)");
        }
    }

    private long counter(int i) { return globals + COUNTERS + 8L * i; }

    /** Counter {@code i}'s value, read as an instrument (no CPU time). No requirements. */
    public long get(int i) {
        long[] v = new long[1];
        instrument(() -> v[0] = km.load64(counter(i)));
        return v[0];
    }

    /** Every counter by name, in {@link #NAMES} order. No requirements. */
    public Map<String, Long> values() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < NAMES.size(); i++) m.put(NAMES.get(i), get(i));
        return m;
    }

    /** The shutdown block: the heading, then {@code name value} per counter. */
    public List<String> report() {
        List<String> out = new ArrayList<>();
        out.add("--- swapmeta paths ---");
        for (int i = 0; i < NAMES.size(); i++) {
            out.add(String.format(Locale.ROOT, "%-34s %10d", NAMES.get(i), get(i)));
        }
        return out;
    }

    /** Adds one to counter {@code i} (a trace event too). Only from inside {@link #instrument}. */
    private void inc(int i) { add(i, 1); }

    /** Adds {@code n} to counter {@code i} (a trace event too). Only from inside {@link #instrument}. */
    private void add(int i, long n) {
        long v = km.load64(counter(i)) + n;
        km.store64(counter(i), v);
        kernel.trace().swapmetaPath(i, v);
    }

    private boolean swapmeta(long z) { return z != 0 && z == km.load64(globals + ZONE); }

    private long freeCache() {
        long vs = kernel.vmMeter().mygdVmstats();
        return StructVmstats.v_free_count(km, vs) + StructVmstats.v_cache_count(km, vs);
    }

    private long reserved() { return StructVmstats.v_free_reserved(km, kernel.vmMeter().mygdVmstats()); }

    /**
     * Runs one hook's body as an instrument (KernelMemory#instrumentBegin/End): every read of
     * kernel memory it makes and every counter it adds to bypass the running CPU, so a hook
     * charges no virtual time, uses no TLB entry and sets no A/D bit. Every hook goes through
     * here. Never blocks.
     */
    private void instrument(Runnable body) {
        Cpu token = km.instrumentBegin();
        try {
            body.run();
        } finally {
            km.instrumentEnd(token);
        }
    }

    // ---- hooks (one call each in the ported code) ------------------------------------------------

    /** zinitna(), once the zone has its name: remembers the SWAPMETA zone. */
    public void zinitna(long z) {
        instrument(() -> {
            if ("SWAPMETA".equals(kernel.vmZone().zname(z))) km.store64(globals + ZONE, z);
        });
    }

    /** zinitna(), after its populate step: the items made. */
    public void zinitnaPopulated(long z) {
        instrument(() -> {
            if (swapmeta(z)) add(ZALLOC_PREFILL_ITEMS, StructVmZone.ztotal(km, z));
        });
    }

    /** zget() entered for zone {@code z}. */
    public void zget(long z) {
        instrument(() -> {
            if (swapmeta(z)) inc(ZGET_CALLS);
        });
    }

    /** zget() for zone {@code z} got page {@code m} (0: none) from vm_page_alloc; free+cache before = after + 1. */
    public void zgetPage(long z, long m) {
        instrument(() -> {
            if (m == 0 || !swapmeta(z)) return;
            long before = freeCache() + 1;
            long vs = kernel.vmMeter().mygdVmstats();
            if (before < StructVmstats.v_free_reserved(km, vs)) inc(ZGET_LOW_PAGES);
            if (before <= StructVmstats.v_interrupt_free_min(km, vs)) inc(ZGET_INTERRUPT_PAGES);
        });
    }

    /** zget() for zone {@code z} made no items and took one from the pool below zfreemin. */
    public void zfreeminHandout(long z) {
        instrument(() -> {
            if (swapmeta(z)) inc(ZFREEMIN_HANDOUTS);
        });
    }

    /** zget() for zone {@code z} returns {@code item}. */
    public void zgetDone(long z, long item) {
        instrument(() -> {
            if (item == 0 && swapmeta(z)) inc(ZGET_FAILURES);
        });
    }

    /** _kmalloc_obj() took a ready slab of a KSF_OBJRESERVE zone. */
    public void reserveTake() {
        instrument(() -> inc(RESERVE_TAKES));
    }

    /**
     * kmalloc_obj_reserve_fill with {@code flags}: kmem_slab_alloc returned {@code slab}. Only
     * the non-blocking refill counts; the M_WAITOK build at swap init does not.
     */
    public void reserveRefill(int flags, long slab) {
        instrument(() -> {
            if ((flags & Malloc.M_WAITOK) == 0) inc(slab != 0 ? RESERVE_REFILLS : RESERVE_REFILL_FAILURES);
        });
    }

    /** _kmalloc_obj() of {@code type} is about to call kmem_slab_alloc(M_WAITOK) for a new slab. */
    public void blockingSlabAlloc(long type) {
        instrument(() -> {
            if (type == kernel.swapPager().swapmetaType()) inc(BLOCKING_SLAB_ALLOCS);
        });
    }

    /**
     * _kmalloc_obj() of {@code type} called kmem_slab_alloc with its caller's non-blocking flags
     * (M_NOSLABWAIT) and got {@code slab} (0: none, _kmalloc_obj returns NULL).
     */
    public void nowaitSlabAlloc(long type, long slab) {
        org.dfemu.emulator.cpu.Cpu token = km.instrumentBegin();  // an instrument: no CPU time, no TLB use
        try {
            if (type == kernel.swapPager().swapmetaType()) inc(slab != 0 ? NOWAIT_SLAB_ALLOCS : NOWAIT_SLAB_FAILURES);
        } finally {
            km.instrumentEnd(token);
        }
    }

    /** swap_pager_putpages() left {@code npages} pages dirty: swp_pager_meta_build failed softly. */
    public void pageoutMetaDeferrals(int npages) {
        org.dfemu.emulator.cpu.Cpu token = km.instrumentBegin();  // an instrument: no CPU time, no TLB use
        try {
            for (int i = 0; i < npages; i++) inc(PAGEOUT_META_DEFERRALS);
        } finally {
            km.instrumentEnd(token);
        }
    }

    /** vm_wait() entered. */
    public void vmWait() {
        instrument(() -> {
            if (kernel.reclaimCheck().onReclaimPath()) inc(PAGEOUT_VM_WAITS);
        });
    }

    /** vm_map_entry_reserve() must top the cpu's reserve up from the MAP ENTRY zone. */
    public void mapEntryReserveShort() {
        instrument(() -> inc(MAP_ENTRY_RESERVE_WAITS));
    }

    /** vm_map_lock({@code map}) about to take the lock whose word is {@code held} (nonzero: held). */
    public void mapLock(long map, boolean held) {
        instrument(() -> {
            if (held && map == kernel.vmMap().kernelMap()) inc(KERNEL_MAP_LOCK_WAITS);
        });
    }

    /** vm_map_findspace() in kernel_map failed in kmem_slab_alloc or kmem_alloc3 ({@code map}). */
    public void kvaFailure(long map) {
        instrument(() -> {
            if (map == kernel.vmMap().kernelMap()) inc(KVA_FAILURES);
        });
    }

    /** pmap_allocpte() got a page-table page. */
    public void ptpAlloc() {
        instrument(() -> {
            if (kernel.reclaimCheck().onReclaimPath()) inc(PTP_ALLOCS_IN_PAGEOUT);
        });
    }

    /** pv_alloc() got {@code pv} from zalloc(PV ENTRY). */
    public void pvAlloc(long pv) {
        instrument(() -> {
            if (pv != 0 && freeCache() < reserved()) inc(PV_LOW_ALLOCS);
        });
    }
}
