package org.dfemu.kernel.kern;

import org.dfemu.kernel.harness.report.ProcReport;

import static org.dfemu.kernel.harness.trace.KernelEvents.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.dfemu.emulator.MachineConfig;
import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.cpu.CpuSettings;
import org.dfemu.emulator.mmu.PageFaultCode;
import org.dfemu.emulator.sched.SchedulerSettings;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.KernelPanic;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.TraceRecords;
import org.dfemu.kernel.TraceRecords.Rec;
import org.dfemu.kernel.machine.Vmparam;
import org.dfemu.kernel.sys.StructVmstats;
import org.dfemu.kernel.harness.workload.Action;
import org.dfemu.kernel.harness.workload.Instruction;
import org.dfemu.kernel.harness.workload.Instruction.Prot;
import org.dfemu.kernel.harness.workload.Program;
import org.dfemu.kernel.harness.workload.ProgramFormatException;
import org.dfemu.kernel.harness.workload.Workload;
import org.junit.jupiter.api.Test;

/**
 * The kernel's trace of processes and their faults (KernelTrace's hooks in trap, vm_fault,
 * kern_proc and lwkt), decoded as KernelEvents documents the arguments.
 */
class KernelTraceFaultTest {
    private static final long MB = 1L << 20;

    private record Traced(TraceRecords trace, ProcReport report, long pageCount, long endNs, long freeAtEnd) {}

    /** Runs a forking program (2 copies) and a process that writes a read-only page, traced. */
    private static Traced run(long seed) {
        return run(seed, new TraceRecords());
    }

    private static Traced run(long seed, TraceRecords recs) {
        TraceSink sink = recs == null ? TraceSink.NONE : recs;
        MachineConfig mc = new MachineConfig(32 * MB, 2, 100, seed, SchedulerSettings.DEFAULTS, CpuSettings.DEFAULT, sink);
        try (MachineKernel mk = MachineKernel.boot(mc, new KernelConfig(2, 100))) {
            Kernel k = mk.kernel;
            KernProc kp = new KernProc(k, mk.machine, () -> { });
            long vm = k.vmMap().vmspaceAlloc(Vmparam.VM_MIN_USER_ADDRESS, Vmparam.VM_MAX_USER_ADDRESS);
            kp.spawn("bad", vm, new long[Instruction.REGISTERS], new long[Instruction.REGISTERS], new ArrayDeque<Action>(List.of(
                    new Action.Mmap(0, 2, Prot.RO),
                    new Action.VerifyPage(0, 1, 5, 0),
                    new Action.WritePage(0, 1, 5, 1),
                    new Action.Exit()))::poll);
            Program forker;
            try {
                forker = Program.of("forker", 2, List.of(
                        new Instruction.Mmap(0, 8, Prot.RW),
                        new Instruction.Write(0),
                        new Instruction.Fork(),
                        new Instruction.Write(0),
                        new Instruction.Verify(0),
                        new Instruction.EndFork(),
                        new Instruction.Sleep(1_000_000),
                        new Instruction.Write(0),
                        new Instruction.Verify(0),
                        new Instruction.Exit()));
            } catch (ProgramFormatException e) {
                throw new AssertionError(e);
            }
            kp.startWorkload(new Workload(List.of(forker)), seed);
            long endNs = mk.run().timeNs();
            long vs = k.vmMeter().vmstats();
            return new Traced(recs, kp.report(), StructVmstats.v_page_count(k.km(), vs), endNs,
                    StructVmstats.v_free_count(k.km(), vs));
        }
    }

    private static int kind(Rec f) { return (int) (f.a1() >>> 16) & 0xFFFF; }

    private static int pid(Rec f) { return (int) (f.a1() >>> 32); }

    @Test
    void faultsCarryKindProcessEntryAndDuration() {
        Traced t = run(31);
        List<Rec> faults = t.trace().of(FAULTS_FAULT);
        assertFalse(faults.isEmpty());
        Set<Integer> kinds = faults.stream().map(KernelTraceFaultTest::kind).collect(Collectors.toSet());
        assertTrue(kinds.contains(FAULT_ZERO_FILL), kinds.toString());
        assertTrue(kinds.contains(FAULT_COW), "fork then write copies: " + kinds);
        assertTrue(kinds.contains(FAULT_SIGSEGV), kinds.toString());
        for (Rec f : faults) {
            assertTrue(pid(f) >= 1 && pid(f) <= 5, "a workload process: " + f);
            assertTrue(f.a3() >= 0, "duration: " + f);
            assertTrue(f.thread() > 0 && f.cpu() >= 0, "in a process thread: " + f);
            if (kind(f) != FAULT_SIGSEGV) {
                assertTrue(f.a2() >= KernProc.USER_BASE && f.a2() <= f.a0(), "the entry starts at or below the va: " + f);
            }
            if (kind(f) == FAULT_ZERO_FILL || kind(f) == FAULT_COW) {
                assertTrue((f.a1() & PageFaultCode.U) != 0, "user mode error code: " + f);
            }
        }
        // The bad process (pid 1) wrote its read-only page at USER_BASE + 4096: a protection
        // violation on a present page (its read mapped it), refused.
        Rec segv = faults.stream().filter(f -> kind(f) == FAULT_SIGSEGV).findFirst().orElseThrow();
        assertEquals(1, pid(segv));
        assertEquals(KernProc.USER_BASE + 4096, segv.a0());
        assertTrue((segv.a1() & PageFaultCode.W) != 0 && (segv.a1() & PageFaultCode.P) != 0, segv.toString());
        assertEquals(0, segv.a2(), "no entry for a refused fault");
        Rec exit = t.trace().of(SCHED_PROC_EXIT).stream().filter(r -> r.a0() == 1).findFirst().orElseThrow();
        assertEquals(1, exit.a1(), "SIGSEGV");
        assertEquals(segv.a0(), exit.a2(), "the fault va");
    }

    @Test
    void processesAndThreadsAreNamedAndPagesCounted() {
        Traced t = run(32);
        List<Rec> starts = t.trace().of(SCHED_PROC_START);
        assertEquals(t.report().procs().size(), starts.size(), "one start per process");
        assertEquals(starts.size(), t.trace().of(SCHED_PROC_EXIT).size(), "one exit per process");
        for (Rec s : starts) {
            assertEquals(s.thread(), (int) (s.a0() >>> 32), "tid of the process thread");
        }
        assertEquals(Set.of("bad", "forker"), starts.stream().map(Rec::name).collect(Collectors.toSet()));
        Set<String> threads = t.trace().of(SCHED_THREAD_NAME).stream().map(Rec::name).collect(Collectors.toSet());
        assertTrue(threads.contains("bad.1") && threads.contains("forker.2"), threads.toString());
        // The attach-time records: thresholds first, then targets, once; names of the boot zones.
        List<Rec> all = t.trace().all();
        assertEquals(VM_THRESHOLDS, all.get(0).type());
        assertEquals(VM_TARGETS, all.get(1).type());
        assertEquals(1, t.trace().of(VM_THRESHOLDS).size());
        Rec targets = all.get(1);
        assertEquals(t.pageCount(), targets.a3());
        assertTrue(targets.a0() > all.get(0).a3(), "v_free_min above v_free_reserved");
        Set<String> allocNames = t.trace().of(ALLOC_NAME).stream().map(Rec::name).collect(Collectors.toSet());
        assertTrue(allocNames.contains("PV ENTRY") && allocNames.contains("MAP ENTRY"), allocNames.toString());
        // Every page allocation reports a plausible free count and the object it went to.
        List<Rec> allocs = t.trace().of(VM_PAGE_ALLOC);
        assertFalse(allocs.isEmpty());
        for (Rec a : allocs) assertTrue(a.a2() >= 0 && a.a2() <= t.pageCount(), a.toString());
        assertFalse(t.trace().of(VM_PAGE_FREE).isEmpty(), "exits free pages");
        assertFalse(t.trace().of(ALLOC_KMALLOC).isEmpty(), "procs and vmspaces are kmalloc'd");
    }

    @Test
    void aPanicInAKernelThreadIsRecorded() {
        TraceRecords sink = new TraceRecords();
        MachineConfig mc = new MachineConfig(32 * MB, 1, 100, 34, SchedulerSettings.DEFAULTS, CpuSettings.DEFAULT, sink);
        try (MachineKernel mk = MachineKernel.boot(mc, new KernelConfig(1, 100))) {
            mk.thread("boom", 0, () -> {
                throw org.dfemu.kernel.Kassert.panic("vm_page_free: freeing free page %d", 7);
            });
            assertThrows(KernelPanic.class, mk::run);
        }
        List<Rec> panics = sink.of(SCHED_PANIC);
        assertEquals(1, panics.size());
        assertEquals("vm_page_free: freeing fr", panics.getFirst().name(), "the first 24 bytes of panicstr");
        assertTrue(panics.getFirst().thread() > 0, "recorded in the panicking thread");
    }

    @Test
    void tracingDoesNotChangeTheRun() {
        Traced plain = run(33, null);
        Traced a = run(33);
        Traced b = run(33);
        assertEquals(a.trace().all(), b.trace().all(), "same seed, same records");
        for (Traced t : List.of(a, b)) {
            assertEquals(plain.report().summary(), t.report().summary());
            assertEquals(plain.endNs(), t.endNs(), "same virtual time");
            assertEquals(plain.freeAtEnd(), t.freeAtEnd(), "same free count");
        }
    }
}
