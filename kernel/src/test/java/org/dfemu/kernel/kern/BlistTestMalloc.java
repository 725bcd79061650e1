package org.dfemu.kernel.kern;

import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.machine.Vmparam;
import org.dfemu.kernel.vm.StructVmMapEntry;
import org.dfemu.kernel.vm.VmPage;

import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The blist's memory for tests, standing in for kmalloc(M_SWAP) until that is ported: requests
 * that fit in one page (with the guard) get a vm_page_alloc(VM_ALLOC_NORMAL) page through the
 * DMAP; larger ones get wired, contiguous kernel_map KVA from kmem_alloc. Every block is followed
 * by a 64-byte guard pattern, checked when the block is freed, so a write past the node array
 * fails the test. Counts calls, so tests can show that an operation allocated nothing.
 */
final class BlistTestMalloc implements SubrBlist.Malloc {
    private static final long GUARD = 64;
    private static final int GUARD_BYTE = 0xa5;

    private final Kernel kernel;
    private final KernelMemory km;
    /** Live blocks: address -> {size, vm_page or 0 for kmem}. */
    private final TreeMap<Long, long[]> live = new TreeMap<>();
    long kmallocs;
    long kfrees;

    BlistTestMalloc(Kernel kernel) {
        this.kernel = kernel;
        this.km = kernel.km();
    }

    @Override
    public long kmalloc(long size) {
        long total = size + GUARD;
        long va;
        long m = 0;
        if (total <= Param.PAGE_SIZE) {
            m = kernel.vmPage().vmPageAlloc(0, 0, VmPage.VM_ALLOC_NORMAL);
            assertNotEquals(0, m, "vm_page_alloc");
            va = Vmparam.PHYS_TO_DMAP(kernel.vmPage().VM_PAGE_TO_PHYS(m));
            km.bzero(va, Param.PAGE_SIZE);
        } else {
            va = kernel.vmKern().kmemAlloc(kernel.vmMap().kernelMap(), total, StructVmMapEntry.VM_SUBSYS_KMALLOC);
            assertNotEquals(0, va, "kmem_alloc");
        }
        for (long i = 0; i < GUARD; i++) {
            km.store8(va + size + i, GUARD_BYTE);
        }
        live.put(va, new long[] {size, m});
        kmallocs++;
        return va;
    }

    @Override
    public void kfree(long addr, long size) {
        long[] b = live.remove(addr);
        assertNotNull(b, () -> String.format("kfree of 0x%x, not allocated", addr));
        assertEquals(b[0], size, "kfree size");
        for (long i = 0; i < GUARD; i++) {
            assertEquals(GUARD_BYTE, km.load8(addr + size + i), "guard byte " + i + " after the block was overwritten");
        }
        if (b[1] != 0) {
            kernel.vmPage().vmPageFreeToq(b[1]);
        } else {
            kernel.vmKern().kmemFree(kernel.vmMap().kernelMap(), addr, size + GUARD);
        }
        kfrees++;
    }

    /** Blocks allocated and not freed. */
    int liveBlocks() { return live.size(); }

    /** Checks every live block's guard (the blist is still in use). */
    void checkGuards() {
        for (var e : live.entrySet()) {
            long end = e.getKey() + e.getValue()[0];
            for (long i = 0; i < GUARD; i++) {
                assertEquals(GUARD_BYTE, km.load8(end + i), "guard after 0x" + Long.toHexString(e.getKey()));
            }
        }
    }
}
