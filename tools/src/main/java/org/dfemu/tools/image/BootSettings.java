package org.dfemu.tools.image;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.emulator.memory.PhysmemSize;

/**
 * The registry of boot settings a machine understands: name, type, default, allowed range and a
 * one-line description. A setting not listed here is refused wherever it appears (spec, boot
 * partition, command line), so a typo never silently boots the default.
 *
 * <p>To add a setting: add a name constant, add one {@code size/integer/choice/flag(...)} line to
 * {@link #REGISTRY} (its position is the order reports list it in), read it where it is used
 * through {@link MachineSettings}, and add a row to the table in disk-images/README.md. The
 * registry checks its own defaults when the class loads.
 */
public final class BootSettings {
    private BootSettings() {}

    public static final String HW_PHYSMEM = "hw.physmem";
    public static final String HW_NCPU = "hw.ncpu";
    public static final String KERN_HZ = "kern.hz";
    public static final String KERN_INVARIANTS = "kern.invariants";
    public static final String VM_SWAPMETA_ALLOC = "vm.swapmeta_alloc";
    public static final String KERN_KMALLOC_OBJ_RESERVE_SLABS = "kern.kmalloc_obj_reserve_slabs";
    public static final String DISK_LATENCY_SETUP_NS = "disk.latency_setup_ns";
    public static final String DISK_LATENCY_NS_PER_BYTE = "disk.latency_ns_per_byte";
    public static final String DEBUG_STALL_TIMEOUT = "debug.stall_timeout";
    public static final String DEBUG_TLB_CHECK = "debug.tlb_check";
    public static final String FAIL_PAGE_ALLOC = "debug.fail_page_alloc";
    public static final String FAILSLAB = "debug.failslab";
    public static final String FAIL_ZALLOC = "debug.fail_zalloc";
    /** Suffixes of the fault-injection settings of each of the three targets above. */
    public static final String PROBABILITY = ".probability";
    public static final String INTERVAL = ".interval";
    public static final String TIMES = ".times";
    public static final String FAIL_PAGE_ALLOC_CLASSES = FAIL_PAGE_ALLOC + ".classes";
    public static final String FAILSLAB_IGNORE_WAITOK = FAILSLAB + ".ignore_waitok";
    public static final String FAIL_ZALLOC_ZONES = FAIL_ZALLOC + ".zones";

    /** How a setting's text is read. */
    public enum Type {
        /** A byte count: decimal with an optional k/m/g/t suffix (binary multiples), e.g. 64M. */
        SIZE,
        /** A decimal integer without sign or suffix. */
        INT,
        /** One word out of a fixed list. */
        ENUM,
        /** {@code 0}, {@code 1}, {@code false} or {@code true}. */
        BOOLEAN,
        /** A comma-separated, non-empty set of words out of a fixed list (order and repeats ignored). */
        LIST
    }

    /**
     * One known setting.
     *
     * @param min     smallest value (SIZE, INT); unused otherwise
     * @param max     largest value (SIZE, INT); unused otherwise
     * @param align   a SIZE must be a multiple of this (1 for any); unused otherwise
     * @param choices the allowed words (ENUM); empty otherwise
     */
    public record Setting(String name, Type type, String defaultValue, long min, long max, long align,
                          List<String> choices, String description) {
        public Setting {
            choices = List.copyOf(choices);
        }

        /**
         * Parses {@code text} and checks it against this setting's range. Returns a {@link Long}
         * (SIZE in bytes, INT), the word (ENUM), a {@link Boolean} (BOOLEAN) or the chosen words
         * in {@code choices} order as a {@code List<String>} (LIST).
         *
         * @throws SettingException whose message starts with the setting's name and says what is
         *         wrong with the value. No requirements.
         */
        public Object parse(String text) {
            return switch (type) {
                case SIZE -> parseSize(text);
                case INT -> parseInt(text);
                case ENUM -> parseChoice(text);
                case BOOLEAN -> parseFlag(text);
                case LIST -> parseList(text);
            };
        }

        /** The allowed values in the README's notation: 16M..1T, 1..64, a|b|c, 0|1, {a,b,c}. */
        public String range() {
            return switch (type) {
                case SIZE -> PhysmemSize.format(min) + ".." + PhysmemSize.format(max);
                case INT -> min + ".." + max;
                case ENUM -> String.join("|", choices);
                case BOOLEAN -> "0|1";
                case LIST -> "{" + String.join(",", choices) + "}";
            };
        }

        private Long parseSize(String text) {
            long bytes;
            try {
                // PhysmemSize trims; a setting's text is exact, as for every other type.
                if (!text.equals(text.strip())) throw new IllegalArgumentException("malformed size '" + text + "'");
                bytes = PhysmemSize.parse(text);
            } catch (IllegalArgumentException e) {
                throw new SettingException(name + ": " + e.getMessage());
            }
            if (bytes < min || bytes > max) {
                throw new SettingException(name + ": " + text + " is out of range " + range());
            }
            if (bytes % align != 0) {
                throw new SettingException(name + ": " + text + " is not a multiple of " + PhysmemSize.format(align));
            }
            return bytes;
        }

        private Long parseInt(String text) {
            // A sign only where the range has negative values (times=-1: no limit).
            String digits = min < 0 && text.startsWith("-") ? text.substring(1) : text;
            if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new SettingException(name + ": malformed integer '" + text + "'");
            }
            long v;
            try {
                v = Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new SettingException(name + ": " + text + " is out of range " + range());
            }
            if (v < min || v > max) {
                throw new SettingException(name + ": " + text + " is out of range " + range());
            }
            return v;
        }

        private String parseChoice(String text) {
            if (!choices.contains(text)) {
                throw new SettingException(name + ": '" + text + "' is not one of " + range());
            }
            return text;
        }

        private List<String> parseList(String text) {
            List<String> chosen = new java.util.ArrayList<>();
            for (String w : text.split(",", -1)) {
                // '_' may stand for a space (PV_ENTRY): a spec line splits words at spaces.
                String choice = choices.contains(w) ? w : w.replace('_', ' ');
                if (!choices.contains(choice)) {
                    throw new SettingException(name + ": '" + w + "' is not one of " + range());
                }
                chosen.add(choice);
            }
            return choices.stream().filter(chosen::contains).toList();
        }

        private Boolean parseFlag(String text) {
            return switch (text) {
                case "1", "true" -> Boolean.TRUE;
                case "0", "false" -> Boolean.FALSE;
                default -> throw new SettingException(name + ": '" + text + "' is not a boolean (0, 1, false or true)");
            };
        }
    }

    /** Largest hw.physmem an image may ask for; the host's own limit is checked at boot. */
    private static final long PHYSMEM_MAX = 1L << 40;

    private static final Map<String, Setting> REGISTRY = register(
            size(HW_PHYSMEM, "64M", PhysicalMemory.MIN_SIZE, PHYSMEM_MAX, PhysicalMemory.PAGE_SIZE,
                    "RAM size; a multiple of 4K (the host's limit is checked when the machine is built)"),
            integer(HW_NCPU, "1", 1, 64, "number of CPUs"),
            integer(KERN_HZ, "100", 10, 10_000, "clock interrupts per second of virtual time"),
            flag(KERN_INVARIANTS, "1",
                    "INVARIANTS-only checks: zone free markers, free-memory poison, kmalloc double-free bitmap"),
            choice(VM_SWAPMETA_ALLOC, "zalloc", List.of("zalloc", "kmalloc_obj", "kmalloc_obj_reserve"),
                    "allocator behind SWAPMETA (swblock) structures: the variant under test"),
            integer(KERN_KMALLOC_OBJ_RESERVE_SLABS, "3", 0, 64,
                    "empty slabs kmalloc_obj_reserve keeps ready per zone (read by that variant only)"),
            integer(DISK_LATENCY_SETUP_NS, "100000", 0, 1_000_000_000L,
                    "block device: virtual ns from a request's start to its first byte"),
            integer(DISK_LATENCY_NS_PER_BYTE, "2", 0, 1_000,
                    "block device: virtual ns per byte transferred"),
            integer(DEBUG_STALL_TIMEOUT, "30", 0, 86_400,
                    "virtual seconds a thread may wait for memory with no page freed, fault completed or swap I/O"
                            + " finished before the run stops as a deadlock (livelock); 0: never"),
            flag(DEBUG_TLB_CHECK, "0",
                    "compare every TLB hit (kernel and user accesses) with a fresh page walk and panic on a stale"
                            + " translation, a missing invalidation; slow"),
            integer(FAIL_PAGE_ALLOC + PROBABILITY, "0", 0, 100, "fault injection: percent of vm_page_alloc calls that fail"),
            integer(FAIL_PAGE_ALLOC + INTERVAL, "1", 1, 1_000_000_000L, "fault injection: only every Nth eligible vm_page_alloc may fail"),
            integer(FAIL_PAGE_ALLOC + TIMES, "-1", -1, 1_000_000_000L, "fault injection: at most this many vm_page_alloc failures (-1: no limit)"),
            list(FAIL_PAGE_ALLOC_CLASSES, "normal,system,interrupt", List.of("normal", "system", "interrupt"),
                    "fault injection: the vm_page_alloc classes that may fail (after the TDF_SYSTHREAD promotion)"),
            integer(FAILSLAB + PROBABILITY, "0", 0, 100, "fault injection: percent of kmem_slab_alloc calls that fail"),
            integer(FAILSLAB + INTERVAL, "1", 1, 1_000_000_000L, "fault injection: only every Nth eligible kmem_slab_alloc may fail"),
            integer(FAILSLAB + TIMES, "-1", -1, 1_000_000_000L, "fault injection: at most this many kmem_slab_alloc failures (-1: no limit)"),
            flag(FAILSLAB_IGNORE_WAITOK, "1", "fault injection: M_WAITOK kmem_slab_alloc calls never fail (Linux's ignore-gfp-wait)"),
            integer(FAIL_ZALLOC + PROBABILITY, "0", 0, 100, "fault injection: percent of zalloc calls that fail"),
            integer(FAIL_ZALLOC + INTERVAL, "1", 1, 1_000_000_000L, "fault injection: only every Nth eligible zalloc may fail"),
            integer(FAIL_ZALLOC + TIMES, "-1", -1, 1_000_000_000L, "fault injection: at most this many zalloc failures (-1: no limit)"),
            list(FAIL_ZALLOC_ZONES, "SWAPMETA,PV ENTRY,MAP ENTRY", List.of("SWAPMETA", "PV ENTRY", "MAP ENTRY"),
                    "fault injection: the zalloc zones whose allocations may fail"));

    /** Every known setting, in registry order. No requirements. */
    public static List<Setting> all() {
        return List.copyOf(REGISTRY.values());
    }

    /** The setting called {@code name}, or empty if there is none. No requirements. */
    public static Optional<Setting> find(String name) {
        return Optional.ofNullable(REGISTRY.get(name));
    }

    /**
     * The setting called {@code name}.
     *
     * @throws SettingException "unknown setting 'NAME'" if the registry has no such setting.
     */
    public static Setting require(String name) {
        Setting s = REGISTRY.get(name);
        if (s == null) throw new SettingException("unknown setting '" + name + "'");
        return s;
    }

    /**
     * Checks that {@code name} is known and {@code value} is valid for it; returns the parsed
     * value as {@link Setting#parse} does.
     *
     * @throws SettingException with a one-line message naming the setting and the problem.
     */
    public static Object check(String name, String value) {
        return require(name).parse(value);
    }

    private static Setting size(String name, String def, long min, long max, long align, String description) {
        return new Setting(name, Type.SIZE, def, min, max, align, List.of(), description);
    }

    private static Setting integer(String name, String def, long min, long max, String description) {
        return new Setting(name, Type.INT, def, min, max, 1, List.of(), description);
    }

    private static Setting choice(String name, String def, List<String> choices, String description) {
        return new Setting(name, Type.ENUM, def, 0, 0, 1, choices, description);
    }

    private static Setting list(String name, String def, List<String> choices, String description) {
        return new Setting(name, Type.LIST, def, 0, 0, 1, choices, description);
    }

    private static Setting flag(String name, String def, String description) {
        return new Setting(name, Type.BOOLEAN, def, 0, 1, 1, List.of(), description);
    }

    /** Builds the registry, failing class initialisation on a duplicate name or a bad default. */
    private static Map<String, Setting> register(Setting... settings) {
        Map<String, Setting> map = new LinkedHashMap<>();
        for (Setting s : settings) {
            if (map.putIfAbsent(s.name(), s) != null) {
                throw new ExceptionInInitializerError("BootSettings: duplicate setting " + s.name());
            }
            if (!s.name().equals(s.name().toLowerCase(Locale.ROOT))) {
                throw new ExceptionInInitializerError("BootSettings: setting names are lower case: " + s.name());
            }
            s.parse(s.defaultValue());
        }
        return Collections.unmodifiableMap(map);
    }
}
