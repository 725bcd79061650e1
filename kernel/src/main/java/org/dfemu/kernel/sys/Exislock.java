package org.dfemu.kernel.sys;

import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.kern.KernClock;

/**
 * Existential locks: DragonFly's sys/sys/exislock.h and the inline API of sys/sys/exislock2.h at
 * commit 737b020b54 (2021-05-28), as kmalloc_obj uses them to keep a slab type-stable for a while
 * after it last held live objects.
 *
 * <p>An {@code exislock_t} is one long, {@code pseudo_ticks}: 0 means LIVE; otherwise it is the
 * global pseudo_ticks value until which the structure stays CACHED. Against the current global
 * value the state reads: at or above it CACHED, up to 2 below NOTCACHED, further below TERMINATE
 * (freeable). exis_terminate() stores one less than the current global value (CACHED(0) in the
 * C's words), so exis_freeable() holds from the next pseudo_tick on.
 *
 * <p>Only the calls kmalloc_obj and hardclock make are ported (exis_setlive, exis_terminate,
 * exis_freeable, exis_hold_gd, exis_drop_gd).
 *
 * <p>The global {@code pseudo_ticks} is kern_clock.c's ({@link KernClock#pseudoTicks}): it
 * starts at 1 and cpu 0's hardclock advances it only once every cpu has re-armed
 * ({@code gd_exisarmed}, set by exis_drop_gd when the cpu's hold count returns to 0; hardclock
 * cycles hold/drop on odd ticks), so at most every other tick. As in the C, a structure
 * terminated while pseudo_ticks is still 1 stores 0, which reads as LIVE.
 */
public final class Exislock {
    private final KernelMemory km;
    private final KernClock clock;

    public Exislock(KernelMemory km, KernClock clock) {
        this.km = km;
        this.clock = clock;
    }

    /** The global {@code pseudo_ticks}. Any context. */
    public long pseudoTicks() {
        return clock.pseudoTicks();
    }

    /** exis_hold_gd(): enter a type-safe critical section on {@code gd}'s cpu. */
    public static void exisHoldGd(KernelMemory km, long gd) {
        StructGlobaldata.gd_exislockcnt(km, gd, StructGlobaldata.gd_exislockcnt(km, gd) + 1);
    }

    /** exis_drop_gd(): leave it; the outermost drop arms the cpu for pseudo_ticks to advance. */
    public static void exisDropGd(KernelMemory km, long gd) {
        int cnt = StructGlobaldata.gd_exislockcnt(km, gd) - 1;
        StructGlobaldata.gd_exislockcnt(km, gd, cnt);
        if (cnt == 0) {
            StructGlobaldata.gd_exisarmed(km, gd, 1);
        }
    }

    /** exis_setlive(): LIVE again, when repurposing a structure. */
    public void exisSetlive(long xlk) {
        km.store64(xlk, 0);
    }

    /**
     * exis_poll(): 0 for LIVE, else the pseudo_ticks remaining until the structure becomes
     * unusable (negative once it has: -1 NOTCACHED, -2 and below freeable).
     */
    public long exisPoll(long xlk) {
        long val = km.load64(xlk);
        if (val == 0) {
            return val;
        }
        return val - pseudoTicks();
    }

    /** exis_freeable(): the structure may be destroyed. */
    public boolean exisFreeable(long xlk) {
        return exisPoll(xlk) <= -2;
    }

    /**
     * exis_terminate(): whatever the state, CACHED(0): the structure sequences through NOTCACHED
     * to TERMINATE as pseudo_ticks advances.
     */
    public void exisTerminate(long xlk) {
        km.store64(xlk, pseudoTicks() - 1);
    }
}
