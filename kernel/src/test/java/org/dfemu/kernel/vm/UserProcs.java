package org.dfemu.kernel.vm;

import org.dfemu.emulator.cpu.Cpu;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.sys.Malloc;
import org.dfemu.kernel.sys.StructProc;
import org.dfemu.kernel.sys.StructThread;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A kernel thread playing a process for fault tests: its struct proc and vmspace, anonymous
 * mappings, and user-mode loads and stores that fault through the MMU into trap_pfault.
 */
final class UserProcs {
    private UserProcs() {}

    /** A process of the current thread: a new vmspace, p_vmspace set, its pmap active here. */
    static long newProcess(Kernel k, long vm) {
        KernelMemory km = k.km();
        long p = k.kernSlaballoc().kmalloc(StructProc.SIZEOF, k.kernSlaballoc().mTemp(), Malloc.M_WAITOK | Malloc.M_ZERO);
        StructProc.p_vmspace(km, p, vm);
        StructThread.td_proc(km, k.lwkt().curthread(), p);
        k.pmap().pmapActivate(StructVmspace.vm_pmap(vm));
        return p;
    }

    /** The process exits: its pmap leaves the cpu, the vmspace reference is dropped. */
    static void exitProcess(Kernel k, long p) {
        KernelMemory km = k.km();
        long vm = StructProc.p_vmspace(km, p);
        k.pmap().pmapDeactivate(StructVmspace.vm_pmap(vm));
        StructThread.td_proc(km, k.lwkt().curthread(), 0);
        k.vmMap().vmspaceRel(vm);
        k.kernSlaballoc().kfree(p, k.kernSlaballoc().mTemp());
    }

    /** Anonymous memory (mmap MAP_ANON at a fixed address). */
    static void mapAnon(Kernel k, long vm, long addr, long len, int prot) {
        long[] a = {addr};
        int rv = k.vmMap().vmMapFind(StructVmspace.vm_map(vm), 0, 0, 0, a, len, 0, false,
                StructVmMapEntry.VM_MAPTYPE_NORMAL, StructVmMapEntry.VM_SUBSYS_MMAP, prot, Vm.VM_PROT_ALL, 0);
        assertEquals(VmMap.KERN_SUCCESS, rv);
    }

    private static Cpu cpu(MachineKernel mk) { return mk.machine.cpu(mk.kernel.lwkt().mycpuid()); }

    /** A user-mode 8-byte load (faulting as needed). */
    static long userLoad(MachineKernel mk, long va) {
        Cpu c = cpu(mk);
        c.setUserMode(true);
        try {
            return c.load64(va);
        } finally {
            c.setUserMode(false);
        }
    }

    /** A user-mode 8-byte store (faulting as needed). */
    static void userStore(MachineKernel mk, long va, long v) {
        Cpu c = cpu(mk);
        c.setUserMode(true);
        try {
            c.store64(va, v);
        } finally {
            c.setUserMode(false);
        }
    }

    /** The map entry of {@code vm} covering {@code va}. */
    static long entryAt(Kernel k, long vm, long va) {
        long map = StructVmspace.vm_map(vm);
        long[] e = new long[1];
        k.vmMap().vmMapLock(map);
        boolean found = k.vmMap().vmMapLookupEntry(map, va, e);
        k.vmMap().vmMapUnlock(map);
        assertTrue(found);
        return e[0];
    }

    /** The faults counted so far (v_vm_faults over all cpus). */
    static long faults(Kernel k) {
        return k.vmMeter().vcnt(org.dfemu.kernel.sys.StructVmmeter.v_vm_faults$OFFSET);
    }
}
