package org.dfemu.emulator.trace;

import static org.dfemu.emulator.trace.TraceFormat.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * A trace file's header (see {@link TraceFormat}): encoded by the writer at open, decoded and
 * validated by the reader. Immutable.
 */
final class TraceHeader {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Event names indexed by type; unmodifiable. */
    final List<String> names;
    /** The enabled bitmap as 64-bit words: bit (t &amp; 63) of word t &gt;&gt; 6. */
    private final long[] enabledWords;
    /** Offset of record 0. */
    final long headerBytes;
    /** The writer closed the file cleanly. */
    final boolean closed;
    /** recordCount from the header; meaningful only if {@link #closed}. */
    final long declaredRecords;

    private TraceHeader(List<String> names, long[] enabledWords, long headerBytes, boolean closed, long declaredRecords) {
        this.names = names;
        this.enabledWords = enabledWords;
        this.headerBytes = headerBytes;
        this.closed = closed;
        this.declaredRecords = declaredRecords;
    }

    boolean enabled(int type) {
        return type > 0 && type < names.size() && (enabledWords[type >>> 6] & (1L << type)) != 0;
    }

    /** A copy of the enabled bitmap as 64-bit words (the writer keeps it for its fast path). */
    long[] enabledWords() {
        return enabledWords.clone();
    }

    /**
     * Builds the header of a new trace, with CLOSED clear and recordCount 0.
     *
     * @throws IllegalArgumentException if there are no names or more than 65536, a name is empty,
     *         longer than 255 bytes, not printable ASCII or repeated, or {@code enabled} has type 0
     *         or a type without a name set. No requirements.
     */
    static TraceHeader create(List<String> names, BitSet enabled) {
        int n = names.size();
        if (n < 1 || n > MAX_TYPES) {
            throw new IllegalArgumentException("trace: " + n + " event names, expected 1.." + MAX_TYPES);
        }
        Set<String> seen = new HashSet<>();
        for (int t = 0; t < n; t++) {
            String name = names.get(t);
            checkName(t, name);
            if (!seen.add(name)) {
                throw new IllegalArgumentException("trace: event name '" + name + "' of type " + t + " is used twice");
            }
        }
        if (enabled.get(0)) {
            throw new IllegalArgumentException("trace: type 0 marks the end of the records and cannot be enabled");
        }
        if (enabled.length() > n) {
            throw new IllegalArgumentException("trace: type " + (enabled.length() - 1)
                    + " is enabled but has no name (there are " + n + " names)");
        }
        long[] words = new long[(int) (enabledBytes(n) / 8)];
        long[] given = enabled.toLongArray();
        System.arraycopy(given, 0, words, 0, given.length);
        return new TraceHeader(List.copyOf(names), words, headerBytes(n, namesBytes(names)), false, 0);
    }

    private static void checkName(int type, String name) {
        if (name.isEmpty() || name.length() > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("trace: name of type " + type + " must be 1.." + MAX_NAME_BYTES
                    + " characters, is " + name.length());
        }
        for (int i = 0; i < name.length(); i++) {
            if (!isNameByte(name.charAt(i))) {
                throw new IllegalArgumentException("trace: name of type " + type + " ('" + name
                        + "') must be printable ASCII without spaces");
            }
        }
    }

    private static long namesBytes(List<String> names) {
        long total = 0;
        for (String name : names) total += 1 + name.length();
        return total;
    }

    /** The header's bytes, {@link #headerBytes} long, with its checksum filled in. No requirements. */
    byte[] encode() {
        int n = names.size();
        ByteBuffer b = ByteBuffer.allocate((int) headerBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(OFF_MAGIC, MAGIC);
        b.putInt(OFF_VERSION, VERSION);
        b.putInt(OFF_RECORD_BYTES, RECORD_BYTES);
        b.putInt(OFF_HEADER_BYTES, (int) headerBytes);
        b.putInt(OFF_TYPE_COUNT, n);
        b.putInt(OFF_NAMES_BYTES, (int) namesBytes(names));
        b.putInt(OFF_FLAGS, closed ? FLAG_CLOSED : 0);
        b.putLong(OFF_RECORD_COUNT, declaredRecords);
        for (int w = 0; w < enabledWords.length; w++) b.putLong(OFF_ENABLED + 8 * w, enabledWords[w]);
        int p = OFF_ENABLED + enabledWords.length * 8;
        for (String name : names) {
            b.put(p++, (byte) name.length());
            byte[] ascii = name.getBytes(StandardCharsets.US_ASCII);
            b.put(p, ascii);
            p += ascii.length;
        }
        b.putInt(OFF_HEADER_CRC, crc(MemorySegment.ofArray(b.array()), headerBytes));
        return b.array();
    }

    private static int crc(MemorySegment file, long headerBytes) {
        CRC32C crc = new CRC32C();
        crc.update(file.asSlice(0, OFF_HEADER_CRC).asByteBuffer());
        crc.update(file.asSlice(FIXED_HEADER_BYTES, headerBytes - FIXED_HEADER_BYTES).asByteBuffer());
        return (int) crc.getValue();
    }

    /**
     * Reads and validates the header at the start of {@code file} (the whole file, mapped).
     *
     * @param source the file's name, for messages
     * @throws TraceFormatException naming the first problem found, in the order listed in
     *         {@link TraceFormat}. No requirements.
     */
    static TraceHeader decode(MemorySegment file, String source) throws TraceFormatException {
        long size = file.byteSize();
        if (size < FIXED_HEADER_BYTES) {
            throw bad(source, "truncated header: the file is " + size + " bytes, a trace header has at least "
                    + FIXED_HEADER_BYTES);
        }
        long magic = file.get(U64, OFF_MAGIC);
        if (magic != MAGIC) {
            byte[] seen = file.asSlice(OFF_MAGIC, 8).toArray(ValueLayout.JAVA_BYTE);
            throw bad(source, "not a dfemu trace: magic is " + HexFormat.ofDelimiter(" ").formatHex(seen)
                    + ", expected 44 46 45 4d 55 54 52 43 (\"DFEMUTRC\")");
        }
        long version = Integer.toUnsignedLong(file.get(U32, OFF_VERSION));
        if (version != VERSION) {
            throw bad(source, "trace format version " + version + " is not supported (this dfemu reads version "
                    + VERSION + ")");
        }
        long recordBytes = Integer.toUnsignedLong(file.get(U32, OFF_RECORD_BYTES));
        if (recordBytes != RECORD_BYTES) {
            throw bad(source, "record size mismatch: the header says " + recordBytes + " bytes, format version "
                    + VERSION + " has " + RECORD_BYTES);
        }
        long n = Integer.toUnsignedLong(file.get(U32, OFF_TYPE_COUNT));
        if (n < 1 || n > MAX_TYPES) {
            throw bad(source, "corrupt header: type count " + n + " is outside 1.." + MAX_TYPES);
        }
        long namesBytes = Integer.toUnsignedLong(file.get(U32, OFF_NAMES_BYTES));
        long headerBytes = Integer.toUnsignedLong(file.get(U32, OFF_HEADER_BYTES));
        long expected = headerBytes(n, namesBytes);
        if (headerBytes != expected) {
            throw bad(source, "corrupt header: header size " + headerBytes + " does not match " + n
                    + " types and a " + namesBytes + "-byte name table (expected " + expected + ")");
        }
        if (size < headerBytes) {
            throw bad(source, "truncated header: the header is " + headerBytes + " bytes, the file has only " + size);
        }
        int storedCrc = file.get(U32, OFF_HEADER_CRC);
        int actualCrc = crc(file, headerBytes);
        if (storedCrc != actualCrc) {
            throw bad(source, "corrupt header: checksum is " + hex32(storedCrc) + " but the header's bytes give "
                    + hex32(actualCrc));
        }
        int flags = file.get(U32, OFF_FLAGS);
        if ((flags & ~FLAG_CLOSED) != 0 || file.get(U32, OFF_RESERVED) != 0) {
            throw bad(source, "corrupt header: unknown flag bits in " + hex32(flags) + " or nonzero reserved field");
        }
        long[] words = new long[(int) (enabledBytes(n) / 8)];
        for (int w = 0; w < words.length; w++) words[w] = file.get(U64, OFF_ENABLED + 8L * w);
        long lastWordUsed = n % 64 == 0 ? -1L : (1L << (n % 64)) - 1;
        if ((words[0] & 1) != 0 || (words[words.length - 1] & ~lastWordUsed) != 0) {
            throw bad(source, "corrupt header: the enabled bitmap has type 0 or a type beyond " + (n - 1) + " set");
        }
        List<String> names = decodeNames(file, OFF_ENABLED + 8L * words.length, namesBytes, (int) n, source);
        boolean closed = (flags & FLAG_CLOSED) != 0;
        return new TraceHeader(names, words, headerBytes, closed, file.get(U64, OFF_RECORD_COUNT));
    }

    private static List<String> decodeNames(MemorySegment file, long start, long namesBytes, int n, String source)
            throws TraceFormatException {
        long end = start + namesBytes;
        long p = start;
        List<String> names = new ArrayList<>(n);
        Set<String> seen = new HashSet<>();
        for (int t = 0; t < n; t++) {
            int len = p < end ? Byte.toUnsignedInt(file.get(ValueLayout.JAVA_BYTE, p)) : 0;
            if (len == 0 || p + 1 + len > end) {
                throw bad(source, "corrupt header: the name of type " + t + " is empty or runs past the "
                        + namesBytes + "-byte name table");
            }
            byte[] ascii = file.asSlice(p + 1, len).toArray(ValueLayout.JAVA_BYTE);
            for (byte c : ascii) {
                if (!isNameByte(c)) {
                    throw bad(source, "corrupt header: the name of type " + t + " has a byte that is not printable ASCII");
                }
            }
            String name = new String(ascii, StandardCharsets.US_ASCII);
            if (!seen.add(name)) {
                throw bad(source, "corrupt header: event name '" + name + "' appears twice");
            }
            names.add(name);
            p += 1 + len;
        }
        if (p != end) {
            throw bad(source, "corrupt header: the name table is " + namesBytes + " bytes but its " + n
                    + " names take " + (p - start));
        }
        return List.copyOf(names);
    }

    private static String hex32(int v) {
        return "0x" + HexFormat.of().toHexDigits(v);
    }

    private static TraceFormatException bad(String source, String problem) {
        return new TraceFormatException(source + ": " + problem);
    }
}
