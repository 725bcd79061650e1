package org.dfemu.emulator.cpu;

/**
 * Where the CPU delivers a page fault (vector 14): the kernel's trap entry. The machine is given
 * one handler for all its CPUs.
 *
 * <p>Contract of {@link #pageFault}:
 * <ul>
 *   <li>It runs on the faulting thread, in kernel mode: the CPU switches to kernel mode before
 *       the call and restores the interrupted mode afterwards (also when it throws), as trap
 *       entry and {@code iret} do. Its own loads and stores go through the same CPU and may
 *       fault again (a nested fault); it may block (e.g. {@code vm_wait}).
 *   <li>Returning means "the mapping may have been fixed: retry". The CPU retries the whole
 *       access (TLB, then a fresh walk). The fault may have been spurious (a stale TLB entry
 *       refused an access the tables now allow): returning without a change is then correct.
 *   <li>Throwing aborts the access: the exception propagates out of the load, store or copy
 *       that faulted, nothing of it having been done (an access that spans two pages translates
 *       both before touching memory; a copy may have completed earlier pages). This is how the
 *       kernel delivers SIGSEGV to a user program or makes {@code copyin} return EFAULT.
 *   <li>If one access faults {@link Cpu#FAULT_RETRY_LIMIT} times in a row, the CPU stops
 *       retrying and throws {@link FaultLoopException} naming the address and error code: an
 *       endless fault loop is a kernel bug, reported as a panic.
 * </ul>
 * A non-canonical address never reaches the handler: it is a general-protection fault,
 * {@link GeneralProtectionException}, since no mapping can make it valid.
 */
@FunctionalInterface
public interface TrapHandler {
    /**
     * Handles a page fault at {@code va} with the x86 error code {@code errorCode}
     * ({@link org.dfemu.emulator.mmu.PageFaultCode} bits) raised on {@code cpu}. See the
     * interface contract for what returning and throwing mean.
     */
    void pageFault(Cpu cpu, long va, int errorCode);

    /**
     * A handler for machines with no kernel trap entry (bring-up, tests that must not fault):
     * every page fault is fatal, as on a CPU with no interrupt table, and throws
     * {@link PageFaultException}.
     */
    TrapHandler FATAL = (cpu, va, errorCode) -> {
        throw new PageFaultException(cpu.id(), va, errorCode);
    };
}
