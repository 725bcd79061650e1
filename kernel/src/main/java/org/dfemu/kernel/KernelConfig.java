package org.dfemu.kernel;

import java.util.Objects;
import org.dfemu.emulator.MachineConfig;
import org.dfemu.emulator.api.Environment;

/**
 * Immutable boot configuration of one kernel instance: what the kernel is told about its
 * machine, and the kernel environment its tunables are fetched from. The tunables themselves
 * (kern.invariants, vm.swapmeta_alloc, ...) are declared in the classes that read them and
 * listed in {@link KernelTunables}; nothing here repeats them.
 *
 * @param ncpus   number of CPUs ({@code ncpus}); must match the scheduler's
 * @param hz      clock interrupt frequency ({@code hz}); must match the scheduler's. DragonFly's
 *                default is 100.
 * @param kvaSize {@code KvaSize} in bytes, the size of kernel_map; 0 picks the default of
 *                {@link #kvaSizeFor}. Must be 0 or a positive multiple of 2 MiB.
 * @param kenv    the kernel environment: the loader's {@code name=value} strings (boot settings)
 */
public record KernelConfig(int ncpus, int hz, long kvaSize, Environment kenv) {
    private static final long NBPDR = 1L << 21;

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
        Objects.requireNonNull(kenv, "kenv");
    }

    /** {@code ncpus} CPUs at {@code hz}, the default KVA size, an empty environment (every tunable at its default). */
    public KernelConfig(int ncpus, int hz) {
        this(ncpus, hz, 0, Environment.EMPTY);
    }

    /** One CPU, hz 100, every tunable at its default. */
    public static KernelConfig defaults() { return new KernelConfig(1, 100); }

    /** The configuration of a kernel booting on the machine {@code mc} with environment {@code kenv}. */
    public static KernelConfig forMachine(MachineConfig mc, Environment kenv) {
        return new KernelConfig(mc.ncpus(), mc.hz(), 0, kenv);
    }

    /** This configuration with {@code bytes} of kernel_map (0 = default). */
    public KernelConfig withKvaSize(long bytes) {
        return new KernelConfig(ncpus, hz, bytes, kenv);
    }

    /** This configuration with {@code name=value} in the kernel environment (checked when fetched). */
    public KernelConfig setenv(String name, String value) {
        return new KernelConfig(ncpus, hz, kvaSize, kenv.setenv(name, value));
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
