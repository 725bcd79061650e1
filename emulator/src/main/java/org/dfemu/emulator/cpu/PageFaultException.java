package org.dfemu.emulator.cpu;

import org.dfemu.emulator.mmu.PageFaultCode;

/**
 * A page fault nobody handled: thrown by {@link TrapHandler#FATAL}, and available to a trap
 * handler that wants to abort an access with the fault's own description.
 */
public final class PageFaultException extends RuntimeException {
    private final int cpu;
    private final long va;
    private final int errorCode;

    public PageFaultException(int cpu, long va, int errorCode) {
        super(String.format("page fault: va 0x%x error %s on cpu %d", va, PageFaultCode.describe(errorCode), cpu));
        this.cpu = cpu;
        this.va = va;
        this.errorCode = errorCode;
    }

    /** The CPU the access ran on. */
    public int cpu() { return cpu; }

    /** The faulting virtual address (CR2). */
    public long va() { return va; }

    /** The x86 error code ({@link PageFaultCode} bits). */
    public int errorCode() { return errorCode; }
}
