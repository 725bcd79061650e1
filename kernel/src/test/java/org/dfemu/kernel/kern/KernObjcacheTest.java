package org.dfemu.kernel.kern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.dfemu.kernel.kern.ThreadMemory.row;

import java.util.ArrayList;
import java.util.List;
import org.dfemu.emulator.sched.ThreadInfo;
import org.dfemu.emulator.sched.ThreadState;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.MachineKernel;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.sys.Malloc;
import org.dfemu.kernel.sys.Queue;
import org.junit.jupiter.api.Test;

/**
 * kern_objcache.c's arithmetic and paths as the C has them: magazine capacity and depot size from
 * nom_cache and ncpus, objects cycling through the per-cpu magazines and the depot, a put with no
 * empty magazine left destroying the object, and a get at the cluster limit sleeping until a put.
 * Run with {@code ./mvnw -o test -pl kernel -Dtest=KernObjcacheTest}.
 */
class KernObjcacheTest {
    private static final long MB = 1L << 20;
    /** The test caches' objects: 128 bytes of M_TEMP (a 128-byte kmalloc chunk). */
    private static final long OBJSIZE = 128;

    /** An objcache over M_TEMP whose ctor and dtor count their calls. */
    private static final class TempCache {
        final long oc;
        int ctors;
        int dtors;

        TempCache(Kernel k, int clusterLimit, int nomCache) {
            KernSlaballoc sa = k.kernSlaballoc();
            oc = k.kernObjcache().objcacheCreateMbacked(sa.mTemp(), OBJSIZE, clusterLimit, nomCache,
                    (obj, priv, flags) -> ++ctors > 0, (obj, priv) -> dtors++, 0);
        }

        long depot() { return StructObjcache.depot(oc, 0); }

        long cpu(int cpu) { return StructObjcache.cache_percpu(oc, cpu); }
    }

    private static int maglistLength(Kernel k, long head) {
        Queue.Slist l = new Queue.Slist(k.km(), StructMagazine.nextmagazine$OFFSET);
        int n = 0;
        for (long m = l.slistFirst(head); m != 0; m = l.slistNext(m)) n++;
        return n;
    }

    @Test
    void theThreadCacheIsSizedAsTheCSizesIt() {
        // 2 cpus, lwkt.cache_threads 0 -> max(2 * 4, 32) = 32. Magazines: 32 / (2 + 1) / 2 + 1 = 6
        // slots, 16 + 48 = 64 bytes (one cache line, so 6 stays 6). Depot: 32 / 6 + 1 = 6 empty ones.
        try (TestKernel t = TestKernel.boot(16 * MB, new KernelConfig(2, 100))) {
            Kernel k = t.kernel;
            KernObjcache ko = k.kernObjcache();
            assertEquals(6, ko.magazineCapmin(), "MAGAZINE_CAPACITY_MIN 4 fills a 64-byte magazine: 6");
            assertEquals(4102, ko.magazineCapmax(), "MAGAZINE_CAPACITY_MAX 4096 fills out its last cache line: 4102");
            assertEquals(32, k.lwkt().lwktCacheThreads());
            long oc = k.lwkt().threadCache();
            long depot = StructObjcache.depot(oc, 0);
            assertEquals(6, StructMagazinedepot.magcapacity(k.km(), depot));
            assertEquals(KernObjcache.OBJCACHE_UNLIMITED, StructMagazinedepot.unallocated_objects(k.km(), depot),
                    "the thread cache has no cluster limit");
            assertEquals(6, maglistLength(k, StructMagazinedepot.emptymagazines(depot)));
            assertEquals(0, maglistLength(k, StructMagazinedepot.fullmagazines(depot)));
            for (int cpu = 0; cpu < 2; cpu++) {
                long cc = StructObjcache.cache_percpu(oc, cpu);
                assertNotEquals(0, StructPercpuObjcache.loaded_magazine(k.km(), cc));
                assertNotEquals(0, StructPercpuObjcache.previous_magazine(k.km(), cc));
            }
            long desc = StructObjcache.desc(k.km(), oc);
            assertEquals(desc, ko.allobjcachesFirst(), "on allobjcaches");
            assertEquals("thread", StructObjcacheDesc.name(k.km(), desc), "named after M_THREAD");
            assertEquals(oc, StructObjcacheDesc.objcache(k.km(), desc));
            // M_OBJCACHE: the descriptor, the objcache (128 + 2 * 64 bytes) and the kmalloc back end's arguments.
            assertEquals(3, row(k, "objcache").count());
            assertEquals(64 + 256 + 16, row(k, "objcache").memUse());
            // M_OBJMAG: two magazines per cpu and six in the depot, 64 bytes each.
            assertEquals(10, row(k, "objcache_mag").count());
            assertEquals(10 * 64, row(k, "objcache_mag").memUse());
        }
        // 1 cpu, lwkt.cache_threads=100: 100 / 2 / 2 + 1 = 26 slots, 16 + 208 = 224 bytes, a
        // 256-byte magazine of 30 slots; 100 / 30 + 1 = 4 in the depot.
        try (TestKernel t = TestKernel.boot(16 * MB, new KernelConfig(1, 100).setenv("lwkt.cache_threads", "100"))) {
            Kernel k = t.kernel;
            assertEquals(100, k.lwkt().lwktCacheThreads());
            long depot = StructObjcache.depot(k.lwkt().threadCache(), 0);
            assertEquals(30, StructMagazinedepot.magcapacity(k.km(), depot));
            assertEquals(4, maglistLength(k, StructMagazinedepot.emptymagazines(depot)));
            assertEquals(6, row(k, "objcache_mag").count());
            assertEquals(6 * 256, row(k, "objcache_mag").memUse());
        }
    }

    @Test
    void objectsCycleThroughTheMagazinesAndTheDepotAndTheOverflowIsDestroyed() {
        try (TestKernel t = TestKernel.boot(16 * MB, new KernelConfig(1, 100))) {
            Kernel k = t.kernel;
            KernObjcache ko = k.kernObjcache();
            // nom_cache 4: 4 / 2 / 2 + 1 = 2 slots, raised to magazine_capmin 6; 4 / 6 + 1 = 0 + 1,
            // at least 2 magazines in the depot. Retained: 2 per cpu + 2 in the depot, 24 objects.
            TempCache c = new TempCache(k, 0, 4);
            assertEquals(6, StructMagazinedepot.magcapacity(k.km(), c.depot()));
            long temp0 = row(k, "temp").count();

            long[] objs = new long[25];
            for (int i = 0; i < objs.length; i++) {
                objs[i] = ko.objcacheGet(c.oc, Malloc.M_WAITOK);
            }
            assertEquals(25, c.ctors, "an empty cache allocates and constructs every object");
            assertEquals(25, StructPercpuObjcache.allocs_cumulative(k.km(), c.cpu(0)));
            assertEquals(temp0 + 25, row(k, "temp").count(), "M_TEMP holds the 25 objects");

            for (long obj : objs) {
                ko.objcachePut(c.oc, obj);
            }
            assertEquals(1, c.dtors, "the 25th put found both magazines full and no empty one in the depot");
            assertEquals(temp0 + 24, row(k, "temp").count(), "the destroyed object went back to M_TEMP");
            assertEquals(2, maglistLength(k, StructMagazinedepot.fullmagazines(c.depot())));
            assertEquals(0, maglistLength(k, StructMagazinedepot.emptymagazines(c.depot())));
            assertEquals(KernObjcache.OBJCACHE_UNLIMITED - 25 + 1, StructMagazinedepot.unallocated_objects(k.km(), c.depot()),
                    "the destroyed object's slot went back to the limit");

            // Gets take the cached objects, newest first, from the cpu's magazines, then the
            // depot's full ones; the 25th is a new one.
            List<Long> got = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                got.add(ko.objcacheGet(c.oc, Malloc.M_WAITOK));
            }
            assertEquals(objs[23], got.get(0), "the last object cached comes back first");
            assertEquals(25, StructPercpuObjcache.allocs_cumulative(k.km(), c.cpu(0)), "no allocation while cached");
            assertEquals(0, maglistLength(k, StructMagazinedepot.fullmagazines(c.depot())));
            for (int i = 0; i < 24; i++) {
                assertTrue(got.contains(objs[i]), "object " + i + " came back");
            }
            ko.objcacheGet(c.oc, Malloc.M_WAITOK);
            assertEquals(26, StructPercpuObjcache.allocs_cumulative(k.km(), c.cpu(0)));
            assertEquals(50, StructPercpuObjcache.gets_cumulative(k.km(), c.cpu(0)));
            assertEquals(25, StructPercpuObjcache.puts_cumulative(k.km(), c.cpu(0)));
        }
    }

    @Test
    void getAtTheClusterLimitSleepsUntilAPutAndNowaitFails() {
        try (MachineKernel mk = MachineKernel.boot(32 * MB, 1, 7)) {
            Kernel k = mk.kernel;
            KernObjcache ko = k.kernObjcache();
            // cluster_limit 2: nom_cache 1, magazines of 6 (capmin); unallocated_objects is the
            // limit plus two magazines per cpu of slack: 2 + 1 * 6 * 2 = 14.
            TempCache c = new TempCache(k, 2, 0);
            assertEquals(14, StructMagazinedepot.unallocated_objects(k.km(), c.depot()));
            long[] taken = new long[14];
            long[] late = {0};
            long[] given = {0};
            long dmesg0 = k.dmesgLines();
            mk.thread("taker", 0, () -> {
                for (int i = 0; i < taken.length; i++) {
                    taken[i] = ko.objcacheGet(c.oc, Malloc.M_WAITOK);
                }
                assertEquals(0, ko.objcacheGet(c.oc, Malloc.M_NOWAIT), "M_NOWAIT fails at the limit");
                assertEquals(1, StructPercpuObjcache.gets_null(k.km(), c.cpu(0)));
                late[0] = ko.objcacheGet(c.oc, Malloc.M_WAITOK);
            });
            mk.thread("giver", 0, () -> {
                ThreadInfo ti = null;
                for (int i = 0; i < 100 && ti == null; i++) {
                    ThreadInfo tk = thread(mk, "taker");
                    if (tk.state() == ThreadState.SLEEPING && "objcache_get".equals(tk.wmesg())) ti = tk;
                    else k.lwkt().tsleep(c.oc, "watch", 1);
                }
                assertNotEquals(null, ti, "the taker never slept at the limit: " + thread(mk, "taker"));
                assertEquals(c.depot(), ti.wchan(), "it sleeps on the depot");
                assertEquals(1, StructMagazinedepot.waiting(k.km(), c.depot()));
                assertEquals(0, late[0]);
                given[0] = taken[5];
                ko.objcachePut(c.oc, taken[5]);
            });
            mk.run();
            assertEquals(given[0], late[0], "the sleeper got the object put back");
            assertEquals(14, c.ctors, "no allocation beyond the limit");
            assertEquals(0, StructMagazinedepot.waiting(k.km(), c.depot()));
            assertEquals(2, StructPercpuObjcache.gets_exhausted(k.km(), c.cpu(0)), "the NOWAIT get and the sleeping one");
            assertEquals(List.of("Warning: objcache(temp) exhausted on cpu0!"), k.dmesgSince(dmesg0),
                    "warned once, at the first exhaustion");
        }
    }

    private static ThreadInfo thread(MachineKernel mk, String name) {
        return mk.machine.scheduler().threads().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
    }
}
