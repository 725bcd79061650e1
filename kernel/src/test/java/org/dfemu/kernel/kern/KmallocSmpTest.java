package org.dfemu.kernel.kern;

import org.dfemu.kernel.harness.report.MallocStats;

import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.sys.Queue;
import org.dfemu.kernel.sys.StructKMGlobalData;
import org.dfemu.kernel.sys.StructKmallocSlab;
import org.dfemu.kernel.sys.StructKmallocUse;
import org.dfemu.kernel.sys.StructMallocType;
import org.dfemu.kernel.sys.StructSLGlobalData;
import org.dfemu.kernel.sys.StructSLZone;
import org.dfemu.kernel.sys.StructVmstats;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.dfemu.kernel.sys.Malloc.M_WAITOK;
import static org.dfemu.kernel.sys.Malloc.M_ZERO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Frees from another cpu, and zone destruction. A kfree() of another cpu's chunk goes onto the
 * zone's z_RChunks; if the zone had left its ZoneAry (RSignal), the owner is told (the passive
 * IPI, a direct call in the port) and puts it back. A kfree_obj() from another cpu lands in the
 * same slab; statistics are counted on the freeing cpu. kmalloc_destroy() hands wholly free slabs
 * to the gd cache and reports the rest.
 */
class KmallocSmpTest {
    private static final long MB = 1L << 20;

    /** Zones on {@code ZoneAry[zi]} of {@code cpu}. */
    private static int zonesListed(Kernel k, int cpu, int zi) {
        Queue.Tailq q = new Queue.Tailq(k.km(), StructSLZone.z_Entry$OFFSET);
        int n = 0;
        for (long z = q.tailqFirst(StructSLGlobalData.ZoneAry(k.kernSlaballoc().slgd(cpu), zi)); z != 0; z = q.tailqNext(z)) {
            n++;
        }
        return n;
    }

    /** Runs {@code first} on cpu 0, then {@code second} on cpu 1, then {@code third} on cpu 0. */
    private static void threeSteps(MachineKernel mk, long chan, Runnable first, Runnable second, Runnable third) {
        int[] step = {0};
        mk.thread("cpu0", 0, () -> {
            first.run();
            step[0] = 1;
            mk.kernel.lwkt().wakeup(chan);
            while (step[0] != 2) {
                mk.kernel.lwkt().tsleep(chan, "step", 0);
            }
            third.run();
        });
        mk.thread("cpu1", 1, () -> {
            while (step[0] != 1) {
                mk.kernel.lwkt().tsleep(chan, "step", 0);
            }
            second.run();
            step[0] = 2;
            mk.kernel.lwkt().wakeup(chan);
        });
        mk.run();
    }

    @Test
    void remoteKfreeSignalsTheOwner() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 2, 21)) {
            Kernel k = mk.kernel;
            KernelMemory km = k.km();
            KernSlaballoc sa = k.kernSlaballoc();
            long devbuf = sa.mDevbuf();
            List<Long> chunks = new ArrayList<>();
            long[] zone = {0};

            threeSteps(mk, devbuf + 8,
                    () -> {
                        // 2048-byte chunks, 15 per 32 KiB zone: the 15th empties the zone, which
                        // leaves ZoneAry with RSignal set.
                        for (int i = 0; i < 15; i++) {
                            chunks.add(sa.kmalloc(2048, devbuf, M_WAITOK));
                        }
                        zone[0] = chunks.get(0) & sa.zoneMask();
                        assertEquals(0, StructSLZone.z_NFree(km, zone[0]));
                        assertEquals(1, StructSLZone.z_RSignal(km, zone[0]));
                        assertEquals(0, zonesListed(k, 0, StructSLZone.z_ZoneIndex(km, zone[0])));
                    },
                    () -> {
                        long z = zone[0];
                        sa.kfree(chunks.get(3), devbuf);
                        // kfree_remote ran for cpu 0: the chunk moved to LChunks, the zone is back.
                        assertEquals(0, StructSLZone.z_RChunks(km, z));
                        assertEquals(chunks.get(3), StructSLZone.z_LChunks(km, z));
                        assertEquals(1, StructSLZone.z_NFree(km, z));
                        assertEquals(0, StructSLZone.z_RSignal(km, z));
                        assertEquals(0, StructSLZone.z_RCount(km, z));
                        assertEquals(1, zonesListed(k, 0, StructSLZone.z_ZoneIndex(km, z)));
                        assertEquals(-1, StructKmallocUse.inuse(km, StructMallocType.ks_use(km, devbuf, 1)),
                                "counted on the freeing cpu");

                        // No signal needed now: the next remote free only pushes onto RChunks.
                        sa.kfree(chunks.get(4), devbuf);
                        assertEquals(chunks.get(4), StructSLZone.z_RChunks(km, z));
                        assertEquals(1, StructSLZone.z_NFree(km, z));
                    },
                    () -> {
                        // The owner allocates the local chunk first, then the last one drains
                        // RChunks before the zone would leave ZoneAry again.
                        assertEquals(chunks.get(3), sa.kmalloc(2048, devbuf, M_WAITOK));
                        assertEquals(chunks.get(4), sa.kmalloc(2048, devbuf, M_WAITOK));
                        assertEquals(0, StructSLZone.z_RChunks(km, zone[0]));
                    });
        }
    }

    @Test
    void kfreeObjFromAnotherCpu() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 2, 22)) {
            Kernel k = mk.kernel;
            KernelMemory km = k.km();
            KernSlaballoc sa = k.kernSlaballoc();
            KernKmalloc ko = k.kernKmalloc();
            long typep = sa.kmalloc(8, sa.mTemp(), M_WAITOK | M_ZERO);
            sa._kmallocCreateObj(typep, "smp", 320);
            long zone = km.load64(typep);
            long[] obj = {0};

            threeSteps(mk, typep,
                    () -> obj[0] = ko.kmallocObj(320, zone, M_WAITOK),
                    () -> ko.kfreeObj(obj[0], zone),
                    () -> {
                        // Queued at the tail of its slab's circular fobjs[] (398 per slab), so
                        // the next allocation is the slab's second object.
                        long s = obj[0] & ~StructKmallocSlab.KMALLOC_SLAB_MASK;
                        assertEquals(399, StructKmallocSlab.findex(km, s));
                        assertEquals(obj[0], StructKmallocSlab.fobjs(km, s, 398 % 398));
                        assertEquals(obj[0] + 320, ko.kmallocObj(320, zone, M_WAITOK));
                    });

            long slab = obj[0] & ~StructKmallocSlab.KMALLOC_SLAB_MASK;
            assertEquals(0, StructKmallocSlab.orig_cpuid(km, slab));
            assertEquals(2, StructKmallocUse.inuse(km, StructMallocType.ks_use(km, zone, 0)));
            assertEquals(-1, StructKmallocUse.inuse(km, StructMallocType.ks_use(km, zone, 1)));
            MallocStats.Row row = MallocStats.rows(k).stream().filter(r -> r.type().equals("smp")).findFirst()
                    .orElseThrow();
            assertEquals(1, row.count(), "vmstat sums the cpus");
            assertEquals(320, row.memUse());
            assertEquals(2, row.requests());
        }
    }

    @Test
    void kmallocDestroyCachesFreeSlabsAndReportsLeaks() {
        try (TestKernel t = TestKernel.boot(32 * MB)) {
            Kernel k = t.kernel;
            KernelMemory km = k.km();
            KernSlaballoc sa = k.kernSlaballoc();
            KernKmalloc ko = k.kernKmalloc();
            long typep = sa.kmalloc(8, sa.mTemp(), M_WAITOK | M_ZERO);
            sa._kmallocCreateObj(typep, "tmpfs node", 8192);
            long zone = km.load64(typep);
            List<Long> objs = new ArrayList<>();
            for (int i = 0; i < 40; i++) {                  // 15 per slab: three slabs
                objs.add(ko.kmallocObj(8192, zone, M_WAITOK));
            }
            for (long o : objs.subList(1, 40)) {
                ko.kfreeObj(o, zone);
            }
            long free = TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET);

            sa.kmallocDestroy(typep);

            assertEquals(0, km.load64(typep));
            for (long ty = sa.kmemstatistics(); ty != 0; ty = StructMallocType.ks_next(km, ty)) {
                assertNotEquals(zone, ty, "unlinked from kmemstatistics");
            }
            assertEquals(2, StructKMGlobalData.free_count(km, ko.kmgd(0)), "the two wholly free slabs");
            assertEquals(free, TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET), "cached, not freed");
            List<String> dmesg = k.dmesg();
            long leaked = objs.get(0) & ~StructKmallocSlab.KMALLOC_SLAB_MASK;
            assertTrue(dmesg.contains(String.format("tmpfs node: slab 0x%x 1 objects were still allocated", leaked)),
                    dmesg.toString());
            assertTrue(dmesg.contains("malloc_uninit: 8192 bytes of 'tmpfs node' still allocated on cpu 1"),
                    dmesg.toString());
        }
    }
}
