package org.dfemu.kernel.kern;

import org.dfemu.emulator.MachineConfig;
import org.dfemu.kernel.TestKernel;
import org.dfemu.emulator.sched.RunResult;
import org.dfemu.emulator.sched.ThreadInfo;
import org.dfemu.emulator.sched.ThreadState;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.sys.StructKMGlobalData;
import org.dfemu.kernel.sys.StructKmallocMgt;
import org.dfemu.kernel.sys.StructKmallocSlab;
import org.dfemu.kernel.sys.StructMallocType;
import org.dfemu.kernel.sys.StructVmstats;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.dfemu.kernel.sys.Malloc.M_WAITOK;
import static org.dfemu.kernel.sys.Malloc.M_ZERO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reclaim of kmalloc_obj slabs (docs/dragonfly-map.md §5.5, behaviour 8): malloc_mgt_poll() moves
 * slabs from empty to full, retires full slabs only beyond KMALLOC_MAXFREEMAGS (4) per zone, at
 * most kzone_bretire (4) per poll, only once their exis state says they have been full for a
 * pseudo_tick, and into the cpu's free-slab cache rather than back to the VM; a later slab for
 * any zone comes from that cache. The kmalloc_poller thread does the same on its own.
 *
 * <p>The zone has 8192-byte objects, 15 per slab. 14 slabs' worth of objects are allocated and
 * freed: two slabs stay the cpu's active and alternate, twelve sit on the zone's lists.
 */
class KmallocPollerTest {
    private static final long MB = 1L << 20;
    private static final int PER_SLAB = 15;
    private static final int SLABS = 14;

    private static long createZone(Kernel k, String name) {
        KernSlaballoc sa = k.kernSlaballoc();
        long typep = sa.kmalloc(8, sa.mTemp(), M_WAITOK | M_ZERO);
        sa._kmallocCreateObj(typep, name, 8192);
        return k.km().load64(typep);
    }

    /** Allocates 14 slabs' worth of objects and frees them all; returns the slabs. */
    private static Set<Long> fillAndFree(Kernel k, long zone) {
        KernKmalloc ko = k.kernKmalloc();
        List<Long> objs = new ArrayList<>();
        Set<Long> slabs = new HashSet<>();
        for (int i = 0; i < SLABS * PER_SLAB; i++) {
            long o = ko.kmallocObj(8192, zone, M_WAITOK);
            objs.add(o);
            slabs.add(o & ~StructKmallocSlab.KMALLOC_SLAB_MASK);
        }
        assertEquals(SLABS, slabs.size());
        for (long o : objs) {
            ko.kfreeObj(o, zone);
        }
        return slabs;
    }

    private static long free(Kernel k) {
        return TestKernel.trueCount(k, StructVmstats.v_free_count$OFFSET);
    }

    @Test
    void pollRetiresOnlyBeyondFourAtMostFourPerPoll() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 1, 3)) {
            Kernel k = mk.kernel;
            KernelMemory km = k.km();
            KernKmalloc ko = k.kernKmalloc();
            long zone = createZone(k, "retire");
            long other = createZone(k, "other");
            long ggm = StructMallocType.ks_mgt(zone);
            long kmgd = ko.kmgd(0);

            mk.thread("driver", 0, () -> {
                // Past the first tick: at pseudo_ticks 1 (time 0) exis_terminate() would store 0,
                // which reads as LIVE, exactly as it would in the C right at boot.
                k.lwkt().tsleep(ggm, "tick", 5);
                Set<Long> slabs = fillAndFree(k, zone);
                assertEquals(SLABS - 2, StructKmallocMgt.nempty(km, ggm), "freed, but still on empty");
                assertEquals(0, StructKmallocMgt.nfull(km, ggm));
                long pages = free(k);

                // Poll 1: the empty list is re-examined (all to full, exis terminated now), but
                // none of the 8 slabs above the 4 kept has been full for a pseudo_tick yet.
                assertFalse(ko.mallocMgtPoll(zone), "stays on this type: full slabs left unexamined");
                assertEquals(0, StructKmallocMgt.nempty(km, ggm));
                assertEquals(12, StructKmallocMgt.nfull(km, ggm));
                assertEquals(0, StructKMGlobalData.free_count(km, kmgd));

                k.lwkt().tsleep(ggm, "tick", 2);

                // Poll 2 and 3: four each (kzone_bretire), into the cpu's slab cache.
                assertFalse(ko.mallocMgtPoll(zone));
                assertEquals(8, StructKmallocMgt.nfull(km, ggm));
                assertEquals(4, StructKmallocMgt.gcache_count(km, ggm));
                assertEquals(4, StructKMGlobalData.free_count(km, kmgd));
                assertFalse(ko.mallocMgtPoll(zone));
                assertEquals(4, StructKmallocMgt.nfull(km, ggm));
                assertEquals(8, StructKMGlobalData.free_count(km, kmgd));

                // Poll 4: four full slabs is not above KMALLOC_MAXFREEMAGS; nothing happens.
                assertTrue(ko.mallocMgtPoll(zone));
                assertEquals(4, StructKmallocMgt.nfull(km, ggm));
                assertEquals(8, StructKMGlobalData.free_count(km, kmgd));
                assertEquals(pages, free(k), "retired slabs are cached, not given back to the VM");

                // Cached slabs belong to no type; another zone's first slab comes from there.
                long cached = StructKMGlobalData.free_slabs(km, kmgd) != 0 ? StructKMGlobalData.free_slabs(km, kmgd)
                        : StructKMGlobalData.remote_free_slabs(km, kmgd);
                assertEquals(0, StructKmallocSlab.type(km, cached));
                long o = ko.kmallocObj(8192, other, M_WAITOK);
                long slab = o & ~StructKmallocSlab.KMALLOC_SLAB_MASK;
                assertTrue(slabs.contains(slab), "a retired slab of the first zone");
                assertEquals(other, StructKmallocSlab.type(km, slab));
                assertEquals(7, StructKMGlobalData.free_count(km, kmgd));
                assertEquals(pages, free(k), "no page allocated");
            });
            mk.run();
        }
    }

    @Test
    void pollerThreadTrimsEveryZoneToFourFullSlabs() {
        try (MachineKernel mk = MachineKernel.boot(MachineConfig.of(32 * MB, 1, 5), new KernelConfig(1, 100),
                EnumSet.of(InitMain.Sysinit.KMALLOC_POLLER))) {
            Kernel k = mk.kernel;
            KernelMemory km = k.km();
            long a = createZone(k, "zone a");
            long b = createZone(k, "zone b");

            mk.thread("driver", 0, () -> {
                fillAndFree(k, a);
                fillAndFree(k, b);
                // The poller visits one type per wakeup (about a second) and stays on a type while
                // it has full slabs left to examine; a minute covers every type several times.
                // (Not on a zone's address: the poller wakes that after each poll, for
                // malloc_uninit.)
                k.lwkt().tsleep(StructMallocType.ks_mgt(a), "wait", 60 * k.lwkt().hz());
                for (long zone : new long[] {a, b}) {
                    long ggm = StructMallocType.ks_mgt(zone);
                    assertEquals(0, StructKmallocMgt.nempty(km, ggm));
                    assertEquals(4, StructKmallocMgt.nfull(km, ggm));
                    assertEquals(8, StructKmallocMgt.gcache_count(km, ggm));
                }
                assertEquals(16, StructKMGlobalData.free_count(km, k.kernKmalloc().kmgd(0)));
                ThreadInfo poller = mk.machine.scheduler().threads().stream()
                        .filter(t -> t.name().equals("kmalloc_poller")).findFirst().orElseThrow();
                assertEquals(ThreadState.SLEEPING, poller.state());
                assertEquals("kmslp", poller.wmesg());
                mk.machine.scheduler().requestStop("test done");
            });
            RunResult r = mk.machine.scheduler().run();
            assertEquals(RunResult.Outcome.STOPPED, r.outcome(), r.toString());
        }
    }
}
