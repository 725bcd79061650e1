package org.dfemu.emulator.memory;

/**
 * A physical access outside installed RAM (or misaligned where the hardware requires alignment).
 * On real hardware this is a machine check; here it is an exception of the emulator's own type,
 * never an IndexOutOfBoundsException from the JDK, so the kernel side can report it as a panic
 * naming the physical address.
 */
public final class MachineCheckException extends RuntimeException {
    private final long physicalAddress;
    private final int size;

    public MachineCheckException(String what, long physicalAddress, int size) {
        super(String.format("machine check: %s at physical address 0x%x (%d bytes)", what, physicalAddress, size),
                null, false, false);
        this.physicalAddress = physicalAddress;
        this.size = size;
    }

    /** The physical address that was accessed. */
    public long physicalAddress() { return physicalAddress; }

    /** The size in bytes of the faulting access. */
    public int size() { return size; }
}
