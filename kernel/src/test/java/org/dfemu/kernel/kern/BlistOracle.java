package org.dfemu.kernel.kern;

import java.util.BitSet;

import static org.dfemu.kernel.kern.SubrBlist.BLIST_BMAP_RADIX;
import static org.dfemu.kernel.kern.SubrBlist.SWAPBLK_NONE;

/**
 * A BitSet model of a blist, the differential oracle for {@link SubrBlist}: one bit per block,
 * set = free. It predicts allocations exactly: the blist's hints are never too low, so its search
 * is a first fit over 64-block leaves (a run never crosses a leaf), lowest leaf first, lowest
 * offset in the leaf first; blist_allocat starts at the leaf holding its hint.
 */
final class BlistOracle {
    final long blocks;
    final BitSet free = new BitSet();

    /** All allocated, as blist_create leaves it. */
    BlistOracle(long blocks) {
        this.blocks = blocks;
    }

    long freeCount() { return free.cardinality(); }

    /**
     * The block blist_alloc/blist_allocat returns for {@code count} when searching from leaf
     * {@code firstLeaf} on, or SWAPBLK_NONE.
     */
    long expectAlloc(long count, long firstLeaf) {
        int p = free.nextSetBit((int) Math.min(firstLeaf * BLIST_BMAP_RADIX, Integer.MAX_VALUE));
        while (p >= 0 && p < blocks) {
            int q = free.nextClearBit(p);
            // Split the free run [p, q) at leaf boundaries; the first long enough piece wins.
            long a = p;
            while (a < q) {
                long leafEnd = (a / BLIST_BMAP_RADIX + 1) * BLIST_BMAP_RADIX;
                long b = Math.min(q, leafEnd);
                if (b - a >= count) {
                    return a;
                }
                a = b;
            }
            p = free.nextSetBit(q);
        }
        return SWAPBLK_NONE;
    }

    /** Whether [blk, blk + count) is all free. */
    boolean allFree(long blk, long count) {
        return free.nextClearBit((int) blk) >= blk + count;
    }

    void alloc(long blk, long count) { free.clear((int) blk, (int) (blk + count)); }

    void free(long blk, long count) { free.set((int) blk, (int) (blk + count)); }

    /** Fills [blk, blk + count) and returns how many of its blocks were free. */
    long fill(long blk, long count) {
        long n = free.get((int) blk, (int) (blk + count)).cardinality();
        alloc(blk, count);
        return n;
    }
}
