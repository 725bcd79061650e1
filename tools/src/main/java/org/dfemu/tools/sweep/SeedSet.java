package org.dfemu.tools.sweep;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The seeds of a sweep, parsed from {@code --seeds}: ranges {@code A..B} (inclusive) and single
 * seeds, separated by commas ({@code 1..200}, {@code 5,9,12}, {@code 1..10,50..60}). Held in
 * ascending order, each once.
 *
 * @param text  the text as given (the JSON records it, so that shards can be matched)
 * @param seeds the seeds, ascending
 */
public record SeedSet(String text, long[] seeds) {
    /** More runs than this is surely a typo (and would not fit a JSON file anyway). */
    static final long MAX_SEEDS = 10_000_000;

    /** Parses {@code text}; throws {@link IllegalArgumentException} with a one-line message. */
    public static SeedSet parse(String text) {
        TreeSet<Long> set = new TreeSet<>();
        for (String part : text.split(",", -1)) {
            int dots = part.indexOf("..");
            long lo;
            long hi;
            if (dots >= 0) {
                lo = seed(part.substring(0, dots), text);
                hi = seed(part.substring(dots + 2), text);
                if (lo > hi) throw new IllegalArgumentException("--seeds " + text + ": range " + part + " is empty (" + lo + " > " + hi + ")");
            } else {
                lo = hi = seed(part, text);
            }
            if (hi - lo + 1 > MAX_SEEDS || set.size() + (hi - lo + 1) > MAX_SEEDS) {
                throw new IllegalArgumentException("--seeds " + text + ": more than " + MAX_SEEDS + " seeds");
            }
            for (long s = lo; s <= hi; s++) {
                if (!set.add(s)) throw new IllegalArgumentException("--seeds " + text + ": seed " + s + " is given twice");
                if (s == Long.MAX_VALUE) break;
            }
        }
        long[] seeds = new long[set.size()];
        int i = 0;
        for (long s : set) seeds[i++] = s;
        return new SeedSet(text, seeds);
    }

    private static long seed(String s, String text) {
        if (s.isEmpty() || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("--seeds " + text + ": '" + s + "' is not a seed (a decimal number; give N, A..B or a comma list)");
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--seeds " + text + ": seed " + s + " is too large");
        }
    }

    /** The seeds as a list, ascending. */
    List<Long> list() {
        List<Long> l = new ArrayList<>(seeds.length);
        for (long s : seeds) l.add(s);
        return l;
    }
}
