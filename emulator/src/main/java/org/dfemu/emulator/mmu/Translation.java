package org.dfemu.emulator.mmu;

/**
 * The result of a translation as one long, so that neither a hit nor a miss allocates: a
 * physical address (never negative: at most 52 bits) or, when negative, a page fault carrying
 * its x86 error code in the low bits.
 *
 * <p>No requirements: every method here is a pure function.
 */
public final class Translation {
    private Translation() {}

    private static final long FAULT = Long.MIN_VALUE;
    private static final long CODE_MASK = 0xffff_ffffL;

    /** True if {@code result} is a page fault rather than a physical address. */
    public static boolean isFault(long result) {
        return result < 0;
    }

    /** The {@link PageFaultCode} bits of a fault result. */
    public static int errorCode(long result) {
        return (int) (result & CODE_MASK);
    }

    /** A fault result with {@code errorCode}. */
    static long fault(int errorCode) {
        return FAULT | (errorCode & CODE_MASK);
    }
}
