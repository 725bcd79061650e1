package org.dfemu.tools.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.dfemu.emulator.cpu.Cpu;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.machine.Vmparam;
import org.dfemu.kernel.vm.StructVmMapEntry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The floor: what one emulated 64-bit load costs inside one compiled loop of
 * {@value #ACCESSES} loads, the JMH call divided out ({@code @OperationsPerInvocation}), for each
 * way an address reaches RAM:
 * <ul>
 *   <li>{@code raw}: {@code MemorySegment.get} of the physical address (no emulation at all);
 *   <li>{@code phys}: {@code PhysicalMemory.load64} of the physical address (its bounds check);
 *   <li>{@code dmap}: {@code KernelMemory.load64} of the page's DMAP address, as the kernel reads
 *       the vm_page array and its data segment;
 *   <li>{@code kmap}: {@code KernelMemory.load64} of a kernel_map address inside a range
 *       kmem_alloc'd on a booted kernel, as the kernel reads zone items, slabs and PV entries;
 *   <li>{@code user}: {@code Cpu.load64} of a mapped user page by a CPU in user mode, as a
 *       workload process's loads are (TLB hit after the first pass).
 * </ul>
 * Each kind is measured twice. {@code ...Dependent}: a pointer chase, each load's value is the next
 * address (latency: the next load cannot start before the last one ended), as a kernel walks a
 * list or a tree. {@code ...Independent}: the addresses come from arithmetic on a counter, so loads
 * overlap (throughput), as a kernel reads several fields of one structure. The raw and phys loads
 * of a chase follow the same slots in the same order as the dmap and kmap ones.
 *
 * <p>Working set: {@value #PAGES} pages (64 KiB: inside the host's L2, the emulated TLB and the
 * kernel_map translation cache), cut into 32-byte slots. A seeded random cycle through all slots
 * is stored in them: word 0 of a slot holds the address of the next slot's word 0 by kernel_map,
 * word 1 that of its word 1 by DMAP, word 2 that of its word 2 by physical address; in the user
 * machine word 0 holds the next slot's user address. The
 * independent loops visit slot {@code (i * STEP) mod SLOTS}, through a 16-entry table of page
 * bases that every kind uses alike (the pages of a kmem_alloc'd range are not physically
 * contiguous). Setup checks every slot through every path before anything is timed.
 *
 * <p>{@link #zeroPage}: the page zeroing of a zero-fill fault, ns per 4 KiB page over 128 MiB.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@OperationsPerInvocation(FloorBenchmark.ACCESSES)
public class FloorBenchmark {
    static final int ACCESSES = 1_000_000;
    static final int PAGES = 16;
    static final int SLOT_SHIFT = 5;
    static final int SLOTS_PER_PAGE_SHIFT = 12 - SLOT_SHIFT;
    static final int SLOTS = PAGES << SLOTS_PER_PAGE_SHIFT;
    private static final int SLOT_MASK = (1 << SLOTS_PER_PAGE_SHIFT) - 1;
    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Word offsets in a slot: the next slot's address as each chase reads it. */
    static final int KMAP_WORD = 0;
    static final int DMAP_WORD = 8;
    static final int PA_WORD = 16;

    /** The seeded cycle through all slots: order[i] is followed by order[i + 1], the last by the first. */
    static int[] cycle(long seed) {
        int[] order = new int[SLOTS];
        for (int i = 0; i < SLOTS; i++) order[i] = i;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = SLOTS - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = order[i]; order[i] = order[j]; order[j] = t;
        }
        return order;
    }

    /** The independent loops' odd step through the slots (seeded): every slot once per SLOTS loads. */
    static int step(long seed) {
        return (new SplittableRandom(seed ^ 0x5eedL).nextInt(SLOTS / 4, SLOTS / 2)) | 1;
    }

    /** Address of {@code slot} given the base address of each page. */
    static long address(long[] pageBase, int slot) {
        return pageBase[slot >>> SLOTS_PER_PAGE_SHIFT] + ((long) (slot & SLOT_MASK) << SLOT_SHIFT);
    }

    /** A booted kernel with {@value #PAGES} kmem_alloc'd kernel_map pages holding the three chains. */
    @State(Scope.Thread)
    public static class KernelPages {
        BootedKernel booted;
        KernelMemory km;
        PhysicalMemory ram;
        MemorySegment segment;
        long[] kmapPage = new long[PAGES];
        long[] dmapPage = new long[PAGES];
        long[] paPage = new long[PAGES];
        long kmapStart;
        long dmapStart;
        long paStart;
        int step;

        @Setup(Level.Trial)
        public void setup() {
            booted = new BootedKernel(true);
            booted.checkBootContext("FloorBenchmark");
            km = booted.kernel.km();
            ram = km.ram();
            segment = ram.segment();
            long kva = booted.kernel.vmKern().kmemAlloc(booted.kernel.vmMap().kernelMap(), (long) PAGES << 12,
                    StructVmMapEntry.VM_SUBSYS_KMALLOC);
            if (kva == 0) throw new IllegalStateException("FloorBenchmark: kmem_alloc failed");
            for (int p = 0; p < PAGES; p++) {
                kmapPage[p] = kva + ((long) p << 12);
                paPage[p] = km.pa(kmapPage[p]);
                dmapPage[p] = Vmparam.PHYS_TO_DMAP(paPage[p]);
                if (km.isDmap(kmapPage[p])) throw new IllegalStateException("FloorBenchmark: kmem_alloc gave a DMAP address");
            }
            int[] order = cycle(BootedKernel.SEED);
            for (int i = 0; i < SLOTS; i++) {
                int s = order[i];
                int next = order[(i + 1) % SLOTS];
                long pa = address(paPage, s);
                ram.store64(pa + KMAP_WORD, address(kmapPage, next) + KMAP_WORD);
                ram.store64(pa + DMAP_WORD, address(dmapPage, next) + DMAP_WORD);
                ram.store64(pa + PA_WORD, address(paPage, next) + PA_WORD);
            }
            for (int i = 0; i < SLOTS; i++) {
                int s = order[i];
                int next = order[(i + 1) % SLOTS];
                if (km.load64(address(kmapPage, s) + KMAP_WORD) != address(kmapPage, next) + KMAP_WORD
                        || km.load64(address(dmapPage, s) + DMAP_WORD) != address(dmapPage, next) + DMAP_WORD
                        || ram.load64(address(paPage, s) + PA_WORD) != address(paPage, next) + PA_WORD
                        || segment.get(LE64, address(paPage, s) + PA_WORD) != address(paPage, next) + PA_WORD) {
                    throw new IllegalStateException("FloorBenchmark: slot " + s + " reads back wrong through one of its paths");
                }
            }
            kmapStart = address(kmapPage, order[0]) + KMAP_WORD;
            dmapStart = address(dmapPage, order[0]) + DMAP_WORD;
            paStart = address(paPage, order[0]) + PA_WORD;
            step = step(BootedKernel.SEED);
        }

        @TearDown(Level.Trial)
        public void teardown() { booted.close(); }
    }

    /** A one-CPU machine in user mode with {@value #PAGES} user pages holding the user chain. */
    @State(Scope.Thread)
    public static class UserPages {
        MappedPages machine;
        Cpu cpu;
        long[] uvaPage = new long[PAGES];
        long start;
        int step;

        @Setup(Level.Trial)
        public void setup() {
            machine = MappedPages.user(PAGES);
            cpu = machine.cpu;
            for (int p = 0; p < PAGES; p++) uvaPage[p] = machine.vaBase + ((long) p << 12);
            int[] order = cycle(BootedKernel.SEED);
            for (int i = 0; i < SLOTS; i++) {
                machine.ram.store64(machine.pa(address(uvaPage, order[i])), address(uvaPage, order[(i + 1) % SLOTS]));
            }
            for (int i = 0; i < SLOTS; i++) {
                if (cpu.load64(address(uvaPage, order[i])) != address(uvaPage, order[(i + 1) % SLOTS])) {
                    throw new IllegalStateException("FloorBenchmark: user slot " + order[i] + " reads back wrong");
                }
            }
            start = address(uvaPage, order[0]);
            step = step(BootedKernel.SEED);
        }

        @TearDown(Level.Trial)
        public void teardown() { machine.close(); }
    }

    // ---- dependent: pointer chases ------------------------------------------------------------

    @Benchmark
    public long rawDependent(KernelPages s) {
        MemorySegment seg = s.segment;
        long a = s.paStart;
        for (int i = 0; i < ACCESSES; i++) a = seg.get(LE64, a);
        return a;
    }

    @Benchmark
    public long physDependent(KernelPages s) {
        PhysicalMemory ram = s.ram;
        long a = s.paStart;
        for (int i = 0; i < ACCESSES; i++) a = ram.load64(a);
        return a;
    }

    @Benchmark
    public long dmapDependent(KernelPages s) {
        KernelMemory km = s.km;
        long a = s.dmapStart;
        for (int i = 0; i < ACCESSES; i++) a = km.load64(a);
        return a;
    }

    @Benchmark
    public long kmapDependent(KernelPages s) {
        KernelMemory km = s.km;
        long a = s.kmapStart;
        for (int i = 0; i < ACCESSES; i++) a = km.load64(a);
        return a;
    }

    @Benchmark
    public long userDependent(UserPages s) {
        Cpu cpu = s.cpu;
        long a = s.start;
        for (int i = 0; i < ACCESSES; i++) a = cpu.load64(a);
        return a;
    }

    // ---- independent: addresses from a counter ------------------------------------------------

    @Benchmark
    public long rawIndependent(KernelPages s) {
        MemorySegment seg = s.segment;
        long[] pages = s.paPage;
        int step = s.step;
        long sum = 0;
        for (int i = 0; i < ACCESSES; i++) sum += seg.get(LE64, address(pages, (i * step) & (SLOTS - 1)) + PA_WORD);
        return sum;
    }

    @Benchmark
    public long physIndependent(KernelPages s) {
        PhysicalMemory ram = s.ram;
        long[] pages = s.paPage;
        int step = s.step;
        long sum = 0;
        for (int i = 0; i < ACCESSES; i++) sum += ram.load64(address(pages, (i * step) & (SLOTS - 1)) + PA_WORD);
        return sum;
    }

    @Benchmark
    public long dmapIndependent(KernelPages s) {
        KernelMemory km = s.km;
        long[] pages = s.dmapPage;
        int step = s.step;
        long sum = 0;
        for (int i = 0; i < ACCESSES; i++) sum += km.load64(address(pages, (i * step) & (SLOTS - 1)) + DMAP_WORD);
        return sum;
    }

    @Benchmark
    public long kmapIndependent(KernelPages s) {
        KernelMemory km = s.km;
        long[] pages = s.kmapPage;
        int step = s.step;
        long sum = 0;
        for (int i = 0; i < ACCESSES; i++) sum += km.load64(address(pages, (i * step) & (SLOTS - 1)) + KMAP_WORD);
        return sum;
    }

    @Benchmark
    public long userIndependent(UserPages s) {
        Cpu cpu = s.cpu;
        long[] pages = s.uvaPage;
        int step = s.step;
        long sum = 0;
        for (int i = 0; i < ACCESSES; i++) sum += cpu.load64(address(pages, (i * step) & (SLOTS - 1)));
        return sum;
    }

    // ---- the page zeroing every zero-fill fault does ------------------------------------------

    /** 128 MiB of RAM (bench-faults' machine), zeroed one page at a time, so most pages are not in cache. */
    @State(Scope.Thread)
    public static class ZeroPages {
        static final int PAGES = 32768;
        PhysicalMemory ram;

        @Setup(Level.Trial)
        public void setup() {
            ram = new PhysicalMemory((long) PAGES << 12);
            for (long pa = 0; pa < (long) PAGES << 12; pa += 4096) ram.store64(pa, pa | 1);
        }

        @TearDown(Level.Trial)
        public void teardown() { ram.close(); }
    }

    /**
     * {@code PhysicalMemory.zeroPage} (pmap_zero_page's backend) of each of 32768 pages in turn,
     * ns per page: the one bulk access of a zero-fill fault, which the per-word figures above leave
     * out. Returns a word of the last page so the work is used.
     */
    @Benchmark
    @OperationsPerInvocation(ZeroPages.PAGES)
    public long zeroPage(ZeroPages s) {
        PhysicalMemory ram = s.ram;
        for (int p = 0; p < ZeroPages.PAGES; p++) ram.zeroPage((long) p << 12);
        return ram.load64((long) (ZeroPages.PAGES - 1) << 12);
    }
}
