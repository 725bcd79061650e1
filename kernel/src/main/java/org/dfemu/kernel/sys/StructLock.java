package org.dfemu.kernel.sys;

import org.dfemu.kernel.Ctypes;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_LONG;
import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * View of {@code struct lock} (lockmgr), DragonFly's sys/sys/lock.h at commit 737b020b54
 * (2021-05-28).
 *
 * <pre>
 * struct lock {
 *     u_int lk_flags;                  //  0
 *     int   lk_timo;                   //  4  maximum sleep time
 *     uint64_t lk_count;               //  8  LKC_* bits
 *     const char *lk_wmesg;            // 16
 *     struct thread *lk_lockholder;    // 24
 * };                                   // sizeof 32
 * </pre>
 *
 * PORT: {@code lk_count} is the 64-bit lock word kern_lock.c's port operates on by physical
 * address, in dfemu's encoding ({@link org.dfemu.kernel.kern.KernLock}; 0 = free, as after
 * lockinit()). The wait message comes with each request, so lk_wmesg stays NULL; lk_lockholder
 * and lk_flags are not kept (the word names the exclusive owner).
 */
public final class StructLock {
    private StructLock() {}

    public static final long SIZEOF = 32;

    /** lockmgr request types and flags (lock.h), those the port uses. */
    public static final int LK_TYPE_MASK = 0x0000000f;
    public static final int LK_SHARED = 0x00000001;
    public static final int LK_EXCLUSIVE = 0x00000002;
    public static final int LK_RELEASE = 0x00000006;
    public static final int LK_NOWAIT = 0x00000010;
    public static final int LK_SLEEPFAIL = 0x00000020;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_INT.withName("lk_flags"),
            C_INT.withName("lk_timo"),
            C_LONG.withName("lk_count"),
            C_POINTER.withName("lk_wmesg"),
            C_POINTER.withName("lk_lockholder")).withName("lock"), SIZEOF);

    public static final long lk_count$OFFSET = Ctypes.offset(LAYOUT, "lk_count");

    public static StructLayout layout() { return LAYOUT; }

    /** The address of the lock word of the {@code struct lock} at {@code lk}. */
    public static long lockWord(long lk) { return lk + lk_count$OFFSET; }
}
