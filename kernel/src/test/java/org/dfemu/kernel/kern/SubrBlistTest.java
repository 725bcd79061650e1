package org.dfemu.kernel.kern;

import org.dfemu.kernel.harness.check.BlistCheck;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.KernelPanic;
import org.dfemu.kernel.TestKernel;
import org.dfemu.kernel.harness.check.VmPageQueueCheck;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;

import static org.dfemu.kernel.kern.SubrBlist.BLIST_BMAP_RADIX;
import static org.dfemu.kernel.kern.SubrBlist.BLIST_MAX_ALLOC;
import static org.dfemu.kernel.kern.SubrBlist.BLIST_META_RADIX;
import static org.dfemu.kernel.kern.SubrBlist.SWAPBLK_NONE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * subr_blist.c against a BitSet oracle ({@link BlistOracle}), over blists in kernel memory of a
 * booted kernel, with {@link BlistCheck} after every step.
 */
class SubrBlistTest {
    private TestKernel t;
    private KernelMemory km;
    private BlistTestMalloc malloc;
    private SubrBlist sb;

    @BeforeEach
    void boot() {
        t = TestKernel.boot(64L << 20);
        km = t.kernel.km();
        malloc = new BlistTestMalloc(t.kernel);
        sb = new SubrBlist(km, malloc);
    }

    @AfterEach
    void shutdown() {
        t.close();
    }

    @Test
    void structLayoutsMatchBlistH() {
        assertEquals(16, StructBlmeta.layout().byteSize());
        assertEquals(0, StructBlmeta.bmu_avail$OFFSET);
        assertEquals(0, StructBlmeta.bmu_bitmap$OFFSET);
        assertEquals(8, StructBlmeta.bm_bighint$OFFSET);
        assertEquals(48, StructBlist.layout().byteSize());
        assertEquals(0, StructBlist.bl_blocks$OFFSET);
        assertEquals(8, StructBlist.bl_radix$OFFSET);
        assertEquals(16, StructBlist.bl_skip$OFFSET);
        assertEquals(24, StructBlist.bl_free$OFFSET);
        assertEquals(32, StructBlist.bl_root$OFFSET);
        assertEquals(40, StructBlist.bl_rootblks$OFFSET);
        assertEquals(64, BLIST_BMAP_RADIX);
        assertEquals(32, BLIST_META_RADIX);
        assertEquals(64, BLIST_MAX_ALLOC);
        assertEquals(Long.MIN_VALUE, SWAPBLK_NONE, "2^63");
    }

    /**
     * Sizes on both sides of every radix step (64, 2048, 65536, 2^21): the tree starts all
     * allocated, its node array holds every node a scan reaches (the checker's structure walk,
     * and the guard after the array after freeing and allocating every block), and every block
     * can be freed and allocated again.
     */
    @Test
    void everySizeFitsItsArrayAndCyclesAllBlocks() {
        List<Long> sizes = new ArrayList<>();
        for (long n = 1; n <= 4200; n++) {
            sizes.add(n);
        }
        for (long n : new long[] {65535, 65536, 65537, 65536 + 2048, 65536 + 2049, 100_000, 131072,
                (1L << 21) - 1, (1L << 21) + 1}) {
            sizes.add(n);
        }
        for (long n : sizes) {
            long bl = sb.blistCreate(n);
            assertEquals(n, StructBlist.bl_blocks(km, bl));
            assertEquals(0, StructBlist.bl_free(km, bl));
            assertEquals(SWAPBLK_NONE, sb.blistAlloc(bl, 1), "a new blist is all allocated");
            check(bl);

            sb.blistFree(bl, 0, n);
            assertEquals(n, StructBlist.bl_free(km, bl));
            check(bl);
            long expect = 0;
            while (n - expect >= BLIST_BMAP_RADIX) {
                assertEquals(expect, sb.blistAlloc(bl, BLIST_BMAP_RADIX), "size " + n);
                expect += BLIST_BMAP_RADIX;
            }
            long blk;
            while ((blk = sb.blistAlloc(bl, 1)) != SWAPBLK_NONE) {
                assertEquals(expect++, blk, "size " + n + ": the lowest free block first");
            }
            assertEquals(n, expect, "every block allocated once");
            assertEquals(0, StructBlist.bl_free(km, bl));
            check(bl);
            sb.blistDestroy(bl);
        }
        assertEquals(0, malloc.liveBlocks());
        VmPageQueueCheck.assertConsistent(t.kernel);
    }

    /**
     * Seeded random alloc/allocat/free/fill against the oracle: every allocation is exactly the
     * oracle's first fit (so never overlaps a live range, and fails only when no leaf holds a run
     * that long), every fill reports the oracle's count, and after every step the checker passes
     * and bl_free matches. Allocation, free and fill never call the memory allocator.
     */
    @ParameterizedTest(name = "{0} blocks, seed {1}")
    @CsvSource({
        "1, 1", "37, 2", "64, 3", "65, 4", "100, 5", "2048, 6", "2049, 7", "5000, 8",
        "65536, 9", "70000, 10", "5000, 11", "2049, 12", "300, 13", "4096, 14", "131072, 15"
    })
    void randomOperationsMatchTheOracle(long blocks, long seed) {
        long bl = sb.blistCreate(blocks);
        Driver d = new Driver(bl, blocks, new SplittableRandom(seed));
        long kmallocs = malloc.kmallocs;
        long kfrees = malloc.kfrees;
        d.swapon();
        for (int step = 0; step < 3000; step++) {
            d.step();
        }
        assertEquals(kmallocs, malloc.kmallocs, "alloc/free/fill allocated memory");
        assertEquals(kfrees, malloc.kfrees, "alloc/free/fill freed memory");
        assertTrue(d.allocs > 0 && d.allocFails > 0 && d.frees > 0 && d.fills > 0,
                "mix: " + d.allocs + " allocs, " + d.allocFails + " failed, " + d.frees + " frees, " + d.fills + " fills");
        malloc.checkGuards();
        sb.blistDestroy(bl);
        assertEquals(0, malloc.liveBlocks());
    }

    /**
     * blist_allocat's hint is as coarse as the C's: subtrees ending at or before blkat are
     * skipped, the leaf holding blkat is searched whole, and a single-leaf blist ignores it; when
     * nothing is free from blkat on it fails, and the swap pager's retry from 0 succeeds. A failed
     * search that started inside a node leaves that node's hint alone.
     */
    @Test
    void allocatStartsAtTheLeafHoldingItsHint() {
        long bl = sb.blistCreate(10_000);
        BlistOracle o = new BlistOracle(10_000);
        sb.blistFree(bl, 0, 10_000);
        o.free(0, 10_000);

        assertEquals(4992, sb.blistAllocat(bl, 1, 5000), "first free block of the leaf holding 5000");
        o.alloc(4992, 1);
        assertEquals(4993, sb.blistAllocat(bl, 4, 5050), "4993..4996 lie in the leaf of 5050");
        o.alloc(4993, 4);
        assertEquals(5056, sb.blistAllocat(bl, 64, 5000), "a whole leaf: the next one");
        o.alloc(5056, 64);
        assertEquals(9984, sb.blistAllocat(bl, 16, 9999), "the last leaf, all 16 of its blocks");
        o.alloc(9984, 16);
        assertEquals(SWAPBLK_NONE, sb.blistAllocat(bl, 1, 9999), "nothing from the last leaf on");
        assertEquals(SWAPBLK_NONE, sb.blistAllocat(bl, 1, 20_000), "a hint past the end");
        assertEquals(0, sb.blistAllocat(bl, 1, 0), "the retry from 0");
        o.alloc(0, 1);
        check(bl);
        assertSameFree(o, bl);

        // Everything allocated but 32 blocks at 2064, in the node spanning 2048..4095. A search
        // for 16 from 3000 covers only part of that node and fails; it must leave the node's
        // hint alone, or the search from 0 would skip the node.
        for (long b = 0; b < 10_000; b += 64) {
            long n = Math.min(64, 10_000 - b);
            sb.blistFill(bl, b, n);
            o.fill(b, n);
        }
        sb.blistFree(bl, 2064, 32);
        o.free(2064, 32);
        check(bl);
        assertEquals(SWAPBLK_NONE, sb.blistAllocat(bl, 16, 3000));
        check(bl);
        assertEquals(2064, sb.blistAlloc(bl, 16));
        o.alloc(2064, 16);
        assertEquals(2080, sb.blistAllocat(bl, 16, 2100), "the leaf holding 2100 is searched whole");
        o.alloc(2080, 16);
        check(bl);
        assertSameFree(o, bl);

        long leaf = sb.blistCreate(50);
        sb.blistFree(leaf, 0, 50);
        assertEquals(0, sb.blistAllocat(leaf, 1, 40), "a single leaf ignores blkat");
        assertEquals(SWAPBLK_NONE, sb.blistAllocat(leaf, 50, 0), "49 left");
        assertEquals(1, sb.blistAllocat(leaf, 49, 1000));
        check(leaf);
    }

    /** A full blist returns SWAPBLK_NONE for every size and accepts allocations again after a free. */
    @Test
    void fullBlistReturnsNone() {
        long n = 3 * 2048 + 100;
        long bl = sb.blistCreate(n);
        sb.blistFree(bl, 0, n);
        long taken = 0;
        while (sb.blistAlloc(bl, 32) != SWAPBLK_NONE) {
            taken += 32;
        }
        // 100 = 3 * 32 + 4: four blocks are left in the last leaf.
        assertEquals(n - 4, taken);
        while (sb.blistAlloc(bl, 1) != SWAPBLK_NONE) {
            taken++;
        }
        assertEquals(n, taken);
        for (long count = 1; count <= BLIST_MAX_ALLOC; count++) {
            assertEquals(SWAPBLK_NONE, sb.blistAlloc(bl, count));
            assertEquals(SWAPBLK_NONE, sb.blistAllocat(bl, count, count * 97));
        }
        assertEquals(0, StructBlist.bl_free(km, bl));
        check(bl);
        sb.blistFree(bl, 4321, 3);
        assertEquals(SWAPBLK_NONE, sb.blistAlloc(bl, 4));
        assertEquals(4321, sb.blistAlloc(bl, 3));
        assertEquals(SWAPBLK_NONE, sb.blistAlloc(bl, 1));
        check(bl);
    }

    /** Filling a whole tree collapses its root and reports the blocks that were free. */
    @Test
    void fillingTheWholeTreeCollapsesIt() {
        long bl = sb.blistCreate(2048);
        sb.blistFree(bl, 100, 100);
        sb.blistFree(bl, 1000, 3);
        assertEquals(103, sb.blistFill(bl, 0, 2048));
        assertEquals(0, StructBlist.bl_free(km, bl));
        assertEquals(0, StructBlmeta.bmu_avail(km, StructBlist.bl_root(km, bl)));
        check(bl);
        assertEquals(SWAPBLK_NONE, sb.blistAlloc(bl, 1));
        sb.blistFree(bl, 0, 2048);
        assertEquals(2048, StructBlmeta.bmu_avail(km, StructBlist.bl_root(km, bl)), "all free: collapsed");
        check(bl);
        assertEquals(0, sb.blistAlloc(bl, 64));
        check(bl);
    }

    /**
     * blist_resize keeps every allocation below the smaller size, frees the new tail only when
     * asked, updates the blist_t variable in kernel memory and frees the old tree.
     */
    @ParameterizedTest(name = "{0} -> {1}, freenew {2}")
    @CsvSource({
        "2000, 70000, true", "2000, 70000, false", "70000, 3000, true", "5000, 5000, true",
        "100, 64, true", "64, 5000, true", "3000, 1, false"
    })
    void resizeKeepsAllocations(long from, long to, boolean freenew) {
        long bl = sb.blistCreate(from);
        Driver d = new Driver(bl, from, new SplittableRandom(from * 31 + to));
        d.swapon();
        for (int step = 0; step < 800; step++) {
            d.step();
        }
        long pbl = malloc.kmalloc(8);
        km.store64(pbl, bl);
        int live = malloc.liveBlocks();

        sb.blistResize(pbl, to, freenew);
        long nbl = km.load64(pbl);
        assertEquals(to, StructBlist.bl_blocks(km, nbl));
        assertEquals(live, malloc.liveBlocks(), "the old header and array were freed");
        BlistOracle o = new BlistOracle(to);
        long keep = Math.min(from, to);
        for (int b = d.oracle.free.nextSetBit(0); b >= 0 && b < keep; b = d.oracle.free.nextSetBit(b + 1)) {
            o.free(b, 1);
        }
        if (freenew && to > from) {
            o.free(from, to - from);
        }
        check(nbl);
        assertSameFree(o, nbl);

        Driver after = new Driver(nbl, o, new SplittableRandom(to));
        for (int step = 0; step < 400; step++) {
            after.step();
        }
        malloc.checkGuards();
    }

    @Test
    void freeingFreeBlocksPanics() {
        long leaf = sb.blistCreate(64);
        sb.blistFree(leaf, 10, 5);
        KernelPanic p = assertThrows(KernelPanic.class, () -> sb.blistFree(leaf, 14, 2));
        assertEquals("blst_leaf_free: freeing free block", p.panicString());

        long bl = sb.blistCreate(65536);
        sb.blistFree(bl, 0, 2048);
        p = assertThrows(KernelPanic.class, () -> sb.blistFree(bl, 0, 2048));
        assertTrue(p.panicString().startsWith("blst_meta_free: freeing already free blocks"), p.panicString());
    }

    @Test
    void oversizedRequestsAreRefusedAsInTheC() {
        long bl = sb.blistCreate(5000);
        sb.blistFree(bl, 0, 5000);
        KernelPanic p = assertThrows(KernelPanic.class, () -> sb.blistAlloc(bl, BLIST_MAX_ALLOC + 1));
        assertEquals("blst_meta_alloc: allocation too large 65/64", p.panicString());
        p = assertThrows(KernelPanic.class, () -> sb.blistFill(bl, 0, 2049));
        assertEquals("blst_meta_fill: allocation too large", p.panicString());

        long leaf = sb.blistCreate(64);
        sb.blistFree(leaf, 0, 64);
        assertEquals(SWAPBLK_NONE, sb.blistAlloc(leaf, 65), "a single leaf just fails");
        assertEquals(0, sb.blistAlloc(leaf, 64));
    }

    /** A range past the last block panics instead of writing past the node array (PORT note). */
    @Test
    void freeingPastTheLastLeafPanics() {
        long bl = sb.blistCreate(2049);
        KernelPanic p = assertThrows(KernelPanic.class, () -> sb.blistFree(bl, 2048 + 64, 1));
        assertEquals("blst_meta_free: freeing unexpected range", p.panicString());
        long bl2 = sb.blistCreate(2049);
        sb.blistFree(bl2, 0, 2049);
        p = assertThrows(KernelPanic.class, () -> sb.blistFill(bl2, 2048 + 64, 1));
        assertEquals("blst_meta_fill: filling unexpected range", p.panicString());
    }

    @Test
    void checkerReportsCorruption() {
        long bl = sb.blistCreate(5000);
        sb.blistFree(bl, 0, 5000);
        assertEquals(0, sb.blistAlloc(bl, 7));
        check(bl);
        long root = StructBlist.bl_root(km, bl);

        StructBlist.bl_free(km, bl, 4000);
        assertTrue(BlistCheck.check(km, bl).stream().anyMatch(e -> e.startsWith("bl_free 4000")), BlistCheck.check(km, bl).toString());
        StructBlist.bl_free(km, bl, 5000 - 7);
        check(bl);

        // Node 2 is the first leaf (root, meta child 0, its leaf 0): 57 free, a run of 57.
        long leaf0 = StructBlmeta.elem(root, 2);
        StructBlmeta.bm_bighint(km, leaf0, 56);
        assertTrue(BlistCheck.check(km, bl).stream().anyMatch(e -> e.contains("bm_bighint 56 below a free run of 57")),
                BlistCheck.check(km, bl).toString());
        StructBlmeta.bm_bighint(km, leaf0, 64);
        check(bl);

        // The last leaf covers 4992..5055: blocks 5000.. must stay allocated.
        List<Long> leaves = new ArrayList<>();
        BlistCheck.forEachFreeRun(km, bl, (b, c) -> leaves.add(b + c));
        assertEquals(List.of(5000L), leaves);
        long lastLeaf = findLeaf(bl, 4992);
        StructBlmeta.bmu_bitmap(km, lastLeaf, StructBlmeta.bmu_bitmap(km, lastLeaf) | (1L << 8));
        StructBlist.bl_free(km, bl, StructBlist.bl_free(km, bl) + 1);
        assertTrue(BlistCheck.check(km, bl).stream().anyMatch(e -> e.contains("past bl_blocks")), BlistCheck.check(km, bl).toString());
        KernelPanic p = assertThrows(KernelPanic.class, () -> BlistCheck.assertConsistent(km, bl));
        assertTrue(p.panicString().startsWith("blist inconsistent: "), p.panicString());
    }

    @Test
    void printShowsCollapsedNodesAndTerminators() {
        long bl = sb.blistCreate(5000);
        sb.blistFree(bl, 2048, 2048);
        sb.blistFree(bl, 4096, 10);
        List<String> out = new ArrayList<>();
        sb.blistPrint(bl, out::add);
        assertEquals("BLIST {", out.get(0));
        assertEquals("}", out.get(out.size() - 1));
        assertTrue(out.contains("    (0000,65536): subtree (2058/65536) big=2048 {"), out.toString());
        assertTrue(out.contains("        (0000,2048) ALL ALLOCATED"), out.toString());
        assertTrue(out.contains("        (0800,2048) ALL FREE"), out.toString());
        assertTrue(out.contains("            (1000,64): bitmap 00000000000003ff big=64"), out.toString());
        assertTrue(out.contains("            (1380,64): bitmap 0000000000000000 big=0"), out.toString());
        assertTrue(out.contains("            (13c0,64): Terminator"), out.toString());
        assertTrue(out.contains("        (1800,2048): Terminator"), out.toString());
    }

    // --- helpers ---

    private void check(long bl) {
        BlistCheck.assertConsistent(km, bl);
    }

    /** Compares the blist's free blocks, run by run, with the oracle's. */
    private void assertSameFree(BlistOracle o, long bl) {
        BitSet got = new BitSet();
        BlistCheck.forEachFreeRun(km, bl, (b, c) -> got.set((int) b, (int) (b + c)));
        assertEquals(o.free, got);
        assertEquals(o.freeCount(), StructBlist.bl_free(km, bl));
    }

    /** The leaf node covering block {@code blk}, descending by the layout rule. */
    private long findLeaf(long bl, long blk) {
        long scan = StructBlist.bl_root(km, bl);
        long radix = StructBlist.bl_radix(km, bl);
        long skip = StructBlist.bl_skip(km, bl);
        long base = 0;
        while (radix > BLIST_BMAP_RADIX) {
            radix /= BLIST_META_RADIX;
            long nextSkip = skip / BLIST_META_RADIX;
            long i = (blk - base) / radix;
            scan = StructBlmeta.elem(scan, 1 + i * nextSkip);
            base += i * radix;
            skip = nextSkip - 1;
        }
        return scan;
    }

    /** Seeded random operations on one blist, each checked against the oracle. */
    private final class Driver {
        final long bl;
        final BlistOracle oracle;
        final long blocks;
        final SplittableRandom rnd;
        /** The swap pager's swapiterator: where the next allocat starts. */
        long iterator;
        int allocs;
        int allocFails;
        int frees;
        int fills;
        int steps;

        Driver(long bl, long blocks, SplittableRandom rnd) {
            this(bl, new BlistOracle(blocks), rnd);
        }

        Driver(long bl, BlistOracle oracle, SplittableRandom rnd) {
            this.bl = bl;
            this.oracle = oracle;
            this.blocks = oracle.blocks;
            this.rnd = rnd;
        }

        /** swapon's pattern: every 64-block stripe free but the first. */
        void swapon() {
            long first = blocks > BLIST_BMAP_RADIX ? BLIST_BMAP_RADIX : 0;
            for (long b = first; b < blocks; b += BLIST_BMAP_RADIX) {
                long n = Math.min(BLIST_BMAP_RADIX, blocks - b);
                sb.blistFree(bl, b, n);
                oracle.free(b, n);
            }
            verify(true);
        }

        void step() {
            // Steps 1000..1499 of every 1500 free nothing and fill whole subtrees, so that even a
            // large blist runs full and allocations fail.
            boolean pressure = steps % 1500 >= 1000;
            int op = pressure ? (rnd.nextInt(4) == 0 ? 99 : rnd.nextInt(50)) : rnd.nextInt(100);
            if (op < 30) {
                alloc(count(), 0, false);
            } else if (op < 45) {
                getswapspace(count());
            } else if (op < 50) {
                alloc(count(), rnd.nextLong(blocks + 100), true);
            } else if (op < 80) {
                free(1 + rnd.nextInt(rnd.nextInt(8) == 0 ? 400 : 70));
            } else if (op < 92) {
                fill();
            } else if (op < 97) {
                free(1 + rnd.nextInt(3000));
            } else {
                fillChild();
            }
            steps++;
            // The full comparison walks every free run; do it often on small blists.
            verify(blocks <= 5000 || steps % 50 == 0);
        }

        /**
         * swp_pager_getswapspace(): from the iterator, then from 0. The 2021 swap pager leaves
         * its iterator at 0 (advancing it "doesn't work well"); here it follows the last
         * allocation, so that blkat is exercised the way the pager meant to.
         */
        private void getswapspace(long count) {
            long blk = alloc(count, iterator, true);
            if (blk == SWAPBLK_NONE) {
                blk = alloc(count, 0, true);
            }
            if (blk != SWAPBLK_NONE) {
                iterator = blk + count;
            }
        }

        /** Mostly the swap pager's powers of two, sometimes any size up to 64. */
        private long count() {
            return rnd.nextInt(4) == 0 ? 1 + rnd.nextInt((int) BLIST_MAX_ALLOC) : 1L << rnd.nextInt(7);
        }

        /** blist_alloc, or blist_allocat from {@code blkat} if {@code at}; returns the block. */
        private long alloc(long count, long blkat, boolean at) {
            long blk;
            long expect;
            if (at) {
                boolean singleLeaf = StructBlist.bl_radix(km, bl) == BLIST_BMAP_RADIX;
                blk = sb.blistAllocat(bl, count, blkat);
                expect = oracle.expectAlloc(count, singleLeaf ? 0 : blkat / BLIST_BMAP_RADIX);
            } else {
                blk = sb.blistAlloc(bl, count);
                expect = oracle.expectAlloc(count, 0);
            }
            assertEquals(expect, blk, () -> "alloc " + count + (at ? " at " + blkat : ""));
            if (blk == SWAPBLK_NONE) {
                allocFails++;
                return blk;
            }
            assertTrue(oracle.allFree(blk, count), "overlaps a live range");
            assertEquals(blk / BLIST_BMAP_RADIX, (blk + count - 1) / BLIST_BMAP_RADIX, "crosses a leaf");
            assertTrue(blk + count <= blocks);
            oracle.alloc(blk, count);
            allocs++;
            return blk;
        }

        /** Frees up to {@code max} allocated blocks from a random allocated block on. */
        private void free(long max) {
            int start = oracle.free.nextClearBit((int) rnd.nextLong(blocks));
            if (start >= blocks) {
                start = oracle.free.nextClearBit(0);
                if (start >= blocks) {
                    return;
                }
            }
            long end = Math.min(Math.min(oracle.free.nextSetBit(start) < 0 ? blocks : oracle.free.nextSetBit(start),
                    blocks), start + max);
            long count = end - start;
            sb.blistFree(bl, start, count);
            oracle.free(start, count);
            frees++;
        }

        private void fill() {
            long blk = rnd.nextLong(blocks);
            long count = 1 + rnd.nextLong(Math.min(BLIST_MAX_ALLOC, blocks - blk));
            assertEquals(oracle.fill(blk, count), sb.blistFill(bl, blk, count), "fill " + blk + "+" + count);
            fills++;
        }

        /** Fills one whole child of the root (swapoff-sized), collapsing it; a small fill if none fits. */
        private void fillChild() {
            long childRadix = StructBlist.bl_radix(km, bl) / BLIST_META_RADIX;
            long whole = childRadix == 0 ? 0 : blocks / childRadix;
            if (whole == 0) {
                fill();
                return;
            }
            long blk = rnd.nextLong(whole) * childRadix;
            assertEquals(oracle.fill(blk, childRadix), sb.blistFill(bl, blk, childRadix), "fill " + blk + "+" + childRadix);
            fills++;
        }

        private void verify(boolean full) {
            check(bl);
            assertEquals(oracle.freeCount(), StructBlist.bl_free(km, bl));
            if (full) {
                assertSameFree(oracle, bl);
            }
        }
    }
}
