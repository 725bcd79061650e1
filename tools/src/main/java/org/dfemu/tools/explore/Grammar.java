package org.dfemu.tools.explore;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.dfemu.emulator.api.Tunable;
import org.dfemu.kernel.harness.workload.Instruction;
import org.dfemu.kernel.harness.workload.Instruction.Access;
import org.dfemu.kernel.harness.workload.Instruction.Mmap;
import org.dfemu.kernel.harness.workload.Instruction.Order;
import org.dfemu.kernel.harness.workload.Instruction.Prot;
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
 * <p>Each instruction kind is one entry of {@link #KINDS}: its name (also its swarm feature), a
 * weight, when it may be emitted and how. A new instruction is one more entry there, with its
 * emitter beside the others in {@link Gen}: one that changes what a register holds (mprotect, a
 * range unmap) updates {@link Gen#regs}; a block (thread ... endthread) follows {@link Gen#fork};
 * a region kind (map ... shared) is a choice inside {@link Gen#map}. A program-level attribute
 * (program ... expect exit|segv|killed) is drawn where {@link #generate} builds each
 * {@link Program}. The shrinker needs a line only for a new block ({@link Shrinker#ends}) or new
 * operands worth halving ({@link Shrinker}'s {@code smaller}).
 */
final class Grammar {
    private Grammar() {}

    /** One instruction kind: name (the swarm feature), weight, when it applies, how it is emitted. */
    record Kind(String name, int weight, Predicate<Gen> applies, Consumer<Gen> emit) {}

    /** Regions one process holds at most at a time (of the 16 registers). */
    static final int REGIONS_MAX = 4;
    /** Deepest nesting of loop and fork blocks the grammar writes. */
    static final int DEPTH_MAX = 2;

    /** Every instruction kind the grammar writes. Add a new instruction here. */
    static final List<Kind> KINDS = List.of(
            new Kind("map", 4, g -> !g.inLoop && g.mapped() < REGIONS_MAX, Gen::map),
            new Kind("unmap", 1, g -> !g.inLoop && g.mapped() > 0, Gen::unmap),
            new Kind("write", 3, g -> g.pick(true) >= 0, Gen::write),
            new Kind("verify", 3, g -> g.mapped() > 0, Gen::verify),
            new Kind("touch", 4, g -> g.mapped() > 0, Gen::touch),
            new Kind("sleep", 1, g -> true, Gen::sleep),
            new Kind("loop", 1, g -> g.depth < DEPTH_MAX, Gen::loop),
            new Kind("fork", 2, g -> g.depth < DEPTH_MAX, Gen::fork));

    /** Kinds swarm testing never switches off: without map a program does nothing. */
    private static final Set<String> ALWAYS = Set.of("map");

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
        for (Kind k : KINDS) if (!ALWAYS.contains(k.name())) f.add(k.name());
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
            Gen g = new Gen(programRnd, th, offSet);
            int statements = 2 + programRnd.nextInt(7);
            for (int s = 0; s < statements; s++) g.statement();
            if (!offSet.contains("exit") && programRnd.nextInt(3) == 0) g.out.add(new Instruction.Exit());
            programs.add(new Program("p" + p, copies, g.out));
        }
        return new Scenario(seed, ram, ncpu, swap, Map.of(), drawn, programs, off);
    }

    /**
     * The drawn boot settings, in registry order: with "settings" on each plain setting is drawn
     * with probability 1/3; each injection group that is on sets its probability (1..5 percent:
     * injections stay rare) and draws each of its other settings with probability 1/2.
     */
    private static Map<String, String> settings(SplittableRandom rnd, Set<String> off) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Tunable t : BootSettings.all()) {
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

    private static long logUniform(SplittableRandom r, long lo, long hi) {
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

    /** The state of one program's generation: the code so far and what each register holds. */
    static final class Gen {
        final SplittableRandom rnd;
        final Thresholds th;
        final Set<String> off;
        final List<Instruction> out = new ArrayList<>();
        Mmap[] regs = new Mmap[Instruction.REGISTERS];
        int depth;
        boolean inLoop;

        Gen(SplittableRandom rnd, Thresholds th, Set<String> off) {
            this.rnd = rnd;
            this.th = th;
            this.off = off;
        }

        int mapped() {
            int n = 0;
            for (Mmap m : regs) if (m != null) n++;
            return n;
        }

        /** A mapped register (rw only if {@code rw}) drawn uniformly, or -1. */
        int pick(boolean rw) {
            List<Integer> ok = new ArrayList<>();
            for (int i = 0; i < regs.length; i++) {
                if (regs[i] != null && (!rw || regs[i].prot() == Prot.RW)) ok.add(i);
            }
            return ok.isEmpty() ? -1 : ok.get(rnd.nextInt(ok.size()));
        }

        /** Emits one statement of an enabled, applicable kind; false if none applies. */
        boolean statement() {
            List<Kind> ok = new ArrayList<>();
            int total = 0;
            for (Kind k : KINDS) {
                if (!off.contains(k.name()) && k.applies().test(this)) {
                    ok.add(k);
                    total += k.weight();
                }
            }
            if (ok.isEmpty()) return false;
            int x = rnd.nextInt(total);
            for (Kind k : ok) {
                x -= k.weight();
                if (x < 0) {
                    k.emit().accept(this);
                    return true;
                }
            }
            throw new IllegalStateException();
        }

        /** A region size in pages around one of the machine's thresholds. */
        long pages() {
            long base = th.named().get(rnd.nextInt(th.named().size())).pages();
            long p = switch (rnd.nextInt(5)) {
                case 0 -> base - 1;
                case 1 -> base + 1;
                case 2 -> base / 2;
                case 3 -> base * 2;
                default -> base;
            };
            return Math.max(1, Math.min(p, th.freeAtBoot()));
        }

        static void map(Gen g) {
            int reg = 0;
            while (g.regs[reg] != null) reg++;
            Prot prot = g.rnd.nextInt(5) == 0 ? Prot.RO : Prot.RW;
            Mmap m = new Mmap(reg, g.pages(), prot);
            g.regs[reg] = m;
            g.out.add(m);
        }

        static void unmap(Gen g) {
            int reg = g.pick(false);
            g.regs[reg] = null;
            g.out.add(new Instruction.Munmap(reg));
        }

        static void write(Gen g) {
            g.out.add(new Instruction.Write(g.pick(true)));
        }

        static void verify(Gen g) {
            g.out.add(new Instruction.Verify(g.pick(false)));
        }

        static void touch(Gen g) {
            int reg = g.pick(false);
            long pages = g.regs[reg].pages();
            Order order = Order.values()[g.rnd.nextInt(Order.values().length)];
            long n = switch (order) {
                case SEQ -> 0;
                case STRIDE -> 1 + g.rnd.nextInt(16);
                case RANDOM -> 1 + g.rnd.nextLong(2 * pages);
            };
            Access access = g.regs[reg].prot() == Prot.RW && g.rnd.nextBoolean() ? Access.WRITE : Access.READ;
            g.out.add(new Instruction.Touch(reg, order, n, access));
        }

        static void sleep(Gen g) {
            g.out.add(new Instruction.Sleep(1000L * logUniform(g.rnd, 1, 20_000)));
        }

        static void loop(Gen g) {
            g.out.add(new Instruction.Loop(1 + g.rnd.nextInt(3)));
            boolean wasInLoop = g.inLoop;
            g.inLoop = true;
            g.depth++;
            int before = g.out.size();
            int n = 1 + g.rnd.nextInt(3);
            for (int i = 0; i < n; i++) g.statement();
            g.depth--;
            g.inLoop = wasInLoop;
            // A loop body must act: when no enabled kind applied, the loop is not written at all.
            if (g.out.size() == before) {
                g.out.removeLast();
            } else {
                g.out.add(new Instruction.EndLoop());
            }
        }

        static void fork(Gen g) {
            g.out.add(new Instruction.Fork());
            Mmap[] saved = g.regs.clone();
            boolean wasInLoop = g.inLoop;
            // The child's registers do not outlive its block: it may map and unmap freely.
            g.inLoop = false;
            g.depth++;
            int n = 1 + g.rnd.nextInt(3);
            for (int i = 0; i < n; i++) g.statement();
            if (!g.off.contains("exit") && g.rnd.nextInt(4) == 0) g.out.add(new Instruction.Exit());
            g.depth--;
            g.inLoop = wasInLoop;
            g.regs = saved;
            g.out.add(new Instruction.EndFork());
        }
    }
}
