package org.dfemu.kernel.sys;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.kern.Lwkt;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * Intrusive red-black trees over emulated memory: DragonFly's sys/sys/tree.h at commit 737b020b54
 * (2021-05-28). Only the red-black tree is ported (the splay tree has no user in the port).
 *
 * <p>The C generates a set of functions per tree type with {@code RB_GENERATE2(name, type, field,
 * cmp, datatype, indexfield)}; here an {@link Rb} descriptor is built once per tree type with the
 * entry field's offset, the comparator over element addresses and, for {@code RB_LOOKUP}, the
 * reader of the numeric index field. Its methods are the generated functions:
 * {@code vm_page_rb_tree_RB_INSERT(&obj->rb_memq, m)} is {@code rb.rbInsert(memq, m)}.
 */
public final class Tree {
    private Tree() {}

    public static final int RB_BLACK = 0;
    public static final int RB_RED = 1;

    /** {@code RB_HEAD(name, type)}: root, scans in progress, the scan-list spinlock. */
    public static final StructLayout RB_HEAD = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_POINTER.withName("rbh_root"),
            C_POINTER.withName("rbh_inprog"),
            StructSpinlock.layout().withName("rbh_spin")).withName("rb_head"), 24);

    /** {@code RB_ENTRY(type)}. */
    public static final StructLayout RB_ENTRY = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_POINTER.withName("rbe_left"),
            C_POINTER.withName("rbe_right"),
            C_POINTER.withName("rbe_parent"),
            C_INT.withName("rbe_color"),
            Ctypes.pad(4)).withName("rb_entry"), 32);

    /** {@code RB_SCAN_INFO(name, type)}: one scan in progress, linked from {@code rbh_inprog}. */
    public static final StructLayout RB_SCAN_INFO = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_POINTER.withName("link"),
            C_POINTER.withName("node")).withName("rb_scan_info"), 16);

    public static final long rbh_root$OFFSET = Ctypes.offset(RB_HEAD, "rbh_root");
    public static final long rbh_inprog$OFFSET = Ctypes.offset(RB_HEAD, "rbh_inprog");
    public static final long rbh_spin$OFFSET = Ctypes.offset(RB_HEAD, "rbh_spin");

    private static final long RBE_LEFT = 0;
    private static final long RBE_RIGHT = 8;
    private static final long RBE_PARENT = 16;
    private static final long RBE_COLOR = 24;
    private static final long SCAN_LINK = 0;
    private static final long SCAN_NODE = 8;

    /** The tree's comparison function, over two element addresses ({@code cmp} of RB_GENERATE). */
    @FunctionalInterface
    public interface Cmp {
        int compare(long a, long b);
    }

    /** Reads the numeric index field of an element ({@code indexfield} of RB_GENERATE2). */
    @FunctionalInterface
    public interface Key {
        long key(long elm);
    }

    /** RB_SCAN's range test: &lt;0 below the range, 0 inside, &gt;0 above. */
    @FunctionalInterface
    public interface ScanCmp {
        int scancmp(long elm);
    }

    /** RB_SCAN's callback: &lt;0 stops the scan (and is returned), else added to the count. */
    @FunctionalInterface
    public interface ScanCallback {
        int callback(long elm);
    }

    /**
     * One tree type. No locking of its own except RB_SCAN's scan list (the head's spinlock);
     * callers hold the lock that protects the tree. Insert, remove and lookup never block; a scan
     * blocks only if its callback does.
     */
    public static final class Rb {
        private final KernelMemory km;
        private final Lwkt lwkt;
        private final long field;
        private final Cmp cmp;
        private final Key key;

        /**
         * @param entryFieldOffset offset of the {@code RB_ENTRY} in the element
         * @param cmp              the tree order
         * @param key              the index field for {@link #rbLookup}, or null if the type has
         *                         no {@code RB_GENERATE2} lookup; compared unsigned, as the C's
         *                         index types ({@code vm_pindex_t}, {@code vm_offset_t}) are.
         *                         RB_GENERATE2's lookup finds what inserts placed only if
         *                         {@code cmp} orders elements as their keys do, so with a key,
         *                         insert and find compare keys, loading the new element's once
         *                         (what the C compiler makes of the inlined compare: one load of
         *                         the tree node's index per level)
         */
        public Rb(KernelMemory km, Lwkt lwkt, long entryFieldOffset, Cmp cmp, Key key) {
            this.km = km;
            this.lwkt = lwkt;
            this.field = entryFieldOffset;
            this.cmp = cmp;
            this.key = key;
        }

        private long left(long e) { return km.load64(e + field + RBE_LEFT); }
        private long right(long e) { return km.load64(e + field + RBE_RIGHT); }
        private long parent(long e) { return km.load64(e + field + RBE_PARENT); }
        private int color(long e) { return km.load32(e + field + RBE_COLOR); }
        private void setLeft(long e, long v) { km.store64(e + field + RBE_LEFT, v); }
        private void setRight(long e, long v) { km.store64(e + field + RBE_RIGHT, v); }
        private void setParent(long e, long v) { km.store64(e + field + RBE_PARENT, v); }
        private void setColor(long e, int c) { km.store32(e + field + RBE_COLOR, c); }
        private long root(long head) { return km.load64(head + rbh_root$OFFSET); }
        private void setRoot(long head, long v) { km.store64(head + rbh_root$OFFSET, v); }

        /** {@code RB_INIT}: an empty tree with no scans in progress (the spinlock is left as is). */
        public void rbInit(long head) {
            setRoot(head, 0);
            km.store64(head + rbh_inprog$OFFSET, 0);
        }

        /** {@code RB_ROOT}. */
        public long rbRoot(long head) { return root(head); }

        /** {@code RB_EMPTY}. */
        public boolean rbEmpty(long head) { return root(head) == 0; }

        // RB_SET_BLACKRED
        private void setBlackRed(long black, long red) {
            setColor(black, RB_BLACK);
            setColor(red, RB_RED);
        }

        // RB_ROTATE_LEFT (RB_AUGMENT is empty for every tree the port has)
        private void rotateLeft(long head, long elm) {
            long tmp = right(elm);
            long tl = left(tmp);
            setRight(elm, tl);
            if (tl != 0) {
                setParent(tl, elm);
            }
            long p = parent(elm);
            setParent(tmp, p);
            if (p != 0) {
                if (elm == left(p)) {
                    setLeft(p, tmp);
                } else {
                    setRight(p, tmp);
                }
            } else {
                setRoot(head, tmp);
            }
            setLeft(tmp, elm);
            setParent(elm, tmp);
        }

        // RB_ROTATE_RIGHT
        private void rotateRight(long head, long elm) {
            long tmp = left(elm);
            long tr = right(tmp);
            setLeft(elm, tr);
            if (tr != 0) {
                setParent(tr, elm);
            }
            long p = parent(elm);
            setParent(tmp, p);
            if (p != 0) {
                if (elm == left(p)) {
                    setLeft(p, tmp);
                } else {
                    setRight(p, tmp);
                }
            } else {
                setRoot(head, tmp);
            }
            setRight(tmp, elm);
            setParent(elm, tmp);
        }

        // name_RB_INSERT_COLOR
        private void insertColor(long head, long elm) {
            long parent;
            while ((parent = parent(elm)) != 0 && color(parent) == RB_RED) {
                long gparent = parent(parent);
                if (parent == left(gparent)) {
                    long tmp = right(gparent);
                    if (tmp != 0 && color(tmp) == RB_RED) {
                        setColor(tmp, RB_BLACK);
                        setBlackRed(parent, gparent);
                        elm = gparent;
                        continue;
                    }
                    if (right(parent) == elm) {
                        rotateLeft(head, parent);
                        long t = parent;
                        parent = elm;
                        elm = t;
                    }
                    setBlackRed(parent, gparent);
                    rotateRight(head, gparent);
                } else {
                    long tmp = left(gparent);
                    if (tmp != 0 && color(tmp) == RB_RED) {
                        setColor(tmp, RB_BLACK);
                        setBlackRed(parent, gparent);
                        elm = gparent;
                        continue;
                    }
                    if (left(parent) == elm) {
                        rotateRight(head, parent);
                        long t = parent;
                        parent = elm;
                        elm = t;
                    }
                    setBlackRed(parent, gparent);
                    rotateLeft(head, gparent);
                }
            }
            setColor(root(head), RB_BLACK);
        }

        // name_RB_REMOVE_COLOR
        private void removeColor(long head, long parent, long elm) {
            while ((elm == 0 || color(elm) == RB_BLACK) && elm != root(head)) {
                if (left(parent) == elm) {
                    long tmp = right(parent);
                    if (color(tmp) == RB_RED) {
                        setBlackRed(tmp, parent);
                        rotateLeft(head, parent);
                        tmp = right(parent);
                    }
                    if ((left(tmp) == 0 || color(left(tmp)) == RB_BLACK)
                            && (right(tmp) == 0 || color(right(tmp)) == RB_BLACK)) {
                        setColor(tmp, RB_RED);
                        elm = parent;
                        parent = parent(elm);
                    } else {
                        if (right(tmp) == 0 || color(right(tmp)) == RB_BLACK) {
                            long oleft = left(tmp);
                            if (oleft != 0) {
                                setColor(oleft, RB_BLACK);
                            }
                            setColor(tmp, RB_RED);
                            rotateRight(head, tmp);
                            tmp = right(parent);
                        }
                        setColor(tmp, color(parent));
                        setColor(parent, RB_BLACK);
                        if (right(tmp) != 0) {
                            setColor(right(tmp), RB_BLACK);
                        }
                        rotateLeft(head, parent);
                        elm = root(head);
                        break;
                    }
                } else {
                    long tmp = left(parent);
                    if (color(tmp) == RB_RED) {
                        setBlackRed(tmp, parent);
                        rotateRight(head, parent);
                        tmp = left(parent);
                    }
                    if ((left(tmp) == 0 || color(left(tmp)) == RB_BLACK)
                            && (right(tmp) == 0 || color(right(tmp)) == RB_BLACK)) {
                        setColor(tmp, RB_RED);
                        elm = parent;
                        parent = parent(elm);
                    } else {
                        if (left(tmp) == 0 || color(left(tmp)) == RB_BLACK) {
                            long oright = right(tmp);
                            if (oright != 0) {
                                setColor(oright, RB_BLACK);
                            }
                            setColor(tmp, RB_RED);
                            rotateLeft(head, tmp);
                            tmp = left(parent);
                        }
                        setColor(tmp, color(parent));
                        setColor(parent, RB_BLACK);
                        if (left(tmp) != 0) {
                            setColor(left(tmp), RB_BLACK);
                        }
                        rotateRight(head, parent);
                        elm = root(head);
                        break;
                    }
                }
            }
            if (elm != 0) {
                setColor(elm, RB_BLACK);
            }
        }

        /**
         * {@code name_RB_REMOVE}: unlinks {@code elm} and returns it. A scan in progress whose next
         * node is {@code elm} is advanced past it, so callbacks may remove any element.
         */
        public long rbRemove(long head, long elm) {
            for (long inprog = km.load64(head + rbh_inprog$OFFSET); inprog != 0;
                    inprog = km.load64(inprog + SCAN_LINK)) {
                if (km.load64(inprog + SCAN_NODE) == elm) {
                    km.store64(inprog + SCAN_NODE, rbNext(elm));
                }
            }
            long old = elm;
            long child;
            long parent;
            int color;
            if (left(elm) == 0) {
                child = right(elm);
            } else if (right(elm) == 0) {
                child = left(elm);
            } else {
                long l;
                elm = right(elm);
                while ((l = left(elm)) != 0) {
                    elm = l;
                }
                child = right(elm);
                parent = parent(elm);
                color = color(elm);
                if (child != 0) {
                    setParent(child, parent);
                }
                if (parent != 0) {
                    if (left(parent) == elm) {
                        setLeft(parent, child);
                    } else {
                        setRight(parent, child);
                    }
                } else {
                    setRoot(head, child);
                }
                if (parent(elm) == old) {
                    parent = elm;
                }
                // (elm)->field = (old)->field
                setLeft(elm, left(old));
                setRight(elm, right(old));
                setParent(elm, parent(old));
                setColor(elm, color(old));
                long op = parent(old);
                if (op != 0) {
                    if (left(op) == old) {
                        setLeft(op, elm);
                    } else {
                        setRight(op, elm);
                    }
                } else {
                    setRoot(head, elm);
                }
                setParent(left(old), elm);
                if (right(old) != 0) {
                    setParent(right(old), elm);
                }
                if (color == RB_BLACK) {
                    removeColor(head, parent, child);
                }
                return old;
            }
            parent = parent(elm);
            color = color(elm);
            if (child != 0) {
                setParent(child, parent);
            }
            if (parent != 0) {
                if (left(parent) == elm) {
                    setLeft(parent, child);
                } else {
                    setRight(parent, child);
                }
            } else {
                setRoot(head, child);
            }
            if (color == RB_BLACK) {
                removeColor(head, parent, child);
            }
            return old;
        }

        /**
         * {@code name_RB_INSERT}: inserts {@code elm}; returns 0, or the element already in the
         * tree that compares equal (the tree is then unchanged).
         */
        public long rbInsert(long head, long elm) {
            long tmp = root(head);
            long parent = 0;
            int comp = 0;
            Key k = key;
            long elmKey = k != null ? k.key(elm) : 0;
            while (tmp != 0) {
                parent = tmp;
                comp = k != null ? Long.compareUnsigned(elmKey, k.key(parent)) : cmp.compare(elm, parent);
                if (comp < 0) {
                    tmp = left(tmp);
                } else if (comp > 0) {
                    tmp = right(tmp);
                } else {
                    return tmp;
                }
            }
            // RB_SET
            setParent(elm, parent);
            setLeft(elm, 0);
            setRight(elm, 0);
            setColor(elm, RB_RED);
            if (parent != 0) {
                if (comp < 0) {
                    setLeft(parent, elm);
                } else {
                    setRight(parent, elm);
                }
            } else {
                setRoot(head, elm);
            }
            insertColor(head, elm);
            return 0;
        }

        /** {@code name_RB_FIND}: the element comparing equal to {@code elm}, or 0. */
        public long rbFind(long head, long elm) {
            long tmp = root(head);
            Key k = key;
            long elmKey = k != null ? k.key(elm) : 0;
            while (tmp != 0) {
                int comp = k != null ? Long.compareUnsigned(elmKey, k.key(tmp)) : cmp.compare(elm, tmp);
                if (comp < 0) {
                    tmp = left(tmp);
                } else if (comp > 0) {
                    tmp = right(tmp);
                } else {
                    return tmp;
                }
            }
            return 0;
        }

        /** {@code name_RB_LOOKUP} (RB_GENERATE2): the element whose index field equals {@code value}, or 0. */
        public long rbLookup(long head, long value) {
            long tmp = root(head);
            while (tmp != 0) {
                int c = Long.compareUnsigned(value, key.key(tmp));
                if (c > 0) {
                    tmp = right(tmp);
                } else if (c < 0) {
                    tmp = left(tmp);
                } else {
                    return tmp;
                }
            }
            return 0;
        }

        /** {@code name_RB_NEXT}: in-order successor, or 0. */
        public long rbNext(long elm) {
            if (right(elm) != 0) {
                elm = right(elm);
                while (left(elm) != 0) {
                    elm = left(elm);
                }
            } else {
                if (parent(elm) != 0 && elm == left(parent(elm))) {
                    elm = parent(elm);
                } else {
                    while (parent(elm) != 0 && elm == right(parent(elm))) {
                        elm = parent(elm);
                    }
                    elm = parent(elm);
                }
            }
            return elm;
        }

        /** {@code name_RB_PREV}: in-order predecessor, or 0. */
        public long rbPrev(long elm) {
            if (left(elm) != 0) {
                elm = left(elm);
                while (right(elm) != 0) {
                    elm = right(elm);
                }
            } else {
                if (parent(elm) != 0 && elm == right(parent(elm))) {
                    elm = parent(elm);
                } else {
                    while (parent(elm) != 0 && elm == left(parent(elm))) {
                        elm = parent(elm);
                    }
                    elm = parent(elm);
                }
            }
            return elm;
        }

        /** {@code RB_MIN}: the first element, or 0. */
        public long rbMin(long head) { return minmax(head, -1); }

        /** {@code RB_MAX}: the last element, or 0. */
        public long rbMax(long head) { return minmax(head, 1); }

        // name_RB_MINMAX
        private long minmax(long head, int val) {
            long tmp = root(head);
            long parent = 0;
            while (tmp != 0) {
                parent = tmp;
                tmp = val < 0 ? left(tmp) : right(tmp);
            }
            return parent;
        }

        /**
         * {@code name_RB_SCAN}: calls {@code callback} on every element for which {@code scancmp}
         * returns 0 (all elements if {@code scancmp} is null), in order. Callbacks may remove any
         * element, including the current one. Returns the sum of the callbacks' non-negative
         * results, or the first negative one (which stops the scan).
         *
         * <p>{@code info} is the address of a zero-initialised {@link #RB_SCAN_INFO} (16 bytes)
         * the scan may use until it returns. PORT: the C keeps it on the kernel stack; the port has
         * no emulated kernel stacks yet, so the caller provides it.
         *
         * <p>Takes the head's spinlock briefly to link and unlink the scan. May block only if the
         * callback blocks.
         */
        public int rbScan(long head, ScanCmp scancmp, ScanCallback callback, long info) {
            return scan(head, scancmp, callback, info, true);
        }

        /** {@code name_RB_SCAN_NOLK}: as {@link #rbScan} without taking the head's spinlock. */
        public int rbScanNolk(long head, ScanCmp scancmp, ScanCallback callback, long info) {
            return scan(head, scancmp, callback, info, false);
        }

        private int scan(long head, ScanCmp scancmp, ScanCallback callback, long info, boolean uselock) {
            ScanCmp sc = scancmp == null ? e -> 0 : scancmp;
            long tmp = root(head);
            long best = 0;
            while (tmp != 0) {
                int comp = sc.scancmp(tmp);
                if (comp < 0) {
                    tmp = right(tmp);
                } else if (comp > 0) {
                    tmp = left(tmp);
                } else {
                    best = tmp;
                    if (left(tmp) == 0) {
                        break;
                    }
                    tmp = left(tmp);
                }
            }
            int count = 0;
            if (best != 0) {
                km.store64(info + SCAN_NODE, rbNext(best));
                if (uselock) {
                    scanInfoLink(info, head);
                }
                int comp;
                while ((comp = callback.callback(best)) >= 0) {
                    count += comp;
                    best = km.load64(info + SCAN_NODE);
                    if (best == 0 || sc.scancmp(best) != 0) {
                        break;
                    }
                    km.store64(info + SCAN_NODE, rbNext(best));
                }
                if (uselock) {
                    scanInfoDone(info, head);
                }
                if (comp < 0) {
                    count = comp;
                }
            }
            return count;
        }

        // name_scan_info_link
        private void scanInfoLink(long scan, long head) {
            lwkt.spinLock(head + rbh_spin$OFFSET);
            km.store64(scan + SCAN_LINK, km.load64(head + rbh_inprog$OFFSET));
            km.store64(head + rbh_inprog$OFFSET, scan);
            lwkt.spinUnlock(head + rbh_spin$OFFSET);
        }

        // name_scan_info_done
        private void scanInfoDone(long scan, long head) {
            lwkt.spinLock(head + rbh_spin$OFFSET);
            long infopp = head + rbh_inprog$OFFSET;
            while (km.load64(infopp) != scan) {
                infopp = km.load64(infopp) + SCAN_LINK;
            }
            km.store64(infopp, km.load64(scan + SCAN_LINK));
            lwkt.spinUnlock(head + rbh_spin$OFFSET);
        }
    }
}
