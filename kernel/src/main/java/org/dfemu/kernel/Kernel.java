package org.dfemu.kernel;

import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.kernel.kern.Lwkt;
import org.dfemu.kernel.machine.Machdep;
import org.dfemu.kernel.sys.Sysctl;
import org.dfemu.kernel.vm.VmMeter;
import org.dfemu.kernel.vm.VmObject;
import org.dfemu.kernel.vm.VmPage;
import org.dfemu.kernel.vm.VmPage2;
import org.dfemu.kernel.vm.VmPageout;

/**
 * One booted kernel: the per-boot context every ported C file reaches the others through, as the
 * C reaches them through global symbols ({@code kernel.vmPage().vmPageAlloc(...)} for
 * {@code vm_page_alloc(...)}).
 *
 * <p>Many kernels may live in one JVM (sweeps boot them in parallel), so nothing in the port is
 * static and mutable: each C file is one instance here, holding only immutable configuration and
 * the addresses of its globals; all kernel state is in the machine's RAM.
 *
 * <p>Life cycle:
 * <ol>
 * <li>{@code new Kernel(ram, config)} links the kernel: each C-file class lays out its globals in
 *     the data segment (from physical 2 MiB) and registers its sysctls; the segment is closed and
 *     its end becomes {@code physfree}.</li>
 * <li>{@link #boot()} runs the early boot in boot context (on the calling Java thread, as
 *     thread0): getmemsize, vm_page_startup, vm_page_startup_finish, the pageout thresholds.
 *     Early page tables (pmap_bootstrap) are allocated with {@code machdep().allocpages()}
 *     before getmemsize.</li>
 * <li>The machine attaches its scheduler ({@code lwkt().attachScheduler}), kernel threads are
 *     created with {@code lwkt().lwktCreate} and the scheduler runs them.</li>
 * </ol>
 */
public final class Kernel {
    private final KernelConfig config;
    private final KernelMemory km;
    private final Sysctl sysctl;
    private final Lwkt lwkt;
    private final Machdep machdep;
    private final VmMeter vmMeter;
    private final VmPageout vmPageout;
    private final VmObject vmObject;
    private final VmPage2 vmPage2;
    private final VmPage vmPage;
    private final long physfree;

    /**
     * Links a kernel over {@code ram} (step 1 above). The calling Java thread becomes the boot
     * context. Panics if RAM cannot hold the kernel's data segment.
     */
    public Kernel(PhysicalMemory ram, KernelConfig config) {
        this.config = config;
        this.km = new KernelMemory(ram);
        DataSegment data = new DataSegment(km);
        this.sysctl = new Sysctl(km);
        // Each constructor only lays out globals and keeps `this`; cross-file calls happen later.
        this.lwkt = new Lwkt(this, data);
        this.machdep = new Machdep(this, data);
        this.vmMeter = new VmMeter(this, data, sysctl);
        this.vmPageout = new VmPageout(this, data, sysctl);
        this.vmObject = new VmObject(this);
        this.vmPage2 = new VmPage2(this);
        this.vmPage = new VmPage(this, data);
        this.physfree = data.close();
        machdep.setPhysfree(physfree);
    }

    /** Links and boots a kernel over {@code ram}: {@code new Kernel(ram, config).boot()}. */
    public static Kernel boot(PhysicalMemory ram, KernelConfig config) {
        Kernel k = new Kernel(ram, config);
        k.boot();
        return k;
    }

    /**
     * Early boot (step 2 above), in boot context; returns this kernel. A panic during boot is
     * attributed to thread0.
     */
    public Kernel boot() {
        try {
            machdep.getmemsize();
            vmPage.vmPageStartup();
            vmPage.vmPageStartupFinish();
            vmPageout.vmPageoutThreadSetup();
        } catch (KernelPanic p) {
            throw p.inThread(0, "thread0");
        }
        return this;
    }

    public KernelConfig config() { return config; }

    /** Kernel memory access by kernel virtual address. */
    public KernelMemory km() { return km; }

    /** The sysctl tree. */
    public Sysctl sysctl() { return sysctl; }

    /** {@code physfree}: first physical address after the kernel image (the data segment). */
    public long physfree() { return physfree; }

    /** {@code physmem}: pages of RAM. */
    public long physmem() { return machdep.physmem(); }

    public Lwkt lwkt() { return lwkt; }

    public Machdep machdep() { return machdep; }

    public VmMeter vmMeter() { return vmMeter; }

    public VmPageout vmPageout() { return vmPageout; }

    public VmObject vmObject() { return vmObject; }

    public VmPage2 vmPage2() { return vmPage2; }

    public VmPage vmPage() { return vmPage; }
}
