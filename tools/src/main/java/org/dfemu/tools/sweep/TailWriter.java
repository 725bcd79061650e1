package org.dfemu.tools.sweep;

import java.io.Writer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A console that keeps only its last lines: a sweep discards each run's console but keeps the
 * tail of a failed one (the result, the panic or deadlock report's end) for the JSON.
 */
final class TailWriter extends Writer {
    private final int keep;
    private final ArrayDeque<String> lines = new ArrayDeque<>();
    private final StringBuilder current = new StringBuilder();

    TailWriter(int keep) {
        this.keep = keep;
    }

    @Override
    public void write(char[] buf, int off, int len) {
        for (int i = off; i < off + len; i++) {
            char c = buf[i];
            if (c == '\n') {
                lines.addLast(current.toString());
                current.setLength(0);
                if (lines.size() > keep) lines.removeFirst();
            } else if (c != '\r') {
                current.append(c);
            }
        }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}

    /** The last lines written (at most {@code keep}, the unfinished line last if any). */
    List<String> tail() {
        List<String> out = new ArrayList<>(lines);
        if (!current.isEmpty()) out.add(current.toString());
        while (out.size() > keep) out.removeFirst();
        return out;
    }
}
