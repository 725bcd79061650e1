package org.dfemu.emulator.cpu;

import java.util.ArrayList;
import java.util.List;

import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.emulator.mmu.PageTableBuilder;
import org.dfemu.emulator.mmu.Pte;

/**
 * A small machine for CPU tests: 16 MiB of RAM, page tables built from [1 MiB, 4 MiB), data
 * pages handed out from 4 MiB upwards, a trap handler that records every fault and then does
 * what the test says (by default: abort with PageFaultException), a trace sink that records
 * events, a fixed clock and thread id.
 */
final class TestMachine implements AutoCloseable {
    static final long TABLES = 1L << 20;
    static final long DATA = 4L << 20;
    static final long CLOCK_NS = 12_345;
    static final int THREAD = 7;

    record Fault(int cpu, long va, int errorCode, boolean userModeInHandler) {}

    record Event(long timeNs, int cpu, int thread, int type, long a0, long a1, long a2) {}

    final PhysicalMemory mem = new PhysicalMemory(16L << 20);
    final PageTableBuilder tables = new PageTableBuilder(mem, TABLES, DATA);
    final List<Fault> faults = new ArrayList<>();
    final List<Event> events = new ArrayList<>();
    /** What the trap handler does after recording a fault. */
    TrapHandler onFault = TrapHandler.FATAL;
    final Cpus cpus;
    final long pml4 = tables.newPml4();
    private long nextData = DATA;

    TestMachine(int ncpus, CpuSettings settings) {
        TrapHandler recorder = (cpu, va, code) -> {
            faults.add(new Fault(cpu.id(), va, code, cpu.isUserMode()));
            onFault.pageFault(cpu, va, code);
        };
        TraceSink sink = (t, c, th, type, a0, a1, a2, a3) -> events.add(new Event(t, c, th, type, a0, a1, a2));
        cpus = new Cpus(ncpus, mem, settings, recorder, sink, () -> CLOCK_NS, () -> THREAD);
        for (int i = 0; i < ncpus; i++) cpus.cpu(i).loadCr3(pml4);
    }

    TestMachine() {
        this(1, CpuSettings.DEFAULT);
    }

    Cpu cpu() { return cpus.cpu(0); }

    /** A fresh zeroed 4 KiB data page. */
    long page() {
        long pa = nextData;
        nextData += Pte.PAGE_SIZE;
        mem.zeroPage(pa);
        return pa;
    }

    /** Maps a fresh data page at {@code va} with {@code flags}; returns its physical address. */
    long map(long va, long flags) {
        long pa = page();
        tables.map4k(pml4, va, pa, flags);
        return pa;
    }

    /** Physical address of the final 4 KiB entry of {@code va}. */
    long pte(long va) {
        return tables.entryAddress(pml4, va, Pte.LEVEL_PT);
    }

    @Override
    public void close() { mem.close(); }
}
