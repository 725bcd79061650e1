package org.dfemu.kernel.sys;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.KernelMemory;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * Intrusive lists over emulated memory: DragonFly's sys/sys/queue.h at commit 737b020b54
 * (2021-05-28). The tail queue ({@link Tailq}), the list ({@link List}) and the singly-linked list
 * ({@link Slist}) are ported; the other list kinds join as nested classes when a ported file
 * needs them.
 *
 * <p>The C macros take the entry field's name; here a {@link Tailq} or {@link List} descriptor is
 * built once per (element type, entry field) with the field's byte offset, and its methods are the
 * macros: {@code TAILQ_INSERT_HEAD(head, elm, field)} is {@code q.tailqInsertHead(head, elm)}.
 * Heads and elements are kernel addresses; NULL is 0.
 */
public final class Queue {
    private Queue() {}

    /** {@code TAILQ_HEAD(name, type)}: first element, address of the last element's next field. */
    public static final StructLayout TAILQ_HEAD = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_POINTER.withName("tqh_first"),
            C_POINTER.withName("tqh_last")).withName("tailq_head"), 16);

    /** {@code TAILQ_ENTRY(type)}: next element, address of the previous element's next field. */
    public static final StructLayout TAILQ_ENTRY = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_POINTER.withName("tqe_next"),
            C_POINTER.withName("tqe_prev")).withName("tailq_entry"), 16);

    /** {@code LIST_HEAD(name, type)}: first element. */
    public static final StructLayout LIST_HEAD = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_POINTER.withName("lh_first")).withName("list_head"), 8);

    /** {@code LIST_ENTRY(type)}: next element, address of the previous element's next field. */
    public static final StructLayout LIST_ENTRY = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_POINTER.withName("le_next"),
            C_POINTER.withName("le_prev")).withName("list_entry"), 16);

    /** {@code SLIST_HEAD(name, type)}: first element. */
    public static final StructLayout SLIST_HEAD = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_POINTER.withName("slh_first")).withName("slist_head"), 8);

    /** {@code SLIST_ENTRY(type)}: next element. */
    public static final StructLayout SLIST_ENTRY = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_POINTER.withName("sle_next")).withName("slist_entry"), 8);

    private static final long TQH_FIRST = 0;
    private static final long TQH_LAST = 8;
    private static final long TQE_NEXT = 0;
    private static final long TQE_PREV = 8;
    private static final long LH_FIRST = 0;
    private static final long LE_NEXT = 0;
    private static final long LE_PREV = 8;

    /**
     * A tail queue of elements whose {@code TAILQ_ENTRY} sits at byte offset {@code field}.
     *
     * <p>Pointer shape, exactly as in the C: {@code tqe_prev} and {@code tqh_last} hold the
     * address of a next-pointer (the previous element's {@code tqe_next}, or the head's
     * {@code tqh_first}), so removal needs no head walk. The INVARIANTS checks of queue.h
     * ({@code QMD_TAILQ_CHECK_*}) run when the kernel is built with INVARIANTS (kern.invariants,
     * on by default, as in DragonFly's GENERIC) and panic with the C's messages.
     *
     * <p>No locking: callers hold whatever lock protects the list. Never blocks.
     */
    public static final class Tailq {
        private final KernelMemory km;
        private final long field;
        private final boolean invariants;

        /** A TAILQ with queue.h's INVARIANTS checks on (kern.invariants=1, the default). */
        public Tailq(KernelMemory km, long entryFieldOffset) {
            this(km, entryFieldOffset, true);
        }

        /**
         * A TAILQ whose {@code QMD_TAILQ_CHECK_*} run only if {@code invariants}: queue.h
         * compiles them only into INVARIANTS kernels.
         */
        public Tailq(KernelMemory km, long entryFieldOffset, boolean invariants) {
            this.km = km;
            this.field = entryFieldOffset;
            this.invariants = invariants;
        }

        /** Address of elm's {@code tqe_next} ({@code &TAILQ_NEXT(elm, field)}). */
        private long nextp(long elm) { return elm + field + TQE_NEXT; }

        private long prevp(long elm) { return elm + field + TQE_PREV; }

        /** {@code TAILQ_INIT}. */
        public void tailqInit(long head) {
            km.store64(head + TQH_FIRST, 0);
            km.store64(head + TQH_LAST, head + TQH_FIRST);
        }

        /** {@code TAILQ_EMPTY}. */
        public boolean tailqEmpty(long head) { return km.load64(head + TQH_FIRST) == 0; }

        /** {@code TAILQ_FIRST}. */
        public long tailqFirst(long head) { return km.load64(head + TQH_FIRST); }

        /** {@code TAILQ_NEXT}. */
        public long tailqNext(long elm) { return km.load64(nextp(elm)); }

        /**
         * {@code TAILQ_LAST}: the C reads the last element through {@code tqh_last}, treating the
         * last entry as a head ({@code TAILQ_ENTRY} and {@code TAILQ_HEAD} share a layout).
         */
        public long tailqLast(long head) {
            long lastNextp = km.load64(head + TQH_LAST);
            return km.load64(km.load64(lastNextp + TQH_LAST));
        }

        /** {@code TAILQ_PREV}, by the same layout trick. */
        public long tailqPrev(long elm) {
            long prevNextp = km.load64(prevp(elm));
            return km.load64(km.load64(prevNextp + TQH_LAST));
        }

        /** {@code TAILQ_INSERT_HEAD}. */
        public void tailqInsertHead(long head, long elm) {
            checkHead(head);
            long first = tailqFirst(head);
            km.store64(nextp(elm), first);
            if (first != 0) {
                km.store64(prevp(first), nextp(elm));
            } else {
                km.store64(head + TQH_LAST, nextp(elm));
            }
            km.store64(head + TQH_FIRST, elm);
            km.store64(prevp(elm), head + TQH_FIRST);
        }

        /** {@code TAILQ_INSERT_TAIL}. */
        public void tailqInsertTail(long head, long elm) {
            checkTail(head);
            km.store64(nextp(elm), 0);
            long last = km.load64(head + TQH_LAST);
            km.store64(prevp(elm), last);
            km.store64(last, elm);
            km.store64(head + TQH_LAST, nextp(elm));
        }

        /** {@code TAILQ_INSERT_AFTER}: inserts {@code elm} after {@code listelm}. */
        public void tailqInsertAfter(long head, long listelm, long elm) {
            checkNext(listelm);
            long next = tailqNext(listelm);
            km.store64(nextp(elm), next);
            if (next != 0) {
                km.store64(prevp(next), nextp(elm));
            } else {
                km.store64(head + TQH_LAST, nextp(elm));
            }
            km.store64(nextp(listelm), elm);
            km.store64(prevp(elm), nextp(listelm));
        }

        /** {@code TAILQ_INSERT_BEFORE}: inserts {@code elm} before {@code listelm}. */
        public void tailqInsertBefore(long listelm, long elm) {
            checkPrev(listelm);
            long prev = km.load64(prevp(listelm));
            km.store64(prevp(elm), prev);
            km.store64(nextp(elm), listelm);
            km.store64(prev, elm);
            km.store64(prevp(listelm), nextp(elm));
        }

        /** {@code TAILQ_REMOVE}. The unlinked entry's pointers are left as they were (no TRASHIT). */
        public void tailqRemove(long head, long elm) {
            checkNext(elm);
            checkPrev(elm);
            long next = tailqNext(elm);
            long prev = km.load64(prevp(elm));
            if (next != 0) {
                km.store64(prevp(next), prev);
            } else {
                km.store64(head + TQH_LAST, prev);
            }
            km.store64(prev, next);
        }

        /** {@code TAILQ_CONCAT}: appends all of {@code head2} to {@code head1}, leaving head2 empty. */
        public void tailqConcat(long head1, long head2) {
            if (!tailqEmpty(head2)) {
                long first2 = tailqFirst(head2);
                km.store64(km.load64(head1 + TQH_LAST), first2);
                km.store64(prevp(first2), km.load64(head1 + TQH_LAST));
                km.store64(head1 + TQH_LAST, km.load64(head2 + TQH_LAST));
                tailqInit(head2);
            }
        }

        // QMD_TAILQ_CHECK_HEAD
        private void checkHead(long head) {
            if (!invariants) return;
            long first = tailqFirst(head);
            if (first != 0 && km.load64(prevp(first)) != head + TQH_FIRST) {
                throw Kassert.panic("Bad tailq head 0x%x first->prev != head", head);
            }
        }

        // QMD_TAILQ_CHECK_TAIL
        private void checkTail(long head) {
            if (!invariants) return;
            long lastNext = km.load64(km.load64(head + TQH_LAST));
            if (lastNext != 0) {
                throw Kassert.panic("Bad tailq NEXT(0x%x->tqh_last) != NULL, last 0x%x", head, lastNext);
            }
        }

        // QMD_TAILQ_CHECK_NEXT
        private void checkNext(long elm) {
            if (!invariants) return;
            long next = tailqNext(elm);
            if (next != 0 && km.load64(prevp(next)) != nextp(elm)) {
                throw Kassert.panic("Bad link elm 0x%x next->prev != elm", elm);
            }
        }

        // QMD_TAILQ_CHECK_PREV
        private void checkPrev(long elm) {
            if (!invariants) return;
            if (km.load64(km.load64(prevp(elm))) != elm) {
                throw Kassert.panic("Bad link elm 0x%x prev->next != elm", elm);
            }
        }
    }

    /**
     * A list of elements whose {@code LIST_ENTRY} sits at byte offset {@code field}: singly
     * headed, doubly linked, so an element is removed without its head.
     *
     * <p>Pointer shape, exactly as in the C: {@code le_prev} holds the address of a next-pointer
     * (the previous element's {@code le_next}, or the head's {@code lh_first}). The INVARIANTS
     * checks of queue.h ({@code QMD_LIST_CHECK_*}) run when the kernel is built with INVARIANTS
     * and panic with the C's messages.
     *
     * <p>No locking: callers hold whatever lock protects the list. Never blocks.
     */
    public static final class List {
        private final KernelMemory km;
        private final long field;
        private final boolean invariants;

        /** A LIST with queue.h's INVARIANTS checks on (kern.invariants=1, the default). */
        public List(KernelMemory km, long entryFieldOffset) {
            this(km, entryFieldOffset, true);
        }

        /**
         * A LIST whose {@code QMD_LIST_CHECK_*} run only if {@code invariants}: queue.h
         * compiles them only into INVARIANTS kernels.
         */
        public List(KernelMemory km, long entryFieldOffset, boolean invariants) {
            this.km = km;
            this.field = entryFieldOffset;
            this.invariants = invariants;
        }

        /** Address of elm's {@code le_next} ({@code &LIST_NEXT(elm, field)}). */
        private long nextp(long elm) { return elm + field + LE_NEXT; }

        private long prevp(long elm) { return elm + field + LE_PREV; }

        /** {@code LIST_INIT}. */
        public void listInit(long head) { km.store64(head + LH_FIRST, 0); }

        /** {@code LIST_EMPTY}. */
        public boolean listEmpty(long head) { return km.load64(head + LH_FIRST) == 0; }

        /** {@code LIST_FIRST}. */
        public long listFirst(long head) { return km.load64(head + LH_FIRST); }

        /** {@code LIST_NEXT}. */
        public long listNext(long elm) { return km.load64(nextp(elm)); }

        /** {@code LIST_INSERT_HEAD}. */
        public void listInsertHead(long head, long elm) {
            checkHead(head);
            long first = listFirst(head);
            km.store64(nextp(elm), first);
            if (first != 0) {
                km.store64(prevp(first), nextp(elm));
            }
            km.store64(head + LH_FIRST, elm);
            km.store64(prevp(elm), head + LH_FIRST);
        }

        /** {@code LIST_REMOVE}. The unlinked entry's pointers are left as they were (no TRASHIT). */
        public void listRemove(long elm) {
            checkNext(elm);
            checkPrev(elm);
            long next = listNext(elm);
            long prev = km.load64(prevp(elm));
            if (next != 0) {
                km.store64(prevp(next), prev);
            }
            km.store64(prev, next);
        }

        // QMD_LIST_CHECK_HEAD
        private void checkHead(long head) {
            if (!invariants) return;
            long first = listFirst(head);
            if (first != 0 && km.load64(prevp(first)) != head + LH_FIRST) {
                throw Kassert.panic("Bad list head 0x%x first->prev != head", head);
            }
        }

        // QMD_LIST_CHECK_NEXT
        private void checkNext(long elm) {
            if (!invariants) return;
            long next = listNext(elm);
            if (next != 0 && km.load64(prevp(next)) != nextp(elm)) {
                throw Kassert.panic("Bad link elm 0x%x next->prev != elm", elm);
            }
        }

        // QMD_LIST_CHECK_PREV
        private void checkPrev(long elm) {
            if (!invariants) return;
            if (km.load64(km.load64(prevp(elm))) != elm) {
                throw Kassert.panic("Bad link elm 0x%x prev->next != elm", elm);
            }
        }
    }

    /**
     * A singly-linked list of elements whose {@code SLIST_ENTRY} sits at byte offset
     * {@code field}. queue.h has no INVARIANTS checks for it. No locking: callers hold whatever
     * lock protects the list. Never blocks.
     */
    public static final class Slist {
        private static final long SLH_FIRST = 0;
        private static final long SLE_NEXT = 0;

        private final KernelMemory km;
        private final long field;

        public Slist(KernelMemory km, long entryFieldOffset) {
            this.km = km;
            this.field = entryFieldOffset;
        }

        /** {@code SLIST_INIT}. */
        public void slistInit(long head) { km.store64(head + SLH_FIRST, 0); }

        /** {@code SLIST_EMPTY}. */
        public boolean slistEmpty(long head) { return km.load64(head + SLH_FIRST) == 0; }

        /** {@code SLIST_FIRST}. */
        public long slistFirst(long head) { return km.load64(head + SLH_FIRST); }

        /** {@code SLIST_NEXT}. */
        public long slistNext(long elm) { return km.load64(elm + field + SLE_NEXT); }

        /** {@code SLIST_INSERT_HEAD}. */
        public void slistInsertHead(long head, long elm) {
            km.store64(elm + field + SLE_NEXT, slistFirst(head));
            km.store64(head + SLH_FIRST, elm);
        }

        /** {@code SLIST_REMOVE_HEAD}: the list must not be empty (the C dereferences its first). */
        public void slistRemoveHead(long head) {
            km.store64(head + SLH_FIRST, slistNext(slistFirst(head)));
        }
    }
}
