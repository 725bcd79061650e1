package org.dfemu.kernel.vm;

import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.StructGlobaldata;
import org.dfemu.kernel.sys.StructVmmeter;
import org.dfemu.kernel.sys.StructVmstats;
import org.dfemu.kernel.sys.Sysctl;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * vm_meter.c: DragonFly BSD sys/vm/vm_meter.c at commit 737b020b54 (2021-05-28).
 *
 * <p>The VM statistics: the global {@code struct vmstats vmstats} every threshold test reads, the
 * per-cpu {@code struct vmmeter} event counters, and the vm.* / vm.stats.* sysctls over them.
 *
 * <p>Globals (in the data segment):
 * <pre>
 * struct vmstats vmstats;              // the global page counts and thresholds
 * struct vmmeter gd_cnt[ncpus];        // PORT: globaldata's gd_cnt, one per cpu, in one array
 * </pre>
 *
 * <p>Per-cpu copies, as in the C (vm_meter.c, vm_page.c, kern_clock.c): a cpu adds each queue
 * change both to its pending adjustment {@code gd->gd_vmstats_adj} and to its own copy
 * {@code gd->gd_vmstats}, so it sees its own changes at once; wiring changes go to the adjustment
 * only. The threshold tests read the running cpu's copy (vm_page2.h). {@link #vmstatsRollupCpu}
 * folds one cpu's adjustments into the global vmstats; every cpu does so from its hardclock and
 * then takes a fresh copy of the global ({@link org.dfemu.kernel.kern.KernClock});
 * {@link #vmstatsRollup} folds every cpu's at once (the pagedaemon, three times a pass;
 * vm_page_alloc when the counts promised a page it could not find). A queue removal also folds
 * its count early when the adjustment is below -1024 while paging is near, into the global only.
 * So another cpu's changes reach a cpu's copy only after the changing cpu's hardclock (or an early
 * fold, or a rollup) and then the reading cpu's next hardclock: the thresholds are soft across
 * cpus, as in DragonFly.
 */
public final class VmMeter {
    private final KernelMemory km;
    private final Kernel kernel;
    private final long vmstats;
    private final long gdCnt;
    /**
     * PORT: dfemu-only globals, not in DragonFly (which has no such counter): the lowest
     * v_free_count reached since boot and the virtual time it was first reached, for sweeps.
     * {@code struct { long v_free_low; long v_free_low_time; }}, v_free_low -1 until the first
     * page leaves a free queue.
     */
    private final long dfemuFreeLow;

    /** (boot only) Lays out the globals and registers the sysctls. */
    public VmMeter(Kernel kernel, DataSegment data, Sysctl sysctl) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.vmstats = data.alloc(StructVmstats.layout());
        StructLayout cntArray = MemoryLayout.structLayout(
                MemoryLayout.sequenceLayout(kernel.config().ncpus(), StructVmmeter.layout()).withName("gd_cnt"));
        this.gdCnt = data.alloc(cntArray);
        this.dfemuFreeLow = data.alloc(16, 8);
        km.store64(dfemuFreeLow, -1);
        registerSysctls(sysctl);
    }

    /** {@code &vmstats}. */
    public long vmstats() { return vmstats; }

    /** {@code &globaldata_find(cpu)->gd_cnt}. */
    public long gdCnt(int cpu) { return gdCnt + (long) cpu * StructVmmeter.SIZEOF; }

    /** {@code &mycpu->gd_vmstats}: the running cpu's copy, which the paging predicates read. */
    public long mygdVmstats() {
        return StructGlobaldata.gd_vmstats(kernel.globaldata().mycpu());
    }

    /** The counts a cpu adjusts through gd_vmstats_adj and vmstats_rollup_cpu() folds. */
    private static final long[] ROLLUP_COUNTS = {
            StructVmstats.v_free_count$OFFSET, StructVmstats.v_cache_count$OFFSET,
            StructVmstats.v_inactive_count$OFFSET, StructVmstats.v_active_count$OFFSET,
            StructVmstats.v_wire_count$OFFSET};

    /**
     * vmstats_rollup(): folds every cpu's pending adjustments into the global vmstats, then
     * refreshes the running cpu's copy. Any context; never blocks.
     */
    public void vmstatsRollup() {
        for (int cpu = 0; cpu < kernel.config().ncpus(); cpu++) {
            vmstatsRollupCpu(kernel.globaldata().globaldataFind(cpu));
        }
        gdVmstatsRefresh(kernel.globaldata().mycpu());
    }

    /**
     * vmstats_rollup_cpu(): moves {@code gd}'s pending adjustments of the page counts into the
     * global vmstats (each swapped to 0 atomically, then added). Any context; never blocks.
     */
    public void vmstatsRollupCpu(long gd) {
        long adj = StructGlobaldata.gd_vmstats_adj(gd);
        for (long off : ROLLUP_COUNTS) {
            if (km.load64(adj + off) != 0) {
                long value = km.swap64(adj + off, 0);
                StructVmstats.add(km, vmstats, off, value);
            }
        }
    }

    /** {@code gd->gd_vmstats = vmstats}: the structure copy a cpu takes after a rollup. Any context. */
    public void gdVmstatsRefresh(long gd) {
        long dst = StructGlobaldata.gd_vmstats(gd);
        for (long off = 0; off < StructVmstats.SIZEOF; off += 8) {
            km.store64(dst + off, km.load64(vmstats + off));
        }
    }

    /**
     * PORT: dfemu-only (DragonFly has no such function): the true page count at {@code offset}
     * (one of the rolled-up counts), the global value plus every cpu's pending adjustment, for
     * dfemu's own measurements and checks, which must not lag as the kernel's view does.
     */
    public long trueCount(long offset) {
        long n = km.load64(vmstats + offset);
        for (int cpu = 0; cpu < kernel.config().ncpus(); cpu++) {
            long gd = kernel.globaldata().globaldataFind(cpu);
            n += km.load64(StructGlobaldata.gd_vmstats_adj(gd) + offset);
        }
        return n;
    }

    /** {@code &mycpu->gd_cnt}. */
    public long mycnt() { return gdCnt(kernel.lwkt().mycpuid()); }

    /**
     * PORT: dfemu-only (DragonFly has no such counter): called where v_free_count goes down
     * (a page leaves a PQ_FREE queue); keeps the lowest true count ({@link #trueCount}, not the
     * lagging global one) and when it was reached.
     */
    public void dfemuFreeLow() {
        // dfemu's own measurement, not the kernel's work: its accesses are an instrument's
        // (not counted as CPU time, no TLB use).
        org.dfemu.emulator.cpu.Cpu token = km.instrumentBegin();
        try {
            long freeCount = trueCount(StructVmstats.v_free_count$OFFSET);
            long low = km.load64(dfemuFreeLow);
            if (low < 0 || freeCount < low) {
                km.store64(dfemuFreeLow, freeCount);
                km.store64(dfemuFreeLow + 8, kernel.lwkt().nanouptime());
            }
        } finally {
            km.instrumentEnd(token);
        }
    }

    /** vcnt(): the u_int counter at {@code offset} summed over all cpus (wrapping as the C's int does). */
    public long vcnt(long offset) {
        int count = 0;
        for (int i = 0; i < kernel.config().ncpus(); i++) {
            count += (int) StructVmmeter.get(km, gdCnt(i), offset);
        }
        return Integer.toUnsignedLong(count);
    }

    private void registerSysctls(Sysctl s) {
        long v = vmstats;
        s.sysctlLong("vm.v_free_min", v + StructVmstats.v_free_min$OFFSET, "Minimum number of pages desired free");
        s.sysctlLong("vm.v_paging_wait", v + StructVmstats.v_paging_wait$OFFSET, "Userland slows down allocations");
        s.sysctlLong("vm.v_paging_start", v + StructVmstats.v_paging_start$OFFSET, "Pageout daemon begins running");
        s.sysctlLong("vm.v_paging_target1", v + StructVmstats.v_paging_target1$OFFSET, "Mid pageout daemon target");
        s.sysctlLong("vm.v_paging_target2", v + StructVmstats.v_paging_target2$OFFSET, "Final pageout daemon target");
        s.sysctlLong("vm.v_free_reserved", v + StructVmstats.v_free_reserved$OFFSET, "Number of pages reserved for deadlock");
        s.sysctlLong("vm.v_inactive_target", v + StructVmstats.v_inactive_target$OFFSET, "Maximum inactive pages during pageout");
        s.sysctlLong("vm.v_pageout_free_min", v + StructVmstats.v_pageout_free_min$OFFSET, "Min number pages reserved for kernel");
        // PORT: dfemu-only, no DragonFly sysctl: the low-water mark of v_free_count and its
        // virtual time in ns (see dfemuFreeLow).
        s.sysctlLong("debug.dfemu.v_free_low", dfemuFreeLow, "Lowest v_free_count since boot (dfemu)");
        s.sysctlLong("debug.dfemu.v_free_low_time", dfemuFreeLow + 8, "Virtual ns when v_free_low was reached (dfemu)");
        s.sysctlLong("vm.v_free_severe", v + StructVmstats.v_free_severe$OFFSET, "");

        for (String name : StructVmmeter.COUNTERS) {
            if (name.equals("v_lock_colls") || name.equals("v_wakeup_colls") || name.equals("v_reserved7")
                    || name.equals("v_smpinvltlb") || name.equals("v_exec") || name.equals("v_intr")) {
                continue;
            }
            long off = StructVmmeter.offsetOf(name);
            String node = isSysCounter(name) ? "vm.stats.sys." : "vm.stats.vm.";
            s.sysctlProc(node + name, () -> vcnt(off), "");
        }
        // v_intr folds in IPIs and timer interrupts (vcnt_intr).
        s.sysctlProc("vm.stats.sys.v_intr", () -> Integer.toUnsignedLong((int) (vcnt(StructVmmeter.v_intr$OFFSET)
                + vcnt(StructVmmeter.v_ipi$OFFSET) + vcnt(StructVmmeter.v_timer$OFFSET))), "Hardware interrupts");

        s.sysctlUint("vm.stats.vm.v_page_size", v + StructVmstats.v_page_size$OFFSET, "Page size in bytes");
        s.sysctlLong("vm.stats.vm.v_page_count", v + StructVmstats.v_page_count$OFFSET, "Total number of pages in system");
        s.sysctlLong("vm.stats.vm.v_free_reserved", v + StructVmstats.v_free_reserved$OFFSET, "Number of pages reserved for deadlock");
        s.sysctlLong("vm.stats.vm.v_free_min", v + StructVmstats.v_free_min$OFFSET, "Minimum number of pages desired free");
        s.sysctlLong("vm.stats.vm.v_paging_wait", v + StructVmstats.v_paging_wait$OFFSET, "Userland slows down allocations");
        s.sysctlLong("vm.stats.vm.v_paging_start", v + StructVmstats.v_paging_start$OFFSET, "Pageout daemon begins running");
        s.sysctlLong("vm.stats.vm.v_paging_target1", v + StructVmstats.v_paging_target1$OFFSET, "Mid pageout daemon target");
        s.sysctlLong("vm.stats.vm.v_paging_target2", v + StructVmstats.v_paging_target2$OFFSET, "Final pageout daemon target");
        s.sysctlLong("vm.stats.vm.v_free_count", v + StructVmstats.v_free_count$OFFSET, "Number of pages free");
        s.sysctlLong("vm.stats.vm.v_wire_count", v + StructVmstats.v_wire_count$OFFSET, "Number of pages wired down");
        s.sysctlLong("vm.stats.vm.v_active_count", v + StructVmstats.v_active_count$OFFSET, "Number of pages active");
        s.sysctlLong("vm.stats.vm.v_inactive_target", v + StructVmstats.v_inactive_target$OFFSET, "Maximum inactive pages during pageout");
        s.sysctlLong("vm.stats.vm.v_inactive_count", v + StructVmstats.v_inactive_count$OFFSET, "Number of pages inactive");
        s.sysctlLong("vm.stats.vm.v_cache_count", v + StructVmstats.v_cache_count$OFFSET, "Number of pages on buffer cache queue");
        s.sysctlLong("vm.stats.vm.v_pageout_free_min", v + StructVmstats.v_pageout_free_min$OFFSET, "Min number pages reserved for kernel");
        s.sysctlLong("vm.stats.vm.v_interrupt_free_min", v + StructVmstats.v_interrupt_free_min$OFFSET, "Reserved number of pages for int code");
    }

    // The C files the general-activity counters under vm.stats.sys; the rest under vm.stats.vm.
    private static boolean isSysCounter(String name) {
        return switch (name) {
            case "v_swtch", "v_trap", "v_syscall", "v_intr", "v_ipi", "v_timer", "v_soft",
                 "v_intrans_coll", "v_intrans_wait", "v_forwarded_ints", "v_forwarded_hits",
                 "v_forwarded_misses" -> true;
            default -> false;
        };
    }
}
