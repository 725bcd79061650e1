package org.dfemu.emulator.mmu;

/**
 * The x86 page-fault error code pushed with vector 14 (DragonFly's {@code PGEX_*}), which the
 * trap handler receives together with the faulting virtual address (CR2).
 *
 * <p>No requirements: every method here is a pure function.
 */
public final class PageFaultCode {
    private PageFaultCode() {}

    /** 0: the page (or a table above it) was not present; 1: a present entry refused the access. */
    public static final int P = 0x01;
    /** The access was a write. */
    public static final int W = 0x02;
    /** The access was made in user mode. */
    public static final int U = 0x04;
    /** A present entry had a reserved bit set (always together with {@link #P}). */
    public static final int RSVD = 0x08;
    /** The access was an instruction fetch (reported only while EFER.NXE is on, as on hardware). */
    public static final int I = 0x10;

    /**
     * The W, U and I bits describing {@code access} (an {@link Access} value); {@code nxe} is the
     * CPU's EFER.NXE, without which the hardware never reports I.
     */
    public static int forAccess(int access, boolean nxe) {
        int code = 0;
        if (Access.isWrite(access)) code |= W;
        if (Access.isUser(access)) code |= U;
        if (nxe && Access.isExec(access)) code |= I;
        return code;
    }

    /** {@code code} in hex followed by its bits in words, e.g. {@code "0x7 (protection write user)"}. */
    public static String describe(int code) {
        StringBuilder sb = new StringBuilder(String.format("0x%x (", code));
        sb.append((code & P) != 0 ? "protection" : "not-present");
        sb.append((code & W) != 0 ? " write" : " read");
        sb.append((code & U) != 0 ? " user" : " kernel");
        if ((code & RSVD) != 0) sb.append(" reserved-bit");
        if ((code & I) != 0) sb.append(" fetch");
        return sb.append(')').toString();
    }
}
