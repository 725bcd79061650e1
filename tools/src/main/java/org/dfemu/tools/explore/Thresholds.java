package org.dfemu.tools.explore;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.dfemu.emulator.Machine;
import org.dfemu.emulator.MachineConfig;
import org.dfemu.emulator.api.Environment;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.kern.InitMain;
import org.dfemu.kernel.harness.workload.Instruction;
import org.dfemu.kernel.harness.workload.Workload;
import org.dfemu.kernel.sys.StructKmallocSlab;
import org.dfemu.kernel.sys.Sysctl;
import org.dfemu.kernel.vm.StructSwblock;
import org.dfemu.kernel.vm.StructVmZone;

/**
 * The page counts a scenario's sizes are drawn around, as the booted kernel computes them for a
 * machine's RAM and CPUs: the free-page ladder (vm_pageout_free_page_calc and the paging targets
 * of the pagedaemon's setup), the wired-page limit, the pages of one kmalloc_obj slab and the
 * swap pages the SWAPMETA zone's ready items cover. Nothing here is a number of its own: each
 * value is read from a kernel booted without processes ({@link InitMain#NONE}, then the
 * pagedaemon's one-time setup and swap_pager_swap_init, which the daemon would run first).
 * Cached per machine shape; the values are a pure function of it.
 *
 * @param named the thresholds by name, in ladder order (smallest first for the free ladder)
 */
record Thresholds(long pageCount, long freeAtBoot, List<Named> named) {
    /** One threshold: its kernel name and its value in pages. */
    record Named(String name, long pages) {}

    private static final ConcurrentHashMap<Long, Thresholds> CACHE = new ConcurrentHashMap<>();

    /** The thresholds of a machine with {@code physmem} bytes of RAM and {@code ncpu} CPUs. */
    static Thresholds of(long physmem, int ncpu) {
        return CACHE.computeIfAbsent(physmem * 128 + ncpu, k -> boot(physmem, ncpu));
    }

    private static final List<String> LADDER = List.of(
            "vm.stats.vm.v_interrupt_free_min", "vm.stats.vm.v_pageout_free_min", "vm.v_free_severe",
            "vm.stats.vm.v_free_reserved", "vm.stats.vm.v_free_min", "vm.stats.vm.v_paging_wait",
            "vm.stats.vm.v_paging_start", "vm.stats.vm.v_paging_target1", "vm.stats.vm.v_paging_target2");

    private static Thresholds boot(long physmem, int ncpu) {
        try (Machine machine = new Machine(MachineConfig.of(physmem, ncpu, 1))) {
            Kernel kernel = InitMain.miStartup(machine, KernelConfig.forMachine(machine.config(), Environment.EMPTY),
                    null, Workload.EMPTY, 1, InitMain.NONE).kernel();
            // The pagedaemon's first acts, which set the ladder, the targets and the wired limit.
            kernel.vmPageout().vmPageoutThreadSetup();
            kernel.swapPager().swapPagerSwapInit();
            Sysctl sysctl = kernel.sysctl();
            List<Named> named = new ArrayList<>();
            for (String name : LADDER) {
                if (sysctl.exists(name)) named.add(new Named(name.substring(name.lastIndexOf('.') + 1), sysctl.read(name)));
            }
            long free = sysctl.read("vm.stats.vm.v_free_count");
            named.add(new Named("vm_page_max_wired", kernel.vmPageout().vmPageMaxWired()));
            named.add(new Named("kmalloc_obj_slab", StructKmallocSlab.KMALLOC_SLAB_SIZE / Instruction.PAGE_SIZE));
            for (long z : kernel.vmZone().zones()) {
                if (kernel.vmZone().zname(z).equals("SWAPMETA")) {
                    long ready = StructVmZone.zfreecnt(kernel.km(), z);
                    named.add(new Named("swapmeta_ready", Math.max(1, ready) * StructSwblock.SWAP_META_PAGES));
                }
            }
            named.add(new Named("v_free_count", free));
            return new Thresholds(sysctl.read("vm.stats.vm.v_page_count"), free, List.copyOf(named));
        }
    }
}
