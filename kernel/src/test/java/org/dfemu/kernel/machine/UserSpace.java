package org.dfemu.kernel.machine;

import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.vm.StructVmMap;
import org.dfemu.kernel.vm.StructVmMapEntry;
import org.dfemu.kernel.vm.StructVmObject;
import org.dfemu.kernel.vm.StructVmPage;
import org.dfemu.kernel.vm.Vm;
import org.dfemu.kernel.vm.VmMap;
import org.dfemu.kernel.vm.VmPage;

import static org.dfemu.kernel.machine.Param.PAGE_SIZE;

/**
 * A minimal user address space for pmap tests, as a vmspace would provide it: a user pmap, a
 * vm_map over it and one anonymous object whose pages back a few regions (map entries), so that
 * the pmap's backing scan finds the mappings. All three structures live in one kmem_alloc'ed
 * page. Object page {@code p} of region r appears at {@code base(r) + (p - offset(r)) * PAGE}.
 * Must be used from one kernel thread.
 */
final class UserSpace {
    /** A region: {@code npages} of the object from page {@code offset}, mapped at {@code base}. */
    record Region(long base, long npages, long offset) {
        long va(long p) { return base + (p - offset) * PAGE_SIZE; }
        boolean holds(long p) { return p >= offset && p < offset + npages; }
    }

    final Kernel k;
    final KernelMemory km;
    final long mem;
    final long pmap;
    final long map;
    final long object;
    final Region[] regions;
    final long npages;

    UserSpace(Kernel k, long npages, Region... regions) {
        this.k = k;
        this.km = k.km();
        this.npages = npages;
        this.regions = regions;
        this.mem = k.vmKern().kmemAlloc(k.vmMap().kernelMap(), PAGE_SIZE, StructVmMapEntry.VM_SUBSYS_PROC);
        this.pmap = mem;
        this.map = mem + 1152;
        this.object = mem + 1536;
        k.pmap().pmapPinit(pmap);
        VmMap vm = k.vmMap();
        vm.vmMapInit(map, 0, Vmparam.VM_MAX_USER_ADDRESS, pmap);
        k.vmObject().vmObjectInit(object, npages);
        for (Region r : regions) {
            int[] count = {vm.vmMapEntryReserve(StructVmMapEntry.MAP_RESERVE_COUNT)};
            vm.vmMapLock(map);
            k.vmObject().vmObjectHold(object);
            k.vmObject().vmObjectReferenceLocked(object);
            int rv = vm.vmMapInsert(map, count, object, 0, r.offset * PAGE_SIZE, 0, r.base,
                    r.base + r.npages * PAGE_SIZE, StructVmMapEntry.VM_MAPTYPE_NORMAL, StructVmMapEntry.VM_SUBSYS_MMAP,
                    Vm.VM_PROT_ALL, Vm.VM_PROT_ALL, 0);
            k.vmObject().vmObjectDrop(object);
            vm.vmMapUnlock(map);
            vm.vmMapEntryRelease(count[0]);
            if (rv != VmMap.KERN_SUCCESS) {
                throw new AssertionError("vm_map_insert: " + rv);
            }
        }
    }

    Region regionOf(long p) {
        for (Region r : regions) {
            if (r.holds(p)) {
                return r;
            }
        }
        throw new AssertionError("page " + p + " is in no region");
    }

    long va(long p) { return regionOf(p).va(p); }

    /** The map entry covering va. */
    long entryFor(long va) {
        VmMap vm = k.vmMap();
        long[] e = new long[1];
        vm.vmMapLock(map);
        boolean found = vm.vmMapLookupEntry(map, va, e);
        vm.vmMapUnlock(map);
        if (!found) {
            throw new AssertionError(String.format("no entry for 0x%x", va));
        }
        return e[0];
    }

    /** A new object page at pindex p, unbusied, holding {@code marker} in its first word. */
    long newPage(long p, long marker) {
        VmPage vp = k.vmPage();
        long m = vp.vmPageAlloc(object, p, VmPage.VM_ALLOC_NORMAL);
        if (m == 0) {
            throw new AssertionError("no page");
        }
        k.pmap().pmapZeroPage(vp.VM_PAGE_TO_PHYS(m));
        km.store64(Vmparam.PHYS_TO_DMAP(vp.VM_PAGE_TO_PHYS(m)), marker);
        StructVmPage.valid(km, m, StructVmPage.VM_PAGE_BITS_ALL);
        vp.vmPageWakeup(m);
        return m;
    }

    /** pmap_enter of object page m at its address, the page busied around the call. */
    void enter(long m, int prot, boolean wired) {
        VmPage vp = k.vmPage();
        long va = va(StructVmPage.pindex(km, m));
        long entry = entryFor(va);
        vp.vmPageBusyWait(m, true, "test");
        k.pmap().pmapEnter(pmap, va, m, prot, wired, entry);
        vp.vmPageWakeup(m);
    }

    /**
     * Tears down: removes every map entry (and with them the mappings), frees the object's pages,
     * releases the pmap and frees the structures' page.
     */
    void destroy(long[] pages) {
        VmPage vp = k.vmPage();
        k.vmMap().vmMapRemove(map, 0, Vmparam.VM_MAX_USER_ADDRESS);
        for (long m : pages) {
            if (m == 0) {
                continue;
            }
            vp.vmPageBusyWait(m, true, "test");
            k.vmPage2().vmPageProtect(m, Vm.VM_PROT_NONE);
            k.vmPage2().vmPageFree(m);
        }
        if (StructVmObject.resident_page_count(km, object) != 0) {
            throw new AssertionError("object still has pages");
        }
        k.pmap().pmapRelease(pmap);
        k.pmap().pmapPuninit(pmap);
        k.vmKern().kmemFree(k.vmMap().kernelMap(), mem, PAGE_SIZE);
    }

    int nentries() { return StructVmMap.nentries(km, map); }
}
