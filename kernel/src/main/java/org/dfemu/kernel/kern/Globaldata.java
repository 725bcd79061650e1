package org.dfemu.kernel.kern;

import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.StructGlobaldata;

/**
 * The per-cpu globaldata array and {@code mycpu}: DragonFly's sys/sys/globaldata.h together with
 * mi_gdinit() of kern/init_main.c, at commit 737b020b54 (2021-05-28).
 *
 * <p>One {@link StructGlobaldata} per cpu lives in the data segment (the C allocates the APs'
 * from kernel_map at SMP startup; the port links them statically since its cpu count is known at
 * link time). {@link #mycpu} is the running thread's cpu's, as the C's {@code %gs}-relative
 * {@code mycpu}.
 */
public final class Globaldata {
    private final KernelMemory km;
    private final Lwkt lwkt;
    private final long base;

    /** (boot only) Lays out and initialises (mi_gdinit) one globaldata per cpu. */
    public Globaldata(Kernel kernel, DataSegment data) {
        this.km = kernel.km();
        this.lwkt = kernel.lwkt();
        int ncpus = kernel.config().ncpus();
        this.base = data.alloc(StructGlobaldata.SIZEOF * ncpus, StructGlobaldata.layout().byteAlignment());
        for (int i = 0; i < ncpus; i++) {
            StructGlobaldata.gd_cpuid(km, globaldataFind(i), i);
        }
    }

    /** {@code globaldata_find(cpu)}. */
    public long globaldataFind(int cpu) {
        return base + (long) cpu * StructGlobaldata.SIZEOF;
    }

    /** {@code mycpu}: the globaldata of the cpu the caller runs on (cpu 0 in boot context). */
    public long mycpu() {
        return globaldataFind(lwkt.mycpuid());
    }
}
