package org.dfemu.kernel.harness.check;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.kern.StructBlist;
import org.dfemu.kernel.kern.SubrBlist;
import org.dfemu.kernel.sys.StructProc;
import org.dfemu.kernel.sys.Tree;
import org.dfemu.kernel.vm.StructSwblock;
import org.dfemu.kernel.vm.StructVmMap;
import org.dfemu.kernel.vm.StructVmMapEntry;
import org.dfemu.kernel.vm.StructVmObject;
import org.dfemu.kernel.vm.StructVmspace;
import org.dfemu.kernel.vm.SwapPager;

/**
 * (dfemu only) The swap bitmap against the swblocks: {@link BlistCheck} on {@code swapblist},
 * then every swblock of every object reachable from a live process's map (map entries and their
 * backing chains, each object once) against the blist. Not a port of C code.
 *
 * <p>At any scheduling point:
 * <ol>
 * <li>the blist is consistent ({@link BlistCheck}) and its {@code bl_free} equals
 *     {@code vm_swap_size} (swp_pager_getswapspace/freeswapspace change both without blocking);</li>
 * <li>each swblock's {@code swb_index} is a multiple of SWAP_META_PAGES and its {@code swb_count}
 *     is the number of its entries that are not SWAPBLK_NONE; an object's swblock tree holds
 *     {@code swblock_count} swblocks;</li>
 * <li>every swap block a swblock references lies inside the blist, is allocated there, and is
 *     referenced by no other swblock entry;</li>
 * <li>the blocks referenced are at most the blocks in use ({@code vm_swap_max - vm_swap_size}).</li>
 * </ol>
 * Only when quiescent (no process left, so no pageout between swp_pager_getswapspace and
 * swp_pager_meta_build, which may sleep in the SWAPMETA allocator): the blocks referenced equal
 * the blocks in use. Objects not reachable from a live process (one being torn down after its
 * proc left allproc, one whose mapping was removed while the pager still holds it) are not
 * visited, so rule 4 is an inequality except at quiescence, when no such object exists.
 *
 * <p>Caller: any context; reads only, never blocks.
 */
public final class SwapCheck {
    private SwapCheck() {}

    /** Violations found (empty if consistent); {@code quiescent} adds the equality of rule 4. */
    public static List<String> check(Kernel k, boolean quiescent) {
        List<String> errors = new ArrayList<>();
        KernelMemory km = k.km();
        SwapPager sp = k.swapPager();
        long bl = sp.swapblist();
        if (bl == 0) {
            return errors;
        }
        for (String e : BlistCheck.check(km, bl)) {
            errors.add("blist: " + e);
        }
        if (!errors.isEmpty()) {
            return errors;
        }
        long blocks = StructBlist.bl_blocks(km, bl);
        long blFree = StructBlist.bl_free(km, bl);
        long swapSize = k.vmSwap().vmSwapSize();
        if (blFree != swapSize) {
            errors.add("blist bl_free " + blFree + " but vm_swap_size " + swapSize);
        }
        BitSet free = new BitSet((int) Math.min(blocks, Integer.MAX_VALUE));
        BlistCheck.forEachFreeRun(km, bl, (blk, count) -> free.set((int) blk, (int) (blk + count)));

        BitSet referenced = new BitSet();
        long nref = 0;
        List<Long> objects = swapObjects(k);
        Tree.Rb tree = sp.swblockTree();
        for (long obj : objects) {
            long nswb = 0;
            for (long swb = tree.rbMin(obj + StructVmObject.swblock_root$OFFSET); swb != 0; swb = tree.rbNext(swb)) {
                nswb++;
                long index = StructSwblock.swb_index(km, swb);
                if ((index & StructSwblock.SWAP_META_MASK) != 0) {
                    errors.add(String.format("object 0x%x swblock 0x%x: swb_index %d is not a multiple of %d", obj, swb,
                            index, StructSwblock.SWAP_META_PAGES));
                }
                int count = 0;
                for (int i = 0; i < StructSwblock.SWAP_META_PAGES; i++) {
                    long blk = StructSwblock.swb_pages(km, swb, i);
                    if (blk == SubrBlist.SWAPBLK_NONE) {
                        continue;
                    }
                    count++;
                    nref++;
                    String wrong = blk < 0 || blk >= blocks ? "lies outside the blist of " + blocks
                            : free.get((int) blk) ? "is free in the blist"
                            : referenced.get((int) blk) ? "is referenced twice" : null;
                    if (wrong != null) {
                        errors.add(String.format("object 0x%x pindex %d: swap block %d %s", obj, index + i, blk, wrong));
                    } else {
                        referenced.set((int) blk);
                    }
                }
                if (count != StructSwblock.swb_count(km, swb)) {
                    errors.add(String.format("object 0x%x swblock 0x%x (index %d): swb_count %d, %d entries in use", obj,
                            swb, index, StructSwblock.swb_count(km, swb), count));
                }
            }
            long expect = StructVmObject.swblock_count(km, obj);
            if (nswb != expect) {
                errors.add(String.format("object 0x%x: swblock_count %d, %d swblocks in its tree", obj, expect, nswb));
            }
        }
        long inUse = k.vmSwap().vmSwapMax() - swapSize;
        if (nref > inUse) {
            errors.add(nref + " swap blocks referenced but only " + inUse + " in use");
        } else if (quiescent && nref != inUse) {
            errors.add(inUse + " swap blocks in use but " + nref + " referenced by swblocks (leaked swap)");
        }
        return errors;
    }

    /**
     * The objects of every live process's map, each once, in allproc then map then backing-chain
     * order (deterministic). Reads only.
     */
    static List<Long> swapObjects(Kernel k) {
        KernelMemory km = k.km();
        Tree.Rb entries = k.vmMap().vmMapRbTree();
        List<Long> objects = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        k.kernProcTable().allprocScan(p -> {
            long vm = StructProc.p_vmspace(km, p);
            if (vm == 0) {
                return true;
            }
            long map = StructVmspace.vm_map(vm);
            for (long e = entries.rbMin(StructVmMap.rb_root(map)); e != 0; e = entries.rbNext(e)) {
                for (long ba = StructVmMapEntry.ba(e); ba != 0; ba = StructVmMapEntry.ba_backing_ba(km, ba)) {
                    long obj = StructVmMapEntry.ba_object(km, ba);
                    if (obj != 0 && seen.add(obj)) {
                        objects.add(obj);
                    }
                }
            }
            return true;
        });
        return objects;
    }
}
