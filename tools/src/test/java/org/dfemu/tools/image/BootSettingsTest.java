package org.dfemu.tools.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.dfemu.emulator.api.Tunable;
import org.dfemu.emulator.api.TunableException;
import org.junit.jupiter.api.Test;

class BootSettingsTest {
    @Test
    void everyDefaultParsesAndNamesAreUnique() {
        for (Tunable s : BootSettings.all()) {
            s.parse(s.defaultValue());
            assertTrue(BootSettings.find(s.name()).isPresent());
            assertTrue(!s.description().isBlank(), s.name());
        }
        assertEquals(BootSettings.all().size(), BootSettings.all().stream().map(Tunable::name).distinct().count());
    }

    /** The order `dfemu boot --settings` and `-v` list the settings in (disk-images/README.md's table). */
    @Test
    void registryOrderIsHardwareKernelDevicesDebug() {
        assertEquals(java.util.List.of("hw.physmem", "hw.ncpu", "machine.cpu_ps_per_access", "machine.cpu_ns_per_page_zero",
                "machine.cpu_ns_per_page_copy", "machine.cpu_ns_per_trap", "machine.cpu_ns_per_switch",
                "machine.cpu_ns_per_tlb_walk", "kern.hz", "kern.invariants", "vm.dma_reserved", "vm.swapmeta_alloc",
                "kern.kmalloc_obj_reserve_slabs", "kern.kmalloc_obj_reserve_refill", "lwkt.cache_threads", "disk.latency_setup_ns", "disk.latency_ns_per_byte", "debug.stall_timeout",
                "debug.runaway_timeout", "debug.tlb_check",
                "debug.check_interval", "debug.reclaim_check",
                "debug.fail_page_alloc.probability", "debug.fail_page_alloc.interval", "debug.fail_page_alloc.times",
                "debug.fail_page_alloc.classes", "debug.failslab.probability", "debug.failslab.interval", "debug.failslab.times",
                "debug.failslab.ignore_waitok", "debug.fail_zalloc.probability", "debug.fail_zalloc.interval",
                "debug.fail_zalloc.times", "debug.fail_zalloc.zones"),
                BootSettings.all().stream().map(Tunable::name).toList());
    }

    @Test
    void theEnvironmentCarriesEveryResolvedValue() {
        MachineSettings m = MachineSettings.resolve(Map.of("vm.swapmeta_alloc", "kmalloc_obj"), Map.of("hw.ncpu", "4"));
        assertEquals(java.util.Optional.of("kmalloc_obj"), m.environment().getenv("vm.swapmeta_alloc"));
        assertEquals(java.util.Optional.of("4"), m.environment().getenv("hw.ncpu"));
        assertEquals(java.util.Optional.of("100"), m.environment().getenv("kern.hz"));
        assertEquals(BootSettings.all().size(), m.environment().vars().size());
    }

    @Test
    void valuesParseByType() {
        assertEquals(64L << 20, BootSettings.check("hw.physmem", "64M"));
        assertEquals(1L << 30, BootSettings.check("hw.physmem", "1g"));
        assertEquals(4L, BootSettings.check("hw.ncpu", "4"));
        assertEquals("kmalloc_obj_reserve", BootSettings.check("vm.swapmeta_alloc", "kmalloc_obj_reserve"));
        assertEquals(Boolean.FALSE, BootSettings.check("kern.invariants", "0"));
        assertEquals(Boolean.TRUE, BootSettings.check("kern.invariants", "true"));
    }

    @Test
    void stallTimeoutAndFaultInjectionSettings() {
        assertEquals(30_000_000_000L, MachineSettings.resolve(Map.of(), Map.of()).nanos("debug.stall_timeout"));
        assertEquals(0L, BootSettings.check("debug.stall_timeout", "0"));
        assertEquals(100_000_000L, BootSettings.check("debug.stall_timeout", "0.1"));
        assertMessage("debug.stall_timeout: 86401 is not 0 or a whole number of microseconds in 0|0.000001..86400", "debug.stall_timeout", "86401");
        assertMessage("debug.stall_timeout: malformed number of seconds '-1' (e.g. 0.05)", "debug.stall_timeout", "-1");
        assertEquals(-1L, BootSettings.check("debug.failslab.times", "-1"));
        assertMessage("debug.failslab.times: -2 is out of range -1..1000000000", "debug.failslab.times", "-2");
        assertMessage("debug.fail_zalloc.probability: 101 is out of range 0..100", "debug.fail_zalloc.probability", "101");
        assertMessage("debug.fail_page_alloc.interval: 0 is out of range 1..1000000000", "debug.fail_page_alloc.interval", "0");
        assertEquals(java.util.List.of("normal", "interrupt"), BootSettings.check("debug.fail_page_alloc.classes", "interrupt,normal"));
        assertEquals(java.util.List.of("SWAPMETA", "PV ENTRY"), BootSettings.check("debug.fail_zalloc.zones", "PV ENTRY,SWAPMETA"));
        assertEquals(java.util.List.of("PV ENTRY", "MAP ENTRY"), BootSettings.check("debug.fail_zalloc.zones", "MAP_ENTRY,PV_ENTRY"));
        assertMessage("debug.fail_zalloc.zones: 'PV' is not one of {SWAPMETA,PV ENTRY,MAP ENTRY}", "debug.fail_zalloc.zones", "PV");
        assertMessage("debug.fail_page_alloc.classes: '' is not one of {normal,system,interrupt}", "debug.fail_page_alloc.classes", "");
    }

    /** debug.check_interval (its parsing: TunableTest) is off unless set; a command's own default sits below the image and the command line. */
    @Test
    void aToolDefaultSitsBelowTheImageAndTheCommandLine() {
        assertEquals(0L, MachineSettings.resolve(Map.of(), Map.of()).nanos("debug.check_interval"));
        assertEquals(50_000_000L, BootSettings.check("debug.check_interval", "0.05"));
        MachineSettings swept = MachineSettings.resolve(Map.of(), Map.of()).withToolDefault("debug.check_interval", "0.05");
        assertEquals(MachineSettings.Source.TOOL, swept.source("debug.check_interval"));
        assertEquals(50_000_000L, swept.nanos("debug.check_interval"));
        MachineSettings given = MachineSettings.resolve(Map.of("debug.check_interval", "0"), Map.of())
                .withToolDefault("debug.check_interval", "0.05");
        assertEquals(0L, given.nanos("debug.check_interval"));
        assertEquals(MachineSettings.Source.IMAGE, given.source("debug.check_interval"));
    }

    @Test
    void unknownSettingIsNamed() {
        TunableException e = assertThrows(TunableException.class, () -> BootSettings.check("hw.ncpus", "2"));
        assertEquals("unknown setting 'hw.ncpus'", e.getMessage());
    }

    @Test
    void badValuesNameTheSettingAndTheProblem() {
        assertMessage("hw.ncpu: malformed integer 'two'", "hw.ncpu", "two");
        assertMessage("hw.ncpu: 65 is out of range 1..64", "hw.ncpu", "65");
        assertMessage("hw.ncpu: 99999999999999999999 is out of range 1..64", "hw.ncpu", "99999999999999999999");
        assertMessage("kern.hz: 5 is out of range 10..10000", "kern.hz", "5");
        assertMessage("hw.physmem: 8M is out of range 16M..1T", "hw.physmem", "8M");
        assertMessage("hw.physmem: 16385K is not a multiple of 4K", "hw.physmem", "16385K");
        assertMessage("vm.swapmeta_alloc: 'slab' is not one of zalloc|kmalloc_obj|kmalloc_obj_reserve|kmalloc_obj_nowait|kmalloc_obj_intnowait",
                "vm.swapmeta_alloc", "slab");
        assertMessage("kern.invariants: 'yes' is not a boolean (0, 1, false or true)", "kern.invariants", "yes");
        assertMessage("kern.kmalloc_obj_reserve_slabs: 65 is out of range 0..64", "kern.kmalloc_obj_reserve_slabs", "65");
        TunableException e = assertThrows(TunableException.class, () -> BootSettings.check("hw.physmem", "lots"));
        assertTrue(e.getMessage().startsWith("hw.physmem: malformed size 'lots'"), e.getMessage());
        assertMessage("hw.physmem: malformed size ' 64M'", "hw.physmem", " 64M");
    }

    @Test
    void mergeOrderIsDefaultThenImageThenCommandLine() {
        Map<String, String> image = Map.of("hw.physmem", "128M", "hw.ncpu", "2");
        Map<String, String> commandLine = Map.of("hw.ncpu", "4");
        MachineSettings m = MachineSettings.resolve(image, commandLine);

        assertEquals(128L << 20, m.size("hw.physmem"));
        assertEquals(MachineSettings.Source.IMAGE, m.source("hw.physmem"));
        assertEquals(4, m.integer("hw.ncpu"));
        assertEquals(MachineSettings.Source.COMMAND_LINE, m.source("hw.ncpu"));
        assertEquals(100, m.integer("kern.hz"));
        assertEquals(MachineSettings.Source.DEFAULT, m.source("kern.hz"));
        assertEquals("zalloc", m.choice("vm.swapmeta_alloc"));
        assertTrue(m.flag("kern.invariants"));
        assertEquals(BootSettings.all().size(), m.values().size());
    }

    @Test
    void commandLineAssignmentsAreChecked() {
        assertEquals(Map.entry("kern.hz", "1000"), MachineSettings.parseAssignment("kern.hz=1000"));
        assertEquals("'kern.hz' is not NAME=VALUE",
                assertThrows(TunableException.class, () -> MachineSettings.parseAssignment("kern.hz")).getMessage());
        assertEquals("unknown setting 'kern.hzz'",
                assertThrows(TunableException.class, () -> MachineSettings.parseAssignment("kern.hzz=1")).getMessage());
        assertEquals("kern.hz: malformed integer ''",
                assertThrows(TunableException.class, () -> MachineSettings.parseAssignment("kern.hz=")).getMessage());
        assertThrows(TunableException.class, () -> MachineSettings.resolve(Map.of(), Map.of("hw.ncpu", "0")));
    }

    @Test
    void typedAccessorRefusesTheWrongType() {
        MachineSettings m = MachineSettings.resolve(Map.of(), Map.of());
        assertThrows(IllegalArgumentException.class, () -> m.size("hw.ncpu"));
        assertThrows(IllegalArgumentException.class, () -> m.integer("no.such"));
    }

    private static void assertMessage(String expected, String name, String value) {
        assertEquals(expected, assertThrows(TunableException.class, () -> BootSettings.check(name, value)).getMessage());
    }
}
