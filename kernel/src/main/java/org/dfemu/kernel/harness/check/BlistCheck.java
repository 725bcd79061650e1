package org.dfemu.kernel.harness.check;

import org.dfemu.kernel.kern.StructBlist;
import org.dfemu.kernel.kern.StructBlmeta;
import org.dfemu.kernel.kern.SubrBlist;

import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.KernelMemory;

import java.util.ArrayList;
import java.util.List;

import static org.dfemu.kernel.kern.SubrBlist.BLIST_BMAP_RADIX;
import static org.dfemu.kernel.kern.SubrBlist.BLIST_META_RADIX;

/**
 * (dfemu only) An invariant checker for a blist ({@link SubrBlist}). Not a port of C code; tests
 * and simulations call it between blist operations (the blist's owner serialises them, so no
 * operation is in progress).
 *
 * <p>It walks the node array twice over: the structure (every child slot up to a terminator,
 * collapsed or not) and the contents (stopping at collapsed nodes, whose subtrees are stale).
 * Checked:
 * <ol>
 * <li>the header: {@code bl_radix} is the smallest 64 * 32^k covering {@code bl_blocks} and
 *     {@code bl_skip} matches it;</li>
 * <li>every node a scan can reach lies inside the array ({@code index < bl_rootblks}), and the
 *     leaves reached are exactly the {@code ceil(bl_blocks / 64)} the blocks need;</li>
 * <li>{@code bl_free} equals the free blocks in the tree, counting a collapsed all-free node as
 *     its whole radix;</li>
 * <li>every live meta node has {@code 0 <= bmu_avail <= radix} and {@code bmu_avail} equals the
 *     free blocks of its children;</li>
 * <li>no block at or past {@code bl_blocks} is free (not in a leaf, not under an all-free
 *     node);</li>
 * <li>bighint is never too low: every live node's {@code bm_bighint} is at least the longest
 *     free run an allocation could take under it (the longest run of free blocks inside one
 *     leaf, since no allocation crosses a leaf), so no allocation that could succeed is ever
 *     steered away.</li>
 * </ol>
 */
public final class BlistCheck {
    private BlistCheck() {}

    /** Receives the free runs of a blist, in ascending order, adjacent runs merged. */
    @FunctionalInterface
    public interface FreeRun {
        void run(long blk, long count);
    }

    /** Runs every check on {@code bl} and returns the violations found (empty if consistent). */
    public static List<String> check(KernelMemory km, long bl) {
        List<String> errors = new ArrayList<>();
        long blocks = StructBlist.bl_blocks(km, bl);
        long radix = StructBlist.bl_radix(km, bl);
        long skip = StructBlist.bl_skip(km, bl);
        long expectRadix = BLIST_BMAP_RADIX;
        long expectSkip = 0;
        while (expectRadix < blocks) {
            expectRadix *= BLIST_META_RADIX;
            expectSkip = (expectSkip + 1) * BLIST_META_RADIX;
        }
        if (blocks <= 0 || radix != expectRadix || skip != expectSkip) {
            errors.add(String.format("header: bl_blocks %d bl_radix %d bl_skip %d, expected radix %d skip %d",
                    blocks, radix, skip, expectRadix, expectSkip));
            return errors;
        }
        Walk w = new Walk(km, StructBlist.bl_root(km, bl), StructBlist.bl_rootblks(km, bl), blocks, errors);
        long free = w.node(0, 0, radix, skip, State.LIVE);
        long expectLeaves = (blocks + BLIST_BMAP_RADIX - 1) / BLIST_BMAP_RADIX;
        if (w.leaves != expectLeaves) {
            errors.add(String.format("%d leaves reachable, %d blocks need %d", w.leaves, blocks, expectLeaves));
        }
        if (StructBlist.bl_free(km, bl) != free) {
            errors.add(String.format("bl_free %d, tree holds %d free blocks", StructBlist.bl_free(km, bl), free));
        }
        return errors;
    }

    /** Runs {@link #check} and panics with the first violations if any. */
    public static void assertConsistent(KernelMemory km, long bl) {
        List<String> errors = check(km, bl);
        if (!errors.isEmpty()) {
            throw Kassert.panic("blist inconsistent: %s%s", String.join("; ",
                    errors.subList(0, Math.min(5, errors.size()))), errors.size() > 5 ? "; ..." : "");
        }
    }

    /**
     * Reports the free blocks of {@code bl} as runs, ascending, adjacent runs merged (a collapsed
     * all-free node counts whole). Reads only; call it on a blist that {@link #check} accepts.
     */
    public static void forEachFreeRun(KernelMemory km, long bl, FreeRun out) {
        long[] pending = {0, 0};  // start and length of the run being built
        FreeRun merge = (blk, count) -> {
            if (pending[1] != 0 && pending[0] + pending[1] == blk) {
                pending[1] += count;
            } else {
                if (pending[1] != 0) {
                    out.run(pending[0], pending[1]);
                }
                pending[0] = blk;
                pending[1] = count;
            }
        };
        freeRuns(km, StructBlist.bl_root(km, bl), 0, StructBlist.bl_radix(km, bl), StructBlist.bl_skip(km, bl), merge);
        if (pending[1] != 0) {
            out.run(pending[0], pending[1]);
        }
    }

    private static void freeRuns(KernelMemory km, long scan, long blk, long radix, long skip, FreeRun out) {
        if (radix == BLIST_BMAP_RADIX) {
            long bitmap = StructBlmeta.bmu_bitmap(km, scan);
            while (bitmap != 0) {
                int start = Long.numberOfTrailingZeros(bitmap);
                int len = Long.numberOfTrailingZeros(~(bitmap >>> start));
                out.run(blk + start, len);
                bitmap &= start + len == 64 ? 0 : -1L << (start + len);
            }
            return;
        }
        long avail = StructBlmeta.bmu_avail(km, scan);
        if (avail == 0) {
            return;
        }
        if (avail == radix) {
            out.run(blk, radix);
            return;
        }
        long childRadix = radix / BLIST_META_RADIX;
        long nextSkip = skip / BLIST_META_RADIX;
        for (long i = 1; i <= skip; i += nextSkip) {
            long child = StructBlmeta.elem(scan, i);
            if (StructBlmeta.bm_bighint(km, child) == -1) {
                break;
            }
            freeRuns(km, child, blk, childRadix, nextSkip - 1, out);
            blk += childRadix;
        }
    }

    /** How a node's contents are to be read: its own, or implied by a collapsed ancestor. */
    private enum State { LIVE, ALL_FREE, ALL_ALLOCATED }

    private static final class Walk {
        private final KernelMemory km;
        private final long root;
        private final long rootblks;
        private final long blocks;
        private final List<String> errors;
        long leaves;
        /** Longest free run inside one leaf under the node last returned from {@link #node}. */
        private long maxRun;

        Walk(KernelMemory km, long root, long rootblks, long blocks, List<String> errors) {
            this.km = km;
            this.root = root;
            this.rootblks = rootblks;
            this.blocks = blocks;
            this.errors = errors;
        }

        /**
         * Checks the subtree at node {@code idx} (covering {@code radix} blocks from {@code blk})
         * and returns its free blocks; sets {@link #maxRun}.
         */
        long node(long idx, long blk, long radix, long skip, State state) {
            if (idx >= rootblks) {
                errors.add(String.format("node %d (blocks %d+%d) lies past the array of %d", idx, blk, radix, rootblks));
                maxRun = 0;
                return 0;
            }
            long scan = StructBlmeta.elem(root, idx);
            long hint = StructBlmeta.bm_bighint(km, scan);
            if (radix == BLIST_BMAP_RADIX) {
                leaves++;
                return leaf(idx, scan, blk, hint, state);
            }

            long avail = StructBlmeta.bmu_avail(km, scan);
            State childState = state;
            if (state == State.LIVE) {
                if (avail < 0 || avail > radix) {
                    errors.add(String.format("node %d (blocks %d+%d): bmu_avail %d", idx, blk, radix, avail));
                }
                if (avail == 0) {
                    childState = State.ALL_ALLOCATED;
                } else if (avail == radix) {
                    childState = State.ALL_FREE;
                    if (blk + radix > blocks) {
                        errors.add(String.format("node %d (blocks %d+%d) all free past bl_blocks %d", idx, blk, radix, blocks));
                    }
                }
            }

            long childRadix = radix / BLIST_META_RADIX;
            long nextSkip = skip / BLIST_META_RADIX;
            long free = 0;
            long run = 0;
            long childBlk = blk;
            for (long i = 1; i <= skip; i += nextSkip) {
                long childIdx = idx + i;
                if (childIdx >= rootblks) {
                    errors.add(String.format("child slot %d of node %d lies past the array of %d", childIdx, idx, rootblks));
                    break;
                }
                if (StructBlmeta.bm_bighint(km, StructBlmeta.elem(root, childIdx)) == -1) {
                    break;
                }
                free += node(childIdx, childBlk, childRadix, nextSkip - 1, childState);
                run = Math.max(run, maxRun);
                childBlk += childRadix;
            }

            if (state != State.LIVE) {
                maxRun = run;
                return free;
            }
            if (childState == State.ALL_FREE) {
                free = radix;
                run = BLIST_BMAP_RADIX;
            } else if (childState == State.LIVE && free != avail) {
                errors.add(String.format("node %d (blocks %d+%d): bmu_avail %d, children hold %d free",
                        idx, blk, radix, avail, free));
            }
            if (childState == State.ALL_ALLOCATED) {
                free = 0;
                run = 0;
            }
            if (hint < run) {
                errors.add(String.format("node %d (blocks %d+%d): bm_bighint %d below a free run of %d",
                        idx, blk, radix, hint, run));
            }
            maxRun = run;
            return free;
        }

        private long leaf(long idx, long scan, long blk, long hint, State state) {
            if (state == State.ALL_ALLOCATED) {
                maxRun = 0;
                return 0;
            }
            if (state == State.ALL_FREE) {
                maxRun = BLIST_BMAP_RADIX;
                return BLIST_BMAP_RADIX;
            }
            long bitmap = StructBlmeta.bmu_bitmap(km, scan);
            if (blk + BLIST_BMAP_RADIX > blocks) {
                long beyond = -1L << (blocks - blk);
                if ((bitmap & beyond) != 0) {
                    errors.add(String.format("leaf %d (blocks %d+64): bitmap %016x frees blocks past bl_blocks %d",
                            idx, blk, bitmap, blocks));
                }
            }
            long run = 0;
            for (long x = bitmap; x != 0; x &= x >>> 1) {
                run++;
            }
            if (hint < run) {
                errors.add(String.format("leaf %d (blocks %d+64): bm_bighint %d below a free run of %d",
                        idx, blk, hint, run));
            }
            maxRun = run;
            return Long.bitCount(bitmap);
        }
    }
}
