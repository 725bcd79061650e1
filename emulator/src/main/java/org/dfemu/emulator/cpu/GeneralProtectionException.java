package org.dfemu.emulator.cpu;

/**
 * A general-protection fault (#GP): an access to a non-canonical virtual address, or a CR3 load
 * with reserved bits set. No mapping can fix either, so it is not delivered to the
 * {@link TrapHandler} for a retry; it is thrown at the access. The kernel catches it where it
 * runs user code (SIGSEGV/SIGBUS) or lets it end the run as a panic.
 */
public final class GeneralProtectionException extends RuntimeException {
    private final int cpu;
    private final long value;

    /** {@code what} happened with {@code value} (the address or the CR3 value) on {@code cpu}. */
    public GeneralProtectionException(int cpu, String what, long value) {
        super(String.format("general protection fault: %s 0x%x on cpu %d", what, value, cpu));
        this.cpu = cpu;
        this.value = value;
    }

    public int cpu() { return cpu; }

    /** The offending address or register value. */
    public long value() { return value; }
}
