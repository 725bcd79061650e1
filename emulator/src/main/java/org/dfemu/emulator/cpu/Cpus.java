package org.dfemu.emulator.cpu;

import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.memory.PhysicalMemory;

/**
 * The machine's CPUs, numbered 0 .. {@link #count()}-1, sharing one physical memory, one trap
 * handler, one trace sink, one clock and one thread-id source. It is what lets a CPU reach the
 * others for a TLB shootdown; a CPU mask is a long (bit n = CPU n), so a machine has at most
 * {@value #MAX_CPUS} CPUs.
 *
 * <p>Thread safety: immutable after construction; each {@link Cpu} has its own rules.
 */
public final class Cpus {
    /** CPU masks are 64-bit. */
    public static final int MAX_CPUS = 64;

    private final Cpu[] cpus;

    /**
     * Builds {@code count} CPUs (1 .. {@value #MAX_CPUS}), each with CR3 = 0, kernel mode and an
     * empty TLB.
     *
     * @param mem      the RAM every access ends in
     * @param settings features of every CPU
     * @param trap     where page faults go (see {@link TrapHandler}); {@link TrapHandler#FATAL}
     *                 until the kernel has a trap entry, or a forwarder the kernel fills in
     * @param trace    sink for {@code MMU_PAGE_FAULT} and {@code TLB_SHOOTDOWN} events
     * @param clock    virtual time in ns for trace stamps (e.g. {@code VirtualClock::now})
     * @param threadId id of the running thread for trace stamps (e.g. {@code Scheduler::curtid})
     */
    public Cpus(int count, PhysicalMemory mem, CpuSettings settings, TrapHandler trap,
                TraceSink trace, LongSupplier clock, IntSupplier threadId) {
        if (count < 1 || count > MAX_CPUS) {
            throw new IllegalArgumentException("Cpus: " + count + " CPUs, must be 1.." + MAX_CPUS);
        }
        this.cpus = new Cpu[count];
        for (int i = 0; i < count; i++) {
            cpus[i] = new Cpu(i, this, mem, settings, trap, trace, clock, threadId);
        }
    }

    /** Number of CPUs. */
    public int count() { return cpus.length; }

    /** CPU number {@code id}. */
    public Cpu cpu(int id) { return cpus[id]; }

    /** A mask with every CPU's bit set. */
    public long allMask() {
        return cpus.length == MAX_CPUS ? -1L : (1L << cpus.length) - 1;
    }

    /** Throws IllegalArgumentException if {@code mask} names a CPU this machine does not have. */
    void checkMask(long mask) {
        if ((mask & ~allMask()) != 0) {
            throw new IllegalArgumentException(String.format("cpu mask 0x%x names CPUs beyond the %d this machine has",
                    mask, cpus.length));
        }
    }
}
