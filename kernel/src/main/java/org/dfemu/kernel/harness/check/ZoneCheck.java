package org.dfemu.kernel.harness.check;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.vm.StructVmZone;
import org.dfemu.kernel.vm.StructVmZpcpu;
import org.dfemu.kernel.vm.VmZone;

/**
 * (dfemu only) The zalloc free lists of every zone on zlist ({@link VmZone}). Not a port of C
 * code. zalloc and zfree change a list and its count together, inside a critical section or
 * under zspin, and never block in between (zget blocks, but before it touches a list), so every
 * rule holds at any scheduling point:
 * <ol>
 * <li>each list (the global pool and every cpu's cache) is finite and as long as its
 *     {@code zfreecnt};</li>
 * <li>no item is on two lists, or twice on one;</li>
 * <li>the free items, all lists together, are at most {@code ztotal};</li>
 * <li>for a ZONE_INTERRUPT zone, every free item lies inside the pages zget has mapped:
 *     {@code [zkva, zkva + zpagecount * PAGE_SIZE)}, with a whole item before the end (not for a
 *     zone that zbootinit started (ZONE_BOOT, e.g. PV ENTRY), whose boot items lie in static
 *     storage the zone keeps no record of; other zones take their pages from kmem_alloc one
 *     batch at a time and keep no record of them either);</li>
 * <li>under kern.invariants, every free item's second word is ZENTRY_FREE.</li>
 * </ol>
 * Caller: any context; reads only, never blocks.
 */
public final class ZoneCheck {
    private ZoneCheck() {}

    /** Violations found in every zone (empty if consistent). */
    public static List<String> check(Kernel k) {
        List<String> errors = new ArrayList<>();
        VmZone vz = k.vmZone();
        for (long z : vz.zones()) {
            checkZone(k, z, errors);
        }
        return errors;
    }

    private static void checkZone(Kernel k, long z, List<String> errors) {
        KernelMemory km = k.km();
        String name = "zone " + k.vmZone().zname(z);
        long zsize = StructVmZone.zsize(km, z);
        long total = StructVmZone.ztotal(km, z);
        long flags = StructVmZone.zflags(km, z);
        // A zbootinit zone (ZONE_BOOT) also holds its boot items, from static storage.
        boolean interrupt = (flags & StructVmZone.ZONE_INTERRUPT) != 0 && (flags & StructVmZone.ZONE_BOOT) == 0;
        long lo = StructVmZone.zkva(km, z);
        long hi = lo + StructVmZone.zpagecount(km, z) * Param.PAGE_SIZE;
        ItemSet seen = new ItemSet();
        long free = walk(k, name + " global pool", StructVmZone.zitems(km, z), StructVmZone.zfreecnt(km, z), total,
                zsize, interrupt, lo, hi, seen, errors);
        for (int cpu = 0; cpu < k.config().ncpus(); cpu++) {
            long pc = StructVmZone.zpcpu(z, cpu);
            free += walk(k, name + " cpu " + cpu + " cache", StructVmZpcpu.zitems(km, pc), StructVmZpcpu.zfreecnt(km, pc),
                    total, zsize, interrupt, lo, hi, seen, errors);
        }
        if (free > total) {
            errors.add(name + ": " + free + " free items but ztotal " + total);
        }
        long dup = seen.firstDuplicate();
        if (dup != 0) {
            errors.add(String.format("%s: item 0x%x is free twice", name, dup));
        }
    }

    /** Walks one free list; returns its length. */
    private static long walk(Kernel k, String list, long head, long count, long total, long zsize, boolean interrupt,
                             long lo, long hi, ItemSet seen, List<String> errors) {
        KernelMemory km = k.km();
        boolean invariants = k.invariants();
        long n = 0;
        for (long item = head; item != 0; item = km.load64(item)) {
            if (n > total) {
                errors.add(list + ": list longer than ztotal " + total + " (a cycle?)");
                return n;
            }
            if (interrupt && (item < lo || item + zsize > hi)) {
                errors.add(String.format("%s: item 0x%x outside the zone's pages [0x%x, 0x%x)", list, item, lo, hi));
                return n;
            }
            seen.add(item);
            if (invariants && km.load64(item + 8) != VmZone.ZENTRY_FREE) {
                errors.add(String.format("%s: free item 0x%x lacks ZENTRY_FREE (0x%x)", list, item, km.load64(item + 8)));
            }
            n++;
        }
        if (n != count) {
            errors.add(list + ": zfreecnt " + count + " but " + n + " items on the list");
        }
        return n;
    }

    /** The free items met, as primitives (a zone may hold tens of thousands): duplicates by sorting. */
    private static final class ItemSet {
        private long[] items = new long[1024];
        private int n;

        void add(long item) {
            if (n == items.length) items = Arrays.copyOf(items, n * 2);
            items[n++] = item;
        }

        /** An item added twice, or 0. */
        long firstDuplicate() {
            long[] sorted = Arrays.copyOf(items, n);
            Arrays.sort(sorted);
            for (int i = 1; i < n; i++) {
                if (sorted[i] == sorted[i - 1]) return sorted[i];
            }
            return 0;
        }
    }
}
