package org.dfemu.kernel.harness.inject;

import org.dfemu.emulator.api.Environment;
import org.dfemu.emulator.api.Tunable;
import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.Malloc;
import org.dfemu.kernel.sys.Sysctl;
import org.dfemu.kernel.vm.VmPage;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

import static org.dfemu.kernel.Ctypes.C_LONG;

/**
 * (dfemu only: DragonFly has no such file) Low-memory fault injection in the manner of Linux's
 * fail_page_alloc and failslab (Documentation/fault-injection/fault-injection.rst): makes
 * vm_page_alloc(), kmem_slab_alloc() and zalloc() fail on purpose, driven by the seed.
 *
 * <h2>Fault model</h2>
 * Each of the three <em>targets</em> has a probability (percent), an interval and a times limit,
 * with Linux's should_fail() semantics, applied to the <em>eligible</em> calls only (the filters
 * come first, as in Linux, so they do not advance the interval count):
 * <ol>
 * <li>no failure once {@code times} failures were injected ({@code times = -1}: no limit);</li>
 * <li>with {@code interval > 1}, only every interval-th eligible call is a candidate;</li>
 * <li>a candidate fails if a draw in 0..99 is below {@code probability}.</li>
 * </ol>
 * Filters: vm_page_alloc by allocation class (normal, system, interrupt: the VM_ALLOC_ class that
 * decides admission, after the TDF_SYSTHREAD promotion: INTERRUPT if set, else SYSTEM, else
 * NORMAL); zalloc by zone name; kmem_slab_alloc by whether M_WAITOK calls are exempt (Linux's
 * ignore-gfp-wait, on by default).
 *
 * <p>An injected failure always takes the C's own failure path, never an invented outcome, so the
 * kernel should survive exactly what it survives on a real shortage:
 * <ul>
 * <li>vm_page_alloc: the "no pages available" branch: vm_pageout_deficit++, pagedaemon_wakeup(),
 *     NULL (VmPage);</li>
 * <li>kmem_slab_alloc: its first page allocation fails; without M_WAITOK it unwinds and returns
 *     NULL, with M_WAITOK it sleeps in vm_wait(0) and retries, as after a real failure (the C
 *     never returns NULL to a blocking caller) (KernSlaballoc);</li>
 * <li>zalloc: returns NULL as after a failed zget(), or panics for a ZONE_PANICFAIL zone (VmZone).</li>
 * </ul>
 * Injection only happens in thread context, once {@link #seed} ran (Kernel.attachMachine): boot
 * allocations never fail.
 *
 * <p>State (in the data segment, so a run's failures are part of its RAM): per target the PRNG
 * word (SplitMix64; each target has its own stream, so enabling one target does not move another's
 * failures), the eligible-call count, the failures left and the failures injected. The counters
 * are sysctls {@code debug.fail_page_alloc.injected}, {@code debug.failslab.injected},
 * {@code debug.fail_zalloc.injected} (and {@code .calls}: eligible calls seen).
 *
 * <p>Settings: the tunables {@code debug.fail_page_alloc.*}, {@code debug.failslab.*} and
 * {@code debug.fail_zalloc.*} declared below, fetched from the boot environment at link time.
 */
public final class FailAlloc {
    /** A target's three should_fail() tunables: {@code debug.TARGET.probability/interval/times}. */
    public record TargetTunables(Tunable probability, Tunable interval, Tunable times) {
        /** The tunables of target {@code target} (e.g. "failslab"), whose hook is in C function {@code fn}. */
        static TargetTunables of(String target, String fn) {
            String p = "debug." + target;
            return new TargetTunables(
                    Tunable.integer(p + ".probability", "0", 0, 100, "fault injection: percent of " + fn + " calls that fail"),
                    Tunable.integer(p + ".interval", "1", 1, 1_000_000_000L, "fault injection: only every Nth eligible " + fn + " may fail"),
                    Tunable.integer(p + ".times", "-1", -1, 1_000_000_000L, "fault injection: at most this many " + fn + " failures (-1: no limit)"));
        }

        Target fetch(Environment env) {
            return new Target(env.fetchInt(probability), env.fetchLong(interval), env.fetchLong(times));
        }
    }

    public static final TargetTunables FAIL_PAGE_ALLOC = TargetTunables.of("fail_page_alloc", "vm_page_alloc");
    public static final Tunable FAIL_PAGE_ALLOC_CLASSES = Tunable.list("debug.fail_page_alloc.classes", "normal,system,interrupt",
            List.of("normal", "system", "interrupt"),
            "fault injection: the vm_page_alloc classes that may fail (after the TDF_SYSTHREAD promotion)");
    public static final TargetTunables FAILSLAB = TargetTunables.of("failslab", "kmem_slab_alloc");
    public static final Tunable FAILSLAB_IGNORE_WAITOK = Tunable.flag("debug.failslab.ignore_waitok", "1",
            "fault injection: M_WAITOK kmem_slab_alloc calls never fail (Linux's ignore-gfp-wait)");
    public static final TargetTunables FAIL_ZALLOC = TargetTunables.of("fail_zalloc", "zalloc");
    public static final Tunable FAIL_ZALLOC_ZONES = Tunable.list("debug.fail_zalloc.zones", "SWAPMETA,PV ENTRY,MAP ENTRY",
            List.of("SWAPMETA", "PV ENTRY", "MAP ENTRY"), "fault injection: the zalloc zones whose allocations may fail");

    /** The fault-injection tunables, in the order reports list them. */
    public static final List<Tunable> TUNABLES = List.of(
            FAIL_PAGE_ALLOC.probability(), FAIL_PAGE_ALLOC.interval(), FAIL_PAGE_ALLOC.times(), FAIL_PAGE_ALLOC_CLASSES,
            FAILSLAB.probability(), FAILSLAB.interval(), FAILSLAB.times(), FAILSLAB_IGNORE_WAITOK,
            FAIL_ZALLOC.probability(), FAIL_ZALLOC.interval(), FAIL_ZALLOC.times(), FAIL_ZALLOC_ZONES);

    /** A target's should_fail() attributes. */
    public record Target(int probability, long interval, long times) {
        public Target {
            if (probability < 0 || probability > 100) throw new IllegalArgumentException("probability " + probability + " is outside 0..100");
            if (interval < 1) throw new IllegalArgumentException("interval " + interval + " is below 1");
            if (times < -1) throw new IllegalArgumentException("times " + times + " is below -1");
        }

        boolean enabled() { return probability > 0 && times != 0; }
    }

    /** vm_page_alloc classes, as bits of {@link Settings#pageClasses}. */
    public static final int CLASS_NORMAL = 1;
    public static final int CLASS_SYSTEM = 2;
    public static final int CLASS_INTERRUPT = 4;

    /**
     * The boot settings of fault injection, as fetched from the environment.
     *
     * @param page              vm_page_alloc's attributes
     * @param pageClasses       CLASS_* bits: the classes that may fail
     * @param slab              kmem_slab_alloc's attributes
     * @param slabIgnoreWaitok  M_WAITOK calls never fail (Linux's ignore-gfp-wait)
     * @param zone              zalloc's attributes
     * @param zones             names of the zones whose zalloc calls may fail
     */
    public record Settings(Target page, int pageClasses, Target slab, boolean slabIgnoreWaitok, Target zone,
                           List<String> zones) {
        public Settings {
            Objects.requireNonNull(page, "page");
            Objects.requireNonNull(slab, "slab");
            Objects.requireNonNull(zone, "zone");
            zones = List.copyOf(zones);
        }

        /** The settings {@code env} sets (defaults for what it does not). @throws org.dfemu.emulator.api.TunableException if invalid */
        public static Settings fetch(Environment env) {
            return new Settings(FAIL_PAGE_ALLOC.fetch(env), classes(env.fetchList(FAIL_PAGE_ALLOC_CLASSES)),
                    FAILSLAB.fetch(env), env.fetchFlag(FAILSLAB_IGNORE_WAITOK),
                    FAIL_ZALLOC.fetch(env), env.fetchList(FAIL_ZALLOC_ZONES));
        }

        /** The class bits of the words "normal", "system", "interrupt". */
        static int classes(List<String> words) {
            int bits = 0;
            for (String w : words) {
                bits |= switch (w) {
                    case "normal" -> CLASS_NORMAL;
                    case "system" -> CLASS_SYSTEM;
                    case "interrupt" -> CLASS_INTERRUPT;
                    default -> throw new IllegalArgumentException("fail_page_alloc: unknown class '" + w + "'");
                };
            }
            return bits;
        }

        boolean any() { return page.enabled() || slab.enabled() || zone.enabled(); }
    }

    private static final int PAGE = 0;
    private static final int SLAB = 1;
    private static final int ZONE = 2;
    private static final String[] NAMES = {"fail_page_alloc", "failslab", "fail_zalloc"};

    /** One target's state: struct fail_attr in spirit. */
    private static final StructLayout ATTR = MemoryLayout.structLayout(
            C_LONG.withName("rng"),
            C_LONG.withName("calls"),
            C_LONG.withName("times"),
            C_LONG.withName("injected")).withName("fail_attr");
    private static final long RNG = Ctypes.offset(ATTR, "rng");
    private static final long CALLS = Ctypes.offset(ATTR, "calls");
    private static final long TIMES = Ctypes.offset(ATTR, "times");
    private static final long INJECTED = Ctypes.offset(ATTR, "injected");

    private static final StructLayout GLOBALS = MemoryLayout.structLayout(
            C_LONG.withName("fail_seeded"),
            ATTR.withName("fail_page_alloc"),
            ATTR.withName("failslab"),
            ATTR.withName("fail_zalloc")).withName("fail_alloc_globals");
    private static final long SEEDED = Ctypes.offset(GLOBALS, "fail_seeded");
    private static final long[] ATTRS = {
            Ctypes.offset(GLOBALS, "fail_page_alloc"), Ctypes.offset(GLOBALS, "failslab"), Ctypes.offset(GLOBALS, "fail_zalloc")};

    private final Kernel kernel;
    private final KernelMemory km;
    private final Settings settings;
    private final Target[] targets;
    private final long globals;

    /** (boot only) Lays out the state and registers the counters' sysctls. */
    public FailAlloc(Kernel kernel, DataSegment data, Sysctl sysctl) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.settings = Settings.fetch(kernel.kenv());
        this.targets = new Target[] {settings.page(), settings.slab(), settings.zone()};
        this.globals = data.alloc(GLOBALS);
        for (int t = 0; t < 3; t++) {
            long a = globals + ATTRS[t];
            km.store64(a + TIMES, targets[t].times());
            sysctl.sysctlLong("debug." + NAMES[t] + ".injected", a + INJECTED, "failures injected");
            sysctl.sysctlLong("debug." + NAMES[t] + ".calls", a + CALLS, "eligible calls seen");
        }
    }

    /**
     * Seeds the three PRNG streams from {@code seed} (a sub-seed of the run's seed) and arms the
     * injection. Called by Kernel.attachMachine. (boot only)
     */
    public void seed(long seed) {
        for (int t = 0; t < 3; t++) {
            km.store64(globals + ATTRS[t] + RNG, mix64(seed + (t + 1) * 0x9E3779B97F4A7C15L));
        }
        km.store64(globals + SEEDED, 1);
    }

    /** The settings this kernel booted with. */
    public Settings settings() { return settings; }

    /**
     * vm_page_alloc's hook, after the TDF_SYSTHREAD promotion: true if this call must fail.
     * Never blocks.
     */
    public boolean vmPageAlloc(int pageReq) {
        if (!targets[PAGE].enabled()) {
            return false;
        }
        int cls = (pageReq & VmPage.VM_ALLOC_INTERRUPT) != 0 ? CLASS_INTERRUPT
                : (pageReq & VmPage.VM_ALLOC_SYSTEM) != 0 ? CLASS_SYSTEM : CLASS_NORMAL;
        return (settings.pageClasses() & cls) != 0 && shouldFail(PAGE);
    }

    /** kmem_slab_alloc's hook: true if this call's first page allocation must fail. Never blocks. */
    public boolean kmemSlabAlloc(int flags) {
        if (!targets[SLAB].enabled()) {
            return false;
        }
        if (settings.slabIgnoreWaitok() && (flags & Malloc.M_WAITOK) != 0) {
            return false;
        }
        return shouldFail(SLAB);
    }

    /** zalloc's hook for zone {@code z}: true if this call must return NULL. Never blocks. */
    public boolean zalloc(long z) {
        if (!targets[ZONE].enabled()) {
            return false;
        }
        return settings.zones().contains(kernel.vmZone().zname(z)) && shouldFail(ZONE);
    }

    /** should_fail(): the interval, times and probability rules of the class comment. */
    private boolean shouldFail(int t) {
        if (km.load64(globals + SEEDED) == 0 || kernel.lwkt().bootContext()) {
            return false;
        }
        long a = globals + ATTRS[t];
        Target target = targets[t];
        long calls = km.load64(a + CALLS) + 1;
        km.store64(a + CALLS, calls);
        long times = km.load64(a + TIMES);
        if (times == 0) {
            return false;
        }
        if (target.interval() > 1 && calls % target.interval() != 0) {
            return false;
        }
        // SplitMix64: one step of the target's stream.
        long state = km.load64(a + RNG) + 0x9E3779B97F4A7C15L;
        km.store64(a + RNG, state);
        if (target.probability() <= Long.remainderUnsigned(mix64(state), 100)) {
            return false;
        }
        if (times != -1) {
            km.store64(a + TIMES, times - 1);
        }
        km.store64(a + INJECTED, km.load64(a + INJECTED) + 1);
        return true;
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Failures injected so far into vm_page_alloc, kmem_slab_alloc, zalloc. */
    public long injectedPage() { return km.load64(globals + ATTRS[PAGE] + INJECTED); }
    public long injectedSlab() { return km.load64(globals + ATTRS[SLAB] + INJECTED); }
    public long injectedZone() { return km.load64(globals + ATTRS[ZONE] + INJECTED); }

    /**
     * The boot report's section: one line per enabled target with its attributes, eligible calls
     * and failures injected; empty when nothing is configured to fail. No requirements.
     */
    public List<String> report() {
        List<String> out = new ArrayList<>();
        if (!settings.any()) {
            return out;
        }
        out.add("--- fault injection ---");
        for (int t = 0; t < 3; t++) {
            Target target = targets[t];
            if (!target.enabled()) {
                continue;
            }
            long a = globals + ATTRS[t];
            String filter = switch (t) {
                case PAGE -> "classes " + classNames(settings.pageClasses());
                case SLAB -> settings.slabIgnoreWaitok() ? "M_WAITOK exempt" : "M_WAITOK may fail";
                default -> "zones " + String.join(",", settings.zones());
            };
            out.add(String.format(Locale.ROOT, "%-16s probability %d%% interval %d times %d (%s): %d eligible calls, %d failures injected",
                    NAMES[t], target.probability(), target.interval(), target.times(), filter,
                    km.load64(a + CALLS), km.load64(a + INJECTED)));
        }
        return out;
    }

    private static String classNames(int bits) {
        List<String> names = new ArrayList<>();
        if ((bits & CLASS_NORMAL) != 0) names.add("normal");
        if ((bits & CLASS_SYSTEM) != 0) names.add("system");
        if ((bits & CLASS_INTERRUPT) != 0) names.add("interrupt");
        return String.join(",", names);
    }
}
