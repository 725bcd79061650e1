package org.dfemu.kernel.kern;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.Malloc;
import org.dfemu.kernel.sys.Queue;
import org.dfemu.kernel.sys.StructMallocType;
import org.dfemu.kernel.sys.StructObjcacheMallocArgs;
import org.dfemu.kernel.sys.StructSpinlock;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.HashMap;
import java.util.Map;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.sys.Malloc.M_CACHEALIGN;
import static org.dfemu.kernel.sys.Malloc.M_INTWAIT;
import static org.dfemu.kernel.sys.Malloc.M_NULLOK;
import static org.dfemu.kernel.sys.Malloc.M_WAITOK;
import static org.dfemu.kernel.sys.Malloc.M_ZERO;

/**
 * kern_objcache.c: DragonFly BSD sys/kern/kern_objcache.c at commit 737b020b54 (2021-05-28), the
 * part LWKT's thread cache uses: objcache_create (and objcache_create_mbacked over kmalloc),
 * objcache_get, objcache_put, the kmalloc back end (objcache_malloc_alloc/free), and
 * objcache_init's SYSINIT.
 *
 * <p>An objcache keeps constructed objects in <em>magazines</em> ({@link StructMagazine}, kmalloc'd
 * from M_OBJMAG), stacks of up to magcapacity objects. Each cpu holds a loaded and a previous
 * magazine ({@link StructPercpuObjcache}) that it fills and empties in a critical section
 * without locks; when both are empty (get) or both full (put) it trades one with the depot
 * ({@link StructMagazinedepot}, under its spin lock), which keeps only completely full and
 * completely empty magazines. A get that finds nothing anywhere allocates a new object from the
 * back end and constructs it, unless {@code unallocated_objects} (the cluster limit plus the
 * magazines' slack) is used up, in which case an M_WAITOK caller sleeps on the depot until a put
 * or a failed allocation gives an object back. A put that finds no empty magazine destroys the
 * object and frees it to the back end: what the cache retains is bounded by its magazines, sized
 * from {@code nom_cache}.
 *
 * <p>Globals (data segment): objcachelist_spin, allobjcaches, magazine_capmin, magazine_capmax;
 * the malloc types M_OBJCACHE ("objcache": struct objcache, its descriptor, the kmalloc back
 * end's arguments) and M_OBJMAG ("objcache mag": the magazines).
 *
 * <p>Not ported (the thread cache does not use them): objcache_create_simple,
 * objcache_set_cluster_limit, objcache_dtor, objcache_populate_linear, objcache_reclaimlist and
 * the magazine purges, objcache_destroy, objcache_malloc_alloc_zero, the nop allocator, and the
 * kern.objcache.stats sysctl.
 *
 * <p>PORT: the C's function pointers (ctor, dtor, alloc, free) are Java objects this class keeps
 * by the objcache's address, set once by objcache_create (code does not live in emulated memory;
 * privdata and allocator_args are kernel addresses, in the struct as in the C).
 */
public final class KernObjcache {
    /** Object caches are per NUMA cluster; DragonFly has one cluster until it has the topology. */
    static final int MAXCLUSTERS = 1;
    /** {@code myclusterid} (and {@code CLUSTER_OF(obj)}): always cluster 0. */
    private static final int MYCLUSTERID = 0;

    public static final int INITIAL_MAG_CAPACITY = 64;
    public static final int MAGAZINE_CAPACITY_MAX = 4096;
    public static final int MAGAZINE_CAPACITY_MIN = 4;
    /** {@code OBJCACHE_UNLIMITED} (sys/objcache.h): unallocated_objects of a cache without a limit. */
    public static final int OBJCACHE_UNLIMITED = 0x40000000;
    /** {@code OC_MFLAGS} (sys/objcache.h): the ocflags that are malloc flags. */
    public static final int OC_MFLAGS = 0x0000ffff;

    /** {@code objcache_ctor_fn}: makes blank storage an object; false if it cannot. */
    @FunctionalInterface
    public interface CtorFn {
        boolean ctor(long obj, long privdata, int ocflags);
    }

    /** {@code objcache_dtor_fn}: undoes the ctor before the storage goes back to the back end. */
    @FunctionalInterface
    public interface DtorFn {
        void dtor(long obj, long privdata);
    }

    /** {@code objcache_alloc_fn}: the underlying allocator; 0 if it fails. */
    @FunctionalInterface
    public interface AllocFn {
        long alloc(long allocatorArgs, int ocflags);
    }

    /** {@code objcache_free_fn}: gives storage back to the underlying allocator. */
    @FunctionalInterface
    public interface FreeFn {
        void free(long obj, long allocatorArgs);
    }

    /** An objcache's function pointers ({@code oc->ctor, dtor, alloc, free}). */
    private record Ops(CtorFn ctor, DtorFn dtor, AllocFn alloc, FreeFn free) {}

    private static final StructLayout GLOBALS = MemoryLayout.structLayout(
            StructSpinlock.layout().withName("objcachelist_spin"),
            Queue.LIST_HEAD.withName("allobjcaches"),
            C_INT.withName("magazine_capmin"),
            C_INT.withName("magazine_capmax")).withName("kern_objcache_globals");
    private static final long OBJCACHELIST_SPIN = Ctypes.offset(GLOBALS, "objcachelist_spin");
    private static final long ALLOBJCACHES = Ctypes.offset(GLOBALS, "allobjcaches");
    private static final long MAGAZINE_CAPMIN = Ctypes.offset(GLOBALS, "magazine_capmin");
    private static final long MAGAZINE_CAPMAX = Ctypes.offset(GLOBALS, "magazine_capmax");

    private final Kernel kernel;
    private final KernelMemory km;
    private final Lwkt lwkt;
    private final KernSlaballoc slab;
    private final long globals;
    private final long mObjcache;
    private final long mObjmag;
    /** The depot's magazine lists, linked through nextmagazine. */
    private final Queue.Slist maglist;
    /** allobjcaches, linked through the descriptors' next. */
    private final Queue.List desclist;
    /** The function pointers of each objcache, by its address; written only by objcache_create. */
    private final Map<Long, Ops> ops = new HashMap<>();

    /**
     * (boot only) Lays out kern_objcache.c's globals and defines its malloc types (M_OBJCACHE,
     * M_OBJMAG). Link after kern_slaballoc.c's class.
     */
    public KernObjcache(Kernel kernel, DataSegment data) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.lwkt = kernel.lwkt();
        this.slab = kernel.kernSlaballoc();
        this.globals = data.alloc(GLOBALS);
        this.mObjcache = slab.mallocDefine(data, "objcache");
        this.mObjmag = slab.mallocDefine(data, "objcache mag");
        this.maglist = new Queue.Slist(km, StructMagazine.nextmagazine$OFFSET);
        this.desclist = new Queue.List(km, StructObjcacheDesc.next$OFFSET, kernel.invariants());
    }

    /** {@code M_OBJCACHE}: objcaches, their descriptors and back-end arguments. */
    public long mObjcache() { return mObjcache; }

    /** {@code M_OBJMAG}: objcache magazines. */
    public long mObjmag() { return mObjmag; }

    /** {@code magazine_capmin}: the smallest magazine capacity (objcache_init). */
    public int magazineCapmin() { return km.load32(globals + MAGAZINE_CAPMIN); }

    /** {@code magazine_capmax}: the largest magazine capacity (objcache_init). */
    public int magazineCapmax() { return km.load32(globals + MAGAZINE_CAPMAX); }

    /** {@code LIST_FIRST(&allobjcaches)}: the newest objcache's descriptor, 0 if none. */
    public long allobjcachesFirst() { return desclist.listFirst(globals + ALLOBJCACHES); }

    private long myCpucache(long oc) {
        return StructObjcache.cache_percpu(oc, lwkt.mycpuid());
    }

    /**
     * mag_alloc(): an empty magazine of {@code capacity} slots from M_OBJMAG (M_INTWAIT, zeroed,
     * cache-aligned). Panics if its size is not a whole number of cache lines. May block.
     */
    private long magAlloc(int capacity) {
        long size = StructMagazine.sizeFor(capacity);
        Kassert.kassert(size > 0 && (size & Malloc.VM_CACHELINE_MASK) == 0,
                () -> "magazine size is not multiple cache line size");
        long mag = slab.kmalloc(size, mObjmag, M_INTWAIT | M_ZERO | M_CACHEALIGN);
        StructMagazine.capacity(km, mag, capacity);
        StructMagazine.rounds(km, mag, 0);
        return mag;
    }

    /** mag_capacity_align(): the capacity that fills a magazine's size rounded up to a cache line. */
    private static int magCapacityAlign(int magCapacity) {
        long magSize = Malloc.VM_CACHELINE_ALIGN(StructMagazine.sizeFor(magCapacity));
        return (int) ((magSize - StructMagazine.MAGAZINE_HDRSIZE) / 8);
    }

    // null_dtor() and null_ctor(): for objects that need no construction.
    private static final DtorFn NULL_DTOR = (obj, privdata) -> { };
    private static final CtorFn NULL_CTOR = (obj, privdata, ocflags) -> true;

    /**
     * objcache_create(): an objcache named {@code name} of at most {@code clusterLimit} objects
     * (0: unlimited) caching about {@code nomCache} free ones (0: half the limit, or 128 without
     * one), over the back end {@code alloc}/{@code free}. The structure and its descriptor come
     * from M_OBJCACHE; each cpu gets two empty magazines and the depot at least two. Returns its
     * address. May block (M_WAITOK).
     */
    public long objcacheCreate(String name, int clusterLimit, int nomCache, CtorFn ctor, DtorFn dtor,
                               long privdata, AllocFn alloc, FreeFn free, long allocatorArgs) {
        int ncpus = kernel.config().ncpus();

        long desc = slab.kmalloc(StructObjcacheDesc.SIZEOF, mObjcache, M_WAITOK | M_ZERO);
        long oc = slab.kmalloc(StructObjcache.sizeFor(ncpus), mObjcache, M_WAITOK | M_ZERO | M_CACHEALIGN);
        ops.put(oc, new Ops(ctor != null ? ctor : NULL_CTOR, dtor != null ? dtor : NULL_DTOR, alloc, free));
        StructObjcache.privdata(km, oc, privdata);
        StructObjcache.allocator_args(km, oc, allocatorArgs);

        // The objcache and its descriptor point at each other.
        StructObjcache.desc(km, oc, desc);
        StructObjcacheDesc.objcache(km, desc, oc);
        StructObjcacheDesc.name(km, desc, name);

        long depot = StructObjcache.depot(oc, 0);
        lwkt.spinInit(StructMagazinedepot.spin(depot));
        maglist.slistInit(StructMagazinedepot.fullmagazines(depot));
        maglist.slistInit(StructMagazinedepot.emptymagazines(depot));

        // Cache half the limit by default, never more than the limit, 128 objects without one.
        if (nomCache == 0) nomCache = clusterLimit / 2;
        if (clusterLimit != 0 && nomCache > clusterLimit) nomCache = clusterLimit;
        if (nomCache == 0) nomCache = INITIAL_MAG_CAPACITY * 2;

        // Room for two active magazines per cpu and two in the depot.
        int magCapacity = magCapacityAlign(nomCache / (ncpus + 1) / 2 + 1);
        if (magCapacity > magazineCapmax()) {
            magCapacity = magazineCapmax();
        } else if (magCapacity < magazineCapmin()) {
            magCapacity = magazineCapmin();
        }
        StructMagazinedepot.magcapacity(km, depot, magCapacity);

        // The limit plus the slack of two magazines per cpu (partial magazines stay on the cpus);
        // without a limit, about a billion objects (negative counts must stay possible).
        if (clusterLimit == 0) {
            StructMagazinedepot.unallocated_objects(km, depot, OBJCACHE_UNLIMITED);
        } else {
            StructMagazinedepot.unallocated_objects(km, depot, ncpus * magCapacity * 2 + clusterLimit);
        }
        StructObjcacheDesc.total_objects(km, desc, StructMagazinedepot.unallocated_objects(km, depot));
        StructMagazinedepot.cluster_limit(km, depot, clusterLimit);

        for (int cpuid = 0; cpuid < ncpus; cpuid++) {
            long cc = StructObjcache.cache_percpu(oc, cpuid);
            StructPercpuObjcache.loaded_magazine(km, cc, magAlloc(magCapacity));
            StructPercpuObjcache.previous_magazine(km, cc, magAlloc(magCapacity));
        }

        // The depot's empty magazines set what is retained: nom_cache worth, at least two.
        int nmagdepot = nomCache / magCapacity + 1;
        if (nmagdepot < 2) nmagdepot = 2;
        for (int i = 0; i < nmagdepot; i++) {
            maglist.slistInsertHead(StructMagazinedepot.emptymagazines(depot), magAlloc(magCapacity));
        }

        long listSpin = globals + OBJCACHELIST_SPIN;
        lwkt.spinLock(listSpin);
        desclist.listInsertHead(globals + ALLOBJCACHES, desc);
        lwkt.spinUnlock(listSpin);
        return oc;
    }

    /**
     * objcache_create_mbacked(): an objcache over kmalloc of {@code objsize} bytes of
     * {@code mtype}, named after the type; its back-end arguments come from M_OBJCACHE. May block.
     */
    public long objcacheCreateMbacked(long mtype, long objsize, int clusterLimit, int nomCache,
                                      CtorFn ctor, DtorFn dtor, long privdata) {
        long margs = slab.kmalloc(StructObjcacheMallocArgs.SIZEOF, mObjcache, M_WAITOK | M_ZERO);
        StructObjcacheMallocArgs.objsize(km, margs, objsize);
        StructObjcacheMallocArgs.mtype(km, margs, mtype);
        return objcacheCreate(StructMallocType.shortdesc(km, mtype), clusterLimit, nomCache, ctor, dtor, privdata,
                this::objcacheMallocAlloc, this::objcacheMallocFree, margs);
    }

    private static boolean magazineEmpty(KernelMemory km, long mag) { return StructMagazine.rounds(km, mag) == 0; }

    private static boolean magazineFull(KernelMemory km, long mag) {
        return StructMagazine.rounds(km, mag) == StructMagazine.capacity(km, mag);
    }

    /** {@code obj = mag->objects[--mag->rounds]}. */
    private long magPop(long mag) {
        int rounds = StructMagazine.rounds(km, mag) - 1;
        StructMagazine.rounds(km, mag, rounds);
        return StructMagazine.objects(km, mag, rounds);
    }

    /** {@code mag->objects[mag->rounds++] = obj}. */
    private void magPush(long mag, long obj) {
        int rounds = StructMagazine.rounds(km, mag);
        StructMagazine.objects(km, mag, rounds, obj);
        StructMagazine.rounds(km, mag, rounds + 1);
    }

    /** {@code swap(cpucache->loaded_magazine, cpucache->previous_magazine)}; returns the new loaded one. */
    private long swapMagazines(long cc) {
        long loaded = StructPercpuObjcache.loaded_magazine(km, cc);
        long previous = StructPercpuObjcache.previous_magazine(km, cc);
        StructPercpuObjcache.loaded_magazine(km, cc, previous);
        StructPercpuObjcache.previous_magazine(km, cc, loaded);
        return previous;
    }

    /**
     * objcache_get(): an object from the cpu's magazines, else from a full magazine of the depot,
     * else a new one from the back end, constructed (the cluster limit permitting). At the limit
     * an M_WAITOK (and not M_NULLOK) caller sleeps on the depot and retries; others get 0, as
     * does a failed allocation or ctor. {@code ocflags} reach only the back end, so M_ZERO is
     * refused (a cached object is not zeroed). May block (the back end, the limit).
     */
    public long objcacheGet(long oc, int ocflags) {
        long cc = myCpucache(oc);
        Kassert.kkassert((ocflags & M_ZERO) == 0, "(ocflags & M_ZERO) == 0", "objcache_get");
        lwkt.critEnter();
        StructPercpuObjcache.gets_cumulative(km, cc, StructPercpuObjcache.gets_cumulative(km, cc) + 1);

        long depot = StructObjcache.depot(oc, MYCLUSTERID);
        long spin = StructMagazinedepot.spin(depot);
        for (;;) {
            // The hot path: the loaded magazine has an object (no lock, the critical section).
            long loadedmag = StructPercpuObjcache.loaded_magazine(km, cc);
            if (!magazineEmpty(km, loadedmag)) {
                long obj = magPop(loadedmag);
                lwkt.critExit();
                return obj;
            }

            // The previous magazine has one.
            if (!magazineEmpty(km, StructPercpuObjcache.previous_magazine(km, cc))) {
                long obj = magPop(swapMagazines(cc));
                lwkt.critExit();
                return obj;
            }

            // Both empty: trade an empty one for a full one of the depot, under its lock. From
            // here the M_ flags are the back end's business.
            lwkt.spinLock(spin);

            // Re-check the cpu's magazines now that the lock is held.
            if (!magazineEmpty(km, StructPercpuObjcache.loaded_magazine(km, cc))
                    || !magazineEmpty(km, StructPercpuObjcache.previous_magazine(km, cc))) {
                lwkt.spinUnlock(spin);
                continue;
            }

            long fulls = StructMagazinedepot.fullmagazines(depot);
            if (!maglist.slistEmpty(fulls)) {
                long emptymag = StructPercpuObjcache.previous_magazine(km, cc);
                StructPercpuObjcache.previous_magazine(km, cc, StructPercpuObjcache.loaded_magazine(km, cc));
                StructPercpuObjcache.loaded_magazine(km, cc, maglist.slistFirst(fulls));
                maglist.slistRemoveHead(fulls);

                // The empty magazine goes to the depot.
                Kassert.kkassert(magazineEmpty(km, emptymag), "MAGAZINE_EMPTY(emptymag)", "objcache_get");
                maglist.slistInsertHead(StructMagazinedepot.emptymagazines(depot), emptymag);
                lwkt.spinUnlock(spin);
                continue;
            }

            // No full magazine anywhere: a new object from the back end, below the limit
            // (unallocated_objects may be negative after a limit adjustment).
            int unallocated = StructMagazinedepot.unallocated_objects(km, depot);
            if (unallocated > 0) {
                StructMagazinedepot.unallocated_objects(km, depot, unallocated - 1);
                lwkt.spinUnlock(spin);
                StructPercpuObjcache.allocs_cumulative(km, cc, StructPercpuObjcache.allocs_cumulative(km, cc) + 1);
                lwkt.critExit();
                return allocNew(oc, cc, depot, ocflags);
            }
            long exhausted = StructPercpuObjcache.gets_exhausted(km, cc);
            StructPercpuObjcache.gets_exhausted(km, cc, exhausted + 1);
            if (exhausted == 0) {
                kernel.kprintf(String.format("Warning: objcache(%s) exhausted on cpu%d!",
                        StructObjcacheDesc.name(km, StructObjcache.desc(km, oc)), lwkt.mycpuid()));
            }

            // At the limit: sleep if the caller may, until a put or a failed allocation wakes us.
            if ((ocflags & (M_WAITOK | M_NULLOK)) == M_WAITOK) {
                StructPercpuObjcache.waiting(km, cc, StructPercpuObjcache.waiting(km, cc) + 1);
                StructMagazinedepot.waiting(km, depot, StructMagazinedepot.waiting(km, depot) + 1);
                // PORT: ssleep(depot, &depot->spin) is spin_unlock + tsleep + spin_lock: no
                // scheduling point lies between the unlock and the sleep, so no wakeup is lost.
                lwkt.spinUnlock(spin);
                lwkt.tsleep(depot, "objcache_get", 0);
                lwkt.spinLock(spin);
                StructPercpuObjcache.waiting(km, cc, StructPercpuObjcache.waiting(km, cc) - 1);
                StructMagazinedepot.waiting(km, depot, StructMagazinedepot.waiting(km, depot) - 1);
                lwkt.spinUnlock(spin);
                continue;
            }

            // Otherwise fail.
            countNull(cc);
            lwkt.critExit();
            lwkt.spinUnlock(spin);
            return 0;
        }
    }

    /**
     * objcache_get's allocation from the back end, outside the critical section: the object,
     * constructed, or 0 after giving the slot back to the depot (and waking its sleepers) if the
     * allocation or the ctor failed. May block.
     */
    private long allocNew(long oc, long cc, long depot, int ocflags) {
        Ops o = ops.get(oc);
        long obj = o.alloc().alloc(StructObjcache.allocator_args(km, oc), ocflags);
        if (obj != 0) {
            if (o.ctor().ctor(obj, StructObjcache.privdata(km, oc), ocflags)) {
                return obj;
            }
            o.free().free(obj, StructObjcache.allocator_args(km, oc));
        }
        long spin = StructMagazinedepot.spin(depot);
        lwkt.spinLock(spin);
        StructMagazinedepot.unallocated_objects(km, depot, StructMagazinedepot.unallocated_objects(km, depot) + 1);
        lwkt.spinUnlock(spin);
        if (StructMagazinedepot.waiting(km, depot) != 0) {
            lwkt.wakeup(depot);
        }
        lwkt.critEnter();
        countNull(cc);
        lwkt.critExit();
        return 0;
    }

    /** A get that returns NULL: counted in gets_null, left out of gets_cumulative (easier debugging). */
    private void countNull(long cc) {
        StructPercpuObjcache.gets_null(km, cc, StructPercpuObjcache.gets_null(km, cc) + 1);
        StructPercpuObjcache.gets_cumulative(km, cc, StructPercpuObjcache.gets_cumulative(km, cc) - 1);
    }

    /** objcache_malloc_alloc(): kmalloc of the arguments' size and type, with ocflags' malloc flags. May block. */
    public long objcacheMallocAlloc(long allocatorArgs, int ocflags) {
        return slab.kmalloc(StructObjcacheMallocArgs.objsize(km, allocatorArgs),
                StructObjcacheMallocArgs.mtype(km, allocatorArgs), ocflags & OC_MFLAGS);
    }

    /** objcache_malloc_free(): kfree to the arguments' type. May block. */
    public void objcacheMallocFree(long obj, long allocatorArgs) {
        slab.kfree(obj, StructObjcacheMallocArgs.mtype(km, allocatorArgs));
    }

    /**
     * objcache_put(): returns {@code obj} to the cpu's magazines; when both are full, cycles a
     * full one to the depot for an empty one; when the depot has no empty magazine either, the
     * object is destroyed (dtor) and freed to the back end, and its slot goes back to the limit.
     * Wakes objcache_get's sleepers. May block (the dtor and the back end).
     */
    public void objcachePut(long oc, long obj) {
        long cc = myCpucache(oc);
        long depot = StructObjcache.depot(oc, MYCLUSTERID);
        lwkt.critEnter();
        StructPercpuObjcache.puts_cumulative(km, cc, StructPercpuObjcache.puts_cumulative(km, cc) + 1);

        // (CLUSTER_OF(obj) is always this cluster: the C's other-cluster path is "notyet".)
        long spin = StructMagazinedepot.spin(depot);
        for (;;) {
            // The hot path: room in the loaded magazine.
            long loadedmag = StructPercpuObjcache.loaded_magazine(km, cc);
            if (!magazineFull(km, loadedmag)) {
                putInto(loadedmag, obj, cc, depot);
                return;
            }

            // The loaded one is full, the previous one has room.
            if (!magazineFull(km, StructPercpuObjcache.previous_magazine(km, cc))) {
                putInto(swapMagazines(cc), obj, cc, depot);
                return;
            }

            // Both full: cycle an empty magazine of the depot in and a full one out, even if the
            // magazines changed while we took the lock.
            lwkt.spinLock(spin);
            long empties = StructMagazinedepot.emptymagazines(depot);
            if (!maglist.slistEmpty(empties)) {
                loadedmag = StructPercpuObjcache.previous_magazine(km, cc);
                StructPercpuObjcache.previous_magazine(km, cc, StructPercpuObjcache.loaded_magazine(km, cc));
                StructPercpuObjcache.loaded_magazine(km, cc, maglist.slistFirst(empties));
                maglist.slistRemoveHead(empties);

                // The magazine going to the depot may not be full (or may even be empty) after
                // blocking.
                if (magazineEmpty(km, loadedmag)) {
                    maglist.slistInsertHead(empties, loadedmag);
                    lwkt.spinUnlock(spin);
                } else {
                    maglist.slistInsertHead(StructMagazinedepot.fullmagazines(depot), loadedmag);
                    lwkt.spinUnlock(spin);
                    if (StructMagazinedepot.waiting(km, depot) != 0) {
                        lwkt.wakeup(depot);
                    }
                }
                continue;
            }

            // No empty magazine (cpus hold partial ones): do not allocate one, free the object.
            StructMagazinedepot.unallocated_objects(km, depot, StructMagazinedepot.unallocated_objects(km, depot) + 1);
            lwkt.spinUnlock(spin);
            if (StructMagazinedepot.waiting(km, depot) != 0) {
                lwkt.wakeup(depot);
            }
            lwkt.critExit();
            Ops o = ops.get(oc);
            o.dtor().dtor(obj, StructObjcache.privdata(km, oc));
            o.free().free(obj, StructObjcache.allocator_args(km, oc));
            return;
        }
    }

    /**
     * objcache_put's store into a magazine with room, waking this cpu's sleepers, and the end of
     * the critical section.
     */
    private void putInto(long mag, long obj, long cc, long depot) {
        magPush(mag, obj);
        if (StructPercpuObjcache.waiting(km, cc) != 0) {
            // PORT: wakeup_mycpu(): the scheduler has no per-cpu wakeup; a sleeper of another
            // cpu that wakes finds nothing for it and sleeps again.
            lwkt.wakeup(depot);
        }
        lwkt.critExit();
    }

    /**
     * objcache_init() (SYSINIT SI_BOOT2_OBJCACHE): the list lock and the magazine capacity bounds
     * (MAGAZINE_CAPACITY_MIN and _MAX filled out to whole cache lines). (boot only) The C's
     * bootverbose report and its disabled rebalance timer are left out.
     */
    public void objcacheInit() {
        lwkt.spinInit(globals + OBJCACHELIST_SPIN);
        km.store32(globals + MAGAZINE_CAPMIN, magCapacityAlign(MAGAZINE_CAPACITY_MIN));
        km.store32(globals + MAGAZINE_CAPMAX, magCapacityAlign(MAGAZINE_CAPACITY_MAX));
    }
}
