package org.dfemu.emulator.cpu;

import org.dfemu.emulator.mmu.PageFaultCode;

/**
 * The emulator's panic for an endless fault loop: one access faulted
 * {@link Cpu#FAULT_RETRY_LIMIT} times in a row although the trap handler returned (claimed a
 * fix) each time. Names the address and the last error code. Deliberately not a
 * {@link PageFaultException}, so that a kernel turning page faults into signals cannot swallow it.
 */
public final class FaultLoopException extends RuntimeException {
    private final long va;
    private final int errorCode;

    public FaultLoopException(int cpu, long va, int errorCode, int faults) {
        super(String.format("fault loop: va 0x%x error %s on cpu %d faulted %d times, the trap handler returning each time",
                va, PageFaultCode.describe(errorCode), cpu, faults));
        this.va = va;
        this.errorCode = errorCode;
    }

    /** The virtual address that kept faulting. */
    public long va() { return va; }

    /** The error code of the last fault. */
    public int errorCode() { return errorCode; }
}
