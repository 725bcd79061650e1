package org.dfemu.kernel.vm;

import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.machine.Pmap;
import org.dfemu.kernel.sys.Sysctl;

import static org.dfemu.kernel.machine.Param.PAGE_SIZE;
import static org.dfemu.kernel.vm.StructVmMapEntry.MAP_RESERVE_COUNT;
import static org.dfemu.kernel.vm.StructVmMapEntry.VM_MAPTYPE_NORMAL;
import static org.dfemu.kernel.vm.StructVmMapEntry.VM_SUBSYS_RESERVED;

/**
 * vm_kern.c: DragonFly BSD sys/vm/vm_kern.c at commit 737b020b54 (2021-05-28), kernel memory
 * management: {@code kernel_map} and the kmem_alloc family.
 *
 * <ul>
 * <li>{@link #kmemAllocPageable}: KVA only (an object-less entry), no pages; the caller maps
 *     pages itself (zalloc's interrupt zones, pmap_pinit's PML4 slot). Returns 0 when kernel_map
 *     has no room: KVA exhaustion is observable.</li>
 * <li>{@link #kmemAlloc3}/{@link #kmemAlloc}: KVA plus zeroed pages of {@code kernel_object}
 *     (pindex = address / PAGE_SIZE) from vm_page_grab(NORMAL|RETRY|FORCE_ZERO), which waits in
 *     vm_wait for each page while holding the ones it has; then wired and mapped by
 *     vm_map_wire.</li>
 * <li>{@link #kmemFree}: vm_map_remove of the range (unmaps, unwires and frees kernel_object
 *     pages).</li>
 * </ul>
 *
 * <p>Globals (in the data segment): {@code struct vm_map kernel_map}. PORT: clean_map and
 * buffer_map (the buffer cache's submaps) are not created; there is no buffer cache.
 */
public final class VmKern {
    // vm_kern.h: kmem_alloc3() flags
    public static final int KM_PAGEABLE = 0x00000001;
    public static final int KM_KRESERVE = 0x00000002;
    public static final int KM_STACK = 0x00000004;
    public static final int KM_NOTLBSYNC = 0x00000008;
    public static final int KM_CPU_SPEC = 0x00000010;
    public static final int KM_CPU_SHIFT = 16;

    /** KM_CPU(n). */
    public static int KM_CPU(int n) { return (n << KM_CPU_SHIFT) | KM_CPU_SPEC; }

    /** KM_GETCPU(flags). */
    public static int KM_GETCPU(int flags) { return flags >>> KM_CPU_SHIFT; }

    private final Kernel kernel;
    private final KernelMemory km;
    private final long kernelMap;

    /** (boot only) Lays out kernel_map and registers vm.kvm_size and vm.kvm_free. */
    public VmKern(Kernel kernel, DataSegment data, Sysctl sysctl) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.kernelMap = data.alloc("kernel_map", StructVmMap.layout());
        sysctl.sysctlProc("vm.kvm_size", () -> kernel.pmap().kvaSize(), "Size of KVM");
        sysctl.sysctlProc("vm.kvm_free", () -> kernel.pmap().virtualEnd() - kernel.pmap().kernelVmEnd(),
                "Amount of KVM free");
    }

    /** {@code &kernel_map}. */
    public long kernelMap() { return kernelMap; }

    private VmMap vmMap() { return kernel.vmMap(); }

    /** KMVMCPU(): the VM_ALLOC_CPU flag for a KM_CPU_SPEC request. */
    private static int kmvmcpu(int kmflags) {
        if ((kmflags & KM_CPU_SPEC) == 0) {
            return 0;
        }
        return VmPage.VM_ALLOC_CPU(KM_GETCPU(kmflags));
    }

    /**
     * kmem_alloc_pageable(): reserves {@code size} bytes (page-rounded) of KVA in map (kernel_map
     * or a submap), page-aligned, with no object and no pages. Returns the address, or 0 if the
     * map has no room. May block (map lock, map-entry reservation); may grow the kernel page
     * tables (pmap_growkernel, which panics without memory).
     */
    public long kmemAllocPageable(long map, long size, int id) {
        size = Param.roundPage(size);
        long[] addr = {vmMap().vmMapMin(map)};
        int result = vmMap().vmMapFind(map, 0, 0, 0, addr, size, PAGE_SIZE, true, VM_MAPTYPE_NORMAL, id,
                Vm.VM_PROT_ALL, Vm.VM_PROT_ALL, 0);
        if (result != VmMap.KERN_SUCCESS) {
            return 0;
        }
        return addr[0];
    }

    /**
     * kmem_alloc_nofault(): as kmem_alloc_pageable() with {@code align} and a MAP_NOFAULT entry
     * (faults on it are errors). Returns 0 if the map has no room. May block.
     */
    public long kmemAllocNofault(long map, long size, int id, long align) {
        size = Param.roundPage(size);
        long[] addr = {vmMap().vmMapMin(map)};
        int result = vmMap().vmMapFind(map, 0, 0, 0, addr, size, align, true, VM_MAPTYPE_NORMAL, id,
                Vm.VM_PROT_ALL, Vm.VM_PROT_ALL, VmMap.MAP_NOFAULT);
        if (result != VmMap.KERN_SUCCESS) {
            return 0;
        }
        return addr[0];
    }

    /**
     * kmem_alloc3(): {@code size} bytes (page-rounded) of wired, zeroed kernel memory in map:
     * finds KVA, inserts a kernel_object entry, grabs each page with vm_page_grab(kernel_object,
     * OFF_TO_IDX(addr + i), FORCE_ZERO|NORMAL|RETRY) and wires the range (vm_map_wire). Returns the
     * address, or 0 if the map has no room. KM_KRESERVE draws map entries from the boot reserve
     * (the MAP ENTRY zone's refill); KM_STACK leaves the first page unbacked as a guard. May block
     * (vm_wait for every missing page, holding the pages already grabbed; map lock).
     */
    public long kmemAlloc3(long map, long size, int id, int kmflags) {
        size = Param.roundPage(size);
        VmMap vm = vmMap();
        int[] count = {(kmflags & KM_KRESERVE) != 0 ? vm.vmMapEntryKreserve(MAP_RESERVE_COUNT)
                : vm.vmMapEntryReserve(MAP_RESERVE_COUNT)};
        int cow;
        long gstart;
        if ((kmflags & KM_STACK) != 0) {
            cow = VmMap.MAP_IS_KSTACK;
            gstart = PAGE_SIZE;
        } else {
            cow = 0;
            gstart = 0;
        }

        // kernel_object backs wired kernel pages; no region of it is referenced twice.
        long[] addr = new long[1];
        vm.vmMapLock(map);
        if (vm.vmMapFindspace(map, vm.vmMapMin(map), size, PAGE_SIZE, 0, addr) != 0) {
            kernel.swapmetaPaths().kvaFailure(map);    // dfemu: SWAPMETA path counters
            vm.vmMapUnlock(map);
            release(kmflags, count[0]);
            return 0;
        }
        VmObject vo = kernel.vmObject();
        long kernelObject = vo.kernelObject();
        vo.vmObjectHold(kernelObject);
        vo.vmObjectReferenceLocked(kernelObject);
        vm.vmMapInsert(map, count, kernelObject, 0, addr[0], 0, addr[0], addr[0] + size, VM_MAPTYPE_NORMAL, id,
                Vm.VM_PROT_ALL, Vm.VM_PROT_ALL, cow);
        vo.vmObjectDrop(kernelObject);
        vm.vmMapUnlock(map);
        release(kmflags, count[0]);

        // Put the pages in the object before wiring (see the C's comment on pager recursion);
        // they are deliberately not activated, to avoid racing the pageout daemon.
        VmPage vp = kernel.vmPage();
        kernel.lwkt().pushFrame("kmem_alloc3");
        try {
            vo.vmObjectHold(kernelObject);
            for (long i = gstart; Long.compareUnsigned(i, size) < 0; i += PAGE_SIZE) {
                long mem = vp.vmPageGrab(kernelObject, Param.atop(addr[0] + i),
                        VmPage.VM_ALLOC_FORCE_ZERO | VmPage.VM_ALLOC_NORMAL | VmPage.VM_ALLOC_RETRY | kmvmcpu(kmflags));
                vp.vmPageUnqueueNowakeup(mem);
                vp.vmPageWakeup(mem);
            }
            vo.vmObjectDrop(kernelObject);
        } finally {
            kernel.lwkt().popFrame();
        }

        // Make the memory non-pageable (vm_map_wire skips a kernel stack's guard page).
        vm.vmMapWire(map, addr[0], addr[0] + size, kmflags);
        return addr[0];
    }

    private void release(int kmflags, int count) {
        if ((kmflags & KM_KRESERVE) != 0) {
            vmMap().vmMapEntryKrelease(count);
        } else {
            vmMap().vmMapEntryRelease(count);
        }
    }

    /**
     * kmem_alloc_stack() (vm_extern.h): a kernel stack of {@code size} bytes, the first page an
     * unbacked guard: kmem_alloc3(map, size, VM_SUBSYS_STACK, kmflags | KM_STACK). May block.
     */
    public long kmemAllocStack(long map, long size, int kmflags) {
        return kmemAlloc3(map, size, StructVmMapEntry.VM_SUBSYS_STACK, kmflags | KM_STACK);
    }

    /** kmem_alloc(): kmem_alloc3(map, size, id, 0). May block. */
    public long kmemAlloc(long map, long size, int id) {
        return kmemAlloc3(map, size, id, 0);
    }

    /**
     * kmem_free(): releases [addr, addr + size) (page-rounded outward) of map and the
     * kernel_object pages behind it. Pages entered with pmap_kenter must have been removed with
     * pmap_kremove first. May block.
     */
    public void kmemFree(long map, long addr, long size) {
        vmMap().vmMapRemove(map, Param.truncPage(addr), Param.roundPage(addr + size));
    }

    /**
     * kmem_init() (boot only): creates kernel_map over [KvaStart, KvaEnd) on kernel_pmap as a
     * system map, and fills the ranges outside (virtual_start, virtual_end) and
     * (virtual2_start, virtual2_end) with VM_SUBSYS_RESERVED entries. Map entries come from the
     * MAP ENTRY zone's boot items.
     */
    public void kmemInit() {
        VmMap vm = vmMap();
        Pmap pmap = kernel.pmap();
        long kvaStart = pmap.kvaStart();
        long kvaEnd = pmap.kvaEnd();
        long m = kernelMap;
        vm.vmMapInit(m, kvaStart, kvaEnd, pmap.kernelPmap());
        vm.vmMapLock(m);
        StructVmMap.system_map(km, m, 1);
        int[] count = {vm.vmMapEntryReserve(MAP_RESERVE_COUNT)};
        long addr = kvaStart;
        long virtual2Start = pmap.virtual2Start();
        if (virtual2Start != 0) {
            if (Long.compareUnsigned(addr, virtual2Start) < 0) {
                vm.vmMapInsert(m, count, 0, 0, 0, 0, addr, virtual2Start, VM_MAPTYPE_NORMAL, VM_SUBSYS_RESERVED,
                        Vm.VM_PROT_ALL, Vm.VM_PROT_ALL, 0);
            }
            addr = pmap.virtual2End();
        }
        if (Long.compareUnsigned(addr, pmap.virtualStart()) < 0) {
            vm.vmMapInsert(m, count, 0, 0, 0, 0, addr, pmap.virtualStart(), VM_MAPTYPE_NORMAL, VM_SUBSYS_RESERVED,
                    Vm.VM_PROT_ALL, Vm.VM_PROT_ALL, 0);
        }
        addr = pmap.virtualEnd();
        if (Long.compareUnsigned(addr, kvaEnd) < 0) {
            vm.vmMapInsert(m, count, 0, 0, 0, 0, addr, kvaEnd, VM_MAPTYPE_NORMAL, VM_SUBSYS_RESERVED,
                    Vm.VM_PROT_ALL, Vm.VM_PROT_ALL, 0);
        }
        vm.vmMapUnlock(m);
        vm.vmMapEntryRelease(count[0]);
    }
}
