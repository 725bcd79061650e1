package org.dfemu.emulator.cpu;

import java.util.List;
import org.dfemu.emulator.api.Environment;
import org.dfemu.emulator.api.Tunable;

/**
 * The fixed features of the emulated CPUs, chosen when the machine is built.
 *
 * @param nxe          EFER.NXE: when on, the NX bit forbids instruction fetches and a fetch
 *                     fault reports I; when off, NX is a reserved bit. DragonFly enables it
 *                     ({@code machdep.pmap_nx_enable}), so the default is on.
 * @param physAddrBits MAXPHYADDR (36..52): entry bits 51:MAXPHYADDR are reserved. The default,
 *                     46, is what common server parts report.
 * @param tlbCheck     debugging, no hardware feature: every TLB hit is compared with a fresh walk
 *                     of the page tables that changes nothing, and a hit the tables no longer
 *                     back throws {@link org.dfemu.emulator.mmu.StaleTlbEntryException} (a missing
 *                     invalidation in the software that changed them). Off by default.
 * @param cost         the virtual CPU time of counted work ({@link CpuCost}); {@link CpuCost#NONE}
 *                     for machines built without a boot environment ({@link #DEFAULT}), the
 *                     tunables' calibrated defaults for a boot ({@link #fromEnv})
 */
public record CpuSettings(boolean nxe, int physAddrBits, boolean tlbCheck, CpuCost cost) {
    public static final Tunable DEBUG_TLB_CHECK = Tunable.flag("debug.tlb_check", "0",
            "compare every TLB hit (kernel and user accesses) with a fresh page walk and panic on a stale"
                    + " translation, a missing invalidation; slow");

    /** The CPUs' tunables, in the order reports list them. */
    public static final List<Tunable> TUNABLES = List.of(DEBUG_TLB_CHECK);

    /** NXE on, MAXPHYADDR 46, no TLB check, no CPU time. */
    public static final CpuSettings DEFAULT = new CpuSettings(true, 46, false);

    public CpuSettings {
        java.util.Objects.requireNonNull(cost, "cost");
        if (physAddrBits < 36 || physAddrBits > 52) {
            throw new IllegalArgumentException("CpuSettings: MAXPHYADDR " + physAddrBits + " outside 36..52");
        }
    }

    /** CPUs without the TLB check. */
    public CpuSettings(boolean nxe, int physAddrBits) {
        this(nxe, physAddrBits, false);
    }

    /** CPUs without CPU time ({@link CpuCost#NONE}). */
    public CpuSettings(boolean nxe, int physAddrBits, boolean tlbCheck) {
        this(nxe, physAddrBits, tlbCheck, CpuCost.NONE);
    }

    /**
     * {@link #DEFAULT} with the TLB check of the boot environment's {@code debug.tlb_check} and
     * the cost model of its {@code machine.cpu_*} settings ({@link CpuCost#fromEnv}).
     *
     * @throws org.dfemu.emulator.api.TunableException if the value in {@code env} is invalid
     */
    public static CpuSettings fromEnv(Environment env) {
        return DEFAULT.withTlbCheck(env.fetchFlag(DEBUG_TLB_CHECK)).withCost(CpuCost.fromEnv(env));
    }

    /** These settings with the TLB check on or off. */
    public CpuSettings withTlbCheck(boolean on) {
        return new CpuSettings(nxe, physAddrBits, on, cost);
    }

    /** These settings with the cost model {@code c}. */
    public CpuSettings withCost(CpuCost c) {
        return new CpuSettings(nxe, physAddrBits, tlbCheck, c);
    }
}
