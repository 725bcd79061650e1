package org.dfemu.emulator.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;

import org.dfemu.emulator.mmu.PageFaultCode;
import org.dfemu.emulator.mmu.Pte;
import org.junit.jupiter.api.Test;

/** Loads, stores, copies and fetches by virtual address, within a page and across pages. */
class CpuAccessTest {
    static final long VA = 0x0000_0000_0040_0000L;
    static final long PAGE = Pte.PAGE_SIZE;

    @Test
    void everyWidthIsLittleEndianAndMayBeUnaligned() {
        try (TestMachine m = new TestMachine()) {
            long pa = m.map(VA, Pte.RW);
            Cpu cpu = m.cpu();
            cpu.store64(VA + 3, 0x0807_0605_0403_0201L);
            for (int i = 0; i < 8; i++) assertEquals(i + 1, m.mem.load8(pa + 3 + i));
            assertEquals(0x01, cpu.load8(VA + 3));
            assertEquals(0x0201, cpu.load16(VA + 3));
            assertEquals(0x0403_0201, cpu.load32(VA + 3));
            assertEquals(0x0807_0605_0403_0201L, cpu.load64(VA + 3));
            cpu.store8(VA + 100, 0x1ff);
            cpu.store16(VA + 101, 0xbeef);
            cpu.store32(VA + 103, 0xcafe_f00d);
            assertEquals(0xff, m.mem.load8(pa + 100));
            assertEquals(0xbeef, m.mem.load16(pa + 101));
            assertEquals(0xcafe_f00d, m.mem.load32(pa + 103));
            cpu.store16(VA + 200, 0xffff);
            assertEquals(0xffff, cpu.load16(VA + 200), "16-bit loads are zero-extended");
            assertEquals(0xff, cpu.load8(VA + 200), "8-bit loads are zero-extended");
        }
    }

    @Test
    void accessesSpanningTwoPagesUseBothFrames() {
        try (TestMachine m = new TestMachine()) {
            long pa1 = m.map(VA, Pte.RW);
            m.page();                              // a gap, so the two frames are not adjacent
            long pa2 = m.map(VA + PAGE, Pte.RW);
            Cpu cpu = m.cpu();
            for (int split = 1; split < 8; split++) {
                long va = VA + PAGE - split;
                cpu.store64(va, 0x8877_6655_4433_2211L);
                for (int k = 0; k < 8; k++) {
                    long pa = k < split ? pa1 + PAGE - split + k : pa2 + (k - split);
                    assertEquals(0x11 * (k + 1), m.mem.load8(pa), "split " + split + " byte " + k);
                }
                assertEquals(0x8877_6655_4433_2211L, cpu.load64(va));
            }
            cpu.store32(VA + PAGE - 1, 0xa1b2_c3d4);
            assertEquals(0xd4, m.mem.load8(pa1 + PAGE - 1));
            assertEquals(0xa1b2c3, m.mem.load32(pa2) & 0xff_ffff);
            assertEquals(0xa1b2_c3d4, cpu.load32(VA + PAGE - 1));
            cpu.store16(VA + PAGE - 1, 0x5a6b);
            assertEquals(0x5a6b, cpu.load16(VA + PAGE - 1));
            assertEquals(0x6b, m.mem.load8(pa1 + PAGE - 1));
            assertEquals(0x5a, m.mem.load8(pa2));
        }
    }

    @Test
    void spanningAccessWithTheSecondPageMissingFaultsThereAndStoresNothing() {
        try (TestMachine m = new TestMachine()) {
            long pa1 = m.map(VA, Pte.RW | Pte.US);
            Cpu cpu = m.cpu();
            cpu.setUserMode(true);
            long va = VA + PAGE - 3;

            PageFaultException load = assertThrows(PageFaultException.class, () -> cpu.load64(va));
            assertEquals(VA + PAGE, load.va(), "the fault names the second page's first byte");
            assertEquals(PageFaultCode.U, load.errorCode());

            PageFaultException store = assertThrows(PageFaultException.class, () -> cpu.store64(va, -1L));
            assertEquals(VA + PAGE, store.va());
            assertEquals(PageFaultCode.W | PageFaultCode.U, store.errorCode());
            for (int k = 0; k < 3; k++) assertEquals(0, m.mem.load8(pa1 + PAGE - 3 + k), "no partial store");
        }
    }

    @Test
    void spanningAccessWithTheFirstPageMissingFaultsAtTheAccessAddress() {
        try (TestMachine m = new TestMachine()) {
            m.map(VA + PAGE, Pte.RW);
            PageFaultException pf = assertThrows(PageFaultException.class, () -> m.cpu().load32(VA + PAGE - 2));
            assertEquals(VA + PAGE - 2, pf.va());
        }
    }

    @Test
    void copyinAndCopyoutCrossPages() {
        try (TestMachine m = new TestMachine()) {
            long[] pas = new long[3];
            for (int i = 0; i < 3; i++) {
                m.page();                          // non-adjacent frames
                pas[i] = m.map(VA + i * PAGE, Pte.RW);
            }
            byte[] src = new byte[(int) PAGE + 100];
            new SplittableRandom(42).nextBytes(src);
            Cpu cpu = m.cpu();
            long va = VA + PAGE - 50;               // 50 bytes in page 0, all of page 1, 50 in page 2
            cpu.copyout(src, 0, va, src.length);
            assertEquals(src[0], (byte) m.mem.load8(pas[0] + PAGE - 50));
            assertEquals(src[50], (byte) m.mem.load8(pas[1]));
            assertEquals(src[50 + (int) PAGE], (byte) m.mem.load8(pas[2]));

            byte[] back = new byte[src.length + 4];
            cpu.copyin(va, back, 2, src.length);
            byte[] expected = new byte[src.length + 4];
            System.arraycopy(src, 0, expected, 2, src.length);
            assertArrayEquals(expected, back);
        }
    }

    @Test
    void copyinFaultingMidwayHasCopiedTheEarlierPages() {
        try (TestMachine m = new TestMachine()) {
            long pa = m.map(VA, Pte.RW);
            m.mem.fill(pa, PAGE, (byte) 7);
            byte[] dst = new byte[(int) PAGE + 10];
            PageFaultException pf = assertThrows(PageFaultException.class,
                    () -> m.cpu().copyin(VA + 10, dst, 0, dst.length));
            assertEquals(VA + PAGE, pf.va());
            assertEquals(7, dst[(int) PAGE - 11]);
            assertEquals(0, dst[(int) PAGE - 10]);
            assertThrows(IndexOutOfBoundsException.class, () -> m.cpu().copyin(VA, dst, 5, dst.length));
        }
    }

    @Test
    void instructionFetchNeedsNxClear() {
        try (TestMachine m = new TestMachine()) {
            long pa = m.map(VA, Pte.US);
            m.map(VA + PAGE, Pte.US | Pte.NX);
            m.mem.store8(pa, 0x90);
            Cpu cpu = m.cpu();
            cpu.setUserMode(true);
            assertEquals(0x90, cpu.fetch8(VA));
            assertEquals(0, cpu.load8(VA + PAGE), "NX pages are readable");
            PageFaultException pf = assertThrows(PageFaultException.class, () -> cpu.fetch8(VA + PAGE));
            assertEquals(PageFaultCode.P | PageFaultCode.U | PageFaultCode.I, pf.errorCode());
        }
    }

    @Test
    void withNxeOffEveryMappedPageIsExecutable() {
        try (TestMachine m = new TestMachine(1, new CpuSettings(false, 46))) {
            m.map(VA, Pte.US);
            m.cpu().setUserMode(true);
            assertEquals(0, m.cpu().fetch8(VA));
            PageFaultException pf = assertThrows(PageFaultException.class, () -> m.cpu().fetch8(VA + PAGE));
            assertEquals(PageFaultCode.U, pf.errorCode(), "no I bit without NXE");
        }
    }
}
