package org.dfemu.tools.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.machine.Vmparam;
import org.dfemu.kernel.vm.StructVmZone;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What one kernel memory access costs the port, the unit the allocator benchmarks are made of:
 * {@code KernelMemory.load64} of a kernel_map address (a supervisor read through the boot CPU's
 * TLB that hits a 4 KiB entry, as every access to zone items, slabs and kmem_alloc'ed headers
 * does; the 32 pages used all stay cached, so no walk is timed), of the DMAP alias of the same
 * physical word (a hit on a 2 MiB entry, one tag compare, as accesses to the data segment and
 * vm_page array are), and {@code PhysicalMemory.load64} of that physical address.
 *
 * <p>Addresses: 1024 words, seeded random, over the PV ENTRY zone's mapped pages of a booted
 * kernel (see {@link BootedKernel}); each KVA is checked to translate to its physical address.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class KernelMemoryBenchmark {
    static final int ADDRESSES = 1024;

    private BootedKernel booted;
    private KernelMemory km;
    private PhysicalMemory ram;
    private long[] kvas;
    private long[] dmaps;
    private long[] pas;
    private int next;

    @Setup(Level.Trial)
    public void setup() {
        booted = new BootedKernel(true);
        km = booted.kernel.km();
        ram = km.ram();
        long zone = booted.kernel.pmap().pvzone();
        long base = StructVmZone.zkva(km, zone);
        long pages = StructVmZone.zpagecount(km, zone);
        if (pages == 0) throw new IllegalStateException("KernelMemoryBenchmark: PV ENTRY zone has no pages");
        SplittableRandom rnd = new SplittableRandom(BootedKernel.SEED);
        kvas = new long[ADDRESSES];
        dmaps = new long[ADDRESSES];
        pas = new long[ADDRESSES];
        for (int i = 0; i < ADDRESSES; i++) {
            kvas[i] = base + rnd.nextLong(pages * 4096 / 8) * 8;
            pas[i] = km.pa(kvas[i]);
            dmaps[i] = Vmparam.PHYS_TO_DMAP(pas[i]);
            if (km.isDmap(kvas[i]) || km.load64(kvas[i]) != ram.load64(pas[i])) {
                throw new IllegalStateException("KernelMemoryBenchmark: bad mapping of 0x" + Long.toHexString(kvas[i]));
            }
        }
    }

    @TearDown(Level.Trial)
    public void teardown() { booted.close(); }

    @Benchmark
    public long kernelLoad64Kva() {
        return km.load64(kvas[next++ & (ADDRESSES - 1)]);
    }

    @Benchmark
    public long kernelLoad64Dmap() {
        return km.load64(dmaps[next++ & (ADDRESSES - 1)]);
    }

    @Benchmark
    public long physicalLoad64() {
        return ram.load64(pas[next++ & (ADDRESSES - 1)]);
    }
}
