package org.dfemu.kernel.harness.check;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.sys.StructKmallocMgt;
import org.dfemu.kernel.sys.StructKmallocSlab;
import org.dfemu.kernel.sys.StructKmallocUse;
import org.dfemu.kernel.sys.StructMallocType;

/**
 * (dfemu only) The kmalloc_obj slabs of every object zone on kmemstatistics (KSF_OBJSIZE), as
 * kern_kmalloc.c keeps them. Not a port of C code. _kmalloc_obj and _kfree_obj move an index
 * and its fobjs slot (and the double-free bitmap) together without blocking, and the ggm lists
 * change only under the ggm spinlock, so every rule holds at any scheduling point:
 * <ol>
 * <li>each ggm list (partial, full, empty) is finite and as long as its count
 *     (npartial, nfull, nempty); empty_tailp points at the last empty slab's next (or at
 *     {@code empty} when the list is empty);</li>
 * <li>no slab is on two lists, nor a cpu's active or alternate as well as on a list;</li>
 * <li>every slab has KMALLOC_SLAB_MAGIC, is 128 KiB aligned, belongs to the type, and has the
 *     zone's ncount, offset and objsize;</li>
 * <li>its indices satisfy {@code aindex <= xindex <= findex <= aindex + ncount} (unsigned
 *     differences: the indices only grow);</li>
 * <li>the fobjs slots in [aindex, xindex) hold distinct objects of this slab (at offset + a
 *     multiple of objsize, before the slab's end) whose double-free bit is clear, and the slots
 *     outside [aindex, findex) are NULL;</li>
 * <li>a slab on the full list has every object free.</li>
 * </ol>
 * Caller: any context; reads only, never blocks.
 */
public final class KmallocObjCheck {
    private KmallocObjCheck() {}

    /** Violations found in every kmalloc_obj zone (empty if consistent). */
    public static List<String> check(Kernel k) {
        List<String> errors = new ArrayList<>();
        KernelMemory km = k.km();
        long dummy = k.kernKmalloc().kslabDummy();
        for (long ks = k.kernSlaballoc().kmemstatistics(); ks != 0; ks = StructMallocType.ks_next(km, ks)) {
            if ((StructMallocType.ks_flags(km, ks) & StructMallocType.KSF_OBJSIZE) == 0) {
                continue;
            }
            String name = "kmalloc_obj " + StructMallocType.shortdesc(km, ks);
            long ggm = StructMallocType.ks_mgt(ks);
            Set<Long> seen = new HashSet<>();
            // Every slab is backed by pages of vm_page_array: a longer list has a cycle.
            long limit = 1 + k.vmPage().vmPageArraySize() * Param.PAGE_SIZE / StructKmallocSlab.KMALLOC_SLAB_SIZE;
            list(k, ks, ggm, name + " partial", StructKmallocMgt.partial(km, ggm), StructKmallocMgt.npartial(km, ggm),
                    false, limit, seen, errors, ggm + StructKmallocMgt.partial$OFFSET, false);
            list(k, ks, ggm, name + " full", StructKmallocMgt.full(km, ggm), StructKmallocMgt.nfull(km, ggm),
                    true, limit, seen, errors, ggm + StructKmallocMgt.full$OFFSET, false);
            list(k, ks, ggm, name + " empty", StructKmallocMgt.empty(km, ggm), StructKmallocMgt.nempty(km, ggm),
                    false, limit, seen, errors, ggm + StructKmallocMgt.empty$OFFSET, true);
            for (int cpu = 0; cpu < k.kernSlaballoc().ncpus(); cpu++) {
                long mgt = StructKmallocUse.mgt(StructMallocType.ks_use(km, ks, cpu));
                for (long slab : new long[] {StructKmallocMgt.active(km, mgt), StructKmallocMgt.alternate(km, mgt)}) {
                    if (slab == 0 || slab == dummy) {
                        continue;
                    }
                    String where = name + " cpu " + cpu + " slab " + Long.toHexString(slab);
                    if (!seen.add(slab)) {
                        errors.add(where + ": also on a list or another cpu");
                        continue;
                    }
                    slab(k, ks, ggm, where, slab, false, errors);
                }
            }
        }
        return errors;
    }

    private static void list(Kernel k, long ks, long ggm, String name, long head, long count, boolean full, long limit,
                             Set<Long> seen, List<String> errors, long headAddr, boolean checkTail) {
        KernelMemory km = k.km();
        long n = 0;
        long lastNext = headAddr;
        for (long slab = head; slab != 0; slab = StructKmallocSlab.next(km, slab)) {
            if (n > limit) {
                errors.add(name + ": list does not end (a cycle?)");
                return;
            }
            String where = name + " slab " + Long.toHexString(slab);
            if (!seen.add(slab)) {
                errors.add(where + ": on two lists, or twice on one");
                return;
            }
            if (!slab(k, ks, ggm, where, slab, full, errors)) {
                return;
            }
            lastNext = slab + StructKmallocSlab.next$OFFSET;
            n++;
        }
        if (n != count) {
            errors.add(name + ": count " + count + " but " + n + " slabs on the list");
        }
        if (checkTail && StructKmallocMgt.empty_tailp(km, ggm) != lastNext) {
            errors.add(String.format("%s: empty_tailp 0x%x, expected 0x%x", name, StructKmallocMgt.empty_tailp(km, ggm),
                    lastNext));
        }
    }

    /** Rules 3 to 6 for one slab; false if its header is too broken to follow its next. */
    private static boolean slab(Kernel k, long ks, long ggm, String where, long slab, boolean full, List<String> errors) {
        KernelMemory km = k.km();
        if ((slab & StructKmallocSlab.KMALLOC_SLAB_MASK) != 0
                || StructKmallocSlab.magic(km, slab) != StructKmallocSlab.KMALLOC_SLAB_MAGIC) {
            errors.add(where + ": not an aligned slab with KMALLOC_SLAB_MAGIC");
            return false;
        }
        long ncount = StructKmallocSlab.ncount(km, slab);
        long offset = StructKmallocSlab.offset(km, slab);
        long objsize = StructKmallocSlab.objsize(km, slab);
        if (StructKmallocSlab.type(km, slab) != ks || ncount != StructKmallocMgt.slab_count(km, ggm)
                || offset != StructKmallocMgt.slab_offset(km, ggm) || objsize != StructMallocType.ks_objsize(km, ks)) {
            errors.add(String.format("%s: type 0x%x ncount %d offset %d objsize %d, the zone's are 0x%x %d %d %d", where,
                    StructKmallocSlab.type(km, slab), ncount, offset, objsize, ks, StructKmallocMgt.slab_count(km, ggm),
                    StructKmallocMgt.slab_offset(km, ggm), StructMallocType.ks_objsize(km, ks)));
            return false;
        }
        long a = StructKmallocSlab.aindex(km, slab);
        long x = StructKmallocSlab.xindex(km, slab);
        long f = StructKmallocSlab.findex(km, slab);
        if (Long.compareUnsigned(x - a, f - a) > 0 || Long.compareUnsigned(f - a, ncount) > 0) {
            errors.add(String.format("%s: aindex %d xindex %d findex %d ncount %d break aindex <= xindex <= findex <= aindex + ncount",
                    where, a, x, f, ncount));
            return true;
        }
        if (full && f - a != ncount) {
            errors.add(String.format("%s: on the full list with %d of %d objects free", where, f - a, ncount));
        }
        java.util.BitSet objs = new java.util.BitSet((int) ncount);
        for (long i = 0; i < ncount; i++) {
            long idx = a + i;
            long obj = StructKmallocSlab.fobjs(km, slab, Long.remainderUnsigned(idx, ncount));
            if (Long.compareUnsigned(i, x - a) < 0) {
                long rel = obj - slab - offset;
                if (obj == 0 || rel < 0 || rel % objsize != 0 || rel / objsize >= ncount) {
                    errors.add(String.format("%s: fobjs[%d] 0x%x is not an object of the slab", where, idx, obj));
                    return true;
                }
                long bit = rel / objsize;
                if (objs.get((int) bit)) {
                    errors.add(String.format("%s: object 0x%x is free twice", where, obj));
                    return true;
                }
                objs.set((int) bit);
                if ((km.load64(StructKmallocSlab.bmap(slab, bit >>> 6)) & (1L << (bit & 63))) != 0) {
                    errors.add(String.format("%s: free object 0x%x is marked allocated in bmap", where, obj));
                    return true;
                }
            } else if (Long.compareUnsigned(i, f - a) >= 0 && obj != 0) {
                errors.add(String.format("%s: fobjs[%d] 0x%x outside [aindex %d, findex %d) is not NULL", where, idx,
                        obj, a, f));
                return true;
            }
        }
        return true;
    }
}
