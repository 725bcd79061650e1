package org.dfemu.tools.image;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dfemu.emulator.api.Environment;
import org.dfemu.emulator.api.Tunable;
import org.dfemu.emulator.api.TunableException;

/**
 * The settings one boot runs with: every setting in {@link BootSettings}, each resolved by the
 * merge rule <em>registry default &lt; image boot partition &lt; command line</em> ({@code -m} and
 * {@code -e}), with its parsed value and where it came from. A command may put its own default
 * between the registry's and the image's ({@link #withToolDefault}: sweep's check interval).
 * Immutable. The machine and the kernel fetch their tunables from {@link #environment()}.
 */
public final class MachineSettings {
    /** Where a resolved value came from, lowest precedence first. */
    public enum Source { DEFAULT, TOOL, IMAGE, COMMAND_LINE }

    /** One resolved setting: its text as written, the parsed value and its source. */
    public record Value(Tunable setting, String text, Object parsed, Source source) {}

    private final Map<String, Value> values;

    private MachineSettings(Map<String, Value> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    /**
     * Resolves every known setting. {@code image} is the boot partition's map (as
     * {@link DiskImage#bootSettings()} returns it), {@code commandLine} the overrides in the order
     * given ({@code -m SIZE} is {@code hw.physmem=SIZE}); a later entry for the same name has
     * already replaced an earlier one in a map, so the last one given wins.
     *
     * @throws TunableException naming the setting if a name is unknown or a value is invalid;
     *         the caller prefixes where it came from. No requirements.
     */
    public static MachineSettings resolve(Map<String, String> image, Map<String, String> commandLine) {
        Map<String, Value> values = new LinkedHashMap<>();
        for (Tunable s : BootSettings.all()) {
            values.put(s.name(), new Value(s, s.defaultValue(), s.parse(s.defaultValue()), Source.DEFAULT));
        }
        layer(values, image, Source.IMAGE);
        layer(values, commandLine, Source.COMMAND_LINE);
        return new MachineSettings(values);
    }

    private static void layer(Map<String, Value> values, Map<String, String> overrides, Source source) {
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            Tunable s = BootSettings.require(e.getKey());
            values.put(s.name(), new Value(s, e.getValue(), s.parse(e.getValue()), source));
        }
    }

    /**
     * Splits one {@code -e NAME=VALUE} argument and checks it against the registry; returns the
     * (name, value) pair to put into the command-line map.
     *
     * @throws TunableException with a one-line message: the argument is not NAME=VALUE, the name
     *         is unknown or the value is invalid. No requirements.
     */
    public static Map.Entry<String, String> parseAssignment(String argument) {
        int eq = argument.indexOf('=');
        if (eq <= 0) {
            throw new TunableException("'" + argument + "' is not NAME=VALUE");
        }
        String name = argument.substring(0, eq);
        String value = argument.substring(eq + 1);
        BootSettings.check(name, value);
        return Map.entry(name, value);
    }

    /**
     * These settings with {@code name} set to {@code text} (source TOOL) if neither the image nor
     * the command line set it; unchanged otherwise.
     *
     * @throws TunableException if {@code text} is not a valid value of {@code name}
     */
    public MachineSettings withToolDefault(String name, String text) {
        if (value(name).source() != Source.DEFAULT) return this;
        Tunable s = BootSettings.require(name);
        Map<String, Value> copy = new LinkedHashMap<>(values);
        copy.put(name, new Value(s, text, s.parse(text), Source.TOOL));
        return new MachineSettings(copy);
    }

    /**
     * The boot environment: every setting's resolved text, in registry order, as the loader
     * hands it to the machine and the kernel (each fetches its own tunables from it).
     */
    public Environment environment() {
        Map<String, String> vars = new LinkedHashMap<>();
        for (Value v : values.values()) vars.put(v.setting().name(), v.text());
        return Environment.of(vars);
    }

    /** Every setting, in registry order. */
    public List<Value> values() {
        return new ArrayList<>(values.values());
    }

    /** The resolved entry of a known setting. @throws IllegalArgumentException if unknown. */
    public Value value(String name) {
        Value v = values.get(name);
        if (v == null) throw new IllegalArgumentException("MachineSettings: no setting " + name);
        return v;
    }

    /** A SIZE setting in bytes. @throws IllegalArgumentException if unknown or not a SIZE. */
    public long size(String name) {
        return (Long) typed(name, Tunable.Type.SIZE);
    }

    /** An INT setting. @throws IllegalArgumentException if unknown or not an INT. */
    public long integer(String name) {
        return (Long) typed(name, Tunable.Type.INT);
    }

    /** A SECONDS setting in virtual nanoseconds (0: off). @throws IllegalArgumentException if unknown or not SECONDS. */
    public long nanos(String name) {
        return (Long) typed(name, Tunable.Type.SECONDS);
    }

    /** An ENUM setting's word. @throws IllegalArgumentException if unknown or not an ENUM. */
    public String choice(String name) {
        return (String) typed(name, Tunable.Type.ENUM);
    }

    /** A BOOLEAN setting. @throws IllegalArgumentException if unknown or not a BOOLEAN. */
    public boolean flag(String name) {
        return (Boolean) typed(name, Tunable.Type.BOOLEAN);
    }

    /** A LIST setting's words, in the registry's order. @throws IllegalArgumentException if unknown or not a LIST. */
    @SuppressWarnings("unchecked")
    public List<String> list(String name) {
        return (List<String>) typed(name, Tunable.Type.LIST);
    }

    /** Where a setting's value came from. @throws IllegalArgumentException if unknown. */
    public Source source(String name) {
        return value(name).source();
    }

    private Object typed(String name, Tunable.Type type) {
        Value v = value(name);
        if (v.setting().type() != type) {
            throw new IllegalArgumentException("MachineSettings: " + name + " is " + v.setting().type() + ", not " + type);
        }
        return v.parsed();
    }
}
