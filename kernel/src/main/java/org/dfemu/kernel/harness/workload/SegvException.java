package org.dfemu.kernel.harness.workload;

/**
 * SIGSEGV delivered to the process whose access faulted: thrown by {@link Trap} out of the
 * faulting load or store (see {@link org.dfemu.emulator.cpu.TrapHandler}), so the access is not
 * done and the process's code sees the signal where it made the access.
 *
 * <p>PORT: dfemu has no signal delivery (no sendsig, no user stacks); the exception carries what
 * the C puts in the siginfo: the faulting address ({@code si_addr}, the trap's {@code eva}) and
 * {@code si_code} (SEGV_MAPERR: nothing mapped; SEGV_ACCERR: the mapping forbids the access),
 * plus the x86 error code and vm_fault()'s KERN_* result.
 */
public final class SegvException extends RuntimeException {
    /** siginfo si_code values for SIGSEGV (sys/signal.h). */
    public static final int SEGV_MAPERR = 1;
    public static final int SEGV_ACCERR = 2;

    private final long va;
    private final int errorCode;
    private final int siCode;
    private final int kernResult;

    public SegvException(long va, int errorCode, int siCode, int kernResult) {
        super(String.format("SIGSEGV at 0x%x (error code 0x%x, %s, vm_fault %d)", va, errorCode,
                siCode == SEGV_MAPERR ? "SEGV_MAPERR" : "SEGV_ACCERR", kernResult), null, false, false);
        this.va = va;
        this.errorCode = errorCode;
        this.siCode = siCode;
        this.kernResult = kernResult;
    }

    /** The faulting virtual address (not page aligned). */
    public long va() { return va; }

    /** The x86 page-fault error code (PGEX_* bits). */
    public int errorCode() { return errorCode; }

    /** SEGV_MAPERR or SEGV_ACCERR. */
    public int siCode() { return siCode; }

    /** vm_fault()'s result: KERN_INVALID_ADDRESS, KERN_PROTECTION_FAILURE or KERN_FAILURE. */
    public int kernResult() { return kernResult; }
}
