package org.dfemu.tools.bench;

import java.util.concurrent.TimeUnit;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.kern.KernKmalloc;
import org.dfemu.kernel.kern.KernSlaballoc;
import org.dfemu.kernel.sys.StructKmallocMgt;
import org.dfemu.kernel.sys.StructKmallocSlab;
import org.dfemu.kernel.sys.StructKmallocUse;
import org.dfemu.kernel.sys.StructMallocType;
import org.dfemu.kernel.sys.StructSLGlobalData;
import org.dfemu.kernel.sys.StructSLZone;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import static org.dfemu.kernel.sys.Malloc.M_WAITOK;
import static org.dfemu.kernel.sys.Malloc.M_ZERO;

/**
 * The ported kernel mallocs' fast paths, one allocation and its free per operation, on a booted
 * one-CPU kernel (INVARIANTS on, as in every simulation), in boot context (see
 * {@link BootedKernel}):
 * <ul>
 *   <li>{@link #kmallocObjPair}: {@code kmalloc_obj} + {@code kfree_obj} of a 64-byte object zone
 *       made with {@code kmalloc_create_obj} (the PV ENTRY item size, so it compares with
 *       {@link ZallocBenchmark#zallocPair}): the object comes from the cpu's active slab and its
 *       free is recorded back in the same slab.
 *   <li>{@link #kmallocObjPairSwapmeta}: the same with 320-byte objects (the SWAPMETA item size,
 *       for {@link ZallocBenchmark#zallocPairSwapmeta}).
 *   <li>{@link #kmallocPair}: {@code kmalloc(size, M_TEMP, M_WAITOK)} + {@code kfree} of 64,
 *       256 and 1024 bytes, the sizes the C reference (glibc malloc+free) is measured at: the
 *       chunk comes from and goes back to the z_LChunks list of the cpu's zone of that size
 *       class.
 * </ul>
 * The setup allocates one object or chunk and keeps it (the "anchor"), so the slab or zone
 * never becomes wholly free: a lone allocation's free would otherwise send a kmalloc zone to
 * FreeZones and make every pair take a whole zone. Each iteration checks that it stayed on the
 * fast path: for kmalloc_obj the active slab and its free count are unchanged (no rotation),
 * for kmalloc the anchor's zone has the same free count and no zone went to FreeZones.
 *
 * <p>Where kernel data lives matters to the emulated cost (each access through kernel_map KVA is
 * a translation-cache lookup that re-reads the leaf PTE, a DMAP access a subtraction): M_TEMP is
 * static (data segment, DMAP), an
 * object zone's malloc_type is not (kmalloc_create_obj puts it in M_TEMP memory, KVA; the port
 * cannot MALLOC_DEFINE_OBJ after link time); slabs, zones and the objects are in KVA.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class KmallocBenchmark {
    /** An object zone of {@link #objectSize()}-byte objects on a booted kernel. */
    public abstract static class ObjZone {
        BootedKernel booted;
        KernelMemory km;
        KernKmalloc ko;
        long type;
        long size;
        private long anchor;
        private long mgt;
        private long activeBefore;
        private long freeBefore;

        abstract long objectSize();

        @Setup(Level.Trial)
        public void boot() {
            booted = new BootedKernel(true);
            Kernel kernel = booted.kernel;
            km = kernel.km();
            ko = kernel.kernKmalloc();
            KernSlaballoc sa = kernel.kernSlaballoc();
            long typep = sa.kmalloc(8, sa.mTemp(), M_WAITOK | M_ZERO);
            sa._kmallocCreateObj(typep, "bench_obj" + objectSize(), objectSize());
            type = km.load64(typep);
            size = StructMallocType.ks_objsize(km, type);
            mgt = StructKmallocUse.mgt(StructMallocType.ks_use(km, type, 0));
            anchor = ko.kmallocObj(size, type, M_WAITOK);
            // The first pair carves the slab's free list; the measured ones only cycle it.
            ko.kfreeObj(ko.kmallocObj(size, type, M_WAITOK), type);
        }

        @Setup(Level.Iteration)
        public void snapshot() {
            booted.checkBootContext("KmallocBenchmark");
            activeBefore = StructKmallocMgt.active(km, mgt);
            freeBefore = StructKmallocSlab.findex(km, activeBefore) - StructKmallocSlab.aindex(km, activeBefore);
        }

        @TearDown(Level.Iteration)
        public void checkFastPath() {
            long active = StructKmallocMgt.active(km, mgt);
            if (active != activeBefore
                    || StructKmallocSlab.findex(km, active) - StructKmallocSlab.aindex(km, active) != freeBefore) {
                throw new IllegalStateException("KmallocBenchmark: kmalloc_obj left the active slab");
            }
            booted.checkBootContext("KmallocBenchmark");
        }

        @TearDown(Level.Trial)
        public void powerOff() {
            ko.kfreeObj(anchor, type);
            booted.close();
        }
    }

    @State(Scope.Thread)
    public static class ObjZone64 extends ObjZone {
        @Override
        long objectSize() { return 64; }
    }

    @State(Scope.Thread)
    public static class ObjZone320 extends ObjZone {
        @Override
        long objectSize() { return 320; }
    }

    /** M_TEMP chunks of {@code size} bytes on a booted kernel. */
    @State(Scope.Thread)
    public static class TempChunks {
        @Param({"64", "256", "1024"})
        public long size;

        BootedKernel booted;
        KernelMemory km;
        KernSlaballoc sa;
        long type;
        private long anchor;
        private long zone;
        private long slgd;
        private int zoneFreeBefore;
        private int freeZonesBefore;

        @Setup(Level.Trial)
        public void boot() {
            booted = new BootedKernel(true);
            km = booted.kernel.km();
            sa = booted.kernel.kernSlaballoc();
            type = sa.mTemp();
            slgd = sa.slgd(0);
            anchor = sa.kmalloc(size, type, M_WAITOK);
            zone = anchor & sa.zoneMask();
            sa.kfree(sa.kmalloc(size, type, M_WAITOK), type);
        }

        @Setup(Level.Iteration)
        public void snapshot() {
            booted.checkBootContext("KmallocBenchmark");
            zoneFreeBefore = StructSLZone.z_NFree(km, zone);
            // With one free chunk left, each allocation would take the zone off ZoneAry and each
            // free put it back: not the fast path.
            if (zoneFreeBefore < 2) {
                throw new IllegalStateException("KmallocBenchmark: kmalloc(" + size + ") zone nearly exhausted");
            }
            freeZonesBefore = StructSLGlobalData.NFreeZones(km, slgd);
        }

        @TearDown(Level.Iteration)
        public void checkFastPath() {
            long probe = sa.kmalloc(size, type, M_WAITOK);
            sa.kfree(probe, type);
            if ((probe & sa.zoneMask()) != zone || StructSLZone.z_NFree(km, zone) != zoneFreeBefore
                    || StructSLGlobalData.NFreeZones(km, slgd) != freeZonesBefore) {
                throw new IllegalStateException("KmallocBenchmark: kmalloc(" + size + ") left its zone's free list");
            }
            booted.checkBootContext("KmallocBenchmark");
        }

        @TearDown(Level.Trial)
        public void powerOff() {
            sa.kfree(anchor, type);
            booted.close();
        }
    }

    @Benchmark
    public long kmallocObjPair(ObjZone64 s) {
        long obj = s.ko.kmallocObj(s.size, s.type, M_WAITOK);
        s.ko.kfreeObj(obj, s.type);
        return obj;
    }

    @Benchmark
    public long kmallocObjPairSwapmeta(ObjZone320 s) {
        long obj = s.ko.kmallocObj(s.size, s.type, M_WAITOK);
        s.ko.kfreeObj(obj, s.type);
        return obj;
    }

    @Benchmark
    public long kmallocPair(TempChunks s) {
        long chunk = s.sa.kmalloc(s.size, s.type, M_WAITOK);
        s.sa.kfree(chunk, s.type);
        return chunk;
    }
}
