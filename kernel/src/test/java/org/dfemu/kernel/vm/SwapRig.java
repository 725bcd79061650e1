package org.dfemu.kernel.vm;

import org.dfemu.emulator.Machine;
import org.dfemu.emulator.MachineConfig;
import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.cpu.CpuSettings;
import org.dfemu.emulator.sched.SchedulerSettings;
import org.dfemu.emulator.disk.BlockDevice;
import org.dfemu.emulator.disk.Disk;
import org.dfemu.emulator.disk.ImageMode;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.kern.InitMain;
import org.dfemu.kernel.harness.workload.Workload;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A booted kernel on a machine with a real disk: a sparse image file with a 1 MiB label area and
 * a swap window after it, attached by the boot's swapon (the only writable part of the image).
 * No pagedaemon: the rig runs swap_pager_swap_init itself, as the pagedaemon would at its start.
 */
final class SwapRig implements AutoCloseable {
    static final long MB = 1L << 20;
    static final long LABEL_SECTORS = 2048;

    /** swapon only: the tests complete swap I/O themselves or do none. */
    static final Set<InitMain.Sysinit> SWAPON = EnumSet.of(InitMain.Sysinit.SWAPON);
    /** swapon and the swap completion thread "swapintr", for asynchronous swap I/O. */
    static final Set<InitMain.Sysinit> SWAPON_SWAPINTR = EnumSet.of(InitMain.Sysinit.SWAPON, InitMain.Sysinit.SWAPINTR);

    final MachineKernel mk;
    final Disk disk;
    final BlockDevice swapdev;

    private SwapRig(MachineKernel mk, Disk disk, BlockDevice swapdev) {
        this.mk = mk;
        this.disk = disk;
        this.swapdev = swapdev;
    }

    /**
     * Boots {@code ramBytes} of RAM on one cpu with SWAPMETA on {@code alloc}, makes an image with
     * {@code swapBytes} of swap (a multiple of 512) in {@code dir}, runs swapon and
     * swap_pager_swap_init (as the pagedaemon would at its start).
     */
    static SwapRig boot(Path dir, long ramBytes, long swapBytes, SwapPager.SwapmetaAlloc alloc, long seed)
            throws IOException {
        return boot(dir, ramBytes, swapBytes, alloc, seed, true);
    }

    /** As above; {@code writable} false leaves the swap window read-only (every swap write fails, EROFS). */
    static SwapRig boot(Path dir, long ramBytes, long swapBytes, SwapPager.SwapmetaAlloc alloc, long seed,
            boolean writable) throws IOException {
        return boot(dir, ramBytes, swapBytes, alloc, seed, writable, TraceSink.NONE, SWAPON);
    }

    /**
     * As above, recording the machine's and the kernel's trace events to {@code trace}, running
     * the late SYSINITs {@code sysinits} ({@link #SWAPON} or {@link #SWAPON_SWAPINTR}).
     */
    static SwapRig boot(Path dir, long ramBytes, long swapBytes, SwapPager.SwapmetaAlloc alloc, long seed,
            boolean writable, TraceSink trace, Set<InitMain.Sysinit> sysinits) throws IOException {
        return boot(dir, swapBytes, new MachineConfig(ramBytes, 1, 100, seed, SchedulerSettings.DEFAULTS,
                        CpuSettings.DEFAULT, trace),
                new KernelConfig(1, 100).setenv(SwapPager.VM_SWAPMETA_ALLOC.name(), alloc.word()), writable, sysinits);
    }

    /** As above, on a machine and kernel configured by the caller (scheduler watchdog, fault injection). */
    static SwapRig boot(Path dir, long swapBytes, MachineConfig mc, KernelConfig kc, boolean writable) throws IOException {
        return boot(dir, swapBytes, mc, kc, writable, SWAPON);
    }

    private static SwapRig boot(Path dir, long swapBytes, MachineConfig mc, KernelConfig kc, boolean writable,
            Set<InitMain.Sysinit> sysinits) throws IOException {
        Path image = dir.resolve("disk.img");
        long swapSectors = swapBytes / BlockDevice.SECTOR_SIZE;
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength((LABEL_SECTORS + swapSectors) * BlockDevice.SECTOR_SIZE);
        }
        Machine m = new Machine(mc);
        Disk disk;
        try {
            Disk.Builder b = Disk.builder(image, m.clock()).mode(ImageMode.DIRECT);
            if (writable) {
                b.writable(LABEL_SECTORS, swapSectors);
            }
            disk = b.open();
            m.attach(disk);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
        BlockDevice swapdev = disk.device().partition(LABEL_SECTORS, swapSectors);
        MachineKernel mk = MachineKernel.start(m, kc, swapdev, Workload.EMPTY, sysinits);
        try {
            assertTrue(mk.kernel.dmesg().stream().noneMatch(l -> l.startsWith("swapon:")), "swapon failed: " + mk.kernel.dmesg());
            mk.kernel.swapPager().swapPagerSwapInit();
            return new SwapRig(mk, disk, swapdev);
        } catch (RuntimeException | Error e) {
            mk.close();
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            disk.close();
        } finally {
            mk.close();
        }
    }
}
