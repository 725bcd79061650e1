package org.dfemu.kernel.harness.workload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.dfemu.kernel.harness.workload.Instruction.Access;
import org.dfemu.kernel.harness.workload.Instruction.Advice;
import org.dfemu.kernel.harness.workload.Instruction.Order;
import org.dfemu.kernel.harness.workload.Instruction.Prot;
import org.dfemu.kernel.harness.workload.Instruction.Protect;
import org.junit.jupiter.api.Test;

/**
 * The memory-control and page-range instructions (opcodes 0x10..0x18): their encoding, the
 * decoder's refusals, the rules about ranges and partial unmaps, and the actions the
 * interpreter hands the kernel, with its expectations after madvise free.
 */
class MemoryControlProgramTest {
    private static final List<Instruction> ALL = List.of(
            new Instruction.Mmap(0, 64, Prot.RW),
            new Instruction.Mlock(0, 0, 0),
            new Instruction.Mlock(0, 2, 3),
            new Instruction.Munlock(0, 2, 3),
            new Instruction.Munlock(0, 0, 0),
            new Instruction.Mlockall(1),
            new Instruction.Mlockall(2),
            new Instruction.Mlockall(3),
            new Instruction.Munlockall(),
            new Instruction.Mprotect(0, Protect.NONE, 1, 1),
            new Instruction.Mprotect(0, Protect.RO, 0, 0),
            new Instruction.Mprotect(0, Protect.RW, 0, 0),
            new Instruction.Madvise(0, Advice.WILLNEED, 0, 0),
            new Instruction.Madvise(0, Advice.DONTNEED, 4, 4),
            new Instruction.Madvise(0, Advice.FREE, 8, 8),
            new Instruction.WriteRange(0, 10, 5),
            new Instruction.VerifyRange(0, 0, 64),
            new Instruction.UnmapRange(0, 60, 4),
            new Instruction.Exit());

    private static Workload workload(List<Instruction> code) {
        try {
            return new Workload(List.of(Program.of("p", 1, code)));
        } catch (ProgramFormatException e) {
            throw new AssertionError(e);
        }
    }

    private static String refusedCode(int count, int... code) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes("DFEMUPRG".getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(new byte[] {1, 0, 1, 0, 1, 'p', 1, 0, (byte) count, 0, 0, 0});
        for (int v : code) b.write(v);
        byte[] data = b.toByteArray();
        return assertThrows(ProgramFormatException.class, () -> ProgramCodec.decode(data)).getMessage();
    }

    private static String refusedCheck(Instruction... code) {
        return assertThrows(ProgramFormatException.class, () -> Program.of("p", 1, List.of(code))).getMessage();
    }

    @Test
    void everyNewInstructionRoundTripsThroughTheEncodingAndItsText() throws Exception {
        Workload w = workload(ALL);
        assertEquals(w, ProgramCodec.decode(ProgramCodec.encode(w)));
        List<String> text = new ArrayList<>();
        for (Instruction in : ALL) text.add(in.text());
        assertEquals(List.of("map r0 256K rw", "mlock r0", "mlock r0 2 3", "munlock r0 2 3", "munlock r0",
                "mlockall current", "mlockall future", "mlockall current,future", "munlockall",
                "mprotect r0 none 1 1", "mprotect r0 ro", "mprotect r0 rw", "madvise r0 willneed",
                "madvise r0 dontneed 4 4", "madvise r0 free 8 8", "write r0 10 5", "verify r0 0 64",
                "unmap r0 60 4", "exit"), text);
    }

    @Test
    void encodingIsTheDocumentedOne() {
        byte[] all = ProgramCodec.encode(workload(List.of(new Instruction.Mmap(1, 4, Prot.RW),
                new Instruction.Mlock(1, 1, 2), new Instruction.Mlockall(3), new Instruction.Munlockall(),
                new Instruction.Mprotect(1, Protect.NONE, 0, 0), new Instruction.Madvise(1, Advice.FREE, 3, 1),
                new Instruction.UnmapRange(1, 0, 1), new Instruction.Munlock(1, 1, 2),
                new Instruction.WriteRange(1, 1, 1), new Instruction.VerifyRange(1, 2, 2))));
        byte[] code = java.util.Arrays.copyOfRange(all, 20, all.length);
        assertArrayEquals(new byte[] {
                0x01, 1, 3, 4, 0, 0, 0,
                0x10, 1, 1, 0, 0, 0, 2, 0, 0, 0,
                0x12, 3,
                0x13,
                0x14, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0x15, 1, 5, 3, 0, 0, 0, 1, 0, 0, 0,
                0x18, 1, 0, 0, 0, 0, 1, 0, 0, 0,
                0x11, 1, 1, 0, 0, 0, 2, 0, 0, 0,
                0x16, 1, 1, 0, 0, 0, 1, 0, 0, 0,
                0x17, 1, 2, 0, 0, 0, 2, 0, 0, 0}, code);
    }

    @Test
    void theDecoderRejectsCorruptEncodings() {
        String map = "program 'p' instruction 1: ";
        int[] m = {0x01, 0, 3, 16, 0, 0, 0};
        assertEquals(map + "mprotect: protection 2 is not 0 (none), 1 (ro) or 3 (rw)",
                refusedCode(2, cat(m, 0x14, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0)));
        assertEquals(map + "madvise: advice 6 is not 3 (willneed), 4 (dontneed) or 5 (free)",
                refusedCode(2, cat(m, 0x15, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0)));
        assertEquals(map + "mlockall: flags 0 are not 1 (current), 2 (future) or 3 (both)", refusedCode(2, cat(m, 0x12, 0)));
        assertEquals(map + "mlock: page 3 without a count", refusedCode(2, cat(m, 0x10, 0, 3, 0, 0, 0, 0, 0, 0, 0)));
        assertEquals(map + "write: count 0 is out of range 1..268435456 (page + count at most 268435456)",
                refusedCode(2, cat(m, 0x16, 0, 0, 0, 0, 0, 0, 0, 0, 0)));
        assertEquals(map + "unmap: page 268435456 is out of range 0..268435455",
                refusedCode(2, cat(m, 0x18, 0, 0, 0, 0, 0x10, 1, 0, 0, 0)));
        assertEquals(map + "no register r16 (registers are r0..r15)", refusedCode(2, cat(m, 0x17, 16, 0, 0, 0, 0, 1, 0, 0, 0)));
        assertEquals("program 'p' instruction 1: unknown opcode 0x19 at byte 27", refusedCode(2, cat(m, 0x19)));
        assertEquals("truncated program data: ends at byte 31, inside program 'p' instruction 1",
                refusedCode(2, cat(m, 0x15, 0, 4, 0)));
        // Rules, as for the other instructions.
        assertEquals(map.replace(": ", " (verify r0 16 1): ") + "pages 16..16 are outside r0 (pages 0..15)",
                refusedCode(2, cat(m, 0x17, 0, 16, 0, 0, 0, 1, 0, 0, 0)));
        assertEquals("program 'p' instruction 0 (mlock r2): r2 is not mapped", refusedCode(1, 0x10, 2, 0, 0, 0, 0, 0, 0, 0, 0));
    }

    private static int[] cat(int[] a, int... b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void rangesMustBeInsideTheRegionAndStillMapped() throws Exception {
        assertEquals("program 'p' instruction 2 (verify r0 3 2): pages 3..4 of r0 are not all mapped (mapped: 0..3,5..7)",
                refusedCheck(new Instruction.Mmap(0, 8, Prot.RW), new Instruction.UnmapRange(0, 4, 1),
                        new Instruction.VerifyRange(0, 3, 2)));
        assertEquals("program 'p' instruction 1 (write r0 0 1): r0 is mapped read-only",
                refusedCheck(new Instruction.Mmap(0, 8, Prot.RO), new Instruction.WriteRange(0, 0, 1)));
        assertEquals("program 'p' instruction 1 (mprotect r0 rw 7 2): pages 7..8 are outside r0 (pages 0..7)",
                refusedCheck(new Instruction.Mmap(0, 8, Prot.RO), new Instruction.Mprotect(0, Protect.RW, 7, 2)));
        // Unmapping the last pages unmaps the register: it may be mapped again.
        Program.of("ok", 1, List.of(new Instruction.Mmap(0, 8, Prot.RW), new Instruction.UnmapRange(0, 0, 4),
                new Instruction.UnmapRange(0, 4, 4), new Instruction.Mmap(0, 8, Prot.RW)));
        assertEquals("program 'p' instruction 3 (verify r0): r0 is not mapped",
                refusedCheck(new Instruction.Mmap(0, 8, Prot.RW), new Instruction.UnmapRange(0, 0, 4),
                        new Instruction.UnmapRange(0, 4, 4), new Instruction.Verify(0)));
        // A loop must end with the same pages mapped.
        String loop = refusedCheck(new Instruction.Mmap(0, 8, Prot.RW), new Instruction.Loop(2),
                new Instruction.UnmapRange(0, 0, 1), new Instruction.EndLoop());
        assertTrue(loop.endsWith("r0 was mapped 32K rw at 'loop' and is mapped 32K rw (pages 1..7 left) here"), loop);
    }

    private static List<Action> actions(ProgramInterpreter p) {
        List<Action> out = new ArrayList<>();
        while (!p.exited()) out.add(p.next());
        return out;
    }

    @Test
    void wholeRegionFormsCoverThePagesLeftAndCallOncePerRun() throws Exception {
        Program p = Program.of("p", 1, List.of(new Instruction.Mmap(0, 8, Prot.RW), new Instruction.UnmapRange(0, 2, 3),
                new Instruction.Mlock(0, 0, 0), new Instruction.Write(0), new Instruction.Touch(0, Order.STRIDE, 2, Access.READ),
                new Instruction.Munmap(0), new Instruction.Exit()));
        List<Action> a = actions(ProgramInterpreter.boot(p, 0, 0, 1));
        long s = PagePattern.bootStream(0, 0);
        assertEquals(List.of(
                new Action.Mmap(0, 8, Prot.RW),
                new Action.MunmapRange(0, 2, 3, false),
                new Action.Mlock(0, 0, 2, true), new Action.Mlock(0, 5, 3, true),
                new Action.WritePage(0, 0, s, 1), new Action.WritePage(0, 1, s, 1), new Action.WritePage(0, 5, s, 1),
                new Action.WritePage(0, 6, s, 1), new Action.WritePage(0, 7, s, 1),
                new Action.VerifyPage(0, 0, s, 1), new Action.VerifyPage(0, 6, s, 1),
                new Action.MunmapRange(0, 0, 2, false), new Action.MunmapRange(0, 5, 3, true),
                new Action.Exit()), a);
    }

    @Test
    void aRangeWriteGivesOnlyItsPagesTheNewGeneration() throws Exception {
        Program p = Program.of("p", 1, List.of(new Instruction.Mmap(0, 4, Prot.RW), new Instruction.Write(0),
                new Instruction.WriteRange(0, 1, 2), new Instruction.Verify(0), new Instruction.Exit()));
        List<Action> a = actions(ProgramInterpreter.boot(p, 0, 0, 1));
        long s = PagePattern.bootStream(0, 0);
        assertEquals(List.of(new Action.VerifyPage(0, 0, s, 1), new Action.VerifyPage(0, 1, s, 2),
                new Action.VerifyPage(0, 2, s, 2), new Action.VerifyPage(0, 3, s, 1)), a.subList(a.size() - 5, a.size() - 1));
    }

    @Test
    void afterMadviseFreeAPageMayReadZerosOrAfterAForkAnything() throws Exception {
        Program p = Program.of("p", 1, List.of(new Instruction.Mmap(0, 4, Prot.RW), new Instruction.Write(0),
                new Instruction.Madvise(0, Advice.FREE, 1, 2), new Instruction.Verify(0),
                new Instruction.Touch(0, Order.SEQ, 0, Access.WRITE), new Instruction.VerifyRange(0, 1, 1),
                new Instruction.Madvise(0, Advice.DONTNEED, 0, 0), new Instruction.VerifyRange(0, 1, 1),
                new Instruction.Fork(), new Instruction.Madvise(0, Advice.FREE, 0, 1), new Instruction.VerifyRange(0, 0, 1),
                new Instruction.EndFork(), new Instruction.Exit()));
        ProgramInterpreter parent = ProgramInterpreter.boot(p, 0, 0, 1);
        List<Action> a = actions(parent);
        long s = PagePattern.bootStream(0, 0);
        assertEquals(List.of(new Action.Madvise(0, 1, 2, 5),
                new Action.VerifyPage(0, 0, s, 1), new Action.VerifyPage(0, 1, s, 1, Action.Expect.EXACT_OR_ZERO),
                new Action.VerifyPage(0, 2, s, 1, Action.Expect.EXACT_OR_ZERO), new Action.VerifyPage(0, 3, s, 1)),
                a.subList(5, 10));
        // A write (here touch ... write) makes the page exact again; dontneed changes nothing.
        assertEquals(new Action.VerifyPage(0, 1, s, 1), a.get(14));
        assertEquals(new Action.Madvise(0, 0, 4, 4), a.get(15));
        assertEquals(new Action.VerifyPage(0, 1, s, 1), a.get(16));
        Action.Fork fork = (Action.Fork) a.get(17);
        List<Action> c = actions(fork.child());
        assertEquals(List.of(new Action.Madvise(0, 0, 1, 5), new Action.VerifyPage(0, 0, s, 1, Action.Expect.ANY),
                new Action.Exit()), c);
        // The check itself.
        Action.VerifyPage orZero = new Action.VerifyPage(0, 1, s, 1, Action.Expect.EXACT_OR_ZERO);
        assertTrue(orZero.accepts(0, 0));
        assertTrue(orZero.accepts(0, orZero.word(0)));
        assertTrue(!orZero.accepts(0, orZero.word(0) + 1));
        assertTrue(!new Action.VerifyPage(0, 1, s, 1).accepts(0, 0));
    }
}
