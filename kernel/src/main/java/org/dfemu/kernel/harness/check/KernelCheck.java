package org.dfemu.kernel.harness.check;

import java.util.ArrayList;
import java.util.List;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.sys.StructProc;
import org.dfemu.kernel.vm.StructVmspace;

/**
 * (dfemu only) Every invariant checker of the project, in one pass, as a simulation runs them
 * (TigerBeetle's VOPR, FoundationDB's simulation): page queues ({@link VmPageQueueCheck}),
 * vmstats sums ({@link VmstatsCheck}), the kernel page tables and every live user pmap
 * ({@link PmapCheck}), swap ({@link SwapCheck}, which runs {@link BlistCheck}), zalloc zones
 * ({@link ZoneCheck}) and kmalloc_obj slabs ({@link KmallocObjCheck}).
 *
 * <p>When it may run: at any point where no kernel thread is between two scheduling points,
 * i.e. from a clock event or after the run. Threads may then be asleep in the middle of an
 * operation (holding a lockmgr lock or a pv, pages busy, I/O in flight, swap blocks allocated
 * but not yet in a swblock). Each checker's class comment says which of its rules hold only
 * at quiescence; this class passes {@code quiescent} through, and skips a user pmap that has a
 * locked pv or a held placemarker unless quiescent (a thread asleep inside pmap_enter may have a
 * page-table page's pv without the page linked yet). Quiescent means: no process is left and
 * the run has ended, so no operation on user memory is in progress.
 *
 * <p>Reads emulated memory only (no stores, no locks, no scheduler calls, no virtual time), so
 * a run is the same with and without checks. Never blocks.
 */
public final class KernelCheck {
    private KernelCheck() {}

    /**
     * The first failing check: its name, its first inconsistency, and how many it found.
     */
    public record Violation(String check, String first, int count) {
        /** {@code check: first (and N more)}. */
        @Override
        public String toString() {
            return check + ": " + first + (count > 1 ? " (and " + (count - 1) + " more)" : "");
        }
    }

    /** Runs every checker in a fixed order; returns the first violation, or null if none. */
    public static Violation run(Kernel k, boolean quiescent) {
        Violation v = first("vm_page queues", VmPageQueueCheck.check(k));
        if (v == null) v = first("vmstats", VmstatsCheck.check(k));
        if (v == null) v = first("pmap (kernel)", new PmapCheck(k).checkKernel());
        if (v == null) v = userPmaps(k, quiescent);
        if (v == null) v = first("swap", SwapCheck.check(k, quiescent));
        if (v == null) v = first("zalloc zones", ZoneCheck.check(k));
        if (v == null) v = first("kmalloc_obj slabs", KmallocObjCheck.check(k));
        return v;
    }

    private static Violation userPmaps(Kernel k, boolean quiescent) {
        PmapCheck pc = new PmapCheck(k);
        List<Long> pmaps = new ArrayList<>();
        List<Integer> pids = new ArrayList<>();
        k.kernProcTable().allprocScan(p -> {
            long vm = StructProc.p_vmspace(k.km(), p);
            if (vm != 0) {
                pmaps.add(StructVmspace.vm_pmap(vm));
                pids.add(StructProc.p_pid(k.km(), p));
            }
            return true;
        });
        for (int i = 0; i < pmaps.size(); i++) {
            long pm = pmaps.get(i);
            if (!quiescent && pc.busy(pm)) {
                continue;
            }
            Violation v = first("pmap (pid " + pids.get(i) + ")", pc.checkUserPmap(pm, quiescent));
            if (v != null) return v;
        }
        return null;
    }

    private static Violation first(String check, List<String> errors) {
        return errors.isEmpty() ? null : new Violation(check, errors.getFirst(), errors.size());
    }
}
