package org.dfemu.kernel.harness.workload;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The contents of an image's user partition: its programs in partition order. A program's
 * position in this list is its program index, which goes into the page pattern of its processes
 * ({@link PagePattern#bootStream}).
 *
 * @param programs at most {@link #PROGRAMS_MAX}, names unique; may be empty
 */
public record Workload(List<Program> programs) {
    /** Most programs in one image. */
    public static final int PROGRAMS_MAX = 256;

    /** A workload without programs: what a machine without a user partition runs. */
    public static final Workload EMPTY = new Workload(List.of());

    /** @throws IllegalArgumentException if there are too many programs or a name repeats. */
    public Workload {
        programs = List.copyOf(programs);
        if (programs.size() > PROGRAMS_MAX) {
            throw new IllegalArgumentException(programs.size() + " programs, more than the " + PROGRAMS_MAX + " allowed");
        }
        Set<String> names = new HashSet<>();
        for (Program p : programs) {
            if (!names.add(p.name())) throw new IllegalArgumentException("program '" + p.name() + "' is defined twice");
        }
    }

    /** How many processes boot starts: the sum of every program's copies. */
    public int processesAtBoot() {
        return programs.stream().mapToInt(Program::copies).sum();
    }
}
