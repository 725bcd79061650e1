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

    @Override
    public void close() {
        ram.close();
    }
}
