package org.dfemu.kernel.vm;

import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.machine.Vmparam;
import org.dfemu.kernel.sys.Errno;
import org.dfemu.kernel.sys.Mman;
import org.dfemu.kernel.sys.StructVmstats;

/**
 * vm/vm_mmap.c (DragonFly BSD at commit 737b020b54): the memory-control system calls mprotect,
 * madvise, mlock, mlockall, munlockall and munlock. Each returns 0 or the C's errno.
 *
 * <p>PORT: there is no system-call layer; the process layer (kern KernProc) calls these with
 * the process's map instead of a struct sysmsg and curproc. dfemu's processes run as root, so
 * priv_check() always succeeds. pmap_wired_count is not defined for pc64 at this commit, so
 * mlock checks no RLIMIT_MEMLOCK (the C's #ifndef branch: the root check). mmap and munmap stay
 * in KernProc (vm_map_find and vm_map_remove on the map, as before).
 */
public final class VmMmap {
    private final Kernel kernel;
    private final KernelMemory km;

    public VmMmap(Kernel kernel) {
        this.kernel = kernel;
        this.km = kernel.km();
    }

    /**
     * sys_mprotect(): sets the protection of [addr, addr + len) to {@code prot} (PROT_ bits).
     * Returns 0, EACCES (more than the maximum protection) or EINVAL. May block.
     */
    public int sysMprotect(long map, long addr, long len, int prot) {
        prot &= Vm.VM_PROT_ALL;
        long pageoff = addr & Param.PAGE_MASK;
        addr -= pageoff;
        long size = Param.roundPage(len + pageoff);
        if (Long.compareUnsigned(size, len) < 0) {
            return Errno.EINVAL;
        }
        long tmpaddr = addr + size;
        if (Long.compareUnsigned(tmpaddr, addr) < 0) {
            return Errno.EINVAL;
        }
        return switch (kernel.vmMap().vmMapProtect(map, addr, addr + size, prot, false)) {
            case VmMap.KERN_SUCCESS -> 0;
            case VmMap.KERN_PROTECTION_FAILURE -> Errno.EACCES;
            default -> Errno.EINVAL;
        };
    }

    /**
     * sys_madvise(): advises {@code behav} (an MADV_ value) on [addr, addr + len), rounded out
     * to pages. Returns 0 or EINVAL. May block.
     */
    public int sysMadvise(long map, long addr, long len, int behav) {
        long tmpaddr = addr + len;
        if (behav < 0 || behav >= Mman.MADV_CONTROL_END) {
            return Errno.EINVAL;
        }
        if (Long.compareUnsigned(tmpaddr, addr) < 0) {
            return Errno.EINVAL;
        }
        if (Long.compareUnsigned(tmpaddr, Vmparam.VM_MAX_USER_ADDRESS) > 0) {
            return Errno.EINVAL;
        }
        if (Long.compareUnsigned(addr, Vmparam.VM_MIN_USER_ADDRESS) < 0) {
            return Errno.EINVAL;
        }
        long start = Param.truncPage(addr);
        long end = Param.roundPage(tmpaddr);
        return kernel.vmMap().vmMapMadvise(map, start, end, behav, 0);
    }

    /**
     * sys_mlock(): user-wires [addr, addr + len). Returns 0, EAGAIN (the wiring would pass
     * vm_page_max_wired, checked against the global v_wire_count), ENOMEM (a hole, or a page
     * could not be faulted in) or EINVAL. May block.
     */
    public int sysMlock(long map, long addr, long len) {
        long pageoff = addr & Param.PAGE_MASK;
        addr -= pageoff;
        long size = Param.roundPage(len + pageoff);
        if (Long.compareUnsigned(size, len) < 0) {
            return Errno.EINVAL;
        }
        if (size == 0) {
            return 0;
        }
        long tmpaddr = addr + size;
        if (Long.compareUnsigned(tmpaddr, addr) < 0) {
            return Errno.EINVAL;
        }
        long wired = StructVmstats.v_wire_count(km, kernel.vmMeter().vmstats());
        if (Param.atop(size) + wired > kernel.vmPageout().vmPageMaxWired()) {
            return Errno.EAGAIN;
        }
        int error = kernel.vmMap().vmMapUnwire(map, addr, addr + size, false);
        return error == VmMap.KERN_SUCCESS ? 0 : Errno.ENOMEM;
    }

    /**
     * sys_mlockall(): at this commit MCL_CURRENT is not implemented (ENOSYS, and MCL_FUTURE
     * given with it is not set either); MCL_FUTURE alone sets MAP_WIREFUTURE, so later mmaps are
     * wired (see KernProc's mmap). Returns 0, ENOSYS or EINVAL. Never blocks (the map lock aside).
     */
    public int sysMlockall(long map, int how) {
        if ((how & Mman.MCL_CURRENT) == 0 && (how & Mman.MCL_FUTURE) == 0) {
            return Errno.EINVAL;
        }
        int rc = 0;
        VmMap vm = kernel.vmMap();
        vm.vmMapLock(map);
        try {
            if ((how & Mman.MCL_CURRENT) != 0) {
                // The C walks the entries doing nothing ("NOT IMPLEMENTED YET") and fails.
                rc = Errno.ENOSYS;
            } else if ((how & Mman.MCL_FUTURE) != 0) {
                StructVmMap.flags(km, map, StructVmMap.flags(km, map) | StructVmMap.MAP_WIREFUTURE);
            }
        } finally {
            vm.vmMapUnlock(map);
        }
        return rc;
    }

    /**
     * sys_munlockall(): cancels MCL_FUTURE and drops the user wiring of every user-wired entry
     * (unwiring its pages when no wiring is left). Returns 0. May block.
     *
     * <p>PORT: no entry is ever in transition when another thread holds no map lock (see
     * vm_map_clip_range), so the C's transition wait and rescan cannot happen.
     */
    public int sysMunlockall(long map) {
        VmMap vm = kernel.vmMap();
        vm.vmMapLock(map);
        try {
            StructVmMap.flags(km, map, StructVmMap.flags(km, map) & ~StructVmMap.MAP_WIREFUTURE);
            for (long entry = vm.vmMapRbTree().rbMin(StructVmMap.rb_root(map)); entry != 0;
                    entry = vm.vmMapRbTree().rbNext(entry)) {
                int eflags = StructVmMapEntry.eflags(km, entry);
                if ((eflags & StructVmMapEntry.MAP_ENTRY_USER_WIRED) == 0) {
                    continue;
                }
                org.dfemu.kernel.Kassert.kkassert((eflags & StructVmMapEntry.MAP_ENTRY_IN_TRANSITION) == 0,
                        "!(entry->eflags & MAP_ENTRY_IN_TRANSITION) (port: never waited for)", "sys_munlockall");
                org.dfemu.kernel.Kassert.kkassert(StructVmMapEntry.wired_count(km, entry) > 0,
                        "wired_count > 0 with USER_WIRED set", "sys_munlockall");
                StructVmMapEntry.eflags(km, entry, eflags & ~StructVmMapEntry.MAP_ENTRY_USER_WIRED);
                int wired = StructVmMapEntry.wired_count(km, entry) - 1;
                StructVmMapEntry.wired_count(km, entry, wired);
                if (wired == 0) {
                    vm.vmFaultUnwire(map, entry);
                }
            }
        } finally {
            vm.vmMapUnlock(map);
        }
        return 0;
    }

    /**
     * sys_munlock(): drops the user wiring of [addr, addr + len). Returns 0, ENOMEM (a hole, or
     * memory that is not user-wired) or EINVAL. May block.
     */
    public int sysMunlock(long map, long addr, long len) {
        long pageoff = addr & Param.PAGE_MASK;
        addr -= pageoff;
        long size = Param.roundPage(len + pageoff);
        long tmpaddr = addr + size;
        if (Long.compareUnsigned(tmpaddr, addr) < 0) {
            return Errno.EINVAL;
        }
        if (size == 0) {
            return 0;
        }
        int error = kernel.vmMap().vmMapUnwire(map, addr, addr + size, true);
        return error == VmMap.KERN_SUCCESS ? 0 : Errno.ENOMEM;
    }
}
