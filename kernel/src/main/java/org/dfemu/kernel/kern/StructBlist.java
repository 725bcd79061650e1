package org.dfemu.kernel.kern;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_LONG;
import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * View of {@code struct blist}, the header of a bitmap resource list ({@code blist_t} points at
 * one), DragonFly's sys/sys/blist.h at commit 737b020b54 (2021-05-28).
 *
 * <pre>
 * struct blist {
 *     swblk_t  bl_blocks;    //  0  blocks covered (the size asked of blist_create)
 *     int64_t  bl_radix;     //  8  blocks the root node spans: 64 * 32^k, at least bl_blocks
 *     swblk_t  bl_skip;      // 16  nodes in the root's subtree after the root itself
 *     swblk_t  bl_free;      // 24  free blocks
 *     blmeta_t *bl_root;     // 32  the node array
 *     swblk_t  bl_rootblks;  // 40  length of the node array, in blmeta_t
 * };                         // sizeof 48
 * </pre>
 *
 * Owned by the blist's user (the swap pager holds vm_token around every call).
 */
public final class StructBlist {
    private StructBlist() {}

    public static final long SIZEOF = 48;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_LONG.withName("bl_blocks"),
            C_LONG.withName("bl_radix"),
            C_LONG.withName("bl_skip"),
            C_LONG.withName("bl_free"),
            C_POINTER.withName("bl_root"),
            C_LONG.withName("bl_rootblks")).withName("blist"), SIZEOF);

    public static final long bl_blocks$OFFSET = Ctypes.offset(LAYOUT, "bl_blocks");
    public static final long bl_radix$OFFSET = Ctypes.offset(LAYOUT, "bl_radix");
    public static final long bl_skip$OFFSET = Ctypes.offset(LAYOUT, "bl_skip");
    public static final long bl_free$OFFSET = Ctypes.offset(LAYOUT, "bl_free");
    public static final long bl_root$OFFSET = Ctypes.offset(LAYOUT, "bl_root");
    public static final long bl_rootblks$OFFSET = Ctypes.offset(LAYOUT, "bl_rootblks");

    public static StructLayout layout() { return LAYOUT; }

    public static long bl_blocks(KernelMemory km, long bl) { return km.load64(bl + bl_blocks$OFFSET); }
    public static void bl_blocks(KernelMemory km, long bl, long v) { km.store64(bl + bl_blocks$OFFSET, v); }

    public static long bl_radix(KernelMemory km, long bl) { return km.load64(bl + bl_radix$OFFSET); }
    public static void bl_radix(KernelMemory km, long bl, long v) { km.store64(bl + bl_radix$OFFSET, v); }

    public static long bl_skip(KernelMemory km, long bl) { return km.load64(bl + bl_skip$OFFSET); }
    public static void bl_skip(KernelMemory km, long bl, long v) { km.store64(bl + bl_skip$OFFSET, v); }

    public static long bl_free(KernelMemory km, long bl) { return km.load64(bl + bl_free$OFFSET); }
    public static void bl_free(KernelMemory km, long bl, long v) { km.store64(bl + bl_free$OFFSET, v); }

    public static long bl_root(KernelMemory km, long bl) { return km.load64(bl + bl_root$OFFSET); }
    public static void bl_root(KernelMemory km, long bl, long v) { km.store64(bl + bl_root$OFFSET, v); }

    public static long bl_rootblks(KernelMemory km, long bl) { return km.load64(bl + bl_rootblks$OFFSET); }
    public static void bl_rootblks(KernelMemory km, long bl, long v) { km.store64(bl + bl_rootblks$OFFSET, v); }
}
