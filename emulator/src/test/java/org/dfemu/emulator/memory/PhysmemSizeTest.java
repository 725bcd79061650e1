package org.dfemu.emulator.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PhysmemSizeTest {
    @ParameterizedTest
    @CsvSource({"64M,67108864", "1g,1073741824", "16777216,16777216", "512k,524288", "1T,1099511627776", " 2G ,2147483648"})
    void parsesLoaderConfSizes(String text, long bytes) {
        assertEquals(bytes, PhysmemSize.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "M", "-1M", "1.5G", "64MB", "0x1000", "99999999999999999999", "9999999999999T"})
    void rejectsMalformedSizes(String text) {
        assertThrows(IllegalArgumentException.class, () -> PhysmemSize.parse(text));
    }

    @ParameterizedTest
    @CsvSource({"67108864,64M", "1073741824,1G", "1536,1536", "1572864,1536K", "0,0"})
    void formatsWithTheLargestExactSuffix(long bytes, String text) {
        assertEquals(text, PhysmemSize.format(bytes));
    }
}
