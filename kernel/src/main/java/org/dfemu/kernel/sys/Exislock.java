package org.dfemu.kernel.sys;

import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.kern.Lwkt;

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
 * <p>Only the calls kmalloc_obj makes are ported (exis_setlive, exis_terminate, exis_freeable).
 *
 * <p>PORT: the C's global {@code pseudo_ticks} starts at 1 and is advanced by hardclock() once
 * every cpu has armed it, which every cpu's hardclock does each tick (exis_hold_gd/exis_drop_gd
 * around its callout processing); no long type-safe critical sections exist in the ported code.
 * The port therefore derives it from the clock, {@code pseudo_ticks = 1 + ticks}, which is what
 * the C's counter does when no cpu holds an exis critical section across a tick. As in the C, a
 * structure terminated while pseudo_ticks is still 1 (the first tick after power-on, time 0 for
 * the emulated machine) stores 0, which reads as LIVE.
 */
public final class Exislock {
    private final KernelMemory km;
    private final Lwkt lwkt;

    public Exislock(KernelMemory km, Lwkt lwkt) {
        this.km = km;
        this.lwkt = lwkt;
    }

    /** The global {@code pseudo_ticks} (see the PORT note). Any context. */
    public long pseudoTicks() {
        return 1 + lwkt.ticks();
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
