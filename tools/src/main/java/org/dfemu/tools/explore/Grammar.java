package org.dfemu.tools.explore;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.dfemu.emulator.api.Tunable;
import org.dfemu.emulator.sched.SchedulerSettings;
import org.dfemu.kernel.harness.workload.Program;
import org.dfemu.tools.image.BootSettings;

/**
 * The seeded grammar of {@code dfemu explore}: one {@link Scenario} per seed, drawn from a
 * {@link SplittableRandom} seeded with the seed alone (one split stream each for the swarm, the
 * machine, the settings and the programs, so a new tunable does not change the programs).
 *
 * <p>Swarm testing (Groce et al., ISSTA 2012): before anything else each scenario switches whole
 * {@link #features() features} off at random, half of them on average (each fault-injection
 * group is on in a fifth of the scenarios only), so that scenarios without forks, without
 * sleeps, on one CPU, without swap, ... each get their share and rare combinations come up.
 *
 * <p>Sizes are drawn around the thresholds the kernel computes for the scenario's RAM
 * ({@link Thresholds}): a region is as large as one rung of the free-page ladder, a kmalloc_obj
 * slab, the SWAPMETA zone's ready items or all free memory, give or take a page, halved or
 * doubled.
 *
 * <p>Each program's code comes from a {@link ProgramGen}: every instruction of the workload
 * language is one of its {@link ProgramGen#KINDS} (its name is also its swarm feature), valid
 * where it is written. Each program expects {@code exit}, or with "segv" on, in a quarter of
 * the programs, {@code segv}: such a program forks no children and ends with an access its
 * mprotect (or its ro map) forbids. When the programs may need more than RAM plus swap
 * ({@link Scenario#withFatesForMemory}), those fates become {@code exit-or-killed} and
 * {@code segv-or-killed}: the pageout daemon's OOM kill is then correct. The shrinker needs a line only for a new block
 * ({@link Shrinker#ends}) or new operands worth halving ({@link Shrinker}'s {@code smaller}).
 */
final class Grammar {
    private Grammar() {}

    /** Kinds swarm testing never switches off: without map a program does nothing. */
    private static final Set<String> ALWAYS = Set.of("map");

    /** Workload features besides the kinds: {@code map ... shared}, and programs that expect {@code segv}. */
    static final List<String> WORKLOAD_FEATURES = List.of("shared", "segv");

    /** Machine and workload features swarm testing may switch off, besides the kinds. */
    static final List<String> MACHINE_FEATURES = List.of("exit", "smp", "swap", "copies", "programs", "settings");

    /** RAM sizes a scenario is drawn from (MiB) and their weights: small machines are cheap. */
    private static final long[] RAM_MIB = {16, 24, 32, 48, 64};
    private static final int[] RAM_WEIGHT = {4, 2, 2, 1, 1};
    /** CPUs with "smp" on. */
    static final int NCPU_MAX = 4;

    /**
     * Settings the grammar never draws: the machine's shape (drawn on its own), the invariant
     * check interval (explore sets it for every run, as sweep does) and the TLB self-check,
     * which checks the emulator, not the kernel, and multiplies a run's host time.
     */
    private static final Set<String> NOT_DRAWN = Set.of("hw.physmem", "hw.ncpu", "debug.check_interval", "debug.tlb_check");

    /** The fault-injection groups: each debug.fail* setting's name up to its last dot. */
    static List<String> injectionGroups() {
        TreeSet<String> seen = new TreeSet<>();
        List<String> groups = new ArrayList<>();
        for (Tunable t : BootSettings.all()) {
            if (t.name().startsWith("debug.fail")) {
                String g = t.name().substring(0, t.name().lastIndexOf('.'));
                if (seen.add(g)) groups.add(g);
            }
        }
        return groups;
    }

    /** Every feature swarm testing may switch off, in a fixed order. */
    static List<String> features() {
        List<String> f = new ArrayList<>();
        for (ProgramGen.Kind k : ProgramGen.KINDS) if (!ALWAYS.contains(k.name())) f.add(k.name());
        f.addAll(WORKLOAD_FEATURES);
        f.addAll(MACHINE_FEATURES);
        f.addAll(injectionGroups());
        return f;
    }

    /** The scenario of {@code seed}. */
    static Scenario generate(long seed) {
        SplittableRandom root = new SplittableRandom(seed);
        SplittableRandom swarmRnd = root.split();
        SplittableRandom machineRnd = root.split();
        SplittableRandom settingsRnd = root.split();
        SplittableRandom programRnd = root.split();

        List<String> off = new ArrayList<>();
        List<String> groups = injectionGroups();
        for (String f : features()) {
            boolean on = groups.contains(f) ? swarmRnd.nextInt(5) == 0 : swarmRnd.nextBoolean();
            if (!on) off.add(f);
        }
        Set<String> offSet = Set.copyOf(off);

        long ram = RAM_MIB[weighted(machineRnd, RAM_WEIGHT)] << 20;
        int ncpu = offSet.contains("smp") ? 1 : 2 + machineRnd.nextInt(NCPU_MAX - 1);
        long swap = offSet.contains("swap") ? 0 : ram * new long[] {1, 2, 4, 8}[machineRnd.nextInt(4)] / 2;

        Map<String, String> drawn = settings(settingsRnd, offSet);

        Thresholds th = Thresholds.of(ram, ncpu);
        int nprograms = offSet.contains("programs") ? 1 : 1 + programRnd.nextInt(3);
        List<Program> programs = new ArrayList<>();
        for (int p = 0; p < nprograms; p++) {
            int copies = offSet.contains("copies") ? 1 : 1 + programRnd.nextInt(3);
            Program.Fate fate = !offSet.contains("segv") && programRnd.nextInt(4) == 0 && ProgramGen.segvPossible(offSet) ? Program.Fate.SEGV : Program.Fate.EXIT;
            ProgramGen g = new ProgramGen(programRnd, th, offSet, fate);
            programs.add(new Program("p" + p, copies, g.program(2 + programRnd.nextInt(7)), fate));
        }
        return new Scenario(seed, ram, ncpu, swap, Map.of(), drawn, programs, off).withFatesForMemory();
    }

    /**
     * The drawn boot settings, in registry order: with "settings" on each plain setting is drawn
     * with probability 1/3; each injection group that is on sets its probability (1..5 percent:
     * injections stay rare) and draws each of its other settings with probability 1/2.
     */
    private static Map<String, String> settings(SplittableRandom rnd, Set<String> off) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Tunable t : BootSettings.all()) {
            // Never drawn, and skipped before its split so that every scenario generated before the
            // setting existed stays the same.
            if (t == SchedulerSettings.DEBUG_RUNAWAY_TIMEOUT) continue;
            // One draw per tunable, used or not, so that switching a feature off changes no other value.
            SplittableRandom r = rnd.split();
            if (NOT_DRAWN.contains(t.name())) continue;
            if (t.name().startsWith("debug.fail")) {
                String group = t.name().substring(0, t.name().lastIndexOf('.'));
                if (off.contains(group)) continue;
                if (t.name().endsWith(".probability")) {
                    m.put(t.name(), Long.toString(1 + r.nextInt(5)));
                } else if (r.nextBoolean()) {
                    m.put(t.name(), value(t, r, 1000));
                }
            } else if (!off.contains("settings") && r.nextInt(3) == 0) {
                m.put(t.name(), t.name().equals("debug.stall_timeout") ? Long.toString(5 + r.nextInt(56)) : value(t, r, -1));
            }
        }
        return m;
    }

    /**
     * A value of {@code t} within its registry range, as a spec writes it. Numbers are drawn
     * log-uniformly from max(min, 1) up to max, capped at {@code cap} (or, when cap is -1, at ten
     * times the default if that is positive), so a run stays affordable.
     */
    static String value(Tunable t, SplittableRandom r, long cap) {
        return switch (t.type()) {
            case ENUM -> t.choices().get(r.nextInt(t.choices().size()));
            case BOOLEAN -> r.nextBoolean() ? "1" : "0";
            case LIST -> {
                List<String> words = new ArrayList<>();
                while (words.isEmpty()) {
                    for (String c : t.choices()) if (r.nextBoolean()) words.add(c.replace(' ', '_'));
                }
                yield String.join(",", words);
            }
            case INT, SIZE, SECONDS -> {
                long def = ((Number) t.parse(t.defaultValue())).longValue();
                long lo = Math.max(t.min(), 1);
                long hi = cap >= 0 ? Math.min(t.max(), cap) : def > 0 ? Math.min(t.max(), def * 10) : t.max();
                if (hi < lo) hi = lo;
                long v = logUniform(r, lo, hi);
                if (t.type() == Tunable.Type.SIZE) {
                    v = Math.max(t.min(), v / t.align() * t.align());
                    yield org.dfemu.emulator.memory.PhysmemSize.format(v);
                }
                if (t.type() == Tunable.Type.SECONDS) yield Tunable.seconds(Math.max(t.min(), v / 1000 * 1000));
                yield Long.toString(v);
            }
        };
    }

    static long logUniform(SplittableRandom r, long lo, long hi) {
        double a = Math.log(lo);
        double b = Math.log(hi + 1.0);
        long v = (long) Math.floor(Math.exp(a + r.nextDouble() * (b - a)));
        return Math.max(lo, Math.min(hi, v));
    }

    private static int weighted(SplittableRandom r, int[] weights) {
        int total = 0;
        for (int w : weights) total += w;
        int x = r.nextInt(total);
        for (int i = 0; i < weights.length; i++) {
            x -= weights[i];
            if (x < 0) return i;
        }
        throw new IllegalStateException();
    }
}
