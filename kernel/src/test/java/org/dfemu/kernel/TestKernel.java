package org.dfemu.kernel;

import org.dfemu.emulator.memory.PhysicalMemory;

/**
 * A booted kernel over freshly allocated RAM, for tests: boot context on the test's thread, no
 * scheduler. Close it to give the RAM back.
 */
public final class TestKernel implements AutoCloseable {
    public final PhysicalMemory ram;
    public final Kernel kernel;

    private TestKernel(PhysicalMemory ram, Kernel kernel) {
        this.ram = ram;
        this.kernel = kernel;
    }

    /** Links and boots a kernel with {@code bytes} of RAM and the default config. */
    public static TestKernel boot(long bytes) {
        return boot(bytes, KernelConfig.defaults());
    }

    public static TestKernel boot(long bytes, KernelConfig config) {
        PhysicalMemory ram = new PhysicalMemory(bytes);
        try {
            return new TestKernel(ram, Kernel.boot(ram, config));
        } catch (RuntimeException e) {
            ram.close();
            throw e;
        }
    }

    /**
     * One clock tick: every cpu's hardclock folds its pending vmstats adjustments into the global
     * counts and refreshes its own copy, as between two ticks of a running machine. Boot-context
     * tests that check a threshold exactly call it so the cpu's copy is current.
     */
    public static void tick(Kernel k) {
        for (int cpu = 0; cpu < k.config().ncpus(); cpu++) {
            k.kernClock().hardclock(cpu);
        }
    }

    /** The true count at a rolled-up vmstats offset (global plus every cpu's pending adjustment). */
    public static long trueCount(Kernel k, long offset) {
        return k.vmMeter().trueCount(offset);
    }

    @Override
    public void close() {
        ram.close();
    }
}
