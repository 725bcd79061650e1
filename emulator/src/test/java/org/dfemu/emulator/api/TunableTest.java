package org.dfemu.emulator.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class TunableTest {
    enum Color implements Tunable.Word {
        RED("red"), DARK_BLUE("dark_blue");

        private final String word;

        Color(String word) { this.word = word; }

        @Override
        public String word() { return word; }
    }

    private static final Tunable COLOR = Tunable.choice("kern.color", Color.RED, "a color");
    private static final Tunable COUNT = Tunable.integer("debug.count", "-1", -1, 10, "a count");
    private static final Tunable SIZE = Tunable.size("hw.size", "4K", 4096, 1L << 20, 4096, "a size");
    private static final Tunable INTERVAL = Tunable.seconds("debug.interval", "0", 1_000L, 3_600_000_000_000L, "an interval");

    @Test
    void secondsAreVirtualSecondsToTheMicrosecond() {
        assertEquals("0|0.000001..3600", INTERVAL.range());
        assertEquals(50_000_000L, INTERVAL.parse("0.05"));
        assertEquals(2_000_000_000L, INTERVAL.parse("2"));
        assertEquals(1_000L, INTERVAL.parse("0.000001"));
        assertEquals(0L, INTERVAL.parse("0.000"));
        assertEquals(3_600_000_000_000L, INTERVAL.parse("3600"));
        for (String bad : new String[] {"-1", "1e-3", "", " 1", "1.", ".5", "0.0000000001"}) {
            assertEquals("debug.interval: malformed number of seconds '" + bad + "' (e.g. 0.05)",
                    assertThrows(TunableException.class, () -> INTERVAL.parse(bad)).getMessage());
        }
        assertEquals("debug.interval: 0.0000001 is not 0 or a whole number of microseconds in 0|0.000001..3600",
                assertThrows(TunableException.class, () -> INTERVAL.parse("0.0000001")).getMessage());
        assertEquals("debug.interval: 3601 is not 0 or a whole number of microseconds in 0|0.000001..3600",
                assertThrows(TunableException.class, () -> INTERVAL.parse("3601")).getMessage());
        assertEquals(50_000_000L, Environment.of("debug.interval=0.05").fetchNanos(INTERVAL));
        assertEquals(0L, Environment.EMPTY.fetchNanos(INTERVAL));
        assertThrows(IllegalArgumentException.class, () -> Environment.EMPTY.fetchLong(INTERVAL), "the wrong type is a caller's bug");
        assertThrows(IllegalArgumentException.class, () -> Tunable.seconds("debug.x", "0", 1, 1000, "not whole microseconds"));
        assertEquals("0.05", Tunable.seconds(50_000_000L));
    }

    @Test
    void anEnumDeclaresTheChoicesOnce() {
        assertEquals(List.of("red", "dark_blue"), COLOR.choices());
        assertEquals("red|dark_blue", COLOR.range());
        assertEquals("kern.color: 'blue' is not one of red|dark_blue",
                assertThrows(TunableException.class, () -> COLOR.parse("blue")).getMessage());
    }

    @Test
    void theEnvironmentGivesTheDefaultOrTheValueSet() {
        Environment env = Environment.of("kern.color=dark_blue", "debug.count=7", "unknown.name=x");
        assertEquals(Color.DARK_BLUE, env.fetchChoice(COLOR, Color.class));
        assertEquals(Color.RED, Environment.EMPTY.fetchChoice(COLOR, Color.class));
        assertEquals(7, env.fetchInt(COUNT));
        assertEquals(-1, Environment.EMPTY.fetchInt(COUNT));
        assertEquals(4096L, env.fetchLong(SIZE));
        assertEquals("debug.count: 11 is out of range -1..10",
                assertThrows(TunableException.class, () -> Environment.of("debug.count=11").fetchInt(COUNT)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> env.fetchFlag(COUNT), "the wrong type is a caller's bug");
    }

    @Test
    void aBadDeclarationFailsWhereItIsMade() {
        assertThrows(TunableException.class, () -> Tunable.integer("kern.x", "11", 0, 10, "default out of range"));
        assertThrows(IllegalArgumentException.class, () -> Tunable.flag("Kern.x", "1", "upper case"));
        assertThrows(IllegalArgumentException.class, () -> Tunable.flag("net.x", "1", "unknown top-level node"));
    }

    @Test
    void theRegistryListsByTopLevelNodeThenInTheOrderGiven() {
        Tunable hz = Tunable.integer("kern.hz", "100", 10, 1000, "m");
        Tunable disk = Tunable.integer("disk.x", "1", 0, 9, "m");
        Tunable stall = Tunable.integer("debug.stall", "1", 0, 9, "m");
        Tunable mem = Tunable.size("hw.mem", "4K", 4096, 8192, 4096, "m");
        Tunable vm = Tunable.flag("vm.y", "0", "k");
        Tunable fail = Tunable.flag("debug.fail", "0", "k");
        List<String> names = Tunable.registry(List.of(mem, hz, disk, stall), List.of(COLOR, vm, fail)).keySet().stream().toList();
        assertEquals(List.of("hw.mem", "kern.hz", "kern.color", "vm.y", "disk.x", "debug.stall", "debug.fail"), names);
        assertThrows(IllegalArgumentException.class, () -> Tunable.registry(List.of(hz), List.of(hz)));
    }
}
