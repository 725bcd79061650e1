package org.dfemu.kernel.sys;

import org.dfemu.kernel.Ctypes;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_INT;

/**
 * View of {@code struct spinlock}, DragonFly's sys/sys/spinlock.h at commit 737b020b54
 * (2021-05-28).
 *
 * <pre>
 * struct spinlock {
 *     int lock;      // main spinlock
 *     int update;    // update counter
 * };                 // sizeof 8
 * </pre>
 *
 * PORT: the two ints are one 64-bit lock word kern_spinlock.c's port operates on by physical
 * address, in dfemu's encoding ({@link org.dfemu.kernel.kern.KernSpinlock}: the holder's thread
 * id); 0 means free, as SPINLOCK_INITIALIZER's { 0, 0 }. The lock code reads the word as one, so
 * the view has no accessors; spin_init() is "store 0".
 */
public final class StructSpinlock {
    private StructSpinlock() {}

    public static final long SIZEOF = 8;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_INT.withName("lock"),
            C_INT.withName("update")).withName("spinlock"), SIZEOF);

    public static StructLayout layout() { return LAYOUT; }
}
