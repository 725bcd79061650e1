package org.dfemu.kernel.harness.workload;

import static org.dfemu.kernel.harness.workload.Programs.endfork;
import static org.dfemu.kernel.harness.workload.Programs.endloop;
import static org.dfemu.kernel.harness.workload.Programs.exit;
import static org.dfemu.kernel.harness.workload.Programs.fork;
import static org.dfemu.kernel.harness.workload.Programs.loop;
import static org.dfemu.kernel.harness.workload.Programs.map;
import static org.dfemu.kernel.harness.workload.Programs.mapRo;
import static org.dfemu.kernel.harness.workload.Programs.random;
import static org.dfemu.kernel.harness.workload.Programs.seq;
import static org.dfemu.kernel.harness.workload.Programs.sleep;
import static org.dfemu.kernel.harness.workload.Programs.stride;
import static org.dfemu.kernel.harness.workload.Programs.unmap;
import static org.dfemu.kernel.harness.workload.Programs.verify;
import static org.dfemu.kernel.harness.workload.Programs.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.dfemu.kernel.harness.workload.Instruction.Access;
import org.junit.jupiter.api.Test;

class ProgramCodecTest {
    private static final Workload EVERYTHING = new Workload(List.of(
            new Program("pager", 2, List.of(
                    map(0, 12288), mapRo(15, 1), write(0), verify(0),
                    seq(0, Access.READ), stride(0, 16, Access.WRITE), random(0, 1000, Access.WRITE), seq(15, Access.READ),
                    loop(3), sleep(10_000_000), fork(), verify(0), endfork(), endloop(),
                    unmap(15), unmap(0), exit())),
            new Program("idle", 0, List.of()),
            new Program("s.l-e_ep", 256, List.of(sleep(Instruction.SLEEP_NS_MAX)))));

    /** Builds raw program data byte by byte (little-endian), for hand-made corruption. */
    private static final class Bytes {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Bytes header(int version, int count) {
            out.writeBytes("DFEMUPRG".getBytes(StandardCharsets.US_ASCII));
            return u16(version).u16(count);
        }

        Bytes program(String name, int copies, long count) {
            byte[] n = name.getBytes(StandardCharsets.ISO_8859_1);
            return u8(n.length).raw(n).u16(copies).u32(count);
        }

        Bytes u8(int... v) {
            for (int b : v) out.write(b);
            return this;
        }

        Bytes u16(int v) { return u8(v & 0xff, (v >> 8) & 0xff); }

        Bytes u32(long v) { return u16((int) (v & 0xffff)).u16((int) (v >>> 16)); }

        Bytes raw(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        byte[] get() { return out.toByteArray(); }
    }

    private static String refused(byte[] data) {
        return assertThrows(ProgramFormatException.class, () -> ProgramCodec.decode(data)).getMessage();
    }

    /** One program "p" (1 copy) whose code is the given raw instruction bytes. */
    private static String refusedCode(int count, int... code) {
        return refused(new Bytes().header(1, 1).program("p", 1, count).u8(code).get());
    }

    @Test
    void roundTripOfEveryInstruction() throws Exception {
        assertEquals(EVERYTHING, ProgramCodec.decode(ProgramCodec.encode(EVERYTHING)));
        assertEquals(Workload.EMPTY, ProgramCodec.decode(ProgramCodec.encode(Workload.EMPTY)));
        assertEquals(258, EVERYTHING.processesAtBoot());
    }

    @Test
    void encodingIsTheDocumentedOne() {
        Workload w = new Workload(List.of(new Program("a", 2, List.of(map(1, 2), random(1, 1000, Access.WRITE),
                sleep(10_000_000), loop(3), write(1), endloop(), exit()))));
        byte[] expected = new Bytes().header(1, 1).program("a", 2, 7)
                .u8(0x01, 1, 3).u32(2)
                .u8(0x05, 1, 2, 1).u32(1000)
                .u8(0x06).u32(10_000_000).u32(0)
                .u8(0x07).u32(3)
                .u8(0x03, 1)
                .u8(0x08)
                .u8(0x0b)
                .get();
        assertArrayEquals(expected, ProgramCodec.encode(w));
        assertEquals("DFEMUPRG", new String(Arrays.copyOf(expected, 8), StandardCharsets.US_ASCII));

        // The example in disk-images/README.md.
        Workload readme = new Workload(List.of(new Program("a", 2, List.of(map(1, 2), exit()))));
        assertEquals("4446454d55505247 0100 0100 0161 0200 02000000 01010302000000 0b".replace(" ", ""),
                HexFormat.of().formatHex(ProgramCodec.encode(readme)));
    }

    @Test
    void header() {
        assertEquals("truncated program data: 5 bytes, shorter than the 12-byte header", refused(new byte[5]));
        byte[] bad = ProgramCodec.encode(EVERYTHING);
        bad[0] = 'X';
        assertEquals("bad magic: not dfemu program data (does not start with DFEMUPRG)", refused(bad));
        assertEquals("unsupported program format version 3 (this dfemu reads versions 1 and 2)", refused(new Bytes().header(3, 0).get()));
        assertEquals("program count 257 is out of range 0..256", refused(new Bytes().header(1, 257).get()));
    }

    @Test
    void truncation() {
        byte[] whole = ProgramCodec.encode(EVERYTHING);
        assertEquals("truncated program data: ends at byte 12, inside program 0's header",
                refused(Arrays.copyOf(whole, 12)));
        assertEquals("truncated program data: ends at byte 27, inside program 'pager' instruction 0",
                refused(Arrays.copyOf(whole, 27)));
        assertEquals("truncated program data: ends at byte 12, inside program 0's header",
                refused(new Bytes().header(1, 1).get()));
        assertEquals("truncated program data: ends at byte 27, inside program 'p' instruction 1",
                refused(new Bytes().header(1, 1).program("p", 1, 2).u8(0x01, 0, 3).u32(1).get()));
    }

    @Test
    void trailingBytes() {
        byte[] whole = ProgramCodec.encode(EVERYTHING);
        byte[] longer = Arrays.copyOf(whole, whole.length + 3);
        assertEquals("3 bytes of trailing data after the last program (at byte " + whole.length + ")", refused(longer));
    }

    @Test
    void badOpcodeAndOperands() {
        assertEquals("program 'p' instruction 0: unknown opcode 0x3f at byte 20", refusedCode(1, 0x3f));
        assertEquals("program 'p' instruction 0: unknown opcode 0x00 at byte 20", refusedCode(1, 0x00));
        assertEquals("program 'p' instruction 0: no register r16 (registers are r0..r15)", refusedCode(1, 0x03, 16));
        assertEquals("program 'p' instruction 0: map: protection 2 is neither 1 (ro) nor 3 (rw)",
                refusedCode(1, 0x01, 0, 2, 1, 0, 0, 0));
        assertEquals("program 'p' instruction 0: map: size of 0 pages is out of range 1..268435456 (4K..1T)",
                refusedCode(1, 0x01, 0, 3, 0, 0, 0, 0));
        assertEquals("program 'p' instruction 1: touch: order 3 is not 0 (seq), 1 (stride) or 2 (random)",
                refusedCode(2, 0x01, 0, 3, 1, 0, 0, 0, 0x05, 0, 3, 0, 1, 0, 0, 0));
        assertEquals("program 'p' instruction 1: touch: access 2 is neither 0 (read) nor 1 (write)",
                refusedCode(2, 0x01, 0, 3, 1, 0, 0, 0, 0x05, 0, 0, 2, 0, 0, 0, 0));
        assertEquals("program 'p' instruction 1: touch seq takes no count (found 1)",
                refusedCode(2, 0x01, 0, 3, 1, 0, 0, 0, 0x05, 0, 0, 0, 1, 0, 0, 0));
        assertEquals("program 'p' instruction 0: sleep: 0ns is out of range 1ns..3600s",
                refusedCode(1, 0x06, 0, 0, 0, 0, 0, 0, 0, 0));
        assertEquals("program 'p' instruction 0: sleep: 18446744073709551615ns is out of range 1ns..3600s",
                refusedCode(1, 0x06, 255, 255, 255, 255, 255, 255, 255, 255));
        assertEquals("program 'p' instruction 0: loop: count 0 is out of range 1..1000000000",
                refusedCode(1, 0x07, 0, 0, 0, 0));
    }

    @Test
    void badRegionReferences() {
        assertEquals("program 'p' instruction 0 (write r2): r2 is not mapped", refusedCode(1, 0x03, 2));
        assertEquals("program 'p' instruction 1 (unmap r1): r1 is not mapped", refusedCode(2, 0x01, 0, 3, 1, 0, 0, 0, 0x02, 1));
        assertEquals("program 'p' instruction 1 (map r0 4K rw): r0 is already mapped",
                refusedCode(2, 0x01, 0, 3, 1, 0, 0, 0, 0x01, 0, 3, 1, 0, 0, 0));
        assertEquals("program 'p' instruction 1 (write r0): r0 is mapped read-only",
                refusedCode(2, 0x01, 0, 1, 1, 0, 0, 0, 0x03, 0));
    }

    @Test
    void badBlocks() {
        assertEquals("program 'p' instruction 0 (endloop): 'endloop' without 'loop'", refusedCode(1, 0x08));
        assertEquals("program 'p' instruction 0 (fork): 'fork' has no matching 'endfork'", refusedCode(1, 0x09));
        assertEquals("program 'p' instruction 0 (exit): 'exit' must be the last instruction of the program or of a fork block",
                refusedCode(2, 0x0b, 0x0b));
    }

    @Test
    void badProgramHeaders() {
        assertEquals("program 0: bad program name 'a?b' (1..16 letters, digits, '_', '.', '-')",
                refused(new Bytes().header(1, 1).program("a\nb", 1, 0).get()));
        assertEquals("program 0: bad program name '' (1..16 letters, digits, '_', '.', '-')",
                refused(new Bytes().header(1, 1).program("", 1, 0).get()));
        assertEquals("program 'p': copies 257 is out of range 0..256", refused(new Bytes().header(1, 1).program("p", 257, 0).get()));
        assertEquals("program 'p': 65537 instructions, more than the 65536 allowed",
                refused(new Bytes().header(1, 1).program("p", 1, 65537).get()));
        assertEquals("program 'p' is defined twice (programs 0 and 1)",
                refused(new Bytes().header(1, 2).program("p", 1, 0).program("p", 1, 0).get()));
    }
}
