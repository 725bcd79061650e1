package org.dfemu.kernel.sys;

import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.KernelPanic;
import org.dfemu.kernel.machine.Vmparam;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TAILQ and LIST over emulated memory against java.util list oracles, under seeded random operations. */
class QueueTest {
    private static final long ELEM_SIZE = 48;
    private static final long FIELD = 24;       // the entry is not at offset 0, as pageq is not in general
    private static final int NELEM = 200;

    private PhysicalMemory ram;
    private KernelMemory km;
    private Queue.Tailq q;
    private long head1;
    private long head2;
    private long elems;

    @BeforeEach
    void setUp() {
        ram = new PhysicalMemory(16 << 20);
        km = new KernelMemory(ram);
        q = new Queue.Tailq(km, FIELD);
        long base = Vmparam.PHYS_TO_DMAP(1 << 20);
        head1 = base;
        head2 = base + 16;
        elems = base + 4096;
        q.tailqInit(head1);
        q.tailqInit(head2);
    }

    @AfterEach
    void tearDown() {
        ram.close();
    }

    private long elem(int i) { return elems + i * ELEM_SIZE; }

    private List<Long> walkForward(long head) {
        List<Long> out = new ArrayList<>();
        for (long e = q.tailqFirst(head); e != 0; e = q.tailqNext(e)) {
            out.add(e);
            assertTrue(out.size() <= NELEM, "list does not terminate");
        }
        return out;
    }

    private List<Long> walkBackward(long head) {
        List<Long> out = new ArrayList<>();
        for (long e = q.tailqLast(head); e != 0; e = q.tailqPrev(e)) {
            out.add(0, e);
            assertTrue(out.size() <= NELEM, "list does not terminate");
        }
        return out;
    }

    private void assertSame(List<Long> oracle, long head) {
        assertEquals(oracle, walkForward(head));
        assertEquals(oracle, walkBackward(head));
        assertEquals(oracle.isEmpty(), q.tailqEmpty(head));
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 42, 20210528})
    void randomOperationsMatchTheOracle(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Long> l1 = new ArrayList<>();
        List<Long> l2 = new ArrayList<>();
        List<Long> free = new ArrayList<>();
        for (int i = 0; i < NELEM; i++) {
            free.add(elem(i));
        }
        for (int step = 0; step < 4000; step++) {
            int op = rnd.nextInt(100);
            boolean second = rnd.nextInt(4) == 0;
            List<Long> l = second ? l2 : l1;
            long head = second ? head2 : head1;
            if (op < 20 && !free.isEmpty()) {
                long e = free.remove(rnd.nextInt(free.size()));
                q.tailqInsertHead(head, e);
                l.add(0, e);
            } else if (op < 40 && !free.isEmpty()) {
                long e = free.remove(rnd.nextInt(free.size()));
                q.tailqInsertTail(head, e);
                l.add(e);
            } else if (op < 50 && !free.isEmpty() && !l.isEmpty()) {
                long e = free.remove(rnd.nextInt(free.size()));
                int at = rnd.nextInt(l.size());
                q.tailqInsertAfter(head, l.get(at), e);
                l.add(at + 1, e);
            } else if (op < 60 && !free.isEmpty() && !l.isEmpty()) {
                long e = free.remove(rnd.nextInt(free.size()));
                int at = rnd.nextInt(l.size());
                q.tailqInsertBefore(l.get(at), e);
                l.add(at, e);
            } else if (op < 95 && !l.isEmpty()) {
                long e = l.remove(rnd.nextInt(l.size()));
                q.tailqRemove(head, e);
                free.add(e);
            } else if (op >= 95) {
                q.tailqConcat(head1, head2);
                l1.addAll(l2);
                l2.clear();
            }
            assertSame(l1, head1);
            assertSame(l2, head2);
        }
    }

    @Test
    void corruptLinksPanicLikeQueueMacroDebug() {
        q.tailqInsertTail(head1, elem(0));
        q.tailqInsertTail(head1, elem(1));
        // Break elem(1)'s back pointer: removing it must be caught by QMD_TAILQ_CHECK_PREV.
        km.store64(elem(1) + FIELD + 8, elem(5) + FIELD);
        KernelPanic p = assertThrows(KernelPanic.class, () -> q.tailqRemove(head1, elem(1)));
        assertTrue(p.getMessage().startsWith("panic: Bad link elm"), p.getMessage());
    }

    @Test
    void withoutInvariantsTheCorruptLinkGoesUnchecked() {
        Queue.Tailq plain = new Queue.Tailq(km, FIELD, false);
        plain.tailqInit(head1);
        plain.tailqInsertTail(head1, elem(0));
        plain.tailqInsertTail(head1, elem(1));
        km.store64(elem(1) + FIELD + 8, elem(5) + FIELD);
        km.store64(elem(5) + FIELD, 0x1234);
        // No QMD_TAILQ_CHECK_PREV in a kernel built without INVARIANTS: the removal goes ahead
        // and writes through the bad back pointer, as the C would.
        plain.tailqRemove(head1, elem(1));
        assertEquals(0, km.load64(elem(5) + FIELD), "elem(1)'s next (none) went where its bad tqe_prev pointed");
        Queue.List plainList = new Queue.List(km, FIELD, false);
        plainList.listInit(head2);
        plainList.listInsertHead(head2, elem(2));
        km.store64(elem(2) + FIELD + 8, head1);
        plainList.listInsertHead(head2, elem(3));   // no QMD_LIST_CHECK_HEAD
        assertEquals(elem(3), plainList.listFirst(head2));
    }

    // LIST: the same elements, the entry at the same offset; heads are 8 bytes.

    private List<Long> walkList(Queue.List l, long head) {
        List<Long> out = new ArrayList<>();
        long prevNextp = head;   // &LIST_FIRST(head)
        for (long e = l.listFirst(head); e != 0; e = l.listNext(e)) {
            assertEquals(prevNextp, km.load64(e + FIELD + 8), "le_prev points at the previous next field");
            prevNextp = e + FIELD;
            out.add(e);
            assertTrue(out.size() <= NELEM, "list does not terminate");
        }
        return out;
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 42, 20210528})
    void listRandomOperationsMatchTheOracle(long seed) {
        Queue.List l = new Queue.List(km, FIELD);
        long[] heads = {head1, head1 + 8};
        l.listInit(heads[0]);
        l.listInit(heads[1]);
        List<List<Long>> oracle = List.of(new ArrayList<>(), new ArrayList<>());
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Long> free = new ArrayList<>();
        for (int i = 0; i < NELEM; i++) {
            free.add(elem(i));
        }
        for (int step = 0; step < 4000; step++) {
            int h = rnd.nextInt(4) == 0 ? 1 : 0;
            List<Long> o = oracle.get(h);
            if (rnd.nextInt(100) < 50 && !free.isEmpty()) {
                long e = free.remove(rnd.nextInt(free.size()));
                l.listInsertHead(heads[h], e);
                o.add(0, e);
            } else if (!o.isEmpty()) {
                long e = o.remove(rnd.nextInt(o.size()));
                l.listRemove(e);
                free.add(e);
            }
            for (int k = 0; k < 2; k++) {
                assertEquals(oracle.get(k), walkList(l, heads[k]));
                assertEquals(oracle.get(k).isEmpty(), l.listEmpty(heads[k]));
            }
        }
    }

    @Test
    void listCorruptLinksPanicLikeQueueMacroDebug() {
        Queue.List l = new Queue.List(km, FIELD);
        l.listInit(head1);
        l.listInsertHead(head1, elem(0));
        l.listInsertHead(head1, elem(1));
        // Break elem(0)'s back pointer: removing it must be caught by QMD_LIST_CHECK_PREV.
        km.store64(elem(0) + FIELD + 8, elem(5) + FIELD);
        KernelPanic p = assertThrows(KernelPanic.class, () -> l.listRemove(elem(0)));
        assertTrue(p.getMessage().startsWith("panic: Bad link elm"), p.getMessage());
        // A head whose first element does not point back at it: QMD_LIST_CHECK_HEAD.
        km.store64(elem(1) + FIELD + 8, head2);
        p = assertThrows(KernelPanic.class, () -> l.listInsertHead(head1, elem(2)));
        assertTrue(p.getMessage().startsWith("panic: Bad list head"), p.getMessage());
    }
}
