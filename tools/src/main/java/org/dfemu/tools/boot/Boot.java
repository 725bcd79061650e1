package org.dfemu.tools.boot;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import org.dfemu.emulator.Machine;
import org.dfemu.emulator.MachineConfig;
import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.cpu.CpuSettings;
import org.dfemu.emulator.disk.BlockDevice;
import org.dfemu.emulator.disk.Disk;
import org.dfemu.emulator.disk.ImageMode;
import org.dfemu.emulator.disk.LatencyModel;
import org.dfemu.emulator.sched.SchedulerSettings;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.ddb.DdbDeadlock;
import org.dfemu.kernel.kern.FailAlloc;
import org.dfemu.tools.image.BootSettings;
import org.dfemu.tools.image.MachineSettings;
import org.dfemu.tools.image.Partition;
import org.dfemu.tools.image.PartitionType;

/**
 * One boot as an in-process call: powers on a machine for a {@link BootPlan}, attaches the image,
 * boots the kernel, runs it to shutdown and returns the {@link RunRecord}, with the console text
 * going to the given writer. Holds no state: many runs may go at once on different threads
 * ({@code dfemu sweep}).
 */
public final class Boot {
    private Boot() {}

    /**
     * Runs {@code plan}, writing the console to {@code out} (flushed on return) and the machine's
     * trace events to {@code trace}.
     *
     * @throws IOException if the image cannot be read or its overlay written
     * @throws IllegalArgumentException if the host cannot build the machine the settings ask for
     */
    public static RunRecord run(BootPlan plan, TraceSink trace, PrintWriter out) throws IOException {
        MachineSettings s = plan.settings();
        long seed = plan.seed();
        MachineConfig config = new MachineConfig(
                s.size(BootSettings.HW_PHYSMEM), (int) s.integer(BootSettings.HW_NCPU), (int) s.integer(BootSettings.KERN_HZ),
                seed, schedulerSettings(s), CpuSettings.DEFAULT.withTlbCheck(s.flag(BootSettings.DEBUG_TLB_CHECK)), trace);
        try (Machine machine = new Machine(config)) {
            Partition swap = plan.label().partition(PartitionType.SWAP).orElse(null);
            Disk.Builder disk = Disk.builder(plan.image(), machine.clock())
                    .mode(plan.mode())
                    .latency(new LatencyModel(s.integer(BootSettings.DISK_LATENCY_SETUP_NS), s.integer(BootSettings.DISK_LATENCY_NS_PER_BYTE)))
                    .trace(machine.trace(), machine.scheduler()::traceCpu, machine.scheduler()::traceTid);
            if (swap != null) disk.writable(swap.firstSector(), swap.sectorCount());
            Disk opened = disk.open();
            machine.attach(opened);
            BlockDevice swapdev = swap == null ? null : opened.device().partition(swap.firstSector(), swap.sectorCount());

            out.println("dfemu: booting " + plan.image() + " (" + (plan.mode() == ImageMode.DIRECT ? "-r, read/write" : "-R, copy-on-write")
                    + "), seed " + seed);
            for (String line : machine.inventory()) out.println(line);
            if (plan.verbose()) {
                for (MachineSettings.Value v : s.values()) {
                    out.printf("setting %s=\"%s\" (%s)%n", v.setting().name(), v.text(), v.source().name().toLowerCase(Locale.ROOT));
                }
            }
            if (swap != null) {
                out.printf("swap partition: sectors %d..%d (%d MiB)%n", swap.firstSector(), swap.endSector() - 1, swap.byteLength() >> 20);
            }
            var workload = plan.label().workload();
            out.printf("workload: %d program(s), %d process(es) at boot%n", workload.programs().size(), workload.processesAtBoot());
            KernelConfig kc = new KernelConfig(config.ncpus(), config.hz(), s.flag(BootSettings.KERN_INVARIANTS), 0)
                    .withSwapmetaAlloc(KernelConfig.SwapmetaAlloc.of(s.choice(BootSettings.VM_SWAPMETA_ALLOC)),
                            (int) s.integer(BootSettings.KERN_KMALLOC_OBJ_RESERVE_SLABS))
                    .withFailAlloc(failAllocSettings(s));
            RunRecord record = KernelRun.run(machine, kc, swapdev, workload, seed, plan.runNs(), plan.reportEveryNs(),
                    plan.verbose(), out);
            out.flush();
            return record;
        }
    }

    /**
     * The scheduler's settings for a boot: the stall watchdog of {@code debug.stall_timeout}
     * (virtual seconds, 0 = off), armed only by the kernel's waits for memory.
     */
    public static SchedulerSettings schedulerSettings(MachineSettings s) {
        return SchedulerSettings.DEFAULTS
                .withWatchdogNs(s.integer(BootSettings.DEBUG_STALL_TIMEOUT) * 1_000_000_000L)
                .withWatchdogWmesgs(DdbDeadlock.MEMORY_WAIT_WMESGS);
    }

    /** The {@code debug.fail_page_alloc.*}, {@code debug.failslab.*} and {@code debug.fail_zalloc.*} settings. */
    public static FailAlloc.Settings failAllocSettings(MachineSettings s) {
        return FailAlloc.Settings.OFF
                .withPage(failTarget(s, BootSettings.FAIL_PAGE_ALLOC),
                        FailAlloc.Settings.classes(s.list(BootSettings.FAIL_PAGE_ALLOC_CLASSES)))
                .withSlab(failTarget(s, BootSettings.FAILSLAB), s.flag(BootSettings.FAILSLAB_IGNORE_WAITOK))
                .withZone(failTarget(s, BootSettings.FAIL_ZALLOC), s.list(BootSettings.FAIL_ZALLOC_ZONES));
    }

    private static FailAlloc.Target failTarget(MachineSettings s, String prefix) {
        return new FailAlloc.Target((int) s.integer(prefix + BootSettings.PROBABILITY),
                s.integer(prefix + BootSettings.INTERVAL), s.integer(prefix + BootSettings.TIMES));
    }
}
