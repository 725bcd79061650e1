package org.dfemu.kernel;

import org.dfemu.kernel.machine.StructPmap;
import org.dfemu.kernel.machine.StructPvEntry;
import org.dfemu.kernel.sys.StructGlobaldata;
import org.dfemu.kernel.sys.StructLock;
import org.dfemu.kernel.vm.StructVmMap;
import org.dfemu.kernel.vm.StructVmMapEntry;
import org.dfemu.kernel.vm.StructVmZone;
import org.dfemu.kernel.vm.StructVmZpcpu;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Offset tables of the pmap, vm_map and vm_zone struct views, against offsets worked out by hand
 * from DragonFly's headers at 737b020b54 for LP64 x86-64 (SMP_MAXCPU 256 where an array is sized
 * by it).
 */
class VmStructOffsetsTest {
    @Test
    void pmap() {
        assertEquals(1096, StructPmap.layout().byteSize());
        assertEquals(0, StructPmap.pm_pml4$OFFSET);
        assertEquals(16, StructPmap.pm_pmlpv$OFFSET);
        assertEquals(48, StructPmap.pm_pvroot$OFFSET);
        assertEquals(72, StructPmap.pm_count$OFFSET);
        assertEquals(80, StructPmap.pm_active$OFFSET);
        assertEquals(112, StructPmap.pm_flags$OFFSET);
        assertEquals(120, StructPmap.resident_count$OFFSET);
        assertEquals(128, StructPmap.wired_count$OFFSET);
        assertEquals(136, StructPmap.pm_spin$OFFSET);
        assertEquals(144, StructPmap.pm_pvhint_pt$OFFSET);
        assertEquals(160, StructPmap.pm_placemarks$OFFSET);
        assertEquals(680, StructPmap.pmap_bits$OFFSET);
        assertEquals(784, StructPmap.protection_codes$OFFSET);
        assertEquals(848, StructPmap.pmap_cache_bits_pte$OFFSET);
        assertEquals(912, StructPmap.pmap_cache_bits_pde$OFFSET);
        assertEquals(976, StructPmap.pmap_cache_mask_pte$OFFSET);
    }

    @Test
    void pvEntry() {
        assertEquals(64, StructPvEntry.layout().byteSize());
        assertEquals(0, StructPvEntry.pv_pmap$OFFSET);
        assertEquals(8, StructPvEntry.pv_pindex$OFFSET);
        assertEquals(16, StructPvEntry.pv_entry$OFFSET);
        assertEquals(48, StructPvEntry.pv_m$OFFSET);
        assertEquals(56, StructPvEntry.pv_hold$OFFSET);
        assertEquals(60, StructPvEntry.pv_flags$OFFSET);
    }

    @Test
    void vmZone() {
        assertEquals(64, StructVmZpcpu.layout().byteSize());
        assertEquals(0, StructVmZpcpu.zitems$OFFSET);
        assertEquals(8, StructVmZpcpu.zfreecnt$OFFSET);
        assertEquals(16, StructVmZpcpu.znalloc$OFFSET);
        assertEquals(16640, StructVmZone.layout().byteSize());
        // vm_map.h: MAX_MAPENT = SMP_MAXCPU * 32 + 1024 boot entries, SMP_MAXCPU 256.
        assertEquals(256, org.dfemu.kernel.machine.Param.SMP_MAXCPU);
        assertEquals(9216, org.dfemu.kernel.vm.VmMap.MAX_MAPENT);
        assertEquals(64, StructVmZone.layout().byteAlignment());
        assertEquals(16384, StructVmZone.zspin$OFFSET);
        assertEquals(16392, StructVmZone.zitems$OFFSET);
        assertEquals(16400, StructVmZone.zfreecnt$OFFSET);
        assertEquals(16408, StructVmZone.zfreemin$OFFSET);
        assertEquals(16424, StructVmZone.zkva$OFFSET);
        assertEquals(16432, StructVmZone.zpagecount$OFFSET);
        assertEquals(16440, StructVmZone.zpagemax$OFFSET);
        assertEquals(16448, StructVmZone.zmax$OFFSET);
        assertEquals(16456, StructVmZone.zmax_pcpu$OFFSET);
        assertEquals(16464, StructVmZone.ztotal$OFFSET);
        assertEquals(16472, StructVmZone.zsize$OFFSET);
        assertEquals(16480, StructVmZone.zalloc$OFFSET);
        assertEquals(16488, StructVmZone.zflags$OFFSET);
        assertEquals(16496, StructVmZone.zallocflag$OFFSET);
        assertEquals(16504, StructVmZone.zname$OFFSET);
        assertEquals(16512, StructVmZone.zlink$OFFSET);
        assertEquals(16528, StructVmZone.zkmvec$OFFSET);
        assertEquals(16552, StructVmZone.zgetlk$OFFSET);
    }

    @Test
    void vmMapEntry() {
        assertEquals(136, StructVmMapEntry.layout().byteSize());
        assertEquals(80, StructVmMapEntry.backingLayout().byteSize());
        assertEquals(0, StructVmMapEntry.rb_entry$OFFSET);
        assertEquals(32, StructVmMapEntry.aux$OFFSET);
        assertEquals(40, StructVmMapEntry.ba$OFFSET);
        assertEquals(120, StructVmMapEntry.eflags$OFFSET);
        assertEquals(124, StructVmMapEntry.maptype$OFFSET);
        assertEquals(125, StructVmMapEntry.protection$OFFSET);
        assertEquals(126, StructVmMapEntry.max_protection$OFFSET);
        assertEquals(127, StructVmMapEntry.inheritance$OFFSET);
        assertEquals(128, StructVmMapEntry.wired_count$OFFSET);
        assertEquals(132, StructVmMapEntry.id$OFFSET);
        assertEquals(16, StructVmMapEntry.ba_pmap$OFFSET);
        assertEquals(32, StructVmMapEntry.ba_entry$OFFSET);
        assertEquals(48, StructVmMapEntry.ba_object$OFFSET);
        assertEquals(64, StructVmMapEntry.ba_offset$OFFSET);
        assertEquals(76, StructVmMapEntry.ba_backing_count$OFFSET);
    }

    @Test
    void vmMap() {
        assertEquals(288, StructVmMap.layout().byteSize());
        assertEquals(0, StructVmMap.lock$OFFSET);
        assertEquals(32, StructVmMap.rb_root$OFFSET);
        assertEquals(56, StructVmMap.min_addr$OFFSET);
        assertEquals(64, StructVmMap.max_addr$OFFSET);
        assertEquals(72, StructVmMap.nentries$OFFSET);
        assertEquals(76, StructVmMap.timestamp$OFFSET);
        assertEquals(80, StructVmMap.size$OFFSET);
        assertEquals(88, StructVmMap.system_map$OFFSET);
        assertEquals(92, StructVmMap.flags$OFFSET);
        assertEquals(96, StructVmMap.freehint$OFFSET);
        assertEquals(224, StructVmMap.pmap$OFFSET);
        assertEquals(240, StructVmMap.ilock_spin$OFFSET);
    }

    @Test
    void lockAndGlobaldata() {
        assertEquals(32, StructLock.layout().byteSize());
        assertEquals(8, StructLock.lk_count$OFFSET);
        assertEquals(576, StructGlobaldata.layout().byteSize());
        assertEquals(4, StructGlobaldata.gd_vme_avail$OFFSET);
        assertEquals(8, StructGlobaldata.gd_vme_base$OFFSET);
        assertEquals(16, StructGlobaldata.gd_rand_incr$OFFSET);
        assertEquals(24, StructGlobaldata.gd_vmstats$OFFSET);
        assertEquals(280, StructGlobaldata.gd_vmstats_adj$OFFSET);
        assertEquals(536, StructGlobaldata.gd_newpv$OFFSET);
    }

    @Test
    void vmspace() {
        assertEquals(1392, org.dfemu.kernel.vm.StructVmspace.layout().byteSize());
        assertEquals(0, org.dfemu.kernel.vm.StructVmspace.vm_map$OFFSET);
        assertEquals(288, org.dfemu.kernel.vm.StructVmspace.vm_pmap$OFFSET);
        assertEquals(1384, org.dfemu.kernel.vm.StructVmspace.vm_refcnt$OFFSET);
        assertEquals(1388, org.dfemu.kernel.vm.StructVmspace.vm_holdcnt$OFFSET);
    }
}
