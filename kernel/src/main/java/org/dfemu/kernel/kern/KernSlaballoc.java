package org.dfemu.kernel.kern;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.harness.trace.KernelEvents;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.sys.Malloc;
import org.dfemu.kernel.sys.Queue;
import org.dfemu.kernel.sys.StructKmallocMgt;
import org.dfemu.kernel.sys.StructKmallocUse;
import org.dfemu.kernel.sys.StructMallocType;
import org.dfemu.kernel.sys.StructSLGlobalData;
import org.dfemu.kernel.sys.StructSLZone;
import org.dfemu.kernel.sys.StructSpinlock;
import org.dfemu.kernel.sys.StructThread;
import org.dfemu.kernel.sys.StructVmstats;
import org.dfemu.kernel.sys.Sysctl;
import org.dfemu.kernel.vm.StructVmPage;
import org.dfemu.kernel.vm.Vm;
import org.dfemu.kernel.machine.Pmap;
import org.dfemu.kernel.vm.VmMap;
import org.dfemu.kernel.vm.VmObject;
import org.dfemu.kernel.vm.VmPage;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.List;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_LONG;
import static org.dfemu.kernel.Ctypes.C_POINTER;
import static org.dfemu.kernel.machine.Param.PAGE_MASK;
import static org.dfemu.kernel.machine.Param.PAGE_SHIFT;
import static org.dfemu.kernel.machine.Param.PAGE_SIZE;
import static org.dfemu.kernel.sys.Malloc.M_CACHEALIGN;
import static org.dfemu.kernel.sys.Malloc.M_MAGIC;
import static org.dfemu.kernel.sys.Malloc.M_NULLOK;
import static org.dfemu.kernel.sys.Malloc.M_PASSIVE_ZERO;
import static org.dfemu.kernel.sys.Malloc.M_POWEROF2;
import static org.dfemu.kernel.sys.Malloc.M_RNOWAIT;
import static org.dfemu.kernel.sys.Malloc.M_USE_INTERRUPT_RESERVE;
import static org.dfemu.kernel.sys.Malloc.M_USE_RESERVE;
import static org.dfemu.kernel.sys.Malloc.M_WAITOK;
import static org.dfemu.kernel.sys.Malloc.M_ZERO;
import static org.dfemu.kernel.sys.Malloc.VM_CACHELINE_SIZE;
import static org.dfemu.kernel.sys.StructMallocType.KSF_OBJSIZE;
import static org.dfemu.kernel.sys.StructMallocType.KSF_POLLING;
import static org.dfemu.kernel.sys.StructSLZone.NZONES;
import static org.dfemu.kernel.sys.StructSLZone.SLZF_UNOTZEROD;
import static org.dfemu.kernel.sys.StructSLZone.ZALLOC_MAX_ZONE_SIZE;
import static org.dfemu.kernel.sys.StructSLZone.ZALLOC_MIN_ZONE_SIZE;
import static org.dfemu.kernel.sys.StructSLZone.ZALLOC_OVSZ_MAGIC;
import static org.dfemu.kernel.sys.StructSLZone.ZALLOC_SLAB_MAGIC;
import static org.dfemu.kernel.sys.StructSLZone.ZALLOC_SLAB_SLIDE;
import static org.dfemu.kernel.sys.StructSLZone.ZALLOC_ZONE_LIMIT;
import static org.dfemu.kernel.vm.StructVmMapEntry.MAP_RESERVE_COUNT;
import static org.dfemu.kernel.vm.StructVmMapEntry.VM_MAPTYPE_NORMAL;
import static org.dfemu.kernel.vm.StructVmMapEntry.VM_SUBSYS_KMALLOC;

/**
 * kern_slaballoc.c: DragonFly BSD sys/kern/kern_slaballoc.c at commit 737b020b54 (2021-05-28),
 * the general kernel malloc (kmalloc/kfree), the malloc types and their registry, the
 * kmalloc_poller thread, and the page-level back end both kmalloc and kmalloc_obj sit on,
 * kmem_slab_alloc()/kmem_slab_free(). The MALLOC_DEFINE/MALLOC_DEFINE_OBJ macros of malloc.h are
 * here too ({@link #mallocDefine}, {@link #mallocDefineObj}).
 *
 * <p>Vocabulary. A <em>zone</em> is ZoneSize bytes of KVA (32, 64 or 128 KiB, by memory size),
 * ZoneSize-aligned, holding one in-band {@link StructSLZone} header and an array of equal
 * <em>chunks</em> of one size class. Each cpu owns its zones ({@link StructSLGlobalData}); no
 * locks, only critical sections. Requests of ZoneLimit or more, and page multiples above two
 * pages, are <em>oversized</em>: whole pages straight from kmem_slab_alloc().
 *
 * <pre>
 *   zone (ZoneSize-aligned)
 *   +--------+--------+--------------------------------------------------+
 *   | SLZone | bitmap | chunk 0 | chunk 1 | ...               | chunk NMax-1|
 *   +--------+--------+--------------------------------------------------+
 *   ^z                ^z_BasePtr (aligned to the chunk size if a power of 2)
 * </pre>
 *
 * Size classes (zoneindex()):
 * <pre>
 *   size        chunk step   zone indexes
 *   0-127          8           0-15
 *   128-255       16          16-23
 *   256-511       32          24-31
 *   512-1023      64          32-39
 *   1024-2047    128          40-47
 *   2048-4095    256          48-55
 *   4096-8191    512          56-63
 *   8192-16383  1024          64-71
 * </pre>
 * Power-of-2 sizes are aligned to their size; M_CACHEALIGN raises a small size to 64 and forces
 * M_POWEROF2 below 512.
 *
 * <p>Algorithm, _kmalloc():
 * <ol>
 * <li>Limit check against ks_limit (NULL with M_NULLOK, else panic).</li>
 * <li>Unless M_RNOWAIT: give back whole free zones beyond ZoneRelsThresh and deferred oversized
 *     frees (kmem_slab_free may block).</li>
 * <li>Oversized: kmem_slab_alloc(round_page(size), PAGE_SIZE, flags), the caller's flags;
 *     ku_pagecnt of the first page records the page count.</li>
 * <li>Else the zone at the tail of ZoneAry[zi]: a chunk from z_LChunks, else from the never-used
 *     area (z_UIndex). The last chunk first drains remote frees (z_RChunks).</li>
 * <li>No zone: one from FreeZones, else kmem_slab_alloc(ZoneSize, ZoneSize, flags|M_ZERO), the
 *     caller's flags again; NULL for M_RNOWAIT callers when pages are short.</li>
 * </ol>
 * _kfree(): oversized goes back to kmem_slab_free() (deferred from interrupt threads); a chunk of
 * a zone owned by this cpu goes on z_LChunks, and a zone that becomes wholly free moves to
 * FreeZones; a chunk of another cpu's zone is pushed onto z_RChunks atomically and that cpu is
 * told with a passive IPI if the zone had left its ZoneAry.
 *
 * <p>kmem_slab_alloc() maps M_ flags onto VM_ALLOC_ classes (docs/dragonfly-map.md §4.2):
 * M_ZERO adds ZERO, M_USE_RESERVE SYSTEM, M_USE_INTERRUPT_RESERVE INTERRUPT, M_WAITOK NORMAL; a
 * waiting allocation sleeps in vm_wait(0) page by page holding the pages it already has.
 *
 * <p>Globals (data segment): ZoneSize, ZoneLimit, ZonePageCount, ZoneMask, kmemstatistics,
 * ZeroPage, ZoneRelsThresh, kzone_pollfreq, use_malloc_pattern, use_weird_array, weirdary[16],
 * kmemstat_spin, kmemstat_poll, kmalloc_poller_td, ncpus (see below); the six malloc types this
 * file defines; one {@code SLGlobalData} per cpu.
 *
 * <p>PORT, overall:
 * <ul>
 * <li>{@code gd->gd_slab} is a member of struct globaldata in the C; here each cpu's
 *     SLGlobalData is in an array laid out by this file ({@link #slgd}), the port's struct
 *     globaldata keeping only the fields of the files that own them.
 *     {@code z_CpuGd} still holds the owning cpu's globaldata address.</li>
 * <li>{@code ncpus}, as these functions read it, is 1 until {@link #mallocReinitNcpus} (the C's
 *     mp_start()); the static types are initialised before, on ks_use0, exactly as in the C.</li>
 * <li>The passive IPI of a remote kfree() is a direct call of kfree_remote() on behalf of the
 *     owning cpu (see {@link #_kfree}).</li>
 * <li>There are no preempting interrupt threads (td_preempted is always NULL) and no callouts:
 *     slab_cleanup()'s 10-second timer is not ported, so fully free zones with pending remote
 *     frees are recovered only by the owner's next allocation or kfree_remote().</li>
 * <li>KTR logging and SLAB_DEBUG source recording are not ported.</li>
 * </ul>
 */
public final class KernSlaballoc {
    /** Whole free zones a cpu keeps before kmalloc() gives them back (kern.zone_cache default). */
    public static final int ZONE_RELS_THRESH = 32;
    /** INVARIANTS: poison written over freed memory when use_weird_array is set. */
    public static final int WEIRD_ADDR = 0xdeadc0de;
    /** What kmalloc(0) returns: not NULL, never dereferenceable. */
    public static final long ZERO_LENGTH_PTR = -8L;

    private static final StructLayout GLOBALS = MemoryLayout.structLayout(
            C_INT.withName("ZoneSize"),
            C_INT.withName("ZoneLimit"),
            C_INT.withName("ZonePageCount"),
            C_INT.withName("ZoneRelsThresh"),
            C_LONG.withName("ZoneMask"),
            C_POINTER.withName("kmemstatistics"),
            C_POINTER.withName("ZeroPage"),
            C_INT.withName("kzone_pollfreq"),
            C_INT.withName("use_malloc_pattern"),
            C_INT.withName("use_weird_array"),
            C_INT.withName("ncpus"),
            StructSpinlock.layout().withName("kmemstat_spin"),
            C_POINTER.withName("kmemstat_poll"),
            C_POINTER.withName("kmalloc_poller_td"),
            C_INT.withName("kmalloc_poller_sticks"),
            Ctypes.pad(4),
            MemoryLayout.sequenceLayout(16, C_INT).withName("weirdary")).withName("kern_slaballoc_globals");
    private static final long ZONE_SIZE = Ctypes.offset(GLOBALS, "ZoneSize");
    private static final long ZONE_LIMIT = Ctypes.offset(GLOBALS, "ZoneLimit");
    private static final long ZONE_PAGE_COUNT = Ctypes.offset(GLOBALS, "ZonePageCount");
    private static final long ZONE_RELS_THRESH_G = Ctypes.offset(GLOBALS, "ZoneRelsThresh");
    private static final long ZONE_MASK = Ctypes.offset(GLOBALS, "ZoneMask");
    private static final long KMEMSTATISTICS = Ctypes.offset(GLOBALS, "kmemstatistics");
    private static final long ZERO_PAGE = Ctypes.offset(GLOBALS, "ZeroPage");
    private static final long KZONE_POLLFREQ = Ctypes.offset(GLOBALS, "kzone_pollfreq");
    private static final long USE_MALLOC_PATTERN = Ctypes.offset(GLOBALS, "use_malloc_pattern");
    private static final long USE_WEIRD_ARRAY = Ctypes.offset(GLOBALS, "use_weird_array");
    private static final long NCPUS = Ctypes.offset(GLOBALS, "ncpus");
    private static final long KMEMSTAT_SPIN = Ctypes.offset(GLOBALS, "kmemstat_spin");
    private static final long KMEMSTAT_POLL = Ctypes.offset(GLOBALS, "kmemstat_poll");
    private static final long KMALLOC_POLLER_TD = Ctypes.offset(GLOBALS, "kmalloc_poller_td");
    private static final long KMALLOC_POLLER_STICKS = Ctypes.offset(GLOBALS, "kmalloc_poller_sticks");
    private static final long WEIRDARY = Ctypes.offset(GLOBALS, "weirdary");
    private static final int WEIRDARY_BYTES = 16 * 4;

    private static final long MB = 1024 * 1024;

    private final Kernel kernel;
    private final KernelMemory km;
    private final Lwkt lwkt;
    private final long globals;
    private final long slgdBase;
    /** TAILQ of SLZone by z_Entry ({@code SLZoneList}). */
    private final Queue.Tailq zoneList;
    /** Link-time registry of MALLOC_DEFINE'd types, in definition order: the SYSINIT set. */
    private final List<Long> sysinitTypes = new ArrayList<>();

    private final long mCache;
    private final long mDevbuf;
    private final long mTemp;

    /**
     * (boot only) Lays out kern_slaballoc.c's globals, each cpu's SLGlobalData, and the malloc
     * types this file defines (cache, devbuf, temp, m_drm, ip6opt, ip6ndp); registers its
     * sysctls.
     */
    public KernSlaballoc(Kernel kernel, DataSegment data, Sysctl sysctl) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.lwkt = kernel.lwkt();
        this.globals = data.alloc(GLOBALS);
        this.slgdBase = data.alloc(StructSLGlobalData.SIZEOF * kernel.config().ncpus(),
                StructSLGlobalData.layout().byteAlignment());
        this.zoneList = new Queue.Tailq(km, StructSLZone.z_Entry$OFFSET, kernel.invariants());

        // Initialised data.
        km.store32(globals + ZONE_RELS_THRESH_G, ZONE_RELS_THRESH);
        km.store32(globals + KZONE_POLLFREQ, 1);
        km.store32(globals + NCPUS, 1);

        this.mCache = mallocDefine(data, "cache");
        this.mDevbuf = mallocDefine(data, "devbuf");
        this.mTemp = mallocDefine(data, "temp");
        mallocDefine(data, "m_drm");
        mallocDefine(data, "ip6opt");
        mallocDefine(data, "ip6ndp");

        sysctl.sysctlInt("kern.zone_cache", globals + ZONE_RELS_THRESH_G, "");
        sysctl.sysctlInt("kern.kzone_pollfreq", globals + KZONE_POLLFREQ, "");
        if (kernel.invariants()) {
            sysctl.sysctlInt("debug.use_malloc_pattern", globals + USE_MALLOC_PATTERN,
                    "Initialize memory to -1 if M_ZERO not specified");
            sysctl.sysctlInt("debug.use_weird_array", globals + USE_WEIRD_ARRAY,
                    "Initialize memory to weird values on kfree()");
        }
    }

    // ---- malloc.h: MALLOC_DEFINE ----------------------------------------------------------

    /**
     * {@code MALLOC_DEFINE(type, shortdesc, longdesc)}: a static {@code struct malloc_type} in the
     * data segment, with ks_use pointing at its own ks_use0, registered for malloc_init() at
     * SI_BOOT1_KMALLOC ({@link #mallocSysinit}). Returns the type's address. (boot only: call
     * from a C-file class's constructor, before this kernel's boot.)
     */
    public long mallocDefine(DataSegment data, String shortdesc) {
        return define(data, shortdesc, 0, 0);
    }

    /**
     * {@code MALLOC_DEFINE_OBJ(type, size, shortdesc, longdesc)}: as {@link #mallocDefine} for a
     * kmalloc_obj zone ({@code type##_obj}): KSF_OBJSIZE, ks_objsize = size rounded up to the
     * cache line. (boot only)
     */
    public long mallocDefineObj(DataSegment data, long size, String shortdesc) {
        return define(data, shortdesc, KSF_OBJSIZE, Malloc.VM_CACHELINE_ALIGN(size));
    }

    private long define(DataSegment data, String shortdesc, int ksFlags, long objsize) {
        long type = data.alloc("malloc_type(" + shortdesc + ")", StructMallocType.layout());
        StructMallocType.ks_flags(km, type, ksFlags);
        StructMallocType.ks_magic(km, type, M_MAGIC);
        StructMallocType.ks_shortdesc(km, type, data.allocString(shortdesc));
        StructMallocType.ks_objsize(km, type, objsize);
        StructMallocType.ks_use(km, type, StructMallocType.ks_use0(type));
        sysinitTypes.add(type);
        return type;
    }

    /** {@code M_CACHE}: various dynamically allocated caches. */
    public long mCache() { return mCache; }

    /** {@code M_DEVBUF}: device driver memory. */
    public long mDevbuf() { return mDevbuf; }

    /** {@code M_TEMP}: misc temporary data buffers. */
    public long mTemp() { return mTemp; }

    // ---- globals ---------------------------------------------------------------------------

    /** {@code ZoneSize}: bytes per zone (kmeminit()). */
    public int zoneSize() { return km.load32(globals + ZONE_SIZE); }

    /** {@code ZoneLimit}: requests this large or larger are oversized. */
    public int zoneLimit() { return km.load32(globals + ZONE_LIMIT); }

    /** {@code ZoneMask}: {@code ptr & ZoneMask} is the zone of a chunk. */
    public long zoneMask() { return km.load64(globals + ZONE_MASK); }

    private int zoneRelsThresh() { return km.load32(globals + ZONE_RELS_THRESH_G); }

    /** {@code kmemstatistics}: head of the list of initialised malloc types (ks_next). */
    public long kmemstatistics() { return km.load64(globals + KMEMSTATISTICS); }

    /** {@code ZeroPage}: one zeroed, wired page of KVA. */
    public long zeroPage() { return km.load64(globals + ZERO_PAGE); }

    /** {@code ncpus} as this file sees it: 1 until malloc_reinit_ncpus() (see the class PORT note). */
    public int ncpus() { return km.load32(globals + NCPUS); }

    /** {@code kmalloc_poller_td}: the poller thread, 0 until {@link #kmallocPollerStart}. */
    public long kmallocPollerTd() { return km.load64(globals + KMALLOC_POLLER_TD); }

    /** {@code &gd->gd_slab} of {@code cpu} (see the class PORT note). */
    public long slgd(int cpu) { return slgdBase + cpu * StructSLGlobalData.SIZEOF; }

    /** {@code globaldata_find(cpu)}. */
    private long gdOf(int cpu) { return kernel.globaldata().globaldataFind(cpu); }

    private boolean invariants() { return kernel.invariants(); }

    private VmPage vmPage() { return kernel.vmPage(); }

    /** {@code btokup(z)}: {@code &pmap_kvtom(z)->ku_pagecnt}, the first page's slab tag. */
    private long btokup(long va) {
        return kernel.pmap().pmapKvtom(va) + StructVmPage.ku_pagecnt$OFFSET;
    }

    // ---- initialisation -------------------------------------------------------------------

    /**
     * kmem_lim_size(): the smaller of managed memory (v_page_count pages) and KVA
     * ({@code KvaSize}), in MiB; what various caches are sized against. No requirements.
     */
    public long kmemLimSize() {
        long limsize = StructVmstats.v_page_count(km, kernel.vmMeter().vmstats()) * PAGE_SIZE;
        long kvaSize = kernel.pmap().kvaSize();
        if (limsize > kvaSize) {
            limsize = kvaSize;
        }
        return limsize / MB;
    }

    /**
     * kmeminit() (SYSINIT SI_BOOT1_ALLOCATOR, boot only): scales ZoneRelsThresh up on big
     * machines, picks ZoneSize (32 KiB doubling to at most 128 KiB while twice the size, in
     * bytes, is below the memory limit in KiB: the C compares the two units as they are), then
     * ZoneLimit = min(ZoneSize/4, 16 KiB) and ZoneMask; fills weirdary under INVARIANTS and
     * allocates ZeroPage. Requires kmem_init() (kernel_map) and vm_page_startup().
     *
     * <p>PORT: the C prints the zone size only with bootverbose; the port always logs it.
     */
    public void kmeminit() {
        long limsize = kmemLimSize();
        int usesize = (int) (limsize * 1024);

        // Large machines: fewer cross-cpu invalidations by keeping more free zones.
        if (zoneRelsThresh() == ZONE_RELS_THRESH) {
            int t = ZONE_RELS_THRESH;
            if (limsize >= 7 * 1024) t *= 2;
            if (limsize >= 15 * 1024) t *= 2;
            if (limsize >= 31 * 1024) t *= 2;
            if (limsize >= 63 * 1024) t *= 2;
            if (limsize >= 127 * 1024) t *= 2;
            km.store32(globals + ZONE_RELS_THRESH_G, t);
        }

        int zoneSize = ZALLOC_MIN_ZONE_SIZE;
        while (zoneSize < ZALLOC_MAX_ZONE_SIZE && (zoneSize << 1) < usesize) {
            zoneSize <<= 1;
        }
        int zoneLimit = zoneSize / 4;
        if (zoneLimit > ZALLOC_ZONE_LIMIT) {
            zoneLimit = ZALLOC_ZONE_LIMIT;
        }
        km.store32(globals + ZONE_SIZE, zoneSize);
        km.store32(globals + ZONE_LIMIT, zoneLimit);
        km.store64(globals + ZONE_MASK, ~(long) (zoneSize - 1));
        km.store32(globals + ZONE_PAGE_COUNT, zoneSize / PAGE_SIZE);

        if (invariants()) {
            for (int i = 0; i < 16; ++i) {
                km.store32(globals + WEIRDARY + i * 4L, WEIRD_ADDR);
            }
        }

        km.store64(globals + ZERO_PAGE, kmemSlabAlloc(PAGE_SIZE, PAGE_SIZE, M_WAITOK | M_ZERO));

        kernel.kprintf(String.format("Slab ZoneSize set to %dKB", zoneSize / 1024));
    }

    /**
     * kmemfinishinit() (SYSINIT SI_BOOT2_POST_SMP, boot only): with more than 32 cpus,
     * ZoneRelsThresh scales down by 32/ncpus.
     */
    public void kmemfinishinit() {
        int n = ncpus();
        if (n > 32) {
            km.store32(globals + ZONE_RELS_THRESH_G, zoneRelsThresh() * 32 / n);
        }
    }

    /**
     * slab_gdinit() (low level, boot only): empty zone lists in the cpu's SLGlobalData. Called
     * for every cpu, after kmeminit() in the C's order is not required (it touches only lists).
     */
    public void slabGdinit(int cpu) {
        long slgd = slgd(cpu);
        for (int i = 0; i < NZONES; ++i) {
            zoneList.tailqInit(StructSLGlobalData.ZoneAry(slgd, i));
        }
        zoneList.tailqInit(StructSLGlobalData.FreeZones(slgd));
        zoneList.tailqInit(StructSLGlobalData.FreeOvZones(slgd));
    }

    /**
     * The SI_BOOT1_KMALLOC SYSINITs (boot only): malloc_init() of every MALLOC_DEFINE'd type, in
     * definition order (the C's is link order). Requires kmeminit().
     *
     * <p>PORT: each type is reported on the console as it is set up (limit, and for object zones
     * the slab geometry), for the boot log; DragonFly prints nothing here.
     */
    public void mallocSysinit() {
        for (long type : sysinitTypes) {
            mallocInit(type);
            if ((StructMallocType.ks_flags(km, type) & KSF_OBJSIZE) != 0) {
                long ggm = StructMallocType.ks_mgt(type);
                kernel.kprintf(String.format("kmalloc: %s: object zone, %d-byte objects, %d per slab, limit %dK",
                        StructMallocType.shortdesc(km, type), StructMallocType.ks_objsize(km, type),
                        StructKmallocMgt.slab_count(km, ggm),
                        StructMallocType.ks_limit(km, type) / 1024));
            } else {
                kernel.kprintf(String.format("kmalloc: %s: limit %dK", StructMallocType.shortdesc(km, type),
                        StructMallocType.ks_limit(km, type) / 1024));
            }
        }
    }

    /**
     * malloc_init(): initialises a malloc type: ks_limit = kmem_lim_size()/10 bytes, the
     * per-zone and per-cpu slab management of an object zone, the per-cpu use array (ks_use0
     * while ncpus is 1, else kmalloc'd from M_TEMP), and links it on kmemstatistics. Does nothing
     * if the type is initialised already. Panics without M_MAGIC or before vm_page_startup().
     * May block (the M_TEMP allocation).
     */
    public void mallocInit(long type) {
        if (StructMallocType.ks_magic(km, type) != M_MAGIC) {
            throw Kassert.panic("malloc type lacks magic");
        }
        if (StructMallocType.ks_limit(km, type) != 0) {
            return;
        }
        if (StructVmstats.v_page_count(km, kernel.vmMeter().vmstats()) == 0) {
            throw Kassert.panic("malloc_init not allowed before vm init");
        }
        long limsize = kmemLimSize() * MB;
        StructMallocType.ks_limit(km, type, limsize / 10);
        boolean objsize = (StructMallocType.ks_flags(km, type) & KSF_OBJSIZE) != 0;
        KernKmalloc kk = kernel.kernKmalloc();
        if (objsize) {
            kk.mallocMgtInit(type, StructMallocType.ks_mgt(type), StructMallocType.ks_objsize(km, type));
        }

        int n = ncpus();
        long use;
        if (n == 1) {
            use = StructMallocType.ks_use0(type);
        } else {
            use = kmalloc(n * StructKmallocUse.SIZEOF, mTemp, M_WAITOK | M_ZERO);
        }
        if (objsize) {
            for (int i = 0; i < n; ++i) {
                kk.mallocMgtInit(type, StructKmallocUse.mgt(use + i * StructKmallocUse.SIZEOF),
                        StructMallocType.ks_objsize(km, type));
            }
        }

        lwkt.spinLock(globals + KMEMSTAT_SPIN);
        StructMallocType.ks_next(km, type, kmemstatistics());
        StructMallocType.ks_use(km, type, use);
        km.store64(globals + KMEMSTATISTICS, type);
        lwkt.spinUnlock(globals + KMEMSTAT_SPIN);
        kernel.trace().mallocTypeName(type);
    }

    /**
     * malloc_uninit(): unlinks a type from kmemstatistics (waiting while the poller polls it),
     * destroys the slabs of an object zone (reporting slabs with objects still allocated, which
     * stay), reports memory still allocated (INVARIANTS) and frees a kmalloc'd use array. Panics
     * without M_MAGIC, before vm init, or on an uninitialised type. May block.
     *
     * <p>PORT: lwkt_synchronize_ipiqs() has nothing to wait for (remote frees are direct calls).
     * ssleep() on kmemstat_spin is spin_unlock + tsleep + spin_lock, which is atomic here since
     * only a scheduling point (the tsleep) lets another thread run.
     */
    public void mallocUninit(long type) {
        if (StructMallocType.ks_magic(km, type) != M_MAGIC) {
            throw Kassert.panic("malloc type lacks magic");
        }
        if (StructVmstats.v_page_count(km, kernel.vmMeter().vmstats()) == 0) {
            throw Kassert.panic("malloc_uninit not allowed before vm init");
        }
        if (StructMallocType.ks_limit(km, type) == 0) {
            throw Kassert.panic("malloc_uninit on uninitialized type");
        }

        // Remove from kmemstatistics, waiting out the poller; advance kmemstat_poll past it.
        long spin = globals + KMEMSTAT_SPIN;
        lwkt.spinLock(spin);
        while ((StructMallocType.ks_flags(km, type) & KSF_POLLING) != 0) {
            lwkt.spinUnlock(spin);
            lwkt.tsleep(type, "kmuninit", 0);
            lwkt.spinLock(spin);
        }
        if (km.load64(globals + KMEMSTAT_POLL) == type) {
            km.store64(globals + KMEMSTAT_POLL, StructMallocType.ks_next(km, type));
        }
        if (kmemstatistics() == type) {
            km.store64(globals + KMEMSTATISTICS, StructMallocType.ks_next(km, type));
        } else {
            for (long t = kmemstatistics(); StructMallocType.ks_next(km, t) != 0; t = StructMallocType.ks_next(km, t)) {
                if (StructMallocType.ks_next(km, t) == type) {
                    StructMallocType.ks_next(km, t, StructMallocType.ks_next(km, type));
                    break;
                }
            }
        }
        StructMallocType.ks_next(km, type, 0);
        StructMallocType.ks_limit(km, type, 0);
        lwkt.spinUnlock(spin);

        // memuse is only correct in aggregation (allocated on one cpu, freed on another).
        boolean objsize = (StructMallocType.ks_flags(km, type) & KSF_OBJSIZE) != 0;
        KernKmalloc kk = kernel.kernKmalloc();
        long ttl = 0;
        int i;
        for (i = 0; i < ncpus(); ++i) {
            long use = StructMallocType.ks_use(km, type, i);
            ttl += StructKmallocUse.memuse(km, use);
            if (objsize) {
                kk.mallocMgtUninit(type, StructKmallocUse.mgt(use));
            }
        }
        if (objsize) {
            kk.mallocMgtUninit(type, StructMallocType.ks_mgt(type));
        }
        if (invariants() && ttl != 0) {
            kernel.kprintf(String.format("malloc_uninit: %d bytes of '%s' still allocated on cpu %d",
                    ttl, StructMallocType.shortdesc(km, type), i));
        }

        if (StructMallocType.ks_use(km, type) != StructMallocType.ks_use0(type)) {
            kfree(StructMallocType.ks_use(km, type), mTemp);
            StructMallocType.ks_use(km, type, 0);
        }
    }

    // ---- the kmalloc poller -----------------------------------------------------------------

    /**
     * kproc_start(&kmalloc_poller_kp) (SYSINIT SI_SUB_KTHREAD_PAGE): creates the kmalloc_poller
     * kernel thread on cpu 0. Requires the scheduler. Returns its struct thread.
     */
    public long kmallocPollerStart() {
        long td = lwkt.lwktCreate("kmalloc_poller", 0, 0, this::kmallocPollerThread);
        km.store64(globals + KMALLOC_POLLER_TD, td);
        return td;
    }

    /**
     * kmalloc_poller_thread(): forever, sleeps about hz/kzone_pollfreq + 1 ticks, then polls one
     * malloc type (kmemstat_poll, round-robin over kmemstatistics) with malloc_mgt_poll(),
     * advancing to the next type when that says so. The type is flagged KSF_POLLING meanwhile so
     * malloc_uninit() waits.
     *
     * <p>PORT: the C sleeps on the address of a local variable nobody wakes; the port sleeps on a
     * global word of this file for the same effect.
     */
    private void kmallocPollerThread() {
        long spin = globals + KMEMSTAT_SPIN;
        for (;;) {
            int sticks = km.load32(globals + KZONE_POLLFREQ);
            if (sticks > 0) {
                sticks = lwkt.hz() / sticks + 1;
            } else {
                sticks = lwkt.hz();
            }
            lwkt.tsleep(globals + KMALLOC_POLLER_STICKS, "kmslp", sticks);

            // [re]poll one zone each period.
            lwkt.spinLock(spin);
            long type = km.load64(globals + KMEMSTAT_POLL);
            if (type == 0) {
                type = kmemstatistics();
            }
            if (type != 0) {
                km.atomicSet32(type + StructMallocType.ks_flags$OFFSET, KSF_POLLING);
                lwkt.spinUnlock(spin);
                if (kernel.kernKmalloc().mallocMgtPoll(type)) {
                    lwkt.spinLock(spin);
                    km.store64(globals + KMEMSTAT_POLL, StructMallocType.ks_next(km, type));
                } else {
                    lwkt.spinLock(spin);
                }
                km.atomicClear32(type + StructMallocType.ks_flags$OFFSET, KSF_POLLING);
                lwkt.wakeup(type);
            } else {
                km.store64(globals + KMEMSTAT_POLL, 0);
            }
            lwkt.spinUnlock(spin);
        }
    }

    /**
     * malloc_reinit_ncpus() (from mp_start(), boot only): sets ncpus to the machine's, then gives
     * every initialised type a kmalloc'd ks_use[ncpus] array whose slot 0 is a copy of ks_use0
     * (its object-zone mgt relocated), the other slots fresh. Nothing to do on one cpu.
     */
    public void mallocReinitNcpus() {
        int n = kernel.config().ncpus();
        km.store32(globals + NCPUS, n);
        if (n <= 1) {
            return;
        }
        KernKmalloc kk = kernel.kernKmalloc();
        for (long t = kmemstatistics(); t != 0; t = StructMallocType.ks_next(km, t)) {
            long use0 = StructMallocType.ks_use0(t);
            Kassert.kkassert(StructMallocType.ks_use(km, t) == use0, "t->ks_use == &t->ks_use0",
                    "malloc_reinit_ncpus");
            long use = kmalloc(StructKmallocUse.SIZEOF * n, mTemp, M_WAITOK | M_ZERO);
            StructMallocType.ks_use(km, t, use);
            for (long off = 0; off < StructKmallocUse.SIZEOF; off += 8) {
                km.store64(use + off, km.load64(use0 + off));
            }
            if ((StructMallocType.ks_flags(km, t) & KSF_OBJSIZE) != 0) {
                kk.mallocMgtRelocate(StructKmallocUse.mgt(use0), StructKmallocUse.mgt(use));
                for (int i = 1; i < n; ++i) {
                    kk.mallocMgtInit(t, StructKmallocUse.mgt(use + i * StructKmallocUse.SIZEOF),
                            StructMallocType.ks_objsize(km, t));
                }
            }
        }
    }

    /**
     * kmalloc_raise_limit(): raises ks_limit to {@code bytes} (0 = KvaSize); never lowers it.
     * Requires an initialised type.
     */
    public void kmallocRaiseLimit(long type, long bytes) {
        Kassert.kkassert(StructMallocType.ks_limit(km, type) != 0, "type->ks_limit != 0", "kmalloc_raise_limit");
        if (bytes == 0) {
            bytes = kernel.pmap().kvaSize();
        }
        if (StructMallocType.ks_limit(km, type) < bytes) {
            StructMallocType.ks_limit(km, type, bytes);
        }
    }

    /** kmalloc_set_unlimited(): ks_limit = all of kmem_lim_size(). */
    public void kmallocSetUnlimited(long type) {
        StructMallocType.ks_limit(km, type, kmemLimSize() * MB);
    }

    /**
     * kmalloc_create(): creates a malloc type at run time in {@code *typep} (the kernel address
     * of a {@code struct malloc_type *} variable) unless it is already non-NULL. May block.
     *
     * <p>PORT: the C keeps the caller's description pointer (a string literal); the port copies
     * the description into M_TEMP memory, freed again by kmalloc_destroy().
     */
    public void kmallocCreate(long typep, String descr) {
        if (km.load64(typep) == 0) {
            long type = kmalloc(StructMallocType.SIZEOF, mTemp, M_WAITOK | M_ZERO);
            StructMallocType.ks_magic(km, type, M_MAGIC);
            StructMallocType.ks_shortdesc(km, type, kstrdupString(descr));
            mallocInit(type);
            km.store64(typep, type);
        }
    }

    /**
     * _kmalloc_create_obj(): as {@link #kmallocCreate} for a kmalloc_obj zone of
     * {@code objsize}-byte objects (rounded up to the cache line). May block.
     */
    public void _kmallocCreateObj(long typep, String descr, long objsize) {
        if (km.load64(typep) == 0) {
            long type = kmalloc(StructMallocType.SIZEOF, mTemp, M_WAITOK | M_ZERO);
            StructMallocType.ks_magic(km, type, M_MAGIC);
            StructMallocType.ks_shortdesc(km, type, kstrdupString(descr));
            StructMallocType.ks_flags(km, type, KSF_OBJSIZE);
            StructMallocType.ks_objsize(km, type, Malloc.VM_CACHELINE_ALIGN(objsize));
            mallocInit(type);
            km.store64(typep, type);
        }
    }

    /**
     * kmalloc_destroy(): uninitialises and frees the run-time type in {@code *typep} and clears
     * the variable; nothing if it is NULL. For an object zone the slabs' exis state is ignored:
     * call only once every reference is gone. May block.
     */
    public void kmallocDestroy(long typep) {
        long type = km.load64(typep);
        if (type != 0) {
            mallocUninit(type);
            kfree(StructMallocType.ks_shortdesc(km, type), mTemp);
            kfree(type, mTemp);
            km.store64(typep, 0);
        }
    }

    private long kstrdupString(String s) {
        long p = kmalloc(s.length() + 1, mTemp, M_WAITOK);
        km.storeString(p, s, s.length() + 1);
        return p;
    }

    // ---- size classes ---------------------------------------------------------------------

    /**
     * zoneindex(): the zone index of a request of {@code bytes} bytes (below the zone limit),
     * with the request rounded up to the zone's chunk size and the zone's chunk step. The C
     * returns the index and writes size and step through pointers; the port packs all three into
     * one long (decode with {@link #zoneIndexOf}, {@link #zoneChunkOf}, {@link #zoneAlignOf}) so
     * the allocation path makes no Java heap allocation. Panics on a size of 16 KiB or more.
     */
    public static long zoneindex(long bytes) {
        int n = (int) bytes;
        if (n < 128) {
            n = (n + 7) & ~7;
            return zonePack(n / 8 - 1, n, 8);
        }
        if (n < 256) {
            n = (n + 15) & ~15;
            return zonePack(n / 16 + 7, n, 16);
        }
        if (n < 8192) {
            if (n < 512) {
                n = (n + 31) & ~31;
                return zonePack(n / 32 + 15, n, 32);
            }
            if (n < 1024) {
                n = (n + 63) & ~63;
                return zonePack(n / 64 + 23, n, 64);
            }
            if (n < 2048) {
                n = (n + 127) & ~127;
                return zonePack(n / 128 + 31, n, 128);
            }
            if (n < 4096) {
                n = (n + 255) & ~255;
                return zonePack(n / 256 + 39, n, 256);
            }
            n = (n + 511) & ~511;
            return zonePack(n / 512 + 47, n, 512);
        }
        if (n < 16384) {
            n = (n + 1023) & ~1023;
            return zonePack(n / 1024 + 55, n, 1024);
        }
        throw Kassert.panic("Unexpected byte count %d", n);
    }

    // zoneindex()'s packed result: index in bits 0-15 (signed: a 0-byte request gives -1, as in
    // the C), chunk size in bits 16-39, step in bits 40-63.
    private static long zonePack(int zi, long chunk, long align) {
        return (zi & 0xFFFFL) | chunk << 16 | align << 40;
    }

    /** The zone index in a {@link #zoneindex} result. */
    public static int zoneIndexOf(long packed) { return (short) packed; }

    /** The request rounded up to the zone's chunk size, from a {@link #zoneindex} result. */
    public static long zoneChunkOf(long packed) { return (packed >>> 16) & 0xFF_FFFF; }

    /** The zone's chunk step (alignment), from a {@link #zoneindex} result. */
    public static long zoneAlignOf(long packed) { return packed >>> 40; }

    /** powerof2_size(): {@code size} rounded up to a power of 2 (0 stays 0). */
    static long powerof2Size(long size) {
        if (size == 0 || powerof2(size)) {
            return size;
        }
        int i = 64 - Long.numberOfLeadingZeros(size);
        return 1L << i;
    }

    private static boolean powerof2(long x) {
        return ((x - 1) & x) == 0;
    }

    /** CAN_CACHEALIGN(sz) for 64-byte cache lines. */
    private static boolean canCachealign(long sz) {
        return sz >= 512;
    }

    /** {@code atomic_swap_int}: stores {@code v}, returns the old value. */
    private int atomicSwapInt(long p, int v) {
        int old;
        do {
            old = km.load32(p);
        } while (!km.cas32(p, old, v));
        return old;
    }

    // ---- zone bookkeeping -----------------------------------------------------------------

    /**
     * clean_zone_rchunks(): moves the chunks remote cpus freed (z_RChunks, taken atomically) to
     * the end of z_LChunks, counting them free. Owner cpu, in a critical section.
     */
    private void cleanZoneRchunks(long z) {
        long bchunk;
        while ((bchunk = StructSLZone.z_RChunks(km, z)) != 0) {
            if (km.cas64(z + StructSLZone.z_RChunks$OFFSET, bchunk, 0)) {
                km.store64(StructSLZone.z_LChunksp(km, z), bchunk);
                while (bchunk != 0) {
                    chunkMarkFree(z, bchunk);
                    StructSLZone.z_LChunksp(km, z, bchunk);
                    bchunk = km.load64(bchunk);
                    StructSLZone.z_NFree(km, z, StructSLZone.z_NFree(km, z) + 1);
                }
                break;
            }
        }
    }

    /**
     * check_zone_free(): a wholly free zone with no IPI in flight moves from its ZoneAry list to
     * FreeZones, unless it is the only zone listed for its size class. Never touches kernel_map
     * (it may run on behalf of an IPI); kmalloc() gives zones back later. Returns the zone that
     * followed {@code z} in its list.
     */
    private long checkZoneFree(long slgd, long z) {
        long znext = zoneList.tailqNext(z);
        int zi = StructSLZone.z_ZoneIndex(km, z);
        long zoneAry = StructSLGlobalData.ZoneAry(slgd, zi);
        if (StructSLZone.z_NFree(km, z) == StructSLZone.z_NMax(km, z) && StructSLZone.z_RCount(km, z) == 0
                && (zoneList.tailqFirst(zoneAry) != z || znext != 0)) {
            zoneList.tailqRemove(zoneAry, z);
            StructSLZone.z_Magic(km, z, -1);
            zoneList.tailqInsertHead(StructSLGlobalData.FreeZones(slgd), z);
            StructSLGlobalData.NFreeZones(km, slgd, StructSLGlobalData.NFreeZones(km, slgd) + 1);
            km.store32(btokup(z), 0);
        }
        return znext;
    }

    // ---- kmalloc --------------------------------------------------------------------------

    /**
     * kmalloc(size, type, flags): the malloc.h entry point. PORT: the C's inline wrapper zeroes
     * constant-size M_ZERO requests itself; without compile-time constants it is a plain call of
     * _kmalloc().
     */
    public long kmalloc(long size, long type, int flags) {
        long traceT0 = kernel.trace().start(KernelEvents.ALLOC_KMALLOC);
        kernel.reclaimCheck().kmalloc(size, type, flags);    // dfemu: reclaim-context checker
        long p = _kmalloc(size, type, flags);
        kernel.trace().kmalloc(type, size, flags, p, traceT0);
        return p;
    }

    /**
     * _kmalloc(): allocates {@code size} bytes of {@code type} (see the class comment for the
     * steps). Returns the kernel address, ZERO_LENGTH_PTR for size 0, or 0 (NULL) when the
     * limit is reached with M_NULLOK or when pages or KVA cannot be had without blocking
     * (M_RNOWAIT, with M_NULLOK for KVA). Panics past the limit without M_NULLOK, out of KVA
     * without M_NULLOK, or with neither M_RNOWAIT nor M_WAITOK on the page path. May block with
     * M_WAITOK (vm_wait), and also without it (kernel_map lock, map-entry reserve) as in the C.
     */
    public long _kmalloc(long size, long type, int flags) {
        int cpuid = lwkt.mycpuid();
        long gd = gdOf(cpuid);
        long slgd = slgd(cpuid);

        Kassert.kkassert(StructMallocType.ks_limit(km, type) != 0, "type->ks_limit != 0", "_kmalloc");
        long use = StructMallocType.ks_use(km, type, cpuid);
        StructKmallocUse.calls(km, use, StructKmallocUse.calls(km, use) + 1);

        // Flagged for cache-alignment.
        if ((flags & M_CACHEALIGN) != 0) {
            if (size < VM_CACHELINE_SIZE) {
                size = VM_CACHELINE_SIZE;
            } else if (!canCachealign(size)) {
                flags |= M_POWEROF2;
            }
        }

        // Flagged to force the nearest power of 2 (higher or same).
        if ((flags & M_POWEROF2) != 0) {
            size = powerof2Size(size);
        }

        // The limit: panic if NULL cannot be returned (the original malloc looped, deadlocking).
        // ks_loosememuse is an up-only, unsynchronised hint that a full count is due.
        if (!mallocLimitCheck(type, flags)) {
            return 0;
        }

        // kmalloc(0) is allowed and returns a special non-NULL pointer.
        if (size == 0) {
            return ZERO_LENGTH_PTR;
        }

        // Hysteresis from earlier frees: kfree() cannot touch kernel_map (it may run from an IPI
        // or interrupt code), so whole free zones are given back here. ku_pagecnt is cleared
        // before the zone is freed so a racing allocation of the same KVA is not confused.
        int zoneSize = zoneSize();
        while (StructSLGlobalData.NFreeZones(km, slgd) > zoneRelsThresh() && (flags & M_RNOWAIT) == 0) {
            lwkt.critEnter();
            if (StructSLGlobalData.NFreeZones(km, slgd) > zoneRelsThresh()) {
                long z = zoneList.tailqLast(StructSLGlobalData.FreeZones(slgd));
                Kassert.kkassert(z != 0, "z != NULL", "_kmalloc");
                zoneList.tailqRemove(StructSLGlobalData.FreeZones(slgd), z);
                StructSLGlobalData.NFreeZones(km, slgd, StructSLGlobalData.NFreeZones(km, slgd) - 1);
                km.store32(btokup(z), 0);
                kmemSlabFree(z, zoneSize);
            }
            lwkt.critExit();
        }

        // Oversized frees queued by kfree() from interrupt threads.
        while (zoneList.tailqFirst(StructSLGlobalData.FreeOvZones(slgd)) != 0 && (flags & M_RNOWAIT) == 0) {
            lwkt.critEnter();
            long z = zoneList.tailqLast(StructSLGlobalData.FreeOvZones(slgd));
            if (z != 0) {
                Kassert.kkassert(StructSLZone.z_Magic(km, z) == ZALLOC_OVSZ_MAGIC, "z->z_Magic == ZALLOC_OVSZ_MAGIC",
                        "_kmalloc");
                zoneList.tailqRemove(StructSLGlobalData.FreeOvZones(slgd), z);
                long tsize = StructSLZone.z_ChunkSize(km, z);
                kmemSlabFree(z, tsize);
            }
            lwkt.critExit();
        }

        long chunk;
        done:
        {
            // Large allocations go straight to kmem; one- and two-page requests stay in zones.
            if (size >= zoneLimit() || ((size & PAGE_MASK) == 0 && size > PAGE_SIZE * 2)) {
                size = Param.roundPage(size);
                chunk = kmemSlabAlloc(size, PAGE_SIZE, flags);
                if (chunk == 0) {
                    return 0;
                }
                flags &= ~M_ZERO;       // already zeroed if M_ZERO was set
                flags |= M_PASSIVE_ZERO;
                km.store32(btokup(chunk), (int) (size / PAGE_SIZE));
                lwkt.critEnter();
                break done;
            }

            // An existing zone: its free list first, then its never-used area. zoneindex()
            // panics if the size is too large.
            long zp = zoneindex(size);
            int zi = zoneIndexOf(zp);
            size = zoneChunkOf(zp);
            Kassert.kkassert(zi < NZONES, "zi < NZONES", "_kmalloc");
            lwkt.critEnter();

            long zoneAry = StructSLGlobalData.ZoneAry(slgd, zi);
            long z = zoneList.tailqLast(zoneAry);
            if (z != 0) {
                // The last free chunk: collect remote frees first, and take the zone off ZoneAry
                // if it is still exhausted. RSignal is set before pulling RChunks so remote
                // freers, which read it before pushing, know to signal us.
                int nfree = StructSLZone.z_NFree(km, z) - 1;
                StructSLZone.z_NFree(km, z, nfree);
                if (nfree <= 0) {
                    Kassert.kkassert(nfree == 0, "z->z_NFree == 0", "_kmalloc");
                    if (StructSLZone.z_RChunks(km, z) == 0) {
                        atomicSwapInt(z + StructSLZone.z_RSignal$OFFSET, 1);
                    }
                    cleanZoneRchunks(z);
                    if (StructSLZone.z_NFree(km, z) == 0) {
                        zoneList.tailqRemove(zoneAry, z);
                    } else {
                        StructSLZone.z_RSignal(km, z, 0);
                    }
                }

                // Fast path: a chunk on z_LChunks.
                chunk = StructSLZone.z_LChunks(km, z);
                if (chunk != 0) {
                    chunkMarkAllocated(z, chunk);
                    StructSLZone.z_LChunks(km, z, km.load64(chunk));
                    if (StructSLZone.z_LChunks(km, z) == 0) {
                        StructSLZone.z_LChunksp(km, z, z + StructSLZone.z_LChunks$OFFSET);
                    }
                    break done;
                }

                // Otherwise the free chunk must be in the never-used area. A corrupted zone is
                // serious enough for an explicit panic.
                int uindex = StructSLZone.z_UIndex(km, z);
                if (uindex + 1 != StructSLZone.z_NMax(km, z)) {
                    ++uindex;
                } else {
                    uindex = 0;
                }
                StructSLZone.z_UIndex(km, z, uindex);
                if (uindex == StructSLZone.z_UEndIndex(km, z)) {
                    throw Kassert.panic("slaballoc: corrupted zone");
                }
                chunk = StructSLZone.z_BasePtr(km, z) + uindex * size;
                if ((StructSLZone.z_Flags(km, z) & SLZF_UNOTZEROD) == 0) {
                    flags &= ~M_ZERO;
                    flags |= M_PASSIVE_ZERO;
                }
                chunkMarkAllocated(z, chunk);
                break done;
            }

            // Every zone of this size is exhausted: reuse a free zone, or allocate one with
            // M_ZERO (pre-zeroed pages; a reused zone's never-used area is not zero). Power-of-2
            // chunks are aligned to their size (the tty code expects it).
            z = zoneList.tailqFirst(StructSLGlobalData.FreeZones(slgd));
            if (z != 0) {
                zoneList.tailqRemove(StructSLGlobalData.FreeZones(slgd), z);
                StructSLGlobalData.NFreeZones(km, slgd, StructSLGlobalData.NFreeZones(km, slgd) - 1);
                km.bzero(z, StructSLZone.SIZEOF);
                StructSLZone.z_Flags(km, z, StructSLZone.z_Flags(km, z) | SLZF_UNOTZEROD);
            } else {
                z = kmemSlabAlloc(zoneSize, zoneSize, flags | M_ZERO);
                if (z == 0) {
                    lwkt.critExit();
                    return 0;
                }
            }

            // How big is the header? INVARIANTS adds the allocation bitmap, sized loosely.
            long off;
            if (invariants()) {
                off = StructSLZone.offsetofBitmap((zoneSize / size + 31) / 32);
                km.bzero(z + StructSLZone.z_Bitmap$OFFSET, (zoneSize / size + 31) / 8);
            } else {
                off = StructSLZone.SIZEOF;
            }
            long al = zoneAlignOf(zp);
            if (powerof2(size)) {
                al = size;
            }
            off = (off + al - 1) & -al;

            int nmax = (int) ((zoneSize - off) / size);
            StructSLZone.z_Magic(km, z, ZALLOC_SLAB_MAGIC);
            StructSLZone.z_ZoneIndex(km, z, zi);
            StructSLZone.z_NMax(km, z, nmax);
            StructSLZone.z_NFree(km, z, nmax - 1);
            StructSLZone.z_BasePtr(km, z, z + off);
            int uindex = StructSLGlobalData.JunkIndex(km, slgd) % nmax;
            StructSLZone.z_UIndex(km, z, uindex);
            StructSLZone.z_UEndIndex(km, z, uindex);
            StructSLZone.z_ChunkSize(km, z, (int) size);
            StructSLZone.z_CpuGd(km, z, gd);
            StructSLZone.z_Cpu(km, z, cpuid);
            StructSLZone.z_LChunksp(km, z, z + StructSLZone.z_LChunks$OFFSET);
            chunk = z + off + uindex * size;
            zoneList.tailqInsertHead(zoneAry, z);
            if ((StructSLZone.z_Flags(km, z) & SLZF_UNOTZEROD) == 0) {
                flags &= ~M_ZERO;       // already zeroed
                flags |= M_PASSIVE_ZERO;
            }
            km.store32(btokup(z), -(cpuid + 1));
            chunkMarkAllocated(z, chunk);

            // Slide the first allocation of the next zone so the low part of the cpu caches is
            // not over-weighted.
            StructSLGlobalData.JunkIndex(km, slgd,
                    (StructSLGlobalData.JunkIndex(km, slgd) + ZALLOC_SLAB_SLIDE) & (ZALLOC_MAX_ZONE_SIZE - 1));
        }

        // done:
        StructKmallocUse.inuse(km, use, StructKmallocUse.inuse(km, use) + 1);
        StructKmallocUse.memuse(km, use, StructKmallocUse.memuse(km, use) + size);
        StructKmallocUse.loosememuse(km, use, StructKmallocUse.loosememuse(km, use) + size);
        if (StructKmallocUse.loosememuse(km, use) >= zoneSize) {
            // not MP synchronized
            StructMallocType.ks_loosememuse(km, type,
                    StructMallocType.ks_loosememuse(km, type) + StructKmallocUse.loosememuse(km, use));
            StructKmallocUse.loosememuse(km, use, 0);
        }
        lwkt.critExit();

        if ((flags & M_ZERO) != 0) {
            km.bzero(chunk, size);
        } else if (invariants() && (flags & (M_ZERO | M_PASSIVE_ZERO)) == 0) {
            if (km.load32(globals + USE_MALLOC_PATTERN) != 0) {
                for (long i = 0; i < size; i += 4) {
                    km.store32(chunk + i, -1);
                }
            }
            km.store64(chunk, -1L);     // c_Next: avoid an accidental double-free check
        }
        return chunk;
    }

    /**
     * The limit check shared by _kmalloc() and _kmalloc_obj(): while ks_loosememuse says the
     * limit may be reached, recount memuse over all cpus; still at or past ks_limit, return false
     * with M_NULLOK, else panic "TYPE: malloc limit exceeded". Never blocks.
     */
    boolean mallocLimitCheck(long type, int flags) {
        // size_t comparisons, as in the C.
        while (Long.compareUnsigned(StructMallocType.ks_loosememuse(km, type), StructMallocType.ks_limit(km, type)) >= 0) {
            long ttl = 0;
            for (int n = 0; n < ncpus(); ++n) {
                ttl += StructKmallocUse.memuse(km, StructMallocType.ks_use(km, type, n));
            }
            StructMallocType.ks_loosememuse(km, type, ttl);    // not MP synchronized
            if (ttl < 0) {                                      // an occasional race
                ttl = 0;
            }
            if (Long.compareUnsigned(ttl, StructMallocType.ks_limit(km, type)) >= 0) {
                if ((flags & M_NULLOK) != 0) {
                    return false;
                }
                throw Kassert.panic("%s: malloc limit exceeded", StructMallocType.shortdesc(km, type));
            }
        }
        return true;
    }

    /**
     * krealloc(): resizes {@code ptr} (NULL/ZERO_LENGTH_PTR: plain kmalloc; size 0: kfree and
     * NULL). An oversized allocation of the same page count, or a zone chunk whose size class
     * does not change, is returned as is; otherwise a new allocation receives a copy and the old
     * one is freed. Returns NULL if the new allocation fails. M_ZERO is not supported (panics).
     * May block as kmalloc does.
     */
    public long krealloc(long ptr, long size, long type, int flags) {
        Kassert.kkassert((flags & M_ZERO) == 0, "(flags & M_ZERO) == 0", "krealloc");

        if (ptr == 0 || ptr == ZERO_LENGTH_PTR) {
            return _kmalloc(size, type, flags);
        }
        if (size == 0) {
            kfree(ptr, type);
            return 0;
        }

        // Oversized allocations: the page count is in the first page.
        long kup = btokup(ptr);
        int pagecnt = km.load32(kup);
        if (pagecnt > 0) {
            long osize = (long) pagecnt << PAGE_SHIFT;
            if (osize == Param.roundPage(size)) {
                return ptr;
            }
            long nptr = _kmalloc(size, type, flags);
            if (nptr == 0) {
                return 0;
            }
            bcopy(ptr, nptr, Math.min(size, osize));
            kfree(ptr, type);
            return nptr;
        }

        // A zone chunk: nothing to do if the new size rounds to the same chunk size.
        long z = ptr & zoneMask();
        kup = btokup(z);
        Kassert.kkassert(km.load32(kup) < 0, "*kup < 0", "krealloc");
        Kassert.kkassert(StructSLZone.z_Magic(km, z) == ZALLOC_SLAB_MAGIC, "z->z_Magic == ZALLOC_SLAB_MAGIC", "krealloc");
        if (size < zoneLimit()) {
            size = zoneChunkOf(zoneindex(size));
            if (StructSLZone.z_ChunkSize(km, z) == size) {
                return ptr;
            }
        }
        long nptr = _kmalloc(size, type, flags);
        if (nptr == 0) {
            return 0;
        }
        bcopy(ptr, nptr, Math.min(size, StructSLZone.z_ChunkSize(km, z)));
        kfree(ptr, type);
        return nptr;
    }

    private void bcopy(long src, long dst, long len) {
        long i = 0;
        for (; i + 8 <= len; i += 8) {
            km.store64(dst + i, km.load64(src + i));
        }
        for (; i < len; i++) {
            km.store8(dst + i, km.load8(src + i));
        }
    }

    /** kmalloc_limit(): ks_limit of an initialised type, in bytes. */
    public long kmallocLimit(long type) {
        Kassert.kkassert(StructMallocType.ks_limit(km, type) != 0, "type->ks_limit != 0", "kmalloc_limit");
        return StructMallocType.ks_limit(km, type);
    }

    /**
     * kstrdup(): a copy of the NUL-terminated string at kernel address {@code str} in
     * {@code type} memory (M_WAITOK); NULL for NULL. May block.
     */
    public long kstrdup(long str, long type) {
        if (str == 0) {
            return 0;
        }
        int zlen = 1;
        while (km.load8(str + zlen - 1) != 0) {
            ++zlen;
        }
        long nstr = _kmalloc(zlen, type, M_WAITOK);
        bcopy(str, nstr, zlen);
        return nstr;
    }

    // ---- kfree ----------------------------------------------------------------------------

    /**
     * kfree_remote(): on the owning cpu, after a remote cpu freed chunks into {@code z} that had
     * left ZoneAry: drops the IPI's RCount, clears RSignal, moves RChunks to LChunks, puts the
     * zone back on ZoneAry if it regained chunks, and frees it if wholly free.
     *
     * <p>PORT: the C runs this from a passive IPI on the owning cpu; here it is called directly
     * with the owning cpu named, which is safe because the owner's thread is parked at a
     * scheduling point, where its slab lists are always consistent. {@code mycpu} in the C is
     * {@code cpu}.
     */
    private void kfreeRemote(int cpu, long z) {
        long slgd = slgd(cpu);
        long kup = btokup(z);
        Kassert.kkassert(km.load32(kup) == -(cpu + 1), "*kup == -((int)mycpuid + 1)", "kfree_remote");
        Kassert.kkassert(StructSLZone.z_RCount(km, z) > 0, "z->z_RCount > 0", "kfree_remote");
        km.fetchAdd32(z + StructSLZone.z_RCount$OFFSET, -1);

        Kassert.kkassert(StructSLZone.z_Magic(km, z) == ZALLOC_SLAB_MAGIC, "z->z_Magic == ZALLOC_SLAB_MAGIC", "kfree_remote");
        Kassert.kkassert(StructSLZone.z_Cpu(km, z) == cpu, "z->z_Cpu  == mycpu->gd_cpuid", "kfree_remote");
        int nfree = StructSLZone.z_NFree(km, z);

        // We will no longer be off ZoneAry.
        if (StructSLZone.z_RChunks(km, z) != 0) {
            StructSLZone.z_RSignal(km, z, 0);
        }

        // Append (not prepend) the remote chunks: we probably lack their cache lines anyway.
        cleanZoneRchunks(z);
        if (StructSLZone.z_NFree(km, z) != 0 && nfree == 0) {
            zoneList.tailqInsertHead(StructSLGlobalData.ZoneAry(slgd, StructSLZone.z_ZoneIndex(km, z)), z);
        }

        checkZoneFree(slgd, z);
    }

    /** kfree(addr, type): the malloc.h entry point, {@link #_kfree}. */
    public void kfree(long ptr, long type) {
        _kfree(ptr, type);
    }

    /**
     * _kfree(): frees memory from kmalloc(). Oversized allocations go back to kmem_slab_free()
     * (deferred to the next kmalloc() when freed from an interrupt thread); a chunk of a zone this
     * cpu owns goes on its local free list; a chunk of another cpu's zone is pushed onto that
     * zone's z_RChunks and, if the zone had left ZoneAry, handed to kfree_remote(). Statistics are
     * adjusted on this cpu. ZERO_LENGTH_PTR is ignored. Panics on NULL, a type without magic, a
     * pointer that is not a kmalloc allocation, and (INVARIANTS) a chunk freed twice. May block
     * for an oversized free.
     */
    public void _kfree(long ptr, long type) {
        int cpuid = lwkt.mycpuid();
        long gd = gdOf(cpuid);
        long slgd = slgd(cpuid);

        if (ptr == 0) {
            throw Kassert.panic("trying to free NULL pointer");
        }
        // Special 0-byte allocations.
        if (ptr == ZERO_LENGTH_PTR) {
            return;
        }
        if (StructMallocType.ks_magic(km, type) != M_MAGIC) {
            throw Kassert.panic("free: malloc type lacks magic");
        }

        // Oversized allocations carry their page count in the first page (never via an IPI).
        long kup = btokup(ptr);
        int pagecnt = km.load32(kup);
        if (pagecnt > 0) {
            long size = (long) pagecnt << PAGE_SHIFT;
            km.store32(kup, 0);
            if (invariants() && km.load32(globals + USE_WEIRD_ARRAY) != 0) {
                Kassert.kkassert(WEIRDARY_BYTES <= size, "sizeof(weirdary) <= size", "_kfree");
                bcopy(globals + WEIRDARY, ptr, WEIRDARY_BYTES);
            }
            // The free is accounted on this cpu, not the allocating one; stats are aggregate.
            // Interrupt threads still may not block here (softupdates' old assumption).
            lwkt.critEnter();
            long use = StructMallocType.ks_use(km, type, cpuid);
            StructKmallocUse.inuse(km, use, StructKmallocUse.inuse(km, use) - 1);
            StructKmallocUse.memuse(km, use, StructKmallocUse.memuse(km, use) - size);
            // (gd_intr_nesting_level is always 0: emulated interrupts never run kernel code.)
            if ((StructThread.td_flags(km, lwkt.curthread()) & StructThread.TDF_INTTHREAD) != 0) {
                long z = ptr;
                StructSLZone.z_Magic(km, z, ZALLOC_OVSZ_MAGIC);
                StructSLZone.z_ChunkSize(km, z, (int) size);
                zoneList.tailqInsertHead(StructSLGlobalData.FreeOvZones(slgd), z);
                lwkt.critExit();
            } else {
                lwkt.critExit();
                kmemSlabFree(ptr, size);
            }
            return;
        }

        // A zone chunk: the zone is ZoneSize-aligned.
        long z = ptr & zoneMask();
        kup = btokup(z);
        Kassert.kkassert(km.load32(kup) < 0, "*kup < 0", "_kfree");
        Kassert.kkassert(StructSLZone.z_Magic(km, z) == ZALLOC_SLAB_MAGIC, "z->z_Magic == ZALLOC_SLAB_MAGIC", "_kfree");

        // Another cpu's zone: free onto its remote list. The zone cannot go away while we own a
        // chunk of it, until the moment z_RChunks changes; RCount keeps it alive past that.
        if (StructSLZone.z_CpuGd(km, z) != gd) {
            // Adjust our own cpu's statistics, so the type needs not be passed on.
            lwkt.critEnter();
            long use = StructMallocType.ks_use(km, type, cpuid);
            StructKmallocUse.inuse(km, use, StructKmallocUse.inuse(km, use) - 1);
            StructKmallocUse.memuse(km, use, StructKmallocUse.memuse(km, use) - StructSLZone.z_ChunkSize(km, z));
            lwkt.critExit();

            int rsignal = StructSLZone.z_RSignal(km, z);
            if (rsignal != 0) {
                km.fetchAdd32(z + StructSLZone.z_RCount$OFFSET, 1);
            }

            long chunk = ptr;
            long bchunk;
            for (;;) {
                bchunk = StructSLZone.z_RChunks(km, z);
                km.store64(chunk, bchunk);
                if (km.cas64(z + StructSLZone.z_RChunks$OFFSET, bchunk, chunk)) {
                    break;
                }
            }

            // Signal the owner only on an empty-to-non-empty transition with RSignal set: the
            // zone is off ZoneAry and must be put back.
            if (bchunk == 0 && rsignal != 0) {
                kfreeRemote(StructSLZone.z_Cpu(km, z), z);
            } else if (rsignal != 0) {
                km.fetchAdd32(z + StructSLZone.z_RCount$OFFSET, -1);
            }
            return;
        }

        // Free locally.
        lwkt.critEnter();
        long chunk = ptr;
        chunkMarkFree(z, chunk);

        // Poison, to catch use after free.
        if (invariants() && km.load32(globals + USE_WEIRD_ARRAY) != 0) {
            bcopy(globals + WEIRDARY, chunk, Math.min(StructSLZone.z_ChunkSize(km, z), WEIRDARY_BYTES));
        }

        // At the head of the free list: it is the most likely to be in the L1 cache.
        if (invariants()) {
            long kvaStart = kernel.pmap().kvaStart();
            long kvaEnd = kernel.pmap().kvaEnd();
            if (Long.compareUnsigned(chunk, kvaStart) < 0 || Long.compareUnsigned(chunk, kvaEnd) >= 0) {
                throw Kassert.panic("BADFREE 0x%x", chunk);
            }
        }
        km.store64(chunk, StructSLZone.z_LChunks(km, z));
        StructSLZone.z_LChunks(km, z, chunk);
        if (km.load64(chunk) == 0) {
            StructSLZone.z_LChunksp(km, z, chunk);
        }
        if (invariants() && km.load64(chunk) != 0
                && Long.compareUnsigned(km.load64(chunk), kernel.pmap().kvaStart()) < 0) {
            throw Kassert.panic("BADFREE2");
        }

        // The first free of a fully allocated zone puts it back, at the head ("mature"), giving
        // its remaining chunks time to come back while other zones serve allocations.
        int nfree = StructSLZone.z_NFree(km, z);
        StructSLZone.z_NFree(km, z, nfree + 1);
        if (nfree == 0) {
            zoneList.tailqInsertHead(StructSLGlobalData.ZoneAry(slgd, StructSLZone.z_ZoneIndex(km, z)), z);
        }

        long use = StructMallocType.ks_use(km, type, cpuid);
        StructKmallocUse.inuse(km, use, StructKmallocUse.inuse(km, use) - 1);
        StructKmallocUse.memuse(km, use, StructKmallocUse.memuse(km, use) - StructSLZone.z_ChunkSize(km, z));

        checkZoneFree(slgd, z);
        lwkt.critExit();
    }

    // ---- INVARIANTS chunk bitmap ----------------------------------------------------------

    /**
     * chunk_mark_allocated() (INVARIANTS): sets the chunk's bit; panics if the chunk is outside
     * the zone or already allocated.
     */
    private void chunkMarkAllocated(long z, long chunk) {
        if (!invariants()) {
            return;
        }
        int bitdex = (int) ((chunk - StructSLZone.z_BasePtr(km, z)) / StructSLZone.z_ChunkSize(km, z));
        Kassert.kkassert(((chunk ^ z) & zoneMask()) == 0, "(((intptr_t)chunk ^ (intptr_t)z) & ZoneMask) == 0",
                "chunk_mark_allocated");
        Kassert.kassert(bitdex >= 0 && bitdex < StructSLZone.z_NMax(km, z),
                () -> String.format("memory chunk 0x%x bit index %d is illegal", chunk, bitdex));
        long bitptr = z + StructSLZone.offsetofBitmap(bitdex >> 5);
        int bit = 1 << (bitdex & 31);
        Kassert.kassert((km.load32(bitptr) & bit) == 0,
                () -> String.format("memory chunk 0x%x is already allocated!", chunk));
        km.store32(bitptr, km.load32(bitptr) | bit);
    }

    /**
     * chunk_mark_free() (INVARIANTS): clears the chunk's bit; panics if the chunk is outside the
     * zone or already free (a double kfree).
     */
    private void chunkMarkFree(long z, long chunk) {
        if (!invariants()) {
            return;
        }
        int bitdex = (int) ((chunk - StructSLZone.z_BasePtr(km, z)) / StructSLZone.z_ChunkSize(km, z));
        Kassert.kkassert(((chunk ^ z) & zoneMask()) == 0, "(((intptr_t)chunk ^ (intptr_t)z) & ZoneMask) == 0",
                "chunk_mark_free");
        Kassert.kassert(bitdex >= 0 && bitdex < StructSLZone.z_NMax(km, z),
                () -> String.format("memory chunk 0x%x bit index %d is illegal!", chunk, bitdex));
        long bitptr = z + StructSLZone.offsetofBitmap(bitdex >> 5);
        int bit = 1 << (bitdex & 31);
        Kassert.kassert((km.load32(bitptr) & bit) != 0,
                () -> String.format("memory chunk 0x%x is already free!", chunk));
        km.store32(bitptr, km.load32(bitptr) & ~bit);
    }

    // ---- kmem_slab_alloc / kmem_slab_free -------------------------------------------------

    /**
     * kmem_slab_alloc(): allocates {@code size} bytes (rounded to pages) of wired kernel memory
     * at a multiple of {@code align} (a page multiple) in kernel_map, backed by kernel_object.
     *
     * <ol>
     * <li>Reserves MAP_RESERVE_COUNT map entries (may block in zalloc), enters a critical
     *     section, locks kernel_map (may block) and finds space (may grow the kernel page
     *     tables). No space: panic "kmem_slab_alloc(): kernel_map ran out of space!", or NULL
     *     with M_NULLOK.</li>
     * <li>Inserts the range into kernel_map for kernel_object and marks it wired.</li>
     * <li>M_ZERO -> VM_ALLOC_ZERO, M_USE_RESERVE -> SYSTEM, M_USE_INTERRUPT_RESERVE -> INTERRUPT,
     *     M_WAITOK adds NORMAL; neither M_RNOWAIT nor M_WAITOK panics "bad flags".</li>
     * <li>Allocates the pages one by one. A failure with M_WAITOK sleeps in vm_wait(0) and
     *     retries that page, holding the pages already obtained; without M_WAITOK it frees them,
     *     deletes the range and returns NULL.</li>
     * <li>Maps each page wired (pmap_enter), zeroes it for M_ZERO, marks it referenced and
     *     unbusies it; then invalidates every TLB.</li>
     * </ol>
     * Returns the address, or 0 (NULL). May block (see above), whatever the flags.
     *
     * <p>PORT: td_preempted is always NULL (no preempting interrupt threads), so M_WAITOK always
     * means VM_ALLOC_NORMAL and vm_wait(0), never lwkt_switch(). The "bad flags" panic lacks the
     * C's caller return address (there is none to print). The frame "kmem_slab_alloc" is
     * pushed so that deadlock reports show the sleep under it.
     */
    public long kmemSlabAlloc(long size, long align, int flags) {
        lwkt.pushFrame("kmem_slab_alloc");
        try {
            long traceT0 = kernel.trace().start(KernelEvents.ALLOC_SLAB);
            long addr = kmemSlabAllocFramed(size, align, flags);
            kernel.trace().slab(size, flags, addr, traceT0);
            return addr;
        } finally {
            lwkt.popFrame();
        }
    }

    private long kmemSlabAllocFramed(long size, long align, int flags) {
        VmMap vmMap = kernel.vmMap();
        VmObject vmObject = kernel.vmObject();
        VmPage vmPage = vmPage();
        long kernelMap = vmMap.kernelMap();
        long kernelObject = vmObject.kernelObject();

        size = Param.roundPage(size);
        long addr = vmMap.vmMapMin(kernelMap);
        kernel.reclaimCheck().slab(size, flags);    // dfemu: reclaim-context checker

        int[] count = {vmMap.vmMapEntryReserve(MAP_RESERVE_COUNT)};
        lwkt.critEnter();
        vmMap.vmMapLock(kernelMap);
        long[] addrp = {addr};
        if (vmMap.vmMapFindspace(kernelMap, addr, size, align, 0, addrp) != 0) {
            kernel.swapmetaPaths().kvaFailure(kernelMap);    // dfemu: SWAPMETA path counters
            vmMap.vmMapUnlock(kernelMap);
            if ((flags & M_NULLOK) == 0) {
                throw Kassert.panic("kmem_slab_alloc(): kernel_map ran out of space!");
            }
            vmMap.vmMapEntryRelease(count[0]);
            lwkt.critExit();
            return 0;
        }
        addr = addrp[0];

        // kernel_object maps 1:1 to kernel_map.
        vmObject.vmObjectHold(kernelObject);
        vmObject.vmObjectReferenceLocked(kernelObject);
        vmMap.vmMapInsert(kernelMap, count, kernelObject, 0, addr, 0, addr, addr + size,
                VM_MAPTYPE_NORMAL, VM_SUBSYS_KMALLOC, Vm.VM_PROT_ALL, Vm.VM_PROT_ALL, 0);
        vmObject.vmObjectDrop(kernelObject);
        vmMap.vmMapSetWiredQuick(kernelMap, addr, size, count);
        vmMap.vmMapUnlock(kernelMap);

        int baseVmflags = 0;
        if ((flags & M_ZERO) != 0) {
            baseVmflags |= VmPage.VM_ALLOC_ZERO;
        }
        if ((flags & M_USE_RESERVE) != 0) {
            baseVmflags |= VmPage.VM_ALLOC_SYSTEM;
        }
        if ((flags & M_USE_INTERRUPT_RESERVE) != 0) {
            baseVmflags |= VmPage.VM_ALLOC_INTERRUPT;
        }
        if ((flags & (M_RNOWAIT | M_WAITOK)) == 0) {
            throw Kassert.panic("kmem_slab_alloc: bad flags %08x", flags);
        }

        // Allocate the pages, not mapped yet. (VM_ALLOC_NORMAL only when not preempting; see
        // the PORT note.)
        int vmflags = baseVmflags;
        if ((flags & M_WAITOK) != 0) {
            vmflags |= VmPage.VM_ALLOC_NORMAL;
        }

        vmObject.vmObjectHold(kernelObject);
        long mbase = 0;
        long i;
        boolean inject = kernel.failAlloc().kmemSlabAlloc(flags);    // dfemu: fault injection (FailAlloc)
        for (i = 0; i < size; i += PAGE_SIZE) {
            long m = inject ? 0 : vmPage.vmPageAlloc(kernelObject, offToIdx(addr + i), vmflags);
            inject = false;
            if (i == 0) {
                mbase = m;
            }
            // Failed: return NULL, or with M_WAITOK wait for memory and retry this page.
            if (m == 0) {
                if ((flags & M_WAITOK) != 0) {
                    vmPage.vmWait(0);
                    i -= PAGE_SIZE;
                    continue;
                }
                break;
            }
        }

        // Allocation failure: give back what we got and the KVA.
        if (i != size) {
            while (i != 0) {
                i -= PAGE_SIZE;
                long m = vmPage.vmPageLookup(kernelObject, offToIdx(addr + i));
                // page should already be busy
                kernel.vmPage2().vmPageFree(m);
            }
            vmMap.vmMapLock(kernelMap);
            vmMap.vmMapDelete(kernelMap, addr, addr + size, count);
            vmMap.vmMapUnlock(kernelMap);
            vmObject.vmObjectDrop(kernelObject);

            vmMap.vmMapEntryRelease(count[0]);
            lwkt.critExit();
            return 0;
        }

        // Success. The pages are still busied; mbase is the first, the rest follow by pindex.
        vmObject.vmObjectDrop(kernelObject);
        lwkt.critExit();

        Pmap pmap = kernel.pmap();
        long m = mbase;
        i = 0;
        while (i < size) {
            StructVmPage.valid(km, m, StructVmPage.VM_PAGE_BITS_ALL);
            vmPage.vmPageWire(m);
            pmap.pmapEnter(pmap.kernelPmap(), addr + i, m, Vm.VM_PROT_ALL | Vm.VM_PROT_NOSYNC, true, 0);
            if ((flags & M_ZERO) != 0) {
                km.bzero(addr + i, PAGE_SIZE);
            }
            Kassert.kkassert((StructVmPage.flags(km, m) & (StructVmPage.PG_WRITEABLE | StructVmPage.PG_MAPPED)) != 0,
                    "m->flags & (PG_WRITEABLE | PG_MAPPED)", "kmem_slab_alloc");
            kernel.vmPage2().vmPageFlagSet(m, StructVmPage.PG_REFERENCED);
            vmPage.vmPageWakeup(m);

            i += PAGE_SIZE;
            vmObject.vmObjectHold(kernelObject);
            m = vmPage.vmPageNext(m);
            vmObject.vmObjectDrop(kernelObject);
        }
        pmap.pmapInval().smpInvltlb();
        vmMap.vmMapEntryRelease(count[0]);
        return addr;
    }

    /** OFF_TO_IDX(): the kernel_object page index of a kernel address. */
    private static long offToIdx(long off) {
        return off >>> PAGE_SHIFT;
    }

    /**
     * kmem_slab_free(): removes [ptr, ptr + size) from kernel_map in a critical section, which
     * unmaps and frees its pages. May block (kernel_map lock).
     */
    public void kmemSlabFree(long ptr, long size) {
        lwkt.critEnter();
        kernel.vmMap().vmMapRemove(kernel.vmMap().kernelMap(), ptr, ptr + size);
        lwkt.critExit();
    }
}
