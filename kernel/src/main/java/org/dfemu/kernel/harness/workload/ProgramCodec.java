package org.dfemu.kernel.harness.workload;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.dfemu.kernel.harness.workload.Instruction.Access;
import org.dfemu.kernel.harness.workload.Instruction.EndFork;
import org.dfemu.kernel.harness.workload.Instruction.EndLoop;
import org.dfemu.kernel.harness.workload.Instruction.Exit;
import org.dfemu.kernel.harness.workload.Instruction.Fork;
import org.dfemu.kernel.harness.workload.Instruction.Loop;
import org.dfemu.kernel.harness.workload.Instruction.Mmap;
import org.dfemu.kernel.harness.workload.Instruction.Munmap;
import org.dfemu.kernel.harness.workload.Instruction.Order;
import org.dfemu.kernel.harness.workload.Instruction.Prot;
import org.dfemu.kernel.harness.workload.Instruction.Sleep;
import org.dfemu.kernel.harness.workload.Instruction.Touch;
import org.dfemu.kernel.harness.workload.Instruction.Verify;
import org.dfemu.kernel.harness.workload.Instruction.Write;
import org.dfemu.kernel.harness.workload.Instruction.StartThread;
import org.dfemu.kernel.harness.workload.Instruction.EndThread;
import org.dfemu.kernel.harness.workload.Instruction.Wait;

/**
 * The binary encoding of a {@link Workload}: the content of an image's user partition.
 * Little-endian, unsigned, byte-packed (no alignment). disk-images/README.md is the same table
 * in prose; change both together.
 *
 * <pre>
 *   header (12 bytes)
 *     0  8  magic "DFEMUPRG" (ASCII)
 *     8  2  version (1, or 2 when a program expects another fate than exit)
 *    10  2  program count (0..256)
 *   then each program
 *     u8   name length L (1..16), then L bytes of name (ASCII letters, digits, _ . -)
 *     u16  copies started at boot (0..256)
 *     u32  instruction count (0..65536)
 *     the instructions, each an opcode byte and its operands
 *   opcode          operands                                       text
 *     0x01 map      u8 reg, u8 prot (1 ro, 3 rw), u32 pages        map rN SIZE ro|rw
 *     0x02 unmap    u8 reg                                         unmap rN
 *     0x03 write    u8 reg                                         write rN
 *     0x04 verify   u8 reg                                         verify rN
 *     0x05 touch    u8 reg, u8 order (0 seq, 1 stride, 2 random),  touch rN seq|stride N|random N
 *                   u8 access (0 read, 1 write), u32 n (0 for seq)        read|write
 *     0x06 sleep    u64 ns                                         sleep DURATION
 *     0x07 loop     u32 count                                      loop N
 *     0x08 endloop  -                                              endloop
 *     0x09 fork     -                                              fork
 *     0x0a endfork  -                                              endfork
 *     0x0b exit     -                                              exit
 *     0x10 mlock    u8 reg, u32 page, u32 count (0: whole region)  mlock rN [PAGE COUNT]
 *     0x11 munlock  u8 reg, u32 page, u32 count (0: whole region)  munlock rN [PAGE COUNT]
 *     0x12 mlockall u8 how (1 current, 2 future, 3 both)           mlockall current|future|current,future
 *     0x13 munlockall -                                            munlockall
 *     0x14 mprotect u8 reg, u8 prot (0 none, 1 ro, 3 rw),          mprotect rN none|ro|rw [PAGE COUNT]
 *                   u32 page, u32 count (0: whole region)
 *     0x15 madvise  u8 reg, u8 advice (3 willneed, 4 dontneed,     madvise rN willneed|dontneed|free [PAGE COUNT]
 *                   5 free), u32 page, u32 count (0: whole region)
 *     0x16 write    u8 reg, u32 page, u32 count (1..)              write rN PAGE COUNT
 *     0x17 verify   u8 reg, u32 page, u32 count (1..)              verify rN PAGE COUNT
 *     0x18 unmap    u8 reg, u32 page, u32 count (1..)              unmap rN PAGE COUNT
 *     0x20 map      as 0x01, the mapping MAP_SHARED                map rN SIZE ro|rw shared
 *     0x21 thread   -                                              thread
 *     0x22 endthread -                                             endthread
 *     0x23 wait     -                                              wait
 * </pre>
 * Nothing may follow the last program. Version 2 is version 1 with one more byte in each
 * program's header, after the copies: u8 expected fate (0 exit, 1 segv, 2 killed). The encoder
 * writes version 1 when every program expects exit, so such data reads the same in a dfemu that
 * predates version 2; the decoder reads both.
 */
public final class ProgramCodec {
    private ProgramCodec() {}

    public static final int VERSION = 1;
    /** The version whose program headers carry the expected fate; written only when one is not exit. */
    public static final int VERSION_FATES = 2;
    public static final int HEADER_SIZE = 12;
    static final byte[] MAGIC = "DFEMUPRG".getBytes(StandardCharsets.US_ASCII);

    static final int OP_MAP = 0x01;
    static final int OP_UNMAP = 0x02;
    static final int OP_WRITE = 0x03;
    static final int OP_VERIFY = 0x04;
    static final int OP_TOUCH = 0x05;
    static final int OP_SLEEP = 0x06;
    static final int OP_LOOP = 0x07;
    static final int OP_ENDLOOP = 0x08;
    static final int OP_FORK = 0x09;
    static final int OP_ENDFORK = 0x0a;
    static final int OP_EXIT = 0x0b;
    static final int OP_MAP_SHARED = 0x20;
    static final int OP_THREAD = 0x21;
    static final int OP_ENDTHREAD = 0x22;
    static final int OP_WAIT = 0x23;

    // Memory-control instructions and page ranges (0x10..0x1f). PAGE, COUNT: u32 each; a count
    // of 0 (with page 0) means the whole region where the text form may leave the range out.
    static final int OP_MLOCK = 0x10;
    static final int OP_MUNLOCK = 0x11;
    static final int OP_MLOCKALL = 0x12;
    static final int OP_MUNLOCKALL = 0x13;
    static final int OP_MPROTECT = 0x14;
    static final int OP_MADVISE = 0x15;
    static final int OP_WRITE_RANGE = 0x16;
    static final int OP_VERIFY_RANGE = 0x17;
    static final int OP_UNMAP_RANGE = 0x18;

    /** Encodes {@code workload}; a valid workload always encodes. No requirements. */
    public static byte[] encode(Workload workload) {
        Out out = new Out();
        out.bytes(MAGIC);
        boolean fates = workload.programs().stream().anyMatch(p -> p.expect() != Program.Fate.EXIT);
        out.u16(fates ? VERSION_FATES : VERSION);
        out.u16(workload.programs().size());
        for (Program p : workload.programs()) {
            byte[] name = p.name().getBytes(StandardCharsets.US_ASCII);
            out.u8(name.length);
            out.bytes(name);
            out.u16(p.copies());
            if (fates) out.u8(p.expect().code());
            out.u32(p.code().size());
            for (Instruction in : p.code()) {
                switch (in) {
                    case Mmap m -> {
                        out.u8(m.shared() ? OP_MAP_SHARED : OP_MAP);
                        out.u8(m.reg());
                        out.u8(m.prot().bits());
                        out.u32(m.pages());
                    }
                    case Munmap u -> {
                        out.u8(OP_UNMAP);
                        out.u8(u.reg());
                    }
                    case Write w -> {
                        out.u8(OP_WRITE);
                        out.u8(w.reg());
                    }
                    case Verify v -> {
                        out.u8(OP_VERIFY);
                        out.u8(v.reg());
                    }
                    case Touch t -> {
                        out.u8(OP_TOUCH);
                        out.u8(t.reg());
                        out.u8(t.order().code());
                        out.u8(t.access().code());
                        out.u32(t.n());
                    }
                    case Sleep s -> {
                        out.u8(OP_SLEEP);
                        out.u64(s.ns());
                    }
                    case Loop l -> {
                        out.u8(OP_LOOP);
                        out.u32(l.count());
                    }
                    case EndLoop e -> out.u8(OP_ENDLOOP);
                    case Fork f -> out.u8(OP_FORK);
                    case EndFork e -> out.u8(OP_ENDFORK);
                    case Exit x -> out.u8(OP_EXIT);
                    case StartThread t -> out.u8(OP_THREAD);
                    case EndThread e -> out.u8(OP_ENDTHREAD);
                    case Wait w -> out.u8(OP_WAIT);
                    // memory-control instructions and page ranges
                    case Instruction.Mlock l -> out.regRange(OP_MLOCK, l.reg(), -1, l.page(), l.count());
                    case Instruction.Munlock l -> out.regRange(OP_MUNLOCK, l.reg(), -1, l.page(), l.count());
                    case Instruction.Mlockall l -> {
                        out.u8(OP_MLOCKALL);
                        out.u8(l.how());
                    }
                    case Instruction.Munlockall l -> out.u8(OP_MUNLOCKALL);
                    case Instruction.Mprotect m -> out.regRange(OP_MPROTECT, m.reg(), m.prot().bits(), m.page(), m.count());
                    case Instruction.Madvise m -> out.regRange(OP_MADVISE, m.reg(), m.advice().behav(), m.page(), m.count());
                    case Instruction.WriteRange w -> out.regRange(OP_WRITE_RANGE, w.reg(), -1, w.page(), w.count());
                    case Instruction.VerifyRange v -> out.regRange(OP_VERIFY_RANGE, v.reg(), -1, v.page(), v.count());
                    case Instruction.UnmapRange u -> out.regRange(OP_UNMAP_RANGE, u.reg(), -1, u.page(), u.count());
                }
            }
        }
        return out.toByteArray();
    }

    /**
     * Decodes and validates program data: the header, every program's framing and operands, the
     * rules of {@link ProgramCheck}, and unique names.
     *
     * @throws ProgramFormatException with a one-line message for the first problem: bad magic,
     *         unsupported version, truncation, an unknown opcode, an operand out of range, a
     *         badly nested block, a register used while unmapped, or trailing bytes.
     *         No requirements.
     */
    public static Workload decode(byte[] data) throws ProgramFormatException {
        In in = new In(data);
        if (data.length < HEADER_SIZE) {
            throw new ProgramFormatException("truncated program data: " + data.length + " bytes, shorter than the "
                    + HEADER_SIZE + "-byte header");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (data[i] != MAGIC[i]) {
                throw new ProgramFormatException("bad magic: not dfemu program data (does not start with DFEMUPRG)");
            }
        }
        in.pos = MAGIC.length;
        int version = in.u16("the header");
        if (version != VERSION && version != VERSION_FATES) {
            throw new ProgramFormatException("unsupported program format version " + version + " (this dfemu reads versions "
                    + VERSION + " and " + VERSION_FATES + ")");
        }
        int count = in.u16("the header");
        if (count > Workload.PROGRAMS_MAX) {
            throw new ProgramFormatException("program count " + count + " is out of range 0.." + Workload.PROGRAMS_MAX);
        }
        List<Program> programs = new ArrayList<>();
        Map<String, Integer> index = new HashMap<>();
        for (int p = 0; p < count; p++) {
            Program program = program(in, p, version == VERSION_FATES);
            Integer first = index.putIfAbsent(program.name(), p);
            if (first != null) {
                throw new ProgramFormatException("program '" + program.name() + "' is defined twice (programs " + first
                        + " and " + p + ")");
            }
            programs.add(program);
        }
        if (in.pos != data.length) {
            throw new ProgramFormatException((data.length - in.pos) + " bytes of trailing data after the last program (at byte "
                    + in.pos + ")");
        }
        return new Workload(programs);
    }

    private static Program program(In in, int p, boolean fates) throws ProgramFormatException {
        String header = "program " + p + "'s header";
        int nameLength = in.u8(header);
        byte[] raw = in.bytes(nameLength, header);
        String name = printable(raw);
        try {
            ProgramCheck.checkName(name);
        } catch (ProgramFormatException e) {
            throw new ProgramFormatException("program " + p + ": " + e.getMessage());
        }
        int copies = in.u16(header);
        Program.Fate expect = Program.Fate.EXIT;
        if (fates) {
            int code = in.u8(header);
            expect = null;
            for (Program.Fate f : Program.Fate.values()) {
                if (f.code() == code) expect = f;
            }
            if (expect == null) {
                throw new ProgramFormatException(name, "expected fate " + code + " is not 0 (exit), 1 (segv), 2 (killed), 3 (exit-or-killed) or 4 (segv-or-killed)");
            }
        }
        long length = in.u32(header);
        if (length > Program.CODE_MAX) {
            throw new ProgramFormatException(name, length + " instructions, more than the " + Program.CODE_MAX + " allowed");
        }
        List<Instruction> code = new ArrayList<>();
        for (int i = 0; i < length; i++) {
            code.add(instruction(in, name, i));
        }
        return Program.of(name, copies, code, expect);
    }

    private static Instruction instruction(In in, String program, int i) throws ProgramFormatException {
        String where = "program '" + program + "' instruction " + i;
        int at = in.pos;
        int op = in.u8(where);
        try {
            return switch (op) {
                case OP_MAP, OP_MAP_SHARED -> {
                    int reg = in.u8(where);
                    int bits = in.u8(where);
                    long pages = in.u32(where);
                    Prot prot = switch (bits) {
                        case 1 -> Prot.RO;
                        case 3 -> Prot.RW;
                        default -> throw new IllegalArgumentException("map: protection " + bits + " is neither 1 (ro) nor 3 (rw)");
                    };
                    yield new Mmap(reg, pages, prot, op == OP_MAP_SHARED);
                }
                case OP_UNMAP -> new Munmap(in.u8(where));
                case OP_WRITE -> new Write(in.u8(where));
                case OP_VERIFY -> new Verify(in.u8(where));
                case OP_TOUCH -> {
                    int reg = in.u8(where);
                    int order = in.u8(where);
                    int access = in.u8(where);
                    long n = in.u32(where);
                    yield new Touch(reg, order(order), n, access(access));
                }
                case OP_SLEEP -> {
                    long ns = in.u64(where);
                    if (ns < 0) {
                        throw new IllegalArgumentException("sleep: " + Long.toUnsignedString(ns) + "ns is out of range 1ns..3600s");
                    }
                    yield new Sleep(ns);
                }
                case OP_LOOP -> new Loop(in.u32(where));
                case OP_ENDLOOP -> new EndLoop();
                case OP_FORK -> new Fork();
                case OP_ENDFORK -> new EndFork();
                case OP_EXIT -> new Exit();
                case OP_THREAD -> new StartThread();
                case OP_ENDTHREAD -> new EndThread();
                case OP_WAIT -> new Wait();
                // memory-control instructions and page ranges
                case OP_MLOCK -> new Instruction.Mlock(in.u8(where), in.u32(where), in.u32(where));
                case OP_MUNLOCK -> new Instruction.Munlock(in.u8(where), in.u32(where), in.u32(where));
                case OP_MLOCKALL -> new Instruction.Mlockall(in.u8(where));
                case OP_MUNLOCKALL -> new Instruction.Munlockall();
                case OP_MPROTECT -> {
                    int reg = in.u8(where);
                    int bits = in.u8(where);
                    Instruction.Protect prot = null;
                    for (Instruction.Protect p : Instruction.Protect.values()) {
                        if (p.bits() == bits) prot = p;
                    }
                    if (prot == null) {
                        throw new IllegalArgumentException("mprotect: protection " + bits + " is not 0 (none), 1 (ro) or 3 (rw)");
                    }
                    yield new Instruction.Mprotect(reg, prot, in.u32(where), in.u32(where));
                }
                case OP_MADVISE -> {
                    int reg = in.u8(where);
                    int behav = in.u8(where);
                    Instruction.Advice advice = null;
                    for (Instruction.Advice a : Instruction.Advice.values()) {
                        if (a.behav() == behav) advice = a;
                    }
                    if (advice == null) {
                        throw new IllegalArgumentException("madvise: advice " + behav + " is not 3 (willneed), 4 (dontneed) or 5 (free)");
                    }
                    yield new Instruction.Madvise(reg, advice, in.u32(where), in.u32(where));
                }
                case OP_WRITE_RANGE -> new Instruction.WriteRange(in.u8(where), in.u32(where), in.u32(where));
                case OP_VERIFY_RANGE -> new Instruction.VerifyRange(in.u8(where), in.u32(where), in.u32(where));
                case OP_UNMAP_RANGE -> new Instruction.UnmapRange(in.u8(where), in.u32(where), in.u32(where));
                default -> throw new ProgramFormatException(program, i, null,
                        String.format("unknown opcode 0x%02x at byte %d", op, at));
            };
        } catch (IllegalArgumentException e) {
            throw new ProgramFormatException(program, i, null, e.getMessage());
        }
    }

    private static Order order(int code) {
        for (Order o : Order.values()) {
            if (o.code() == code) return o;
        }
        throw new IllegalArgumentException("touch: order " + code + " is not 0 (seq), 1 (stride) or 2 (random)");
    }

    private static Access access(int code) {
        for (Access a : Access.values()) {
            if (a.code() == code) return a;
        }
        throw new IllegalArgumentException("touch: access " + code + " is neither 0 (read) nor 1 (write)");
    }

    /** The name bytes as text, anything but printable ASCII shown as '?' so a message stays one line. */
    private static String printable(byte[] raw) {
        StringBuilder s = new StringBuilder(raw.length);
        for (byte b : raw) s.append(b >= 0x21 && b <= 0x7e ? (char) b : '?');
        return s.toString();
    }

    /** A little-endian reader that reports running out of data as truncation, saying where. */
    private static final class In {
        private final byte[] data;
        int pos;

        In(byte[] data) {
            this.data = data;
        }

        private void need(int n, String where) throws ProgramFormatException {
            if (data.length - pos < n) {
                throw new ProgramFormatException("truncated program data: ends at byte " + data.length + ", inside " + where);
            }
        }

        private long le(int n, String where) throws ProgramFormatException {
            need(n, where);
            long v = 0;
            for (int k = 0; k < n; k++) v |= (data[pos + k] & 0xffL) << (8 * k);
            pos += n;
            return v;
        }

        int u8(String where) throws ProgramFormatException { return (int) le(1, where); }

        int u16(String where) throws ProgramFormatException { return (int) le(2, where); }

        long u32(String where) throws ProgramFormatException { return le(4, where); }

        long u64(String where) throws ProgramFormatException { return le(8, where); }

        byte[] bytes(int n, String where) throws ProgramFormatException {
            need(n, where);
            byte[] b = new byte[n];
            System.arraycopy(data, pos, b, 0, n);
            pos += n;
            return b;
        }
    }

    /** A little-endian writer. */
    private static final class Out {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        void u8(int v) { buf.write(v); }

        void u16(int v) { le(v, 2); }

        void u32(long v) { le(v, 4); }

        void u64(long v) { le(v, 8); }

        void bytes(byte[] b) { buf.writeBytes(b); }

        /** opcode, u8 register, u8 {@code arg} unless negative, u32 page, u32 count. */
        void regRange(int op, int reg, int arg, long page, long count) {
            u8(op);
            u8(reg);
            if (arg >= 0) u8(arg);
            u32(page);
            u32(count);
        }

        private void le(long v, int n) {
            for (int k = 0; k < n; k++) buf.write((int) (v >>> (8 * k)));
        }

        byte[] toByteArray() { return buf.toByteArray(); }
    }
}
