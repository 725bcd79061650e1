package org.dfemu.emulator.sched;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A thread's kernel call chain as the kernel declares it with {@code pushFrame}/{@code popFrame}:
 * names of kernel functions, outermost at the bottom. Push and pop do not allocate once the
 * array has grown to the deepest chain seen.
 */
final class FrameStack {
    private String[] names = new String[16];
    private int depth;

    void push(String function) {
        if (depth == names.length) names = Arrays.copyOf(names, depth * 2);
        names[depth++] = function;
    }

    /** Pops the innermost frame; false if there was none (an unbalanced pop). */
    boolean pop() {
        if (depth == 0) return false;
        names[--depth] = null;
        return true;
    }

    void clear() {
        Arrays.fill(names, 0, depth, null);
        depth = 0;
    }

    /** The frames innermost first, as a report prints them. */
    List<String> snapshot() {
        List<String> out = new ArrayList<>(depth);
        for (int i = depth - 1; i >= 0; i--) out.add(names[i]);
        return out;
    }
}
