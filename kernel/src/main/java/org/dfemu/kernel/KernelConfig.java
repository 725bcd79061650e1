package org.dfemu.kernel;

import org.dfemu.kernel.kern.FailAlloc;

/**
 * Immutable boot configuration of one kernel instance.
 *
 * @param ncpus      number of CPUs ({@code ncpus}); must match the scheduler's
 * @param hz         clock interrupt frequency ({@code hz}); must match the scheduler's. DragonFly's
 *                   default is 100.
 * @param invariants {@code kern.invariants}: the INVARIANTS-only debugging of the C (for instance
 *                   zalloc's ZENTRY_FREE marker in a free item's second word) is compiled in. The
 *                   KKASSERTs are always on regardless; this gates only the extra bookkeeping.
 *                   Simulations always set it (the default).
 * @param kvaSize    {@code KvaSize} in bytes, the size of kernel_map; 0 picks the default of
 *                   {@link #kvaSizeFor}. Must be 0 or a positive multiple of 2 MiB.
 * @param swapmetaAlloc {@code vm.swapmeta_alloc}: the allocator behind SWAPMETA (the variant under
 *                   test, see {@link SwapmetaAlloc}); DragonFly's is {@link SwapmetaAlloc#ZALLOC}.
 * @param kmallocObjReserveSlabs {@code kern.kmalloc_obj_reserve_slabs}: ready slabs the
 *                   kmalloc_obj_reserve variant keeps per zone (read by that variant only), 0..64.
 * @param failAlloc  the {@code debug.fail_*} fault-injection settings (dfemu only, see
 *                   {@link FailAlloc}); {@link FailAlloc.Settings#OFF} by default.
 */
public record KernelConfig(int ncpus, int hz, boolean invariants, long kvaSize, SwapmetaAlloc swapmetaAlloc,
        int kmallocObjReserveSlabs, FailAlloc.Settings failAlloc) {
    private static final long NBPDR = 1L << 21;

    /** {@code vm.swapmeta_alloc}: which allocator swp_pager_meta_build takes swblocks from. */
    public enum SwapmetaAlloc {
        /** DragonFly's: zalloc on the ZONE_INTERRUPT zone SWAPMETA. */
        ZALLOC("zalloc"),
        /** SWAPMETA as a kmalloc_obj zone, kern_kmalloc.c unchanged. */
        KMALLOC_OBJ("kmalloc_obj"),
        /** SWAPMETA as a kmalloc_obj zone that keeps ready slabs (the 2021-05-14 mail's proposal). */
        KMALLOC_OBJ_RESERVE("kmalloc_obj_reserve");

        private final String setting;

        SwapmetaAlloc(String setting) { this.setting = setting; }

        /** The boot-setting value ("zalloc", "kmalloc_obj", "kmalloc_obj_reserve"). */
        public String setting() { return setting; }

        /** The variant named {@code value}; IllegalArgumentException if none is. */
        public static SwapmetaAlloc of(String value) {
            for (SwapmetaAlloc a : values()) {
                if (a.setting.equals(value)) {
                    return a;
                }
            }
            throw new IllegalArgumentException("vm.swapmeta_alloc: unknown allocator '" + value + "'");
        }
    }

    public KernelConfig {
        if (ncpus < 1 || ncpus > 256) {
            throw new IllegalArgumentException("ncpus " + ncpus + " is outside 1..256");
        }
        if (hz < 1) {
            throw new IllegalArgumentException("hz " + hz + " must be positive");
        }
        if (kvaSize < 0 || (kvaSize & (NBPDR - 1)) != 0) {
            throw new IllegalArgumentException("kvaSize " + kvaSize + " must be 0 or a positive multiple of 2 MiB");
        }
        if (swapmetaAlloc == null) {
            throw new IllegalArgumentException("swapmetaAlloc must be given");
        }
        if (kmallocObjReserveSlabs < 0 || kmallocObjReserveSlabs > 64) {
            throw new IllegalArgumentException("kmallocObjReserveSlabs " + kmallocObjReserveSlabs + " is outside 0..64");
        }
        if (failAlloc == null) {
            throw new IllegalArgumentException("failAlloc must be given");
        }
    }

    /** As the canonical constructor, with no fault injection. */
    public KernelConfig(int ncpus, int hz, boolean invariants, long kvaSize, SwapmetaAlloc swapmetaAlloc,
            int kmallocObjReserveSlabs) {
        this(ncpus, hz, invariants, kvaSize, swapmetaAlloc, kmallocObjReserveSlabs, FailAlloc.Settings.OFF);
    }

    /** DragonFly's allocators (SWAPMETA on zalloc, 3 reserve slabs for the variant). */
    public KernelConfig(int ncpus, int hz, boolean invariants, long kvaSize) {
        this(ncpus, hz, invariants, kvaSize, SwapmetaAlloc.ZALLOC, 3);
    }

    /** {@code ncpus} CPUs at {@code hz}, INVARIANTS on, the default KVA size. */
    public KernelConfig(int ncpus, int hz) {
        this(ncpus, hz, true, 0);
    }

    /** One CPU, hz 100. */
    public static KernelConfig defaults() { return new KernelConfig(1, 100); }

    /** This configuration with {@code kvaSize} bytes of kernel_map (0 = default). */
    public KernelConfig withKvaSize(long bytes) {
        return new KernelConfig(ncpus, hz, invariants, bytes, swapmetaAlloc, kmallocObjReserveSlabs, failAlloc);
    }

    /** This configuration with SWAPMETA on {@code alloc}, keeping {@code reserveSlabs} ready slabs. */
    public KernelConfig withSwapmetaAlloc(SwapmetaAlloc alloc, int reserveSlabs) {
        return new KernelConfig(ncpus, hz, invariants, kvaSize, alloc, reserveSlabs, failAlloc);
    }

    /** This configuration with fault injection {@code settings} ({@link FailAlloc}). */
    public KernelConfig withFailAlloc(FailAlloc.Settings settings) {
        return new KernelConfig(ncpus, hz, invariants, kvaSize, swapmetaAlloc, kmallocObjReserveSlabs, settings);
    }

    /**
     * {@code ncpus_fit}: ncpus rounded up to a power of 2 (mp_machdep.c), used to size per-cpu
     * page-queue sets.
     */
    public int ncpusFit() {
        return ncpus == 1 ? 1 : Integer.highestOneBit(ncpus - 1) << 1;
    }

    /**
     * The KVA size a machine with {@code ramBytes} of RAM boots with: {@link #kvaSize} if set,
     * else 8 times RAM rounded up to 2 MiB, at least 1 GiB.
     *
     * <p>Why: pc64 DragonFly has 8 TiB of KVA (vmparam.h), far more than the RAM of any machine it
     * runs on, so memory and kernel page tables run out before KVA does, and kmalloc's limit
     * ({@code min(physmem, KvaSize)}) is physmem. Eight times RAM keeps both properties on an
     * emulated machine while keeping KVA finite, so kernel_map exhaustion can be provoked (with a
     * smaller {@code kvaSize}) and observed.
     */
    public long kvaSizeFor(long ramBytes) {
        if (kvaSize != 0) {
            return kvaSize;
        }
        long size = Math.max(8 * ramBytes, 1L << 30);
        return (size + NBPDR - 1) & -NBPDR;
    }
}
