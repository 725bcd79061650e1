package org.dfemu.kernel.vm;

import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.machine.Vmparam;
import org.dfemu.kernel.sys.StructVmstats;
import org.dfemu.kernel.sys.Tree;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** Helpers shared by the vm_page tests: objects, draining the free queue, making cache pages. */
final class VmTestSupport {
    private VmTestSupport() {}

    static long vs(Kernel k) { return k.vmMeter().vmstats(); }

    /** The true free count (global plus the cpus' pending adjustments). */
    static long free(Kernel k) { return k.vmMeter().trueCount(StructVmstats.v_free_count$OFFSET); }

    /** The true cache count. */
    static long cache(Kernel k) { return k.vmMeter().trueCount(StructVmstats.v_cache_count$OFFSET); }

    /** A clock tick on every cpu (see {@link TestKernel#tick}): the cpus' copies become exact. */
    static void tick(Kernel k) { TestKernel.tick(k); }

    static long reserved(Kernel k) { return StructVmstats.v_free_reserved(k.km(), vs(k)); }

    static long interruptFreeMin(Kernel k) { return StructVmstats.v_interrupt_free_min(k.km(), vs(k)); }

    /**
     * A minimal OBJT_DEFAULT vm_object of {@code size} pages, in a wired page of its own (the
     * vm_object port and kmalloc_obj come later): every field zero but type, size, ref_count 1 and
     * an empty page tree.
     */
    static long newObject(Kernel k, long size) {
        KernelMemory km = k.km();
        long m = k.vmPage().vmPageAlloc(0, 0, VmPage.VM_ALLOC_SYSTEM | VmPage.VM_ALLOC_INTERRUPT);
        assertNotEquals(0, m, "no page for a test object");
        k.vmPage().vmPageWire(m);
        k.vmPage().vmPageWakeup(m);
        long obj = Vmparam.PHYS_TO_DMAP(StructVmPage.phys_addr(km, m));
        km.bzero(obj, StructVmObject.SIZEOF);
        StructVmObject.type(km, obj, StructVmObject.OBJT_DEFAULT);
        StructVmObject.size(km, obj, size);
        StructVmObject.ref_count(km, obj, 1);
        k.vmPage().vmPageRbTree().rbInit(StructVmObject.rb_memq(obj));
        km.store64(StructVmObject.rb_memq(obj) + Tree.rbh_spin$OFFSET, 0);
        return obj;
    }

    /**
     * Allocates pages with VM_ALLOC_INTERRUPT (which never touches the cache) until v_free_count
     * is {@code target}; returns them, busied. A tick before each allocation and after the last
     * keeps the cpu's copy of the counts exact, so the caller can test a threshold at once.
     */
    static List<Long> drainTo(Kernel k, long target) {
        List<Long> taken = new ArrayList<>();
        while (free(k) > target) {
            tick(k);
            long m = k.vmPage().vmPageAlloc(0, 0, VmPage.VM_ALLOC_INTERRUPT);
            assertNotEquals(0, m, "INTERRUPT allocation failed with free pages left");
            taken.add(m);
        }
        tick(k);
        assertEquals(target, free(k));
        return taken;
    }

    /** Puts {@code n} clean, valid pages of {@code obj} (at pindex from {@code first}) on PQ_CACHE. */
    static List<Long> makeCachePages(Kernel k, long obj, long first, int n) {
        List<Long> pages = new ArrayList<>();
        VmPage vp = k.vmPage();
        for (int i = 0; i < n; i++) {
            long m = vp.vmPageAlloc(obj, first + i, VmPage.VM_ALLOC_NORMAL);
            assertNotEquals(0, m);
            vp.vmPageSetValidclean(m, 0, 4096);
            vp.vmPageCache(m);
            assertEquals(StructVpgqueues.PQ_CACHE, StructVmPage.queue(k.km(), m) - StructVmPage.pc(k.km(), m));
            pages.add(m);
        }
        return pages;
    }
}
