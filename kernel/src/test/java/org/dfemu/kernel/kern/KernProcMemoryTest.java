package org.dfemu.kernel.kern;

import static org.dfemu.kernel.kern.ThreadMemory.row;
import static org.dfemu.kernel.kern.ThreadMemory.stackBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayDeque;
import java.util.List;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.harness.workload.Action;
import org.dfemu.kernel.harness.workload.Instruction;
import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.machine.Vmparam;
import org.dfemu.kernel.sys.StructThread;
import org.junit.jupiter.api.Test;

/**
 * What a process costs the kernel, as fork1, lwp_fork and lwkt_alloc_thread spend it in the C: a
 * struct proc (1208 bytes) from M_PROC, a struct lwp (608 bytes) from M_LWP, a struct thread
 * (1600 bytes) from M_THREAD and a 16 KiB kernel stack in kernel_map. Seen with {@code vmstat -m}'s
 * rows (kmalloc rounds to its chunk sizes: 1280, 640, 1664) while the processes are alive; once
 * they exit the proc and lwp are freed, while the thread and its stack stay in the thread cache
 * for the next thread, as lwkt_exit leaves them. Run with {@code ./mvnw -o test -pl kernel -Dtest=KernProcMemoryTest}.
 */
class KernProcMemoryTest {
    private static final long MB = 1L << 20;
    private static final int PROCS = 6;

    @Test
    void eachProcessHoldsAProcAnLwpAThreadAndAKernelStack() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 1, 5)) {
            Kernel k = mk.kernel;
            long[] during = new long[6];
            int[] started = {0};
            KernProc kp = new KernProc(k, mk.machine, () -> { });
            long stacks0 = stackBytes(k);
            long daemons = row(k, "thread").count();
            for (int i = 0; i < PROCS; i++) {
                long vm = k.vmMap().vmspaceAlloc(Vmparam.VM_MIN_USER_ADDRESS, Vmparam.VM_MAX_USER_ADDRESS);
                ArrayDeque<Action> script = new ArrayDeque<>(List.of(new Action.Sleep(1_000_000), new Action.Exit()));
                kp.spawn("p" + i, vm, new long[Instruction.REGISTERS], new long[Instruction.REGISTERS], () -> {
                    Action a = script.poll();
                    if (a instanceof Action.Sleep && ++started[0] == PROCS) {
                        // The last process to start: every process is alive now.
                        during[0] = row(k, "proc").count();
                        during[1] = row(k, "proc").memUse();
                        during[2] = row(k, "lwp").memUse();
                        during[3] = row(k, "thread").memUse();
                        during[4] = row(k, "thread").count();
                        during[5] = stackBytes(k);
                    }
                    return a;
                });
            }
            mk.run();
            assertEquals(PROCS, during[0]);
            assertEquals(PROCS * 1280L, during[1], "M_PROC: a 1208-byte struct proc per process");
            assertEquals(PROCS * 640L, during[2], "M_LWP: a 608-byte struct lwp per process");
            assertEquals(daemons + PROCS, during[4], "M_THREAD: a struct thread per process besides the daemons'");
            assertEquals(during[4] * 1664L, during[3], "M_THREAD: 1600 bytes each");
            assertEquals(PROCS * (long) StructThread.LWKT_THREAD_STACK, during[5] - stacks0,
                    "kernel_map's VM_SUBSYS_STACK entries grew by a 16 KiB stack per process");
            assertEquals(during[5], stackBytes(k), "the stacks stay at exit, cached with their threads");
            assertEquals(during[4], row(k, "thread").count(), "so do the struct threads");
            assertEquals(0, row(k, "proc").count(), "every proc freed at exit");
            assertEquals(0, row(k, "lwp").count(), "every lwp freed at exit");
            assertEquals(Param.PAGE_SIZE * 4L, StructThread.LWKT_THREAD_STACK);
        }
    }
}
