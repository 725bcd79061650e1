package org.dfemu.kernel.harness.report;

import org.dfemu.emulator.sched.DeadlockReport;
import org.dfemu.emulator.sched.ThreadInfo;
import org.dfemu.emulator.sched.ThreadState;
import org.dfemu.kernel.harness.witness.LockMode;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.machine.StructPmap;
import org.dfemu.kernel.machine.Vmparam;
import org.dfemu.kernel.sys.StructProc;
import org.dfemu.kernel.sys.StructThread;
import org.dfemu.kernel.sys.StructVmstats;
import org.dfemu.kernel.vm.StructVmPage;
import org.dfemu.kernel.vm.StructVmspace;
import org.dfemu.kernel.vm.VmPageout;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * (dfemu only) The kernel's account of a deadlock or livelock, in the spirit of DragonFly's ddb
 * commands ({@code show threads}, {@code show vmtotal}, {@code ps}): what a kernel engineer would
 * type at the debugger after the machine stopped making progress, printed in kernel terms rather
 * than as Java stacks. DragonFly has no such C file.
 *
 * <p>Sections, from {@link #report}:
 * <ol>
 * <li>every blocked thread: its wait message, its wait channel resolved to a kernel symbol
 *     ({@code &vmstats.v_free_count}, {@code vm_page[N] (pa 0x...)}, a thread by name), the lock
 *     it waits for and its holder, its timeout, and its kernel call chain (the frames the port
 *     pushes with {@code lwkt().pushFrame}, innermost first);</li>
 * <li>the free-page count against each reserve and paging threshold, marking the lines it is
 *     below, with the pageout daemon's request counters;</li>
 * <li>swap in use and free, and the swap I/O under way;</li>
 * <li>who could free memory and why it does not: the pagedaemon and emergpager
 *     ({@link VmPageout#pagethread()}, {@link VmPageout#emergpager()}; "not running" while 0),
 *     the swap completion thread, and the processes holding resident pages.</li>
 * </ol>
 * Reads kernel memory only; call it after the run stopped (the scheduler's thread snapshot is
 * from that instant). No requirements.
 */
public final class DdbDeadlock {
    private DdbDeadlock() {}

    /**
     * The wait messages of the kernel's waits for memory, which arm the stall watchdog
     * (debug.stall_timeout): vm_wait() ("vmwait"; "VMWait" for the pageout daemons) and
     * vm_wait_pfault() ("pfault").
     */
    public static final Set<String> MEMORY_WAIT_WMESGS = Set.of("vmwait", "VMWait", "pfault");

    /** The report for a run that ended as {@code deadlock} (DEADLOCK or LIVELOCK). */
    public static List<String> report(Kernel kernel, DeadlockReport deadlock) {
        return report(kernel, deadlock.kind().name(), deadlock.timeNs(), deadlock.headline(), deadlock.threads());
    }

    /**
     * The report over the live threads {@code threads} at virtual time {@code timeNs}, headed by
     * {@code kind} (DEADLOCK, LIVELOCK) and {@code headline} (the scheduler's reason).
     */
    public static List<String> report(Kernel kernel, String kind, long timeNs, String headline, List<ThreadInfo> threads) {
        List<String> out = new ArrayList<>();
        out.add("--- " + kind.toLowerCase(Locale.ROOT) + " at " + seconds(timeNs) + ": " + headline + " ---");
        out.add("blocked threads:");
        for (ThreadInfo t : threads) {
            if (t.asleep()) {
                out.add("  " + describe(kernel, threads, t));
            }
        }
        for (ThreadInfo t : threads) {
            if (!t.asleep()) {
                // A running thread's frames say where it spins (a runaway loop, a busy retry).
                List<String> frames = t.frames();
                out.add("  (" + t.name() + " is " + t.state().name().toLowerCase(Locale.ROOT)
                        + (frames.isEmpty() ? "" : ", in " + String.join(", from ", frames)) + ")");
            }
        }
        out.addAll(freePages(kernel));
        out.addAll(swap(kernel, threads));
        out.addAll(freers(kernel, threads));
        return out;
    }

    /**
     * One thread: {@code "pagedaemon in vm_wait (wchan &vmstats.v_free_count, "vmwait", timeout at
     * 31.0 s), from kmem_slab_alloc, from _kmalloc_obj(SWAPMETA)"}.
     */
    public static String describe(Kernel kernel, List<ThreadInfo> threads, ThreadInfo t) {
        StringBuilder wait = new StringBuilder();
        if (t.asleep()) {
            wait.append("wchan ").append(wchan(kernel, threads, t)).append(", \"").append(t.wmesg()).append('"');
            if (t.waitsFor() != null && !LockMode.SPIN.word().equals(t.waitsFor().mode())) {
                wait.append(", ").append(t.waitsFor().holders().isEmpty() ? "lock now free"
                        : "lock held by " + String.join(", ", t.waitsFor().holders().stream().map(h -> h.name()).toList()));
            }
            if (t.timeoutAtNs() >= 0) {
                wait.append(", timeout at ").append(seconds(t.timeoutAtNs()));
            }
        }
        StringBuilder sb = new StringBuilder(t.name());
        List<String> frames = t.frames();
        if (frames.isEmpty()) {
            if (!wait.isEmpty()) sb.append(" asleep (").append(wait).append(')');
            sb.append(", no kernel frames");
        } else {
            sb.append(" in ").append(frames.getFirst());
            if (!wait.isEmpty()) sb.append(" (").append(wait).append(')');
            for (int i = 1; i < frames.size(); i++) sb.append(", from ").append(frames.get(i));
        }
        return sb.toString();
    }

    /** A sleeping thread's wait channel in kernel terms (a lock's channel is its physical address). */
    public static String wchan(Kernel kernel, List<ThreadInfo> threads, ThreadInfo t) {
        long chan = t.wchan();
        if (t.state() == ThreadState.LOCKWAIT) {
            chan = Vmparam.PHYS_TO_DMAP(chan);
        }
        return symbolize(kernel, threads, chan);
    }

    /**
     * A kernel address as a symbol: {@code &name.member+off} in the data segment,
     * {@code vm_page[N] (pa 0x...)} in vm_page_array, {@code &thread NAME} for a struct thread,
     * else the hex address. No requirements.
     */
    public static String symbolize(Kernel kernel, List<ThreadInfo> threads, long va) {
        String sym = kernel.symbols().lookup(va);
        if (sym != null) {
            return "&" + sym;
        }
        long array = kernel.vmPage().vmPageArray();
        long n = kernel.vmPage().vmPageArraySize();
        if (array != 0 && va >= array && va < array + n * StructVmPage.SIZEOF) {
            long index = (va - array) / StructVmPage.SIZEOF;
            long m = array + index * StructVmPage.SIZEOF;
            long off = va - m;
            return String.format(Locale.ROOT, "vm_page[%d] (pa 0x%x)%s", index, StructVmPage.phys_addr(kernel.km(), m),
                    off == 0 ? "" : String.format(Locale.ROOT, "+0x%x", off));
        }
        for (ThreadInfo o : threads) {
            if (o.td() != 0 && va >= o.td() && va < o.td() + StructThread.layout().byteSize()) {
                return "&thread " + o.name() + (va == o.td() ? "" : String.format(Locale.ROOT, "+0x%x", va - o.td()));
            }
        }
        return String.format(Locale.ROOT, "0x%x", va);
    }

    /** The free-page count against each threshold, lowest first. */
    static List<String> freePages(Kernel kernel) {
        KernelMemory km = kernel.km();
        long vs = kernel.vmMeter().vmstats();
        long free = StructVmstats.v_free_count(km, vs);
        long cache = StructVmstats.v_cache_count(km, vs);
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "free pages: v_free_count %d, v_cache_count %d (free+cache %d) of %d",
                free, cache, free + cache, StructVmstats.v_page_count(km, vs)));
        Object[][] lines = {
                {"v_interrupt_free_min", StructVmstats.v_interrupt_free_min(km, vs), "INTERRUPT allocations stop"},
                {"v_pageout_free_min", StructVmstats.v_pageout_free_min(km, vs), "the pagedaemon's own wait"},
                {"v_free_severe", StructVmstats.v_free_severe(km, vs), "page faults wait"},
                {"v_free_reserved", StructVmstats.v_free_reserved(km, vs), "NORMAL allocations stop"},
                {"v_free_min", StructVmstats.v_free_min(km, vs), "vm_wait sleeps"},
                {"v_paging_start", StructVmstats.v_paging_start(km, vs), "paging starts"},
                {"v_paging_target1", StructVmstats.v_paging_target1(km, vs), "paging target 1"},
                {"v_paging_target2", StructVmstats.v_paging_target2(km, vs), "paging target 2"}};
        List<String> below = new ArrayList<>();
        for (Object[] l : lines) {
            long v = (Long) l[1];
            boolean isBelow = free < v;
            if (isBelow) below.add((String) l[0]);
            out.add(String.format(Locale.ROOT, "  %-22s %8d  %-6s (%s)", l[0], v, isBelow ? "BELOW" : free == v ? "at" : "above", l[2]));
        }
        out.add("  v_free_count is below: " + (below.isEmpty() ? "none" : String.join(", ", below)));
        VmPageout po = kernel.vmPageout();
        out.add(String.format(Locale.ROOT, "  vm_pages_needed %d, vm_pageout_pages_needed %d, vm_pageout_deficit %d",
                po.vmPagesNeeded(), po.vmPageoutPagesNeeded(), po.vmPageoutDeficit()));
        return out;
    }

    /** Swap use and the swap I/O under way. */
    static List<String> swap(Kernel kernel, List<ThreadInfo> threads) {
        List<String> out = new ArrayList<>();
        long max = kernel.vmSwap().vmSwapMax();
        if (max == 0) {
            out.add("swap: none configured");
            return out;
        }
        long free = kernel.vmSwap().vmSwapSize();
        int waiting = 0;
        for (ThreadInfo t : threads) {
            if (t.asleep() && ("swread".equals(t.wmesg()) || "swwrt".equals(t.wmesg()))) waiting++;
        }
        out.add(String.format(Locale.ROOT, "swap: %d pages in use, %d free of %d; swap I/O: %d thread(s) waiting on"
                        + " a swap read/write, nsw_wcount_async %d", max - free, free, max, waiting,
                kernel.swapPager().nswWcountAsync()));
        return out;
    }

    /** Who could free memory, and why each one does not. */
    static List<String> freers(Kernel kernel, List<ThreadInfo> threads) {
        KernelMemory km = kernel.km();
        VmPageout po = kernel.vmPageout();
        List<String> out = new ArrayList<>();
        out.add("who could free memory:");
        out.add("  pagedaemon: " + daemon(kernel, threads, po.pagethread(), po.vmPagesNeededAddr()));
        out.add("  emergpager: " + daemon(kernel, threads, po.emergpager(), po.vmPagesNeededAddr()));
        ThreadInfo swapintr = byName(threads, "swapintr");
        if (swapintr != null) {
            out.add("  swapintr (swap I/O completion): " + (swapintr.asleep() && "swintr".equals(swapintr.wmesg())
                    ? "idle (no swap I/O completed to process)" : "blocked: " + describe(kernel, threads, swapintr)));
        }
        for (ThreadInfo t : threads) {
            long p = t.td() != 0 ? StructThread.td_proc(km, t.td()) : 0;
            if (p == 0) continue;
            long vm = StructProc.p_vmspace(km, p);
            long resident = vm != 0 ? StructPmap.resident_count(km, vm + StructVmspace.vm_pmap$OFFSET) : 0;
            out.add(String.format(Locale.ROOT, "  pid %d %s holds %d resident page(s): %s", StructProc.p_pid(km, p),
                    t.name(), resident, t.asleep() ? "blocked, " + describe(kernel, threads, t) : t.state().name().toLowerCase(Locale.ROOT)));
        }
        return out;
    }

    private static String daemon(Kernel kernel, List<ThreadInfo> threads, long td, long idleChan) {
        if (td == 0) {
            return "not running (no such thread yet), so nothing pages out";
        }
        ThreadInfo t = null;
        for (ThreadInfo o : threads) {
            if (o.td() == td) t = o;
        }
        if (t == null) {
            return "exited";
        }
        if (!t.asleep()) {
            return t.state().name().toLowerCase(Locale.ROOT) + " (" + describe(kernel, threads, t) + ")";
        }
        if (t.wchan() == idleChan || "psleep".equals(t.wmesg())) {
            // Both daemons wait for work in "psleep" (the pagedaemon on &vm_pages_needed, the
            // emergency pager on &vm_pagedaemon_time).
            return "idle between passes (" + describe(kernel, threads, t) + ")";
        }
        String why = switch (t.wmesg()) {
            case "VMWait", "vmwait" -> "it needs free pages itself";
            case "swwrt", "swread", "wswbuf0", "wswbuf1" -> "it waits for swap I/O";
            default -> t.state() == ThreadState.LOCKWAIT ? "it waits for a lock" : "it sleeps";
        };
        return "blocked, " + why + ": " + describe(kernel, threads, t);
    }

    private static String seconds(long ns) {
        return String.format(Locale.ROOT, "%.3f s", ns / 1e9);
    }

    private static ThreadInfo byName(List<ThreadInfo> threads, String name) {
        for (ThreadInfo t : threads) {
            if (t.name().equals(name)) return t;
        }
        return null;
    }
}
