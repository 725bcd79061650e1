package org.dfemu.kernel.vm;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.harness.trace.KernelEvents;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.kern.Lwkt;
import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.sys.Queue;
import org.dfemu.kernel.sys.StructGlobaldata;
import org.dfemu.kernel.sys.Sysctl;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.List;

import static org.dfemu.kernel.Ctypes.C_LONG;
import static org.dfemu.kernel.Ctypes.C_POINTER;
import static org.dfemu.kernel.machine.Param.PAGE_SIZE;
import static org.dfemu.kernel.vm.StructVmZone.ZONE_BOOT;
import static org.dfemu.kernel.vm.StructVmZone.ZONE_DESTROYABLE;
import static org.dfemu.kernel.vm.StructVmZone.ZONE_INTERRUPT;
import static org.dfemu.kernel.vm.StructVmZone.ZONE_MAXPGLOAD;
import static org.dfemu.kernel.vm.StructVmZone.ZONE_PANICFAIL;
import static org.dfemu.kernel.vm.StructVmZone.ZONE_SPECIAL;

/**
 * vm_zone.c: DragonFly BSD sys/vm/vm_zone.c at commit 737b020b54 (2021-05-28), the zone
 * allocator (zalloc): fixed-size, type-stable items carved from pages that are never given back
 * to the VM.
 *
 * <p>Vocabulary. A <em>zone</em> ({@link StructVmZone}) hands out items of {@code zsize} bytes
 * (the requested size rounded up to 32). Free items are chained through their first word; under
 * INVARIANTS their second word holds {@link #ZENTRY_FREE}. Only those two words of an item change
 * while it is free, so any data after them survives a free/alloc cycle (type stability).
 *
 * <p>Where items live:
 * <pre>
 *   zpcpu[cpu].zitems --> item --> item --> ...   per-cpu cache (own cpu, critical section)
 *   z->zitems         --> item --> item --> ...   global pool (zspin)
 *   pages                                          never freed (except zdestroy, not ported)
 * </pre>
 * Flow: {@code zget} (pages -> global pool) -> {@code zalloc} (global pool -> per-cpu cache in
 * bursts of zone_burst, while the pool holds more than zfreemin) -> caller -> {@code zfree}
 * (-> per-cpu cache; past zmax_pcpu (at least 1024) half of that, at most zone_burst, go back to
 * the pool).
 *
 * <p>Getting pages (zget), by zone type:
 * <ol>
 * <li>ZONE_INTERRUPT (PV ENTRY, SWAPMETA): the KVA was reserved at zinitna() with
 *     kmem_alloc_pageable (so its kernel page tables exist); zget takes up to zalloc (32) pages
 *     with vm_page_alloc(NULL, ...), the first 4 with zallocflag (SYSTEM|INTERRUPT|NORMAL, so the
 *     last free page qualifies), the rest with NORMAL|SYSTEM, stops at the first failure, clamps
 *     to zpagemax, and maps them with pmap_kenter. It never sleeps, never locks kernel_map, never
 *     needs a map entry or a page-table page. It fails only with no free page or with the reserved
 *     KVA used up.</li>
 * <li>ZONE_SPECIAL (MAP ENTRY): kmem_alloc3(KM_KRESERVE), which draws on the per-cpu map-entry
 *     reserve to avoid recursing into this zone; new items first top up gd_vme_base.</li>
 * <li>other zones: kmem_alloc3(0), which blocks in vm_wait; refills are serialised by zgetlk
 *     (LK_SLEEPFAIL: a thread that had to wait retries from the top).</li>
 * </ol>
 *
 * <p>PORT: this is the May 2021 logic (zone_burst 128, refills always take the spin lock, a
 * per-cpu hit returns at once), not the Dec 2025 rewrite. zinit() allocates the zone header
 * with kmem_alloc (the C uses kmalloc(M_ZONE, M_NOWAIT), not yet ported); ZONE_DESTROYABLE and
 * zdestroy() are not ported (they need krealloc). zinitna()/zbootinit() print one console line
 * per zone (DragonFly prints nothing), so the boot log shows what was set up.
 *
 * <p>Globals (in the data segment): {@code LIST_HEAD(zlist, vm_zone) zlist; long zone_burst;
 * vm_pindex_t zone_kmem_pages, zone_kern_pages; long zone_kmem_kvaspace;}.
 */
public final class VmZone {
    /** The INVARIANTS marker in a free item's second word. */
    public static final long ZENTRY_FREE = 0x12342378L;
    /** zsize is rounded up to this. */
    public static final int ZONE_ROUNDING = 32;

    private static final StructLayout GLOBALS = MemoryLayout.structLayout(
            C_POINTER.withName("zlist"),
            C_LONG.withName("zone_burst"),
            C_LONG.withName("zone_kmem_pages"),
            C_LONG.withName("zone_kern_pages"),
            C_LONG.withName("zone_kmem_kvaspace")).withName("vm_zone_globals");
    private static final long ZLIST = Ctypes.offset(GLOBALS, "zlist");
    private static final long ZONE_BURST = Ctypes.offset(GLOBALS, "zone_burst");
    private static final long ZONE_KMEM_PAGES = Ctypes.offset(GLOBALS, "zone_kmem_pages");
    private static final long ZONE_KERN_PAGES = Ctypes.offset(GLOBALS, "zone_kern_pages");
    private static final long ZONE_KMEM_KVASPACE = Ctypes.offset(GLOBALS, "zone_kmem_kvaspace");

    private static final int ZONE_ERROR_INVALID = 0;
    private static final int ZONE_ERROR_NOTFREE = 1;
    private static final int ZONE_ERROR_ALREADYFREE = 2;

    private final Kernel kernel;
    private final KernelMemory km;
    private final Lwkt lwkt;
    private final long globals;
    private final boolean invariants;
    private final Queue.List zlist;

    /** (boot only) Lays out vm_zone.c's globals and registers its sysctls. */
    public VmZone(Kernel kernel, DataSegment data, Sysctl sysctl) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.lwkt = kernel.lwkt();
        this.globals = data.alloc(GLOBALS);
        this.invariants = kernel.invariants();
        this.zlist = new Queue.List(km, StructVmZone.zlink$OFFSET, invariants);
        km.store64(globals + ZONE_BURST, 128);
        sysctl.sysctlLong("vm.zone_kmem_pages", globals + ZONE_KMEM_PAGES,
                "Number of interrupt safe pages allocated by zone");
        sysctl.sysctlLong("vm.zone_burst", globals + ZONE_BURST, "Burst from depot to pcpu cache");
        sysctl.sysctlLong("vm.zone_kmem_kvaspace", globals + ZONE_KMEM_KVASPACE, "KVA space allocated by zone");
        sysctl.sysctlLong("vm.zone_kern_pages", globals + ZONE_KERN_PAGES,
                "Number of non-interrupt safe pages allocated by zone");
    }

    private long zoneBurst() { return km.load64(globals + ZONE_BURST); }

    // Free-item words: [0] the free-list link, [1] ZENTRY_FREE under INVARIANTS.
    private long next(long item) { return km.load64(item); }
    private void next(long item, long v) { km.store64(item, v); }
    private long marker(long item) { return km.load64(item + 8); }
    private void marker(long item, long v) { km.store64(item + 8, v); }

    /**
     * zalloc(): an item from zone z, or 0. The per-cpu cache first; then, under zspin, a burst of
     * up to zone_burst items from the global pool while it holds more than zfreemin; then zget().
     * ZONE_PANICFAIL turns a 0 result into a panic. Never blocks for ZONE_INTERRUPT zones; other
     * zones may block in zget (vm_wait, zgetlk, kernel_map lock). No requirements.
     */
    public long zalloc(long z) {
        if (invariants && z == 0) {
            zerror(ZONE_ERROR_INVALID);
        }
        long traceT0 = kernel.trace().start(KernelEvents.ALLOC_ZALLOC);
        kernel.reclaimCheck().zalloc(z);    // dfemu: reclaim-context checker
        int cpu = lwkt.mycpuid();
        long zpcpu = StructVmZone.zpcpu(z, cpu);
        long spin = StructVmZone.zspin(z);
        long item;
        // dfemu: an injected failure skips the caches and fails as zget() would (FailAlloc).
        boolean inject = kernel.failAlloc().zalloc(z);
        for (;;) {
            // Avoid spinlock contention by allocating from the per-cpu queue.
            if (!inject && StructVmZpcpu.zfreecnt(km, zpcpu) > 0) {
                lwkt.critEnter();
                if (StructVmZpcpu.zfreecnt(km, zpcpu) > 0) {
                    item = StructVmZpcpu.zitems(km, zpcpu);
                    if (invariants) {
                        Kassert.kassert(item != 0, () -> "zitems_pcpu unexpectedly NULL");
                        if (marker(item) != ZENTRY_FREE) {
                            zerror(ZONE_ERROR_NOTFREE);
                        }
                        marker(item, 0);
                    }
                    StructVmZpcpu.zitems(km, zpcpu, next(item));
                    StructVmZpcpu.zfreecnt(km, zpcpu, StructVmZpcpu.zfreecnt(km, zpcpu) - 1);
                    StructVmZpcpu.znalloc(km, zpcpu, StructVmZpcpu.znalloc(km, zpcpu) + 1);
                    lwkt.critExit();
                    kernel.trace().zalloc(z, item, traceT0);
                    return item;
                }
                lwkt.critExit();
            }

            // Per-zone spinlock for the remainder; always load at least one item.
            lwkt.spinLock(spin);
            if (!inject && StructVmZone.zfreecnt(km, z) > StructVmZone.zfreemin(km, z)) {
                long n = zoneBurst();
                do {
                    item = StructVmZone.zitems(km, z);
                    if (invariants) {
                        Kassert.kassert(item != 0, () -> "zitems unexpectedly NULL");
                        if (marker(item) != ZENTRY_FREE) {
                            zerror(ZONE_ERROR_NOTFREE);
                        }
                    }
                    StructVmZone.zitems(km, z, next(item));
                    StructVmZone.zfreecnt(km, z, StructVmZone.zfreecnt(km, z) - 1);
                    next(item, StructVmZpcpu.zitems(km, zpcpu));
                    StructVmZpcpu.zitems(km, zpcpu, item);
                    StructVmZpcpu.zfreecnt(km, zpcpu, StructVmZpcpu.zfreecnt(km, zpcpu) + 1);
                } while (--n > 0 && StructVmZone.zfreecnt(km, z) > StructVmZone.zfreemin(km, z));
                lwkt.spinUnlock(spin);
                continue;
            }
            lwkt.spinUnlock(spin);
            boolean[] tryagain = new boolean[1];
            item = inject ? 0 : zget(z, tryagain);
            if (tryagain[0]) {
                continue;
            }
            // PANICFAIL lets the caller assume zalloc() always succeeds.
            if (item == 0 && (StructVmZone.zflags(km, z) & ZONE_PANICFAIL) != 0) {
                throw Kassert.panic("zalloc(%s) failed", zname(z));
            }
            kernel.trace().zalloc(z, item, traceT0);
            return item;
        }
    }

    /**
     * zfree(): returns item to zone z, onto the per-cpu cache; once that reaches zmax_pcpu (at
     * least 1024) items, half of that (at most zone_burst) move to the global pool under zspin.
     * Pages are never given back to the VM. Under INVARIANTS a double free panics ("zone: freeing
     * free entry"). Never blocks.
     */
    public void zfree(long z, long item) {
        int cpu = lwkt.mycpuid();
        long zpcpu = StructVmZone.zpcpu(z, cpu);
        long zmax = StructVmZone.zmax_pcpu(km, z);
        if (zmax < 1024) {
            zmax = 1024;
        }

        lwkt.critEnter();
        next(item, StructVmZpcpu.zitems(km, zpcpu));
        if (invariants) {
            if (marker(item) == ZENTRY_FREE) {
                lwkt.critExit();
                zerror(ZONE_ERROR_ALREADYFREE);
            }
            marker(item, ZENTRY_FREE);
        }
        StructVmZpcpu.zitems(km, zpcpu, item);
        StructVmZpcpu.zfreecnt(km, zpcpu, StructVmZpcpu.zfreecnt(km, zpcpu) + 1);
        if (StructVmZpcpu.zfreecnt(km, zpcpu) < zmax) {
            lwkt.critExit();
            return;
        }

        // Hysteresis: move (zmax / 2, at most zone_burst) items to the pool.
        zmax = zmax / 2;
        if (zmax > zoneBurst()) {
            zmax = zoneBurst();
        }
        long tailItem = item;
        long count = 1;
        while (count < zmax) {
            tailItem = next(tailItem);
            ++count;
        }
        StructVmZpcpu.zitems(km, zpcpu, next(tailItem));
        StructVmZpcpu.zfreecnt(km, zpcpu, StructVmZpcpu.zfreecnt(km, zpcpu) - count);

        long spin = StructVmZone.zspin(z);
        lwkt.spinLock(spin);
        next(tailItem, StructVmZone.zitems(km, z));
        StructVmZone.zitems(km, z, item);
        StructVmZone.zfreecnt(km, z, StructVmZone.zfreecnt(km, z) + count);
        lwkt.spinUnlock(spin);
        lwkt.critExit();
    }

    /** LIST_INSERT_HEAD(&zlist, z, zlink). vm_token is not modelled (see Lwkt). */
    private void zlistInsertHead(long z) {
        zlist.listInsertHead(globals + ZLIST, z);
    }

    /** LIST_REMOVE(z, zlink). */
    private void zlistRemove(long z) {
        zlist.listRemove(z);
    }

    /**
     * zinitna(): sets up zone z (already zbootinit'ed, or zeroed) for items of {@code size} bytes.
     * For ZONE_INTERRUPT, reserves round_page(zsize * nentries) of KVA with kmem_alloc_pageable
     * (returning false, with the zone unlisted, if kernel_map has none), sets zpagemax, zallocflag
     * SYSTEM|INTERRUPT|NORMAL|RETRY, zmax += nentries, zmax_pcpu = zmax/ncpus/64 clamped to
     * [1024, 16 MiB/zsize], and populates the zone with one zget() batch; other zones get
     * zallocflag NORMAL|SYSTEM and zmax_pcpu 8192. A zbootinit'ed zone keeps its name and size
     * ({@code nameKva} and {@code size} are then ignored). Returns true on success.
     * May block (kernel_map lock) but not for memory.
     */
    public boolean zinitna(long z, long nameKva, long size, long nentries, int flags) {
        if ((StructVmZone.zflags(km, z) & ZONE_DESTROYABLE) != 0) {
            throw Kassert.panic("zinitna: can't create destroyable zone");
        }
        if ((StructVmZone.zflags(km, z) & ZONE_BOOT) == 0) {
            StructVmZone.zsize(km, z, (size + ZONE_ROUNDING - 1) & -ZONE_ROUNDING);
            lwkt.spinInit(StructVmZone.zspin(z));
            lwkt.lockinit(StructVmZone.zgetlk(z));
            StructVmZone.zfreecnt(km, z, 0);
            StructVmZone.ztotal(km, z, 0);
            StructVmZone.zmax(km, z, 0);
            StructVmZone.zname(km, z, nameKva);
            StructVmZone.zitems(km, z, 0);
            zlistInsertHead(z);
            km.bzero(StructVmZone.zpcpu(z, 0), (long) Param.SMP_MAXCPU * StructVmZpcpu.SIZEOF);
        }
        StructVmZone.zkmvec(km, z, 0);
        StructVmZone.zkmcur(km, z, 0);
        StructVmZone.zkmmax(km, z, 0);
        StructVmZone.zflags(km, z, StructVmZone.zflags(km, z) | flags);
        kernel.swapmetaPaths().zinitna(z);    // dfemu: SWAPMETA path counters

        long zsize = StructVmZone.zsize(km, z);
        if ((StructVmZone.zflags(km, z) & ZONE_INTERRUPT) != 0) {
            // Reserve the KVA now: no kernel_map work (or vm_map_entry recursion) at zalloc time.
            long totsize = Param.roundPage(zsize * nentries);
            km.fetchAdd64(globals + ZONE_KMEM_KVASPACE, totsize);
            long zkva = kernel.vmKern().kmemAllocPageable(kernel.vmMap().kernelMap(), totsize,
                    StructVmMapEntry.VM_SUBSYS_ZALLOC);
            StructVmZone.zkva(km, z, zkva);
            if (zkva == 0) {
                zlistRemove(z);
                return false;
            }
            StructVmZone.zpagemax(km, z, totsize / PAGE_SIZE);
            StructVmZone.zallocflag(km, z, VmPage.VM_ALLOC_SYSTEM | VmPage.VM_ALLOC_INTERRUPT
                    | VmPage.VM_ALLOC_NORMAL | VmPage.VM_ALLOC_RETRY);
            StructVmZone.zmax(km, z, StructVmZone.zmax(km, z) + nentries);
            // Reasonable per-cpu cache bounds (pvzone could otherwise waste memory).
            long zmaxPcpu = StructVmZone.zmax(km, z) / kernel.config().ncpus() / 64;
            if (zmaxPcpu < 1024) {
                zmaxPcpu = 1024;
            }
            if (zmaxPcpu * zsize > 16 * 1024 * 1024) {
                zmaxPcpu = 16 * 1024 * 1024 / zsize;
            }
            StructVmZone.zmax_pcpu(km, z, zmaxPcpu);
        } else {
            StructVmZone.zallocflag(km, z, VmPage.VM_ALLOC_NORMAL | VmPage.VM_ALLOC_SYSTEM);
            StructVmZone.zmax(km, z, 0);
            StructVmZone.zmax_pcpu(km, z, 8192);
        }
        StructVmZone.zfreemin(km, z, zsize > PAGE_SIZE ? 1 : PAGE_SIZE / zsize);
        StructVmZone.zpagecount(km, z, 0);
        // Reduce kernel_map spam by allocating in chunks.
        StructVmZone.zalloc(km, z, ZONE_MAXPGLOAD);

        // Populate an interrupt zone now rather than on first allocation.
        if ((StructVmZone.zflags(km, z) & ZONE_INTERRUPT) != 0) {
            long buf = zget(z, null);
            if (buf != 0) {
                zfree(z, buf);
            }
            kernel.swapmetaPaths().zinitnaPopulated(z);    // dfemu: SWAPMETA path counters
        }
        kernel.trace().zoneName(z);
        kernel.kprintf(String.format("zone %s: %d-byte items, %s", zname(z), zsize,
                (StructVmZone.zflags(km, z) & ZONE_INTERRUPT) != 0
                        ? String.format("ZONE_INTERRUPT, %d entries, %d pages of KVA reserved, %d items ready",
                                StructVmZone.zmax(km, z), StructVmZone.zpagemax(km, z), StructVmZone.zfreecnt(km, z)
                                        + StructVmZpcpu.zfreecnt(km, StructVmZone.zpcpu(z, lwkt.mycpuid())))
                        : String.format("flags 0x%x", StructVmZone.zflags(km, z))));
        return true;
    }

    /**
     * zinit(): allocates a zone header and initialises it with zinitna(); returns the zone or 0
     * (no memory or no KVA). The name is copied next to the header.
     *
     * <p>PORT: the header comes from kmem_alloc (the C: kmalloc(M_ZONE, M_NOWAIT)); ZONE_DESTROYABLE
     * is refused with a panic (zdestroy needs krealloc, not ported). May block in kmem_alloc.
     */
    public long zinit(String name, long size, long nentries, int flags) {
        if ((flags & ZONE_DESTROYABLE) != 0) {
            throw Kassert.panic("zinit(%s): ZONE_DESTROYABLE zones are not ported", name);
        }
        long hdr = Param.roundPage(StructVmZone.SIZEOF + name.length() + 1);
        long z = kernel.vmKern().kmemAlloc(kernel.vmMap().kernelMap(), hdr, StructVmMapEntry.VM_SUBSYS_ZALLOC);
        if (z == 0) {
            return 0;
        }
        long nameKva = z + StructVmZone.SIZEOF;
        km.storeString(nameKva, name, name.length() + 1);
        StructVmZone.zflags(km, z, 0);
        if (!zinitna(z, nameKva, size, nentries, flags)) {
            kernel.vmKern().kmemFree(kernel.vmMap().kernelMap(), z, hdr);
            return 0;
        }
        return z;
    }

    /**
     * zbootinit(): makes zone z (static storage) from the {@code nitems} items of {@code size}
     * bytes at {@code item}, before the VM is up; zmax and ztotal are nitems, zfreemin 0.
     * (boot only)
     */
    public void zbootinit(long z, long nameKva, long size, long item, long nitems) {
        lwkt.spinInit(StructVmZone.zspin(z));
        lwkt.lockinit(StructVmZone.zgetlk(z));
        km.bzero(StructVmZone.zpcpu(z, 0), (long) Param.SMP_MAXCPU * StructVmZpcpu.SIZEOF);
        StructVmZone.zname(km, z, nameKva);
        StructVmZone.zsize(km, z, size);
        StructVmZone.zpagemax(km, z, 0);
        StructVmZone.zflags(km, z, ZONE_BOOT);
        StructVmZone.zfreemin(km, z, 0);
        StructVmZone.zallocflag(km, z, 0);
        StructVmZone.zpagecount(km, z, 0);
        StructVmZone.zalloc(km, z, 0);

        km.bzero(item, nitems * size);
        long head = 0;
        for (long i = 0; i < nitems; i++) {
            next(item, head);
            if (invariants) {
                marker(item, ZENTRY_FREE);
            }
            head = item;
            item += size;
        }
        StructVmZone.zitems(km, z, head);
        StructVmZone.zfreecnt(km, z, nitems);
        StructVmZone.zmax(km, z, nitems);
        StructVmZone.ztotal(km, z, nitems);
        zlistInsertHead(z);
        kernel.trace().zoneName(z);
        kernel.kprintf(String.format("zone %s: %d-byte items, %d boot items", zname(z), size, nitems));
    }

    /**
     * zget(): adds a batch of fresh items to the zone and returns one, or returns an item from
     * the global pool if no memory was obtained, or 0. For non-interrupt zones it first takes
     * zgetlk; if it had to sleep for it, returns 0 with {@code tryagainp[0]} set (the caller
     * retries from the top). Internal to vm_zone.c; see the class comment for the three kinds of
     * refill. May block except for ZONE_INTERRUPT zones.
     */
    private long zget(long z, boolean[] tryagainp) {
        if (z == 0) {
            throw Kassert.panic("zget: null zone");
        }
        long zflags = StructVmZone.zflags(km, z);
        long zgetlk = StructVmZone.zgetlk(z);
        if ((zflags & ZONE_INTERRUPT) == 0) {
            if (!lwkt.lockmgrExclusiveSleepfail(zgetlk, "zgetlk")) {
                tryagainp[0] = true;
                return 0;
            }
        }
        long zsize = StructVmZone.zsize(km, z);
        long spin = StructVmZone.zspin(z);
        long item;
        long nitems;
        kernel.swapmetaPaths().zget(z);    // dfemu: SWAPMETA path counters
        lwkt.pushFrame("zget");
        try {
            if ((zflags & ZONE_INTERRUPT) != 0) {
                // Populate the existing mapping; no kernel_map work. Back off to normal page
                // allocations after the first 4 pages so as not to exhaust the interrupt reserve.
                VmPage vmPage = kernel.vmPage();
                long gd = kernel.globaldata().mycpu();
                long zalloc = StructVmZone.zalloc(km, z);
                long[] pgs = new long[ZONE_MAXPGLOAD];
                int i;
                for (i = 0; i < ZONE_MAXPGLOAD && i < zalloc; ++i) {
                    int req = i < 4 ? StructVmZone.zallocflag(km, z) : VmPage.VM_ALLOC_NORMAL | VmPage.VM_ALLOC_SYSTEM;
                    long m = vmPage.vmPageAlloc(0, StructGlobaldata.gd_rand_incr_next(km, gd), req);
                    kernel.swapmetaPaths().zgetPage(z, m);    // dfemu: SWAPMETA path counters
                    if (m == 0) {
                        break;
                    }
                    pgs[i] = m;
                }
                int nalloc = i;

                // Account for the pages; never overlap a prior page, which may still be being
                // set up by another cpu.
                lwkt.spinLock(spin);
                long savezpc = StructVmZone.zpagecount(km, z);
                long noffset = savezpc * PAGE_SIZE;
                if (savezpc + nalloc > StructVmZone.zpagemax(km, z)) {
                    StructVmZone.zpagecount(km, z, StructVmZone.zpagemax(km, z));
                } else {
                    StructVmZone.zpagecount(km, z, savezpc + nalloc);
                }
                item = StructVmZone.zkva(km, z) + noffset;
                long npages = StructVmZone.zpagecount(km, z) - savezpc;
                nitems = ((savezpc + npages) * PAGE_SIZE - noffset) / zsize;
                km.fetchAdd64(globals + ZONE_KMEM_PAGES, npages);
                lwkt.spinUnlock(spin);

                // Enter the pages into the reserved KVA.
                for (i = 0; i < npages; ++i) {
                    long m = pgs[i];
                    Kassert.kkassert(StructVmPage.queue(km, m) == StructVpgqueues.PQ_NONE, "m->queue == PQ_NONE", "zget");
                    StructVmPage.valid(km, m, StructVmPage.VM_PAGE_BITS_ALL);
                    vmPage.vmPageWire(m);
                    vmPage.vmPageWakeup(m);
                    long zkva = StructVmZone.zkva(km, z) + (savezpc + i) * PAGE_SIZE;
                    kernel.pmap().pmapKenter(zkva, vmPage.VM_PAGE_TO_PHYS(m));
                    km.bzero(zkva, PAGE_SIZE);
                }
                for (i = (int) npages; i < nalloc; ++i) {
                    kernel.vmPage2().vmPageFree(pgs[i]);
                }
            } else {
                long nbytes = StructVmZone.zalloc(km, z) * PAGE_SIZE;
                StructVmZone.zpagecount(km, z, StructVmZone.zpagecount(km, z) + StructVmZone.zalloc(km, z));
                int kmflags = (zflags & ZONE_SPECIAL) != 0 ? VmKern.KM_KRESERVE : 0;
                // ZONE_SPECIAL is the vm_map_entry zone: KM_KRESERVE uses the per-cpu reserve of
                // map entries (vm_map_entry_kreserve) to avoid recursing into this zone.
                item = kernel.vmKern().kmemAlloc3(kernel.vmMap().kernelMap(), nbytes, StructVmMapEntry.VM_SUBSYS_ZALLOC, kmflags);
                if (item != 0) {
                    km.fetchAdd64(globals + ZONE_KERN_PAGES, StructVmZone.zalloc(km, z));
                    km.bzero(item, nbytes);
                } else {
                    nbytes = 0;
                }
                nitems = nbytes / zsize;
            }

            // Enter the new items into the pool, keeping one; or take one from the pool.
            lwkt.spinLock(spin);
            StructVmZone.ztotal(km, z, StructVmZone.ztotal(km, z) + nitems);
            if (nitems > 1 && (zflags & ZONE_SPECIAL) != 0) {
                // Repopulate the per-cpu vm_map_entry reserve directly, so that the zone's own
                // kernel memory needs cannot recurse into zget() forever.
                long gd = kernel.globaldata().mycpu();
                lwkt.critEnter();
                while (StructGlobaldata.gd_vme_avail(km, gd) < 2 && nitems > 1) {
                    long entry = item;
                    StructVmMapEntry.mapentFreelist(km, entry, StructGlobaldata.gd_vme_base(km, gd));
                    StructGlobaldata.gd_vme_base(km, gd, entry);
                    km.fetchAdd32(gd + StructGlobaldata.gd_vme_avail$OFFSET, 1);
                    item += zsize;
                    --nitems;
                }
                lwkt.critExit();
            }
            if (nitems != 0) {
                nitems -= 1;
                for (long i = 0; i < nitems; i++) {
                    next(item, StructVmZone.zitems(km, z));
                    if (invariants) {
                        marker(item, ZENTRY_FREE);
                    }
                    StructVmZone.zitems(km, z, item);
                    item += zsize;
                }
                StructVmZone.zfreecnt(km, z, StructVmZone.zfreecnt(km, z) + nitems);
                StructVmZone.znalloc(km, z, StructVmZone.znalloc(km, z) + 1);
            } else if (StructVmZone.zfreecnt(km, z) > 0) {
                kernel.swapmetaPaths().zfreeminHandout(z);    // dfemu: SWAPMETA path counters
                item = StructVmZone.zitems(km, z);
                StructVmZone.zitems(km, z, next(item));
                if (invariants) {
                    if (marker(item) != ZENTRY_FREE) {
                        lwkt.spinUnlock(spin);
                        zerror(ZONE_ERROR_NOTFREE);
                    }
                    marker(item, 0);
                }
                StructVmZone.zfreecnt(km, z, StructVmZone.zfreecnt(km, z) - 1);
                StructVmZone.znalloc(km, z, StructVmZone.znalloc(km, z) + 1);
            } else {
                item = 0;
            }
            lwkt.spinUnlock(spin);
        } finally {
            lwkt.popFrame();
            // Release the refill lock after the items are in, so threads blocked on it retry
            // rather than allocate more kernel memory themselves.
            if ((zflags & ZONE_INTERRUPT) == 0) {
                lwkt.lockmgrRelease(zgetlk);
            }
        }
        kernel.swapmetaPaths().zgetDone(z, item);    // dfemu: SWAPMETA path counters
        return item;
    }

    /** zerror(): the INVARIANTS panics. */
    private static void zerror(int error) {
        String msg = switch (error) {
            case ZONE_ERROR_INVALID -> "zone: invalid zone";
            case ZONE_ERROR_NOTFREE -> "zone: entry not free";
            case ZONE_ERROR_ALREADYFREE -> "zone: freeing free entry";
            default -> "zone: invalid error";
        };
        throw Kassert.panic("%s", msg);
    }

    /** The zone's name ({@code zname}). */
    public String zname(long z) {
        long n = StructVmZone.zname(km, z);
        return n == 0 ? "" : km.loadString(n, 64);
    }

    /** The zones in zlist order (most recently created first). */
    public List<Long> zones() {
        List<Long> zs = new ArrayList<>();
        for (long z = zlist.listFirst(globals + ZLIST); z != 0; z = zlist.listNext(z)) {
            zs.add(z);
        }
        return zs;
    }

    /** Free items of zone z: the global pool plus every cpu's cache. */
    public long zfreeTotal(long z) {
        long freecnt = StructVmZone.zfreecnt(km, z);
        for (int n = 0; n < kernel.config().ncpus(); ++n) {
            freecnt += StructVmZpcpu.zfreecnt(km, StructVmZone.zpcpu(z, n));
        }
        return freecnt;
    }

    /**
     * sysctl_vm_zone() (vm.zone, what {@code vmstat -z} prints): a header line, then one line
     * per zone in zlist order: name, item size, limit (zmax), used (ztotal - free), free
     * (global + per-cpu) and requests (znalloc, global + per-cpu), in the C's format.
     * vm_token is not modelled. No requirements.
     */
    public List<String> sysctlVmZone() {
        List<String> out = new ArrayList<>();
        out.add("ITEM            SIZE     LIMIT    USED    FREE  REQUESTS");
        for (long z : zones()) {
            String name = zname(z);
            int len = Math.min(name.length(), 12);
            char[] tmpname = "             ".toCharArray();
            name.getChars(0, len, tmpname, 0);
            tmpname[len] = ':';
            long freecnt = zfreeTotal(z);
            long znalloc = StructVmZone.znalloc(km, z);
            for (int n = 0; n < kernel.config().ncpus(); ++n) {
                znalloc += StructVmZpcpu.znalloc(km, StructVmZone.zpcpu(z, n));
            }
            out.add(String.format("%s %06d, %08d, %06d, %06d, %08d", new String(tmpname),
                    StructVmZone.zsize(km, z), StructVmZone.zmax(km, z), StructVmZone.ztotal(km, z) - freecnt,
                    freecnt, znalloc));
        }
        return out;
    }
}
