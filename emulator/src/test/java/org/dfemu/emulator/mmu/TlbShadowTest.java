package org.dfemu.emulator.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The TLB's per-region count of 4 KiB entries (which lets a 2 MiB insert skip reading the 512
 * small slots) must leave every lookup as it was: random inserts, invlpgs and flushes on a
 * {@link Tlb} and on a plain model that reads every slot on each 2 MiB insert, then the same
 * answers from {@link Tlb#hit}, {@link Tlb#hitLarge} and {@link Tlb#lookup} for every probed address.
 */
class TlbShadowTest {
    /** The model: the same two direct-mapped arrays, the shadow bit computed by reading all 512 small slots. */
    private static final class Model {
        final long[] small = new long[2 * Tlb.SMALL_ENTRIES];
        final long[] large = new long[2 * Tlb.LARGE_ENTRIES];
        final boolean[] shadowed = new boolean[Tlb.LARGE_ENTRIES];

        void insert(long va, long data) {
            if (TlbEntry.isLarge(data)) {
                int j = TlbEntry.slot2m(va, Tlb.LARGE_ENTRIES);
                dropSmall(va);
                long base = va & ~Pte.LARGE_MASK;
                boolean sh = false;
                for (int i = 0; i < Tlb.SMALL_ENTRIES; i++) {
                    sh |= small[2 * i] == (base | ((long) i << Pte.PAGE_SHIFT) | Pte.PAGE_MASK);
                }
                large[j] = TlbEntry.tag2m(va);
                large[j + 1] = data;
                shadowed[j / 2] = sh;
            } else {
                int i = TlbEntry.slot4k(va, Tlb.SMALL_ENTRIES);
                small[i] = TlbEntry.tag4k(va);
                small[i + 1] = data;
                dropLarge(va);
            }
        }

        void dropSmall(long va) {
            int i = TlbEntry.slot4k(va, Tlb.SMALL_ENTRIES);
            if (small[i] == TlbEntry.tag4k(va)) small[i] = 0;
        }

        void dropLarge(long va) {
            int j = TlbEntry.slot2m(va, Tlb.LARGE_ENTRIES);
            if (large[j] == TlbEntry.tag2m(va)) large[j] = 0;
        }

        void flushNonGlobal() {
            for (long[] a : new long[][] {small, large}) {
                for (int i = 0; i < a.length; i += 2) if (!TlbEntry.isGlobal(a[i + 1])) a[i] = 0;
            }
        }

        void flushAll() {
            java.util.Arrays.fill(small, 0);
            java.util.Arrays.fill(large, 0);
        }

        long hit(long va, int access) {
            int i = TlbEntry.slot4k(va, Tlb.SMALL_ENTRIES);
            if (small[i] == TlbEntry.tag4k(va)) {
                return (small[i + 1] & access) != access ? Tlb.MISS : TlbEntry.pa4k(small[i + 1], va);
            }
            return hitLarge(va, access, true);
        }

        long hitLarge(long va, int access, boolean evenShadowed) {
            int j = TlbEntry.slot2m(va, Tlb.LARGE_ENTRIES);
            if (large[j] != TlbEntry.tag2m(va) || (shadowed[j / 2] && !evenShadowed)) return Tlb.MISS;
            return (large[j + 1] & access) != access ? Tlb.MISS : TlbEntry.pa2m(large[j + 1], va);
        }
    }

    /** 2 MiB regions of the direct map, of low user addresses and of the kernel's map: the buckets they fall in overlap. */
    private static final long[] REGIONS = {
        0xFFFF_F800_0000_0000L, 0xFFFF_F800_0020_0000L, 0xFFFF_F800_0040_0000L, 0xFFFF_F800_8000_0000L,
        0x0000_0000_0040_0000L, 0x0000_0000_0060_0000L, 0x0000_0000_8000_0000L, 0x0000_0008_0000_0000L,
        0xFFFF_FFFF_8000_0000L, 0xFFFF_FFFF_8020_0000L, 0x0000_0000_0000_0000L, 0x0000_0100_0000_0000L,
    };

    private static long randomVa(SplittableRandom rnd) {
        long region = REGIONS[rnd.nextInt(REGIONS.length)];
        int page = rnd.nextInt(4) == 0 ? rnd.nextInt(512) : rnd.nextInt(6);
        return region | ((long) page << Pte.PAGE_SHIFT) | rnd.nextInt(4096);
    }

    @Test
    void everyLookupAnswersAsAFullScanOfTheSmallSlotsWould() {
        for (long seed = 1; seed <= 20; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            Tlb tlb = new Tlb();
            Model model = new Model();
            for (int step = 0; step < 4000; step++) {
                long va = randomVa(rnd);
                int op = rnd.nextInt(100);
                if (op < 45) {
                    long data = TlbEntry.make((rnd.nextLong(1L << 30)) & ~Pte.PAGE_MASK,
                            TlbEntry.W | (rnd.nextBoolean() ? TlbEntry.D : 0) | (rnd.nextBoolean() ? TlbEntry.G : 0));
                    tlb.insert(va, data);
                    model.insert(va, data);
                } else if (op < 80) {
                    long data = TlbEntry.make((rnd.nextLong(1L << 30)) & ~Pte.LARGE_MASK,
                            TlbEntry.LARGE | TlbEntry.W | TlbEntry.D | (rnd.nextInt(4) != 0 ? TlbEntry.G : 0));
                    tlb.insert(va, data);
                    model.insert(va, data);
                } else if (op < 95) {
                    tlb.invlpg(va);
                    model.dropSmall(va);
                    model.dropLarge(va);
                } else if (op < 99) {
                    tlb.flushNonGlobal();
                    model.flushNonGlobal();
                } else {
                    tlb.flushAll();
                    model.flushAll();
                }
                for (int p = 0; p < 8; p++) {
                    long probe = randomVa(rnd);
                    int access = rnd.nextBoolean() ? Access.READ : Access.WRITE;
                    String where = "seed " + seed + " step " + step + " va 0x" + Long.toHexString(probe);
                    assertEquals(model.hit(probe, access), tlb.hit(probe, access), where);
                    assertEquals(model.hitLarge(probe, access, false), tlb.hitLarge(probe, access), where);
                    assertEquals(model.hit(probe, Access.READ) != Tlb.MISS, tlb.holds(probe), where);
                }
            }
        }
    }
}
