package org.dfemu.tools.sweep;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dfemu.tools.image.BootSettings;

/**
 * One combination of the swept settings: an ordered map name -> value, in the order the names
 * were first given with {@code -e}. Its label is what {@code dfemu boot -e} takes
 * ({@code name=v:name2=v2}); empty when nothing is swept.
 */
public record Variant(Map<String, String> settings) {
    public Variant {
        settings = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    }

    /** {@code name=v:name2=v2}, exactly as {@code dfemu boot -e} reads it; "" for no settings. */
    public String label() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : settings.entrySet()) {
            if (!sb.isEmpty()) sb.append(':');
            sb.append(e.getKey()).append('=').append(e.getValue());
        }
        return sb.toString();
    }

    /** This variant with {@code name=value} added at the end (or replacing its value). */
    public Variant with(String name, String value) {
        Map<String, String> m = new LinkedHashMap<>(settings);
        m.put(name, value);
        return new Variant(m);
    }

    /** One swept setting and its values, in the order given. */
    public record Axis(String name, List<String> values) {
        public Axis {
            values = List.copyOf(values);
        }
    }

    /**
     * Parses the {@code -e} arguments ({@code name=v1,v2}, several per argument separated by
     * ':', as boot's {@code -e}) into axes, checking every value against the boot settings
     * registry. Throws {@link IllegalArgumentException} with a one-line message.
     */
    public static List<Axis> parseAxes(List<String> arguments) {
        Map<String, List<String>> axes = new LinkedHashMap<>();
        for (String group : arguments) {
            for (String assignment : group.split(":")) {
                if (assignment.isEmpty()) continue;
                int eq = assignment.indexOf('=');
                if (eq <= 0) throw new IllegalArgumentException("-e " + group + ": '" + assignment + "' is not NAME=VALUE[,VALUE...]");
                String name = assignment.substring(0, eq);
                BootSettings.require(name);
                if (axes.containsKey(name)) throw new IllegalArgumentException("-e: " + name + " is given twice (list its values once: " + name + "=v1,v2)");
                List<String> values = new ArrayList<>();
                for (String v : assignment.substring(eq + 1).split(",", -1)) {
                    BootSettings.check(name, v);
                    if (values.contains(v)) throw new IllegalArgumentException("-e: " + name + "=" + v + " is given twice");
                    values.add(v);
                }
                axes.put(name, values);
            }
        }
        List<Axis> out = new ArrayList<>();
        axes.forEach((n, v) -> out.add(new Axis(n, v)));
        return out;
    }

    /**
     * The cartesian product of {@code axes}, the first axis varying slowest; one empty variant
     * when there are no axes.
     */
    public static List<Variant> product(List<Axis> axes) {
        List<Map<String, String>> acc = new ArrayList<>();
        acc.add(new LinkedHashMap<>());
        for (Axis axis : axes) {
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> partial : acc) {
                for (String v : axis.values()) {
                    Map<String, String> m = new LinkedHashMap<>(partial);
                    m.put(axis.name(), v);
                    next.add(m);
                }
            }
            acc = next;
        }
        List<Variant> variants = new ArrayList<>();
        for (Map<String, String> m : acc) variants.add(new Variant(m));
        return variants;
    }
}
