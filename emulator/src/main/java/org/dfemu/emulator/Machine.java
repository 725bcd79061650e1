package org.dfemu.emulator;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.cpu.Cpu;
import org.dfemu.emulator.cpu.Cpus;
import org.dfemu.emulator.cpu.TrapHandler;
import org.dfemu.emulator.disk.Disk;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.emulator.memory.PhysmemSize;
import org.dfemu.emulator.sched.LwktScheduler;
import org.dfemu.emulator.time.VirtualClock;

/**
 * One emulated machine: RAM, CPUs with their MMUs and TLBs, the virtual clock, the seeded
 * scheduler, attached disks and the trace sink, wired together and nothing else. The kernel is
 * given a Machine and installs its trap handler with {@link #setTrapHandler}.
 *
 * <p>Seeds: the master seed feeds a SplittableRandom from which each subsystem draws its own
 * sub-seed, in a fixed order (scheduler first, then {@link #subSeed} calls in the order the kernel
 * makes them), so extra draws in one subsystem never shift another's.
 */
public final class Machine implements AutoCloseable {
    private final MachineConfig config;
    private final PhysicalMemory ram;
    private final VirtualClock clock;
    private final LwktScheduler scheduler;
    private final Cpus cpus;
    private final SplittableRandom seeds;
    private final List<Disk> disks = new ArrayList<>();
    private volatile TrapHandler trapHandler = TrapHandler.FATAL;

    /**
     * Powers on a machine: allocates zeroed RAM (IllegalArgumentException with a clear message if
     * the size is out of range or the host cannot give it), resets the CPUs (CR3 = 0, kernel mode,
     * empty TLBs) and the clock (time 0). No kernel thread exists yet.
     */
    public Machine(MachineConfig config) {
        this.config = config;
        this.seeds = new SplittableRandom(config.seed());
        this.ram = new PhysicalMemory(config.physmemBytes());
        this.clock = new VirtualClock();
        TraceSink trace = config.trace();
        this.scheduler = new LwktScheduler(clock, config.ncpus(), config.hz(), seeds.nextLong(), trace, config.scheduler());
        TrapHandler forward = (cpu, va, errorCode) -> trapHandler.pageFault(cpu, va, errorCode);
        this.cpus = new Cpus(config.ncpus(), ram, config.cpu(), forward, trace, clock::now, scheduler::traceTid);
        if (!config.cpu().cost().isNone()) {
            scheduler.attachCpuTime(cpus, config.cpu().cost().nsPerSwitch());
        }
    }

    public MachineConfig config() { return config; }
    public PhysicalMemory ram() { return ram; }
    public VirtualClock clock() { return clock; }
    public LwktScheduler scheduler() { return scheduler; }
    public Cpus cpus() { return cpus; }
    public Cpu cpu(int id) { return cpus.cpu(id); }
    public TraceSink trace() { return config.trace(); }
    public List<Disk> disks() { return List.copyOf(disks); }

    /** Installs the kernel's page-fault entry; until then every page fault is fatal. */
    public void setTrapHandler(TrapHandler handler) { this.trapHandler = handler; }

    /** Attaches a disk so that it is listed in the inventory and closed with the machine. */
    public void attach(Disk disk) { disks.add(disk); }

    /** The next sub-seed for a subsystem (see the class comment for the order rule). */
    public long subSeed() { return seeds.nextLong(); }

    /** A few lines describing the hardware, in the manner of a BIOS/dmesg probe. */
    public List<String> inventory() {
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "real memory  = %d (%s, %d pages of 4K)",
                ram.size(), PhysmemSize.format(ram.size()), ram.pageCount()));
        out.add(String.format(Locale.ROOT, "cpus         = %d x86-64, 4-level paging, NXE %s, MAXPHYADDR %d, TLB %d+%d entries (4K+2M) each%s",
                cpus.count(), config.cpu().nxe() ? "on" : "off", config.cpu().physAddrBits(),
                org.dfemu.emulator.mmu.Tlb.SMALL_ENTRIES, org.dfemu.emulator.mmu.Tlb.LARGE_ENTRIES,
                config.cpu().tlbCheck() ? ", every hit checked against the page tables (debug.tlb_check)" : ""));
        out.add(String.format(Locale.ROOT, "clock        = virtual, hz %d, seed %d, preemption p=%.2f, watchdog %s",
                config.hz(), config.seed(), config.scheduler().switchProbability(),
                config.scheduler().watchdogNs() == 0 ? "off" : (config.scheduler().watchdogNs() / 1_000_000_000.0) + " s"));
        for (Disk d : disks) {
            out.add(String.format(Locale.ROOT, "%-12s = %d sectors of 512 (%s), %s, writable %s",
                    d.device().name(), d.device().sectorCount(),
                    PhysmemSize.format(d.device().sectorCount() * 512), d.mode(), d.writableRanges()));
        }
        return out;
    }

    @Override
    public void close() {
        for (Disk d : disks) {
            try {
                d.close();
            } catch (Exception e) {
                // Closing a disk after the run cannot change the run; report and go on.
                System.err.println("dfemu: closing " + d.device().name() + ": " + e.getMessage());
            }
        }
        ram.close();
    }
}
