package org.dfemu.emulator.trace;

import java.util.BitSet;
import java.util.List;
import java.util.TreeSet;

/**
 * Builds a {@link TraceWriter} category mask from what a user asks for. An event's category is
 * its name up to the first underscore ({@code sched_switch} is in {@code sched},
 * {@code vm_page_alloc} in {@code vm}), so categories follow the subsystem prefixes the names
 * already carry and need no table of their own.
 */
public final class TraceCategories {
    private TraceCategories() {}

    /** The category of an event name: the part before its first '_', or the whole name. No requirements. */
    public static String categoryOf(String name) {
        int cut = name.indexOf('_');
        return cut < 0 ? name : name.substring(0, cut);
    }

    /**
     * The mask selecting what {@code spec} names: a comma-separated list whose items are
     * {@code all}, a category, or an exact event name (spaces around items are ignored). Type 0
     * is never selected.
     *
     * @param names event names indexed by type, as given to {@link TraceWriter#open}
     * @throws IllegalArgumentException if spec names nothing, or an item matches no type (the
     *         message names the item and lists the categories). No requirements.
     */
    public static BitSet select(List<String> names, String spec) {
        BitSet mask = new BitSet(names.size());
        boolean any = false;
        for (String raw : spec.split(",")) {
            String item = raw.strip();
            if (item.isEmpty()) continue;
            any = true;
            boolean matched = false;
            for (int t = 1; t < names.size(); t++) {
                String name = names.get(t);
                if (item.equals("all") || item.equals(name) || item.equals(categoryOf(name))) {
                    mask.set(t);
                    matched = true;
                }
            }
            if (!matched) {
                throw new IllegalArgumentException("trace: '" + item + "' is neither a category nor an event name"
                        + " (categories: all, " + String.join(", ", categories(names)) + ")");
            }
        }
        if (!any) {
            throw new IllegalArgumentException("trace: no categories given (categories: all, "
                    + String.join(", ", categories(names)) + ")");
        }
        return mask;
    }

    /** The categories of types 1.. in sorted order (sorted so messages are stable). */
    private static TreeSet<String> categories(List<String> names) {
        TreeSet<String> cats = new TreeSet<>();
        for (int t = 1; t < names.size(); t++) cats.add(categoryOf(names.get(t)));
        return cats;
    }
}
