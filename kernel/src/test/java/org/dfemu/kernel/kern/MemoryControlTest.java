package org.dfemu.kernel.kern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.dfemu.emulator.Machine;
import org.dfemu.emulator.MachineConfig;
import org.dfemu.emulator.disk.BlockDevice;
import org.dfemu.emulator.disk.Disk;
import org.dfemu.emulator.disk.ImageMode;
import org.dfemu.emulator.sched.RunResult;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.harness.check.VmPageQueueCheck;
import org.dfemu.kernel.harness.report.ProcReport;
import org.dfemu.kernel.harness.workload.Instruction;
import org.dfemu.kernel.harness.workload.Instruction.Advice;
import org.dfemu.kernel.harness.workload.Instruction.Prot;
import org.dfemu.kernel.harness.workload.Instruction.Protect;
import org.dfemu.kernel.harness.workload.PagePattern;
import org.dfemu.kernel.harness.workload.Program;
import org.dfemu.kernel.harness.workload.ProgramFormatException;
import org.dfemu.kernel.harness.workload.SegvException;
import org.dfemu.kernel.harness.workload.Workload;
import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.sys.StructProc;
import org.dfemu.kernel.vm.StructVmMapEntry;
import org.dfemu.kernel.vm.StructVmObject;
import org.dfemu.kernel.vm.StructVmPage;
import org.dfemu.kernel.vm.StructVmspace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memory-control instructions on a booted machine with swap: mlock (vm_map_unwire and
 * vm_fault_wire) against the pageout daemon and the wiring limit, mprotect and SIGSEGV, madvise
 * dontneed and free against resident and swapped pages, and partial unmap (map entry clipping).
 * A housekeeping event samples the first process's region r0 (at {@link KernProc#USER_BASE})
 * every 5 ms of virtual time, reading kernel structures only.
 */
class MemoryControlTest {
    private static final long MB = 1L << 20;
    private static final long LABEL_SECTORS = 2048;
    private static final long SAMPLE_NS = 5_000_000;

    @TempDir
    Path dir;

    /** One sample of region r0's first {@code pages} pages. */
    record Sample(long swapUsed, int entries, boolean[] resident, boolean[] wired, boolean[] swapped, long[] slot0) {
        int count(boolean[] b, int from, int to) {
            int n = 0;
            for (int i = from; i < to; i++) if (b[i]) n++;
            return n;
        }
    }

    private record Outcome(ProcReport report, List<Sample> samples, int maxWired) {}

    private static Program program(String name, Instruction... code) {
        try {
            return Program.of(name, 1, List.of(code));
        } catch (ProgramFormatException e) {
            throw new AssertionError(e);
        }
    }

    /** Runs {@code programs} on 32M of RAM with {@code swapBytes} of swap, sampling r0 of {@code sampled} ({@code pages} pages). */
    private Outcome run(long swapBytes, long seed, String sampled, int pages, Program... programs) throws IOException {
        Path image = dir.resolve("disk.img");
        long swapSectors = swapBytes / BlockDevice.SECTOR_SIZE;
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength((LABEL_SECTORS + swapSectors) * BlockDevice.SECTOR_SIZE);
        }
        Machine m = new Machine(MachineConfig.of(32 * MB, 1, seed));
        try (Disk disk = Disk.builder(image, m.clock()).mode(ImageMode.DIRECT).writable(LABEL_SECTORS, swapSectors).open();
             MachineKernel mk = MachineKernel.start(m, new KernelConfig(1, 100), disk.device().partition(LABEL_SECTORS, swapSectors),
                     new Workload(List.of(programs)), InitMain.ALL)) {
            Kernel k = mk.kernel;
            m.attach(disk);
            List<Sample> samples = new ArrayList<>();
            sample(mk, k, sampled, pages, samples::add);
            RunResult r = mk.machine.scheduler().run();
            assertEquals(RunResult.Outcome.STOPPED, r.outcome(), r.toString());
            assertEquals(0, mk.procs.report().running(), "every process ended");
            VmPageQueueCheck.assertConsistent(k);
            return new Outcome(mk.procs.report(), samples, k.vmPageout().vmPageMaxWired());
        }
    }

    private static void sample(MachineKernel mk, Kernel k, String name, int pages, Consumer<Sample> out) {
        mk.machine.clock().scheduleIn(SAMPLE_NS, "r0-sample", false, () -> {
            long[] map = {0};
            k.kernProcTable().allprocScan(p -> {
                if (StructProc.p_comm(k.km(), p).equals(name)) {
                    map[0] = StructVmspace.vm_map(StructProc.p_vmspace(k.km(), p));
                    return false;
                }
                return true;
            });
            if (map[0] != 0) out.accept(inspect(k, map[0], pages));
            sample(mk, k, name, pages, out);
        });
    }

    /** What backs each page of r0 in {@code map}, and how many map entries r0's range has. */
    private static Sample inspect(Kernel k, long map, int pages) {
        var km = k.km();
        boolean[] resident = new boolean[pages];
        boolean[] wired = new boolean[pages];
        boolean[] swapped = new boolean[pages];
        long[] slot0 = new long[pages];
        long lastEntry = -1;
        int entries = 0;
        for (int i = 0; i < pages; i++) {
            long va = KernProc.USER_BASE + Param.ptoa(i);
            long[] e = {entryAt(k, map, va)};
            if (e[0] == 0) continue;
            if (e[0] != lastEntry) {
                entries++;
                lastEntry = e[0];
            }
            long object = StructVmMapEntry.object(km, e[0]);
            if (object == 0) continue;
            long pindex = (StructVmMapEntry.offset(km, e[0]) + (va - StructVmMapEntry.start(km, e[0]))) >>> Param.PAGE_SHIFT;
            long m = k.vmPage().vmPageLookup(object, pindex);
            if (m != 0) {
                resident[i] = true;
                wired[i] = StructVmPage.wire_count(km, m) > 0;
                slot0[i] = km.ram().load64(k.vmPage().VM_PAGE_TO_PHYS(m) + PagePattern.slotOffset(0));
            }
            swapped[i] = StructVmObject.type(km, object) == StructVmObject.OBJT_SWAP
                    && k.vmPager().vmPagerHasPage(StructVmObject.OBJT_SWAP, object, pindex);
        }
        long swapUsed = k.vmSwap().vmSwapMax() - k.vmSwap().vmSwapSize();
        return new Sample(swapUsed, entries, resident, wired, swapped, slot0);
    }

    /** The map entry holding {@code va}, or 0 (a walk over the entries: the map is not locked here). */
    private static long entryAt(Kernel k, long map, long va) {
        var km = k.km();
        var tree = k.vmMap().vmMapRbTree();
        for (long e = tree.rbMin(org.dfemu.kernel.vm.StructVmMap.rb_root(map)); e != 0; e = tree.rbNext(e)) {
            if (Long.compareUnsigned(va, StructVmMapEntry.start(km, e)) >= 0 && Long.compareUnsigned(va, StructVmMapEntry.end(km, e)) < 0) {
                return e;
            }
        }
        return 0;
    }

    @Test
    void wiredPagesSurviveThePageoutDaemonWhileTheRestOfTheRegionGoesToSwap() throws IOException {
        // r0: 1024 pages, the first 256 mlocked; then r1 (7000 pages) is more than RAM can hold
        // with r0, so the pageout daemon pushes r0's other pages to swap.
        Program p = program("locker",
                new Instruction.Mmap(0, 1024, Prot.RW),
                new Instruction.Write(0),
                new Instruction.Mlock(0, 0, 256),
                new Instruction.Mmap(1, 7000, Prot.RW),
                new Instruction.Write(1),
                new Instruction.Sleep(200_000_000),
                new Instruction.Verify(0),
                new Instruction.Verify(1),
                new Instruction.Munlock(0, 0, 256),
                new Instruction.Sleep(20_000_000),
                new Instruction.Exit());
        Outcome o = run(64 * MB, 31, "locker", 1024, p);
        assertEquals(List.of("pid 1 locker: exited"), o.report().summary());
        assertEquals(0, o.report().dataLossPages(), o.report().losses().toString());
        int bestSwapped = 0;
        boolean locked = false;
        for (Sample s : o.samples()) {
            int wired = s.count(s.wired(), 0, 256);
            if (wired == 256) locked = true;
            if (!locked) continue;
            // From the mlock on (until the munlock at the end), every locked page stays resident
            // and wired, and none is ever given swap.
            if (s.count(s.wired(), 0, 256) < 256) break;   // the munlock
            assertEquals(256, s.count(s.resident(), 0, 256));
            assertEquals(0, s.count(s.swapped(), 0, 256), "a wired page was laundered");
            bestSwapped = Math.max(bestSwapped, s.count(s.swapped(), 256, 1024));
        }
        assertTrue(locked, "the mlock wired the pages");
        assertTrue(bestSwapped > 500, "the unlocked pages of r0 went to swap: " + bestSwapped);
        Sample last = o.samples().getLast();
        assertEquals(0, last.count(last.wired(), 0, 1024), "munlock unwired the pages");
    }

    @Test
    void mlockPastTheWiringLimitFailsWithEagainAndTheProcessGoesOn() throws IOException {
        // vm_page_max_wired is a third of the free pages at boot: about 2000 on 32M.
        Program p = program("greedy",
                new Instruction.Mmap(0, 4096, Prot.RW),
                new Instruction.Mlock(0, 0, 0),
                new Instruction.Mlock(0, 0, 64),
                new Instruction.Munlock(0, 64, 64),
                new Instruction.Write(0),
                new Instruction.Verify(0),
                new Instruction.Sleep(20_000_000),
                new Instruction.Exit());
        Outcome o = run(64 * MB, 32, "greedy", 128, p);
        assertTrue(o.maxWired() < 4096, "limit " + o.maxWired());
        ProcReport.Proc proc = o.report().procs().getFirst();
        assertEquals(ProcReport.Status.EXITED, proc.status(), proc.line());
        assertEquals(List.of("mlock r0 pages 0+4096: EAGAIN", "munlock r0 pages 64+64: ENOMEM"), proc.refusals());
        assertEquals("pid 1 greedy: exited | refused: mlock r0 pages 0+4096: EAGAIN (2 in all)", proc.line());
        assertEquals(0, o.report().dataLossPages());
        Sample last = o.samples().getLast();
        assertEquals(64, last.count(last.wired(), 0, 128), "only the second mlock wired pages");
        assertEquals(64, last.count(last.wired(), 0, 64));
    }

    @Test
    void mprotectReadOnlyMakesAWriteFaultWithSigsegvAndReadWriteAllowsItAgain() throws IOException {
        Program ok = program("reopen",
                new Instruction.Mmap(0, 16, Prot.RW),
                new Instruction.Write(0),
                new Instruction.Mprotect(0, Protect.RO, 0, 0),
                new Instruction.Verify(0),
                new Instruction.Mprotect(0, Protect.RW, 0, 0),
                new Instruction.Write(0),
                new Instruction.Verify(0),
                new Instruction.Exit());
        Program bad = program("readonly",
                new Instruction.Mmap(0, 16, Prot.RW),
                new Instruction.Write(0),
                new Instruction.Mprotect(0, Protect.RO, 4, 2),
                new Instruction.Sleep(20_000_000),
                new Instruction.Verify(0),
                new Instruction.WriteRange(0, 3, 1),
                new Instruction.WriteRange(0, 5, 1),
                new Instruction.Exit());
        Program none = program("none",
                new Instruction.Mmap(0, 16, Prot.RW),
                new Instruction.Mprotect(0, Protect.NONE, 8, 1),
                new Instruction.VerifyRange(0, 8, 1),
                new Instruction.Exit());
        Outcome o = run(16 * MB, 33, "readonly", 16, ok, bad, none);
        long va5 = KernProc.USER_BASE + 5 * 4096;
        long va8 = KernProc.USER_BASE + 8 * 4096;
        assertEquals(List.of(
                "pid 1 reopen: exited",
                String.format("pid 2 readonly: SIGSEGV at va 0x%x (code %d)", va5, SegvException.SEGV_ACCERR),
                String.format("pid 3 none: SIGSEGV at va 0x%x (code %d)", va8, SegvException.SEGV_ACCERR)),
                o.report().summary());
        assertEquals(0, o.report().dataLossPages(), o.report().losses().toString());
        // While 'readonly' ran, mprotect had split r0 into three entries: rw, ro, rw.
        assertTrue(o.samples().stream().anyMatch(s -> s.entries() == 3), "entries clipped");
    }

    @Test
    void madviseDontneedKeepsTheDataAndItsSwap() throws IOException {
        Program p = program("dontneed",
                new Instruction.Mmap(0, 2048, Prot.RW),
                new Instruction.Write(0),
                new Instruction.Mmap(1, 6500, Prot.RW),
                new Instruction.Write(1),
                new Instruction.Sleep(100_000_000),
                new Instruction.Madvise(0, Advice.DONTNEED, 0, 0),
                new Instruction.Sleep(100_000_000),
                new Instruction.Verify(0),
                new Instruction.Exit());
        Outcome o = run(64 * MB, 34, "dontneed", 2048, p);
        assertEquals(List.of("pid 1 dontneed: exited"), o.report().summary());
        assertEquals(0, o.report().dataLossPages(), o.report().losses().toString());
        int maxSwapped = o.samples().stream().mapToInt(s -> s.count(s.swapped(), 0, 2048)).max().orElse(0);
        assertTrue(maxSwapped > 500, "r0 went to swap: " + maxSwapped);
        // MADV_DONTNEED frees no swap: once written, r0's pages only ever gain swap (nothing
        // writes them again, and a read keeps the swap copy).
        int prev = 0;
        for (Sample s : o.samples()) {
            int swapped = s.count(s.swapped(), 0, 2048);
            assertTrue(swapped >= prev, "swap of r0 fell from " + prev + " to " + swapped);
            prev = swapped;
        }
    }

    @Test
    void madviseFreeFreesSwapAndAReclaimedPrivatePageReadsZeros() throws IOException {
        Program p = program("free",
                new Instruction.Mmap(0, 2048, Prot.RW),
                new Instruction.Write(0),
                new Instruction.Mmap(1, 6500, Prot.RW),
                new Instruction.Write(1),
                new Instruction.Sleep(100_000_000),
                new Instruction.Madvise(0, Advice.FREE, 0, 0),
                new Instruction.Sleep(100_000_000),
                new Instruction.Verify(0),
                new Instruction.Sleep(100_000_000),
                new Instruction.Exit());
        Outcome o = run(64 * MB, 35, "free", 2048, p);
        assertEquals(List.of("pid 1 free: exited"), o.report().summary());
        assertEquals(0, o.report().dataLossPages(), o.report().losses().toString());
        List<Sample> samples = o.samples();
        int before = -1;
        int after = -1;
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            int swapped = s.count(s.swapped(), 0, 2048);
            if (swapped > 500) before = i;
            else if (before >= 0 && swapped == 0 && after < 0) after = i;
        }
        assertTrue(before >= 0, "r0 went to swap");
        assertTrue(after > before, "madvise free freed r0's swap");
        int swappedBefore = samples.get(before).count(samples.get(before).swapped(), 0, 2048);
        assertTrue(samples.get(after).swapUsed() <= samples.get(before).swapUsed() - swappedBefore / 2,
                "swap in use (pages) fell: " + samples.get(before).swapUsed() + " -> " + samples.get(after).swapUsed()
                + " (r0 had " + swappedBefore + ")");
        // Pages neither resident nor in swap after the free are zero-filled by the verify.
        Sample freed = samples.get(after);
        Sample last = samples.getLast();
        int gone = 0;
        int zeros = 0;
        for (int i = 0; i < 2048; i++) {
            if (!freed.resident()[i] && !freed.swapped()[i]) {
                gone++;
                if (last.resident()[i]) {
                    assertEquals(0, last.slot0()[i], "page " + i + " reads zeros");
                    zeros++;
                }
            }
        }
        assertTrue(gone > 500, "pages dropped: " + gone);
        assertTrue(zeros > 300, "dropped pages faulted in by the verify, as zeros: " + zeros);
    }

    @Test
    void partialUnmapSplitsTheEntryAndTheRestStaysReadable() throws IOException {
        Program p = program("holes",
                new Instruction.Mmap(0, 64, Prot.RW),
                new Instruction.Write(0),
                new Instruction.UnmapRange(0, 16, 16),
                new Instruction.Verify(0),
                new Instruction.VerifyRange(0, 0, 16),
                new Instruction.VerifyRange(0, 32, 32),
                new Instruction.WriteRange(0, 40, 8),
                new Instruction.Sleep(20_000_000),
                new Instruction.Verify(0),
                new Instruction.Munmap(0),
                new Instruction.Mmap(0, 8, Prot.RW),
                new Instruction.Write(0),
                new Instruction.Verify(0),
                new Instruction.Exit());
        Program stray = program("stray",
                new Instruction.Mmap(0, 64, Prot.RW),
                new Instruction.Write(0),
                new Instruction.UnmapRange(0, 16, 16),
                new Instruction.VerifyRange(0, 0, 16),
                new Instruction.Exit());
        Outcome o = run(16 * MB, 36, "holes", 64, p, stray);
        assertEquals(List.of("pid 1 holes: exited", "pid 2 stray: exited"), o.report().summary());
        assertEquals(0, o.report().dataLossPages(), o.report().losses().toString());
        Sample split = o.samples().stream().filter(s -> s.entries() == 2).findFirst().orElseThrow();
        for (int i = 0; i < 64; i++) {
            boolean hole = i >= 16 && i < 32;
            assertEquals(!hole, split.resident()[i], "page " + i);
        }
        assertFalse(o.samples().stream().anyMatch(s -> s.entries() > 2), "one hole, two entries");
    }
}
