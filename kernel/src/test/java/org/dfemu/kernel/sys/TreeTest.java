package org.dfemu.kernel.sys;

import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.machine.Vmparam;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The red-black tree over emulated memory against a TreeMap oracle (unsigned keys, as
 * vm_pindex_t), under seeded random inserts and removes, with the red-black invariants checked
 * after every operation; and RB_SCAN with removal from inside the callback.
 */
class TreeTest {
    private static final long ELEM_SIZE = 64;
    private static final long KEY = 0;        // the index field
    private static final long ENTRY = 16;     // the RB_ENTRY
    private static final int NELEM = 300;

    private PhysicalMemory ram;
    private KernelMemory km;
    private Tree.Rb rb;
    private long head;
    private long scanInfo;
    private long elems;

    @BeforeEach
    void setUp() {
        ram = new PhysicalMemory(16 << 20);
        // A linked (not booted) kernel: boot context for the scan spinlock, RAM past physfree unused.
        Kernel k = new Kernel(ram, KernelConfig.defaults());
        km = k.km();
        rb = new Tree.Rb(km, k.lwkt(), ENTRY,
                (a, b) -> Long.compareUnsigned(km.load64(a + KEY), km.load64(b + KEY)), e -> km.load64(e + KEY));
        long base = Vmparam.PHYS_TO_DMAP(Param.roundPage(k.physfree()));
        head = base;
        scanInfo = base + 64;
        elems = base + 4096;
        rb.rbInit(head);
        km.store64(head + Tree.rbh_spin$OFFSET, 0);
    }

    @AfterEach
    void tearDown() {
        ram.close();
    }

    private long elem(int i) { return elems + i * ELEM_SIZE; }

    private static long key(SplittableRandom rnd) {
        // Small range for collisions, and keys with the top bit set to exercise unsigned order.
        long k = rnd.nextLong(400);
        return rnd.nextInt(4) == 0 ? k | Long.MIN_VALUE : k;
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 7, 99, 20210528})
    void randomOperationsMatchTreeMap(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        TreeMap<Long, Long> oracle = new TreeMap<>(Long::compareUnsigned);
        List<Long> free = new ArrayList<>();
        for (int i = 0; i < NELEM; i++) {
            free.add(elem(i));
        }
        for (int step = 0; step < 3000; step++) {
            if (rnd.nextInt(100) < 60 && !free.isEmpty()) {
                long e = free.remove(rnd.nextInt(free.size()));
                long k = key(rnd);
                km.store64(e + KEY, k);
                long existing = rb.rbInsert(head, e);
                Long expected = oracle.get(k);
                assertEquals(expected == null ? 0 : expected, existing, "RB_INSERT collision result");
                if (existing == 0) {
                    oracle.put(k, e);
                } else {
                    free.add(e);
                }
            } else if (!oracle.isEmpty()) {
                List<Long> keys = new ArrayList<>(oracle.keySet());
                long k = keys.get(rnd.nextInt(keys.size()));
                long e = oracle.remove(k);
                assertEquals(e, rb.rbRemove(head, e));
                free.add(e);
            }
            long probe = key(rnd);
            Long expectedElem = oracle.get(probe);
            assertEquals(expectedElem == null ? 0 : expectedElem, rb.rbLookup(head, probe), "RB_LOOKUP");
            checkInvariants();
            assertEquals(List.copyOf(oracle.values()), inOrder(), "in-order walk");
        }
    }

    private List<Long> inOrder() {
        List<Long> out = new ArrayList<>();
        for (long e = rb.rbMin(head); e != 0; e = rb.rbNext(e)) {
            out.add(e);
        }
        List<Long> back = new ArrayList<>();
        for (long e = rb.rbMax(head); e != 0; e = rb.rbPrev(e)) {
            back.add(0, e);
        }
        assertEquals(out, back, "RB_PREV walk mirrors RB_NEXT walk");
        return out;
    }

    private long left(long e) { return km.load64(e + ENTRY); }
    private long right(long e) { return km.load64(e + ENTRY + 8); }
    private long parent(long e) { return km.load64(e + ENTRY + 16); }
    private int color(long e) { return km.load32(e + ENTRY + 24); }

    // Root black, no red node with a red child, equal black height, parent links consistent.
    private void checkInvariants() {
        long root = rb.rbRoot(head);
        if (root == 0) {
            return;
        }
        assertEquals(Tree.RB_BLACK, color(root), "root is black");
        assertEquals(0, parent(root), "root has no parent");
        blackHeight(root);
    }

    private int blackHeight(long e) {
        if (e == 0) {
            return 1;
        }
        for (long c : new long[] {left(e), right(e)}) {
            if (c != 0) {
                assertEquals(e, parent(c), "child's parent link");
                if (color(e) == Tree.RB_RED) {
                    assertEquals(Tree.RB_BLACK, color(c), "red node with a red child");
                }
            }
        }
        int l = blackHeight(left(e));
        int r = blackHeight(right(e));
        assertEquals(l, r, "black height");
        return l + (color(e) == Tree.RB_BLACK ? 1 : 0);
    }

    @Test
    void scanVisitsTheRangeInOrderWhileTheCallbackRemovesNodes() {
        TreeMap<Long, Long> oracle = new TreeMap<>();
        for (int i = 0; i < 100; i++) {
            long e = elem(i);
            km.store64(e + KEY, i * 3L);
            assertEquals(0, rb.rbInsert(head, e));
            oracle.put(i * 3L, e);
        }
        List<Long> visited = new ArrayList<>();
        // Visit keys 30..150; the callback removes the visited node and the next one in order.
        int count = rb.rbScan(head, e -> {
            long k = km.load64(e + KEY);
            return k < 30 ? -1 : k > 150 ? 1 : 0;
        }, e -> {
            visited.add(km.load64(e + KEY));
            long next = rb.rbNext(e);
            rb.rbRemove(head, e);
            oracle.remove(km.load64(e + KEY));
            if (next != 0) {
                rb.rbRemove(head, next);
                oracle.remove(km.load64(next + KEY));
            }
            return 1;
        }, scanInfo);
        List<Long> expected = new ArrayList<>();
        for (long k = 30; k <= 150; k += 6) {
            expected.add(k);
        }
        assertEquals(expected, visited);
        assertEquals(expected.size(), count);
        assertEquals(0, km.load64(head + Tree.rbh_inprog$OFFSET), "scan unlinked from rbh_inprog");
        assertEquals(List.copyOf(oracle.values()), inOrder());
        for (Map.Entry<Long, Long> en : oracle.entrySet()) {
            assertEquals(en.getValue(), rb.rbLookup(head, en.getKey()));
        }
        checkInvariants();
    }

    @Test
    void negativeCallbackStopsTheScanAndIsReturned() {
        for (int i = 0; i < 10; i++) {
            km.store64(elem(i) + KEY, i);
            rb.rbInsert(head, elem(i));
        }
        List<Long> visited = new ArrayList<>();
        int r = rb.rbScan(head, null, e -> {
            visited.add(km.load64(e + KEY));
            return visited.size() == 4 ? -7 : 0;
        }, scanInfo);
        assertEquals(-7, r);
        assertEquals(List.of(0L, 1L, 2L, 3L), visited);
        assertTrue(km.load64(head + Tree.rbh_inprog$OFFSET) == 0);
    }
}
