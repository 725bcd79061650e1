package org.dfemu.kernel.kern;

import static org.dfemu.kernel.kern.ThreadMemory.row;
import static org.dfemu.kernel.kern.ThreadMemory.stackBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.dfemu.emulator.MachineConfig;
import org.dfemu.emulator.sched.RunResult;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.sys.Malloc;
import org.dfemu.kernel.sys.StructGlobaldata;
import org.dfemu.kernel.sys.StructThread;
import org.dfemu.kernel.sys.StructVmstats;
import org.junit.jupiter.api.Test;

/**
 * The thread cache of lwkt_thread.c as the C runs it: lwkt_exit parks the exiting thread in its
 * cpu's gd_freetd and puts the one parked before into thread_cache, an objcache that keeps freed
 * struct threads with their kernel stacks; lwkt_alloc_thread takes gd_freetd first, then the
 * cache, and keeps a cached stack of the right size. So a kernel thread that exits leaves its
 * 1664-byte M_THREAD chunk and its 3 wired stack pages allocated for the next thread, up to what
 * the cache's magazines hold; beyond that _lwkt_thread_dtor frees the stack and the struct goes
 * back to M_THREAD. Run with {@code ./mvnw -o test -pl kernel -Dtest=LwktThreadCacheTest}.
 */
class LwktThreadCacheTest {
    private static final long MB = 1L << 20;
    private static final long THREAD_CHUNK = 1664;

    private static long wired(Kernel k) { return TestKernel.trueCount(k, StructVmstats.v_wire_count$OFFSET); }

    private static long freetd(Kernel k, int cpu) {
        return StructGlobaldata.gd_freetd(k.km(), k.globaldata().globaldataFind(cpu));
    }

    @Test
    void anExitedThreadIsTheNextThreadWithTheSameStack() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 1, 3)) {
            Kernel k = mk.kernel;
            Lwkt lwkt = k.lwkt();
            long chan = k.kernSlaballoc().kmalloc(8, k.kernSlaballoc().mTemp(), Malloc.M_WAITOK | Malloc.M_ZERO);
            long[] a = {0};
            long[] b = {0};
            boolean[] go = {false};
            mk.thread("parent", 0, () -> {
                // Neither a nor b may exit before both exist (else b would be a, from gd_freetd).
                a[0] = lwkt.lwktCreate("a", 0, 0, () -> {
                    while (!go[0]) lwkt.tsleep(chan, "go", 0);
                });
                long aStack = StructThread.td_kstack(k.km(), a[0]);
                b[0] = lwkt.lwktCreate("b", 0, 0, () -> {
                    while (!go[0]) lwkt.tsleep(chan, "go", 0);
                    // a exits first: b waits until a is parked.
                    while (freetd(k, 0) != a[0]) lwkt.tsleep(chan, "a", 1);
                });
                assertNotEquals(a[0], b[0]);
                long bStack = StructThread.td_kstack(k.km(), b[0]);
                go[0] = true;
                lwkt.wakeup(chan);
                while (freetd(k, 0) != b[0]) lwkt.tsleep(chan, "b", 1);

                // a went from gd_freetd into the cache when b parked itself there.
                long oc = lwkt.threadCache();
                long cc = StructObjcache.cache_percpu(oc, 0);
                assertEquals(1, StructPercpuObjcache.puts_cumulative(k.km(), cc), "b's exit put a back");
                long allocs = StructPercpuObjcache.allocs_cumulative(k.km(), cc);
                long stacks = stackBytes(k);
                long m = row(k, "thread").count();

                long c = lwkt.lwktCreate("c", 0, 0, () -> { });
                assertEquals(b[0], c, "lwkt_alloc_thread takes gd_freetd first");
                assertEquals(bStack, StructThread.td_kstack(k.km(), c), "with its stack");
                assertEquals(0, freetd(k, 0));
                long d = lwkt.lwktCreate("d", 0, 0, () -> { });
                assertEquals(a[0], d, "then the thread cache");
                assertEquals(aStack, StructThread.td_kstack(k.km(), d), "with its stack");
                assertEquals(StructThread.LWKT_THREAD_STACK, StructThread.td_kstack_size(k.km(), d));
                int flags = StructThread.td_flags(k.km(), d);
                assertEquals(StructThread.TDF_ALLOCATED_THREAD | StructThread.TDF_ALLOCATED_STACK, flags);
                assertEquals("d", StructThread.td_comm(k.km(), d));

                assertEquals(stacks, stackBytes(k), "no kernel_map stack allocation for c and d");
                assertEquals(allocs, StructPercpuObjcache.allocs_cumulative(k.km(), cc), "no M_THREAD allocation");
                assertEquals(m, row(k, "thread").count());
            });
            mk.run();
        }
    }

    /**
     * lwkt_free_thread puts a thread back into the cache with its stack; lwkt_alloc_thread keeps a
     * cached stack of the size asked for, and replaces one of another size (kmem_free, then
     * kmem_alloc_stack). Boot context, no gd_freetd involved.
     */
    @Test
    void aFreedThreadComesBackWithItsStackUnlessTheSizeDiffers() {
        try (TestKernel t = TestKernel.boot(16 * MB, new KernelConfig(1, 100))) {
            Kernel k = t.kernel;
            Lwkt lwkt = k.lwkt();
            int stk = StructThread.LWKT_THREAD_STACK;
            long td = lwkt.lwktAllocThread(stk, 0, StructThread.TDF_SYSTHREAD);
            long stack = StructThread.td_kstack(k.km(), td);
            assertEquals(StructThread.TDF_SYSTHREAD | StructThread.TDF_ALLOCATED_THREAD | StructThread.TDF_ALLOCATED_STACK,
                    StructThread.td_flags(k.km(), td));
            long stacks = stackBytes(k);
            long wired = wired(k);

            lwkt.lwktFreeThread(td);
            assertEquals(stacks, stackBytes(k), "the cache keeps the stack");
            assertEquals(td, lwkt.lwktAllocThread(stk, 0, 0), "the same struct thread comes back");
            assertEquals(stack, StructThread.td_kstack(k.km(), td), "with the same stack");
            assertEquals(stacks, stackBytes(k));
            assertEquals(wired, wired(k));
            assertEquals(StructThread.TDF_ALLOCATED_THREAD | StructThread.TDF_ALLOCATED_STACK, StructThread.td_flags(k.km(), td),
                    "the new thread's flags, with the allocation flags carried over");

            lwkt.lwktFreeThread(td);
            int small = 2 * (int) Param.PAGE_SIZE;
            assertEquals(td, lwkt.lwktAllocThread(small, 0, 0));
            assertEquals(small, StructThread.td_kstack_size(k.km(), td));
            assertEquals(stacks - stk + small, stackBytes(k), "the 16 KiB stack was replaced by an 8 KiB one");
            assertEquals(wired - 3 + 1, wired(k), "3 wired pages freed, 1 wired (the guard page is unbacked)");
        }
    }

    /**
     * lwkt.cache_threads=4 on 1 cpu: magazines of 6 (4 / 2 / 2 + 1 = 2, raised to the minimum
     * 6) and 2 in the depot, so 4 magazines hold 24 threads and gd_freetd one more. Of 40
     * threads that exit, 25 stay allocated with their stacks; the other 15 are destroyed.
     */
    @Test
    void theCacheKeepsWhatItsMagazinesHoldAndFreesTheRest() {
        int threads = 40;
        int kept = 4 * 6 + 1;
        MachineConfig mc = MachineConfig.of(32 * MB, 1, 5);
        KernelConfig kc = new KernelConfig(1, 100).setenv("lwkt.cache_threads", "4");
        try (MachineKernel mk = MachineKernel.boot(mc, kc)) {
            Kernel k = mk.kernel;
            long stacks0 = stackBytes(k);
            long thread0 = row(k, "thread").count();
            for (int i = 0; i < threads; i++) {
                mk.thread("t" + i, 0, () -> mk.machine.scheduler().consume(1000));
            }
            assertEquals(thread0 + threads, row(k, "thread").count());
            assertEquals(threads * (long) StructThread.LWKT_THREAD_STACK, stackBytes(k) - stacks0);
            long wired1 = wired(k);

            mk.run();
            assertEquals(thread0 + kept, row(k, "thread").count(), "25 struct threads stay in M_THREAD");
            assertEquals((thread0 + kept) * THREAD_CHUNK, row(k, "thread").memUse());
            assertEquals(kept * (long) StructThread.LWKT_THREAD_STACK, stackBytes(k) - stacks0,
                    "and their stacks in kernel_map; the other 15 stacks went back");
            assertEquals(15 * 3, wired1 - wired(k), "3 wired pages per destroyed stack");
            long oc = k.lwkt().threadCache();
            long depot = StructObjcache.depot(oc, 0);
            long cc = StructObjcache.cache_percpu(oc, 0);
            assertEquals(threads - 1, StructPercpuObjcache.puts_cumulative(k.km(), cc), "each exit put back the one before");
            assertEquals(KernObjcache.OBJCACHE_UNLIMITED - threads + 15, StructMagazinedepot.unallocated_objects(k.km(), depot));
            assertNotEquals(0, freetd(k, 0), "the last one is parked");
        }
    }

    /**
     * The default cache on 2 cpus (32: magazines of 6, 6 in the depot) keeps 8 exited threads
     * whole: vmstat -m's thread row and the wired pages do not drop at their exit.
     */
    @Test
    void exitedThreadsStayCountedInVmstatAndWired() {
        KernelConfig config = new KernelConfig(2, 100);
        try (MachineKernel mk = MachineKernel.boot(MachineConfig.of(16 * MB, 2, 9), config)) {
            Kernel k = mk.kernel;
            long stacks0 = stackBytes(k);
            for (int i = 0; i < 8; i++) {
                mk.thread("worker" + i, i % 2, () -> mk.machine.scheduler().consume(1000));
            }
            long wired1 = wired(k);
            long free1 = TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET);
            mk.run();
            assertEquals(8, row(k, "thread").count(), "the 8 struct threads stay allocated");
            assertEquals(8 * THREAD_CHUNK, row(k, "thread").memUse());
            assertEquals(8L * StructThread.LWKT_THREAD_STACK, stackBytes(k) - stacks0, "the 8 stacks stay in kernel_map");
            assertEquals(wired1, wired(k), "their 24 stack pages stay wired");
            assertEquals(free1, TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET));
            assertNotEquals(0, freetd(k, 0), "cpu 0's last exit is parked in its gd_freetd");
            assertNotEquals(0, freetd(k, 1), "and cpu 1's in its own");
        }
    }

    @Test
    void twoIdenticalBootsHandOutTheSameThreadsAndStacks() {
        List<Long> first = churn();
        List<Long> second = churn();
        assertEquals(first, second);
        List<Long> tds = new ArrayList<>();
        for (int i = 0; i < first.size() - 3; i += 2) tds.add(first.get(i));
        assertTrue(new HashSet<>(tds).size() < tds.size(), "threads were reused: " + tds);
    }

    /**
     * Three waves of six threads on 2 cpus made by a parent that waits for each wave's end: the
     * (td, stack) of every thread made, then the run's end time, the thread row and free pages.
     */
    private static List<Long> churn() {
        List<Long> out = new ArrayList<>();
        try (MachineKernel mk = MachineKernel.boot(MachineConfig.of(32 * MB, 2, 11), new KernelConfig(2, 100),
                InitMain.NONE)) {
            Kernel k = mk.kernel;
            Lwkt lwkt = k.lwkt();
            long chan = k.kernSlaballoc().kmalloc(8, k.kernSlaballoc().mTemp(), Malloc.M_WAITOK | Malloc.M_ZERO);
            int[] left = {0};
            mk.thread("parent", 0, () -> {
                for (int wave = 0; wave < 3; wave++) {
                    left[0] = 6;
                    for (int i = 0; i < 6; i++) {
                        long td = lwkt.lwktCreate("w" + wave + "." + i, i % 2, 0, () -> {
                            mk.machine.scheduler().consume(500);
                            left[0]--;
                            lwkt.wakeup(chan);
                        });
                        out.add(td);
                        out.add(StructThread.td_kstack(k.km(), td));
                    }
                    while (left[0] > 0) lwkt.tsleep(chan, "wave", 0);
                }
            });
            RunResult r = mk.run();
            out.add(r.timeNs());
            out.add(row(k, "thread").count());
            out.add(TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET));
        }
        return out;
    }
}
