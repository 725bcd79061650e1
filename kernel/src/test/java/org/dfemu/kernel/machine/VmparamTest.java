package org.dfemu.kernel.machine;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The pc64 kernel address map, as DragonFly's pmap.h/vmparam.h symbols evaluate. */
class VmparamTest {
    @Test
    void addressMap() {
        assertEquals(496, Vmparam.KPML4I);
        assertEquals(368, Vmparam.DMPML4I);
        assertEquals(0xFFFFB80000000000L, Vmparam.DMAP_MIN_ADDRESS);
        assertEquals(0xFFFFF80000000000L, Vmparam.DMAP_MAX_ADDRESS);
        assertEquals(0xFFFFF80040000000L, Vmparam.VM_MIN_KERNEL_ADDRESS);
        assertEquals(0xFFFFFFFFFF1FF000L, Vmparam.VM_MAX_KERNEL_ADDRESS);
        assertEquals(0xFFFFFFFF80000000L, Vmparam.KERNBASE);
        assertEquals(0xFFFF800000000000L, Vmparam.UPT_MIN_ADDRESS);
        assertEquals(0x00007FFFFFE00000L, Vmparam.VM_MAX_USER_ADDRESS);
        assertEquals(0xFFFFB80000001000L, Vmparam.PHYS_TO_DMAP(0x1000));
        assertEquals(0x1000, Vmparam.DMAP_TO_PHYS(0xFFFFB80000001000L));
    }
}
