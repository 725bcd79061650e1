package org.dfemu.kernel.kern;

import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.KernelMemory;

import java.util.function.Consumer;

import static org.dfemu.kernel.kern.StructBlmeta.bm_bighint;
import static org.dfemu.kernel.kern.StructBlmeta.bmu_avail;
import static org.dfemu.kernel.kern.StructBlmeta.bmu_bitmap;
import static org.dfemu.kernel.kern.StructBlmeta.elem;

/**
 * subr_blist.c: DragonFly BSD sys/kern/subr_blist.c and the constants of sys/sys/blist.h at commit
 * 737b020b54 (2021-05-28), the bitmap allocator behind swap space (swapblist in vm_swap.c and
 * swap_pager.c).
 *
 * <p><b>Vocabulary.</b> A blist hands out <i>blocks</i> (swap pages), numbered from 0 to
 * {@code bl_blocks - 1}, as contiguous runs of 1 to {@link #BLIST_MAX_ALLOC} blocks. It knows
 * nothing of what a block is. A new blist has every block allocated: the owner frees the ranges it
 * wants to make available (swapon frees every stripe but the first of each device).
 *
 * <p><b>The tree.</b> A radix tree whose nodes are {@code blmeta_t} ({@link StructBlmeta}):
 * <ul>
 * <li>a <i>leaf</i> covers {@link #BLIST_BMAP_RADIX} = 64 blocks with one bit each in
 *     {@code bmu_bitmap} (1 = free);</li>
 * <li>a <i>meta</i> node covers {@code radix} = 64 * 32^k blocks through
 *     {@link #BLIST_META_RADIX} = 32 children and counts its free blocks in {@code bmu_avail};</li>
 * <li>every node keeps {@code bm_bighint}, an upper bound on the longest free run an allocation
 *     can find under it. It may be too high (a failed search lowers it), never too low.</li>
 * </ul>
 * A meta node with {@code bmu_avail == 0} (all allocated) or {@code bmu_avail == radix} (all free)
 * is <i>collapsed</i>: what lies below it is stale, and is rewritten from the collapsed state the
 * next time an operation has to descend.
 *
 * <p><b>Layout.</b> The whole tree is one array in kernel memory, in depth-first order: each meta
 * node is followed by its 32 subtrees, so the children of a node whose subtree holds {@code skip}
 * nodes after it sit at {@code 1, 1 + next_skip, 1 + 2*next_skip, ...} with
 * {@code next_skip = skip / 32} (a leaf has skip 0). For 65536 blocks (radix 65536, skip 1056):
 * <pre>
 *   index   0      1      2 .. 33     34     35 .. 66          1024   1025 .. 1056
 *         [root] [meta0][leaf x 32] [meta1][leaf x 32]  ...  [meta31][leaf x 32]
 *                 \______ 33 ______/ \______ 33 ______/
 * </pre>
 * The root's radix is the smallest 64 * 32^k that covers {@code bl_blocks}, but the array holds
 * only the nodes those blocks need ({@code bl_rootblks}): a child slot past the last needed
 * subtree holds a <i>terminator</i> ({@code bm_bighint == -1}) and every scan stops there.
 * Blocks from {@code bl_blocks} to the end of the last leaf stay allocated forever.
 *
 * <p><b>Algorithms.</b>
 * <ol>
 * <li>Allocation ({@link #blistAlloc}, {@link #blistAllocat}): from the root, descend into the
 *     first child (from the starting block on) whose bighint admits {@code count}; a leaf scans
 *     its bitmap for {@code count} consecutive 1 bits. A run never crosses a leaf, hence the
 *     64-block limit. A search that fails lowers the bighint of the node it covered to
 *     {@code count - 1}; success subtracts {@code count} from the avail of each meta node on the
 *     path.</li>
 * <li>Free ({@link #blistFree}): any range; split over the children it overlaps, expanding an
 *     all-allocated node first, collapsing a node that becomes all free. Freeing a free block
 *     panics.</li>
 * <li>Fill ({@link #blistFill}): allocates a given range whatever its state and returns how
 *     many of its blocks were free.</li>
 * <li>Resize ({@link #blistResize}): builds a new tree and frees in it every block free in the
 *     old one.</li>
 * </ol>
 * <b>Only {@link #blistCreate}, {@link #blistDestroy} and {@link #blistResize} touch the memory
 * allocator.</b> Allocation, free and fill work in place and never allocate memory, so the swap
 * pager can page out when no memory is left.
 *
 * <p>Locking: none here; the caller serialises all calls on one blist (the swap pager holds
 * vm_token). Nothing here blocks, except the memory allocation in create and resize.
 *
 * <p>PORT: {@code blist_t} is the kernel address of the header ({@link StructBlist}), 0 for
 * NULL. Memory comes from the {@link Malloc} passed to the constructor, standing for
 * {@code kmalloc(..., M_SWAP, M_WAITOK)}. The standalone debugging build of the C file (its
 * {@code main} and tracing) is not ported; {@link #blistPrint} is, with an explicit console.
 * The later fix 7bffb93ef9 (2026-02-06), which adds one node to {@code bl_rootblks} for the
 * terminator, is not taken: here blst_radix_init's count already ends at the last
 * terminator's index (the array is one node longer than that), so no node is ever written past
 * the array; {@link org.dfemu.kernel.harness.check.BlistCheck} verifies that every reachable node lies inside it.
 */
public final class SubrBlist {
    /** blist.h SWBLK_BITS: swblk_t is a signed 64-bit block number. */
    public static final int SWBLK_BITS = 64;
    /** blist.h SWAPBLK_MASK: every bit of a block number but the sign. */
    public static final long SWAPBLK_MASK = Long.MAX_VALUE;
    /** blist.h SWAPBLK_NONE (2^63): "no block", returned when an allocation fails. */
    public static final long SWAPBLK_NONE = SWAPBLK_MASK + 1;
    /** blist.h BLIST_META_RADIX: children per meta node (two bits of a 64-bit word each). */
    public static final long BLIST_META_RADIX = SWBLK_BITS / 2;
    /** blist.h BLIST_BMAP_RADIX: blocks per leaf, one bit each. */
    public static final long BLIST_BMAP_RADIX = SWBLK_BITS;
    /** blist.h BLIST_MAXBLKS: the most blocks a blist may cover (radix arithmetic cannot overflow). */
    public static final long BLIST_MAXBLKS = 0x4000000000000000L / (BLIST_BMAP_RADIX / BLIST_META_RADIX);
    /** blist.h BLIST_MAX_ALLOC: the longest run one allocation can return. */
    public static final long BLIST_MAX_ALLOC = BLIST_BMAP_RADIX;

    /** The terminator's bm_bighint: no node in this slot nor in later sibling slots. */
    private static final long TERMINATOR = -1;

    /**
     * The memory a blist lives in: {@code kmalloc(size, M_SWAP, M_WAITOK | M_ZERO)} and
     * {@code kfree(addr, M_SWAP)} in the C. The swap pager passes the kernel's kmalloc once that
     * is ported; tests carve kernel memory out of a booted kernel.
     */
    public interface Malloc {
        /**
         * Returns the kernel virtual address of {@code size} bytes of zeroed memory, contiguous in
         * KVA and 8-byte aligned. Never returns 0 (M_WAITOK: waits for memory or panics). May
         * block.
         */
        long kmalloc(long size);

        /** Frees what {@link #kmalloc} returned; {@code size} is the size asked for. May block. */
        void kfree(long addr, long size);
    }

    private final KernelMemory km;
    private final Malloc malloc;

    /** Blists over {@code km} whose memory comes from {@code malloc} (M_SWAP). No globals. */
    public SubrBlist(KernelMemory km, Malloc malloc) {
        this.km = km;
        this.malloc = malloc;
    }

    /**
     * blist_create(): allocates a blist for {@code blocks} blocks (at least 1), all of them
     * allocated. The smallest blist is a single leaf (64 blocks). Returns the blist. May block
     * (memory allocation).
     *
     * <p>PORT: {@code blocks} is checked against 1 and {@link #BLIST_MAXBLKS}; the C only
     * documents the lower bound.
     */
    public long blistCreate(long blocks) {
        Kassert.kkassert(blocks > 0 && blocks <= BLIST_MAXBLKS, "blocks > 0 && blocks <= BLIST_MAXBLKS",
                "blist_create");
        long radix = BLIST_BMAP_RADIX;
        long skip = 0;
        // The root's radix: the smallest 64 * 32^k covering blocks.
        while (radix < blocks) {
            radix *= BLIST_META_RADIX;
            skip = (skip + 1) * BLIST_META_RADIX;
            Kassert.kkassert(skip > 0, "skip > 0", "blist_create");
        }

        long bl = malloc.kmalloc(StructBlist.SIZEOF);
        Kassert.kkassert(bl != 0, "bl != NULL", "blist_create");
        StructBlist.bl_blocks(km, bl, blocks);
        StructBlist.bl_radix(km, bl, radix);
        StructBlist.bl_skip(km, bl, skip);
        // A dry run of the initialisation sizes the node array.
        long rootblks = 1 + blstRadixInit(0, radix, skip, blocks);
        StructBlist.bl_rootblks(km, bl, rootblks);
        // PORT: the C does not zero the node array; Malloc always zeroes, which changes nothing
        // since blst_radix_init writes every node a scan can reach.
        long root = malloc.kmalloc(rootblks * StructBlmeta.SIZEOF);
        Kassert.kkassert(root != 0, "bl->bl_root != NULL", "blist_create");
        StructBlist.bl_root(km, bl, root);
        blstRadixInit(root, radix, skip, blocks);
        return bl;
    }

    /** blist_destroy(): frees the node array and the header of {@code bl}. May block. */
    public void blistDestroy(long bl) {
        malloc.kfree(StructBlist.bl_root(km, bl), StructBlist.bl_rootblks(km, bl) * StructBlmeta.SIZEOF);
        malloc.kfree(bl, StructBlist.SIZEOF);
    }

    /**
     * blist_alloc(): allocates {@code count} (1 to {@link #BLIST_MAX_ALLOC}) contiguous blocks,
     * the first that fit from block 0 on, and returns the first block, or {@link #SWAPBLK_NONE} if
     * no run that long is free (or {@code bl} is 0). A run never crosses a 64-block boundary.
     * Never allocates memory; never blocks. The caller serialises calls on {@code bl}.
     */
    public long blistAlloc(long bl, long count) {
        long blk = SWAPBLK_NONE;
        if (bl != 0) {
            if (StructBlist.bl_radix(km, bl) == BLIST_BMAP_RADIX) {
                blk = blstLeafAlloc(StructBlist.bl_root(km, bl), 0, 0, count);
            } else {
                blk = blstMetaAlloc(StructBlist.bl_root(km, bl), 0, 0, count,
                        StructBlist.bl_radix(km, bl), StructBlist.bl_skip(km, bl));
            }
            if (blk != SWAPBLK_NONE) {
                StructBlist.bl_free(km, bl, StructBlist.bl_free(km, bl) - count);
            }
        }
        return blk;
    }

    /**
     * blist_allocat(): as {@link #blistAlloc}, but the search skips every subtree that ends at or
     * before {@code blkat}. The hint is coarse: the leaf holding {@code blkat} is searched whole,
     * so the result may lie below {@code blkat} within that leaf; and a blist that is a single
     * leaf ignores {@code blkat}. Returns {@link #SWAPBLK_NONE} if nothing fits from there on (the
     * swap pager then retries from 0). Never allocates memory; never blocks. The caller serialises
     * calls on {@code bl}.
     */
    public long blistAllocat(long bl, long count, long blkat) {
        long blk = SWAPBLK_NONE;
        if (bl != 0) {
            if (StructBlist.bl_radix(km, bl) == BLIST_BMAP_RADIX) {
                blk = blstLeafAlloc(StructBlist.bl_root(km, bl), blkat, 0, count);
            } else {
                blk = blstMetaAlloc(StructBlist.bl_root(km, bl), blkat, 0, count,
                        StructBlist.bl_radix(km, bl), StructBlist.bl_skip(km, bl));
            }
            if (blk != SWAPBLK_NONE) {
                StructBlist.bl_free(km, bl, StructBlist.bl_free(km, bl) - count);
            }
        }
        return blk;
    }

    /**
     * blist_free(): frees the {@code count} blocks from {@code blkno}, a range of any length
     * inside {@code [0, bl_blocks)}. Panics if one of them is already free, or if the range
     * reaches past the last leaf; the tail of the last leaf past {@code bl_blocks} is not checked,
     * as in the C ({@link org.dfemu.kernel.harness.check.BlistCheck} reports it). Does nothing if {@code bl} is 0. Never
     * allocates memory; never blocks. The caller serialises calls on {@code bl}.
     */
    public void blistFree(long bl, long blkno, long count) {
        if (bl != 0) {
            if (StructBlist.bl_radix(km, bl) == BLIST_BMAP_RADIX) {
                blstLeafFree(StructBlist.bl_root(km, bl), blkno, count);
            } else {
                blstMetaFree(StructBlist.bl_root(km, bl), blkno, count,
                        StructBlist.bl_radix(km, bl), StructBlist.bl_skip(km, bl), 0);
            }
            StructBlist.bl_free(km, bl, StructBlist.bl_free(km, bl) + count);
        }
    }

    /**
     * blist_fill(): allocates the {@code count} blocks from {@code blkno} whatever their state
     * (swapoff takes a device's blocks away this way, a stripe of at most 64 at a time) and
     * returns how many of them were free. The part of the range inside each meta node must cover
     * that node whole or fit in one child's span; ranges of at most 64 blocks and aligned whole
     * subtrees always do, others panic ("allocation too large"). Returns 0 if {@code bl} is 0.
     * Never allocates memory; never blocks. The caller serialises calls on {@code bl}.
     */
    public long blistFill(long bl, long blkno, long count) {
        if (bl != 0) {
            long filled;
            if (StructBlist.bl_radix(km, bl) == BLIST_BMAP_RADIX) {
                filled = blstLeafFill(StructBlist.bl_root(km, bl), blkno, count);
            } else {
                filled = blstMetaFill(StructBlist.bl_root(km, bl), blkno, count,
                        StructBlist.bl_radix(km, bl), StructBlist.bl_skip(km, bl), 0);
            }
            StructBlist.bl_free(km, bl, StructBlist.bl_free(km, bl) - filled);
            return filled;
        }
        return 0;
    }

    /**
     * blist_resize(): replaces the blist whose address is stored at {@code pbl} (a
     * {@code blist_t} variable in kernel memory) by a new one of {@code count} blocks holding the
     * same free blocks below {@code min(count, old size)}. Blocks past the old size are freed if
     * {@code freenew}, else left allocated. The old blist is destroyed; {@code *pbl} points to
     * the new one on return. May block (memory allocation). The caller serialises calls on the
     * blist.
     */
    public void blistResize(long pbl, long count, boolean freenew) {
        long newbl = blistCreate(count);
        long save = km.load64(pbl);

        km.store64(pbl, newbl);
        if (count > StructBlist.bl_blocks(km, save)) {
            count = StructBlist.bl_blocks(km, save);
        }
        blstCopy(StructBlist.bl_root(km, save), 0, StructBlist.bl_radix(km, save),
                StructBlist.bl_skip(km, save), newbl, count);

        // Growing: the new tail is allocated unless the caller wants it free.
        if (freenew && count < StructBlist.bl_blocks(km, newbl)) {
            blistFree(newbl, count, StructBlist.bl_blocks(km, newbl) - count);
        }
        blistDestroy(save);
    }

    /**
     * blist_print(): dumps the tree of {@code bl} to {@code kprintf}, one line per node, collapsed
     * nodes and terminators on a line of their own. Never blocks.
     *
     * <p>PORT: the C builds it only for the standalone debugging program; here it takes its
     * console, so that tests can print to the test log and the kernel to dmesg.
     */
    public void blistPrint(long bl, Consumer<String> kprintf) {
        kprintf.accept("BLIST {");
        blstRadixPrint(StructBlist.bl_root(km, bl), 0, StructBlist.bl_radix(km, bl),
                StructBlist.bl_skip(km, bl), 4, kprintf);
        kprintf.accept("}");
    }

    // Allocation support: every operation is split into a leaf case (one bitmap) and a meta case
    // (recursing over the children a range overlaps).

    /**
     * blst_leaf_alloc(): takes {@code count} consecutive free blocks out of the leaf at
     * {@code scan}, which covers blocks from {@code blk}, and returns the first, or
     * {@link #SWAPBLK_NONE} after lowering the leaf's bighint below {@code count}. One block takes
     * the lowest free bit; longer runs slide a mask from bit 0 up and take the first fit.
     * {@code blkat} is not used: a leaf is always searched whole.
     */
    private long blstLeafAlloc(long scan, long blkat, long blk, long count) {
        long orig = bmu_bitmap(km, scan);

        if (orig == 0) {
            // Nothing free: also keeps the one-block path from looking for a bit that is not there.
            bm_bighint(km, scan, 0);
            return SWAPBLK_NONE;
        }
        if (count == 1) {
            // PORT: the C finds the lowest set bit by halving a mask (32, 16, ... 1 bits);
            // numberOfTrailingZeros is the same bit.
            int r = Long.numberOfTrailingZeros(orig);
            bmu_bitmap(km, scan, bmu_bitmap(km, scan) & ~(1L << r));
            return blk + r;
        }
        if (count <= BLIST_BMAP_RADIX) {
            // Slide a count-bit mask up the word; fast for long runs, slowest for two blocks.
            int n = (int) (BLIST_BMAP_RADIX - count);
            long mask = -1L >>> n;

            for (int j = 0; j <= n; ++j) {
                if ((orig & mask) == mask) {
                    bmu_bitmap(km, scan, bmu_bitmap(km, scan) & ~mask);
                    return blk + j;
                }
                mask = mask << 1;
            }
        }

        // No run of count here: no allocation of count or more needs to look again.
        bm_bighint(km, scan, count - 1);
        return SWAPBLK_NONE;
    }

    /**
     * blst_meta_alloc(): allocates {@code count} blocks under the meta node at {@code scan}
     * (covering {@code radix} blocks from {@code blk}, {@code skip} nodes below it), in the first
     * child from {@code blkat} on whose bighint admits it. An all-free node first rewrites its
     * children as all free. On failure the node's bighint drops below {@code count}, but only if
     * the whole node was searched ({@code blk >= blkat}). Panics if {@code count} exceeds a
     * child's span ("allocation too large").
     */
    private long blstMetaAlloc(long scan, long blkat, long blk, long count, long radix, long skip) {
        boolean hintok = blk >= blkat;
        long nextSkip = skip / BLIST_META_RADIX;
        long i;

        // All allocated: nothing below is worth reading.
        if (bmu_avail(km, scan) == 0) {
            bm_bighint(km, scan, 0);
            return SWAPBLK_NONE;
        }

        if (bmu_avail(km, scan) == radix) {
            // All free: the children are stale; make them all free before descending.
            bm_bighint(km, scan, radix);

            radix /= BLIST_META_RADIX;
            for (i = 1; i <= skip; i += nextSkip) {
                long child = elem(scan, i);
                if (bm_bighint(km, child) == TERMINATOR) {
                    break;
                }
                if (nextSkip == 1) {
                    bmu_bitmap(km, child, -1L);
                    bm_bighint(km, child, BLIST_BMAP_RADIX);
                } else {
                    bm_bighint(km, child, radix);
                    bmu_avail(km, child, radix);
                }
            }
        } else {
            radix /= BLIST_META_RADIX;
        }

        for (i = 1; i <= skip; i += nextSkip) {
            long child = elem(scan, i);
            long hint = bm_bighint(km, child);
            if (count <= hint && blk + radix > blkat) {
                // The child may hold the run and ends after blkat.
                long r;
                if (nextSkip == 1) {
                    r = blstLeafAlloc(child, blkat, blk, count);
                } else {
                    r = blstMetaAlloc(child, blkat, blk, count, radix, nextSkip - 1);
                }
                if (r != SWAPBLK_NONE) {
                    long avail = bmu_avail(km, scan) - count;
                    bmu_avail(km, scan, avail);
                    if (bm_bighint(km, scan) > avail) {
                        bm_bighint(km, scan, avail);
                    }
                    return r;
                }
                // The failed child lowered its own bighint.
            } else if (hint == TERMINATOR) {
                break;
            } else if (count > radix) {
                // Would not fit in the child even if it were all free.
                throw Kassert.panic("blst_meta_alloc: allocation too large %d/%d", count, radix);
            }
            blk += radix;
        }

        // Searched and failed: lower the hint, unless part of the node lay before blkat.
        if (hintok && bm_bighint(km, scan) >= count) {
            bm_bighint(km, scan, count - 1);
        }
        return SWAPBLK_NONE;
    }

    /**
     * blst_leaf_free(): frees {@code count} blocks from block {@code blk} in the leaf at
     * {@code scan}; the range lies inside the leaf. Panics if one is already free. The leaf's
     * bighint becomes 64: too high perhaps, which costs one search.
     */
    private void blstLeafFree(long scan, long blk, long count) {
        // The range as a mask: bits n .. n + count - 1.
        int n = (int) (blk & (BLIST_BMAP_RADIX - 1));
        long mask = (-1L << n) & (-1L >>> (BLIST_BMAP_RADIX - count - n));

        if ((bmu_bitmap(km, scan) & mask) != 0) {
            throw Kassert.panic("blst_leaf_free: freeing free block");
        }
        bmu_bitmap(km, scan, bmu_bitmap(km, scan) | mask);

        // Computing the longest run would be exact; the upper bound is cheaper.
        bm_bighint(km, scan, BLIST_BMAP_RADIX);
    }

    /**
     * blst_meta_free(): frees {@code count} blocks from {@code freeBlk} under the meta node at
     * {@code scan} (covering {@code radix} blocks from {@code blk}, {@code skip} nodes below it);
     * the range lies inside the node, and may be any length. An all-allocated node first rewrites
     * its children as all allocated; a node that becomes all free collapses. Panics if more blocks
     * would be free than the node covers, or if the range reaches past the last node.
     */
    private void blstMetaFree(long scan, long freeBlk, long count, long radix, long skip, long blk) {
        long i;
        long nextSkip = skip / BLIST_META_RADIX;

        if (bmu_avail(km, scan) == 0) {
            // All allocated: the children are stale. The node ends with exactly this range free;
            // unless that is everything, rewrite the children as all allocated and descend.
            bmu_avail(km, scan, count);
            bm_bighint(km, scan, count);

            if (count != radix) {
                for (i = 1; i <= skip; i += nextSkip) {
                    long child = elem(scan, i);
                    if (bm_bighint(km, child) == TERMINATOR) {
                        break;
                    }
                    bm_bighint(km, child, 0);
                    if (nextSkip == 1) {
                        bmu_bitmap(km, child, 0);
                    } else {
                        bmu_avail(km, child, 0);
                    }
                }
            }
        } else {
            bmu_avail(km, scan, bmu_avail(km, scan) + count);
        }

        // Became all free: collapse, and show the parent a whole-node hint.
        if (bmu_avail(km, scan) == radix) {
            bm_bighint(km, scan, radix);
            return;
        }

        if (bmu_avail(km, scan) > radix) {
            throw Kassert.panic("blst_meta_free: freeing already free blocks (%d) %d/%d",
                    count, bmu_avail(km, scan), radix);
        }

        // Split the range over the children it overlaps.
        radix /= BLIST_META_RADIX;

        i = (freeBlk - blk) / radix;
        blk += i * radix;
        i = i * nextSkip + 1;

        while (i <= skip && blk < freeBlk + count) {
            long child = elem(scan, i);
            long v = blk + radix - freeBlk;
            if (v > count) {
                v = count;
            }

            // PORT: the C tests the node itself here, which is never a terminator once reached,
            // so a range past the last block would write past the node array; testing the child
            // panics instead.
            if (bm_bighint(km, child) == TERMINATOR) {
                throw Kassert.panic("blst_meta_free: freeing unexpected range");
            }

            if (nextSkip == 1) {
                blstLeafFree(child, freeBlk, v);
            } else {
                blstMetaFree(child, freeBlk, v, radix, nextSkip - 1, blk);
            }

            // A partial free cannot make the node all free (handled above), but the node's hint
            // must cover what the child can now give.
            if (bm_bighint(km, scan) < bm_bighint(km, child)) {
                bm_bighint(km, scan, bm_bighint(km, child));
            }
            count -= v;
            freeBlk += v;
            blk += radix;
            i += nextSkip;
        }
    }

    /**
     * blst_leaf_fill(): allocates the {@code count} blocks from {@code blk} in the leaf at
     * {@code scan} whatever their state and returns how many were free. The bighint stays (an
     * upper bound still).
     */
    private long blstLeafFill(long scan, long blk, long count) {
        int n = (int) (blk & (BLIST_BMAP_RADIX - 1));
        long mask = (-1L << n) & (-1L >>> (BLIST_BMAP_RADIX - count - n));

        // PORT: the C counts the bits by clearing the lowest one at a time; bitCount is that count.
        long nblks = Long.bitCount(bmu_bitmap(km, scan) & mask);

        bmu_bitmap(km, scan, bmu_bitmap(km, scan) & ~mask);
        return nblks;
    }

    /**
     * blst_meta_fill(): allocates the {@code count} blocks from {@code fillBlk} under the meta
     * node at {@code scan} (covering {@code radix} blocks from {@code blk}, {@code skip} nodes
     * below it) whatever their state and returns how many were free. Filling the whole node, or a
     * node already all allocated, just collapses it. An all-free node first rewrites its children
     * as all free. Panics if {@code count} exceeds a child's span or the range reaches past the
     * last node.
     */
    private long blstMetaFill(long scan, long fillBlk, long count, long radix, long skip, long blk) {
        long i;
        long nextSkip = skip / BLIST_META_RADIX;
        long nblks = 0;

        if (count == radix || bmu_avail(km, scan) == 0) {
            // Ends all allocated: collapse.
            nblks = bmu_avail(km, scan);
            bmu_avail(km, scan, 0);
            bm_bighint(km, scan, count);
            return nblks;
        }

        if (bmu_avail(km, scan) == radix) {
            radix /= BLIST_META_RADIX;

            // All free: the children are stale; make them all free before descending.
            for (i = 1; i <= skip; i += nextSkip) {
                long child = elem(scan, i);
                if (bm_bighint(km, child) == TERMINATOR) {
                    break;
                }
                if (nextSkip == 1) {
                    bmu_bitmap(km, child, -1L);
                    bm_bighint(km, child, BLIST_BMAP_RADIX);
                } else {
                    bm_bighint(km, child, radix);
                    bmu_avail(km, child, radix);
                }
            }
        } else {
            radix /= BLIST_META_RADIX;
        }

        if (count > radix) {
            throw Kassert.panic("blst_meta_fill: allocation too large");
        }

        i = (fillBlk - blk) / radix;
        blk += i * radix;
        i = i * nextSkip + 1;

        while (i <= skip && blk < fillBlk + count) {
            long child = elem(scan, i);
            long v = blk + radix - fillBlk;
            if (v > count) {
                v = count;
            }

            // PORT: the C tests the node itself here (never a terminator); see blst_meta_free.
            if (bm_bighint(km, child) == TERMINATOR) {
                throw Kassert.panic("blst_meta_fill: filling unexpected range");
            }

            if (nextSkip == 1) {
                nblks += blstLeafFill(child, fillBlk, v);
            } else {
                nblks += blstMetaFill(child, fillBlk, v, radix, nextSkip - 1, blk);
            }
            count -= v;
            fillBlk += v;
            blk += radix;
            i += nextSkip;
        }
        bmu_avail(km, scan, bmu_avail(km, scan) - nblks);
        return nblks;
    }

    /**
     * blst_copy(): frees in blist {@code dest} every block that is free in the subtree at
     * {@code scan} (covering {@code radix} blocks from {@code blk}, {@code skip} nodes below it),
     * looking at its first {@code count} blocks only. Those blocks must be allocated in
     * {@code dest}.
     */
    private void blstCopy(long scan, long blk, long radix, long skip, long dest, long count) {
        long nextSkip;
        long i;

        if (radix == BLIST_BMAP_RADIX) {
            // Leaf: a whole free leaf in one call, else block by block.
            long v = bmu_bitmap(km, scan);

            if (v == -1L) {
                blistFree(dest, blk, count);
            } else if (v != 0) {
                for (long j = 0; j < BLIST_BMAP_RADIX && j < count; ++j) {
                    if ((v & (1L << j)) != 0) {
                        blistFree(dest, blk + j, 1);
                    }
                }
            }
            return;
        }

        if (bmu_avail(km, scan) == 0) {
            // All allocated, as dest already is.
            return;
        }
        if (bmu_avail(km, scan) == radix) {
            // All free: free it whole in dest (as far as count goes).
            if (count < radix) {
                blistFree(dest, blk, count);
            } else {
                blistFree(dest, blk, radix);
            }
            return;
        }

        radix /= BLIST_META_RADIX;
        nextSkip = skip / BLIST_META_RADIX;

        for (i = 1; count != 0 && i <= skip; i += nextSkip) {
            long child = elem(scan, i);
            if (bm_bighint(km, child) == TERMINATOR) {
                break;
            }

            if (count >= radix) {
                blstCopy(child, blk, radix, nextSkip - 1, dest, radix);
                count -= radix;
            } else {
                blstCopy(child, blk, radix, nextSkip - 1, dest, count);
                count = 0;
            }
            blk += radix;
        }
    }

    /**
     * blst_radix_init(): with {@code scan} non-zero, initialises the subtree at {@code scan}
     * (covering {@code radix} blocks, {@code skip} nodes below the root) for {@code count} blocks:
     * every node all allocated, a terminator in the first child slot past them. With {@code scan}
     * 0, only computes. Returns the index, relative to {@code scan}, that bounds the nodes
     * written: the last terminator's index, or the slot just past a subtree that needs no
     * terminator (a leaf returns 0). The array needs that many nodes plus one.
     */
    private long blstRadixInit(long scan, long radix, long skip, long count) {
        long i;
        long nextSkip;
        long memindex = 0;

        if (radix == BLIST_BMAP_RADIX) {
            if (scan != 0) {
                bm_bighint(km, scan, 0);
                bmu_bitmap(km, scan, 0);
            }
            return memindex;
        }

        // Meta node: written all allocated; the children are visited even for a whole subtree,
        // since its size is what the dry run is for.
        if (scan != 0) {
            bm_bighint(km, scan, 0);
            bmu_avail(km, scan, 0);
        }

        radix /= BLIST_META_RADIX;
        nextSkip = skip / BLIST_META_RADIX;

        for (i = 1; i <= skip; i += nextSkip) {
            if (count >= radix) {
                // A whole child.
                memindex = i + blstRadixInit(scan != 0 ? elem(scan, i) : 0, radix, nextSkip - 1, radix);
                count -= radix;
            } else if (count > 0) {
                // The last, partial child.
                memindex = i + blstRadixInit(scan != 0 ? elem(scan, i) : 0, radix, nextSkip - 1, count);
                count = 0;
            } else {
                // Past the blocks: a terminator ends every scan of this node.
                if (scan != 0) {
                    bm_bighint(km, elem(scan, i), TERMINATOR);
                }
                break;
            }
        }
        if (memindex < i) {
            memindex = i;
        }
        return memindex;
    }

    /** blst_radix_print(): one subtree of {@link #blistPrint}, indented by {@code tab}. */
    private void blstRadixPrint(long scan, long blk, long radix, long skip, int tab, Consumer<String> kprintf) {
        String indent = " ".repeat(tab);

        if (radix == BLIST_BMAP_RADIX) {
            kprintf.accept(String.format("%s(%04x,%d): bitmap %016x big=%d", indent, blk, radix,
                    bmu_bitmap(km, scan), bm_bighint(km, scan)));
            return;
        }
        if (bmu_avail(km, scan) == 0) {
            kprintf.accept(String.format("%s(%04x,%d) ALL ALLOCATED", indent, blk, radix));
            return;
        }
        if (bmu_avail(km, scan) == radix) {
            kprintf.accept(String.format("%s(%04x,%d) ALL FREE", indent, blk, radix));
            return;
        }

        kprintf.accept(String.format("%s(%04x,%d): subtree (%d/%d) big=%d {", indent, blk, radix,
                bmu_avail(km, scan), radix, bm_bighint(km, scan)));

        long childRadix = radix / BLIST_META_RADIX;
        long nextSkip = skip / BLIST_META_RADIX;
        String childIndent = " ".repeat(tab + 4);

        for (long i = 1; i <= skip; i += nextSkip) {
            long child = elem(scan, i);
            if (bm_bighint(km, child) == TERMINATOR) {
                kprintf.accept(String.format("%s(%04x,%d): Terminator", childIndent, blk, childRadix));
                break;
            }
            blstRadixPrint(child, blk, childRadix, nextSkip - 1, tab + 4, kprintf);
            blk += childRadix;
        }

        kprintf.accept(indent + "}");
    }
}
