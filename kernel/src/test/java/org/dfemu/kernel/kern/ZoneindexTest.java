package org.dfemu.kernel.kern;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.dfemu.kernel.KernelPanic;
import org.junit.jupiter.api.Test;

/**
 * kmalloc's size classes (zoneindex()), against the table at the head of kern_slaballoc.c:
 * 8-byte steps below 128 (zones 0-15), then 16, 32, 64, 128, 256, 512 and 1024-byte steps, eight
 * zones each, up to 16 KiB (zone 71, NZONES 72).
 */
class ZoneindexTest {
    @ParameterizedTest(name = "{0} bytes -> zone {1}, chunk {2}, align {3}")
    @CsvSource({
            "0, -1, 0, 8",          // only reached through kmalloc(0), which returns before zoneindex
            "1, 0, 8, 8",
            "8, 0, 8, 8",
            "9, 1, 16, 8",
            "120, 14, 120, 8",
            "127, 15, 128, 8",
            "128, 15, 128, 16",     // the 16-byte range starts at zone 16 only for 129..144
            "129, 16, 144, 16",
            "255, 23, 256, 16",
            "256, 23, 256, 32",
            "257, 24, 288, 32",
            "511, 31, 512, 32",
            "512, 31, 512, 64",
            "513, 32, 576, 64",
            "1023, 39, 1024, 64",
            "1024, 39, 1024, 128",
            "1025, 40, 1152, 128",
            "2047, 47, 2048, 128",
            "2048, 47, 2048, 256",
            "4095, 55, 4096, 256",
            "4096, 55, 4096, 512",
            "4097, 56, 4608, 512",
            "8191, 63, 8192, 512",
            "8192, 63, 8192, 1024",
            "8193, 64, 9216, 1024",
            "16383, 71, 16384, 1024",
    })
    void sizeClasses(long size, int zone, long chunk, long align) {
        long packed = KernSlaballoc.zoneindex(size);
        assertEquals(zone, KernSlaballoc.zoneIndexOf(packed), "zone index");
        assertEquals(chunk, KernSlaballoc.zoneChunkOf(packed), "chunk size");
        assertEquals(align, KernSlaballoc.zoneAlignOf(packed), "chunk step");
    }

    @Test
    void sixteenKibIsNotAZoneSize() {
        KernelPanic p = assertThrows(KernelPanic.class, () -> KernSlaballoc.zoneindex(16384));
        assertEquals("Unexpected byte count 16384", p.panicString());
    }

    @ParameterizedTest(name = "powerof2_size({0}) = {1}")
    @CsvSource({"0, 0", "1, 1", "3, 4", "64, 64", "65, 128", "1000, 1024", "4097, 8192"})
    void powerOf2Rounding(long size, long expected) {
        assertEquals(expected, KernSlaballoc.powerof2Size(size));
    }
}
