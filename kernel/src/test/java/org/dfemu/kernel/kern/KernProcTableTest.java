package org.dfemu.kernel.kern;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.sys.Malloc;
import org.dfemu.kernel.sys.StructProc;
import org.junit.jupiter.api.Test;

/**
 * kern_proc.c's process table in boot context: pids, the procglob[] chains in emulated memory and
 * allproc_scan's order, for more processes than there are chains.
 */
class KernProcTableTest {
    private static final int NPROC = 600;

    private static long newProc(TestKernel t) {
        KernSlaballoc sa = t.kernel.kernSlaballoc();
        return sa.kmalloc(StructProc.SIZEOF, sa.mTemp(), Malloc.M_WAITOK | Malloc.M_ZERO);
    }

    /** Pids in the order allproc_scan must visit them: chain 0 first, each chain newest first. */
    private static List<Integer> cOrder(List<Integer> live) {
        List<Integer> out = new ArrayList<>();
        for (int n = 0; n < KernProcTable.ALLPROC_HSIZE; n++) {
            for (int i = live.size() - 1; i >= 0; i--) {
                if (KernProcTable.ALLPROC_HASH(live.get(i)) == n) out.add(live.get(i));
            }
        }
        return out;
    }

    private static List<Integer> scan(KernProcTable table, KernelMemory km) {
        List<Integer> out = new ArrayList<>();
        table.allprocScan(p -> out.add(StructProc.p_pid(km, p)));
        return out;
    }

    /** The chains read by address: LIST_FIRST/LIST_NEXT through p_list. */
    private static List<Integer> chains(KernProcTable table, KernelMemory km) {
        List<Integer> out = new ArrayList<>();
        for (int n = 0; n < KernProcTable.ALLPROC_HSIZE; n++) {
            for (long p = km.load64(table.allprocHead(n)); p != 0; p = km.load64(p + StructProc.p_list$OFFSET)) {
                assertEquals(n, KernProcTable.ALLPROC_HASH(StructProc.p_pid(km, p)));
                out.add(StructProc.p_pid(km, p));
            }
        }
        return out;
    }

    @Test
    void pidsCountFromOneAndTheScanFollowsTheHashChainsNewestFirst() {
        try (TestKernel t = TestKernel.boot(32L << 20)) {
            KernelMemory km = t.kernel.km();
            KernProcTable table = t.kernel.kernProcTable();
            assertEquals("procglob[3].allproc.lh_first", t.kernel.symbols().lookup(table.allprocHead(3)));
            long[] procs = new long[NPROC + 1];
            List<Integer> live = new ArrayList<>();
            for (int i = 1; i <= NPROC; i++) {
                procs[i] = newProc(t);
                table.procAddAllproc(procs[i]);
                table.nprocsAdd(1);
                assertEquals(i, StructProc.p_pid(km, procs[i]), "pids are handed out in order");
                live.add(i);
            }
            // Chain 0 is 512, 256, chain 1 is 513, 257, 1: neither pid order nor insertion order.
            assertEquals(List.of(512, 256, 513, 257, 1, 514), chains(table, km).subList(0, 6));
            assertEquals(cOrder(live), chains(table, km));
            assertEquals(cOrder(live), scan(table, km));

            // Removal from a chain's head, middle and tail.
            for (int pid : new int[] {600, 257, 1, 256}) {
                table.procRemoveZombie(procs[pid]);
                table.nprocsAdd(-1);
                live.remove(Integer.valueOf(pid));
            }
            assertEquals(cOrder(live), chains(table, km));
            assertEquals(cOrder(live), scan(table, km));

            // A new process takes the next pid and goes to the head of its chain.
            long p = newProc(t);
            table.procAddAllproc(p);
            assertEquals(NPROC + 1, StructProc.p_pid(km, p));
            List<Integer> after = chains(table, km);
            int at = after.indexOf(601);
            assertEquals(List.of(601, 345, 89), after.subList(at, at + 3));
            live.add(601);
            assertEquals(cOrder(live), after);
        }
    }

    @Test
    void theScanStopsWhenTheCallbackSaysSoOrAfterNprocsPlusNcpus() {
        try (TestKernel t = TestKernel.boot(32L << 20)) {
            KernProcTable table = t.kernel.kernProcTable();
            for (int i = 0; i < 10; i++) table.procAddAllproc(newProc(t));
            int[] calls = {0};
            // nprocs was never raised: the C's limit (nprocs + ncpus) ends the scan early.
            table.allprocScan(p -> ++calls[0] > 0);
            assertEquals(t.kernel.config().ncpus() + 1, calls[0]);
            table.nprocsAdd(10);
            calls[0] = 0;
            table.allprocScan(p -> ++calls[0] < 3);
            assertEquals(3, calls[0], "stopped by the callback");
            calls[0] = 0;
            table.allprocScan(p -> ++calls[0] > 0);
            assertEquals(10, calls[0]);
        }
    }
}
