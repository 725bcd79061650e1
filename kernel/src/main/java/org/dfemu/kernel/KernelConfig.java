package org.dfemu.kernel;

/**
 * Immutable boot configuration of one kernel instance.
 *
 * @param ncpus number of CPUs ({@code ncpus}); must match the scheduler's
 * @param hz    clock interrupt frequency ({@code hz}); must match the scheduler's. DragonFly's
 *              default is 100.
 */
public record KernelConfig(int ncpus, int hz) {
    public KernelConfig {
        if (ncpus < 1 || ncpus > 256) {
            throw new IllegalArgumentException("ncpus " + ncpus + " is outside 1..256");
        }
        if (hz < 1) {
            throw new IllegalArgumentException("hz " + hz + " must be positive");
        }
    }

    /** One CPU, hz 100. */
    public static KernelConfig defaults() { return new KernelConfig(1, 100); }

    /**
     * {@code ncpus_fit}: ncpus rounded up to a power of 2 (mp_machdep.c), used to size per-cpu
     * page-queue sets.
     */
    public int ncpusFit() {
        return ncpus == 1 ? 1 : Integer.highestOneBit(ncpus - 1) << 1;
    }
}
