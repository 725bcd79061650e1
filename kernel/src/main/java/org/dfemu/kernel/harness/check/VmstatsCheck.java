package org.dfemu.kernel.harness.check;

import java.util.ArrayList;
import java.util.List;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.StructVmstats;
import org.dfemu.kernel.vm.VmPage;

/**
 * (dfemu only) The sums of vmstats. Not a port of C code. The queue counters move with the
 * queues under the queue spinlocks and a page is wired and counted in v_wire_count in one step,
 * so at any scheduling point:
 * <ol>
 * <li>no page count is negative (counted with every cpu's pending {@code gd_vmstats_adj}), and {@code v_page_count} is at most the pages of
 *     vm_page_array (boot took the rest);</li>
 * <li>{@code v_free_count + v_cache_count + v_inactive_count + v_active_count} is at most
 *     {@code v_page_count} (a page is on one queue at most), and so is {@code v_wire_count}.</li>
 * </ol>
 * Not a rule: wire + queued <= v_page_count, since vm_page_wire leaves a page on its paging
 * queue (the pageout scan takes it off lazily), as DragonFly does. {@link VmPageQueueCheck} ties
 * each counter to its queues' lengths and v_wire_count to the wired pages.
 *
 * <p>Caller: any context; reads only, never blocks.
 */
public final class VmstatsCheck {
    private VmstatsCheck() {}

    /** Violations found (empty if consistent). */
    public static List<String> check(Kernel k) {
        List<String> errors = new ArrayList<>();
        KernelMemory km = k.km();
        long vs = k.vmMeter().vmstats();
        long pages = StructVmstats.v_page_count(km, vs);
        // The true counts, global plus every cpu's pending adjustment: the global alone may be
        // negative, as in the C, after a cpu folded a large removal early (below -1024) while
        // another cpu's matching additions wait for its hardclock.
        org.dfemu.kernel.vm.VmMeter m = k.vmMeter();
        long free = m.trueCount(StructVmstats.v_free_count$OFFSET);
        long cache = m.trueCount(StructVmstats.v_cache_count$OFFSET);
        long inactive = m.trueCount(StructVmstats.v_inactive_count$OFFSET);
        long active = m.trueCount(StructVmstats.v_active_count$OFFSET);
        long wired = m.trueCount(StructVmstats.v_wire_count$OFFSET);
        if (free < 0 || cache < 0 || inactive < 0 || active < 0 || wired < 0 || wired > pages) {
            errors.add(String.format("counts out of range: free %d cache %d inactive %d active %d wire %d of %d pages",
                    free, cache, inactive, active, wired, pages));
        }
        VmPage vp = k.vmPage();
        if (pages > vp.vmPageArraySize()) {
            errors.add("v_page_count " + pages + " exceeds vm_page_array's " + vp.vmPageArraySize() + " pages");
        }
        long sum = free + cache + inactive + active;
        if (sum > pages) {
            errors.add(String.format("free %d + cache %d + inactive %d + active %d = %d exceeds v_page_count %d",
                    free, cache, inactive, active, sum, pages));
        }
        return errors;
    }
}
