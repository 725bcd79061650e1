package org.dfemu.kernel.kern;

import org.dfemu.emulator.api.Tunable;
import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.harness.trace.KernelEvents;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.Exislock;
import org.dfemu.kernel.sys.Malloc;
import org.dfemu.kernel.sys.StructKMGlobalData;
import org.dfemu.kernel.sys.StructKmallocMgt;
import org.dfemu.kernel.sys.StructKmallocSlab;
import org.dfemu.kernel.sys.StructKmallocUse;
import org.dfemu.kernel.sys.StructMallocType;
import org.dfemu.kernel.sys.Sysctl;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.List;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.sys.Malloc.M_INTNOWAIT;
import static org.dfemu.kernel.sys.Malloc.M_NOSLABWAIT;
import static org.dfemu.kernel.sys.Malloc.M_NULLOK;
import static org.dfemu.kernel.sys.Malloc.M_WAITOK;
import static org.dfemu.kernel.sys.Malloc.M_ZERO;
import static org.dfemu.kernel.sys.StructKmallocSlab.KMALLOC_LOOSE_SIZE;
import static org.dfemu.kernel.sys.StructKmallocSlab.KMALLOC_MAXFREEMAGS;
import static org.dfemu.kernel.sys.StructKmallocSlab.KMALLOC_SLAB_MAGIC;
import static org.dfemu.kernel.sys.StructKmallocSlab.KMALLOC_SLAB_MASK;
import static org.dfemu.kernel.sys.StructKmallocSlab.KMALLOC_SLAB_SIZE;
import static org.dfemu.kernel.sys.StructKmallocSlab.KMGD_MAXFREESLABS;
import static org.dfemu.kernel.sys.StructMallocType.KSF_OBJSIZE;

/**
 * kern_kmalloc.c: DragonFly BSD sys/kern/kern_kmalloc.c at commit 737b020b54 (2021-05-28; the
 * file as of ec445c86a5 and d11da0c9d9, 2021-05-18), the kmalloc_obj allocator: type-stable,
 * single-size zones whose memory goes back to the system, unfragmented, when the zone is
 * destroyed.
 *
 * <p>Vocabulary. A <em>zone</em> is a malloc_type with KSF_OBJSIZE. Its memory comes in
 * <em>slabs</em> of 128 KiB, 128 KiB-aligned, each with an in-band header
 * ({@link StructKmallocSlab}), a circular array fobjs[] of free-object pointers, then the objects:
 * <pre>
 *   slab (KMALLOC_SLAB_SIZE-aligned)
 *   +--------------+-----------------------+-----+--------------------------------------+
 *   | kmalloc_slab | fobjs[0 .. ncount-1]  | pad | obj 0 | obj 1 | ...     | obj ncount-1 |
 *   +--------------+-----------------------+-----+--------------------------------------+
 *   ^slab          ^352                          ^offset (cache-line aligned)
 * </pre>
 * Beware the list names, which count free objects: <em>full</em> = every object free,
 * <em>partial</em> = some free, <em>empty</em> = none free (or not re-examined since).
 *
 * <p>Index structures. Each cpu has two slabs, {@code active} and {@code alternate}, in its
 * {@code ks_use[cpu].mgt}; the zone has the lists {@code partial}, {@code full} and
 * {@code empty} in {@code ks_mgt} (the "ggm", under its spinlock). Each cpu also caches up to
 * kern.kzone_cache (128) typeless free slabs in {@code gd_kmslab}. Slabs rotate
 * <pre>
 *   G(partial, full) -> active -> alternate -> G(empty)
 * </pre>
 *
 * <p>Field ownership: active/alternate, free_slabs: the owning cpu only (critical section);
 * partial/full/empty and counts: under ggm->spin; remote_free_slabs: atomic swap or push only;
 * free_count: atomic ops only; findex/xindex: atomic ops (frees may come from any cpu); aindex:
 * the cpu whose active slab it is.
 *
 * <p>Algorithm, _kmalloc_obj():
 * <ol>
 * <li>Limit check (the only use of the caller's flags, but for M_ZERO).</li>
 * <li>An object from the active slab, else from the alternate (swapping the two).</li>
 * <li>Rotate a slab in from ggm->partial, then ggm->full; the old alternate goes to the tail of
 *     ggm->empty. Retry.</li>
 * <li>Nothing there: re-examine up to 16 slabs of ggm->empty (poll_empty_locked) and rotate
 *     again if that found some.</li>
 * <li>Otherwise a new slab: the cpu's gd cache, else kmem_slab_alloc(KMALLOC_SLAB_SIZE,
 *     KMALLOC_SLAB_SIZE, M_WAITOK) <em>whatever the caller's flags</em>: VM_ALLOC_NORMAL, never
 *     the free-page reserve, sleeping in vm_wait page by page (docs/dragonfly-map.md §5.3,
 *     behaviour 6; the subject of the 2021-05-14 mail, docs/the-question.md). Carve it, rotate
 *     it in as active, retry.</li>
 * </ol>
 * VARIANT kmalloc_obj_reserve (a zone flagged KSF_OBJRESERVE; vm.swapmeta_alloc): whenever
 * step 3 takes a slab from ggm->full, and after step 5, ggm->full is topped up to
 * kern.kmalloc_obj_reserve_slabs ready slabs, from the cpu's slab cache (gslab_alloc) as
 * _kmalloc_obj's new-slab path, else with kmem_slab_alloc(..., M_INTNOWAIT)
 * ({@link #kmallocObjReserveFill}). Zones without the flag run the code above unchanged.
 * VARIANT kmalloc_obj_nowait (a caller passing the dfemu flag M_NOSLABWAIT with M_NULLOK and
 * without M_WAITOK): in step 5 it gets kmem_slab_alloc(..., its other flags) instead of M_WAITOK,
 * and NULL when that fails.
 *
 * <p>_kfree_obj() only records the free in the slab (findex, fobjs[], xindex), lock-free; a slab
 * on ggm->empty that regains objects is found only by a later poll, and memory returns to the
 * VM only when the kmalloc_poller retires full slabs beyond KMALLOC_MAXFREEMAGS (4) per zone,
 * kern.kzone_bretire (4) per poll, first into the gd caches.
 *
 * <p>Globals (data segment): {@code kslab_dummy} (a slab with no objects, the initial
 * active/alternate so the fast path needs no NULL test), KMGDMaxFreeSlabs, kzone_bretire,
 * kzone_debug, and one {@code KMGlobalData} per cpu.
 *
 * <p>PORT: {@code gd->gd_kmslab} is a member of struct globaldata in the C; here the per-cpu
 * KMGlobalData are an array laid out by this file ({@link #kmgd}). KTR logging is not ported.
 */
public final class KernKmalloc {
    private static final StructLayout GLOBALS = MemoryLayout.structLayout(
            StructKmallocSlab.layout().withName("kslab_dummy"),
            C_INT.withName("KMGDMaxFreeSlabs"),
            C_INT.withName("kzone_bretire"),
            C_INT.withName("kzone_debug"),
            C_INT.withName("kmalloc_obj_reserve_slabs")).withName("kern_kmalloc_globals");
    private static final long KSLAB_DUMMY = Ctypes.offset(GLOBALS, "kslab_dummy");
    private static final long KMGD_MAX_FREE_SLABS = Ctypes.offset(GLOBALS, "KMGDMaxFreeSlabs");
    private static final long KZONE_BRETIRE = Ctypes.offset(GLOBALS, "kzone_bretire");
    private static final long KZONE_DEBUG = Ctypes.offset(GLOBALS, "kzone_debug");
    private static final long KMALLOC_OBJ_RESERVE_SLABS = Ctypes.offset(GLOBALS, "kmalloc_obj_reserve_slabs");

    private static final long NEXT = StructKmallocSlab.next$OFFSET;

    private final Kernel kernel;
    private final KernelMemory km;
    private final Lwkt lwkt;
    private final Exislock exis;
    private final long globals;
    private final long kslabDummy;
    private final long kmgdBase;

    /** VARIANT: ready slabs a KSF_OBJRESERVE zone keeps (the kmalloc_obj_reserve variant of vm.swapmeta_alloc). */
    public static final Tunable KERN_KMALLOC_OBJ_RESERVE_SLABS = Tunable.integer("kern.kmalloc_obj_reserve_slabs", "3", 0, 64,
            "empty slabs kmalloc_obj_reserve, kmalloc_obj_nowait and kmalloc_obj_intnowait keep ready per zone (read by those variants only)");

    /**
     * VARIANT: whether _kmalloc_obj tops a KSF_OBJRESERVE zone's ready slabs up again (1, the
     * mail's proposal) or the zone keeps only the slabs built at swap init (0).
     */
    public static final Tunable KERN_KMALLOC_OBJ_RESERVE_REFILL = Tunable.flag("kern.kmalloc_obj_reserve_refill", "1",
            "kmalloc_obj_reserve, _nowait and _intnowait refill their ready slabs with non-blocking allocations (0: only the slabs built at swap init)");

    /** The tunables kern_kmalloc.c fetches, in the order reports list them. */
    public static final List<Tunable> TUNABLES = List.of(KERN_KMALLOC_OBJ_RESERVE_SLABS, KERN_KMALLOC_OBJ_RESERVE_REFILL);

    // VARIANT: kern.kmalloc_obj_reserve_refill, boot configuration (a Java field, as SwapPager's
    // allocator choice, so that kern_kmalloc.c's globals keep their layout).
    private final boolean reserveRefill;

    /** (boot only) Lays out kern_kmalloc.c's globals and each cpu's KMGlobalData; registers its sysctls. */
    public KernKmalloc(Kernel kernel, DataSegment data, Sysctl sysctl) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.lwkt = kernel.lwkt();
        this.exis = new Exislock(km, kernel.kernClock());
        this.globals = data.alloc(GLOBALS);
        this.kslabDummy = globals + KSLAB_DUMMY;
        this.kmgdBase = data.alloc(StructKMGlobalData.SIZEOF * kernel.config().ncpus(), 64);

        km.store32(globals + KMGD_MAX_FREE_SLABS, KMGD_MAXFREESLABS);
        km.store32(globals + KZONE_BRETIRE, 4);

        sysctl.sysctlInt("kern.kzone_cache", globals + KMGD_MAX_FREE_SLABS, "");
        sysctl.sysctlInt("kern.kzone_bretire", globals + KZONE_BRETIRE, "");
        sysctl.sysctlInt("kern.kzone_debug", globals + KZONE_DEBUG, "");
        km.store32(globals + KMALLOC_OBJ_RESERVE_SLABS, kernel.kenv().fetchInt(KERN_KMALLOC_OBJ_RESERVE_SLABS));
        sysctl.sysctlInt("kern.kmalloc_obj_reserve_slabs", globals + KMALLOC_OBJ_RESERVE_SLABS,
                "VARIANT: ready slabs kept per KSF_OBJRESERVE zone");
        this.reserveRefill = kernel.kenv().fetchFlag(KERN_KMALLOC_OBJ_RESERVE_REFILL);
        sysctl.sysctlProc("kern.kmalloc_obj_reserve_refill", () -> reserveRefill ? 1 : 0,
                "VARIANT: KSF_OBJRESERVE zones refill their ready slabs");
    }

    /** {@code &kslab_dummy}: the slab without objects that stands in for "no slab". */
    public long kslabDummy() { return kslabDummy; }

    /** {@code &globaldata_find(cpu)->gd_kmslab} (see the class PORT note). */
    public long kmgd(int cpu) { return kmgdBase + cpu * StructKMGlobalData.SIZEOF; }

    private int kmgdMaxFreeSlabs() { return km.load32(globals + KMGD_MAX_FREE_SLABS); }

    private int kzoneBretire() { return km.load32(globals + KZONE_BRETIRE); }

    /**
     * A list head held in a C local variable ({@code res}/{@code resp}, {@code base}/{@code basep}):
     * the head and the address of the last slab's {@code next}, where 0 stands for
     * {@code &head}, which has no kernel address.
     */
    private final class LocalSlabList {
        long head;
        long tailp;

        /** {@code *tailp = slab; tailp = &slab->next}. */
        void append(long slab) {
            set(tailp, slab);
            tailp = slab + NEXT;
        }

        /** {@code *tailp = NULL}. */
        void terminate() {
            set(tailp, 0);
        }

        private void set(long p, long v) {
            if (p == 0) {
                head = v;
            } else {
                km.store64(p, v);
            }
        }
    }

    private static void assertSlabAligned(long slab, String func) {
        Kassert.kkassert((slab & KMALLOC_SLAB_MASK) == 0, "((uintptr_t)slab & KMALLOC_SLAB_MASK) == 0", func);
    }

    // ---- the per-cpu free-slab cache ------------------------------------------------------

    /**
     * gslab_cache(): caches a chain of slabs on their original cpus' free-slab caches (pushed
     * atomically onto remote_free_slabs, runs of the same cpu at a time), removing their type.
     * Returns the part that did not fit (caches at kern.kzone_cache), NULL if all did. Never
     * blocks.
     */
    private long gslabCache(long slab) {
        LocalSlabList res = new LocalSlabList();
        assertSlabAligned(slab, "gslab_cache");

        // Clip off, per original cpu, as many slabs as its cache takes.
        while (slab != 0) {
            int cpuid = StructKmallocSlab.orig_cpuid(km, slab);
            long rgd = kmgd(cpuid);

            assertSlabAligned(slab, "gslab_cache");
            // Doesn't fit in the cache: onto the return list.
            if (StructKMGlobalData.free_count(km, rgd) >= kmgdMaxFreeSlabs()) {
                res.append(slab);
                slab = StructKmallocSlab.next(km, slab);
                continue;
            }

            // Collect a run of this cpu's slabs; cached slabs belong to no type. (Matching the
            // original cpu is not required, only good for locality.)
            long slabp = slab + NEXT;
            long count = 1;
            StructKmallocSlab.type(km, slab, 0);

            long next;
            while ((next = km.load64(slabp)) != 0
                    && StructKmallocSlab.orig_cpuid(km, next) == cpuid
                    && StructKMGlobalData.free_count(km, rgd) + count < kmgdMaxFreeSlabs()) {
                assertSlabAligned(next, "gslab_cache");
                StructKmallocSlab.type(km, next, 0);
                ++count;
                slabp = next + NEXT;
            }

            // Unhook the run from next before prepending it to remote_free_slabs.
            km.store64(slabp, 0);

            // Pump the count first (the chain may race it), then push the run atomically.
            km.fetchAdd64(rgd + StructKMGlobalData.free_count$OFFSET, count);
            long save = StructKMGlobalData.remote_free_slabs(km, rgd);
            for (;;) {
                assertSlabAligned(save, "gslab_cache");
                km.store64(slabp, save);
                if (km.cas64(rgd + StructKMGlobalData.remote_free_slabs$OFFSET, save, slab)) {
                    break;
                }
                save = StructKMGlobalData.remote_free_slabs(km, rgd);
            }

            slab = next;
        }

        res.terminate();
        return res.head;
    }

    /**
     * gslab_alloc(): a free slab from the current cpu's cache, swapping in the remotely pushed
     * list when the local one is empty; NULL if both are. Current cpu only, never blocks.
     */
    private long gslabAlloc(long gd) {
        long slab = StructKMGlobalData.free_slabs(km, gd);
        if (slab == 0) {
            slab = km.swap64(gd + StructKMGlobalData.remote_free_slabs$OFFSET, 0);
            assertSlabAligned(slab, "gslab_alloc");
        }
        if (slab != 0) {
            StructKMGlobalData.free_slabs(km, gd, StructKmallocSlab.next(km, slab));
            StructKmallocSlab.next(km, slab, 0);
            km.fetchAdd64(gd + StructKMGlobalData.free_count$OFFSET, -1);
            assertSlabAligned(slab, "gslab_alloc");
        }
        return slab;
    }

    // ---- mgt life cycle -------------------------------------------------------------------

    /**
     * malloc_mgt_init(): clears {@code mgt}, points active and alternate at kslab_dummy, empties
     * the lists, and computes the slab geometry for {@code size}-byte objects (size already
     * cache-line aligned): {@code count = (128K - offsetof(fobjs[0])) / (size + 8)}, then
     * {@code offset = cacheline_align(offsetof(fobjs[count]))}, decrementing count while the
     * objects would overrun the slab. No requirements; never blocks.
     */
    public void mallocMgtInit(long type, long mgt, long size) {
        km.bzero(mgt, StructKmallocMgt.SIZEOF);
        lwkt.spinInit(mgt + StructKmallocMgt.spin$OFFSET);

        // The dummy slabs have no objects, which spares the fast path a NULL test.
        StructKmallocMgt.active(km, mgt, kslabDummy);
        StructKmallocMgt.alternate(km, mgt, kslabDummy);
        StructKmallocMgt.empty_tailp(km, mgt, mgt + StructKmallocMgt.empty$OFFSET);

        // fobjs[] costs a pointer per object, so it counts in the object size; alignment is
        // ignored here and checked below.
        long offset = StructKmallocSlab.offsetofFobjs(0);
        long count = (KMALLOC_SLAB_SIZE - offset) / (size + 8);

        // The division rounds down, so the aligned first object should always fit; the C checks
        // anyway, in case the computation above changes.
        offset = Malloc.VM_CACHELINE_ALIGN(StructKmallocSlab.offsetofFobjs(count));
        while (offset + size * count > KMALLOC_SLAB_SIZE) {
            --count;
            offset = Malloc.VM_CACHELINE_ALIGN(StructKmallocSlab.offsetofFobjs(count));
            Kassert.kkassert(offset + size * count <= KMALLOC_SLAB_SIZE,
                    "offset + size * count <= KMALLOC_SLAB_SIZE", "malloc_mgt_init");
        }

        StructKmallocMgt.slab_offset(km, mgt, offset);
        StructKmallocMgt.slab_count(km, mgt, count);
    }

    /**
     * malloc_mgt_relocate(): {@code dst} is a byte copy of {@code src}: re-initialises its
     * spinlock and re-derives empty_tailp, which pointed into {@code src}. Never blocks.
     */
    public void mallocMgtRelocate(long src, long dst) {
        lwkt.spinInit(dst + StructKmallocMgt.spin$OFFSET);
        long slabp = dst + StructKmallocMgt.empty$OFFSET;
        while (km.load64(slabp) != 0) {
            slabp = km.load64(slabp) + NEXT;
        }
        StructKmallocMgt.empty_tailp(km, dst, slabp);
    }

    /**
     * malloc_mgt_uninit(): destroys every slab of {@code mgt} (active, alternate and the three
     * lists) with malloc_slab_destroy(). May block (kmem_slab_free).
     */
    public void mallocMgtUninit(long type, long mgt) {
        if (StructKmallocMgt.active(km, mgt) != kslabDummy) {
            mallocSlabDestroy(type, mgt + StructKmallocMgt.active$OFFSET);
        }
        StructKmallocMgt.active(km, mgt, 0);

        if (StructKmallocMgt.alternate(km, mgt) != kslabDummy) {
            mallocSlabDestroy(type, mgt + StructKmallocMgt.alternate$OFFSET);
        }
        StructKmallocMgt.alternate(km, mgt, 0);

        mallocSlabDestroy(type, mgt + StructKmallocMgt.partial$OFFSET);
        mallocSlabDestroy(type, mgt + StructKmallocMgt.full$OFFSET);
        mallocSlabDestroy(type, mgt + StructKmallocMgt.empty$OFFSET);
        StructKmallocMgt.npartial(km, mgt, 0);
        StructKmallocMgt.nfull(km, mgt, 0);
        StructKmallocMgt.nempty(km, mgt, 0);
        StructKmallocMgt.empty_tailp(km, mgt, mgt + StructKmallocMgt.empty$OFFSET);
    }

    /**
     * malloc_slab_destroy(): unlinks the wholly free slabs of the list at {@code slabp}, caches
     * what fits on their original cpus and gives the rest back with kmem_slab_free(); slabs with
     * objects still allocated are reported and left on the list. May block.
     */
    private void mallocSlabDestroy(long type, long slabp) {
        if (km.load64(slabp) == 0) {
            return;
        }

        // Collect the destroyable slabs, complain about the rest.
        LocalSlabList base = new LocalSlabList();
        long slab;
        while ((slab = km.load64(slabp)) != 0) {
            assertSlabAligned(slab, "malloc_slab_destroy");
            long delta = StructKmallocSlab.findex(km, slab) - StructKmallocSlab.aindex(km, slab);
            if (delta == StructKmallocSlab.ncount(km, slab)) {
                km.store64(slabp, StructKmallocSlab.next(km, slab));   // unlink
                base.append(slab);                                      // onto base
            } else {
                kernel.kprintf(String.format("%s: slab 0x%x %d objects were still allocated",
                        StructMallocType.shortdesc(km, type), slab, StructKmallocSlab.ncount(km, slab) - delta));
                slabp = slab + NEXT;                                    // keep it, go on
            }
        }

        base.terminate();
        if (base.head == 0) {
            return;
        }
        long rest = gslabCache(base.head);

        // Destroy what the caches did not take.
        while ((slab = rest) != 0) {
            rest = StructKmallocSlab.next(km, slab);
            StructKmallocSlab.next(km, slab, -1L);
            kernel.kernSlaballoc().kmemSlabFree(slab, KMALLOC_SLAB_SIZE);
        }
    }

    // ---- polling ------------------------------------------------------------------------

    /**
     * malloc_mgt_poll_empty_locked(): kfree_obj() does not move slabs between lists, so slabs on
     * ggm->empty may have regained objects. Re-examines up to {@code count} of them from the
     * head: all objects free to full (exis_terminate(), starting its type-safety timer), some to
     * partial, none rotated to the tail (stopping once the scan comes back to the first). Returns
     * true if partial or full gained a slab. Caller holds ggm->spin; never blocks.
     */
    private boolean mallocMgtPollEmptyLocked(long ggm, int count) {
        if (StructKmallocMgt.empty(km, ggm) == 0) {
            return false;
        }

        boolean gotSomething = false;
        long marker = StructKmallocMgt.empty(km, ggm);
        long slab;

        while (count-- != 0 && (slab = StructKmallocMgt.empty(km, ggm)) != 0) {
            // Unlink from empty.
            StructKmallocMgt.empty(km, ggm, StructKmallocSlab.next(km, slab));
            StructKmallocSlab.next(km, slab, 0);
            StructKmallocMgt.nempty(km, ggm, StructKmallocMgt.nempty(km, ggm) - 1);
            if (StructKmallocMgt.empty_tailp(km, ggm) == slab + NEXT) {
                StructKmallocMgt.empty_tailp(km, ggm, ggm + StructKmallocMgt.empty$OFFSET);
            }

            // For a fully freeable slab xindex would matter too; findex suffices to classify.
            long delta = StructKmallocSlab.findex(km, slab) - StructKmallocSlab.aindex(km, slab);
            if (delta == StructKmallocSlab.ncount(km, slab)) {
                // To full, with the exis sequence started.
                Kassert.kkassert(StructKmallocSlab.next(km, slab) == 0, "slab->next == NULL",
                        "malloc_mgt_poll_empty_locked");
                exis.exisTerminate(StructKmallocSlab.exis(slab));
                StructKmallocSlab.next(km, slab, StructKmallocMgt.full(km, ggm));
                StructKmallocMgt.full(km, ggm, slab);
                gotSomething = true;
                StructKmallocMgt.nfull(km, ggm, StructKmallocMgt.nfull(km, ggm) + 1);
            } else if (delta != 0) {
                // Partially full.
                Kassert.kkassert(StructKmallocSlab.next(km, slab) == 0, "slab->next == NULL",
                        "malloc_mgt_poll_empty_locked");
                StructKmallocSlab.next(km, slab, StructKmallocMgt.partial(km, ggm));
                StructKmallocMgt.partial(km, ggm, slab);
                gotSomething = true;
                StructKmallocMgt.npartial(km, ggm, StructKmallocMgt.npartial(km, ggm) + 1);
            } else {
                // Empty: to the tail.
                Kassert.kkassert(StructKmallocSlab.next(km, slab) == 0, "slab->next == NULL",
                        "malloc_mgt_poll_empty_locked");
                km.store64(StructKmallocMgt.empty_tailp(km, ggm), slab);
                StructKmallocMgt.empty_tailp(km, ggm, slab + NEXT);
                StructKmallocMgt.nempty(km, ggm, StructKmallocMgt.nempty(km, ggm) + 1);
                if (StructKmallocMgt.empty(km, ggm) == marker) {
                    break;
                }
            }
        }
        return gotSomething;
    }

    /**
     * malloc_mgt_poll(): the poller's work on one type (once a second by default, the type kept
     * from destruction by KSF_POLLING): poll_empty_locked(16), then, if the zone has more than
     * KMALLOC_MAXFREEMAGS full slabs, retire up to kzone_bretire of the first (nfull - 4, at most
     * 16) examined that are wholly free, finished with every kfree_obj (xindex == findex) and
     * freeable by their exis state; retired slabs go to the gd caches, the overflow to
     * kmem_slab_free(). Returns true when the caller should move to the next type (the scan
     * reached the end of the full list, or nothing was over the limit). Plain types: true at
     * once. May block (kmem_slab_free).
     */
    public boolean mallocMgtPoll(long type) {
        if ((StructMallocType.ks_flags(km, type) & KSF_OBJSIZE) == 0) {
            return true;
        }

        long ggm = StructMallocType.ks_mgt(type);
        lwkt.spinLock(ggm + StructKmallocMgt.spin$OFFSET);

        // Move empty slabs to partial or full as appropriate; partial slabs are not re-checked
        // for being full.
        mallocMgtPollEmptyLocked(ggm, 16);

        // Clean some of the full slabs out of the full list.
        LocalSlabList base = new LocalSlabList();
        long count = StructKmallocMgt.nfull(km, ggm);
        int retired = 0;
        boolean donext;

        if (count > KMALLOC_MAXFREEMAGS) {
            long slabp = ggm + StructKmallocMgt.full$OFFSET;
            count -= KMALLOC_MAXFREEMAGS;
            if (count > 16) {
                count = 16;
            }

            long slab;
            while (count != 0 && (slab = km.load64(slabp)) != 0) {
                long delta = StructKmallocSlab.findex(km, slab) - StructKmallocSlab.aindex(km, slab);
                if (delta == StructKmallocSlab.ncount(km, slab)
                        && StructKmallocSlab.xindex(km, slab) == StructKmallocSlab.findex(km, slab)
                        && exis.exisFreeable(StructKmallocSlab.exis(slab))) {
                    // (1) nothing allocated, as a slab on the full list should be; (2) every
                    // kfree_obj() has finished storing (findex alone is bumped before the store);
                    // (3) on the full list for enough pseudo_ticks for type safety.
                    km.store64(slabp, StructKmallocSlab.next(km, slab));
                    base.append(slab);
                    StructKmallocMgt.nfull(km, ggm, StructKmallocMgt.nfull(km, ggm) - 1);
                    StructKmallocMgt.gcache_count(km, ggm, StructKmallocMgt.gcache_count(km, ggm) + 1);
                    if (++retired == kzoneBretire()) {
                        break;
                    }
                } else {
                    slabp = slab + NEXT;
                }
                --count;
            }
            base.terminate();   // terminate the retirement list
            donext = km.load64(slabp) == 0;
        } else {
            donext = true;
        }
        lwkt.spinUnlock(ggm + StructKmallocMgt.spin$OFFSET);

        // Cache what fits, free the rest.
        if (retired != 0) {
            if (km.load32(globals + KZONE_DEBUG) != 0) {
                kernel.kprintf(String.format("kmalloc_poll: %s retire %d", StructMallocType.shortdesc(km, type), retired));
            }
            long rest = gslabCache(base.head);
            long slab;
            while ((slab = rest) != 0) {
                rest = StructKmallocSlab.next(km, rest);
                StructKmallocSlab.next(km, slab, 0);
                kernel.kernSlaballoc().kmemSlabFree(slab, KMALLOC_SLAB_SIZE);
            }
        }

        return donext;
    }

    // ---- the double-free bitmap (KMALLOC_CHECK_DOUBLE_FREE) --------------------------------

    private long bmapIndex(long slab, long obj) {
        return ((obj & KMALLOC_SLAB_MASK) - StructKmallocSlab.offset(km, slab)) / StructKmallocSlab.objsize(km, slab);
    }

    /** bmap_set(): marks {@code obj} allocated; panics if it is out of range or already allocated. */
    private void bmapSet(long slab, long obj) {
        long i = bmapIndex(slab, obj);
        long ptr = StructKmallocSlab.bmap(slab, i >>> 6);
        long mask = 1L << (i & 63);
        Kassert.kkassert(Long.compareUnsigned(i, StructKmallocSlab.ncount(km, slab)) < 0 && (km.load64(ptr) & mask) == 0,
                "i < slab->ncount && (*ptr & mask) == 0", "bmap_set");
        atomicSet64(ptr, mask);
    }

    /** bmap_clr(): marks {@code obj} free; panics if it is out of range or already free (a double free). */
    private void bmapClr(long slab, long obj) {
        long i = bmapIndex(slab, obj);
        long ptr = StructKmallocSlab.bmap(slab, i >>> 6);
        long mask = 1L << (i & 63);
        Kassert.kkassert(Long.compareUnsigned(i, StructKmallocSlab.ncount(km, slab)) < 0 && (km.load64(ptr) & mask) != 0,
                "i < slab->ncount && (*ptr & mask) != 0", "bmap_clr");
        atomicClear64(ptr, mask);
    }

    private void atomicSet64(long p, long bits) {
        long old;
        do {
            old = km.load64(p);
        } while (!km.cas64(p, old, old | bits));
    }

    private void atomicClear64(long p, long bits) {
        long old;
        do {
            old = km.load64(p);
        } while (!km.cas64(p, old, old & ~bits));
    }

    // ---- kmalloc_obj / kfree_obj ----------------------------------------------------------

    /**
     * kmalloc_obj(size, type, flags): the malloc.h entry point; {@code type} is the
     * {@code type##_obj} zone. The size is rounded up to the cache line, as the macro does.
     * PORT: the macro's constant-size M_ZERO folding is a plain call here.
     */
    public long kmallocObj(long size, long type, int flags) {
        long traceT0 = kernel.trace().start(KernelEvents.ALLOC_KMALLOC_OBJ);
        long p = _kmallocObj(Malloc.VM_CACHELINE_ALIGN(size), type, flags);
        kernel.trace().kmallocObj(type, Malloc.VM_CACHELINE_ALIGN(size), flags, p, traceT0);
        return p;
    }

    /**
     * _kmalloc_obj(): allocates one object of the zone {@code type}; {@code size} must be its
     * ks_objsize (panics otherwise). Follows the C's control flow exactly (see the class comment).
     * Returns the object, or 0 (NULL) only when the limit is reached and M_NULLOK is set; panics
     * past the limit without M_NULLOK. The caller's flags matter only there and for M_ZERO: a new
     * slab is always kmem_slab_alloc(..., M_WAITOK), so this may block in vm_wait (holding the
     * slab's pages obtained so far), in the kernel_map lock or the map-entry reserve, whatever the
     * flags, and panics if KVA runs out. VARIANT kmalloc_obj_nowait: a caller passing
     * M_NOSLABWAIT|M_NULLOK without M_WAITOK never sleeps for pages and gets NULL when no slab
     * can be had that way (it may still block for KVA, in the map-entry reserve or kernel_map lock).
     *
     * <p>The frame "_kmalloc_obj(TYPE)" is pushed on the slow path (from the global rotation on),
     * the only part with scheduling points.
     */
    public long _kmallocObj(long size, long type, int flags) {
        // Check limits.
        if (!kernel.kernSlaballoc().mallocLimitCheck(type, flags)) {
            return 0;
        }

        // Setup.
        lwkt.critEnter();
        Kassert.kkassert(size == StructMallocType.ks_objsize(km, type), "size == type->ks_objsize", "_kmalloc_obj");
        int cpuid = lwkt.mycpuid();
        long gd = kmgd(cpuid);
        long use = StructMallocType.ks_use(km, type, cpuid);
        long mgt = StructKmallocUse.mgt(use);
        boolean framed = false;

        long obj;
        try {
            found:
            for (;;) {
                // retry:
                // Check active. (obj can be NULL when racing a _kfree_obj().)
                long slab = StructKmallocMgt.active(km, mgt);        // might be dummy
                long delta = StructKmallocSlab.findex(km, slab) - StructKmallocSlab.aindex(km, slab);
                if (delta != 0) {                                    // cannot be dummy
                    long i = Long.remainderUnsigned(StructKmallocSlab.aindex(km, slab), StructKmallocSlab.ncount(km, slab));
                    obj = StructKmallocSlab.fobjs(km, slab, i);
                    if (obj != 0) {
                        StructKmallocSlab.fobjs(km, slab, i, 0);
                        StructKmallocSlab.aindex(km, slab, StructKmallocSlab.aindex(km, slab) + 1);
                        bmapSet(slab, obj);
                        break found;
                    }
                }

                // Check alternate; if it has something, swap it with active. Exhausted slabs can
                // regain objects through _kfree_obj(), so keep swapping until both are empty.
                slab = StructKmallocMgt.alternate(km, mgt);          // might be dummy
                delta = StructKmallocSlab.findex(km, slab) - StructKmallocSlab.aindex(km, slab);
                if (delta != 0) {                                    // cannot be dummy
                    StructKmallocMgt.alternate(km, mgt, StructKmallocMgt.active(km, mgt));
                    StructKmallocMgt.active(km, mgt, slab);
                    long i = Long.remainderUnsigned(StructKmallocSlab.aindex(km, slab), StructKmallocSlab.ncount(km, slab));
                    obj = StructKmallocSlab.fobjs(km, slab, i);
                    if (obj != 0) {
                        StructKmallocSlab.fobjs(km, slab, i, 0);
                        StructKmallocSlab.aindex(km, slab, StructKmallocSlab.aindex(km, slab) + 1);
                        bmapSet(slab, obj);
                        break found;
                    }
                }

                if (!framed) {
                    lwkt.pushFrame("_kmalloc_obj(" + StructMallocType.shortdesc(km, type) + ")");
                    framed = true;
                }

                // Rotate a slab from the global mgt into the pcpu mgt:
                //     G(partial, full) -> active -> alternate -> G(empty)
                // Partials first, to reduce fragmentation, then fulls.
                long ggm = StructMallocType.ks_mgt(type);
                long ggmSpin = ggm + StructKmallocMgt.spin$OFFSET;
                lwkt.spinLock(ggmSpin);

                boolean rotated = false;
                boolean tookReady = false;
                rerotate:
                for (;;) {
                    if (StructKmallocMgt.partial(km, ggm) != 0) {
                        slab = StructKmallocMgt.alternate(km, mgt);                          // might be dummy
                        StructKmallocMgt.alternate(km, mgt, StructKmallocMgt.active(km, mgt)); // might be dummy
                        long p = StructKmallocMgt.partial(km, ggm);
                        StructKmallocMgt.active(km, mgt, p);
                        StructKmallocMgt.partial(km, ggm, StructKmallocSlab.next(km, p));
                        StructKmallocSlab.next(km, p, 0);
                        StructKmallocMgt.npartial(km, ggm, StructKmallocMgt.npartial(km, ggm) - 1);
                        if (slab != kslabDummy) {
                            appendEmptyLocked(ggm, slab);
                        }
                        lwkt.spinUnlock(ggmSpin);
                        rotated = true;
                        break rerotate;
                    }

                    if (StructKmallocMgt.full(km, ggm) != 0) {
                        slab = StructKmallocMgt.alternate(km, mgt);                          // might be dummy
                        StructKmallocMgt.alternate(km, mgt, StructKmallocMgt.active(km, mgt)); // might be dummy
                        long f = StructKmallocMgt.full(km, ggm);
                        StructKmallocMgt.active(km, mgt, f);
                        StructKmallocMgt.full(km, ggm, StructKmallocSlab.next(km, f));
                        StructKmallocSlab.next(km, f, 0);
                        StructKmallocMgt.nfull(km, ggm, StructKmallocMgt.nfull(km, ggm) - 1);
                        exis.exisSetlive(StructKmallocSlab.exis(f));
                        if (slab != kslabDummy) {
                            appendEmptyLocked(ggm, slab);
                        }
                        lwkt.spinUnlock(ggmSpin);
                        rotated = true;
                        tookReady = true;
                        break rerotate;
                    }

                    // Nothing: scan a limited number of empty slabs for objects.
                    if (mallocMgtPollEmptyLocked(ggm, 16)) {
                        continue rerotate;
                    }
                    break rerotate;
                }
                if (rotated) {
                    // ---- VARIANT kmalloc_obj_reserve (begin) ----
                    if (tookReady && reserveZone(type)) {
                        kernel.swapmetaPaths().reserveTake();    // dfemu: SWAPMETA path counters
                    }
                    if (tookReady && reserveZone(type) && kmallocObjReserveRefill()) {
                        kmallocObjReserveFill(type, M_INTNOWAIT);
                    }
                    // ---- VARIANT kmalloc_obj_reserve (end) ----
                    continue;   // goto retry
                }

                // Absolutely nothing: a new slab, from the cpu's slab cache (cheap) or from
                // kmem_slab_alloc (expensive), rotated in.
                lwkt.spinUnlock(ggmSpin);

                if (StructKMGlobalData.free_count(km, gd) == 0 || (slab = gslabAlloc(gd)) == 0) {
                    // ---- VARIANT kmalloc_obj_nowait (begin) ----
                    // A caller that may not block for a slab (M_NOSLABWAIT with M_NULLOK, without
                    // M_WAITOK) gets one only if kmem_slab_alloc can build it with its flags, else NULL.
                    if ((flags & M_NOSLABWAIT) != 0 && (flags & (M_WAITOK | M_NULLOK)) == M_NULLOK) {
                        slab = kernel.kernSlaballoc().kmemSlabAlloc(KMALLOC_SLAB_SIZE, KMALLOC_SLAB_SIZE,
                                flags & ~(M_NOSLABWAIT | M_ZERO));
                        kernel.swapmetaPaths().nowaitSlabAlloc(type, slab);    // dfemu: SWAPMETA path counters
                        if (slab == 0) {
                            lwkt.critExit();
                            return 0;
                        }
                    } else {
                        // ---- VARIANT kmalloc_obj_nowait (end): the unchanged path ----
                        kernel.swapmetaPaths().blockingSlabAlloc(type);    // dfemu: SWAPMETA path counters
                        slab = kernel.kernSlaballoc().kmemSlabAlloc(KMALLOC_SLAB_SIZE, KMALLOC_SLAB_SIZE, M_WAITOK);
                    }
                }

                carve(type, use, slab, cpuid);

                // Rotate it in, then retry:  (NEW)slab -> active -> alternate -> G(empty)
                lwkt.spinLock(ggmSpin);
                if (StructKmallocMgt.alternate(km, mgt) != kslabDummy) {
                    long slabTmp = StructKmallocMgt.alternate(km, mgt);
                    StructKmallocSlab.next(km, slabTmp, 0);
                    appendEmptyLocked(ggm, slabTmp);
                }
                StructKmallocMgt.alternate(km, mgt, StructKmallocMgt.active(km, mgt));   // might be dummy
                StructKmallocMgt.active(km, mgt, slab);
                lwkt.spinUnlock(ggmSpin);

                // ---- VARIANT kmalloc_obj_reserve (begin) ----
                // The ready slabs ran out and the blocking allocation above had to be used:
                // rebuild the reserve now, without blocking for pages.
                if (reserveZone(type) && kmallocObjReserveRefill()) {
                    kmallocObjReserveFill(type, M_INTNOWAIT);
                }
                // ---- VARIANT kmalloc_obj_reserve (end) ----
            }
        } finally {
            if (framed) {
                lwkt.popFrame();
            }
        }

        // found: adjust statistics and return.
        StructKmallocUse.inuse(km, use, StructKmallocUse.inuse(km, use) + 1);
        StructKmallocUse.calls(km, use, StructKmallocUse.calls(km, use) + 1);
        StructKmallocUse.memuse(km, use, StructKmallocUse.memuse(km, use) + size);
        StructKmallocUse.loosememuse(km, use, StructKmallocUse.loosememuse(km, use) + size);
        if (StructKmallocUse.loosememuse(km, use) >= KMALLOC_LOOSE_SIZE) {
            // not MP synchronized
            StructMallocType.ks_loosememuse(km, type,
                    StructMallocType.ks_loosememuse(km, type) + StructKmallocUse.loosememuse(km, use));
            StructKmallocUse.loosememuse(km, use, 0);
        }

        // Remaining flags (M_ZERO is usually handled by the inline macro in the C).
        if ((flags & M_ZERO) != 0) {
            km.bzero(obj, size);
        }

        lwkt.critExit();
        return obj;
    }

    // ---- VARIANT kmalloc_obj_reserve ----------------------------------------------------------

    /**
     * VARIANT (vm.swapmeta_alloc=kmalloc_obj_reserve; not in DragonFly): whether {@code type}
     * keeps ready slabs (KSF_OBJRESERVE).
     */
    private boolean reserveZone(long type) {
        return (StructMallocType.ks_flags(km, type) & StructMallocType.KSF_OBJRESERVE) != 0;
    }

    /**
     * VARIANT: marks the kmalloc_obj zone {@code type} as one that keeps
     * kern.kmalloc_obj_reserve_slabs ready slabs (KSF_OBJRESERVE). (boot only: before the type's
     * first allocation.)
     */
    public void kmallocObjSetReserve(long type) {
        Kassert.kkassert((StructMallocType.ks_flags(km, type) & KSF_OBJSIZE) != 0, "type->ks_flags & KSF_OBJSIZE",
                "kmalloc_obj_set_reserve");
        StructMallocType.ks_flags(km, type, StructMallocType.ks_flags(km, type) | StructMallocType.KSF_OBJRESERVE);
    }

    /** VARIANT: {@code kern.kmalloc_obj_reserve_refill}: _kmalloc_obj refills the ready slabs. */
    public boolean kmallocObjReserveRefill() { return reserveRefill; }

    /** VARIANT: {@code kern.kmalloc_obj_reserve_slabs}. */
    public int kmallocObjReserveSlabs() { return km.load32(globals + KMALLOC_OBJ_RESERVE_SLABS); }

    /**
     * VARIANT kmalloc_obj_reserve, the proposal of the 2021-05-14 mail (docs/the-question.md,
     * points 4 and 5: keep N ready slabs per zone, topped up with non-blocking kmem_slab_alloc()
     * calls whenever an allocation uses one, falling back to a blocking one when none is left,
     * with M_INTNOWAIT so the refill may use the free-page reserve): builds new slabs for
     * {@code type} until ggm holds kern.kmalloc_obj_reserve_slabs ready ones, each taken as
     * _kmalloc_obj's own new-slab path takes one: from the cpu's slab cache (gslab_alloc, where
     * the poller's malloc_mgt_poll put the full slabs it retired beyond KMALLOC_MAXFREEMAGS) when
     * it holds any, else from kmem_slab_alloc(128K, {@code flags}).
     * With M_INTNOWAIT that takes VM_ALLOC_SYSTEM|INTERRUPT pages and gives up (keeping what it
     * built) at the first NULL: no free pages or no KVA; the next take retries.
     *
     * <p>A ready slab has every object free, so in this code's naming it sits on
     * <b>{@code ggm->full}</b> (the mail says "empty"; kern_kmalloc.c's lists count free
     * objects). _kmalloc_obj takes it from there before any new slab, and the poller retires full
     * slabs only beyond KMALLOC_MAXFREEMAGS (4) per zone, so a reserve of up to 4 survives it.
     * The carving is _kmalloc_obj's, for the calling cpu.
     *
     * <p>May block whatever the flags: kmem_slab_alloc reserves map entries and locks kernel_map
     * (the KVA dependency the mail names); with M_WAITOK also in vm_wait.
     */
    public void kmallocObjReserveFill(long type, int flags) {
        long ggm = StructMallocType.ks_mgt(type);
        long ggmSpin = ggm + StructKmallocMgt.spin$OFFSET;
        lwkt.pushFrame("kmalloc_obj_reserve_fill(" + StructMallocType.shortdesc(km, type) + ")");
        try {
            for (;;) {
                lwkt.spinLock(ggmSpin);
                long nfull = StructKmallocMgt.nfull(km, ggm);
                lwkt.spinUnlock(ggmSpin);
                if (nfull >= kmallocObjReserveSlabs()) {
                    break;
                }
                // As _kmalloc_obj's new-slab path: the cpu's slab cache first (slabs the poller
                // retired there), kmem_slab_alloc only when it is empty.
                lwkt.critEnter();
                long gd = kmgd(lwkt.mycpuid());
                long slab = 0;
                if (StructKMGlobalData.free_count(km, gd) != 0) {
                    slab = gslabAlloc(gd);
                }
                lwkt.critExit();
                if (slab == 0) {
                    slab = kernel.kernSlaballoc().kmemSlabAlloc(KMALLOC_SLAB_SIZE, KMALLOC_SLAB_SIZE, flags);
                }
                kernel.swapmetaPaths().reserveRefill(flags, slab);    // dfemu: SWAPMETA path counters
                if (slab == 0) {
                    break;
                }
                int cpuid = lwkt.mycpuid();
                carve(type, StructMallocType.ks_use(km, type, cpuid), slab, cpuid);
                lwkt.spinLock(ggmSpin);
                // As the poller files a slab that became full: exis sequence started, head of full.
                exis.exisTerminate(StructKmallocSlab.exis(slab));
                StructKmallocSlab.next(km, slab, StructKmallocMgt.full(km, ggm));
                StructKmallocMgt.full(km, ggm, slab);
                StructKmallocMgt.nfull(km, ggm, StructKmallocMgt.nfull(km, ggm) + 1);
                lwkt.spinUnlock(ggmSpin);
            }
        } finally {
            lwkt.popFrame();
        }
    }

    /** {@code *ggm->empty_tailp = slab; ggm->empty_tailp = &slab->next; ++ggm->nempty}. */
    private void appendEmptyLocked(long ggm, long slab) {
        Kassert.kkassert(StructKmallocSlab.next(km, slab) == 0, "slab->next == NULL", "_kmalloc_obj");
        km.store64(StructKmallocMgt.empty_tailp(km, ggm), slab);
        StructKmallocMgt.empty_tailp(km, ggm, slab + NEXT);
        StructKmallocMgt.nempty(km, ggm, StructKmallocMgt.nempty(km, ggm) + 1);
    }

    /**
     * The carving step of _kmalloc_obj(): clears the header and fills it for {@code type} on
     * {@code cpuid}, every object free (aindex 0, findex = xindex = ncount, fobjs[i] the i-th
     * object), then sets the magic and the spinlock.
     */
    private void carve(long type, long use, long slab, int cpuid) {
        long umgt = StructKmallocUse.mgt(use);
        long slabCount = StructKmallocMgt.slab_count(km, umgt);
        long slabOffset = StructKmallocMgt.slab_offset(km, umgt);
        long objsize = StructMallocType.ks_objsize(km, type);

        km.bzero(slab, StructKmallocSlab.SIZEOF);
        Kassert.kkassert(StructKmallocSlab.offsetofFobjs(slabCount) <= slabOffset,
                "offsetof(struct kmalloc_slab, fobjs[use->mgt.slab_count]) <= use->mgt.slab_offset", "_kmalloc_obj");

        long obj = slab + slabOffset;
        StructKmallocSlab.type(km, slab, type);
        StructKmallocSlab.orig_cpuid(km, slab, cpuid);
        StructKmallocSlab.ncount(km, slab, slabCount);
        StructKmallocSlab.offset(km, slab, slabOffset);
        StructKmallocSlab.objsize(km, slab, objsize);
        StructKmallocSlab.aindex(km, slab, 0);
        StructKmallocSlab.findex(km, slab, slabCount);
        StructKmallocSlab.xindex(km, slab, slabCount);
        for (long delta = 0; delta < slabCount; ++delta) {
            StructKmallocSlab.fobjs(km, slab, delta, obj);
            obj += objsize;
        }

        // The last byte of the last object must still be in the slab.
        final long end = obj;
        Kassert.kassert((((end - 1) ^ slab) & ~KMALLOC_SLAB_MASK) == 0,
                () -> String.format("SLAB 0x%x ncount %d objsize %d obj=0x%x\n", slab, slabCount, objsize, end));
        StructKmallocSlab.magic(km, slab, KMALLOC_SLAB_MAGIC);
        lwkt.spinInit(slab + StructKmallocSlab.spin$OFFSET);
    }

    /** kfree_obj(addr, type): the malloc.h entry point, {@link #_kfreeObj}. */
    public void kfreeObj(long obj, long type) {
        _kfreeObj(obj, type);
    }

    /**
     * _kfree_obj(): frees a type-stable object. The slab is {@code obj & ~KMALLOC_SLAB_MASK}; which
     * list or cpu it is on is unknown from here and not needed: the free only reserves a slot
     * (findex, atomically), stores the object, and publishes it (xindex). Statistics are adjusted
     * on the current cpu (vmstat sums them). No lock, no list movement, no memory back to the VM.
     * Panics if {@code obj} is not in a kmalloc_obj slab, if every object of the slab is already
     * free, or (double-free bitmap) if this object is: "assertion ... failed in bmap_clr".
     * Never blocks.
     */
    public void _kfreeObj(long obj, long type) {
        int cpuid = lwkt.mycpuid();

        long slab = obj & ~KMALLOC_SLAB_MASK;
        long delta = StructKmallocSlab.findex(km, slab) - StructKmallocSlab.aindex(km, slab);
        Kassert.kkassert(StructKmallocSlab.magic(km, slab) == KMALLOC_SLAB_MAGIC && delta != StructKmallocSlab.ncount(km, slab),
                "slab->magic == KMALLOC_SLAB_MAGIC && delta != slab->ncount", "_kfree_obj");

        // Only the current cpu's statistics can be adjusted safely; vmstat -m sums them.
        long use = StructMallocType.ks_use(km, StructKmallocSlab.type(km, slab), cpuid);
        StructKmallocUse.inuse(km, use, StructKmallocUse.inuse(km, use) - 1);
        StructKmallocUse.memuse(km, use, StructKmallocUse.memuse(km, use) - StructKmallocSlab.objsize(km, slab));

        // The slab must have room: the object goes back where it came from.
        long i = km.fetchAdd64(slab + StructKmallocSlab.findex$OFFSET, 1);
        i = Long.remainderUnsigned(i, StructKmallocSlab.ncount(km, slab));
        if (StructKmallocSlab.fobjs(km, slab, i) != 0) {
            kernel.kprintf(String.format("_kfree_obj failure %d/%d/%d", StructKmallocSlab.aindex(km, slab),
                    StructKmallocSlab.findex(km, slab), StructKmallocSlab.ncount(km, slab)));
        }
        bmapClr(slab, obj);
        Kassert.kkassert(StructKmallocSlab.fobjs(km, slab, i) == 0, "slab->fobjs[i] == NULL", "_kfree_obj");
        StructKmallocSlab.fobjs(km, slab, i, obj);
        km.fetchAdd64(slab + StructKmallocSlab.xindex$OFFSET, 1);     // synchronizer
    }
}
