package org.dfemu.kernel.kern;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.machine.Param;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_LONG;

/**
 * subr_param.c: DragonFly BSD sys/kern/subr_param.c at commit 737b020b54 (2021-05-28), the
 * system parameters scaled against memory that the ported VM code reads: maxusers, maxproc
 * (sizes pmap_init2()'s PV ENTRY zone) and maxswzone (the swap pager's SWAPMETA KVA).
 *
 * <p>PORT: only these three of init_param1()/init_param2()'s parameters are computed (the
 * others size files, sockets, the callout wheel and buffers, which dfemu does not have); no
 * tunables are read (MAXUSERS is 0, so maxusers is computed; there is no kern.maxswzone).
 *
 * <p>Globals (in the data segment): {@code int maxusers; int maxproc; long maxswzone;}.
 */
public final class SubrParam {
    /** x86_64 param.h: the largest swap metadata KVA, 256 GiB. */
    public static final long VM_SWZONE_SIZE_MAX = 256L * 1024 * 1024 * 1024;

    private static final StructLayout GLOBALS = MemoryLayout.structLayout(
            C_INT.withName("maxusers"),
            C_INT.withName("maxproc"),
            C_LONG.withName("maxswzone")).withName("subr_param_globals");
    private static final long MAXUSERS = Ctypes.offset(GLOBALS, "maxusers");
    private static final long MAXPROC = Ctypes.offset(GLOBALS, "maxproc");
    private static final long MAXSWZONE = Ctypes.offset(GLOBALS, "maxswzone");

    private final Kernel kernel;
    private final KernelMemory km;
    private final long globals;

    /** (boot only) Lays out the globals. */
    public SubrParam(Kernel kernel, DataSegment data) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.globals = data.alloc(GLOBALS);
    }

    /** init_param1() (boot only): maxswzone = VM_SWZONE_SIZE_MAX. */
    public void initParam1() {
        km.store64(globals + MAXSWZONE, VM_SWZONE_SIZE_MAX);
    }

    /**
     * init_param2(physpages) (boot only), after pmap_bootstrap() has set KvaSize: limsize is the
     * smaller of RAM and KVA; maxswzone is at most half of it; maxusers is limsize/8 in MB (at
     * least 32); maxproc is NPROC = 20 + 16 * maxusers, at least 32 and at most 40 per MB of
     * limsize.
     */
    public void initParam2(long physpages) {
        long limsize = physpages * Param.PAGE_SIZE;
        long kvaSize = kernel.pmap().kvaSize();
        if (limsize > kvaSize) {
            limsize = kvaSize;
        }
        if (maxswzone() > limsize / 2) {
            km.store64(globals + MAXSWZONE, limsize / 2);
        }
        limsize /= 1024 * 1024;

        int maxusers = (int) (limsize / 8);
        if (maxusers < 32) {
            maxusers = 32;
        }
        km.store32(globals + MAXUSERS, maxusers);

        long maxproc = 20 + 16L * maxusers;
        if (maxproc < 32) {
            maxproc = 32;
        }
        if (maxproc > limsize * 40) {
            maxproc = limsize * 40;
        }
        km.store32(globals + MAXPROC, (int) maxproc);
    }

    /** {@code maxusers}. */
    public int maxusers() { return km.load32(globals + MAXUSERS); }

    /** {@code maxproc}. */
    public int maxproc() { return km.load32(globals + MAXPROC); }

    /** {@code maxswzone}: bytes of KVA the swap pager may reserve for SWAPMETA. */
    public long maxswzone() { return km.load64(globals + MAXSWZONE); }
}
