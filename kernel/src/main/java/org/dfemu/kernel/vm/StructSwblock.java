package org.dfemu.kernel.vm;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.Tree;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_LONG;

/**
 * {@code struct swblock}, DragonFly BSD sys/vm/swap_pager.h at commit 737b020b54 (2021-05-28): the
 * swap metadata of 32 consecutive page indices of one object, an element of the object's
 * {@code swblock_root} RB tree.
 *
 * <pre>
 * struct swblock {
 *     RB_ENTRY(swblock) swb_entry;          //   0  (32)
 *     vm_pindex_t       swb_index;          //  32  first page index, a multiple of SWAP_META_PAGES
 *     int               swb_count;          //  40  entries of swb_pages that are not SWAPBLK_NONE
 *     //                                        44  (4 bytes of padding)
 *     swblk_t           swb_pages[32];      //  48  swap block of each page, or SWAPBLK_NONE
 * };                                        // sizeof 304
 * </pre>
 */
public final class StructSwblock {
    private StructSwblock() {}

    /** {@code SWAP_META_PAGES}: pages covered by one swblock. */
    public static final int SWAP_META_PAGES = 32;
    /** {@code SWAP_META_MASK}. */
    public static final long SWAP_META_MASK = SWAP_META_PAGES - 1;

    public static final long SIZEOF = 304;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            Tree.RB_ENTRY.withName("swb_entry"),
            C_LONG.withName("swb_index"),
            C_INT.withName("swb_count"),
            Ctypes.pad(4),
            MemoryLayout.sequenceLayout(SWAP_META_PAGES, C_LONG).withName("swb_pages")).withName("swblock"), SIZEOF);

    public static final long swb_entry$OFFSET = Ctypes.offset(LAYOUT, "swb_entry");
    public static final long swb_index$OFFSET = Ctypes.offset(LAYOUT, "swb_index");
    public static final long swb_count$OFFSET = Ctypes.offset(LAYOUT, "swb_count");
    public static final long swb_pages$OFFSET = Ctypes.offset(LAYOUT, "swb_pages");

    public static StructLayout layout() { return LAYOUT; }

    public static long swb_index(KernelMemory km, long swb) { return km.load64(swb + swb_index$OFFSET); }
    public static void swb_index(KernelMemory km, long swb, long v) { km.store64(swb + swb_index$OFFSET, v); }

    public static int swb_count(KernelMemory km, long swb) { return km.load32(swb + swb_count$OFFSET); }
    public static void swb_count(KernelMemory km, long swb, int v) { km.store32(swb + swb_count$OFFSET, v); }

    /** {@code swb->swb_pages[i]}, {@code 0 <= i < SWAP_META_PAGES}. */
    public static long swb_pages(KernelMemory km, long swb, long i) {
        return km.load64(swb + swb_pages$OFFSET + 8 * checkIndex(i));
    }

    public static void swb_pages(KernelMemory km, long swb, long i, long v) {
        km.store64(swb + swb_pages$OFFSET + 8 * checkIndex(i), v);
    }

    private static long checkIndex(long i) {
        if (i < 0 || i >= SWAP_META_PAGES) {
            throw new IndexOutOfBoundsException("swb_pages[" + i + "]");
        }
        return i;
    }
}
