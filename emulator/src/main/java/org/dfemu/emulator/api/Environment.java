package org.dfemu.emulator.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The boot environment: the {@code name=value} strings a loader hands the machine and the kernel
 * (DragonFly's loader.conf, which becomes the kernel's static environment, kern_environment.c),
 * from which each subsystem fetches its own {@link Tunable}s when it starts, as DragonFly's
 * {@code TUNABLE_INT_FETCH} does. A name that is not set fetches the tunable's default; a name
 * nobody fetches is ignored, as in DragonFly (the tools refuse unknown names before boot).
 * Immutable; insertion-ordered.
 */
public final class Environment {
    /** Nothing set: every tunable fetches its default. */
    public static final Environment EMPTY = new Environment(Map.of());

    private final Map<String, String> vars;

    private Environment(Map<String, String> vars) {
        this.vars = vars;
    }

    /** The environment of {@code vars} (copied, in the map's order). */
    public static Environment of(Map<String, String> vars) {
        return new Environment(Collections.unmodifiableMap(new LinkedHashMap<>(vars)));
    }

    /**
     * The environment of {@code assignments}, each {@code name=value} (a later one for the same
     * name wins). IllegalArgumentException for an assignment without '=' after a name.
     */
    public static Environment of(String... assignments) {
        Environment env = EMPTY;
        for (String a : assignments) {
            int eq = a.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("'" + a + "' is not NAME=VALUE");
            env = env.setenv(a.substring(0, eq), a.substring(eq + 1));
        }
        return env;
    }

    /** This environment with {@code name} set to {@code value} (replacing an earlier value). */
    public Environment setenv(String name, String value) {
        Map<String, String> copy = new LinkedHashMap<>(vars);
        copy.put(name, value);
        return new Environment(Collections.unmodifiableMap(copy));
    }

    /** {@code kgetenv}: the text of {@code name}, if set. */
    public Optional<String> getenv(String name) {
        return Optional.ofNullable(vars.get(name));
    }

    /** Every variable, in the order set. */
    public Map<String, String> vars() {
        return vars;
    }

    /**
     * The value of {@code t}: its text here, or its default if unset, parsed as {@link Tunable#parse}
     * does. @throws TunableException if the text set is not valid for {@code t}.
     */
    public Object fetch(Tunable t) {
        return t.parse(vars.getOrDefault(t.name(), t.defaultValue()));
    }

    /** A SIZE or INT tunable's value. */
    public long fetchLong(Tunable t) {
        expect(t, Tunable.Type.SIZE, Tunable.Type.INT);
        return (Long) fetch(t);
    }

    /** An INT tunable whose range fits an int. */
    public int fetchInt(Tunable t) {
        expect(t, Tunable.Type.INT);
        if (t.min() < Integer.MIN_VALUE || t.max() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(t.name() + ": range " + t.range() + " does not fit an int");
        }
        return (int) (long) (Long) fetch(t);
    }

    /** A SECONDS tunable's value in virtual nanoseconds (0: off). */
    public long fetchNanos(Tunable t) {
        expect(t, Tunable.Type.SECONDS);
        return (Long) fetch(t);
    }

    /** A BOOLEAN tunable's value. */
    public boolean fetchFlag(Tunable t) {
        expect(t, Tunable.Type.BOOLEAN);
        return (Boolean) fetch(t);
    }

    /** An ENUM tunable's word. */
    public String fetchWord(Tunable t) {
        expect(t, Tunable.Type.ENUM);
        return (String) fetch(t);
    }

    /** An ENUM tunable declared from {@code type} ({@link Tunable#choice(String, Enum, String)}): the constant chosen. */
    public <E extends Enum<E> & Tunable.Word> E fetchChoice(Tunable t, Class<E> type) {
        String word = fetchWord(t);
        for (E e : type.getEnumConstants()) {
            if (e.word().equals(word)) return e;
        }
        throw new IllegalArgumentException(t.name() + ": '" + word + "' is not a " + type.getSimpleName());
    }

    /** A LIST tunable's chosen words, in the declaration's order. */
    @SuppressWarnings("unchecked")
    public List<String> fetchList(Tunable t) {
        expect(t, Tunable.Type.LIST);
        return (List<String>) fetch(t);
    }

    private static void expect(Tunable t, Tunable.Type... types) {
        for (Tunable.Type type : types) {
            if (t.type() == type) return;
        }
        throw new IllegalArgumentException(t.name() + " is " + t.type() + ", not " + List.of(types));
    }

    @Override
    public String toString() {
        return vars.toString();
    }
}
