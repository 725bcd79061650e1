package org.dfemu.kernel;

import org.dfemu.kernel.sys.StructKMGlobalData;
import org.dfemu.kernel.sys.StructKmallocMgt;
import org.dfemu.kernel.sys.StructKmallocSlab;
import org.dfemu.kernel.sys.StructKmallocUse;
import org.dfemu.kernel.sys.StructMallocType;
import org.dfemu.kernel.sys.StructSLGlobalData;
import org.dfemu.kernel.sys.StructSLZone;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Offset tables of the kmalloc views (sys/_malloc.h, sys/slaballoc.h at 737b020b54), worked out by
 * hand for LP64 x86-64 with __cachealign = 64 bytes.
 */
class MallocStructOffsetsTest {
    @Test
    void kmallocMgt() {
        assertEquals(128, StructKmallocMgt.layout().byteSize());
        assertEquals(64, StructKmallocMgt.layout().byteAlignment());
        assertEquals(0, StructKmallocMgt.spin$OFFSET);
        assertEquals(8, StructKmallocMgt.active$OFFSET);
        assertEquals(16, StructKmallocMgt.alternate$OFFSET);
        assertEquals(24, StructKmallocMgt.partial$OFFSET);
        assertEquals(32, StructKmallocMgt.full$OFFSET);
        assertEquals(40, StructKmallocMgt.empty$OFFSET);
        assertEquals(48, StructKmallocMgt.empty_tailp$OFFSET);
        assertEquals(56, StructKmallocMgt.slab_offset$OFFSET);
        assertEquals(64, StructKmallocMgt.slab_count$OFFSET);
        assertEquals(72, StructKmallocMgt.npartial$OFFSET);
        assertEquals(80, StructKmallocMgt.nfull$OFFSET);
        assertEquals(88, StructKmallocMgt.nempty$OFFSET);
        assertEquals(96, StructKmallocMgt.gcache_count$OFFSET);
    }

    @Test
    void kmallocUseAndMallocType() {
        assertEquals(192, StructKmallocUse.layout().byteSize());
        assertEquals(0, StructKmallocUse.memuse$OFFSET);
        assertEquals(8, StructKmallocUse.inuse$OFFSET);
        assertEquals(16, StructKmallocUse.calls$OFFSET);
        assertEquals(24, StructKmallocUse.loosememuse$OFFSET);
        assertEquals(64, StructKmallocUse.mgt$OFFSET);

        assertEquals(384, StructMallocType.layout().byteSize());
        assertEquals(0, StructMallocType.ks_next$OFFSET);
        assertEquals(8, StructMallocType.ks_loosememuse$OFFSET);
        assertEquals(16, StructMallocType.ks_limit$OFFSET);
        assertEquals(32, StructMallocType.ks_flags$OFFSET);
        assertEquals(36, StructMallocType.ks_magic$OFFSET);
        assertEquals(40, StructMallocType.ks_shortdesc$OFFSET);
        assertEquals(48, StructMallocType.ks_objsize$OFFSET);
        assertEquals(56, StructMallocType.ks_use$OFFSET);
        assertEquals(64, StructMallocType.ks_use0$OFFSET);
        assertEquals(256, StructMallocType.ks_mgt$OFFSET);
    }

    @Test
    void kmallocSlab() {
        assertEquals(384, StructKmallocSlab.layout().byteSize());
        assertEquals(8, StructKmallocSlab.next$OFFSET);
        assertEquals(16, StructKmallocSlab.type$OFFSET);
        assertEquals(24, StructKmallocSlab.magic$OFFSET);
        assertEquals(28, StructKmallocSlab.orig_cpuid$OFFSET);
        assertEquals(32, StructKmallocSlab.offset$OFFSET);
        assertEquals(40, StructKmallocSlab.objsize$OFFSET);
        assertEquals(48, StructKmallocSlab.ncount$OFFSET);
        assertEquals(56, StructKmallocSlab.aindex$OFFSET);
        assertEquals(64, StructKmallocSlab.findex$OFFSET);
        assertEquals(72, StructKmallocSlab.xindex$OFFSET);
        assertEquals(80, StructKmallocSlab.exis$OFFSET);
        assertEquals(96, StructKmallocSlab.bmap$OFFSET);
        assertEquals(352, StructKmallocSlab.fobjs$OFFSET, "offsetof(fobjs[0]), docs/dragonfly-map.md §5.1");
        assertEquals(2048, StructKmallocSlab.KMALLOC_SLAB_MAXOBJS);
    }

    @Test
    void kmgdAndSlabZones() {
        assertEquals(64, StructKMGlobalData.layout().byteSize());
        assertEquals(8, StructKMGlobalData.remote_free_slabs$OFFSET);
        assertEquals(16, StructKMGlobalData.free_count$OFFSET);

        assertEquals(112, StructSLZone.layout().byteSize());
        assertEquals(4, StructSLZone.z_Cpu$OFFSET);
        assertEquals(8, StructSLZone.z_CpuGd$OFFSET);
        assertEquals(16, StructSLZone.z_Entry$OFFSET);
        assertEquals(40, StructSLZone.z_NFree$OFFSET);
        assertEquals(44, StructSLZone.z_NMax$OFFSET);
        assertEquals(48, StructSLZone.z_BasePtr$OFFSET);
        assertEquals(56, StructSLZone.z_UIndex$OFFSET);
        assertEquals(60, StructSLZone.z_UEndIndex$OFFSET);
        assertEquals(64, StructSLZone.z_ChunkSize$OFFSET);
        assertEquals(68, StructSLZone.z_ZoneIndex$OFFSET);
        assertEquals(72, StructSLZone.z_Flags$OFFSET);
        assertEquals(80, StructSLZone.z_LChunks$OFFSET);
        assertEquals(88, StructSLZone.z_LChunksp$OFFSET);
        assertEquals(96, StructSLZone.z_RChunks$OFFSET);
        assertEquals(104, StructSLZone.z_RSignal$OFFSET);
        assertEquals(108, StructSLZone.z_RCount$OFFSET);

        assertEquals(1600, StructSLGlobalData.layout().byteSize());
        assertEquals(1152, StructSLGlobalData.FreeZones$OFFSET);
        assertEquals(1168, StructSLGlobalData.FreeOvZones$OFFSET);
        assertEquals(1184, StructSLGlobalData.NFreeZones$OFFSET);
        assertEquals(1188, StructSLGlobalData.JunkIndex$OFFSET);
        assertEquals(1216, StructSLGlobalData.ZoneInfo$OFFSET);
    }
}
