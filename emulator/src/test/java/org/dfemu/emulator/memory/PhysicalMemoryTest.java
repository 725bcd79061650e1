package org.dfemu.emulator.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RAM semantics the kernel relies on: little-endian x86 layout, atomics, page ops, machine checks. */
class PhysicalMemoryTest {
    private final PhysicalMemory ram = new PhysicalMemory(16L << 20);

    @AfterEach
    void close() { ram.close(); }

    @Test
    void freshRamIsZeroAndSized() {
        assertEquals(16L << 20, ram.size());
        assertEquals(4096, ram.pageCount());
        assertEquals(0, ram.load64(0));
        assertEquals(0, ram.load64(ram.size() - 8));
    }

    @Test
    void multiByteValuesAreLittleEndianAndMayBeUnaligned() {
        ram.store64(0x1001, 0x0807060504030201L);
        for (int i = 0; i < 8; i++) assertEquals(i + 1, ram.load8(0x1001 + i), "byte " + i);
        assertEquals(0x0201, ram.load16(0x1001));
        assertEquals(0x04030201, ram.load32(0x1001));
        ram.store16(0x2000, 0xBEEF);
        ram.store32(0x2002, 0xCAFEBABE);
        assertEquals(0xCAFEBABEBEEFL, ram.load64(0x2000) & 0xFFFFFFFFFFFFL);
        ram.store8(0x3000, 0x1FF);
        assertEquals(0xFF, ram.load8(0x3000), "store8 keeps the low byte only");
        assertEquals(0xBEEF, ram.load16(0x2000), "16-bit loads are zero-extended, not sign-extended");
    }

    @Test
    void atomicsCompareAndAdd() {
        assertTrue(ram.cas64(0x40, 0, 5));
        assertFalse(ram.cas64(0x40, 0, 6), "the word now holds 5");
        assertEquals(5, ram.fetchAdd64(0x40, 10));
        assertEquals(15, ram.load64(0x40));
        assertEquals(15, ram.swap64(0x40, 99));
        assertEquals(99, ram.loadAcquire64(0x40));
        assertTrue(ram.cas32(0x80, 0, -1));
        assertEquals(-1, ram.fetchAdd32(0x80, 1));
        assertEquals(0, ram.load32(0x80));
        ram.storeRelease64(0x88, 7);
        assertEquals(7, ram.load64(0x88));
    }

    @Test
    void misalignedAtomicIsAMachineCheck() {
        MachineCheckException e = assertThrows(MachineCheckException.class, () -> ram.cas64(0x44, 0, 1));
        assertEquals(0x44, e.physicalAddress());
        assertThrows(MachineCheckException.class, () -> ram.fetchAdd32(0x82, 1));
    }

    @ParameterizedTest
    @ValueSource(longs = {-1, 16L << 20, (16L << 20) - 7, Long.MAX_VALUE})
    void accessOutsideRamIsAMachineCheckNamingTheAddress(long pa) {
        MachineCheckException e = assertThrows(MachineCheckException.class, () -> ram.load64(pa));
        assertEquals(pa, e.physicalAddress());
        assertTrue(e.getMessage().contains(String.format("0x%x", pa)), e.getMessage());
        assertThrows(MachineCheckException.class, () -> ram.store64(pa, 1));
    }

    @Test
    void lastByteIsReachableAndOneBeyondIsNot() {
        long last = ram.size() - 1;
        ram.store8(last, 0xAB);
        assertEquals(0xAB, ram.load8(last));
        assertThrows(MachineCheckException.class, () -> ram.load8(last + 1));
        assertThrows(MachineCheckException.class, () -> ram.load16(last));
    }

    @Test
    void pageZeroAndCopy() {
        ram.fill(0x5000, 4096, (byte) 0x5A);
        ram.copyPage(0x5000, 0x7000);
        byte[] copy = new byte[4096];
        ram.read(0x7000, copy, 0, copy.length);
        byte[] expect = new byte[4096];
        Arrays.fill(expect, (byte) 0x5A);
        assertEquals(Arrays.toString(expect), Arrays.toString(copy));
        ram.zeroPage(0x7000);
        assertEquals(0, ram.load64(0x7000));
        assertEquals(0, ram.load64(0x7FF8));
        assertEquals(0x5A5A5A5A5A5A5A5AL, ram.load64(0x5000), "source untouched");
        assertThrows(MachineCheckException.class, () -> ram.zeroPage(0x5008), "unaligned page");
        assertThrows(MachineCheckException.class, () -> ram.copyPage(ram.size(), 0));
    }

    @Test
    void byteArrayTransfersAreBoundsChecked() {
        byte[] src = {1, 2, 3, 4};
        ram.write(0x9000, src, 0, 4);
        assertEquals(0x04030201, ram.load32(0x9000));
        assertThrows(MachineCheckException.class, () -> ram.write(ram.size() - 2, src, 0, 4));
        assertEquals(0, ram.load16(ram.size() - 2), "a refused write changes nothing");
    }

    @Test
    void sizesOutOfRangeAreRefusedWithAClearMessage() {
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class, () -> new PhysicalMemory(8L << 20));
        assertTrue(small.getMessage().contains("below the minimum of 16M"), small.getMessage());
        IllegalArgumentException odd = assertThrows(IllegalArgumentException.class, () -> new PhysicalMemory((16L << 20) + 100));
        assertTrue(odd.getMessage().contains("not a multiple"), odd.getMessage());
        IllegalArgumentException huge = assertThrows(IllegalArgumentException.class, () -> new PhysicalMemory(1L << 50));
        assertTrue(huge.getMessage().contains("more than this host can give"), huge.getMessage());
    }
}
