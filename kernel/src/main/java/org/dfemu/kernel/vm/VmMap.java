package org.dfemu.kernel.vm;

import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.kern.Lwkt;
import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.machine.Pmap;
import org.dfemu.kernel.sys.Malloc;
import org.dfemu.kernel.sys.StructGlobaldata;
import org.dfemu.kernel.sys.StructLock;
import org.dfemu.kernel.sys.Tree;

import static org.dfemu.kernel.machine.Param.PAGE_SIZE;
import static org.dfemu.kernel.vm.StructVmMapEntry.MAP_ENTRY_COW;
import static org.dfemu.kernel.vm.StructVmMapEntry.MAP_ENTRY_IN_TRANSITION;
import static org.dfemu.kernel.vm.StructVmMapEntry.MAP_ENTRY_KSTACK;
import static org.dfemu.kernel.vm.StructVmMapEntry.MAP_ENTRY_NEEDS_COPY;
import static org.dfemu.kernel.vm.StructVmMapEntry.MAP_ENTRY_NOCOREDUMP;
import static org.dfemu.kernel.vm.StructVmMapEntry.MAP_ENTRY_NOFAULT;
import static org.dfemu.kernel.vm.StructVmMapEntry.MAP_ENTRY_NOSYNC;
import static org.dfemu.kernel.vm.StructVmMapEntry.MAP_ENTRY_STACK;
import static org.dfemu.kernel.vm.StructVmMapEntry.MAP_ENTRY_USER_WIRED;
import static org.dfemu.kernel.vm.StructVmMapEntry.MAP_RESERVE_COUNT;
import static org.dfemu.kernel.vm.StructVmMapEntry.MAP_RESERVE_HYST;
import static org.dfemu.kernel.vm.StructVmMapEntry.MAP_RESERVE_SLOP;
import static org.dfemu.kernel.vm.StructVmMapEntry.VM_INHERIT_DEFAULT;
import static org.dfemu.kernel.vm.StructVmMapEntry.VM_MAPTYPE_NORMAL;
import static org.dfemu.kernel.vm.StructVmMapEntry.VM_MAPTYPE_SUBMAP;
import static org.dfemu.kernel.vm.StructVmMapEntry.VM_MAPTYPE_UKSMAP;

/**
 * vm_map.c: DragonFly BSD sys/vm/vm_map.c at commit 737b020b54 (2021-05-28), the part kernel_map
 * needs: map initialisation, the MAP ENTRY zone and the per-cpu map-entry reserve, entry lookup,
 * insertion, clipping and simplification, free-space search (which grows the kernel page
 * tables), wiring of kernel_object entries, deletion and removal.
 *
 * <p>A map is a red-black tree of entries ({@link StructVmMapEntry}) by start address, protected
 * by the map's lockmgr lock ({@link #vmMapLock}). Entries never come from an allocator while the
 * map is locked: callers first reserve them ({@link #vmMapEntryReserve}, MAP_RESERVE_COUNT covers
 * any single insertion with its clipping), which moves entries from the MAP ENTRY zone onto the
 * cpu's free list ({@code gd_vme_base}, linked through MAPENT_FREELIST) and lowers
 * {@code gd_vme_avail}; {@link #vmMapEntryRelease} gives back what was not used and trims the
 * list above MAP_RESERVE_SLOP. The zone's own refill (kmem_alloc3 with KM_KRESERVE) uses
 * {@link #vmMapEntryKreserve}, which only debits the cpu's list (boot put 2 * MAP_RESERVE_COUNT
 * extra entries there, vm_map_entry_reserve_cpu_init), so zalloc never recurses.
 *
 * <pre>
 *   MAP ENTRY zone --reserve--> gd_vme_base --create--> map --dispose--> gd_vme_base --release--> zone
 * </pre>
 *
 * <p>PORT, overall:
 * <ul>
 * <li>User maps: vmspaces (alloc, fork, release), anonymous entries whose object is made on
 *     first need (vm_map_entry_allocate_object), copy-on-write through vm_map_backing chains
 *     (vm_map_entry_shadow; clips and forks replicate the chain) and vm_map_lookup for vm_fault.
 *     Not ported: submaps, stack entries, protection or inheritance changes (mprotect,
 *     minherit), user wiring. vm_map_wire() wires kernel_object entries, and its
 *     vm_fault_wire()/vm_fault_unwire() (vm_fault.c) are done here for resident kernel_object
 *     pages (see {@link #vmMapWire}).</li>
 * <li>The map's LWKT token and vm_object tokens are not modelled (see {@link Lwkt}).</li>
 * <li>All address comparisons are unsigned (kernel addresses are negative as Java longs).</li>
 * <li>SMP_MAXCPU is 256 as in the C ({@link Param#SMP_MAXCPU}), so the static boot entries are
 *     MAX_MAPENT = 256 * 32 + 1024 = 9216 (1224 KiB of the data segment), plus 257 + 256 * 8
 *     per-cpu boot entries (306 KiB).</li>
 * </ul>
 */
public final class VmMap {
    public static final int KERN_SUCCESS = 0;
    public static final int KERN_INVALID_ADDRESS = 1;
    public static final int KERN_PROTECTION_FAILURE = 2;
    public static final int KERN_NO_SPACE = 3;
    public static final int KERN_INVALID_ARGUMENT = 4;
    public static final int KERN_FAILURE = 5;

    // cow flags for vm_map_insert()
    public static final int MAP_COPY_ON_WRITE = 0x0002;
    public static final int MAP_NOFAULT = 0x0004;
    public static final int MAP_PREFAULT = 0x0008;
    public static final int MAP_PREFAULT_PARTIAL = 0x0010;
    public static final int MAP_DISABLE_SYNCER = 0x0020;
    public static final int MAP_IS_STACK = 0x0040;
    public static final int MAP_IS_KSTACK = 0x0080;
    public static final int MAP_DISABLE_COREDUMP = 0x0100;

    /** mman.h: vm_map_findspace() flag. */
    public static final int MAP_TRYFIXED = 0x00010000;

    /** Boot map entries: MAX_MAPENT = SMP_MAXCPU * 32 + 1024. */
    public static final int MAX_MAPENT = Param.SMP_MAXCPU * 32 + 1024;
    /** Per-cpu boot entries: the BSP gets MAXCPU + 1, each AP 8. */
    public static final int MAPENTRYBSP_CACHE = Param.SMP_MAXCPU + 1;
    public static final int MAPENTRYAP_CACHE = 8;

    private static final int MAP_BACK_CLIPPED = 0x0001;
    private static final int MAP_BACK_BASEOBJREFD = 0x0002;

    private static final long RBE_LEFT = org.dfemu.kernel.Ctypes.offset(Tree.RB_ENTRY, "rbe_left");
    private static final long RBE_RIGHT = org.dfemu.kernel.Ctypes.offset(Tree.RB_ENTRY, "rbe_right");

    private final Kernel kernel;
    private final KernelMemory km;
    private final Lwkt lwkt;
    private final long mapentzoneStore;
    private final long mapentzoneName;
    private final long mapEntryInit;
    private final long cpuMapEntryInitBsp;
    private final long cpuMapEntryInitAp;
    /** {@code vm_map_rb_tree}: RB_GENERATE(vm_map_rb_tree, vm_map_entry, rb_entry, rb_vm_map_compare). */
    private final Tree.Rb vmMapRbTree;
    /** {@code M_MAP_BACKING}: chained vm_map_backing structures. */
    private final long mMapBacking;
    /** {@code M_VMSPACE}: struct vmspace (PORT: the C takes them from an objcache). */
    private final long mVmspace;

    /** (boot only) Lays out vm_map.c's globals: mapentzone_store and the static boot entries. */
    public VmMap(Kernel kernel, DataSegment data) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.lwkt = kernel.lwkt();
        this.mapentzoneStore = data.alloc(StructVmZone.layout());
        this.mapentzoneName = data.allocString("MAP ENTRY");
        this.mapEntryInit = data.alloc(StructVmMapEntry.SIZEOF * MAX_MAPENT, 8);
        this.cpuMapEntryInitBsp = data.alloc(StructVmMapEntry.SIZEOF * MAPENTRYBSP_CACHE, 8);
        this.cpuMapEntryInitAp = data.alloc(StructVmMapEntry.SIZEOF * Param.SMP_MAXCPU * MAPENTRYAP_CACHE, 8);
        this.vmMapRbTree = new Tree.Rb(km, lwkt, StructVmMapEntry.rb_entry$OFFSET, this::rbVmMapCompare,
                e -> StructVmMapEntry.start(km, e));
        this.mMapBacking = kernel.kernSlaballoc().mallocDefine(data, "map_backing");
        this.mVmspace = kernel.kernSlaballoc().mallocDefine(data, "vmspace");
    }

    private static boolean ult(long a, long b) { return Long.compareUnsigned(a, b) < 0; }

    private static boolean ugt(long a, long b) { return Long.compareUnsigned(a, b) > 0; }

    /** {@code &kernel_map} (declared in vm_kern.c). */
    public long kernelMap() { return kernel.vmKern().kernelMap(); }

    /** {@code mapentzone}: the MAP ENTRY zone. */
    public long mapentzone() { return mapentzoneStore; }

    /** vm_map_min(map). */
    public long vmMapMin(long map) { return StructVmMap.min_addr(km, map); }

    /** vm_map_max(map). */
    public long vmMapMax(long map) { return StructVmMap.max_addr(km, map); }

    /** vm_map_pmap(map). */
    public long vmMapPmap(long map) { return StructVmMap.pmap(km, map); }

    /** The map-entry RB tree type (for checkers). */
    public Tree.Rb vmMapRbTree() { return vmMapRbTree; }

    /**
     * vm_map_startup() (boot only): seeds the MAP ENTRY zone with the MAX_MAPENT static entries
     * (zbootinit) and marks it ZONE_SPECIAL, before any other vm_map routine.
     */
    public void vmMapStartup() {
        kernel.vmZone().zbootinit(mapentzoneStore, mapentzoneName, StructVmMapEntry.SIZEOF, mapEntryInit, MAX_MAPENT);
        StructVmZone.zflags(km, mapentzoneStore, StructVmZone.zflags(km, mapentzoneStore) | StructVmZone.ZONE_SPECIAL);
    }

    /**
     * vm_init2() (boot only), before any vmspace: makes MAP ENTRY a ZONE_USE_RESERVE|ZONE_SPECIAL
     * zone (zinitna), then pmap_init2() (the PV ENTRY zone). PORT: the vmspace objcache and
     * vm_object_init2() (kmalloc_obj limits) are not ported.
     */
    public void vmInit2() {
        kernel.vmZone().zinitna(mapentzoneStore, 0, 0, 0, StructVmZone.ZONE_USE_RESERVE | StructVmZone.ZONE_SPECIAL);
        kernel.pmap().pmapInit2();
    }

    /** rb_vm_map_compare(): by start address (unsigned). */
    private int rbVmMapCompare(long a, long b) {
        return Long.compareUnsigned(StructVmMapEntry.start(km, a), StructVmMapEntry.start(km, b));
    }

    /**
     * vm_map_init(): an empty map of [min, max) over pmap. No requirements. PORT: the ilock and
     * token fields are left zero (interlocks are not ported; tokens are not modelled).
     */
    public void vmMapInit(long map, long minAddr, long maxAddr, long pmap) {
        vmMapRbTree.rbInit(StructVmMap.rb_root(map));
        lwkt.spinInit(map + StructVmMap.ilock_spin$OFFSET);
        StructVmMap.nentries(km, map, 0);
        StructVmMap.size(km, map, 0);
        StructVmMap.system_map(km, map, 0);
        StructVmMap.min_addr(km, map, minAddr);
        StructVmMap.max_addr(km, map, maxAddr);
        StructVmMap.pmap(km, map, pmap);
        StructVmMap.timestamp(km, map, 0);
        StructVmMap.flags(km, map, 0);
        km.bzero(StructVmMap.freehint(map, 0), StructVmMap.FREEHINT_SIZEOF * StructVmMap.VM_MAP_FFCOUNT);
        lwkt.lockinit(StructVmMap.lock(map));
    }

    /**
     * vm_map_lock(): takes the map's lock exclusively and bumps its timestamp. May block.
     */
    public void vmMapLock(long map) {
        kernel.swapmetaPaths().mapLock(map, lwkt.lockmgrHeld(StructVmMap.lock(map)));    // dfemu: SWAPMETA path counters
        lwkt.lockmgrExclusive(StructVmMap.lock(map), "vm_maplk");
        StructVmMap.timestamp(km, map, StructVmMap.timestamp(km, map) + 1);
    }

    /** vm_map_unlock(): releases the map's lock. Never blocks. */
    public void vmMapUnlock(long map) {
        lwkt.lockmgrRelease(StructVmMap.lock(map));
    }

    /**
     * ASSERT_VM_MAP_LOCKED. PORT: lockowned() needs the owner, which only the scheduler knows;
     * the port checks that the lock is held at all.
     */
    private void assertVmMapLocked(long map) {
        Kassert.kkassert(km.load64(StructLock.lockWord(StructVmMap.lock(map))) != 0, "lockowned(&(map)->lock)",
                "ASSERT_VM_MAP_LOCKED");
    }

    // ---- free hints ----------------------------------------------------------------------------

    private long fhStart(long fh) { return km.load64(fh + StructVmMap.fh_start$OFFSET); }
    private long fhLength(long fh) { return km.load64(fh + StructVmMap.fh_length$OFFSET); }
    private long fhAlign(long fh) { return km.load64(fh + StructVmMap.fh_align$OFFSET); }

    /** vm_map_freehint_find(): the cached first possible address for (length, align), or 0. */
    private long vmMapFreehintFind(long map, long length, long align) {
        for (int i = 0; i < StructVmMap.VM_MAP_FFCOUNT; i++) {
            long fh = StructVmMap.freehint(map, i);
            if (fhLength(fh) == length && fhAlign(fh) == align) {
                return fhStart(fh);
            }
        }
        return 0;
    }

    /** vm_map_freehint_update(): remembers where findspace found (length, align). */
    private void vmMapFreehintUpdate(long map, long start, long length, long align) {
        for (int i = 0; i < StructVmMap.VM_MAP_FFCOUNT; i++) {
            long fh = StructVmMap.freehint(map, i);
            if (fhLength(fh) == length && fhAlign(fh) == align) {
                km.store64(fh + StructVmMap.fh_start$OFFSET, start);
                return;
            }
        }
        int idx = StructVmMap.freehint_newindex(km, map);
        long fh = StructVmMap.freehint(map, idx & StructVmMap.VM_MAP_FFMASK);
        km.store64(fh + StructVmMap.fh_start$OFFSET, start);
        km.store64(fh + StructVmMap.fh_align$OFFSET, align);
        km.store64(fh + StructVmMap.fh_length$OFFSET, length);
        StructVmMap.freehint_newindex(km, map, (idx + 1) & 0xff);
    }

    /** vm_map_freehint_hole(): lowers every hint that could use the new hole [start, +length). */
    private void vmMapFreehintHole(long map, long start, long length) {
        for (int i = 0; i < StructVmMap.VM_MAP_FFCOUNT; i++) {
            long fh = StructVmMap.freehint(map, i);
            if (Long.compareUnsigned(fhLength(fh), length) <= 0 && ugt(fhStart(fh), start)) {
                km.store64(fh + StructVmMap.fh_start$OFFSET, start);
            }
        }
    }

    // ---- the map-entry reserve -----------------------------------------------------------------

    /**
     * vm_map_entry_reserve_cpu_init() (boot only): gives cpu {@code gd}'s free list its static
     * boot entries (MAXCPU + 1 for cpu 0, 8 for the others) and lowers gd_vme_avail by
     * 2 * MAP_RESERVE_COUNT, the entries kept back for vm_map_entry_kreserve().
     */
    public void vmMapEntryReserveCpuInit(long gd) {
        km.fetchAdd32(gd + StructGlobaldata.gd_vme_avail$OFFSET, -MAP_RESERVE_COUNT * 2);
        int cpuid = StructGlobaldata.gd_cpuid(km, gd);
        long entry;
        int count;
        if (cpuid == 0) {
            entry = cpuMapEntryInitBsp;
            count = MAPENTRYBSP_CACHE;
        } else {
            entry = cpuMapEntryInitAp + (long) cpuid * MAPENTRYAP_CACHE * StructVmMapEntry.SIZEOF;
            count = MAPENTRYAP_CACHE;
        }
        for (int i = 0; i < count; ++i, entry += StructVmMapEntry.SIZEOF) {
            StructVmMapEntry.mapentFreelist(km, entry, StructGlobaldata.gd_vme_base(km, gd));
            StructGlobaldata.gd_vme_base(km, gd, entry);
        }
    }

    /**
     * vm_map_entry_reserve(): reserves {@code count} map entries on the current cpu, so that a
     * later map operation in a locked map never allocates; tops up gd_vme_base from the MAP
     * ENTRY zone (zalloc) first if needed. Returns count. May block (zalloc of a non-interrupt
     * zone). No requirements.
     */
    public int vmMapEntryReserve(int count) {
        long gd = kernel.globaldata().mycpu();
        kernel.reclaimCheck().mapEntryReserve(count);    // dfemu: reclaim-context checker
        if (StructGlobaldata.gd_vme_avail(km, gd) < count) {
            kernel.swapmetaPaths().mapEntryReserveShort();    // dfemu: SWAPMETA path counters
            // A critical section protects the per-cpu list against preemption.
            lwkt.critEnter();
            try {
                while (StructGlobaldata.gd_vme_avail(km, gd) < count) {
                    long entry = kernel.vmZone().zalloc(mapentzoneStore);
                    StructVmMapEntry.mapentFreelist(km, entry, StructGlobaldata.gd_vme_base(km, gd));
                    StructGlobaldata.gd_vme_base(km, gd, entry);
                    km.fetchAdd32(gd + StructGlobaldata.gd_vme_avail$OFFSET, 1);
                }
            } finally {
                lwkt.critExit();
            }
        }
        km.fetchAdd32(gd + StructGlobaldata.gd_vme_avail$OFFSET, -count);
        return count;
    }

    /**
     * vm_map_entry_release(): returns {@code count} unused reserved entries; if the cpu's list
     * then holds more than MAP_RESERVE_SLOP, frees it down to MAP_RESERVE_HYST (zfree). Never
     * blocks.
     */
    public void vmMapEntryRelease(int count) {
        long gd = kernel.globaldata().mycpu();
        km.fetchAdd32(gd + StructGlobaldata.gd_vme_avail$OFFSET, count);
        if (StructGlobaldata.gd_vme_avail(km, gd) > MAP_RESERVE_SLOP) {
            long efree = 0;
            lwkt.critEnter();
            while (StructGlobaldata.gd_vme_avail(km, gd) > MAP_RESERVE_HYST) {
                long entry = StructGlobaldata.gd_vme_base(km, gd);
                Kassert.kkassert(entry != 0, "entry != NULL", "vm_map_entry_release");
                StructGlobaldata.gd_vme_base(km, gd, StructVmMapEntry.mapentFreelist(km, entry));
                km.fetchAdd32(gd + StructGlobaldata.gd_vme_avail$OFFSET, -1);
                StructVmMapEntry.mapentFreelist(km, entry, efree);
                efree = entry;
            }
            lwkt.critExit();
            long entry;
            while ((entry = efree) != 0) {
                efree = StructVmMapEntry.mapentFreelist(km, efree);
                kernel.vmZone().zfree(mapentzoneStore, entry);
            }
        }
    }

    /**
     * vm_map_entry_kreserve(): reserves entries for kernel_map use inside zalloc, from the
     * entries pre-reserved at boot: only debits gd_vme_avail (which may go negative). Never
     * blocks. Panics if the cpu's list is empty.
     */
    public int vmMapEntryKreserve(int count) {
        long gd = kernel.globaldata().mycpu();
        km.fetchAdd32(gd + StructGlobaldata.gd_vme_avail$OFFSET, -count);
        Kassert.kassert(StructGlobaldata.gd_vme_base(km, gd) != 0,
                () -> String.format("no reserved entries left, gd_vme_avail = %d", StructGlobaldata.gd_vme_avail(km, gd)));
        return count;
    }

    /** vm_map_entry_krelease(): returns kreserved entries (no cleanup). Never blocks. */
    public void vmMapEntryKrelease(int count) {
        long gd = kernel.globaldata().mycpu();
        km.fetchAdd32(gd + StructGlobaldata.gd_vme_avail$OFFSET, count);
    }

    /**
     * vm_map_entry_create(): takes a reserved entry from the cpu's list ({@code countp[0]}
     * tracks the reservation). No fields are filled in. Never blocks.
     */
    private long vmMapEntryCreate(int[] countp) {
        long gd = kernel.globaldata().mycpu();
        Kassert.kkassert(countp[0] > 0, "*countp > 0", "vm_map_entry_create");
        --countp[0];
        lwkt.critEnter();
        long entry = StructGlobaldata.gd_vme_base(km, gd);
        final int c = countp[0];
        if (entry == 0) {
            lwkt.critExit();
            throw Kassert.panic("gd_vme_base NULL! count %d", c);
        }
        StructGlobaldata.gd_vme_base(km, gd, StructVmMapEntry.mapentFreelist(km, entry));
        lwkt.critExit();
        return entry;
    }

    /** vm_map_backing_attach(): links ba into its object's backing_list (under backing_lk). */
    private void vmMapBackingAttach(long entry, long ba) {
        if (StructVmMapEntry.maptype(km, entry) == VM_MAPTYPE_NORMAL) {
            long obj = StructVmMapEntry.ba_object(km, ba);
            long lk = obj + StructVmObject.backing_lk$OFFSET;
            lwkt.lockmgrExclusive(lk, "baclk");
            kernel.vmObject().backingList().tailqInsertTail(obj + StructVmObject.backing_list$OFFSET, ba);
            lwkt.lockmgrRelease(lk);
        } else if (StructVmMapEntry.maptype(km, entry) == VM_MAPTYPE_UKSMAP) {
            throw Kassert.panic("vm_map_backing_attach: UKSMAP entries are not ported");
        }
    }

    /** vm_map_backing_detach(): unlinks ba from its object's backing_list. */
    private void vmMapBackingDetach(long entry, long ba) {
        if (StructVmMapEntry.maptype(km, entry) == VM_MAPTYPE_NORMAL) {
            long obj = StructVmMapEntry.ba_object(km, ba);
            long lk = obj + StructVmObject.backing_lk$OFFSET;
            lwkt.lockmgrExclusive(lk, "baclk");
            kernel.vmObject().backingList().tailqRemove(obj + StructVmObject.backing_list$OFFSET, ba);
            lwkt.lockmgrRelease(lk);
        } else if (StructVmMapEntry.maptype(km, entry) == VM_MAPTYPE_UKSMAP) {
            throw Kassert.panic("vm_map_backing_detach: UKSMAP entries are not ported");
        }
    }

    /**
     * vm_map_entry_dispose(): detaches every object of the entry's backing chain (dropping its
     * reference), frees the chained vm_map_backing structures and puts the entry back on the
     * cpu's list ({@code countp[0]} grows). May block (object termination).
     */
    private void vmMapEntryDispose(long map, long entry, int[] countp) {
        long ba = StructVmMapEntry.ba(entry);
        int maptype = StructVmMapEntry.maptype(km, entry);
        if (maptype == VM_MAPTYPE_NORMAL) {
            long obj = StructVmMapEntry.ba_object(km, ba);
            if (obj != 0) {
                vmMapBackingDetach(entry, ba);
                kernel.vmObject().vmObjectDeallocate(obj);
            }
        } else if (maptype == VM_MAPTYPE_UKSMAP) {
            vmMapBackingDetach(entry, ba);
        }
        // The rest of the chain: each backing was kmalloc'ed by a shadow or a replication.
        long nba = StructVmMapEntry.ba_backing_ba(km, ba);
        while (nba != 0) {
            long next = StructVmMapEntry.ba_backing_ba(km, nba);
            long obj = StructVmMapEntry.ba_object(km, nba);
            if (obj != 0) {
                vmMapBackingDetach(entry, nba);
                kernel.vmObject().vmObjectDeallocate(obj);
            }
            kernel.kernSlaballoc().kfree(nba, mMapBacking);
            nba = next;
        }
        StructVmMapEntry.ba_backing_ba(km, ba, 0);
        StructVmMapEntry.ba_object(km, ba, 0);
        StructVmMapEntry.ba_offset(km, ba, 0);

        ++countp[0];
        long gd = kernel.globaldata().mycpu();
        lwkt.critEnter();
        StructVmMapEntry.mapentFreelist(km, entry, StructGlobaldata.gd_vme_base(km, gd));
        StructGlobaldata.gd_vme_base(km, gd, entry);
        lwkt.critExit();
    }

    /**
     * vm_map_entry_dispose_ba(): detaches and dereferences the object of each vm_map_backing of
     * the chain from {@code ba} on, and frees them (M_MAP_BACKING). May block.
     */
    private void vmMapEntryDisposeBa(long entry, long ba) {
        while (ba != 0) {
            long obj = StructVmMapEntry.ba_object(km, ba);
            if (obj != 0) {
                vmMapBackingDetach(entry, ba);
                kernel.vmObject().vmObjectDeallocate(obj);
            }
            long next = StructVmMapEntry.ba_backing_ba(km, ba);
            kernel.kernSlaballoc().kfree(ba, mMapBacking);
            ba = next;
        }
    }

    /** vm_map_entry_link(): inserts entry into the map's tree. Map locked. */
    private void vmMapEntryLink(long map, long entry) {
        assertVmMapLocked(map);
        StructVmMap.nentries(km, map, StructVmMap.nentries(km, map) + 1);
        if (vmMapRbTree.rbInsert(StructVmMap.rb_root(map), entry) != 0) {
            throw Kassert.panic("vm_map_entry_link: dup addr map 0x%x ent 0x%x", map, entry);
        }
    }

    /** vm_map_entry_unlink(): removes entry from the map's tree. Map locked. */
    private void vmMapEntryUnlink(long map, long entry) {
        assertVmMapLocked(map);
        if ((StructVmMapEntry.eflags(km, entry) & MAP_ENTRY_IN_TRANSITION) != 0) {
            throw Kassert.panic("vm_map_entry_unlink: attempt to mess with locked entry! 0x%x", entry);
        }
        vmMapRbTree.rbRemove(StructVmMap.rb_root(map), entry);
        StructVmMap.nentries(km, map, StructVmMap.nentries(km, map) - 1);
    }

    /**
     * vm_map_lookup_entry(): the entry containing {@code address} (returns true), or the entry
     * immediately before it, or 0 (returns false), in {@code entry[0]}. Map locked.
     */
    public boolean vmMapLookupEntry(long map, long address, long[] entry) {
        assertVmMapLocked(map);
        long last = 0;
        long tmp = vmMapRbTree.rbRoot(StructVmMap.rb_root(map));
        while (tmp != 0) {
            if (!ult(address, StructVmMapEntry.start(km, tmp))) {
                if (ult(address, StructVmMapEntry.end(km, tmp))) {
                    entry[0] = tmp;
                    return true;
                }
                last = tmp;
                tmp = km.load64(tmp + StructVmMapEntry.rb_entry$OFFSET + RBE_RIGHT);
            } else {
                tmp = km.load64(tmp + StructVmMapEntry.rb_entry$OFFSET + RBE_LEFT);
            }
        }
        entry[0] = last;
        return false;
    }

    /**
     * vm_map_insert(): inserts [start, end) of {@code mapObject} (at {@code offset}) into the map,
     * extending the previous entry instead when it is compatible and the object is NULL. Returns
     * KERN_SUCCESS, KERN_INVALID_ADDRESS (outside the map or empty) or KERN_NO_SPACE (overlap).
     * The map must be locked exclusively, the object held and already referenced for the new
     * entry, and map entries reserved ({@code countp[0]}). May block only on an object's
     * backing_lk. PORT: prefaulting (MAP_PREFAULT*, pmap_object_init_pt) is not ported.
     */
    public int vmMapInsert(long map, int[] countp, long mapObject, long mapAux, long offset, long auxInfo,
                           long start, long end, int maptype, int id, int prot, int max, int cow) {
        long object = maptype == VM_MAPTYPE_UKSMAP ? 0 : mapObject;
        assertVmMapLocked(map);
        if (ult(start, vmMapMin(map)) || ugt(end, vmMapMax(map)) || !ult(start, end)) {
            return KERN_INVALID_ADDRESS;
        }
        long[] temp = new long[1];
        if (vmMapLookupEntry(map, start, temp)) {
            return KERN_NO_SPACE;
        }
        long prevEntry = temp[0];
        long next = prevEntry != 0 ? vmMapRbTree.rbNext(prevEntry) : vmMapRbTree.rbMin(StructVmMap.rb_root(map));
        if (next != 0 && ult(StructVmMapEntry.start(km, next), end)) {
            return KERN_NO_SPACE;
        }
        Kassert.kkassert((cow & (MAP_PREFAULT | MAP_PREFAULT_PARTIAL)) == 0, "no MAP_PREFAULT (not ported)",
                "vm_map_insert");

        int protoeflags = 0;
        if ((cow & MAP_COPY_ON_WRITE) != 0) {
            protoeflags |= MAP_ENTRY_COW | MAP_ENTRY_NEEDS_COPY;
        }
        if ((cow & MAP_NOFAULT) != 0) {
            protoeflags |= MAP_ENTRY_NOFAULT;
            Kassert.kassert(object == 0, () -> "vm_map_insert: paradoxical MAP_NOFAULT request");
        }
        if ((cow & MAP_DISABLE_SYNCER) != 0) {
            protoeflags |= MAP_ENTRY_NOSYNC;
        }
        if ((cow & MAP_DISABLE_COREDUMP) != 0) {
            protoeflags |= MAP_ENTRY_NOCOREDUMP;
        }
        if ((cow & MAP_IS_STACK) != 0) {
            protoeflags |= MAP_ENTRY_STACK;
        }
        if ((cow & MAP_IS_KSTACK) != 0) {
            protoeflags |= MAP_ENTRY_KSTACK;
        }

        boolean mustDrop = false;
        if (object == 0 && prevEntry != 0
                && StructVmMapEntry.eflags(km, prevEntry) == protoeflags
                && StructVmMapEntry.end(km, prevEntry) == start
                && StructVmMapEntry.wired_count(km, prevEntry) == 0
                && StructVmMapEntry.id(km, prevEntry) == id
                && StructVmMapEntry.maptype(km, prevEntry) == maptype
                && maptype == VM_MAPTYPE_NORMAL
                && StructVmMapEntry.ba_backing_ba(km, StructVmMapEntry.ba(prevEntry)) == 0
                && (StructVmMapEntry.object(km, prevEntry) == 0
                    || kernel.vmObject().vmObjectCoalesce(StructVmMapEntry.object(km, prevEntry),
                        StructVmMapEntry.offset(km, prevEntry) >>> Param.PAGE_SHIFT,
                        StructVmMapEntry.end(km, prevEntry) - StructVmMapEntry.start(km, prevEntry),
                        end - StructVmMapEntry.end(km, prevEntry)))) {
            // The object could be extended; extend the previous entry too if it matches.
            if (StructVmMapEntry.inheritance(km, prevEntry) == VM_INHERIT_DEFAULT
                    && StructVmMapEntry.protection(km, prevEntry) == prot
                    && StructVmMapEntry.max_protection(km, prevEntry) == max) {
                StructVmMap.size(km, map, StructVmMap.size(km, map) + (end - StructVmMapEntry.end(km, prevEntry)));
                vmMapBackingAdjustEnd(prevEntry, end);
                vmMapSimplifyEntry(map, prevEntry, countp);
                return KERN_SUCCESS;
            }
            // A new entry for the extended object, which needs a reference for it.
            object = StructVmMapEntry.object(km, prevEntry);
            offset = StructVmMapEntry.offset(km, prevEntry) + (StructVmMapEntry.end(km, prevEntry)
                    - StructVmMapEntry.start(km, prevEntry));
            if (object != 0) {
                kernel.vmObject().vmObjectHold(object);
                kernel.vmObject().vmObjectReferenceLocked(object);
                mapObject = object;
                mustDrop = true;
            }
        }

        long newEntry = vmMapEntryCreate(countp);
        long ba = StructVmMapEntry.ba(newEntry);
        StructVmMapEntry.ba_pmap(km, ba, StructVmMap.pmap(km, map));
        StructVmMapEntry.ba_start(km, ba, start);
        StructVmMapEntry.ba_end(km, ba, end);
        StructVmMapEntry.id(km, newEntry, id);
        StructVmMapEntry.maptype(km, newEntry, maptype);
        StructVmMapEntry.eflags(km, newEntry, protoeflags);
        StructVmMapEntry.aux(km, newEntry, mapAux);
        StructVmMapEntry.ba_object(km, ba, mapObject);
        StructVmMapEntry.ba_backing_ba(km, ba, 0);
        StructVmMapEntry.ba_backing_count(km, ba, 0);
        StructVmMapEntry.ba_offset(km, ba, offset);
        StructVmMapEntry.ba_aux_info(km, ba, auxInfo);
        StructVmMapEntry.ba_flags(km, ba, 0);
        StructVmMapEntry.inheritance(km, newEntry, VM_INHERIT_DEFAULT);
        StructVmMapEntry.protection(km, newEntry, prot);
        StructVmMapEntry.max_protection(km, newEntry, max);
        StructVmMapEntry.wired_count(km, newEntry, 0);

        vmMapBackingReplicated(map, newEntry, MAP_BACK_BASEOBJREFD);
        vmMapEntryLink(map, newEntry);
        StructVmMap.size(km, map, StructVmMap.size(km, map) + (end - start));
        if (mustDrop) {
            kernel.vmObject().vmObjectDrop(object);
        }
        return KERN_SUCCESS;
    }

    /**
     * vm_map_findspace(): the lowest address at or after {@code start} where {@code length} bytes
     * aligned to {@code align} fit in the map, in {@code addr[0]}; returns 0, or 1 if there is no
     * room. For kernel_map, grows the kernel page tables (pmap_growkernel, which panics without
     * memory) when the space found reaches past kernel_vm_end. The map must be locked exclusively.
     * Never blocks.
     */
    public int vmMapFindspace(long map, long start, long length, long align, int flags, long[] addr) {
        if (ult(start, vmMapMin(map))) {
            start = vmMapMin(map);
        }
        if (ugt(start, vmMapMax(map))) {
            return 1;
        }
        long alignMask = ((align | (align - 1)) + 1 != (align << 1)) ? -1 : align - 1;

        // The free hint makes the search O(1) for repeated requests.
        long holeStart = vmMapFreehintFind(map, length, align);
        if (ult(start, holeStart)) {
            start = holeStart;
        }
        long[] tmp = new long[1];
        if (vmMapLookupEntry(map, start, tmp)) {
            start = StructVmMapEntry.end(km, tmp[0]);
        }
        long entry = tmp[0];

        for (;;) {
            long end;
            if (alignMask == -1) {
                end = Long.divideUnsigned(start + align - 1, align) * align;
            } else {
                end = (start + alignMask) & ~alignMask;
            }
            if (ult(end, start)) {
                return 1;
            }
            start = end;
            end = start + length;
            if (ugt(end, vmMapMax(map)) || ult(end, start)) {
                return 1;
            }
            entry = entry != 0 ? vmMapRbTree.rbNext(entry) : vmMapRbTree.rbMin(StructVmMap.rb_root(map));
            if (entry == 0) {
                break;
            }
            if (!ult(StructVmMapEntry.start(km, entry), end)) {
                if ((StructVmMapEntry.eflags(km, entry) & MAP_ENTRY_STACK) == 0) {
                    break;
                }
                if ((flags & MAP_TRYFIXED) != 0) {
                    break;
                }
                throw Kassert.panic("vm_map_findspace: stack entries are not ported");
            }
            start = StructVmMapEntry.end(km, entry);
        }
        vmMapFreehintUpdate(map, start, length, align);

        // Grow the kernel page tables; nothing can steal the space while we hold the map lock.
        if (map == kernelMap()) {
            long kstop = Param.roundPage(start + length);
            if (ugt(kstop, kernel.pmap().kernelVmEnd())) {
                kernel.pmap().pmapGrowkernel(start, kstop);
            }
        }
        addr[0] = start;
        return 0;
    }

    /**
     * vm_map_find(): finds room for {@code length} bytes (if {@code fitit}, from {@code addr[0]}
     * up) and inserts the object there; the address is returned in {@code addr[0]}. Returns a
     * KERN_* code (KERN_NO_SPACE when the map is full). If object is non-NULL it must already
     * carry a reference for the entry. Locks the map itself; may block. PORT: no UKSMAP.
     */
    public int vmMapFind(long map, long mapObject, long mapAux, long offset, long[] addr, long length, long align,
                         boolean fitit, int maptype, int id, int prot, int max, int cow) {
        Kassert.kkassert(maptype != VM_MAPTYPE_UKSMAP, "maptype != VM_MAPTYPE_UKSMAP", "vm_map_find");
        long object = mapObject;
        long start = addr[0];
        int[] count = {vmMapEntryReserve(MAP_RESERVE_COUNT)};
        vmMapLock(map);
        if (object != 0) {
            kernel.vmObject().vmObjectHoldShared(object);
        }
        if (fitit) {
            if (vmMapFindspace(map, start, length, align, 0, addr) != 0) {
                if (object != 0) {
                    kernel.vmObject().vmObjectDrop(object);
                }
                vmMapUnlock(map);
                vmMapEntryRelease(count[0]);
                return KERN_NO_SPACE;
            }
            start = addr[0];
        }
        int result = vmMapInsert(map, count, mapObject, mapAux, offset, 0, start, start + length,
                maptype, id, prot, max, cow);
        if (object != 0) {
            kernel.vmObject().vmObjectDrop(object);
        }
        vmMapUnlock(map);
        vmMapEntryRelease(count[0]);
        return result;
    }

    /**
     * vm_map_simplify_entry(): merges entry with compatible neighbours (contiguous, same object
     * at contiguous offsets, same flags, protection, id and wiring). Map locked exclusively.
     *
     * <p>As in the C at 737b020b54, the test against the next entry compares
     * {@code prev->ba.backing_ba}: with no previous entry that reads through a NULL pointer, a
     * kernel page fault (fixed upstream in 2acc150638, 2025-05-07). The port keeps the read.
     */
    private void vmMapSimplifyEntry(long map, long entry, int[] countp) {
        if ((StructVmMapEntry.eflags(km, entry) & MAP_ENTRY_IN_TRANSITION) != 0) {
            return;
        }
        int maptype = StructVmMapEntry.maptype(km, entry);
        if (maptype == VM_MAPTYPE_SUBMAP || maptype == VM_MAPTYPE_UKSMAP) {
            return;
        }
        long prev = vmMapRbTree.rbPrev(entry);
        if (prev != 0) {
            long prevsize = StructVmMapEntry.end(km, prev) - StructVmMapEntry.start(km, prev);
            if (StructVmMapEntry.end(km, prev) == StructVmMapEntry.start(km, entry)
                    && StructVmMapEntry.maptype(km, prev) == maptype
                    && StructVmMapEntry.object(km, prev) == StructVmMapEntry.object(km, entry)
                    && backingBa(prev) == backingBa(entry)
                    && (StructVmMapEntry.object(km, prev) == 0
                        || StructVmMapEntry.offset(km, prev) + prevsize == StructVmMapEntry.offset(km, entry))
                    && sameAttributes(prev, entry)) {
                vmMapEntryUnlink(map, prev);
                vmMapBackingAdjustStart(entry, StructVmMapEntry.start(km, prev));
                if (StructVmMapEntry.object(km, entry) == 0) {
                    StructVmMapEntry.ba_offset(km, StructVmMapEntry.ba(entry), 0);
                }
                vmMapEntryDispose(map, prev, countp);
            }
        }
        long next = vmMapRbTree.rbNext(entry);
        if (next != 0) {
            long esize = StructVmMapEntry.end(km, entry) - StructVmMapEntry.start(km, entry);
            if (StructVmMapEntry.end(km, entry) == StructVmMapEntry.start(km, next)
                    && StructVmMapEntry.maptype(km, next) == maptype
                    && StructVmMapEntry.object(km, next) == StructVmMapEntry.object(km, entry)
                    && backingBa(prev) == backingBa(entry)
                    && (StructVmMapEntry.object(km, entry) == 0
                        || StructVmMapEntry.offset(km, entry) + esize == StructVmMapEntry.offset(km, next))
                    && sameAttributes(next, entry)) {
                vmMapEntryUnlink(map, next);
                vmMapBackingAdjustEnd(entry, StructVmMapEntry.end(km, next));
                vmMapEntryDispose(map, next, countp);
            }
        }
    }

    /** {@code e->ba.backing_ba}; a NULL entry faults, as the C's dereference does. */
    private long backingBa(long e) {
        return StructVmMapEntry.ba_backing_ba(km, StructVmMapEntry.ba(e));
    }

    private boolean sameAttributes(long a, long b) {
        return StructVmMapEntry.eflags(km, a) == StructVmMapEntry.eflags(km, b)
                && StructVmMapEntry.protection(km, a) == StructVmMapEntry.protection(km, b)
                && StructVmMapEntry.max_protection(km, a) == StructVmMapEntry.max_protection(km, b)
                && StructVmMapEntry.inheritance(km, a) == StructVmMapEntry.inheritance(km, b)
                && StructVmMapEntry.id(km, a) == StructVmMapEntry.id(km, b)
                && StructVmMapEntry.wired_count(km, a) == StructVmMapEntry.wired_count(km, b);
    }

    /**
     * _vm_map_clip_start(): splits entry at {@code start}, the front part becoming a new entry.
     * Map locked exclusively; entries reserved. An object-less entry of a user map gets its
     * object first (vm_map_entry_allocate_object), so both halves share it; system maps
     * (kernel_map) never allocate one.
     */
    private void vmMapClipStart(long map, long entry, long start, int[] countp) {
        if (!ugt(start, StructVmMapEntry.start(km, entry))) {
            return;
        }
        vmMapSimplifyEntry(map, entry, countp);
        if (StructVmMapEntry.object(km, entry) == 0 && StructVmMap.system_map(km, map) == 0
                && StructVmMapEntry.maptype(km, entry) == VM_MAPTYPE_NORMAL) {
            vmMapEntryAllocateObject(entry);
        }
        long newEntry = vmMapEntryCreate(countp);
        copyEntry(entry, newEntry);
        StructVmMapEntry.ba_end(km, StructVmMapEntry.ba(newEntry), start);
        vmMapBackingReplicated(map, newEntry, MAP_BACK_CLIPPED);
        vmMapBackingAdjustStart(entry, start);
        vmMapEntryLink(map, newEntry);
    }

    /** {@code *dst = *src} for a map entry. */
    private void copyEntry(long src, long dst) {
        for (long off = 0; off < StructVmMapEntry.SIZEOF; off += 8) {
            km.store64(dst + off, km.load64(src + off));
        }
    }

    /**
     * _vm_map_clip_end(): splits entry at {@code end}, the back part becoming a new entry. Map
     * locked exclusively; entries reserved. PORT as {@link #vmMapClipStart}.
     */
    private void vmMapClipEnd(long map, long entry, long end, int[] countp) {
        if (!ult(end, StructVmMapEntry.end(km, entry))) {
            return;
        }
        if (StructVmMapEntry.object(km, entry) == 0 && StructVmMap.system_map(km, map) == 0
                && StructVmMapEntry.maptype(km, entry) == VM_MAPTYPE_NORMAL) {
            vmMapEntryAllocateObject(entry);
        }
        long newEntry = vmMapEntryCreate(countp);
        copyEntry(entry, newEntry);
        long nba = StructVmMapEntry.ba(newEntry);
        StructVmMapEntry.ba_offset(km, nba, StructVmMapEntry.ba_offset(km, nba) + (end - StructVmMapEntry.start(km, entry)));
        StructVmMapEntry.ba_start(km, nba, end);
        vmMapBackingReplicated(map, newEntry, MAP_BACK_CLIPPED);
        vmMapBackingAdjustEnd(entry, end);
        vmMapEntryLink(map, newEntry);
    }

    /**
     * vm_map_backing_replicated(): after an insert, clip or fork copy, points each backing of the
     * entry's chain at the map's pmap, references its object (except the base object when the
     * insert's caller already did) and links it into the object's backing_list; an object
     * referenced more than once loses OBJ_ONEMAPPING unless this is a clip. The chained backings
     * of a copied entry still belong to the source entry, so each is duplicated (M_MAP_BACKING)
     * and trimmed to the entry's range first. May block (kmalloc).
     */
    private void vmMapBackingReplicated(long map, long entry, int flags) {
        long ba = StructVmMapEntry.ba(entry);
        long start = StructVmMapEntry.ba_start(km, ba);
        long end = StructVmMapEntry.ba_end(km, ba);
        for (;;) {
            StructVmMapEntry.ba_pmap(km, ba, StructVmMap.pmap(km, map));
            long object = StructVmMapEntry.ba_object(km, ba);
            if (object != 0 && StructVmMapEntry.maptype(km, entry) == VM_MAPTYPE_NORMAL) {
                if (ba != StructVmMapEntry.ba(entry) || (flags & MAP_BACK_BASEOBJREFD) == 0) {
                    kernel.vmObject().vmObjectReferenceQuick(object);
                }
                vmMapBackingAttach(entry, ba);
                if ((flags & MAP_BACK_CLIPPED) == 0 && StructVmObject.ref_count(km, object) > 1) {
                    kernel.vmObject().vmObjectClearFlag(object, StructVmObject.OBJ_ONEMAPPING);
                }
            }
            long src = StructVmMapEntry.ba_backing_ba(km, ba);
            if (src == 0) {
                break;
            }
            long nba = kernel.kernSlaballoc().kmalloc(StructVmMapEntry.SIZEOF_BACKING, mMapBacking, Malloc.M_INTWAIT);
            copyBacking(src, nba);
            StructVmMapEntry.ba_offset(km, nba, StructVmMapEntry.ba_offset(km, nba) + (start - StructVmMapEntry.ba_start(km, nba)));
            StructVmMapEntry.ba_start(km, nba, start);
            StructVmMapEntry.ba_end(km, nba, end);
            StructVmMapEntry.ba_backing_ba(km, ba, nba);
            ba = nba;
        }
    }

    /** {@code *dst = *src} for a vm_map_backing. */
    private void copyBacking(long src, long dst) {
        for (long off = 0; off < StructVmMapEntry.SIZEOF_BACKING; off += 8) {
            km.store64(dst + off, km.load64(src + off));
        }
    }

    /**
     * vm_map_backing_adjust_start(): moves the start (and object offset) of every backing of the
     * entry's chain to start.
     */
    private void vmMapBackingAdjustStart(long entry, long start) {
        if (StructVmMapEntry.maptype(km, entry) != VM_MAPTYPE_NORMAL) {
            return;
        }
        for (long ba = StructVmMapEntry.ba(entry); ba != 0; ba = StructVmMapEntry.ba_backing_ba(km, ba)) {
            backingAdjustStart(ba, start);
        }
    }

    private void backingAdjustStart(long ba, long start) {
        long obj = StructVmMapEntry.ba_object(km, ba);
        long lk = obj + StructVmObject.backing_lk$OFFSET;
        if (obj != 0) {
            lwkt.lockmgrExclusive(lk, "baclk");
        }
        StructVmMapEntry.ba_offset(km, ba, StructVmMapEntry.ba_offset(km, ba) + (start - StructVmMapEntry.ba_start(km, ba)));
        StructVmMapEntry.ba_start(km, ba, start);
        if (obj != 0) {
            lwkt.lockmgrRelease(lk);
        }
    }

    /** vm_map_backing_adjust_end(): moves the end of every backing of the entry's chain to end. */
    private void vmMapBackingAdjustEnd(long entry, long end) {
        if (StructVmMapEntry.maptype(km, entry) != VM_MAPTYPE_NORMAL) {
            return;
        }
        for (long ba = StructVmMapEntry.ba(entry); ba != 0; ba = StructVmMapEntry.ba_backing_ba(km, ba)) {
            backingAdjustEnd(ba, end);
        }
    }

    private void backingAdjustEnd(long ba, long end) {
        long obj = StructVmMapEntry.ba_object(km, ba);
        long lk = obj + StructVmObject.backing_lk$OFFSET;
        if (obj != 0) {
            lwkt.lockmgrExclusive(lk, "baclk");
        }
        StructVmMapEntry.ba_end(km, ba, end);
        if (obj != 0) {
            lwkt.lockmgrRelease(lk);
        }
    }

    /** vm_map_clip_range() flag: fail if the range has holes. */
    public static final int MAP_CLIP_NO_HOLES = 0x0001;

    /**
     * vm_map_clip_range(): clips the entries covering [start, end) to the range and marks them
     * in transition; returns the first, or 0 if start is unmapped (or, with MAP_CLIP_NO_HOLES, the
     * range has a hole, after undoing). The map must be locked exclusively; entries reserved.
     *
     * <p>PORT: the port never releases the map lock while entries are in transition (its callers
     * hold it from here to vm_map_unclip_range()), so no other thread can meet an in-transition
     * entry and the C's transition waits cannot happen; meeting one panics.
     */
    private long vmMapClipRange(long map, long start, long end, int[] countp, int flags) {
        long[] se = new long[1];
        if (!vmMapLookupEntry(map, start, se)) {
            return 0;
        }
        long startEntry = se[0];
        long entry = startEntry;
        Kassert.kkassert((StructVmMapEntry.eflags(km, entry) & MAP_ENTRY_IN_TRANSITION) == 0,
                "!(entry->eflags & MAP_ENTRY_IN_TRANSITION) (port: never waited for)", "vm_map_clip_range");
        vmMapClipStart(map, entry, start, countp);
        vmMapClipEnd(map, entry, end, countp);
        StructVmMapEntry.eflags(km, entry, StructVmMapEntry.eflags(km, entry) | MAP_ENTRY_IN_TRANSITION);
        for (;;) {
            long next = vmMapRbTree.rbNext(entry);
            if (next == 0 || !ult(StructVmMapEntry.start(km, next), end)) {
                break;
            }
            if ((flags & MAP_CLIP_NO_HOLES) != 0 && ugt(StructVmMapEntry.start(km, next), StructVmMapEntry.end(km, entry))) {
                vmMapUnclipRange(map, startEntry, start, StructVmMapEntry.end(km, entry), countp, flags);
                return 0;
            }
            Kassert.kkassert((StructVmMapEntry.eflags(km, next) & MAP_ENTRY_IN_TRANSITION) == 0,
                    "!(next->eflags & MAP_ENTRY_IN_TRANSITION) (port: never waited for)", "vm_map_clip_range");
            vmMapClipEnd(map, next, end, countp);
            StructVmMapEntry.eflags(km, next, StructVmMapEntry.eflags(km, next) | MAP_ENTRY_IN_TRANSITION);
            entry = next;
        }
        if ((flags & MAP_CLIP_NO_HOLES) != 0 && StructVmMapEntry.end(km, entry) != end) {
            vmMapUnclipRange(map, startEntry, start, StructVmMapEntry.end(km, entry), countp, flags);
            return 0;
        }
        return startEntry;
    }

    /**
     * vm_map_unclip_range(): clears the in-transition marks vm_map_clip_range() set on [start,
     * end) from startEntry, wakes waiters, and simplifies the entries (merging them with each
     * other and their neighbours where possible). Map locked exclusively.
     */
    private void vmMapUnclipRange(long map, long startEntry, long start, long end, int[] countp, int flags) {
        Kassert.kassert(StructVmMapEntry.start(km, startEntry) == start, () -> "unclip_range: illegal base entry");
        long entry = startEntry;
        while (entry != 0 && ult(StructVmMapEntry.start(km, entry), end)) {
            final long e = entry;
            Kassert.kassert((StructVmMapEntry.eflags(km, e) & MAP_ENTRY_IN_TRANSITION) != 0,
                    () -> String.format("in-transition flag not set during unclip on: 0x%x", e));
            Kassert.kassert(!ugt(StructVmMapEntry.end(km, e), end), () -> "unclip_range: tail wasn't clipped");
            int eflags = StructVmMapEntry.eflags(km, entry) & ~MAP_ENTRY_IN_TRANSITION;
            if ((eflags & StructVmMapEntry.MAP_ENTRY_NEEDS_WAKEUP) != 0) {
                eflags &= ~StructVmMapEntry.MAP_ENTRY_NEEDS_WAKEUP;
                lwkt.wakeup(map);
            }
            StructVmMapEntry.eflags(km, entry, eflags);
            entry = vmMapRbTree.rbNext(entry);
        }
        entry = startEntry;
        while (entry != 0 && ult(StructVmMapEntry.start(km, entry), end)) {
            vmMapSimplifyEntry(map, entry, countp);
            entry = vmMapRbTree.rbNext(entry);
        }
    }

    /**
     * vm_map_inherit(): sets the inheritance of [start, end) (what vmspace_fork gives a child:
     * VM_INHERIT_SHARE, _COPY or _NONE), clipping the entries at the range's ends and merging
     * each changed entry with its neighbours where they now match (vm_map_simplify_entry).
     * Returns KERN_SUCCESS, or KERN_INVALID_ARGUMENT for an unknown inheritance. Reserves map
     * entries itself; the map must not be locked. May block.
     */
    public int vmMapInherit(long map, long start, long end, int newInheritance) {
        switch (newInheritance) {
            case StructVmMapEntry.VM_INHERIT_NONE, StructVmMapEntry.VM_INHERIT_COPY, StructVmMapEntry.VM_INHERIT_SHARE -> { }
            default -> {
                return KERN_INVALID_ARGUMENT;
            }
        }
        int[] count = {vmMapEntryReserve(MAP_RESERVE_COUNT)};
        vmMapLock(map);
        // VM_MAP_RANGE_CHECK
        if (ult(start, vmMapMin(map))) start = vmMapMin(map);
        if (ugt(end, vmMapMax(map))) end = vmMapMax(map);
        if (ugt(start, end)) start = end;

        long[] temp = new long[1];
        long entry;
        if (vmMapLookupEntry(map, start, temp)) {
            entry = temp[0];
            vmMapClipStart(map, entry, start, count);
        } else if (temp[0] != 0) {
            entry = vmMapRbTree.rbNext(temp[0]);
        } else {
            entry = vmMapRbTree.rbMin(StructVmMap.rb_root(map));
        }
        while (entry != 0 && ult(StructVmMapEntry.start(km, entry), end)) {
            vmMapClipEnd(map, entry, end, count);
            StructVmMapEntry.inheritance(km, entry, newInheritance);
            vmMapSimplifyEntry(map, entry, count);
            entry = vmMapRbTree.rbNext(entry);
        }
        vmMapUnlock(map);
        vmMapEntryRelease(count[0]);
        return KERN_SUCCESS;
    }

    /**
     * vm_map_protect(): sets the protection (or, with {@code setMax}, the maximum protection) of
     * [start, end), clipping the entries at both ends; the pmap is lowered to match wherever the
     * protection changed (write stays off a copy-on-write entry). Returns KERN_SUCCESS,
     * KERN_PROTECTION_FAILURE (more than an entry's maximum protection; nothing changed) or
     * KERN_INVALID_ARGUMENT (a submap). Holes are skipped. The map must not be locked. May block.
     * PORT: vnode objects are not ported, so the C's v_lastwrite_ts update has nothing to do.
     */
    public int vmMapProtect(long map, long start, long end, int newProt, boolean setMax) {
        int[] count = {vmMapEntryReserve(MAP_RESERVE_COUNT)};
        vmMapLock(map);
        try {
            // VM_MAP_RANGE_CHECK
            if (ult(start, vmMapMin(map))) {
                start = vmMapMin(map);
            }
            if (ugt(end, vmMapMax(map))) {
                end = vmMapMax(map);
            }
            if (ugt(start, end)) {
                start = end;
            }
            long[] e = new long[1];
            long entry;
            if (vmMapLookupEntry(map, start, e)) {
                entry = e[0];
                vmMapClipStart(map, entry, start, count);
            } else if (e[0] != 0) {
                entry = vmMapRbTree.rbNext(e[0]);
            } else {
                entry = vmMapRbTree.rbMin(StructVmMap.rb_root(map));
            }
            // First pass: check for protection violations.
            for (long cur = entry; cur != 0 && ult(StructVmMapEntry.start(km, cur), end); cur = vmMapRbTree.rbNext(cur)) {
                if (StructVmMapEntry.maptype(km, cur) == VM_MAPTYPE_SUBMAP) {
                    return KERN_INVALID_ARGUMENT;
                }
                if ((newProt & StructVmMapEntry.max_protection(km, cur)) != newProt) {
                    return KERN_PROTECTION_FAILURE;
                }
            }
            // Second pass: set the protections (no clipping at the start any more).
            for (long cur = entry; cur != 0 && ult(StructVmMapEntry.start(km, cur), end); cur = vmMapRbTree.rbNext(cur)) {
                vmMapClipEnd(map, cur, end, count);
                int oldProt = StructVmMapEntry.protection(km, cur);
                if (setMax) {
                    StructVmMapEntry.max_protection(km, cur, newProt);
                    StructVmMapEntry.protection(km, cur, newProt & oldProt);
                } else {
                    StructVmMapEntry.protection(km, cur, newProt);
                }
                int prot = StructVmMapEntry.protection(km, cur);
                if (prot != oldProt) {
                    int mask = (StructVmMapEntry.eflags(km, cur) & MAP_ENTRY_COW) != 0 ? ~Vm.VM_PROT_WRITE : Vm.VM_PROT_ALL;
                    kernel.pmap().pmapProtect(StructVmMap.pmap(km, map), StructVmMapEntry.start(km, cur),
                            StructVmMapEntry.end(km, cur), prot & mask);
                }
                vmMapSimplifyEntry(map, cur, count);
            }
            return KERN_SUCCESS;
        } finally {
            vmMapUnlock(map);
            vmMapEntryRelease(count[0]);
        }
    }

    /**
     * vm_map_madvise(): the madvise advisories that act on the objects under [start, end)
     * (MADV_WILLNEED, MADV_DONTNEED, MADV_FREE: vm_object_madvise on the part of each normal
     * entry's head object inside the range, without clipping; MADV_INVAL: pmap_remove of the
     * range). Returns 0 or EINVAL (an unknown advice). The map must not be locked. May block.
     *
     * <p>PORT: the advisories that change map entries (MADV_NORMAL, SEQUENTIAL, RANDOM, NOSYNC,
     * AUTOSYNC, NOCORE, CORE, SETMAP) are not ported (no caller: dfemu's workloads advise
     * WILLNEED, DONTNEED and FREE) and return EINVAL. The map lock is exclusive where the C takes
     * it shared (the port has no shared map lock), so MADV_INVAL needs no range interlock.
     * MADV_WILLNEED's pmap_object_init_pt is compiled out at this commit (#if 0), so nothing
     * is prefaulted.
     */
    public int vmMapMadvise(long map, long start, long end, int behav, long value) {
        int[] count = {vmMapEntryReserve(MAP_RESERVE_COUNT)};
        switch (behav) {
            case org.dfemu.kernel.sys.Mman.MADV_INVAL, org.dfemu.kernel.sys.Mman.MADV_WILLNEED,
                 org.dfemu.kernel.sys.Mman.MADV_DONTNEED, org.dfemu.kernel.sys.Mman.MADV_FREE -> vmMapLock(map);
            default -> {
                vmMapEntryRelease(count[0]);
                return org.dfemu.kernel.sys.Errno.EINVAL;
            }
        }
        try {
            // VM_MAP_RANGE_CHECK
            if (ult(start, vmMapMin(map))) {
                start = vmMapMin(map);
            }
            if (ugt(end, vmMapMax(map))) {
                end = vmMapMax(map);
            }
            if (ugt(start, end)) {
                start = end;
            }
            long[] e = new long[1];
            long entry;
            if (vmMapLookupEntry(map, start, e)) {
                entry = e[0];
            } else if (e[0] != 0) {
                entry = vmMapRbTree.rbNext(e[0]);
            } else {
                entry = vmMapRbTree.rbMin(StructVmMap.rb_root(map));
            }
            for (long cur = entry; cur != 0 && ult(StructVmMapEntry.start(km, cur), end); cur = vmMapRbTree.rbNext(cur)) {
                if (StructVmMapEntry.maptype(km, cur) != VM_MAPTYPE_NORMAL) {
                    continue;
                }
                long cs = StructVmMapEntry.start(km, cur);
                long ce = StructVmMapEntry.end(km, cur);
                long pindex = StructVmMapEntry.offset(km, cur) >>> Param.PAGE_SHIFT;
                long delta = (ce - cs) >>> Param.PAGE_SHIFT;
                long useStart = cs;
                if (ult(cs, start)) {
                    pindex += (start - cs) >>> Param.PAGE_SHIFT;
                    delta -= (start - cs) >>> Param.PAGE_SHIFT;
                    useStart = start;
                }
                if (ugt(ce, end)) {
                    delta -= (ce - end) >>> Param.PAGE_SHIFT;
                }
                if (delta <= 0) {
                    continue;
                }
                if (behav == org.dfemu.kernel.sys.Mman.MADV_INVAL) {
                    kernel.pmap().pmapRemove(StructVmMap.pmap(km, map), useStart, useStart + Param.ptoa(delta));
                } else {
                    kernel.vmObject().vmObjectMadvise(StructVmMapEntry.object(km, cur), pindex, delta, behav);
                }
            }
            return 0;
        } finally {
            vmMapUnlock(map);
            vmMapEntryRelease(count[0]);
        }
    }

    /**
     * vm_map_unwire(): mlock(2) ({@code newPageable} false: user-wire [start, realEnd), faulting
     * the pages in wired through vm_fault_wire) and munlock(2) ({@code newPageable} true: drop
     * the user wiring; entries whose wiring reaches 0 are unwired). An entry already user-wired
     * is left as it is; one wired by the kernel only gains the user wiring. A failed fault-in
     * undoes the wiring of the entries from the failing one on and unwires the ones before it.
     * Returns KERN_SUCCESS, KERN_INVALID_ADDRESS (the range has a hole) or KERN_INVALID_ARGUMENT
     * (unwiring memory that is not user-wired), or the failed fault's code. The map must not be
     * locked. May block (vm_fault_wire releases the map lock around its faults, as the C does).
     */
    public int vmMapUnwire(long map, long start, long realEnd, boolean newPageable) {
        int[] count = {vmMapEntryReserve(MAP_RESERVE_COUNT)};
        int rv = KERN_SUCCESS;
        vmMapLock(map);
        try {
            // VM_MAP_RANGE_CHECK
            if (ult(start, vmMapMin(map))) {
                start = vmMapMin(map);
            }
            if (ugt(realEnd, vmMapMax(map))) {
                realEnd = vmMapMax(map);
            }
            if (ugt(start, realEnd)) {
                start = realEnd;
            }
            long end = realEnd;
            long startEntry = vmMapClipRange(map, start, end, count, MAP_CLIP_NO_HOLES);
            if (startEntry == 0) {
                return KERN_INVALID_ADDRESS;
            }
            if (!newPageable) {
                long entry = startEntry;
                while (entry != 0 && ult(StructVmMapEntry.start(km, entry), end)) {
                    int eflags = StructVmMapEntry.eflags(km, entry);
                    if ((eflags & MAP_ENTRY_USER_WIRED) != 0) {
                        entry = vmMapRbTree.rbNext(entry);
                        continue;
                    }
                    if (StructVmMapEntry.wired_count(km, entry) != 0) {
                        StructVmMapEntry.wired_count(km, entry, StructVmMapEntry.wired_count(km, entry) + 1);
                        StructVmMapEntry.eflags(km, entry, eflags | MAP_ENTRY_USER_WIRED);
                        entry = vmMapRbTree.rbNext(entry);
                        continue;
                    }
                    // A new wiring: the entry gets what it needs, then its pages are faulted in.
                    if (StructVmMapEntry.maptype(km, entry) == VM_MAPTYPE_NORMAL) {
                        if ((eflags & MAP_ENTRY_NEEDS_COPY) != 0
                                && (StructVmMapEntry.protection(km, entry) & Vm.VM_PROT_WRITE) != 0) {
                            vmMapEntryShadow(entry);
                        } else if (StructVmMapEntry.object(km, entry) == 0 && StructVmMap.system_map(km, map) == 0) {
                            vmMapEntryAllocateObject(entry);
                        }
                    }
                    StructVmMapEntry.wired_count(km, entry, StructVmMapEntry.wired_count(km, entry) + 1);
                    StructVmMapEntry.eflags(km, entry, StructVmMapEntry.eflags(km, entry) | MAP_ENTRY_USER_WIRED);
                    long saveStart = StructVmMapEntry.start(km, entry);
                    long saveEnd = StructVmMapEntry.end(km, entry);
                    rv = kernel.vmFault().vmFaultWire(map, entry, true, 0);
                    if (rv != KERN_SUCCESS) {
                        entry = clipCheckBack(entry, saveStart);
                        for (;;) {
                            final long ent = entry;
                            Kassert.kassert(StructVmMapEntry.wired_count(km, ent) == 1, () -> "bad wired_count on entry");
                            StructVmMapEntry.eflags(km, entry, StructVmMapEntry.eflags(km, entry) & ~MAP_ENTRY_USER_WIRED);
                            StructVmMapEntry.wired_count(km, entry, 0);
                            if (StructVmMapEntry.end(km, entry) == saveEnd) {
                                break;
                            }
                            entry = vmMapRbTree.rbNext(entry);
                            Kassert.kassert(entry != 0, () -> "bad entry clip during backout");
                        }
                        end = saveStart;   // unwire the rest
                        break;
                    }
                    entry = vmMapRbTree.rbNext(entry);
                }
                if (rv != KERN_SUCCESS) {
                    newPageable = true;
                }
                startEntry = clipCheckBack(startEntry, start);
            }
            if (newPageable) {
                long entry = startEntry;
                while (entry != 0 && ult(StructVmMapEntry.start(km, entry), end)) {
                    if ((StructVmMapEntry.eflags(km, entry) & MAP_ENTRY_USER_WIRED) == 0) {
                        rv = KERN_INVALID_ARGUMENT;
                        break;
                    }
                    final long ent = entry;
                    Kassert.kassert(StructVmMapEntry.wired_count(km, ent) != 0,
                            () -> String.format("wired count was 0 with USER_WIRED set! 0x%x", ent));
                    entry = vmMapRbTree.rbNext(entry);
                }
                if (rv != KERN_INVALID_ARGUMENT) {
                    entry = startEntry;
                    while (entry != 0 && ult(StructVmMapEntry.start(km, entry), end)) {
                        StructVmMapEntry.eflags(km, entry, StructVmMapEntry.eflags(km, entry) & ~MAP_ENTRY_USER_WIRED);
                        int wired = StructVmMapEntry.wired_count(km, entry) - 1;
                        StructVmMapEntry.wired_count(km, entry, wired);
                        if (wired == 0) {
                            vmFaultUnwire(map, entry);
                        }
                        entry = vmMapRbTree.rbNext(entry);
                    }
                }
            }
            vmMapUnclipRange(map, startEntry, start, realEnd, count, MAP_CLIP_NO_HOLES);
            return rv;
        } finally {
            vmMapUnlock(map);
            vmMapEntryRelease(count[0]);
        }
    }

    /** CLIP_CHECK_BACK: the entry that starts at {@code saveStart}, walking back from entry. */
    private long clipCheckBack(long entry, long saveStart) {
        while (StructVmMapEntry.start(km, entry) != saveStart) {
            entry = vmMapRbTree.rbPrev(entry);
            Kassert.kassert(entry != 0, () -> "bad entry clip");
        }
        return entry;
    }

    /**
     * vm_map_wire(): wires [start, realEnd) (KM_PAGEABLE clear) or unwires it (KM_PAGEABLE set).
     * Newly wired entries get their pages faulted in wired (vm_fault_wire); entries whose wiring
     * drops to 0 are unwired (vm_fault_unwire). Returns KERN_SUCCESS, KERN_INVALID_ADDRESS (a
     * hole) or KERN_INVALID_ARGUMENT (unwiring unwired memory). Reserves map entries itself
     * (kreserve with KM_KRESERVE); the map must not be locked. May block.
     *
     * <p>PORT: the C drops the map lock around vm_fault_wire(), relying on the in-transition
     * marks; the port's fault-in only takes resident kernel_object pages (vm_fault is not ported
     * yet: any other entry panics), so it keeps the lock. Entries needing a shadow or an object
     * (copy-on-write, non-system maps) are not ported.
     */
    public int vmMapWire(long map, long start, long realEnd, int kmflags) {
        int[] count = {(kmflags & VmKern.KM_KRESERVE) != 0 ? vmMapEntryKreserve(MAP_RESERVE_COUNT)
                : vmMapEntryReserve(MAP_RESERVE_COUNT)};
        int rv = KERN_SUCCESS;
        vmMapLock(map);
        try {
            // VM_MAP_RANGE_CHECK
            if (ult(start, vmMapMin(map))) {
                start = vmMapMin(map);
            }
            if (ugt(realEnd, vmMapMax(map))) {
                realEnd = vmMapMax(map);
            }
            if (ugt(start, realEnd)) {
                start = realEnd;
            }
            long end = realEnd;
            long startEntry = vmMapClipRange(map, start, end, count, MAP_CLIP_NO_HOLES);
            if (startEntry == 0) {
                return KERN_INVALID_ADDRESS;
            }
            if ((kmflags & VmKern.KM_PAGEABLE) == 0) {
                // Pass 1: count the wiring (objects would be created here; see PORT).
                long entry = startEntry;
                while (entry != 0 && ult(StructVmMapEntry.start(km, entry), end)) {
                    int wired = StructVmMapEntry.wired_count(km, entry);
                    if (wired == 0 && StructVmMapEntry.maptype(km, entry) == VM_MAPTYPE_NORMAL) {
                        boolean cow = (StructVmMapEntry.eflags(km, entry) & MAP_ENTRY_NEEDS_COPY) != 0
                                && (StructVmMapEntry.protection(km, entry) & Vm.VM_PROT_WRITE) != 0;
                        Kassert.kkassert(!cow, "!NEEDS_COPY (vm_map_entry_shadow not ported)", "vm_map_wire");
                        Kassert.kkassert(StructVmMapEntry.object(km, entry) != 0 || StructVmMap.system_map(km, map) != 0,
                                "entry->ba.object || map->system_map (vm_map_entry_allocate_object not ported)",
                                "vm_map_wire");
                    }
                    StructVmMapEntry.wired_count(km, entry, wired + 1);
                    entry = vmMapRbTree.rbNext(entry);
                }
                // Pass 2: fault in the newly wired entries.
                entry = startEntry;
                while (entry != 0 && ult(StructVmMapEntry.start(km, entry), end)) {
                    if (StructVmMapEntry.wired_count(km, entry) == 1) {
                        vmFaultWire(map, entry);
                    }
                    entry = vmMapRbTree.rbNext(entry);
                }
            } else {
                long entry = startEntry;
                while (entry != 0 && ult(StructVmMapEntry.start(km, entry), end)) {
                    if (StructVmMapEntry.wired_count(km, entry) == 0) {
                        rv = KERN_INVALID_ARGUMENT;
                        break;
                    }
                    entry = vmMapRbTree.rbNext(entry);
                }
                if (rv == KERN_SUCCESS) {
                    entry = startEntry;
                    while (entry != 0 && ult(StructVmMapEntry.start(km, entry), end)) {
                        int wired = StructVmMapEntry.wired_count(km, entry) - 1;
                        StructVmMapEntry.wired_count(km, entry, wired);
                        if (wired == 0) {
                            vmFaultUnwire(map, entry);
                        }
                        entry = vmMapRbTree.rbNext(entry);
                    }
                }
            }
            vmMapUnclipRange(map, startEntry, start, realEnd, count, MAP_CLIP_NO_HOLES);
        } finally {
            vmMapUnlock(map);
            if ((kmflags & VmKern.KM_KRESERVE) != 0) {
                vmMapEntryKrelease(count[0]);
            } else {
                vmMapEntryRelease(count[0]);
            }
        }
        return rv;
    }

    /**
     * vm_map_set_wired_quick(): marks [addr, addr + size) wired (wired_count 1) without faulting
     * anything in: the caller (kmem_slab_alloc) enters the pages itself. The entries must be
     * unwired. The map must be locked exclusively and stays locked; entries reserved.
     */
    public void vmMapSetWiredQuick(long map, long addr, long size, int[] countp) {
        long entry = vmMapClipRange(map, addr, addr + size, countp, MAP_CLIP_NO_HOLES);
        long scan = entry;
        while (scan != 0 && ult(StructVmMapEntry.start(km, scan), addr + size)) {
            Kassert.kkassert(StructVmMapEntry.wired_count(km, scan) == 0, "scan->wired_count == 0",
                    "vm_map_set_wired_quick");
            StructVmMapEntry.wired_count(km, scan, 1);
            scan = vmMapRbTree.rbNext(scan);
        }
        vmMapUnclipRange(map, entry, addr, addr + size, countp, MAP_CLIP_NO_HOLES);
    }

    /**
     * vm_fault_wire() (vm_fault.c) for a kernel_object entry whose pages are resident: wires each
     * page and enters it wired in the map's pmap with the entry's protection. A guarded kernel
     * stack's first page is skipped. Map locked. May block (busy pages).
     */
    private void vmFaultWire(long map, long entry) {
        long start = StructVmMapEntry.start(km, entry);
        long end = StructVmMapEntry.end(km, entry);
        long object = StructVmMapEntry.object(km, entry);
        Kassert.kkassert(object == kernel.vmObject().kernelObject(), "entry->ba.object == &kernel_object (port)",
                "vm_fault_wire");
        if ((StructVmMapEntry.eflags(km, entry) & MAP_ENTRY_KSTACK) != 0) {
            start += PAGE_SIZE;
        }
        long pmap = StructVmMap.pmap(km, map);
        int prot = StructVmMapEntry.protection(km, entry);
        VmPage vp = kernel.vmPage();
        VmObject vo = kernel.vmObject();
        vo.vmObjectHold(object);
        try {
            for (long va = start; ult(va, end); va += PAGE_SIZE) {
                long pindex = (StructVmMapEntry.offset(km, entry) + (va - StructVmMapEntry.start(km, entry))) >>> Param.PAGE_SHIFT;
                long m = vp.vmPageLookupBusyWait(object, pindex, true, "vmwrpg");
                Kassert.kassert(m != 0, () -> "vm_fault_wire: kernel_object page not resident (port needs vm_fault)");
                vp.vmPageWire(m);
                kernel.pmap().pmapEnter(pmap, va, m, prot, true, entry);
                vp.vmPageWakeup(m);
            }
        } finally {
            vo.vmObjectDrop(object);
        }
    }

    /**
     * vm_fault_unwire() (vm_fault.c): clears the wired bit of each PTE of the entry
     * (pmap_unwire) and unwires the page (to the active queue). Map locked. May block.
     */
    void vmFaultUnwire(long map, long entry) {
        long start = StructVmMapEntry.start(km, entry);
        long end = StructVmMapEntry.end(km, entry);
        if ((StructVmMapEntry.eflags(km, entry) & MAP_ENTRY_KSTACK) != 0) {
            start += PAGE_SIZE;
        }
        long pmap = StructVmMap.pmap(km, map);
        VmPage vp = kernel.vmPage();
        for (long va = start; ult(va, end); va += PAGE_SIZE) {
            long m = kernel.pmap().pmapUnwire(pmap, va);
            if (m != 0) {
                vp.vmPageBusyWait(m, true, "vmwrpg");
                vp.vmPageUnwire(m, true);
                vp.vmPageWakeup(m);
            }
        }
    }

    /** vm_map_entry_unwire(): drops all wiring of an entry. Map locked. */
    private void vmMapEntryUnwire(long map, long entry) {
        StructVmMapEntry.eflags(km, entry, StructVmMapEntry.eflags(km, entry) & ~MAP_ENTRY_USER_WIRED);
        StructVmMapEntry.wired_count(km, entry, 0);
        vmFaultUnwire(map, entry);
    }

    /** vm_map_entry_delete(): unlinks and disposes of an entry. Map locked. */
    private void vmMapEntryDelete(long map, long entry, int[] countp) {
        vmMapEntryUnlink(map, entry);
        StructVmMap.size(km, map, StructVmMap.size(km, map) - (StructVmMapEntry.end(km, entry) - StructVmMapEntry.start(km, entry)));
        vmMapEntryDispose(map, entry, countp);
    }

    /**
     * vm_map_delete(): removes [start, end) from the map: clips the boundary entries, unwires
     * wired entries, removes their pmap mappings, frees kernel_object pages (and the pages of
     * one-mapping anonymous objects) in the range, deletes the entries and updates the free
     * hints. The map must be locked exclusively and entries reserved ({@code countp[0]}). Returns
     * KERN_SUCCESS. May block (page busy, backing_lk). PORT: in-transition entries are only ever
     * seen by the thread that holds the map lock (see vm_map_clip_range), so there is no
     * transition wait.
     */
    public int vmMapDelete(long map, long start, long end, int[] countp) {
        assertVmMapLocked(map);
        long[] first = new long[1];
        long entry;
        long holeStart;
        if (vmMapLookupEntry(map, start, first)) {
            entry = first[0];
            vmMapClipStart(map, entry, start, countp);
            holeStart = start;
        } else if (first[0] != 0) {
            entry = vmMapRbTree.rbNext(first[0]);
            holeStart = entry == 0 ? StructVmMapEntry.start(km, first[0]) : StructVmMapEntry.end(km, first[0]);
        } else {
            entry = vmMapRbTree.rbMin(StructVmMap.rb_root(map));
            holeStart = entry == 0 ? vmMapMin(map) : vmMapMax(map);
        }

        long kernelObject = kernel.vmObject().kernelObject();
        Pmap pmapc = kernel.pmap();
        VmObject vo = kernel.vmObject();
        while (entry != 0 && ult(StructVmMapEntry.start(km, entry), end)) {
            Kassert.kkassert((StructVmMapEntry.eflags(km, entry) & MAP_ENTRY_IN_TRANSITION) == 0,
                    "!(entry->eflags & MAP_ENTRY_IN_TRANSITION) (port: never waited for)", "vm_map_delete");
            vmMapClipEnd(map, entry, end, countp);
            long s = StructVmMapEntry.start(km, entry);
            long e = StructVmMapEntry.end(km, entry);
            long next = vmMapRbTree.rbNext(entry);
            long offidxstart = StructVmMapEntry.offset(km, entry) >>> Param.PAGE_SHIFT;
            long count = (e - s) >>> Param.PAGE_SHIFT;
            int maptype = StructVmMapEntry.maptype(km, entry);
            long object = (maptype == VM_MAPTYPE_NORMAL || maptype == VM_MAPTYPE_SUBMAP)
                    ? StructVmMapEntry.object(km, entry) : 0;

            // Unwire before removing addresses from the pmap, or unwiring would put them back.
            if (StructVmMapEntry.wired_count(km, entry) != 0) {
                vmMapEntryUnwire(map, entry);
            }
            long offidxend = offidxstart + count;
            long pmap = StructVmMap.pmap(km, map);
            if (object == kernelObject) {
                pmapc.pmapRemove(pmap, s, e);
                vo.vmObjectHold(object);
                vo.vmObjectPageRemove(object, offidxstart, offidxend, false);
                vo.vmObjectDrop(object);
            } else if (object != 0 && StructVmObject.type(km, object) != StructVmObject.OBJT_DEFAULT
                    && StructVmObject.type(km, object) != StructVmObject.OBJT_SWAP) {
                vo.vmObjectHoldShared(object);
                pmapc.pmapRemove(pmap, s, e);
                vo.vmObjectDrop(object);
            } else if (object != 0) {
                vo.vmObjectHold(object);
                pmapc.pmapRemove(pmap, s, e);
                if (StructVmObject.ref_count(km, object) != 1
                        && (StructVmObject.flags(km, object) & (StructVmObject.OBJ_NOSPLIT | StructVmObject.OBJ_ONEMAPPING))
                            == StructVmObject.OBJ_ONEMAPPING) {
                    // ONEMAPPING: the pages under the entry can be destroyed.
                    vo.vmObjectPageRemove(object, offidxstart, offidxend, false);
                    if (Long.compareUnsigned(offidxend, StructVmObject.size(km, object)) >= 0
                            && ult(offidxstart, StructVmObject.size(km, object))) {
                        StructVmObject.size(km, object, offidxstart);
                    }
                }
                vo.vmObjectDrop(object);
            }
            // Delete the entry only after its pages are out of every pmap.
            vmMapEntryDelete(map, entry, countp);
            entry = next;
        }
        if (entry == 0) {
            vmMapFreehintHole(map, holeStart, vmMapMax(map) - holeStart);
        } else {
            vmMapFreehintHole(map, holeStart, StructVmMapEntry.start(km, entry) - holeStart);
        }
        return KERN_SUCCESS;
    }

    /**
     * vm_map_remove(): vm_map_delete() with its own entry reservation and map lock, the range
     * clamped to the map. Returns KERN_SUCCESS. May block.
     */
    public int vmMapRemove(long map, long start, long end) {
        int[] count = {vmMapEntryReserve(MAP_RESERVE_COUNT)};
        vmMapLock(map);
        // VM_MAP_RANGE_CHECK
        if (ult(start, vmMapMin(map))) {
            start = vmMapMin(map);
        }
        if (ugt(end, vmMapMax(map))) {
            end = vmMapMax(map);
        }
        if (ugt(start, end)) {
            start = end;
        }
        int result;
        try {
            result = vmMapDelete(map, start, end, count);
        } finally {
            vmMapUnlock(map);
            vmMapEntryRelease(count[0]);
        }
        return result;
    }

    // ---- vmspaces (user address spaces) ------------------------------------------------------

    /**
     * vmspace_alloc(): a new address space over [min, max): a fresh user pmap (pmap_pinit) and an
     * empty map driving it, with one reference. May block (kmalloc, page-table pages).
     * PORT: the C takes the structure from the vmspace objcache, whose constructor does the
     * pmap_pinit0 part; here it is kmalloc'ed (M_VMSPACE) and initialised in one go.
     */
    public long vmspaceAlloc(long min, long max) {
        long vm = kernel.kernSlaballoc().kmalloc(StructVmspace.SIZEOF, mVmspace, Malloc.M_WAITOK | Malloc.M_ZERO);
        kernel.pmap().pmapPinit(StructVmspace.vm_pmap(vm));
        vmMapInit(StructVmspace.vm_map(vm), min, max, StructVmspace.vm_pmap(vm));
        StructVmspace.vm_refcnt(km, vm, 1);
        return vm;
    }

    /** vmspace_ref(): adds a reference to a referenced vmspace. Never blocks. */
    public void vmspaceRef(long vm) {
        Kassert.kkassert(StructVmspace.vm_refcnt(km, vm) > 0, "vm->vm_refcnt > 0", "vmspace_ref");
        km.fetchAdd32(vm + StructVmspace.vm_refcnt$OFFSET, 1);
    }

    /**
     * vmspace_rel(): drops a reference; the last one terminates the vmspace (vmspace_terminate:
     * every mapping removed, each object reference dropped, the page tables released) and frees
     * it. The pmap must be active on no cpu by then (pmap_deactivate). May block.
     * PORT: the C's vmspace_rel/vmspace_relexit/vmspace_exitfree split follows process exit
     * stages that dfemu does not have; the two-stage VM_REF_DELETED protocol reduces to this.
     */
    public void vmspaceRel(long vm) {
        int old = km.fetchAdd32(vm + StructVmspace.vm_refcnt$OFFSET, -1);
        Kassert.kkassert(old > 0, "vm->vm_refcnt > 0", "vmspace_rel");
        if (old == 1) {
            vmspaceTerminate(vm);
        }
    }

    /** vmspace_terminate(): tears the address space down and frees it (see vmspaceRel). */
    private void vmspaceTerminate(long vm) {
        long map = StructVmspace.vm_map(vm);
        vmMapRemove(map, vmMapMin(map), vmMapMax(map));
        Pmap pm = kernel.pmap();
        pm.pmapRelease(StructVmspace.vm_pmap(vm));
        pm.pmapPuninit(StructVmspace.vm_pmap(vm));
        kernel.kernSlaballoc().kfree(vm, mVmspace);
    }

    /**
     * vmspace_fork(): a copy of {@code vm1}'s address space for a child process. Per entry
     * inheritance: VM_INHERIT_NONE entries are left out, VM_INHERIT_SHARE entries share the
     * object, VM_INHERIT_COPY entries become copy-on-write in both maps (the parent's pages are
     * write-protected in its pmap; the first write on either side shadows the entry, see
     * vm_map_entry_shadow). Returns the new vmspace with one reference. May block.
     * PORT: wired entries (vm_fault_copy_entry) and the C's pmap_copy (a no-op on pc64) are not
     * ported: a wired user entry panics.
     */
    public long vmspaceFork(long vm1) {
        long oldMap = StructVmspace.vm_map(vm1);
        vmMapLock(oldMap);
        long vm2 = vmspaceAlloc(vmMapMin(oldMap), vmMapMax(oldMap));
        long newMap = StructVmspace.vm_map(vm2);
        vmMapLock(newMap);
        int[] count = {vmMapEntryReserve(StructVmMap.nentries(km, oldMap) + MAP_RESERVE_COUNT)};
        try {
            for (long old = vmMapRbTree.rbMin(StructVmMap.rb_root(oldMap)); old != 0; old = vmMapRbTree.rbNext(old)) {
                int maptype = StructVmMapEntry.maptype(km, old);
                Kassert.kkassert(maptype == VM_MAPTYPE_NORMAL, "old_entry->maptype == VM_MAPTYPE_NORMAL (port)",
                        "vmspace_fork");
                switch (StructVmMapEntry.inheritance(km, old)) {
                    case StructVmMapEntry.VM_INHERIT_NONE -> { }
                    case StructVmMapEntry.VM_INHERIT_SHARE -> vmspaceForkSharedEntry(newMap, old, count);
                    case StructVmMapEntry.VM_INHERIT_COPY -> vmspaceForkNormalEntry(oldMap, newMap, old, count);
                    default -> throw Kassert.panic("vmspace_fork: bad inheritance %d", StructVmMapEntry.inheritance(km, old));
                }
            }
            StructVmMap.size(km, newMap, StructVmMap.size(km, oldMap));
        } finally {
            vmMapUnlock(newMap);
            vmMapUnlock(oldMap);
            vmMapEntryRelease(count[0]);
        }
        return vm2;
    }

    /** A new entry of newMap copying old (unwired), its backing chain replicated and linked. */
    private long vmspaceForkCloneEntry(long newMap, long old, int[] countp) {
        if (StructVmMapEntry.object(km, old) == 0) {
            vmMapEntryAllocateObject(old);
        }
        long ne = vmMapEntryCreate(countp);
        copyEntry(old, ne);
        StructVmMapEntry.eflags(km, ne, StructVmMapEntry.eflags(km, ne) & ~MAP_ENTRY_USER_WIRED);
        StructVmMapEntry.wired_count(km, ne, 0);
        vmMapBackingReplicated(newMap, ne, 0);
        vmMapEntryLink(newMap, ne);
        return ne;
    }

    /** vmspace_fork_shared_entry(): the child maps the same objects. */
    private void vmspaceForkSharedEntry(long newMap, long old, int[] countp) {
        vmspaceForkCloneEntry(newMap, old, countp);
    }

    /**
     * vmspace_fork_normal_entry() and vm_map_copy_entry(): the child gets a copy-on-write view of
     * the same backing chain; unless the parent's entry is already NEEDS_COPY (its pages then are
     * read-only already), the parent's pages are write-protected so its next write faults too.
     */
    private void vmspaceForkNormalEntry(long oldMap, long newMap, long old, int[] countp) {
        long ne = vmspaceForkCloneEntry(newMap, old, countp);
        if (StructVmMapEntry.wired_count(km, old) != 0) {
            // vm_map_copy_entry() of a wired entry: wired pages cannot be copy-on-write, so the
            // child gets its own copies now (vm_fault_copy_entry). The child's backing is
            // dropped first; as in the C, the reference vm_map_backing_replicated() took on its
            // head object is not given back (the C's comment assumes it was never taken), so
            // that object is never freed: a leak kept from the C.
            long ba = StructVmMapEntry.ba(ne);
            if (StructVmMapEntry.ba_object(km, ba) != 0) {
                vmMapBackingDetach(ne, ba);
                StructVmMapEntry.ba_object(km, ba, 0);
                vmMapEntryDisposeBa(ne, StructVmMapEntry.ba_backing_ba(km, ba));
                StructVmMapEntry.ba_backing_ba(km, ba, 0);
                StructVmMapEntry.ba_backing_count(km, ba, 0);
            }
            kernel.vmFault().vmFaultCopyEntry(newMap, oldMap, ne, old);
            return;
        }
        if ((StructVmMapEntry.eflags(km, old) & MAP_ENTRY_NEEDS_COPY) == 0) {
            kernel.pmap().pmapProtect(StructVmMap.pmap(km, oldMap), StructVmMapEntry.start(km, old),
                    StructVmMapEntry.end(km, old), StructVmMapEntry.protection(km, old) & ~Vm.VM_PROT_WRITE);
        }
        StructVmMapEntry.eflags(km, old, StructVmMapEntry.eflags(km, old) | MAP_ENTRY_COW | MAP_ENTRY_NEEDS_COPY);
        StructVmMapEntry.eflags(km, ne, StructVmMapEntry.eflags(km, ne) | MAP_ENTRY_COW | MAP_ENTRY_NEEDS_COPY);
    }

    /**
     * vm_map_entry_allocate_object(): gives an object-less anonymous entry its OBJT_DEFAULT
     * object, sized to the entry, at offset 0, linked into the object's backing_list. The map
     * must be locked exclusively. May block (kmalloc_obj).
     */
    void vmMapEntryAllocateObject(long entry) {
        long ba = StructVmMapEntry.ba(entry);
        long obj = kernel.vmObject().vmObjectAllocate(StructVmObject.OBJT_DEFAULT,
                (StructVmMapEntry.ba_end(km, ba) - StructVmMapEntry.ba_start(km, ba)) >>> Param.PAGE_SHIFT);
        StructVmMapEntry.ba_offset(km, ba, 0);
        StructVmMapEntry.ba_object(km, ba, obj);
        vmMapBackingAttach(entry, ba);
    }

    /**
     * vm_map_entry_shadow(): resolves MAP_ENTRY_NEEDS_COPY before a write. Unless the entry's
     * object is anonymous and referenced by this entry alone (nothing to protect then), the
     * entry's current backing moves into a new vm_map_backing (M_MAP_BACKING) chained behind a
     * new empty OBJT_DEFAULT object at the head of the entry: writes land in the new object,
     * reads fall through the chain to the old pages. The map must be locked exclusively. May
     * block (kmalloc, kmalloc_obj).
     */
    private void vmMapEntryShadow(long entry) {
        long head = StructVmMapEntry.ba(entry);
        long length = (StructVmMapEntry.ba_end(km, head) - StructVmMapEntry.ba_start(km, head)) >>> Param.PAGE_SHIFT;
        long source = StructVmMapEntry.ba_object(km, head);
        Kassert.kkassert(source != 0, "source", "vm_map_entry_shadow");
        VmObject vo = kernel.vmObject();
        int type = StructVmObject.type(km, source);
        if (StructVmObject.ref_count(km, source) == 1 && StructVmObject.handle(km, source) == 0
                && (type == StructVmObject.OBJT_DEFAULT || type == StructVmObject.OBJT_SWAP)) {
            StructVmMapEntry.eflags(km, entry, StructVmMapEntry.eflags(km, entry) & ~MAP_ENTRY_NEEDS_COPY);
            return;
        }
        long ba = kernel.kernSlaballoc().kmalloc(StructVmMapEntry.SIZEOF_BACKING, mMapBacking, Malloc.M_INTWAIT);
        vo.vmObjectHoldShared(source);
        // Once in a chain the source may be reached from anywhere.
        vo.vmObjectClearFlag(source, StructVmObject.OBJ_ONEMAPPING);
        long result = vo.vmObjectAllocateHold(StructVmObject.OBJT_DEFAULT, length);

        vmMapBackingDetach(entry, head);
        copyBacking(head, ba);
        StructVmMapEntry.ba_object(km, head, result);
        StructVmMapEntry.ba_backing_ba(km, head, ba);
        StructVmMapEntry.ba_backing_count(km, head, StructVmMapEntry.ba_backing_count(km, ba) + 1);
        StructVmMapEntry.ba_offset(km, head, 0);
        vmMapBackingAttach(entry, head);
        vmMapBackingAttach(entry, ba);

        vo.vmObjectDrop(result);
        vo.vmObjectDrop(source);
        StructVmMapEntry.eflags(km, entry, StructVmMapEntry.eflags(km, entry) & ~MAP_ENTRY_NEEDS_COPY);
    }

    /**
     * vm_map_lookup(): finds what backs {@code vaddr} for a fault of {@code faultType}. On
     * KERN_SUCCESS the map stays locked (release with {@link #vmMapLookupDone}) and
     * {@code out[0]} is the entry, {@code out[1]} its head vm_map_backing, {@code out[2]} the
     * page index in the head object; {@code outProt[0]} is the protection to map with (write
     * removed while the entry still needs a copy). A write to a NEEDS_COPY entry shadows it
     * first; an object-less anonymous entry gets its object. Returns KERN_INVALID_ADDRESS (no
     * entry) or KERN_PROTECTION_FAILURE (the entry forbids the access), the map unlocked. May
     * block. PORT: the map lock is taken exclusively from the start (the C takes it shared and
     * upgrades, retrying on failure); submaps and VPAGETABLE entries are not ported.
     */
    public int vmMapLookup(long map, long vaddr, int faultType, long[] out, int[] outProt) {
        vmMapLock(map);
        long[] e = new long[1];
        if (!vmMapLookupEntry(map, vaddr, e)) {
            vmMapUnlock(map);
            return KERN_INVALID_ADDRESS;
        }
        long entry = e[0];
        Kassert.kkassert(StructVmMapEntry.maptype(km, entry) == VM_MAPTYPE_NORMAL,
                "entry->maptype == VM_MAPTYPE_NORMAL (port)", "vm_map_lookup");
        int prot = (faultType & Vm.VM_PROT_OVERRIDE_WRITE) != 0
                ? StructVmMapEntry.max_protection(km, entry) : StructVmMapEntry.protection(km, entry);
        int access = faultType & Vm.VM_PROT_ALL;
        if ((access & prot) != access) {
            vmMapUnlock(map);
            return KERN_PROTECTION_FAILURE;
        }
        if (StructVmMapEntry.wired_count(km, entry) != 0) {
            prot = StructVmMapEntry.protection(km, entry);
        }
        if ((StructVmMapEntry.eflags(km, entry) & MAP_ENTRY_NEEDS_COPY) != 0) {
            if ((access & Vm.VM_PROT_WRITE) != 0) {
                vmMapEntryShadow(entry);
            } else {
                prot &= ~Vm.VM_PROT_WRITE;
            }
        }
        if (StructVmMapEntry.object(km, entry) == 0) {
            vmMapEntryAllocateObject(entry);
        }
        long ba = StructVmMapEntry.ba(entry);
        out[0] = entry;
        out[1] = ba;
        out[2] = ((vaddr - StructVmMapEntry.ba_start(km, ba)) + StructVmMapEntry.ba_offset(km, ba)) >>> Param.PAGE_SHIFT;
        outProt[0] = prot;
        return KERN_SUCCESS;
    }

    /** vm_map_lookup_done(): releases the map lock vm_map_lookup() returned with. */
    public void vmMapLookupDone(long map) {
        vmMapUnlock(map);
    }

    /**
     * vmspace_swap_count(): an estimate of the swap pages used by the objects of {@code vm}'s
     * NORMAL map entries (each entry with any swap counts at least one). Never blocks.
     * PORT: vmspace_hold/drop are not modelled (the OOM scan runs between scheduling points).
     */
    public long vmspaceSwapCount(long vm) {
        long map = StructVmspace.vm_map(vm);
        long count = 0;
        for (long cur = vmMapRbTree.rbMin(StructVmMap.rb_root(map)); cur != 0; cur = vmMapRbTree.rbNext(cur)) {
            if (StructVmMapEntry.maptype(km, cur) != StructVmMapEntry.VM_MAPTYPE_NORMAL) continue;
            long ba = StructVmMapEntry.ba(cur);
            long object = StructVmMapEntry.ba_object(km, ba);
            if (object == 0) continue;
            long swb = StructVmObject.swblock_count(km, object);
            if (swb != 0) {
                long n = (StructVmMapEntry.ba_end(km, ba) - StructVmMapEntry.ba_start(km, ba)) / org.dfemu.kernel.machine.Param.PAGE_SIZE;
                count += swb * StructSwblock.SWAP_META_PAGES * n / StructVmObject.size(km, object) + 1;
            }
        }
        return count;
    }

    /**
     * vmspace_anonymous_count(): resident pages of the OBJT_DEFAULT/OBJT_SWAP objects of
     * {@code vm}'s NORMAL map entries. Never blocks. PORT: as vmspace_swap_count.
     */
    public long vmspaceAnonymousCount(long vm) {
        long map = StructVmspace.vm_map(vm);
        long count = 0;
        for (long cur = vmMapRbTree.rbMin(StructVmMap.rb_root(map)); cur != 0; cur = vmMapRbTree.rbNext(cur)) {
            if (StructVmMapEntry.maptype(km, cur) != StructVmMapEntry.VM_MAPTYPE_NORMAL) continue;
            long object = StructVmMapEntry.ba_object(km, StructVmMapEntry.ba(cur));
            if (object == 0) continue;
            int type = StructVmObject.type(km, object);
            if (type != StructVmObject.OBJT_DEFAULT && type != StructVmObject.OBJT_SWAP) continue;
            count += StructVmObject.resident_page_count(km, object);
        }
        return count;
    }
}
