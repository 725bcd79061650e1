package org.dfemu.emulator.cpu;

import java.util.List;
import org.dfemu.emulator.api.Environment;
import org.dfemu.emulator.api.Tunable;

/**
 * The CPUs' cost model: how much virtual CPU time each unit of counted work takes. Work is
 * counted, never measured (in the manner of QEMU's icount): each {@link Cpu} counts its memory
 * accesses, page walks, traps and bytes zeroed or copied, and the scheduler turns the count into
 * virtual time at the running thread's next scheduling point, with the context switches it makes
 * itself. All zero ({@link #NONE}) is the machine without CPU time: only explicit charges
 * ({@code Scheduler.consume}) move the clock, as before the model existed.
 *
 * <p>Units: an access costs less than a nanosecond, so its cost is in picoseconds; the others are
 * in nanoseconds. The CPU sums its work in picoseconds and hands whole nanoseconds to the
 * scheduler, keeping the remainder for the next time, so no fraction is lost or rounded twice.
 * Zeroing and copying are per 4 KiB page and charged per byte (a partial page costs its share).
 * The calibration of the defaults, with its sources, is in docs/cpu-time.md.
 *
 * @param psPerAccess   one load, store or atomic through a CPU (kernel or user), a TLB hit
 * @param nsPerPageZero zeroing one 4 KiB page (pmap_zero_page, vm_page_zero_fill, bzero)
 * @param nsPerPageCopy copying one 4 KiB page (pmap_copy_page)
 * @param nsPerTrap     one trap entry and return (a page fault delivered to the kernel)
 * @param nsPerSwitch   one context switch (a hand-off between two kernel threads)
 * @param nsPerTlbWalk  one page walk after a TLB miss, besides the access it serves
 */
public record CpuCost(long psPerAccess, long nsPerPageZero, long nsPerPageCopy, long nsPerTrap, long nsPerSwitch,
                      long nsPerTlbWalk) {
    public static final Tunable MACHINE_CPU_PS_PER_ACCESS = Tunable.integer("machine.cpu_ps_per_access", "450",
            0, 1_000_000, "virtual CPU time of one memory access (load, store, atomic) in picoseconds; 0: none");
    public static final Tunable MACHINE_CPU_NS_PER_PAGE_ZERO = Tunable.integer("machine.cpu_ns_per_page_zero", "400",
            0, 1_000_000, "virtual CPU ns to zero one 4K page (charged per byte for part of a page)");
    public static final Tunable MACHINE_CPU_NS_PER_PAGE_COPY = Tunable.integer("machine.cpu_ns_per_page_copy", "700",
            0, 1_000_000, "virtual CPU ns to copy one 4K page");
    public static final Tunable MACHINE_CPU_NS_PER_TRAP = Tunable.integer("machine.cpu_ns_per_trap", "200",
            0, 1_000_000, "virtual CPU ns of one trap entry and return (a page fault)");
    public static final Tunable MACHINE_CPU_NS_PER_SWITCH = Tunable.integer("machine.cpu_ns_per_switch", "200",
            0, 1_000_000, "virtual CPU ns of one context switch between kernel threads");
    public static final Tunable MACHINE_CPU_NS_PER_TLB_WALK = Tunable.integer("machine.cpu_ns_per_tlb_walk", "30",
            0, 1_000_000, "virtual CPU ns of one page walk after a TLB miss");

    /** The cost model's tunables, in the order reports list them. */
    public static final List<Tunable> TUNABLES = List.of(MACHINE_CPU_PS_PER_ACCESS, MACHINE_CPU_NS_PER_PAGE_ZERO,
            MACHINE_CPU_NS_PER_PAGE_COPY, MACHINE_CPU_NS_PER_TRAP, MACHINE_CPU_NS_PER_SWITCH, MACHINE_CPU_NS_PER_TLB_WALK);

    /** No CPU time: every figure 0. */
    public static final CpuCost NONE = new CpuCost(0, 0, 0, 0, 0, 0);

    /** The tunables' defaults (docs/cpu-time.md derives them). */
    public static final CpuCost DEFAULT = fromEnv(Environment.EMPTY);

    public CpuCost {
        if (psPerAccess < 0 || nsPerPageZero < 0 || nsPerPageCopy < 0 || nsPerTrap < 0 || nsPerSwitch < 0
                || nsPerTlbWalk < 0) {
            throw new IllegalArgumentException("CpuCost: negative cost in " + this);
        }
    }

    /** The model the boot environment sets (machine.cpu_*). @throws org.dfemu.emulator.api.TunableException if invalid */
    public static CpuCost fromEnv(Environment env) {
        return new CpuCost(env.fetchLong(MACHINE_CPU_PS_PER_ACCESS), env.fetchLong(MACHINE_CPU_NS_PER_PAGE_ZERO),
                env.fetchLong(MACHINE_CPU_NS_PER_PAGE_COPY), env.fetchLong(MACHINE_CPU_NS_PER_TRAP),
                env.fetchLong(MACHINE_CPU_NS_PER_SWITCH), env.fetchLong(MACHINE_CPU_NS_PER_TLB_WALK));
    }

    /** True if every figure is 0: the CPUs count nothing into time and the scheduler charges no switch. */
    public boolean isNone() {
        return psPerAccess == 0 && nsPerPageZero == 0 && nsPerPageCopy == 0 && nsPerTrap == 0 && nsPerSwitch == 0
                && nsPerTlbWalk == 0;
    }
}
