package org.dfemu.tools.inspect;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.Inflater;
import org.dfemu.emulator.disk.BlockOp;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.emulator.api.Held;
import org.dfemu.emulator.sched.ThreadInfo;
import org.dfemu.emulator.sched.ThreadState;
import org.dfemu.kernel.harness.witness.LockMode;
import org.dfemu.kernel.kern.KernLock;

/**
 * The core file: the machine at the moment a run failed (or ended), as {@code dfemu inspect}
 * reads it. The format is documented field by field in docs/core-format.md; this class is its
 * one reader and writer.
 *
 * <p>Layout (big-endian): the 8-byte magic {@code DFEMUCOR}, a u16 version, a u16 of flags (0),
 * a u32 section count, the sections, then the trailer: the 8-byte {@code DFEMUEND} and the u64
 * length of the whole file. Each section is a 4-character tag, a u8 encoding (0 stored, 1
 * deflated with the JDK's {@link Deflater}), the u64 length of its payload once decoded, the u64
 * length stored, the CRC-32 of the stored bytes and the stored bytes.
 *
 * <p>Writing is atomic: the file is written to a temporary file in the same directory, forced to
 * the disk and renamed over the final name, so a core under its final name is always whole.
 */
public final class CoreFile {
    private CoreFile() {}

    static final byte[] MAGIC = "DFEMUCOR".getBytes(StandardCharsets.US_ASCII);
    static final byte[] TRAILER = "DFEMUEND".getBytes(StandardCharsets.US_ASCII);
    /** The format version this build writes and reads. */
    public static final int VERSION = 1;
    static final int ENC_STORED = 0;
    static final int ENC_DEFLATE = 1;
    /** A core larger than this is refused before it is read (one Java array holds the file). */
    static final long MAX_FILE = Integer.MAX_VALUE - 64;

    /** One CPU: its CR3, the thread on it (0: idle) and its TLB's entries as [va, data] pairs. */
    public record CpuState(int id, long cr3, int curtid, long[] tlb) {}

    /** One block-device request in flight. */
    public record Io(String disk, long id, BlockOp op, long sector, long count, long completionNs) {}

    /** Something wrong with a core file: the message is the one line {@code inspect} prints. */
    public static final class CoreException extends Exception {
        public CoreException(String message) { super(message, null, false, false); }
    }

    /**
     * A core's contents. {@code meta} and {@code settings} keep their order; {@code ram} holds the
     * RAM section still encoded (decoded into a machine's RAM by {@link #loadRam}).
     */
    public record Core(int version, Map<String, String> meta, Map<String, String> settings, List<CpuState> cpus,
                       List<ThreadInfo> threads, List<Io> io, List<String> dmesg, long ramSize, Section ram) {
        /** A metadata value, or "" if absent. */
        public String meta(String key) { return meta.getOrDefault(key, ""); }

        /**
         * Zeroes {@code dst} and writes every page the core holds into it. @throws CoreException if
         * the RAM section does not decode or names a page outside {@code dst}.
         */
        public void loadRam(PhysicalMemory dst) throws CoreException {
            if (dst.size() != ramSize) throw new CoreException("RAM section: " + ramSize + " bytes, the machine has " + dst.size());
            // Streamed: a large machine's RAM does not fit one array once inflated.
            java.io.InputStream stored = new java.io.ByteArrayInputStream(ram.stored());
            if (ram.encoding() == ENC_DEFLATE) stored = new java.util.zip.InflaterInputStream(stored);
            try {
                DataInputStream in = new DataInputStream(stored);
                long size = in.readLong();
                long pages = in.readLong();
                if (size != ramSize || pages < 0 || pages > size / PhysicalMemory.PAGE_SIZE
                        || ram.rawLength() != 16 + pages * (8 + PhysicalMemory.PAGE_SIZE)) {
                    throw new CoreException("RAM section: bad header (size " + size + ", " + pages + " pages)");
                }
                dst.fill(0, dst.size(), (byte) 0);
                byte[] page = new byte[PhysicalMemory.PAGE_SIZE];
                long last = -1;
                for (long i = 0; i < pages; i++) {
                    long pfn = in.readLong();
                    if (pfn <= last || pfn >= size / PhysicalMemory.PAGE_SIZE) {
                        throw new CoreException("RAM section: page " + i + " has frame number " + pfn + " (out of order or past the end)");
                    }
                    last = pfn;
                    in.readFully(page);
                    dst.write(pfn * PhysicalMemory.PAGE_SIZE, page, 0, page.length);
                }
                if (in.read() != -1) throw new CoreException("RAM section: bytes after its last page");
            } catch (IOException e) {
                throw new CoreException("RAM section: bad or truncated data (" + e.getMessage() + ")");
            }
        }
    }

    /** One section as stored. */
    public record Section(String tag, int encoding, long rawLength, byte[] stored) {
        byte[] decode(String what) throws CoreException {
            if (encoding == ENC_STORED) {
                if (stored.length != rawLength) throw new CoreException(what + " section: length " + stored.length + ", header says " + rawLength);
                return stored;
            }
            if (rawLength > Integer.MAX_VALUE - 16) throw new CoreException(what + " section: " + rawLength + " bytes decoded is too large");
            Inflater inf = new Inflater();
            try {
                inf.setInput(stored);
                byte[] out = new byte[(int) rawLength];
                int n = 0;
                while (n < out.length) {
                    int got = inf.inflate(out, n, out.length - n);
                    if (got == 0 && (inf.finished() || inf.needsInput() || inf.needsDictionary())) break;
                    n += got;
                }
                if (n != rawLength || !inf.finished()) {
                    throw new CoreException(what + " section: deflated data gives " + n + " bytes, header says " + rawLength);
                }
                return out;
            } catch (DataFormatException e) {
                throw new CoreException(what + " section: bad deflate data (" + e.getMessage() + ")");
            } finally {
                inf.end();
            }
        }
    }

    // ---- writing ------------------------------------------------------------------------------

    /** What a writer puts in a core; built by {@link CoreWriter}. */
    record Contents(Map<String, String> meta, Map<String, String> settings, List<CpuState> cpus,
                    List<ThreadInfo> threads, List<Io> io, List<String> dmesg, PhysicalMemory ram) {}

    /** Writes {@code c} to {@code file} atomically; returns the file's length. */
    static long write(Path file, Contents c) throws IOException {
        List<Section> sections = new ArrayList<>();
        sections.add(encode("META", false, out -> writeMap(out, c.meta())));
        sections.add(encode("ENV ", false, out -> writeMap(out, c.settings())));
        sections.add(encode("CPUS", true, out -> {
            out.writeInt(c.cpus().size());
            for (CpuState s : c.cpus()) {
                out.writeInt(s.id());
                out.writeLong(s.cr3());
                out.writeInt(s.curtid());
                out.writeInt(s.tlb().length / 2);
                for (long w : s.tlb()) out.writeLong(w);
            }
        }));
        sections.add(encode("THRD", true, out -> {
            out.writeInt(c.threads().size());
            for (ThreadInfo t : c.threads()) writeThread(out, t);
        }));
        sections.add(encode("BIO ", false, out -> {
            out.writeInt(c.io().size());
            for (Io r : c.io()) {
                writeString(out, r.disk());
                out.writeLong(r.id());
                writeString(out, r.op().name());
                out.writeLong(r.sector());
                out.writeLong(r.count());
                out.writeLong(r.completionNs());
            }
        }));
        sections.add(encode("DMSG", true, out -> {
            out.writeInt(c.dmesg().size());
            for (String l : c.dmesg()) writeString(out, l);
        }));
        sections.add(ramSection(c.ram()));

        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteArrayOutputStream head = new ByteArrayOutputStream();
                DataOutputStream h = new DataOutputStream(head);
                h.write(MAGIC);
                h.writeShort(VERSION);
                h.writeShort(0);
                h.writeInt(sections.size());
                long length = head.size();
                writeAll(ch, head.toByteArray());
                for (Section s : sections) {
                    ByteArrayOutputStream sh = new ByteArrayOutputStream();
                    DataOutputStream d = new DataOutputStream(sh);
                    d.write(s.tag().getBytes(StandardCharsets.US_ASCII));
                    d.writeByte(s.encoding());
                    d.writeLong(s.rawLength());
                    d.writeLong(s.stored().length);
                    CRC32 crc = new CRC32();
                    crc.update(s.stored());
                    d.writeInt((int) crc.getValue());
                    writeAll(ch, sh.toByteArray());
                    writeAll(ch, s.stored());
                    length += sh.size() + s.stored().length;
                }
                ByteArrayOutputStream tail = new ByteArrayOutputStream();
                DataOutputStream t = new DataOutputStream(tail);
                t.write(TRAILER);
                length += TRAILER.length + 8;
                t.writeLong(length);
                writeAll(ch, tail.toByteArray());
                ch.force(true);
            }
            try {
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException ignored) {
                // No POSIX modes here: the temporary file's are kept.
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException ignored) {
            // Some file systems cannot open a directory for fsync; the rename is done either way.
        }
        return Files.size(file);
    }

    private static void writeAll(FileChannel ch, byte[] b) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(b);
        while (buf.hasRemaining()) ch.write(buf);
    }

    private interface Body {
        void write(DataOutputStream out) throws IOException;
    }

    private static Section encode(String tag, boolean deflate, Body body) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(raw);
        body.write(out);
        out.flush();
        byte[] bytes = raw.toByteArray();
        if (!deflate) return new Section(tag, ENC_STORED, bytes.length, bytes);
        ByteArrayOutputStream packed = new ByteArrayOutputStream();
        Deflater d = new Deflater(Deflater.BEST_SPEED);
        try (DeflaterOutputStream z = new DeflaterOutputStream(packed, d)) {
            z.write(bytes);
        } finally {
            d.end();
        }
        return new Section(tag, ENC_DEFLATE, bytes.length, packed.toByteArray());
    }

    /**
     * The RAM section: the size, the count of pages held, then each page that is not all zero as
     * its frame number and its 4096 bytes, in frame order; deflated (BEST_SPEED).
     */
    private static Section ramSection(PhysicalMemory ram) throws IOException {
        long frames = ram.pageCount();
        java.util.BitSet nonzero = new java.util.BitSet((int) frames);
        var seg = ram.segment();
        for (long f = 0; f < frames; f++) {
            long base = f * PhysicalMemory.PAGE_SIZE;
            for (long off = 0; off < PhysicalMemory.PAGE_SIZE; off += 8) {
                if (seg.get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, base + off) != 0) {
                    nonzero.set((int) f);
                    break;
                }
            }
        }
        long pages = nonzero.cardinality();
        long rawLength = 16 + pages * (8 + PhysicalMemory.PAGE_SIZE);
        ByteArrayOutputStream packed = new ByteArrayOutputStream();
        Deflater d = new Deflater(Deflater.BEST_SPEED);
        try (DataOutputStream out = new DataOutputStream(new DeflaterOutputStream(packed, d, 1 << 16))) {
            out.writeLong(ram.size());
            out.writeLong(pages);
            byte[] page = new byte[PhysicalMemory.PAGE_SIZE];
            for (int f = nonzero.nextSetBit(0); f >= 0; f = nonzero.nextSetBit(f + 1)) {
                out.writeLong(f);
                ram.read((long) f * PhysicalMemory.PAGE_SIZE, page, 0, page.length);
                out.write(page);
            }
        } finally {
            d.end();
        }
        return new Section("RAM ", ENC_DEFLATE, rawLength, packed.toByteArray());
    }

    private static void writeMap(DataOutputStream out, Map<String, String> m) throws IOException {
        out.writeInt(m.size());
        for (Map.Entry<String, String> e : m.entrySet()) {
            writeString(out, e.getKey());
            writeString(out, e.getValue());
        }
    }

    private static void writeThread(DataOutputStream out, ThreadInfo t) throws IOException {
        out.writeInt(t.tid());
        writeString(out, t.name());
        out.writeInt(t.cpu());
        out.writeLong(t.td());
        writeString(out, t.state().name());
        out.writeLong(t.wchan());
        writeNullable(out, t.wmesg());
        out.writeLong(t.timeoutAtNs());
        out.writeInt(t.preemptCount());
        out.writeInt(t.frames().size());
        for (String f : t.frames()) writeString(out, f);
        out.writeLong(t.switches());
        out.writeLong(t.cpuNs());
        ThreadInfo.Wait w = t.waitsFor();
        out.writeBoolean(w != null);
        if (w != null) {
            LockMode mode = lockMode(w.mode());
            out.writeLong(w.addr());
            writeNullable(out, mode == LockMode.SPIN ? null : w.name());
            writeString(out, mode.name());
            out.writeLong(w.word());
            out.writeInt(w.holders().size());
            for (ThreadInfo.Holder h : w.holders()) {
                out.writeInt(h.tid());
                writeString(out, h.name());
                writeString(out, h.state().name());
            }
        }
        out.writeInt(t.held().size());
        for (Held h : t.held()) {
            LockMode mode = lockMode(h.mode());
            out.writeLong(h.addr());
            writeNullable(out, mode == LockMode.SPIN ? null : h.name());
            writeString(out, mode.name());
        }
    }

    /**
     * The kernel's lock mode a report's mode word names. The format keeps lock waits and holds
     * in the kernel's terms (docs/core-format.md): the mode's constant name, and no name for a
     * spin lock (struct spinlock has none), which reading gives back as "spin lock".
     */
    private static LockMode lockMode(String word) {
        for (LockMode m : LockMode.values()) {
            if (m.word().equals(word)) return m;
        }
        throw new IllegalArgumentException("core: unknown lock mode " + word);
    }

    private static String lockName(String stored, LockMode mode) {
        return mode == LockMode.SPIN && stored == null ? LockMode.SPIN_LOCK_NAME : stored;
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static void writeNullable(DataOutputStream out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) writeString(out, s);
    }

    // ---- reading ------------------------------------------------------------------------------

    /**
     * Reads and checks {@code file}: magic, version, every section's header and CRC-32, the
     * trailer; decodes every section but RAM (checked, decoded by {@link Core#loadRam}).
     *
     * @throws CoreException naming the problem in one line (missing file, truncated, corrupt); the
     *         caller names the file
     */
    public static Core read(Path file) throws CoreException {
        byte[] all;
        try {
            long size = Files.size(file);
            if (size > MAX_FILE) throw new CoreException(size + " bytes is larger than any core (" + MAX_FILE + ")");
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new CoreException("no such core file");
        } catch (IOException e) {
            throw new CoreException("cannot read (" + e.getMessage() + ")");
        }
        return parse(all);
    }

    static Core parse(byte[] all) throws CoreException {
        if (all.length < MAGIC.length || !java.util.Arrays.equals(all, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new CoreException("not a dfemu core file (bad magic)");
        }
        ByteBuffer b = ByteBuffer.wrap(all);
        b.position(MAGIC.length);
        if (b.remaining() < 8) throw new CoreException("truncated core: header cut at byte " + all.length);
        int version = Short.toUnsignedInt(b.getShort());
        if (version != VERSION) throw new CoreException("core format version " + version + ", this dfemu reads version " + VERSION);
        b.getShort();
        long count = Integer.toUnsignedLong(b.getInt());
        if (count > 64) throw new CoreException("corrupt core: " + count + " sections");
        Map<String, Section> sections = new LinkedHashMap<>();
        for (long i = 0; i < count; i++) {
            if (b.remaining() < 29) throw new CoreException("truncated core: section " + i + " header cut at byte " + all.length);
            byte[] tagb = new byte[4];
            b.get(tagb);
            String tag = new String(tagb, StandardCharsets.US_ASCII);
            int enc = Byte.toUnsignedInt(b.get());
            long raw = b.getLong();
            long stored = b.getLong();
            int crc = b.getInt();
            if (enc != ENC_STORED && enc != ENC_DEFLATE) throw new CoreException("corrupt core: section '" + tag + "' has encoding " + enc);
            if (stored < 0 || raw < 0) throw new CoreException("corrupt core: section '" + tag + "' has a negative length");
            if (stored > b.remaining()) {
                throw new CoreException("truncated core: section '" + tag.trim() + "' needs " + stored + " bytes, " + b.remaining() + " left");
            }
            byte[] data = new byte[(int) stored];
            b.get(data);
            CRC32 c = new CRC32();
            c.update(data);
            if ((int) c.getValue() != crc) throw new CoreException("corrupt core: section '" + tag.trim() + "' fails its CRC-32 check");
            sections.put(tag, new Section(tag, enc, raw, data));
        }
        if (b.remaining() < TRAILER.length + 8) throw new CoreException("truncated core: no trailer (file ends at byte " + all.length + ")");
        byte[] t = new byte[TRAILER.length];
        b.get(t);
        if (!java.util.Arrays.equals(t, TRAILER)) throw new CoreException("corrupt core: bad trailer");
        long length = b.getLong();
        if (length != all.length) throw new CoreException("corrupt core: trailer says " + length + " bytes, file has " + all.length);
        if (b.hasRemaining()) throw new CoreException("corrupt core: " + b.remaining() + " bytes after the trailer");

        try {
            Map<String, String> meta = readMap(in(sections, "META"));
            Map<String, String> settings = readMap(in(sections, "ENV "));
            DataInputStream ci = in(sections, "CPUS");
            int ncpu = count(ci, 64, "CPUS");
            List<CpuState> cpus = new ArrayList<>();
            for (int i = 0; i < ncpu; i++) {
                int id = ci.readInt();
                long cr3 = ci.readLong();
                int cur = ci.readInt();
                int n = count(ci, 1 << 16, "CPUS");
                long[] tlb = new long[2 * n];
                for (int k = 0; k < tlb.length; k++) tlb[k] = ci.readLong();
                cpus.add(new CpuState(id, cr3, cur, tlb));
            }
            DataInputStream ti = in(sections, "THRD");
            int nt = count(ti, 1 << 20, "THRD");
            List<ThreadInfo> threads = new ArrayList<>();
            for (int i = 0; i < nt; i++) threads.add(readThread(ti));
            DataInputStream bi = in(sections, "BIO ");
            int nio = count(bi, 1 << 20, "BIO");
            List<Io> io = new ArrayList<>();
            for (int i = 0; i < nio; i++) {
                io.add(new Io(readString(bi), bi.readLong(), BlockOp.valueOf(readString(bi)), bi.readLong(), bi.readLong(),
                        bi.readLong()));
            }
            DataInputStream di = in(sections, "DMSG");
            int nd = count(di, 1 << 20, "DMSG");
            List<String> dmesg = new ArrayList<>();
            for (int i = 0; i < nd; i++) dmesg.add(readString(di));
            Section ram = sections.get("RAM ");
            if (ram == null) throw new CoreException("corrupt core: no RAM section");
            long ramSize;
            try {
                ramSize = Long.parseLong(meta.getOrDefault("ram_bytes", "-1"));
            } catch (NumberFormatException e) {
                throw new CoreException("corrupt core: META ram_bytes is not a number");
            }
            if (ramSize < PhysicalMemory.MIN_SIZE || (ramSize & (PhysicalMemory.PAGE_SIZE - 1)) != 0) {
                throw new CoreException("corrupt core: META ram_bytes " + ramSize + " is not a machine's RAM size");
            }
            return new Core(version, meta, settings, cpus, threads, io, dmesg, ramSize, ram);
        } catch (IOException | IllegalArgumentException e) {
            throw new CoreException("corrupt core: a section ends early or holds a bad value (" + e.getMessage() + ")");
        }
    }

    private static DataInputStream in(Map<String, Section> sections, String tag) throws CoreException {
        Section s = sections.get(tag);
        if (s == null) throw new CoreException("corrupt core: no " + tag.trim() + " section");
        return new DataInputStream(new java.io.ByteArrayInputStream(s.decode(tag.trim())));
    }

    private static int count(DataInputStream in, int max, String what) throws IOException, CoreException {
        int n = in.readInt();
        if (n < 0 || n > max) throw new CoreException("corrupt core: " + what + " section has a count of " + n);
        return n;
    }

    private static Map<String, String> readMap(DataInputStream in) throws IOException, CoreException {
        int n = count(in, 1 << 16, "META/ENV");
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) m.put(readString(in), readString(in));
        return m;
    }

    private static ThreadInfo readThread(DataInputStream in) throws IOException, CoreException {
        int tid = in.readInt();
        String name = readString(in);
        int cpu = in.readInt();
        long td = in.readLong();
        ThreadState state = ThreadState.valueOf(readString(in));
        long wchan = in.readLong();
        String wmesg = readNullable(in);
        long timeout = in.readLong();
        int crit = in.readInt();
        int nf = count(in, 1 << 16, "THRD");
        List<String> frames = new ArrayList<>();
        for (int i = 0; i < nf; i++) frames.add(readString(in));
        long switches = in.readLong();
        long cpuNs = in.readLong();
        ThreadInfo.Wait wait = null;
        if (in.readBoolean()) {
            long pa = in.readLong();
            String lname = readNullable(in);
            LockMode mode = LockMode.valueOf(readString(in));
            long word = in.readLong();
            int nh = count(in, 1 << 16, "THRD");
            List<ThreadInfo.Holder> holders = new ArrayList<>();
            for (int i = 0; i < nh; i++) holders.add(new ThreadInfo.Holder(in.readInt(), readString(in), ThreadState.valueOf(readString(in))));
            boolean shared = mode != LockMode.SPIN && KernLock.lkcShared(word);
            wait = new ThreadInfo.Wait(pa, lockName(lname, mode), mode.word(), word, shared, holders);
        }
        int nh = count(in, 1 << 16, "THRD");
        List<Held> held = new ArrayList<>();
        for (int i = 0; i < nh; i++) {
            long pa = in.readLong();
            String hname = readNullable(in);
            LockMode mode = LockMode.valueOf(readString(in));
            held.add(new Held(pa, lockName(hname, mode), mode.word()));
        }
        return new ThreadInfo(tid, name, cpu, td, state, wchan, wmesg, timeout, crit, frames, switches, cpuNs, wait, held);
    }

    private static String readString(DataInputStream in) throws IOException, CoreException {
        int n = in.readInt();
        if (n < 0 || n > in.available()) throw new CoreException("corrupt core: a string of " + n + " bytes runs past its section");
        byte[] b = new byte[n];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private static String readNullable(DataInputStream in) throws IOException, CoreException {
        return in.readBoolean() ? readString(in) : null;
    }
}
