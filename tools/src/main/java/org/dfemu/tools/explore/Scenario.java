package org.dfemu.tools.explore;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dfemu.emulator.memory.PhysmemSize;
import org.dfemu.kernel.harness.workload.Instruction;
import org.dfemu.kernel.harness.workload.Program;
import org.dfemu.tools.image.ImageSpec;
import org.dfemu.tools.image.SpecException;
import org.dfemu.tools.image.SpecParser;

/**
 * One generated scenario: a machine (RAM, CPUs, swap), its boot settings and its workload
 * programs, booted with {@link #seed}. {@link #spec()} writes it as an image spec a person can
 * read, edit and build with {@code dfemu mkimage}; {@link #imageSpec()} is that text parsed back,
 * so what runs is exactly what is written.
 *
 * @param seed      the scenario's seed: it drew the scenario and is the seed it boots with
 * @param physmem   hw.physmem in bytes
 * @param ncpu      hw.ncpu
 * @param swapBytes the swap partition's size (0: no swap)
 * @param fixed     settings the shrinker keeps: the base image's, {@code -e}'s and the invariant
 *                  check interval
 * @param drawn     settings the grammar drew (values as a spec writes them)
 * @param programs  the workload, in order
 * @param off       the features swarm testing switched off for this scenario (a comment only)
 */
record Scenario(long seed, long physmem, int ncpu, long swapBytes, Map<String, String> fixed, Map<String, String> drawn,
                List<Program> programs, List<String> off) {
    Scenario {
        fixed = Collections.unmodifiableMap(new LinkedHashMap<>(fixed));
        drawn = Collections.unmodifiableMap(new LinkedHashMap<>(drawn));
        programs = List.copyOf(programs);
        off = List.copyOf(off);
    }

    /** Every boot setting the spec holds, in spec order. */
    Map<String, String> settings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("hw.physmem", PhysmemSize.format(physmem));
        m.put("hw.ncpu", Integer.toString(ncpu));
        m.putAll(fixed);
        drawn.forEach((k, v) -> { if (!fixed.containsKey(k)) m.put(k, v); });
        return m;
    }

    /** The scenario as an image spec. */
    String spec() {
        StringBuilder sb = new StringBuilder();
        sb.append("# dfemu explore scenario, seed ").append(seed).append('\n');
        if (!off.isEmpty()) sb.append("# swarm: off ").append(String.join(", ", off)).append('\n');
        settings().forEach((k, v) -> sb.append("setting ").append(k).append('=').append(v.replace(' ', '_')).append('\n'));
        if (swapBytes > 0) sb.append("partition swap ").append(PhysmemSize.format(swapBytes)).append('\n');
        for (Program p : programs) {
            sb.append("program ").append(p.name());
            if (p.copies() != 1) sb.append(" copies ").append(p.copies());
            if (p.expect() != Program.Fate.EXIT) sb.append(" expect ").append(p.expect().word());
            sb.append('\n');
            int depth = 1;
            for (Instruction i : p.code()) {
                if (Shrinker.isCloser(i)) depth--;
                sb.append("  ".repeat(depth)).append(i.text()).append('\n');
                if (Shrinker.isOpener(i)) depth++;
            }
            sb.append("end\n");
        }
        return sb.toString();
    }

    /** {@link #spec()} parsed as {@code dfemu mkimage} parses it. */
    ImageSpec imageSpec() throws SpecException {
        return SpecParser.parse("explore-" + seed + ".spec", spec().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The scenario's size, for the shrinker: programs, processes at boot, instructions, pages
     * mapped, touch, loop and page-range counts, sleep (ns), drawn settings, RAM (bytes), CPUs,
     * swap (bytes), shared maps.
     * A shrunk scenario is no larger in any of them and smaller in one.
     */
    List<Long> measure() {
        long copies = 0, instructions = 0, pages = 0, counts = 0, sleep = 0, shared = 0;
        for (Program p : programs) {
            copies += p.copies();
            instructions += p.code().size();
            for (Instruction i : p.code()) {
                switch (i) {
                    case Instruction.Mmap m -> {
                        pages += m.pages();
                        if (m.shared()) shared++;
                    }
                    case Instruction.Touch t -> counts += t.n();
                    case Instruction.Loop l -> counts += l.count();
                    case Instruction.Sleep s -> sleep += s.ns();
                    default -> counts += rangeCount(i);
                }
            }
        }
        return List.of((long) programs.size(), copies, instructions, pages, counts, sleep, (long) drawn.size(), physmem,
                (long) ncpu, swapBytes, shared);
    }

    /** The page count of an instruction's range operand (0: none, or the whole region). */
    static long rangeCount(Instruction i) {
        return switch (i) {
            case Instruction.Mlock l -> l.count();
            case Instruction.Munlock l -> l.count();
            case Instruction.Mprotect m -> m.count();
            case Instruction.Madvise m -> m.count();
            case Instruction.WriteRange w -> w.count();
            case Instruction.VerifyRange v -> v.count();
            case Instruction.UnmapRange u -> u.count();
            default -> 0;
        };
    }

    /** True if {@code a} is no larger than {@code b} in every part and smaller in one. */
    static boolean smaller(List<Long> a, List<Long> b) {
        boolean less = false;
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i) > b.get(i)) return false;
            if (a.get(i) < b.get(i)) less = true;
        }
        return less;
    }

    Scenario withPrograms(List<Program> ps) {
        return new Scenario(seed, physmem, ncpu, swapBytes, fixed, drawn, ps, off);
    }

    Scenario withDrawn(Map<String, String> d) {
        return new Scenario(seed, physmem, ncpu, swapBytes, fixed, d, programs, off);
    }

    Scenario withMachine(long ram, int cpus, long swap) {
        return new Scenario(seed, ram, cpus, swap, fixed, drawn, programs, off);
    }

    /**
     * This scenario with each program's fate fitted to its memory: when the programs may hold
     * ({@link Demand}) at least 9/10 of the pages free at boot plus the swap pages (the kernel's
     * own allocations take the rest), an OOM kill is the kernel doing its job, so {@code exit}
     * becomes {@code exit-or-killed} and {@code segv} {@code segv-or-killed}; otherwise the
     * strict fates stand. Applied once the machine is final (drawn, or a base image's swap, or
     * {@code -e hw.physmem}); the shrinker keeps the fates it was given.
     */
    Scenario withFatesForMemory() {
        long budget = Thresholds.of(physmem, ncpu).freeAtBoot() + swapBytes / Instruction.PAGE_SIZE;
        long demand = Demand.scenarioPages(programs);
        boolean tight = demand >= budget - budget / 10;
        List<Program> ps = new ArrayList<>();
        for (Program p : programs) {
            Program.Fate strict = switch (p.expect()) {
                case EXIT_OR_KILLED -> Program.Fate.EXIT;
                case SEGV_OR_KILLED -> Program.Fate.SEGV;
                default -> p.expect();
            };
            Program.Fate fate = !tight ? strict : switch (strict) {
                case EXIT -> Program.Fate.EXIT_OR_KILLED;
                case SEGV -> Program.Fate.SEGV_OR_KILLED;
                default -> strict;
            };
            ps.add(fate == p.expect() ? p : new Program(p.name(), p.copies(), p.code(), fate));
        }
        return withPrograms(ps);
    }

    /** True if the RAM or CPU count is fixed (by the base image or {@code -e}): the shrinker keeps it. */
    boolean fixedMachine(String name) {
        return fixed.containsKey(name);
    }

    /** This scenario under a variant: {@code settings} join the fixed ones and replace drawn ones of the same name. */
    Scenario withFixed(Map<String, String> settings) {
        Map<String, String> f = new LinkedHashMap<>(fixed);
        Map<String, String> d = new LinkedHashMap<>(drawn);
        long ram = physmem;
        int cpus = ncpu;
        for (Map.Entry<String, String> e : settings.entrySet()) {
            switch (e.getKey()) {
                case "hw.physmem" -> ram = PhysmemSize.parse(e.getValue());
                case "hw.ncpu" -> cpus = Integer.parseInt(e.getValue());
                default -> d.remove(e.getKey());
            }
            f.put(e.getKey(), e.getValue());
        }
        return new Scenario(seed, ram, cpus, swapBytes, f, d, programs, off);
    }

    /**
     * The scenario a parsed spec describes, booted with {@code seed}: its hw.physmem, hw.ncpu
     * and swap partition, the settings named in {@code fixedNames} as fixed, the others as drawn.
     */
    static Scenario fromSpec(long seed, ImageSpec spec, java.util.Set<String> fixedNames) {
        Map<String, String> fixed = new LinkedHashMap<>();
        Map<String, String> drawn = new LinkedHashMap<>();
        long ram = PhysmemSize.parse(org.dfemu.tools.image.BootSettings.require("hw.physmem").defaultValue());
        int cpus = Integer.parseInt(org.dfemu.tools.image.BootSettings.require("hw.ncpu").defaultValue());
        for (Map.Entry<String, String> e : spec.settings().entrySet()) {
            switch (e.getKey()) {
                case "hw.physmem" -> ram = PhysmemSize.parse(e.getValue());
                case "hw.ncpu" -> cpus = Integer.parseInt(e.getValue());
                default -> (fixedNames.contains(e.getKey()) ? fixed : drawn).put(e.getKey(), e.getValue());
            }
            if (fixedNames.contains(e.getKey()) && e.getKey().startsWith("hw.")) fixed.put(e.getKey(), e.getValue());
        }
        long swap = spec.partitionBytes().getOrDefault(org.dfemu.tools.image.PartitionType.SWAP, 0L);
        return new Scenario(seed, ram, cpus, swap, fixed, drawn, spec.programs(), List.of());
    }

    /** The programs' names, for messages. */
    List<String> programNames() {
        List<String> n = new ArrayList<>();
        for (Program p : programs) n.add(p.name());
        return n;
    }
}
