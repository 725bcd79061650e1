package org.dfemu.kernel;

import java.util.ArrayList;
import java.util.List;
import org.dfemu.emulator.api.Tunable;
import org.dfemu.kernel.harness.check.PeriodicCheck;
import org.dfemu.kernel.harness.check.ReclaimCheck;
import org.dfemu.kernel.harness.inject.FailAlloc;
import org.dfemu.kernel.kern.KernKmalloc;
import org.dfemu.kernel.kern.Lwkt;
import org.dfemu.kernel.vm.SwapPager;
import org.dfemu.kernel.vm.VmPage;

/**
 * Every tunable the kernel fetches from its environment, gathered from the classes that declare
 * them beside the code that reads them (DragonFly's TUNABLE_* next to their readers). A class
 * that reads its first tunable adds its {@code TUNABLES} list here; another tunable of a listed
 * class, or another value of an existing one, is only a change in that class.
 */
public final class KernelTunables {
    private KernelTunables() {}

    /**
     * The kernel proper, the swap pager's variant, kmalloc_obj's reserve, the thread cache, the harness's invariant
     * checks (debug.check_interval, fetched by the boot entry point), the reclaim-context checker,
     * fault injection.
     */
    public static final List<Tunable> ALL = concat(
            Kernel.TUNABLES, VmPage.TUNABLES, SwapPager.TUNABLES, KernKmalloc.TUNABLES, Lwkt.TUNABLES, PeriodicCheck.TUNABLES,
            ReclaimCheck.TUNABLES, FailAlloc.TUNABLES);

    @SafeVarargs
    private static List<Tunable> concat(List<Tunable>... lists) {
        List<Tunable> all = new ArrayList<>();
        for (List<Tunable> l : lists) all.addAll(l);
        return List.copyOf(all);
    }
}
