package org.dfemu.kernel.machine;

import org.dfemu.kernel.harness.workload.SegvException;

import org.dfemu.emulator.cpu.Cpu;
import org.dfemu.emulator.cpu.TrapHandler;
import org.dfemu.emulator.mmu.PageFaultCode;
import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.StructProc;
import org.dfemu.kernel.sys.StructThread;
import org.dfemu.kernel.vm.StructVmspace;
import org.dfemu.kernel.vm.Vm;
import org.dfemu.kernel.vm.VmFault;
import org.dfemu.kernel.vm.VmMap;

/**
 * trap.c: DragonFly BSD sys/platform/pc64/x86_64/trap.c at commit 737b020b54 (2021-05-28), the
 * page-fault vector: trap() for T_PAGEFLT and trap_pfault(). Installed as the machine's
 * {@link TrapHandler}.
 *
 * <p>A fault at a user address is resolved in the current process's map (curthread's td_proc,
 * p_vmspace); the x86 error code gives the access (PGEX_W: write, PGEX_I: execute, else read).
 * When vm_fault() fails, a user-mode access gets SIGSEGV ({@link SegvException}: SEGV_MAPERR for
 * KERN_INVALID_ADDRESS, SEGV_ACCERR otherwise, as trap() rewrites trap_pfault's SIGBUS), and a
 * kernel-mode access panics (the port has no pcb_onfault recovery for copyin yet).
 *
 * <p>PORT: kernel addresses are never faulted in: the port's kernel_map pages are entered when
 * allocated (kmem_alloc) and its page tables pre-built, so a kernel-address fault is the C's
 * trap_fatal, a panic. No process (a kernel thread) or no vmspace is the C's "nogo" path.
 */
public final class Trap implements TrapHandler {
    private final Kernel kernel;
    private final KernelMemory km;

    public Trap(Kernel kernel) {
        this.kernel = kernel;
        this.km = kernel.km();
    }

    /** trap(T_PAGEFLT): see the class comment. Runs on the faulting thread; may block. */
    @Override
    public void pageFault(Cpu cpu, long va, int errorCode) {
        km.checkCpu(cpu, "trap");
        boolean usermode = (errorCode & PageFaultCode.U) != 0;
        long traceT0 = kernel.trace().faultStart();
        int rv = trapPfault(va, errorCode, usermode);
        kernel.trace().fault(va, errorCode, rv, traceT0);   // PORT: dfemu's trace (KTR-like)
        if (rv == VmMap.KERN_SUCCESS) {
            if (usermode) {
                returnToUser(cpu);
            }
            return;
        }
        if (!usermode) {
            throw Kassert.panic("trap_fatal: page fault at 0x%x, error code 0x%x, vm_fault %d (kernel mode)",
                    va, errorCode, rv);
        }
        throw new SegvException(va, errorCode,
                rv == VmMap.KERN_INVALID_ADDRESS ? SegvException.SEGV_MAPERR : SegvException.SEGV_ACCERR, rv);
    }

    /**
     * The return to user mode (doreti) after a fault that may have slept: the fault's process's
     * page tables and user mode are loaded again on {@code cpu}, since another process's thread
     * may have used the cpu meanwhile. PORT: the emulator has no context-switch hook, so this is
     * where the faulting thread's context is restored before the access is retried. Never blocks.
     */
    private void returnToUser(Cpu cpu) {
        long p = StructThread.td_proc(km, kernel.lwkt().curthread());
        long vm = p == 0 ? 0 : StructProc.p_vmspace(km, p);
        if (vm != 0) {
            kernel.pmap().pmapActivateOnReturn(StructVmspace.vm_pmap(vm));
        }
        cpu.setUserMode(true);
    }

    /**
     * trap_pfault(): vm_fault() on the faulting process's map; returns its KERN_* result
     * (KERN_INVALID_ADDRESS when there is no process, no vmspace, or the address is not a user
     * address). May block.
     */
    public int trapPfault(long eva, int errorCode, boolean usermode) {
        long va = Param.truncPage(eva);
        if (Long.compareUnsigned(va, Vmparam.VM_MAX_USER_ADDRESS) >= 0) {
            return VmMap.KERN_INVALID_ADDRESS;
        }
        long p = StructThread.td_proc(km, kernel.lwkt().curthread());
        long vm = p == 0 ? 0 : StructProc.p_vmspace(km, p);
        if (vm == 0) {
            return VmMap.KERN_INVALID_ADDRESS;
        }
        int ftype;
        if ((errorCode & PageFaultCode.W) != 0) {
            ftype = Vm.VM_PROT_READ | Vm.VM_PROT_WRITE;
        } else if ((errorCode & PageFaultCode.I) != 0) {
            ftype = Vm.VM_PROT_EXECUTE;
        } else {
            ftype = Vm.VM_PROT_READ;
        }
        // A user fault may burst (prefault its neighbours); a write fault dirties its page.
        int faultFlags = VmFault.VM_FAULT_NORMAL;
        if (usermode) {
            faultFlags |= VmFault.VM_FAULT_BURST | VmFault.VM_FAULT_USERMODE;
        }
        if ((ftype & Vm.VM_PROT_WRITE) != 0) {
            faultFlags |= VmFault.VM_FAULT_DIRTY;
        }
        return kernel.vmFault().vmFault(StructVmspace.vm_map(vm), va, ftype, faultFlags);
    }
}
