package org.dfemu.tools.bench;

import java.util.concurrent.TimeUnit;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.vm.StructVmZone;
import org.dfemu.kernel.vm.StructVmZpcpu;
import org.dfemu.kernel.vm.VmZone;
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
 * The ported zone allocator's fast path: one {@code zalloc} + {@code zfree} pair on a
 * ZONE_INTERRUPT zone of a booted kernel (one CPU, INVARIANTS on as in every simulation), served
 * from and returned to the per-cpu cache.
 * <ul>
 *   <li>{@link #zallocPair}: the PV ENTRY zone, the one pmap allocates from for every mapping;
 *       its header is static storage (the data segment, reached through the DMAP), its items
 *       are in KVA reserved in kernel_map.
 *   <li>{@link #zallocPairSwapmeta}: a zone made with {@code zinit("SWAPMETA", 320, ...,
 *       ZONE_INTERRUPT)} as the swap pager makes its own; its header comes from kmem_alloc, so
 *       every header access goes through the kernel page tables too.
 *   <li>{@link #zallocPairNoInvariants}: {@link #zallocPair} in a kernel booted without
 *       INVARIANTS, so without the free-item marker's loads and stores; the difference is what
 *       that bookkeeping costs.
 * </ul>
 * Runs in boot context: the JMH worker thread links and boots the kernel, so it is the kernel's
 * boot thread (thread0), where {@code Lwkt} makes a critical section thread0's td_critcount and a
 * spin lock a CAS of its word. zalloc on an interrupt zone never sleeps, so it needs no scheduler
 * thread; the machine is attached (its CPUs load the kernel CR3) but its scheduler never runs.
 *
 * <p>Each iteration checks that it stayed on the fast path: the zone's global pool, its total
 * and its refill count are unchanged (no burst from the pool, no zget) and no critical section
 * was left open.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ZallocBenchmark {
    /** The SWAPMETA-like zone: 320-byte items, room for this many. */
    static final long SWAPMETA_ITEM = 320;
    static final long SWAPMETA_ENTRIES = 10_000;

    /** A booted one-CPU kernel and one of its interrupt zones. */
    public abstract static class BootedZone {
        BootedKernel booted;
        KernelMemory km;
        VmZone vz;
        long zone;
        private long poolBefore;
        private long totalBefore;
        private long refillsBefore;
        private long pcpuBefore;

        /** The zone to measure, made or found in the booted kernel. */
        abstract long zone(Kernel kernel);

        /** {@code kern.invariants}: on, as in every simulation, unless a state says otherwise. */
        boolean invariants() { return true; }

        @Setup(Level.Trial)
        public void boot() {
            booted = new BootedKernel(invariants());
            Kernel kernel = booted.kernel;
            km = kernel.km();
            vz = kernel.vmZone();
            zone = zone(kernel);
            if (zone == 0 || (StructVmZone.zflags(km, zone) & StructVmZone.ZONE_INTERRUPT) == 0) {
                throw new IllegalStateException("ZallocBenchmark: no ZONE_INTERRUPT zone " + vz.zname(zone));
            }
        }

        @Setup(Level.Iteration)
        public void snapshot() {
            booted.checkBootContext("ZallocBenchmark");
            long pcpu = StructVmZone.zpcpu(zone, 0);
            if (StructVmZpcpu.zfreecnt(km, pcpu) == 0) {
                throw new IllegalStateException("ZallocBenchmark: empty per-cpu cache in " + vz.zname(zone));
            }
            poolBefore = StructVmZone.zfreecnt(km, zone);
            totalBefore = StructVmZone.ztotal(km, zone);
            refillsBefore = StructVmZone.znalloc(km, zone);
            pcpuBefore = StructVmZpcpu.zfreecnt(km, pcpu);
        }

        @TearDown(Level.Iteration)
        public void checkFastPath() {
            long pcpu = StructVmZone.zpcpu(zone, 0);
            if (StructVmZone.zfreecnt(km, zone) != poolBefore || StructVmZone.ztotal(km, zone) != totalBefore
                    || StructVmZone.znalloc(km, zone) != refillsBefore || StructVmZpcpu.zfreecnt(km, pcpu) != pcpuBefore) {
                throw new IllegalStateException("ZallocBenchmark: " + vz.zname(zone) + " left the per-cpu fast path");
            }
            booted.checkBootContext("ZallocBenchmark");
        }

        @TearDown(Level.Trial)
        public void powerOff() { booted.close(); }
    }

    @State(Scope.Thread)
    public static class PvEntryZone extends BootedZone {
        @Override
        long zone(Kernel kernel) { return kernel.pmap().pvzone(); }
    }

    @State(Scope.Thread)
    public static class PvEntryZoneNoInvariants extends PvEntryZone {
        @Override
        boolean invariants() { return false; }
    }

    @State(Scope.Thread)
    public static class SwapmetaZone extends BootedZone {
        @Override
        long zone(Kernel kernel) {
            return kernel.vmZone().zinit("SWAPMETA", SWAPMETA_ITEM, SWAPMETA_ENTRIES, StructVmZone.ZONE_INTERRUPT);
        }
    }

    @Benchmark
    public long zallocPair(PvEntryZone s) {
        long item = s.vz.zalloc(s.zone);
        s.vz.zfree(s.zone, item);
        return item;
    }

    @Benchmark
    public long zallocPairNoInvariants(PvEntryZoneNoInvariants s) {
        long item = s.vz.zalloc(s.zone);
        s.vz.zfree(s.zone, item);
        return item;
    }

    @Benchmark
    public long zallocPairSwapmeta(SwapmetaZone s) {
        long item = s.vz.zalloc(s.zone);
        s.vz.zfree(s.zone, item);
        return item;
    }
}
