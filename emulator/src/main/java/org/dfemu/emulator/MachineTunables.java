package org.dfemu.emulator;

import java.util.ArrayList;
import java.util.List;
import org.dfemu.emulator.cpu.CpuSettings;
import org.dfemu.emulator.disk.LatencyModel;
import org.dfemu.emulator.sched.SchedulerSettings;

/**
 * Every tunable the machine reads, gathered from the classes that declare them beside the code
 * that reads them. A class that reads its first tunable adds its {@code TUNABLES} list here;
 * another tunable of a listed class is only a declaration there.
 */
public final class MachineTunables {
    private MachineTunables() {}

    /**
     * RAM, CPUs and clock (MachineConfig), the disk (LatencyModel), the scheduler's watchdog, the
     * CPUs' TLB check (CpuSettings) and cost model (CpuCost).
     */
    public static final List<org.dfemu.emulator.api.Tunable> ALL = concat(
            MachineConfig.TUNABLES, LatencyModel.TUNABLES, SchedulerSettings.TUNABLES, CpuSettings.TUNABLES,
            org.dfemu.emulator.cpu.CpuCost.TUNABLES);

    @SafeVarargs
    private static <T> List<T> concat(List<? extends T>... lists) {
        List<T> all = new ArrayList<>();
        for (List<? extends T> l : lists) all.addAll(l);
        return List.copyOf(all);
    }
}
