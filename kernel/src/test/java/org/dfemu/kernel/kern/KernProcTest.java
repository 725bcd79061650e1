package org.dfemu.kernel.kern;

import org.dfemu.kernel.harness.report.ProcReport;

import org.dfemu.kernel.TestKernel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.dfemu.emulator.sched.RunResult;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.harness.check.PmapCheck;
import org.dfemu.kernel.harness.workload.SegvException;
import org.dfemu.kernel.machine.Vmparam;
import org.dfemu.kernel.sys.StructProc;
import org.dfemu.kernel.sys.StructVmstats;
import org.dfemu.kernel.harness.workload.Action;
import org.dfemu.kernel.harness.workload.Instruction;
import org.dfemu.kernel.harness.workload.Instruction.Access;
import org.dfemu.kernel.harness.workload.Instruction.Order;
import org.dfemu.kernel.harness.workload.Instruction.Prot;
import org.dfemu.kernel.harness.workload.PagePattern;
import org.dfemu.kernel.harness.workload.Program;
import org.dfemu.kernel.harness.workload.ProgramFormatException;
import org.dfemu.kernel.harness.workload.Workload;
import org.dfemu.kernel.vm.VmPage;
import org.dfemu.kernel.harness.check.VmPageQueueCheck;
import org.junit.jupiter.api.Test;

/**
 * Workload processes on the emulated machine: each copy of a program runs in its own address
 * space on a kernel thread, its writes and verifies going through the CPU and the MMU.
 */
class KernProcTest {
    private static final long MB = 1L << 20;

    private static Workload workload(Program... programs) {
        return new Workload(List.of(programs));
    }

    private static Program program(String name, int copies, Instruction... code) {
        try {
            return Program.of(name, copies, List.of(code));
        } catch (ProgramFormatException e) {
            throw new AssertionError(e);
        }
    }

    /** A run's outcome: the report's summary and losses, and the virtual time it ended at. */
    private record Outcome(ProcReport report, int allExitedCalls, long timeNs) {}

    private static Outcome run(long seed, int ncpus, Workload w, ScriptedProc... scripted) {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, ncpus, seed)) {
            Kernel k = mk.kernel;
            int[] calls = {0};
            KernProc kp = new KernProc(k, mk.machine, () -> calls[0]++);
            for (ScriptedProc s : scripted) {
                long vm = k.vmMap().vmspaceAlloc(Vmparam.VM_MIN_USER_ADDRESS, Vmparam.VM_MAX_USER_ADDRESS);
                kp.spawn(s.name, vm, new long[Instruction.REGISTERS], new long[Instruction.REGISTERS], s.actions::poll);
            }
            kp.startWorkload(w, seed);
            RunResult r = mk.run();
            VmPageQueueCheck.assertConsistent(k);
            new PmapCheck(k).assertKernel();
            assertEquals(0, kp.report().running(), "every process ended");
            return new Outcome(kp.report(), calls[0], r.timeNs());
        }
    }

    /** A process whose actions are given in advance (to do what no checked program may). */
    private record ScriptedProc(String name, ArrayDeque<Action> actions) {
        ScriptedProc(String name, Action... actions) {
            this(name, new ArrayDeque<>(List.of(actions)));
        }
    }

    private static Program writerVerifier(int copies) {
        return program("wv", copies,
                new Instruction.Mmap(0, 64, Prot.RW),
                new Instruction.Mmap(1, 8, Prot.RO),
                new Instruction.Write(0),
                new Instruction.Verify(0),
                new Instruction.Verify(1),
                new Instruction.Touch(0, Order.RANDOM, 16, Access.WRITE),
                new Instruction.Sleep(1_000_000),
                new Instruction.Verify(0),
                new Instruction.Write(0),
                new Instruction.Touch(0, Order.SEQ, 0, Access.READ),
                new Instruction.Munmap(0),
                new Instruction.Exit());
    }

    @Test
    void processesWriteAndVerifyTheirPagesWithoutLoss() {
        Outcome o = run(11, 2, workload(writerVerifier(3)));
        ProcReport r = o.report();
        assertEquals(List.of("pid 1 wv: exited", "pid 2 wv: exited", "pid 3 wv: exited"), r.summary());
        assertEquals(0, r.dataLossPages());
        assertEquals(1, o.allExitedCalls(), "the last process out reported the end once");
    }

    @Test
    void forkedParentAndChildEachVerifyTheirOwnGenerationAfterCopyOnWrite() {
        Program p = program("forker", 2,
                new Instruction.Mmap(0, 32, Prot.RW),
                new Instruction.Write(0),
                new Instruction.Fork(),
                new Instruction.Verify(0),          // the child sees the parent's generation 1
                new Instruction.Write(0),           // then its own generation 2
                new Instruction.Verify(0),
                new Instruction.Fork(),             // a grandchild
                new Instruction.Write(0),
                new Instruction.Verify(0),
                new Instruction.EndFork(),
                new Instruction.Verify(0),
                new Instruction.EndFork(),
                new Instruction.Verify(0),          // the parent still has generation 1
                new Instruction.Sleep(1_000_000),   // while the child writes its copies
                new Instruction.Verify(0),
                new Instruction.Write(0),
                new Instruction.Verify(0),
                new Instruction.Exit());
        Outcome o = run(12, 2, workload(p));
        ProcReport r = o.report();
        assertEquals(6, r.procs().size(), "two parents, two children, two grandchildren");
        for (ProcReport.Proc proc : r.procs()) {
            assertEquals(ProcReport.Status.EXITED, proc.status(), proc.line());
        }
        assertEquals(0, r.dataLossPages(), r.losses().toString());
    }

    @Test
    void aPageHoldingOtherDataIsReportedAsDataLoss() {
        long stream = 77;
        Outcome o = run(13, 1, Workload.EMPTY, new ScriptedProc("liar",
                new Action.Mmap(0, 2, Prot.RW),
                new Action.WritePage(0, 0, stream, 1),
                new Action.VerifyPage(0, 0, stream, 2),
                new Action.VerifyPage(0, 1, stream, 0),
                new Action.Exit()));
        ProcReport r = o.report();
        assertEquals(1, r.dataLossPages());
        ProcReport.DataLoss loss = r.losses().getFirst();
        assertEquals(1, loss.pid());
        assertEquals(0, loss.page());
        assertEquals(0, loss.slot());
        assertEquals(PagePattern.word(stream, 0, 2, 0), loss.expected());
        assertEquals(PagePattern.word(stream, 0, 1, 0), loss.found());
        assertEquals(KernProc.USER_BASE, loss.va());
        assertEquals(List.of("pid 1 liar: exited | data loss: 1 pages"), r.summary());
    }

    @Test
    void aWriteToAReadOnlyRegionKillsOnlyThatProcessWithSigsegv() {
        Outcome o = run(14, 2, workload(writerVerifier(2)), new ScriptedProc("bad",
                new Action.Mmap(0, 2, Prot.RO),
                new Action.VerifyPage(0, 1, 5, 0),
                new Action.WritePage(0, 1, 5, 1),
                new Action.Exit()));
        ProcReport r = o.report();
        long va = KernProc.USER_BASE + 4096;
        assertEquals(List.of(
                String.format("pid 1 bad: SIGSEGV at va 0x%x (code %d)", va, SegvException.SEGV_ACCERR),
                "pid 2 wv: exited", "pid 3 wv: exited"), r.summary());
        assertEquals(ProcReport.Status.KILLED, r.procs().getFirst().status());
        assertEquals(0, r.dataLossPages());
        assertEquals(1, o.allExitedCalls());
    }

    @Test
    void aLoadFromAnUnmappedAddressKillsOnlyThatProcessWithSigsegvAndTheRunGoesOn() {
        // After munmap the register's address is 0, so the load goes to page 1 of the address
        // space, which no map entry covers: vm_map_lookup fails, SIGSEGV with SEGV_MAPERR.
        Outcome o = run(15, 2, workload(writerVerifier(2)), new ScriptedProc("stray",
                new Action.Mmap(0, 2, Prot.RW),
                new Action.Munmap(0),
                new Action.VerifyPage(0, 1, 5, 0),
                new Action.Exit()));
        ProcReport r = o.report();
        assertEquals(List.of(
                String.format("pid 1 stray: SIGSEGV at va 0x%x (code %d)", 4096, SegvException.SEGV_MAPERR),
                "pid 2 wv: exited", "pid 3 wv: exited"), r.summary());
        assertEquals(ProcReport.Status.KILLED, r.procs().getFirst().status());
        assertEquals(0, r.dataLossPages());
        assertEquals(1, o.allExitedCalls());
    }

    @Test
    void theSameSeedGivesTheSameRun() {
        Program p = program("mix", 3,
                new Instruction.Mmap(0, 48, Prot.RW),
                new Instruction.Loop(3),
                new Instruction.Write(0),
                new Instruction.Touch(0, Order.RANDOM, 24, Access.READ),
                new Instruction.Fork(),
                new Instruction.Touch(0, Order.RANDOM, 8, Access.WRITE),
                new Instruction.Verify(0),
                new Instruction.EndFork(),
                new Instruction.EndLoop(),
                new Instruction.Verify(0),
                new Instruction.Exit());
        Outcome a = run(15, 2, workload(p));
        Outcome b = run(15, 2, workload(p));
        assertEquals(a.report().summary(), b.report().summary());
        assertEquals(a.timeNs(), b.timeNs());
        assertEquals(12, a.report().procs().size());
        assertEquals(0, a.report().dataLossPages());
    }

    /**
     * The context-switch rule: two processes share the only CPU and both fault while memory is
     * short, so both sleep in vm_wait_pfault with the other's page tables possibly loaded; each
     * access must still land in its own address space when the faults resume.
     */
    @Test
    void faultsThatSleepResumeInTheirOwnAddressSpace() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 1, 16)) {
            Kernel k = mk.kernel;
            long vs = k.vmMeter().vmstats();
            KernProc kp = new KernProc(k, mk.machine, () -> {});
            for (int s = 1; s <= 2; s++) {
                long vm = k.vmMap().vmspaceAlloc(Vmparam.VM_MIN_USER_ADDRESS, Vmparam.VM_MAX_USER_ADDRESS);
                ArrayDeque<Action> script = new ArrayDeque<>(List.of(
                        new Action.Mmap(0, 4, Prot.RW),
                        new Action.WritePage(0, 0, s, 1),      // page tables and object exist now
                        // Memory runs short meanwhile; the faults come after the 10 ms tick, whose
                        // hardclock shows the shortage in the cpu's copy of the counts.
                        new Action.Sleep(11_000_000)));
                for (int page = 1; page < 4; page++) script.add(new Action.WritePage(0, page, s, 1));
                for (int page = 0; page < 4; page++) script.add(new Action.VerifyPage(0, page, s, 1));
                script.add(new Action.Exit());
                kp.spawn("p" + s, vm, new long[Instruction.REGISTERS], new long[Instruction.REGISTERS], script::poll);
            }
            int[] maxWaiting = {0};
            // The drainer sleeps rather than consumes, so that the processes get the CPU meanwhile.
            long chan = k.pmap().kernelPmap();
            mk.thread("drainer", 0, () -> {
                mk.machine.scheduler().sleep(chan, "drain", 500_000);
                long severe = StructVmstats.v_free_severe(k.km(), vs);
                ArrayDeque<Long> taken = new ArrayDeque<>();
                while (TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET) > severe - 10) {
                    taken.add(k.vmPage().vmPageAlloc(0, 0, VmPage.VM_ALLOC_INTERRUPT));
                }
                mk.machine.scheduler().sleep(chan, "drain", 20_000_000);
                maxWaiting[0] = k.vmPage().vmPagesWaiting();
                while (!taken.isEmpty()) {
                    mk.machine.scheduler().sleep(chan, "drain", 100_000);
                    k.vmPage().vmPageFreeToq(taken.poll());
                }
            });
            mk.run();
            assertTrue(maxWaiting[0] >= 2, "both processes' faults slept: " + maxWaiting[0]);
            assertEquals(List.of("pid 1 p1: exited", "pid 2 p2: exited"), kp.report().summary());
            assertEquals(0, kp.report().dataLossPages(), kp.report().losses().toString());
            VmPageQueueCheck.assertConsistent(k);
        }
    }

    /** "pid name" of every struct proc on the procglob chains, walked by address, chain 0 first. */
    private static List<String> allprocChains(Kernel k) {
        KernProcTable t = k.kernProcTable();
        List<String> out = new ArrayList<>();
        for (int n = 0; n < KernProcTable.ALLPROC_HSIZE; n++) {
            long head = t.allprocHead(n);
            long prevNextp = head;
            for (long p = k.km().load64(head); p != 0; p = k.km().load64(p + StructProc.p_list$OFFSET)) {
                assertEquals(prevNextp, k.km().load64(p + StructProc.p_list$OFFSET + 8), "le_prev of pid " + StructProc.p_pid(k.km(), p));
                assertEquals(n, KernProcTable.ALLPROC_HASH(StructProc.p_pid(k.km(), p)), "on its pid's chain");
                prevNextp = p + StructProc.p_list$OFFSET;
                out.add(StructProc.p_pid(k.km(), p) + " " + StructProc.p_comm(k.km(), p));
            }
        }
        return out;
    }

    private static List<String> scan(Kernel k) {
        List<String> out = new ArrayList<>();
        k.kernProcTable().allprocScan(p -> out.add(StructProc.p_pid(k.km(), p) + " " + StructProc.p_comm(k.km(), p)));
        return out;
    }

    /**
     * The process list is the kernel's, in emulated memory: after the spawns the procglob chains
     * hold exactly the new processes (pid, p_comm), after an exit exactly the ones still alive,
     * at the end none; allproc_scan visits them in the chains' order, which for pids below
     * ALLPROC_HSIZE is pid order.
     */
    @Test
    void theAllprocListInEmulatedMemoryHoldsExactlyTheLiveProcesses() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 2, 17)) {
            Kernel k = mk.kernel;
            KernProc kp = new KernProc(k, mk.machine, () -> {});
            assertEquals(List.of(), allprocChains(k));
            String[] names = {"first", "second", "third", "a-long-name-16ch"};
            long[] sleepNs = {0, 4_000_000, 4_000_000, 4_000_000};
            for (int s = 0; s < names.length; s++) {
                long vm = k.vmMap().vmspaceAlloc(Vmparam.VM_MIN_USER_ADDRESS, Vmparam.VM_MAX_USER_ADDRESS);
                ArrayDeque<Action> script = new ArrayDeque<>();
                if (sleepNs[s] > 0) script.add(new Action.Sleep(sleepNs[s]));
                script.add(new Action.Exit());
                kp.spawn(names[s], vm, new long[Instruction.REGISTERS], new long[Instruction.REGISTERS], script::poll);
            }
            List<String> all = List.of("1 first", "2 second", "3 third", "4 a-long-name-16ch");
            assertEquals(all, allprocChains(k));
            assertEquals(all, scan(k));
            assertEquals(4, k.kernProcTable().nprocs());

            List<List<String>> seen = new ArrayList<>();
            long chan = k.pmap().kernelPmap();
            mk.thread("observer", 0, () -> {
                mk.machine.scheduler().sleep(chan, "observe", 1_000_000);   // pid 1 has exited
                seen.add(allprocChains(k));
                seen.add(scan(k));
            });
            mk.run();
            List<String> alive = List.of("2 second", "3 third", "4 a-long-name-16ch");
            assertEquals(List.of(alive, alive), seen);
            assertEquals(List.of(), allprocChains(k), "every process left allproc");
            assertEquals(List.of(), scan(k));
            assertEquals(0, k.kernProcTable().nprocs());
            assertEquals(4, kp.report().procs().size());
        }
    }
}
