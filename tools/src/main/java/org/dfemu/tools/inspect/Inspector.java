package org.dfemu.tools.inspect;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import org.dfemu.emulator.api.Held;
import org.dfemu.emulator.mmu.Tlb;
import org.dfemu.emulator.sched.ThreadInfo;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.KernelSymbols;
import org.dfemu.kernel.harness.report.DdbDeadlock;
import org.dfemu.kernel.harness.report.MallocStats;
import org.dfemu.kernel.kern.SubrBlist;
import org.dfemu.kernel.machine.StructPmap;
import org.dfemu.kernel.machine.Vmparam;
import org.dfemu.kernel.sys.StructKmallocSlab;
import org.dfemu.kernel.sys.StructMallocType;
import org.dfemu.kernel.sys.StructProc;
import org.dfemu.kernel.sys.StructSLZone;
import org.dfemu.kernel.sys.StructThread;
import org.dfemu.kernel.sys.Tree;
import org.dfemu.kernel.vm.StructSwblock;
import org.dfemu.kernel.vm.StructVmMap;
import org.dfemu.kernel.vm.StructVmMapEntry;
import org.dfemu.kernel.vm.StructVmObject;
import org.dfemu.kernel.vm.StructVmPage;
import org.dfemu.kernel.vm.StructVmZone;
import org.dfemu.kernel.vm.StructVmspace;
import org.dfemu.kernel.vm.StructVpgqueues;
import org.dfemu.tools.boot.KernelRun;
import org.dfemu.tools.inspect.CoreFile.Core;

/**
 * The commands of {@code dfemu inspect}, in the manner of DragonFly's ddb, run against a
 * {@link DeadKernel}. Each command returns its output lines; a bad command or address is one
 * line saying so ({@link #run} never throws for bad input), so the prompt goes on.
 */
public final class Inspector {
    /** The commands, as {@code help} lists them and the prompt completes them. */
    public static final List<String[]> COMMANDS = List.of(
            new String[] {"ps", "every thread: tid, pid, cpu, state, wait channel, wmesg, name"},
            new String[] {"trace [TID]", "a thread's kernel frames, innermost first (default: the first blocked thread)"},
            new String[] {"deadlock", "the deadlock report of the run, as the console printed it"},
            new String[] {"vmstat", "page counts and event counters (vmstat, vmstat -s)"},
            new String[] {"vmstat -z", "the zones (zalloc)"},
            new String[] {"vmstat -m", "the malloc types (kmalloc, kmalloc_obj)"},
            new String[] {"swapinfo", "the swap devices"},
            new String[] {"show page ADDR|PA", "a vm_page by its address or by a physical address"},
            new String[] {"show object ADDR", "a vm_object: its resident pages and swblocks"},
            new String[] {"show map PID", "a process's vm_map entries"},
            new String[] {"show pmap PID VA", "the page-table walk of VA in a process's pmap"},
            new String[] {"show slab ADDR", "the kmalloc_obj slab or kmalloc zone holding ADDR"},
            new String[] {"show zone NAME", "a zalloc zone, or else a malloc type, by name"},
            new String[] {"show cpus", "each CPU: CR3, the thread on it, its TLB's entry count"},
            new String[] {"show tlb CPU", "a CPU's TLB entries"},
            new String[] {"show io", "block-device requests in flight"},
            new String[] {"x/Ng ADDR", "N 64-bit words at a kernel virtual address, a symbol, or pa:PHYS"},
            new String[] {"sysctl NAME|PREFIX", "a sysctl's value, or every sysctl under PREFIX"},
            new String[] {"dmesg", "the console"},
            new String[] {"info", "the core: image, seed, outcome, settings"},
            new String[] {"help", "this list"});

    private final DeadKernel dead;
    private final Kernel kernel;
    private final KernelMemory km;
    private final Core core;

    public Inspector(DeadKernel dead) {
        this.dead = dead;
        this.kernel = dead.kernel();
        this.km = kernel.km();
        this.core = dead.core();
    }

    /** Thrown for bad input; its message is the one line printed. */
    static final class Bad extends RuntimeException {
        Bad(String message) { super(message, null, false, false); }
    }

    /** A command's output; {@code ok} false for bad input, whose one line says what was wrong. */
    public record Output(List<String> lines, boolean ok) {}

    /** Runs one command line. Never throws for bad input. */
    public Output run(String line) {
        String[] w = line.trim().split("\\s+");
        if (w.length == 0 || w[0].isEmpty()) return new Output(List.of(), true);
        try {
            return new Output(dispatch(w), true);
        } catch (Bad e) {
            return new Output(List.of(e.getMessage()), false);
        } catch (RuntimeException e) {
            // A kernel access the core's page tables refuse, a corrupt structure: one line.
            String m = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            return new Output(List.of("error: " + m), false);
        }
    }

    private List<String> dispatch(String[] w) {
        String cmd = w[0];
        if (cmd.startsWith("x/")) return examine(cmd, arg(w, 1, "x/Ng ADDR"));
        return switch (cmd) {
            case "help" -> help();
            case "ps" -> ps();
            case "trace" -> trace(w.length > 1 ? (int) number(w[1]) : -1);
            case "deadlock" -> DdbDeadlock.report(kernel, core.meta("kind"), Long.parseLong(core.meta("time_ns")),
                    core.meta("headline"), core.threads());
            case "vmstat" -> {
                if (w.length == 1 || w[1].equals("-s")) yield KernelRun.vmstat(kernel);
                yield switch (w[1]) {
                    case "-z" -> kernel.vmZone().sysctlVmZone();
                    case "-m" -> MallocStats.vmstatM(kernel, false);
                    default -> throw new Bad("vmstat: unknown option " + w[1] + " (vmstat, vmstat -z, vmstat -m)");
                };
            }
            case "swapinfo" -> kernel.vmSwap().swapinfo(i -> core.meta().getOrDefault("swapdev" + i, "swap" + i));
            case "show" -> show(w);
            case "sysctl" -> sysctl(arg(w, 1, "sysctl NAME"));
            case "dmesg" -> core.dmesg();
            case "info" -> info();
            default -> throw new Bad("unknown command '" + cmd + "' (help lists the commands)");
        };
    }

    private static String arg(String[] w, int i, String usage) {
        if (w.length <= i) throw new Bad("usage: " + usage);
        return w[i];
    }

    /** Words {@code i..} joined by one space (zone names have spaces: MAP ENTRY). */
    private static String rest(String[] w, int i, String usage) {
        arg(w, i, usage);
        return String.join(" ", java.util.Arrays.asList(w).subList(i, w.length));
    }

    private List<String> show(String[] w) {
        String what = arg(w, 1, "show page|object|map|pmap|slab|zone|cpus|tlb|io ...");
        return switch (what) {
            case "page" -> showPage(address(arg(w, 2, "show page ADDR|PA")));
            case "object" -> showObject(address(arg(w, 2, "show object ADDR")));
            case "map" -> showMap((int) number(arg(w, 2, "show map PID")));
            case "pmap" -> showPmap((int) number(arg(w, 2, "show pmap PID VA")), number(arg(w, 3, "show pmap PID VA")));
            case "slab" -> showSlab(address(arg(w, 2, "show slab ADDR")));
            case "zone" -> showZone(rest(w, 2, "show zone NAME"));
            case "cpus" -> showCpus();
            case "tlb" -> showTlb((int) number(arg(w, 2, "show tlb CPU")));
            case "io" -> showIo();
            default -> throw new Bad("show: unknown object '" + what + "' (page, object, map, pmap, slab, zone, cpus, tlb, io)");
        };
    }

    // ---- parsing --------------------------------------------------------------------------------

    static long number(String s) {
        try {
            String t = s.toLowerCase(Locale.ROOT);
            if (t.startsWith("0x")) return Long.parseUnsignedLong(t.substring(2), 16);
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new Bad("bad number '" + s + "'");
        }
    }

    /** A number, or a data-segment symbol's address (optionally {@code name+off}). */
    long address(String s) {
        if (Character.isDigit(s.charAt(0))) return number(s);
        String name = s;
        long off = 0;
        int plus = s.indexOf('+');
        if (plus > 0) {
            name = s.substring(0, plus);
            off = number(s.substring(plus + 1));
        }
        Long va = symbolAddress(name);
        if (va == null) throw new Bad("no symbol '" + name + "'");
        return va + off;
    }

    /** The address of a symbol, as {@link KernelSymbols#lookup} names it; null if none. */
    Long symbolAddress(String name) {
        for (KernelSymbols.Symbol s : kernel.symbols().symbols()) {
            MemoryLayout l = s.layout();
            String base = s.name() != null ? s.name() : l != null ? l.name().orElse(null) : null;
            if (l instanceof GroupLayout g && s.name() == null && base != null && base.endsWith("_globals")) {
                long at = 0;
                for (MemoryLayout m : g.memberLayouts()) {
                    if (m.name().isPresent() && m.name().get().equals(name)) return s.va() + at;
                    if (!(g instanceof java.lang.foreign.UnionLayout)) at += m.byteSize();
                }
            } else if (name.equals(base)) {
                return s.va();
            }
        }
        return null;
    }

    /** Every symbol name, for completion. */
    public List<String> symbolNames() {
        TreeSet<String> names = new TreeSet<>();
        for (KernelSymbols.Symbol s : kernel.symbols().symbols()) {
            MemoryLayout l = s.layout();
            String base = s.name() != null ? s.name() : l != null ? l.name().orElse(null) : null;
            if (l instanceof GroupLayout g && s.name() == null && base != null && base.endsWith("_globals")) {
                for (MemoryLayout m : g.memberLayouts()) m.name().filter(n -> !n.startsWith("pad")).ifPresent(names::add);
            } else if (base != null && !base.startsWith("\"")) {
                names.add(base);
            }
        }
        return List.copyOf(names);
    }

    /** The sysctl names, for completion. */
    public List<String> sysctlNames() { return List.copyOf(kernel.sysctl().names()); }

    /** The zone names, for completion. */
    public List<String> zoneNames() {
        List<String> out = new ArrayList<>();
        for (long z : kernel.vmZone().zones()) out.add(kernel.vmZone().zname(z));
        return out;
    }

    // ---- commands -------------------------------------------------------------------------------

    private List<String> help() {
        List<String> out = new ArrayList<>();
        for (String[] c : COMMANDS) out.add(String.format(Locale.ROOT, "  %-22s %s", c[0], c[1]));
        out.add("  numbers are decimal or 0x hex; ADDR may be a kernel symbol (vmstats, vm_page_array)");
        return out;
    }

    private List<String> info() {
        List<String> out = new ArrayList<>();
        core.meta().forEach((k, v) -> out.add(String.format(Locale.ROOT, "%-16s %s", k, v)));
        out.add("settings:");
        core.settings().forEach((k, v) -> out.add("  " + k + "=" + v));
        return out;
    }

    private int pid(ThreadInfo t) {
        long p = t.td() != 0 ? StructThread.td_proc(km, t.td()) : 0;
        return p == 0 ? -1 : StructProc.p_pid(km, p);
    }

    private List<String> ps() {
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "%5s %5s %3s %-9s %-36s %-10s %s", "TID", "PID", "CPU", "STATE", "WCHAN", "WMESG", "NAME"));
        for (ThreadInfo t : core.threads()) {
            int pid = pid(t);
            out.add(String.format(Locale.ROOT, "%5d %5s %3d %-9s %-36s %-10s %s", t.tid(), pid < 0 ? "-" : Integer.toString(pid),
                    t.cpu(), t.state(), t.asleep() ? DdbDeadlock.wchan(kernel, core.threads(), t) : "-",
                    t.wmesg() == null ? "-" : t.wmesg(), t.name()));
        }
        return out;
    }

    private List<String> trace(int tid) {
        ThreadInfo t = tid < 0 ? firstBlocked(core.threads()) : null;
        for (ThreadInfo o : core.threads()) {
            if (tid >= 0 && o.tid() == tid) {
                t = o;
                break;
            }
        }
        if (t == null) throw new Bad(tid < 0 ? "trace: no blocked thread" : "trace: no thread " + tid + " (ps lists them)");
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "Tracing tid %d (%s), %s%s", t.tid(), t.name(), t.state().name().toLowerCase(Locale.ROOT),
                t.asleep() ? " on " + DdbDeadlock.wchan(kernel, core.threads(), t) + " \"" + t.wmesg() + "\"" : ""));
        if (t.frames().isEmpty()) out.add("  (no kernel frames)");
        for (int i = 0; i < t.frames().size(); i++) out.add(String.format(Locale.ROOT, "#%-2d %s()", i, t.frames().get(i)));
        if (t.waitsFor() != null) out.add("  waits for " + t.waitsFor());
        for (Held h : t.held()) out.add("  holds " + h);
        return out;
    }

    /**
     * The first blocked thread worth a trace: the first asleep with kernel frames (a thread
     * blocked inside the kernel's work), else the first asleep; null if none sleeps.
     */
    public static ThreadInfo firstBlocked(List<ThreadInfo> threads) {
        for (ThreadInfo t : threads) if (t.asleep() && !t.frames().isEmpty()) return t;
        for (ThreadInfo t : threads) if (t.asleep()) return t;
        return null;
    }

    private List<String> sysctl(String name) {
        if (kernel.sysctl().exists(name)) return List.of(name + ": " + kernel.sysctl().read(name));
        List<String> out = new ArrayList<>();
        for (String n : kernel.sysctl().names()) {
            if (n.startsWith(name + ".") || name.equals("-a")) out.add(n + ": " + kernel.sysctl().read(n));
        }
        if (out.isEmpty()) throw new Bad("sysctl: unknown oid '" + name + "'");
        return out;
    }

    /** The vm_page at {@code addr} (a struct vm_page address), or the page of physical {@code addr}. */
    private long vmPage(long addr) {
        long array = kernel.vmPage().vmPageArray();
        long n = kernel.vmPage().vmPageArraySize();
        if (addr >= array && addr < array + n * StructVmPage.SIZEOF) {
            return array + (addr - array) / StructVmPage.SIZEOF * StructVmPage.SIZEOF;
        }
        if (Long.compareUnsigned(addr, dead.ram().size()) < 0) {
            long m = kernel.vmPage().PHYS_TO_VM_PAGE(addr);
            if (m >= array && m < array + n * StructVmPage.SIZEOF) return m;
            throw new Bad(String.format(Locale.ROOT, "show page: pa 0x%x has no vm_page (below the first managed page)", addr));
        }
        throw new Bad(String.format(Locale.ROOT, "show page: 0x%x is neither in vm_page_array nor a physical address", addr));
    }

    private static String queueName(int q) {
        if (q == StructVpgqueues.PQ_NONE) return "PQ_NONE";
        String[] names = {"PQ_FREE", "PQ_INACTIVE", "PQ_ACTIVE", "PQ_CACHE", "PQ_HOLD"};
        int base = (q - 1) / StructVpgqueues.PQ_L2_SIZE;
        return base >= 0 && base < names.length ? names[base] + "+" + ((q - 1) % StructVpgqueues.PQ_L2_SIZE) : "queue " + q;
    }

    private static String pageFlags(int f) {
        String[][] bits = {{"WINATCFLS", "4"}, {"FICTITIOUS", "8"}, {"WRITEABLE", "16"}, {"MAPPED", "32"}, {"MAPPEDMULTI", "64"},
                {"REFERENCED", "128"}, {"CLEANCHK", "256"}, {"NOSYNC", "1024"}, {"UNQUEUED", "2048"}, {"MARKER", "4096"},
                {"RAM", "8192"}, {"SWAPPED", "16384"}, {"NOTMETA", "32768"}, {"NEED_COMMIT", "262144"}};
        StringBuilder sb = new StringBuilder();
        for (String[] b : bits) {
            if ((f & Integer.parseInt(b[1])) != 0) sb.append(sb.isEmpty() ? "" : "|").append("PG_").append(b[0]);
        }
        return sb.isEmpty() ? "0" : sb.toString();
    }

    private List<String> showPage(long addr) {
        long m = vmPage(addr);
        long index = (m - kernel.vmPage().vmPageArray()) / StructVmPage.SIZEOF;
        int busy = StructVmPage.busy_count(km, m);
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "vm_page[%d] at 0x%x: pa 0x%x", index, m, StructVmPage.phys_addr(km, m)));
        out.add(String.format(Locale.ROOT, "  flags 0x%x <%s>", StructVmPage.flags(km, m), pageFlags(StructVmPage.flags(km, m))));
        out.add(String.format(Locale.ROOT, "  queue %s, pc %d, act_count %d", queueName(StructVmPage.queue(km, m)),
                StructVmPage.pc(km, m), StructVmPage.act_count(km, m)));
        long obj = StructVmPage.object(km, m);
        out.add(String.format(Locale.ROOT, "  object 0x%x, pindex %d", obj, StructVmPage.pindex(km, m)));
        out.add(String.format(Locale.ROOT, "  busy_count 0x%x (%s%s%scount %d), wire_count %d, hold_count %d",
                busy, (busy & StructVmPage.PBUSY_LOCKED) != 0 ? "LOCKED " : "", (busy & StructVmPage.PBUSY_WANTED) != 0 ? "WANTED " : "",
                (busy & StructVmPage.PBUSY_SWAPINPROG) != 0 ? "SWAPINPROG " : "", busy & StructVmPage.PBUSY_MASK,
                StructVmPage.wire_count(km, m), StructVmPage.hold_count(km, m)));
        out.add(String.format(Locale.ROOT, "  valid 0x%x, dirty 0x%x", StructVmPage.valid(km, m), StructVmPage.dirty(km, m)));
        return out;
    }

    private static final String[] OBJT = {"OBJT_DEFAULT", "OBJT_SWAP", "OBJT_VNODE", "OBJT_DEVICE", "OBJT_MGTDEVICE", "OBJT_PHYS",
            "OBJT_DEAD", "OBJT_MARKER"};

    private List<String> showObject(long o) {
        int type = StructVmObject.type(km, o);
        if (type < 0 || type >= OBJT.length) throw new Bad(String.format(Locale.ROOT, "show object: 0x%x is not a vm_object (type %d)", o, type));
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "vm_object 0x%x: %s, size %d pages, ref_count %d, hold_count %d, flags 0x%x", o, OBJT[type],
                StructVmObject.size(km, o), StructVmObject.ref_count(km, o), StructVmObject.hold_count(km, o), StructVmObject.flags(km, o)));
        long resident = StructVmObject.resident_page_count(km, o);
        out.add("  resident pages: " + resident);
        Tree.Rb pages = kernel.vmPage().vmPageRbTree();
        int shown = 0;
        for (long m = pages.rbMin(StructVmObject.rb_memq(o)); m != 0 && shown <= resident + 1; m = pages.rbNext(m)) {
            out.add(String.format(Locale.ROOT, "    pindex %-8d vm_page 0x%x pa 0x%x %s wire %d", StructVmPage.pindex(km, m), m,
                    StructVmPage.phys_addr(km, m), queueName(StructVmPage.queue(km, m)), StructVmPage.wire_count(km, m)));
            shown++;
        }
        out.add("  swblocks: " + StructVmObject.swblock_count(km, o));
        Tree.Rb swb = kernel.swapPager().swblockTree();
        long limit = StructVmObject.swblock_count(km, o) + 1;
        for (long b = swb.rbMin(o + StructVmObject.swblock_root$OFFSET); b != 0 && limit-- > 0; b = swb.rbNext(b)) {
            StringBuilder sb = new StringBuilder();
            int used = 0;
            for (int i = 0; i < StructSwblock.SWAP_META_PAGES; i++) {
                long blk = StructSwblock.swb_pages(km, b, i);
                if (blk == SubrBlist.SWAPBLK_NONE) continue;
                used++;
                if (used <= 4) sb.append(' ').append(StructSwblock.swb_index(km, b) + i).append(':').append(blk);
            }
            out.add(String.format(Locale.ROOT, "    swblock 0x%x index %d, %d page(s) on swap:%s%s", b, StructSwblock.swb_index(km, b),
                    StructSwblock.swb_count(km, b), sb, used > 4 ? " ..." : ""));
        }
        return out;
    }

    private long proc(int pid) {
        long[] found = {0};
        kernel.kernProcTable().allprocScan(p -> {
            if (StructProc.p_pid(km, p) == pid) {
                found[0] = p;
                return false;
            }
            return true;
        });
        if (found[0] == 0) throw new Bad("no process " + pid + " (ps lists the threads and their pids)");
        return found[0];
    }

    private static String prot(int p) {
        return ((p & 1) != 0 ? "r" : "-") + ((p & 2) != 0 ? "w" : "-") + ((p & 4) != 0 ? "x" : "-");
    }

    private List<String> showMap(int pid) {
        long p = proc(pid);
        long vm = StructProc.p_vmspace(km, p);
        if (vm == 0) throw new Bad("process " + pid + " has no vmspace");
        long map = StructVmspace.vm_map(vm);
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "pid %d (%s): vm_map 0x%x, %d entries, size 0x%x, pmap 0x%x", pid, StructProc.p_comm(km, p), map,
                StructVmMap.nentries(km, map), StructVmMap.size(km, map), StructVmMap.pmap(km, map)));
        Tree.Rb entries = kernel.vmMap().vmMapRbTree();
        long limit = StructVmMap.nentries(km, map) + 1L;
        for (long e = entries.rbMin(StructVmMap.rb_root(map)); e != 0 && limit-- > 0; e = entries.rbNext(e)) {
            out.add(String.format(Locale.ROOT, "  entry 0x%x: 0x%x-0x%x %s/%s eflags 0x%x wired %d object 0x%x offset 0x%x", e,
                    StructVmMapEntry.start(km, e), StructVmMapEntry.end(km, e), prot(StructVmMapEntry.protection(km, e)),
                    prot(StructVmMapEntry.max_protection(km, e)), StructVmMapEntry.eflags(km, e), StructVmMapEntry.wired_count(km, e),
                    StructVmMapEntry.object(km, e), StructVmMapEntry.offset(km, e)));
            int depth = 0;
            for (long ba = StructVmMapEntry.ba_backing_ba(km, StructVmMapEntry.ba(e)); ba != 0 && depth++ < 64;
                 ba = StructVmMapEntry.ba_backing_ba(km, ba)) {
                out.add(String.format(Locale.ROOT, "    backed by object 0x%x offset 0x%x", StructVmMapEntry.ba_object(km, ba),
                        StructVmMapEntry.ba_offset(km, ba)));
            }
        }
        return out;
    }

    private static String pteBits(long e) {
        StringBuilder sb = new StringBuilder();
        String[] n = {"V", "RW", "U", "PWT", "PCD", "A", "M", "PS", "G"};
        for (int i = 0; i < n.length; i++) if ((e & (1L << i)) != 0) sb.append(sb.isEmpty() ? "" : "|").append(n[i]);
        if (e < 0) sb.append(sb.isEmpty() ? "" : "|").append("NX");
        return sb.isEmpty() ? "0" : sb.toString();
    }

    private List<String> showPmap(int pid, long va) {
        long p = proc(pid);
        long vm = StructProc.p_vmspace(km, p);
        if (vm == 0) throw new Bad("process " + pid + " has no vmspace");
        long pmap = StructVmspace.vm_pmap(vm);
        long table = StructPmap.pm_pml4(km, pmap);
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "pid %d pmap 0x%x: va 0x%x, pml4 at 0x%x, resident %d", pid, pmap, va, table,
                StructPmap.resident_count(km, pmap)));
        if (table == 0) {
            out.add("  no page tables");
            return out;
        }
        String[] level = {"PML4E", "PDPE", "PDE", "PTE"};
        int[] shift = {39, 30, 21, 12};
        for (int l = 0; l < 4; l++) {
            int idx = (int) ((va >>> shift[l]) & 511);
            long entry = km.load64(table + 8L * idx);
            long frame = entry & 0x000ffffffffff000L;
            out.add(String.format(Locale.ROOT, "  %-5s [%3d] at 0x%x: 0x%016x <%s>", level[l], idx, table + 8L * idx, entry, pteBits(entry)));
            if ((entry & 1) == 0) {
                out.add("  not present: va 0x" + Long.toHexString(va) + " is unmapped at this level");
                return out;
            }
            if (l == 3 || (l > 0 && (entry & 0x80) != 0)) {
                long mask = (1L << shift[l]) - 1;
                long pa = (frame & ~mask) | (va & mask);
                out.add(String.format(Locale.ROOT, "  va 0x%x -> pa 0x%x", va, pa));
                if (l == 3) out.addAll(showPage(pa).subList(0, 1));
                return out;
            }
            table = Vmparam.PHYS_TO_DMAP(frame);
        }
        return out;
    }

    private List<String> showSlab(long addr) {
        List<String> out = new ArrayList<>();
        long s = addr & ~StructKmallocSlab.KMALLOC_SLAB_MASK;
        if (readable(s) && StructKmallocSlab.magic(km, s) == StructKmallocSlab.KMALLOC_SLAB_MAGIC) {
            long type = StructKmallocSlab.type(km, s);
            out.add(String.format(Locale.ROOT, "kmalloc_obj slab 0x%x (type %s), cpu %d", s,
                    type == 0 ? "none" : StructMallocType.shortdesc(km, type), StructKmallocSlab.orig_cpuid(km, s)));
            out.add(String.format(Locale.ROOT, "  objsize %d, ncount %d, offset 0x%x, aindex %d, findex %d, xindex %d, next 0x%x",
                    StructKmallocSlab.objsize(km, s), StructKmallocSlab.ncount(km, s), StructKmallocSlab.offset(km, s),
                    StructKmallocSlab.aindex(km, s), StructKmallocSlab.findex(km, s), StructKmallocSlab.xindex(km, s),
                    StructKmallocSlab.next(km, s)));
            long free = StructKmallocSlab.findex(km, s) - StructKmallocSlab.aindex(km, s);
            out.add(String.format(Locale.ROOT, "  free objects %d of %d", free, StructKmallocSlab.ncount(km, s)));
            return out;
        }
        for (long size = StructSLZone.ZALLOC_MIN_ZONE_SIZE; size <= StructSLZone.ZALLOC_MAX_ZONE_SIZE; size <<= 1) {
            long z = addr & -size;
            if (readable(z) && StructSLZone.z_Magic(km, z) == StructSLZone.ZALLOC_SLAB_MAGIC) {
                out.add(String.format(Locale.ROOT, "kmalloc zone 0x%x (%d KiB), zone index %d, cpu %d", z, size >> 10,
                        StructSLZone.z_ZoneIndex(km, z), StructSLZone.z_Cpu(km, z)));
                out.add(String.format(Locale.ROOT, "  chunk size %d, %d free of %d, base 0x%x, uindex %d, flags 0x%x",
                        StructSLZone.z_ChunkSize(km, z), StructSLZone.z_NFree(km, z), StructSLZone.z_NMax(km, z),
                        StructSLZone.z_BasePtr(km, z), StructSLZone.z_UIndex(km, z), StructSLZone.z_Flags(km, z)));
                return out;
            }
        }
        throw new Bad(String.format(Locale.ROOT, "show slab: 0x%x is in no kmalloc_obj slab or kmalloc zone", addr));
    }

    /** True if the kernel maps {@code va} (a walk that does not fault). */
    private boolean readable(long va) {
        try {
            km.load32(va);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private List<String> showZone(String name) {
        for (long z : kernel.vmZone().zones()) {
            if (!kernel.vmZone().zname(z).equals(name)) continue;
            List<String> out = new ArrayList<>();
            out.add(String.format(Locale.ROOT, "zone %s at 0x%x: item size %d, flags 0x%x", name, z, StructVmZone.zsize(km, z),
                    StructVmZone.zflags(km, z)));
            out.add(String.format(Locale.ROOT, "  ztotal %d, zmax %d, free %d (global zfreecnt %d, zfreemin %d), znalloc %d",
                    StructVmZone.ztotal(km, z), StructVmZone.zmax(km, z), kernel.vmZone().zfreeTotal(z),
                    StructVmZone.zfreecnt(km, z), StructVmZone.zfreemin(km, z), StructVmZone.znalloc(km, z)));
            out.add(String.format(Locale.ROOT, "  zpagecount %d of zpagemax %d, zkva 0x%x, zallocflag 0x%x", StructVmZone.zpagecount(km, z),
                    StructVmZone.zpagemax(km, z), StructVmZone.zkva(km, z), StructVmZone.zallocflag(km, z)));
            for (int c = 0; c < kernel.config().ncpus(); c++) {
                long pc = StructVmZone.zpcpu(z, c);
                out.add(String.format(Locale.ROOT, "  cpu%d: zfreecnt %d, znalloc %d", c,
                        org.dfemu.kernel.vm.StructVmZpcpu.zfreecnt(km, pc), org.dfemu.kernel.vm.StructVmZpcpu.znalloc(km, pc)));
            }
            return out;
        }
        for (MallocStats.Row r : MallocStats.rows(kernel)) {
            if (r.type().equals(name)) {
                return List.of(String.format(Locale.ROOT, "malloc type %s (no zone of that name): %d in use, %d bytes, slab use %d bytes, "
                        + "limit %d, %d requests", name, r.count(), r.memUse(), r.slabUse(), r.limit(), r.requests()));
            }
        }
        throw new Bad("show zone: no zone or malloc type named '" + name + "' (vmstat -z, vmstat -m list them)");
    }

    private List<String> showCpus() {
        List<String> out = new ArrayList<>();
        for (CoreFile.CpuState c : core.cpus()) {
            String on = "idle";
            for (ThreadInfo t : core.threads()) if (t.tid() == c.curtid() && c.curtid() != 0) on = "tid " + t.tid() + " (" + t.name() + ")";
            out.add(String.format(Locale.ROOT, "cpu%d: cr3 0x%x, %s, %d TLB entries", c.id(), c.cr3(), on, c.tlb().length / 2));
        }
        return out;
    }

    private List<String> showTlb(int cpu) {
        for (CoreFile.CpuState c : core.cpus()) {
            if (c.id() != cpu) continue;
            List<String> out = new ArrayList<>();
            out.add(String.format(Locale.ROOT, "cpu%d TLB: %d entries (cr3 0x%x)", cpu, c.tlb().length / 2, c.cr3()));
            for (int i = 0; i < c.tlb().length; i += 2) out.add("  " + Tlb.describe(c.tlb()[i], c.tlb()[i + 1]));
            return out;
        }
        throw new Bad("show tlb: no cpu " + cpu);
    }

    private List<String> showIo() {
        List<String> out = new ArrayList<>();
        out.add(core.io().size() + " block-device request(s) in flight");
        for (CoreFile.Io r : core.io()) {
            out.add(String.format(Locale.ROOT, "  %s request %d: %s sectors %d..%d, completes at %.9f s", r.disk(), r.id(),
                    r.op().name().toLowerCase(Locale.ROOT), r.sector(), r.sector() + r.count() - 1, r.completionNs() / 1e9));
        }
        return out;
    }

    private List<String> examine(String cmd, String where) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("x/(\\d*)g").matcher(cmd);
        if (!m.matches()) throw new Bad("usage: x/Ng ADDR (N 64-bit words; g is the only size)");
        int n = m.group(1).isEmpty() ? 1 : Integer.parseInt(m.group(1));
        if (n < 1 || n > 4096) throw new Bad("x: N must be 1..4096");
        boolean phys = where.startsWith("pa:");
        long addr = phys ? number(where.substring(3)) : address(where);
        if ((addr & 7) != 0) throw new Bad(String.format(Locale.ROOT, "x: 0x%x is not 8-byte aligned", addr));
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i += 2) {
            long a = addr + 8L * i;
            StringBuilder sb = new StringBuilder();
            String sym = phys ? null : kernel.symbols().lookup(a);
            sb.append(String.format(Locale.ROOT, phys ? "pa 0x%x" : "0x%016x", a)).append(sym != null ? " <" + sym + ">" : "").append(':');
            for (int k = i; k < Math.min(n, i + 2); k++) {
                long at = addr + 8L * k;
                long v;
                if (phys) {
                    if (Long.compareUnsigned(at, dead.ram().size() - 8) > 0) throw new Bad(String.format(Locale.ROOT, "x: pa 0x%x is past the end of RAM", at));
                    v = dead.ram().load64(at);
                } else {
                    try {
                        v = km.load64(at);
                    } catch (RuntimeException e) {
                        throw new Bad(String.format(Locale.ROOT, "x: 0x%x is not mapped in the kernel", at));
                    }
                }
                sb.append(String.format(Locale.ROOT, " 0x%016x", v));
            }
            out.add(sb.toString());
        }
        return out;
    }
}
