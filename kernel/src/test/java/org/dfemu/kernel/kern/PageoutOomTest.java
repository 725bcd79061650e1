package org.dfemu.kernel.kern;

import org.dfemu.kernel.harness.report.ProcReport;

import org.dfemu.emulator.Machine;
import org.dfemu.emulator.MachineConfig;
import org.dfemu.emulator.disk.BlockDevice;
import org.dfemu.emulator.disk.Disk;
import org.dfemu.emulator.disk.ImageMode;
import org.dfemu.emulator.sched.RunResult;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.kern.InitMain;
import org.dfemu.kernel.harness.workload.Instruction;
import org.dfemu.kernel.harness.workload.Instruction.Prot;
import org.dfemu.kernel.harness.workload.Program;
import org.dfemu.kernel.harness.workload.ProgramFormatException;
import org.dfemu.kernel.harness.workload.Workload;
import org.dfemu.kernel.harness.check.VmPageQueueCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pageout daemon under a workload larger than RAM, with the real scheduler and a swap
 * partition on a disk: laundering to swap and back without loss while swap suffices, and the
 * OOM kill of the largest process once swap is full.
 */
class PageoutOomTest {
    private static final long MB = 1L << 20;
    private static final long LABEL_SECTORS = 2048;

    @TempDir
    Path dir;

    private record Outcome(ProcReport report, long maxSwapUsedPages, RunResult result, long bytesRead, long bytesWritten) {}

    private static Program program(String name, int copies, Instruction... code) {
        try {
            return Program.of(name, copies, List.of(code));
        } catch (ProgramFormatException e) {
            throw new AssertionError(e);
        }
    }

    /** A program mapping {@code pages}, writing them all, pausing, then verifying them all. */
    private static Program writer(String name, int copies, int pages) {
        return program(name, copies,
                new Instruction.Mmap(0, pages, Prot.RW),
                new Instruction.Write(0),
                new Instruction.Sleep(1_000_000),
                new Instruction.Verify(0),
                new Instruction.Munmap(0),
                new Instruction.Exit());
    }

    /** Boots ramBytes of RAM with swapBytes of swap, starts the daemons and runs the workload to its end. */
    private Outcome run(long ramBytes, long swapBytes, long seed, Program... programs) throws IOException {
        Path image = dir.resolve("disk.img");
        long swapSectors = swapBytes / BlockDevice.SECTOR_SIZE;
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength((LABEL_SECTORS + swapSectors) * BlockDevice.SECTOR_SIZE);
        }
        Machine m = new Machine(MachineConfig.of(ramBytes, 1, seed));
        try (Disk disk = Disk.builder(image, m.clock()).mode(ImageMode.DIRECT).writable(LABEL_SECTORS, swapSectors).open();
             MachineKernel mk = MachineKernel.start(m, new KernelConfig(1, 100), disk.device().partition(LABEL_SECTORS, swapSectors),
                     new Workload(List.of(programs)), InitMain.ALL)) {
            Kernel k = mk.kernel;
            m.attach(disk);
            assertTrue(k.dmesg().stream().noneMatch(l -> l.startsWith("swapon:")), "swapon failed");
            KernProc kp = mk.procs;
            long[] maxUsed = {0};
            sampleSwap(mk, k, maxUsed);
            RunResult r = mk.machine.scheduler().run();
            assertEquals(RunResult.Outcome.STOPPED, r.outcome(), r.toString());
            assertEquals(0, kp.report().running(), "every process ended");
            VmPageQueueCheck.assertConsistent(k);
            return new Outcome(kp.report(), maxUsed[0], r, disk.stats().bytesRead(), disk.stats().bytesWritten());
        }
    }

    // Swap in use, sampled every 10 ms of virtual time (a housekeeping event: reads only).
    private static void sampleSwap(MachineKernel mk, Kernel k, long[] maxUsed) {
        mk.machine.clock().scheduleIn(10_000_000, "swap-sample", false, () -> {
            maxUsed[0] = Math.max(maxUsed[0], k.vmSwap().vmSwapMax() - k.vmSwap().vmSwapSize());
            sampleSwap(mk, k, maxUsed);
        });
    }

    @Test
    void twoProcessesLargerThanRamTogetherPageThroughSwapWithoutLossOrKills() throws IOException {
        // 32M RAM (about 7000 pages usable), two processes of 4000 pages each, 64M of swap.
        Outcome o = run(32 * MB, 64 * MB, 21, writer("w", 2, 4000));
        ProcReport r = o.report();
        assertEquals(List.of("pid 1 w: exited", "pid 2 w: exited"), r.summary());
        assertEquals(0, r.dataLossPages(), r.losses().toString());
        assertEquals(0, r.oomKills(), "swap never filled: no kill");
        assertTrue(o.maxSwapUsedPages() > 500, "pages went to swap: " + o.maxSwapUsedPages());
        assertTrue(o.bytesWritten() > 500 * 4096L, "swapped out: " + o.bytesWritten());
        assertTrue(o.bytesRead() > 500 * 4096L, "and back in: " + o.bytesRead());
    }

    @Test
    void whenSwapIsFullTheLargestProcessIsKilledAndTheOthersFinish() throws IOException {
        // 32M RAM and 4M of swap: the big process alone needs more than both.
        Outcome o = run(32 * MB, 4 * MB, 22, writer("small", 1, 600), writer("big", 1, 9000), writer("mid", 1, 1200));
        ProcReport r = o.report();
        assertEquals(1, r.oomKills(), r.summary().toString());
        ProcReport.Proc big = r.procs().get(1);
        assertEquals("big", big.name());
        assertEquals(ProcReport.Status.OOM_KILLED, big.status(), big.line());
        assertTrue(big.fate().startsWith("killed: out of swap space ("), big.fate());
        assertEquals(ProcReport.Status.EXITED, r.procs().get(0).status(), r.procs().get(0).line());
        assertEquals(ProcReport.Status.EXITED, r.procs().get(2).status(), r.procs().get(2).line());
        assertEquals(0, r.dataLossPages(), r.losses().toString());
    }
}
