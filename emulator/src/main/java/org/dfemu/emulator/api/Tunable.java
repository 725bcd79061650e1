package org.dfemu.emulator.api;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.dfemu.emulator.memory.PhysmemSize;

/**
 * One boot-time tunable, declared once beside the code that reads it, in the manner of
 * DragonFly's {@code TUNABLE_INT("vm.foo", &foo)} next to {@code SYSCTL_INT(..., "foo", ...,
 * "description")}: its name, how its text is read, its default, its range and a one-line
 * description. The reader fetches its value from the boot {@link Environment}; the tools build
 * the settings registry (`dfemu boot --settings`, mkimage's and {@code -e}'s checks) from the
 * same declarations, so a value is checked and parsed by this one class everywhere.
 *
 * <p>Neutral: the machine declares its own (hw.physmem, disk.latency_*, ...) and the kernel its
 * own; nothing here knows either.
 *
 * @param min     smallest value (SIZE, INT; SECONDS in nanoseconds, besides 0); unused otherwise
 * @param max     largest value (SIZE, INT; SECONDS in nanoseconds); unused otherwise
 * @param align   a SIZE must be a multiple of this (1 for any); unused otherwise
 * @param choices the allowed words (ENUM, LIST); empty otherwise
 */
public record Tunable(String name, Type type, String defaultValue, long min, long max, long align,
                      List<String> choices, String description) {
    /** How a tunable's text is read. */
    public enum Type {
        /** A byte count: decimal with an optional k/m/g/t suffix (binary multiples), e.g. 64M. */
        SIZE,
        /** A decimal integer; a leading {@code -} only where the range has negative values. */
        INT,
        /** One word out of a fixed list. */
        ENUM,
        /** {@code 0}, {@code 1}, {@code false} or {@code true}. */
        BOOLEAN,
        /** A comma-separated, non-empty set of words out of a fixed list (order and repeats ignored). */
        LIST,
        /**
         * Virtual seconds: a decimal without sign or exponent, e.g. 0.05, to the microsecond,
         * parsed to nanoseconds; 0 (off) is always allowed besides the range.
         */
        SECONDS
    }

    /** A value of an ENUM tunable declared from a Java enum: the word the setting is written as. */
    public interface Word {
        String word();
    }

    public Tunable {
        choices = List.copyOf(choices);
    }

    /**
     * Checks a declaration: a lower-case name, a known top-level node ({@link #NODES}), a
     * default that parses. Throws IllegalArgumentException otherwise (a declaration bug, found
     * when the declaring class loads). Every factory below goes through it.
     */
    private static Tunable declare(Tunable t) {
        if (!t.name().equals(t.name().toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("tunable names are lower case: " + t.name());
        }
        node(t.name());
        t.parse(t.defaultValue());
        return t;
    }

    /** A SIZE tunable: bytes in min..max, a multiple of align. */
    public static Tunable size(String name, String def, long min, long max, long align, String description) {
        return declare(new Tunable(name, Type.SIZE, def, min, max, align, List.of(), description));
    }

    /** An INT tunable in min..max. */
    public static Tunable integer(String name, String def, long min, long max, String description) {
        return declare(new Tunable(name, Type.INT, def, min, max, 1, List.of(), description));
    }

    /**
     * A SECONDS tunable: 0, or a whole number of microseconds in minNs..maxNs (nanoseconds,
     * multiples of 1000).
     */
    public static Tunable seconds(String name, String def, long minNs, long maxNs, String description) {
        if (minNs < 1000 || minNs % 1000 != 0 || maxNs % 1000 != 0 || maxNs < minNs) {
            throw new IllegalArgumentException("tunable " + name + ": seconds range must be whole microseconds, at least 0.000001");
        }
        return declare(new Tunable(name, Type.SECONDS, def, minNs, maxNs, 1, List.of(), description));
    }

    /** An ENUM tunable over {@code choices}. */
    public static Tunable choice(String name, String def, List<String> choices, String description) {
        return declare(new Tunable(name, Type.ENUM, def, 0, 0, 1, choices, description));
    }

    /**
     * An ENUM tunable whose words are the {@link Word}s of {@code def}'s enum, in declaration
     * order: adding a constant to the enum adds a value to the tunable, with nothing else to list.
     */
    public static <E extends Enum<E> & Word> Tunable choice(String name, E def, String description) {
        List<String> words = Arrays.stream(def.getDeclaringClass().getEnumConstants()).map(Word::word).toList();
        return choice(name, def.word(), words, description);
    }

    /** A LIST tunable over {@code choices}. */
    public static Tunable list(String name, String def, List<String> choices, String description) {
        return declare(new Tunable(name, Type.LIST, def, 0, 0, 1, choices, description));
    }

    /** A BOOLEAN tunable. */
    public static Tunable flag(String name, String def, String description) {
        return declare(new Tunable(name, Type.BOOLEAN, def, 0, 1, 1, List.of(), description));
    }

    /**
     * Parses {@code text} and checks it against this tunable's range. Returns a {@link Long}
     * (SIZE in bytes, INT, SECONDS in nanoseconds), the word (ENUM), a {@link Boolean} (BOOLEAN) or the chosen words in
     * {@code choices} order as a {@code List<String>} (LIST).
     *
     * @throws TunableException whose message starts with the tunable's name and says what is
     *         wrong with the value. No requirements.
     */
    public Object parse(String text) {
        return switch (type) {
            case SIZE -> parseSize(text);
            case INT -> parseInt(text);
            case ENUM -> parseChoice(text);
            case BOOLEAN -> parseFlag(text);
            case LIST -> parseList(text);
            case SECONDS -> parseSeconds(text);
        };
    }

    /** The allowed values in the README's notation: 16M..1T, 1..64, a|b|c, 0|1, {a,b,c}, 0|0.000001..3600. */
    public String range() {
        return switch (type) {
            case SIZE -> PhysmemSize.format(min) + ".." + PhysmemSize.format(max);
            case INT -> min + ".." + max;
            case ENUM -> String.join("|", choices);
            case BOOLEAN -> "0|1";
            case LIST -> "{" + String.join(",", choices) + "}";
            case SECONDS -> "0|" + seconds(min) + ".." + seconds(max);
        };
    }

    /** {@code ns} as plain decimal seconds, without trailing zeros: 50000000 -> 0.05. */
    public static String seconds(long ns) {
        return java.math.BigDecimal.valueOf(ns, 9).stripTrailingZeros().toPlainString();
    }

    private static final java.util.regex.Pattern SECONDS_TEXT = java.util.regex.Pattern.compile("[0-9]{1,9}(\\.[0-9]{1,9})?");

    private Long parseSeconds(String text) {
        // No sign, exponent or spaces: a value is written as it will be read back (reproduce lines).
        if (!SECONDS_TEXT.matcher(text).matches()) {
            throw new TunableException(name + ": malformed number of seconds '" + text + "' (e.g. 0.05)");
        }
        long ns = new java.math.BigDecimal(text).movePointRight(9).longValueExact();
        if (ns != 0 && (ns < min || ns > max || ns % 1000 != 0)) {
            throw new TunableException(name + ": " + text + " is not 0 or a whole number of microseconds in " + range());
        }
        return ns;
    }

    private Long parseSize(String text) {
        long bytes;
        try {
            // PhysmemSize trims; a setting's text is exact, as for every other type.
            if (!text.equals(text.strip())) throw new IllegalArgumentException("malformed size '" + text + "'");
            bytes = PhysmemSize.parse(text);
        } catch (IllegalArgumentException e) {
            throw new TunableException(name + ": " + e.getMessage());
        }
        if (bytes < min || bytes > max) {
            throw new TunableException(name + ": " + text + " is out of range " + range());
        }
        if (bytes % align != 0) {
            throw new TunableException(name + ": " + text + " is not a multiple of " + PhysmemSize.format(align));
        }
        return bytes;
    }

    private Long parseInt(String text) {
        // A sign only where the range has negative values (times=-1: no limit).
        String digits = min < 0 && text.startsWith("-") ? text.substring(1) : text;
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new TunableException(name + ": malformed integer '" + text + "'");
        }
        long v;
        try {
            v = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new TunableException(name + ": " + text + " is out of range " + range());
        }
        if (v < min || v > max) {
            throw new TunableException(name + ": " + text + " is out of range " + range());
        }
        return v;
    }

    private String parseChoice(String text) {
        if (!choices.contains(text)) {
            throw new TunableException(name + ": '" + text + "' is not one of " + range());
        }
        return text;
    }

    private List<String> parseList(String text) {
        List<String> chosen = new ArrayList<>();
        for (String w : text.split(",", -1)) {
            // '_' may stand for a space (PV_ENTRY): a spec line splits words at spaces.
            String choice = choices.contains(w) ? w : w.replace('_', ' ');
            if (!choices.contains(choice)) {
                throw new TunableException(name + ": '" + w + "' is not one of " + range());
            }
            chosen.add(choice);
        }
        return choices.stream().filter(chosen::contains).toList();
    }

    private Boolean parseFlag(String text) {
        return switch (text) {
            case "1", "true" -> Boolean.TRUE;
            case "0", "false" -> Boolean.FALSE;
            default -> throw new TunableException(name + ": '" + text + "' is not a boolean (0, 1, false or true)");
        };
    }

    /**
     * The top-level nodes a tunable's name may start with, in the order reports list them:
     * the hardware, the kernel proper (lwkt_thread.c's own node among them), devices, debugging. A new
     * top-level node is added here.
     */
    public static final List<List<String>> NODES = List.of(
            List.of("hw", "machine"), List.of("kern", "vm", "lwkt"), List.of("disk"), List.of("debug"));

    /** The index in {@link #NODES} of {@code name}'s top-level node. */
    private static int node(String name) {
        String top = name.substring(0, Math.max(0, name.indexOf('.')));
        for (int i = 0; i < NODES.size(); i++) {
            if (NODES.get(i).contains(top)) return i;
        }
        throw new IllegalArgumentException("tunable " + name + ": top-level node '" + top + "' is not one of " + NODES);
    }

    /**
     * The registry of {@code lists} (each a subsystem's declarations, in declaration order):
     * ordered by top-level node as {@link #NODES} says, and within a node in the order given,
     * as {@code sysctl -a} lists a tree by node. Unmodifiable, keyed by name.
     *
     * @throws IllegalArgumentException on a name declared twice. No requirements.
     */
    @SafeVarargs
    public static Map<String, Tunable> registry(List<Tunable>... lists) {
        List<Tunable> all = new ArrayList<>();
        for (List<Tunable> l : lists) all.addAll(l);
        // A stable sort keeps each node's tunables in the order given.
        all.sort((a, b) -> Integer.compare(node(a.name()), node(b.name())));
        Map<String, Tunable> map = new LinkedHashMap<>();
        for (Tunable t : all) {
            declare(t);
            if (map.putIfAbsent(t.name(), t) != null) {
                throw new IllegalArgumentException("tunable " + t.name() + " is declared twice");
            }
        }
        return Collections.unmodifiableMap(map);
    }
}
