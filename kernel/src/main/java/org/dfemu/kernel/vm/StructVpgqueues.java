package org.dfemu.kernel.vm;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.Queue;
import org.dfemu.kernel.sys.StructSpinlock;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_LONG;

/**
 * View of {@code struct vpgqueues} and the page-queue index constants, DragonFly's
 * sys/vm/vm_page.h at commit 737b020b54 (2021-05-28).
 *
 * <pre>
 * struct vpgqueues {
 *     struct spinlock spin;   //  0
 *     struct pglist pl;       //  8  TAILQ_HEAD of vm_page by pageq
 *     long  lcnt;             // 24  pages on this list
 *     long  adds;             // 32  heuristic, add operations
 *     int   cnt_offset;       // 40  offset of the vmstats counter this queue feeds
 *     int   lastq;            // 44  heuristic, skip empty queues
 * } __aligned(64);            // sizeof 64
 * </pre>
 *
 * Queue indexes: each of the five queue types has {@link #PQ_L2_SIZE} colored sub-queues; a
 * page on a queue has {@code m->queue == base + m->pc}, and {@code m->queue - m->pc} gives the
 * base (PQ_FREE, PQ_INACTIVE, ...). PQ_NONE (0) is "on no queue".
 */
public final class StructVpgqueues {
    private StructVpgqueues() {}

    public static final long SIZEOF = 64;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            StructSpinlock.layout().withName("spin"),
            Queue.TAILQ_HEAD.withName("pl"),
            C_LONG.withName("lcnt"),
            C_LONG.withName("adds"),
            C_INT.withName("cnt_offset"),
            C_INT.withName("lastq"),
            Ctypes.pad(16)).withName("vpgqueues").withByteAlignment(64), SIZEOF);

    public static final long spin$OFFSET = Ctypes.offset(LAYOUT, "spin");
    public static final long pl$OFFSET = Ctypes.offset(LAYOUT, "pl");
    public static final long lcnt$OFFSET = Ctypes.offset(LAYOUT, "lcnt");
    public static final long adds$OFFSET = Ctypes.offset(LAYOUT, "adds");
    public static final long cnt_offset$OFFSET = Ctypes.offset(LAYOUT, "cnt_offset");
    public static final long lastq$OFFSET = Ctypes.offset(LAYOUT, "lastq");

    public static StructLayout layout() { return LAYOUT; }

    /** Prime numbers somewhat below the hash size (page-color stepping). */
    public static final int PQ_PRIME1 = 31;
    public static final int PQ_PRIME2 = 23;
    /**
     * Colored sub-queues per queue type. DragonFly uses 1024 whatever the machine size (the C does
     * not scale it), so the port does too: the queue array costs 5121 x 64 bytes of RAM.
     */
    public static final int PQ_L2_SIZE = 1024;
    public static final int PQ_L2_MASK = PQ_L2_SIZE - 1;

    public static final int PQ_NONE = 0;
    public static final int PQ_FREE = 1 + 0 * PQ_L2_SIZE;
    public static final int PQ_INACTIVE = 1 + 1 * PQ_L2_SIZE;
    public static final int PQ_ACTIVE = 1 + 2 * PQ_L2_SIZE;
    public static final int PQ_CACHE = 1 + 3 * PQ_L2_SIZE;
    public static final int PQ_HOLD = 1 + 4 * PQ_L2_SIZE;
    public static final int PQ_COUNT = 1 + 5 * PQ_L2_SIZE;

    public static long lcnt(KernelMemory km, long pq) { return km.load64(pq + lcnt$OFFSET); }
    public static void lcnt(KernelMemory km, long pq, long v) { km.store64(pq + lcnt$OFFSET, v); }

    public static long adds(KernelMemory km, long pq) { return km.load64(pq + adds$OFFSET); }
    public static void adds(KernelMemory km, long pq, long v) { km.store64(pq + adds$OFFSET, v); }

    public static int cnt_offset(KernelMemory km, long pq) { return km.load32(pq + cnt_offset$OFFSET); }
    public static void cnt_offset(KernelMemory km, long pq, int v) { km.store32(pq + cnt_offset$OFFSET, v); }

    public static int lastq(KernelMemory km, long pq) { return km.load32(pq + lastq$OFFSET); }
    public static void lastq(KernelMemory km, long pq, int v) { km.store32(pq + lastq$OFFSET, v); }
}
