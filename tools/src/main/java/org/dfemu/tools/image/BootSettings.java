package org.dfemu.tools.image;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.dfemu.emulator.MachineTunables;
import org.dfemu.emulator.api.Tunable;
import org.dfemu.emulator.api.TunableException;
import org.dfemu.kernel.KernelTunables;

/**
 * The registry of boot settings a machine understands: the machine's tunables and the kernel's,
 * each declared once beside the code that reads it ({@link Tunable}: name, type, default, range,
 * one-line description). A setting not listed here is refused wherever it appears (spec, boot
 * partition, command line), so a typo never silently boots the default.
 *
 * <p>Nothing is declared here: a new setting is a {@link Tunable} in the emulator or kernel class
 * that reads it (see {@link MachineTunables}, {@link KernelTunables}). Reports list the settings
 * in {@link Tunable#registry}'s order: by top-level node, then as declared.
 */
public final class BootSettings {
    private BootSettings() {}

    private static final Map<String, Tunable> REGISTRY = Tunable.registry(MachineTunables.ALL, KernelTunables.ALL);

    /** Every known setting, in registry order. No requirements. */
    public static List<Tunable> all() {
        return List.copyOf(REGISTRY.values());
    }

    /** The setting called {@code name}, or empty if there is none. No requirements. */
    public static Optional<Tunable> find(String name) {
        return Optional.ofNullable(REGISTRY.get(name));
    }

    /**
     * The setting called {@code name}.
     *
     * @throws TunableException "unknown setting 'NAME'" if the registry has no such setting.
     */
    public static Tunable require(String name) {
        Tunable s = REGISTRY.get(name);
        if (s == null) throw new TunableException("unknown setting '" + name + "'");
        return s;
    }

    /**
     * Checks that {@code name} is known and {@code value} is valid for it; returns the parsed
     * value as {@link Tunable#parse} does.
     *
     * @throws TunableException with a one-line message naming the setting and the problem.
     */
    public static Object check(String name, String value) {
        return require(name).parse(value);
    }
}
