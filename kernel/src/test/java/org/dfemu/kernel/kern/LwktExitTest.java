package org.dfemu.kernel.kern;

import static org.dfemu.kernel.kern.ThreadMemory.row;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.SchedulerHarness;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.harness.check.VmPageQueueCheck;
import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.sys.StructThread;
import org.dfemu.kernel.sys.StructVmstats;
import org.dfemu.kernel.vm.StructVmMap;
import org.dfemu.kernel.vm.StructVmMapEntry;
import org.junit.jupiter.api.Test;

/**
 * A kernel thread costs what lwkt_alloc_thread spends in the C: a struct thread of the C's size
 * from M_THREAD and a 16 KiB kernel stack in kernel_map whose first page is an unbacked guard
 * (3 wired pages), and both stay allocated when its body returns: lwkt_exit keeps them for the
 * next thread, in gd_freetd and the thread cache ({@link LwktThreadCacheTest}). Run with:
 * {@code ./mvnw -o test -pl kernel -Dtest=LwktExitTest}.
 */
class LwktExitTest {
    private static final int THREADS = 8;
    /** The kmalloc chunk a 1600-byte struct thread takes (zoneindex: 128-byte steps above 1 KiB). */
    private static final long THREAD_CHUNK = 1664;

    @Test
    void threadsTakeAStackAndAThreadStructAndKeepThemCached() {
        KernelConfig config = new KernelConfig(2, 100);
        try (TestKernel t = TestKernel.boot(16 << 20, config)) {
            Kernel k = t.kernel;
            SchedulerHarness.Machine machine = SchedulerHarness.create(9, config, t.ram);
            k.lwkt().attachScheduler(machine.scheduler());
            long map = k.vmKern().kernelMap();
            long free0 = TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET);
            long size0 = StructVmMap.size(k.km(), map);
            long[] tds = new long[THREADS];
            for (int i = 0; i < THREADS; i++) {
                tds[i] = k.lwkt().lwktCreate("worker" + i, i % 2, 0, () -> machine.scheduler().consume(1000));
            }
            long free1 = TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET);
            for (long td : tds) {
                assertKernelStack(k, map, td);
            }
            // (vm_map_wire's vm_map_simplify_entry merges adjacent stacks into one entry, as in the C.)
            long zone = k.kernSlaballoc().zoneSize();
            assertEquals(size0 + THREADS * StructThread.LWKT_THREAD_STACK + zone, StructVmMap.size(k.km(), map),
                    "16 KiB of kernel_map per stack, and the kmalloc zone of the struct threads");
            var thread = row(k, "thread");
            assertEquals(THREADS, thread.count());
            assertEquals(THREADS * THREAD_CHUNK, thread.memUse(), "M_THREAD holds a C-sized struct thread per thread");
            long zonePages = zone / Param.PAGE_SIZE;
            assertEquals(THREADS * 3 + zonePages, free0 - free1,
                    "3 stack pages per thread plus the one kmalloc zone the struct threads share");

            machine.run();
            assertEquals(size0 + THREADS * StructThread.LWKT_THREAD_STACK + zone, StructVmMap.size(k.km(), map),
                    "every stack stays in kernel_map, cached with its thread");
            assertEquals(THREADS, row(k, "thread").count());
            assertEquals(THREADS * THREAD_CHUNK, row(k, "thread").memUse());
            for (long td : tds) {
                assertKernelStack(k, map, td);
            }
            assertEquals(free1, TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET), "no stack page was freed");
            VmPageQueueCheck.assertConsistent(k);
        }
    }

    /** td's stack is a 16 KiB wired kernel-stack entry of kernel_map: guard page unmapped, 3 mapped. */
    private static void assertKernelStack(Kernel k, long map, long td) {
        long stack = StructThread.td_kstack(k.km(), td);
        assertEquals(StructThread.LWKT_THREAD_STACK, StructThread.td_kstack_size(k.km(), td));
        assertEquals(16384, StructThread.LWKT_THREAD_STACK);
        long[] entry = new long[1];
        k.vmMap().vmMapLock(map);
        boolean found = k.vmMap().vmMapLookupEntry(map, stack, entry);
        k.vmMap().vmMapUnlock(map);
        assertTrue(found, "stack in kernel_map");
        long ba = StructVmMapEntry.ba(entry[0]);
        assertTrue(StructVmMapEntry.ba_start(k.km(), ba) <= stack);
        assertTrue(stack + StructThread.LWKT_THREAD_STACK <= StructVmMapEntry.ba_end(k.km(), ba));
        assertNotEquals(0, StructVmMapEntry.wired_count(k.km(), entry[0]), "wired");
        assertEquals(StructVmMapEntry.VM_SUBSYS_STACK, k.km().load32(entry[0] + StructVmMapEntry.id$OFFSET));
        assertNotEquals(0, k.km().load32(entry[0] + StructVmMapEntry.eflags$OFFSET) & StructVmMapEntry.MAP_ENTRY_KSTACK);
        assertEquals(0, k.pmap().pmapKextract(stack), "guard page unbacked");
        for (int i = 1; i < Param.UPAGES; i++) {
            assertNotEquals(0, k.pmap().pmapKextract(stack + (long) i * Param.PAGE_SIZE), "stack page " + i + " mapped");
        }
    }
}
