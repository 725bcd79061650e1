package org.dfemu.emulator.trace;

/**
 * The dfemu trace file format, version 1. This comment is the specification: {@link TraceWriter}
 * writes it, {@link TraceReader} reads it, and a tool in any language can read it from this text
 * alone. Every multi-byte integer is little-endian; "u32" is unsigned 32-bit, "i64" signed 64-bit.
 *
 * <h2>File</h2>
 * <pre>
 *   offset 0        header (H bytes, H a multiple of 64)
 *   offset H        record 0
 *   offset H + 48*i record i
 * </pre>
 *
 * <h2>Header</h2>
 * <pre>
 *   offset  size  field
 *        0     8  magic        the ASCII bytes "DFEMUTRC" (44 46 45 4d 55 54 52 43)
 *        8     4  version      u32, 1
 *       12     4  recordBytes  u32, 48 (the size of one record)
 *       16     4  headerBytes  u32, H = roundUp(48 + B + T, 64): offset of record 0
 *       20     4  typeCount    u32, N in 1..65536: number of event types (entries of the name table)
 *       24     4  namesBytes   u32, T: length of the name table in bytes
 *       28     4  headerCrc    u32, CRC-32C (Castagnoli, as java.util.zip.CRC32C) of bytes [0, 28)
 *                              followed by bytes [48, H); written at open, never changes
 *       32     4  flags        u32, bit 0 CLOSED: the writer closed the file cleanly; other bits 0
 *       36     4  reserved     u32, 0
 *       40     8  recordCount  u64, number of records; meaningful only when CLOSED is set
 *       48     B  enabled      bitmap, B = 8 * ceil(N / 64) bytes: bit (t &amp; 7) of byte 48 + (t &gt;&gt; 3)
 *                              is set if events of type t were being recorded (the category mask
 *                              chosen at open); bit 0 and bits N and above are 0
 *   48 + B     T  names        N entries, entry t names type t: one byte L (1..255), then L bytes
 *                              of printable ASCII (0x21..0x7e, no space); names are distinct
 *   48+B+T        padding      zero bytes up to H
 * </pre>
 * The header holds nothing about the host (no time, no path, no user), so the same records give
 * the same file bytes.
 *
 * <h2>Record (48 bytes)</h2>
 * <pre>
 *   offset  size  field
 *        0     8  timeNs  i64, virtual time of the event in nanoseconds
 *        8     2  type    u16, event type, 1..N-1 (index into the name table; 0 is never written)
 *       10     2  cpu     u16, CPU the event happened on; 0xFFFF = interrupt context (read as -1)
 *       12     4  thread  i32, emulated thread id
 *       16     8  a0      i64, arguments; their meaning is given by the type
 *       24     8  a1      i64
 *       32     8  a2      i64
 *       40     8  a3      i64
 * </pre>
 *
 * <h2>Where the records end (crash rule)</h2>
 * The writer extends the file ahead of itself in chunks of zero bytes, so a file whose writer was
 * killed before closing is longer than its records and ends in zeros. It writes bytes 0..7 and
 * 12..47 of a record first and the 32-bit word at offset 8 (type and cpu) last, with release
 * ordering, so a record whose type is nonzero is whole. A reader therefore takes as records:
 * <ol>
 *   <li>if CLOSED is set and the file holds at least recordCount whole records: the first
 *       recordCount records (a record of type 0 among them means the file was damaged);</li>
 *   <li>otherwise (killed before close, or cut short by copying): the records before the first
 *       record whose type is 0, among the whole records the file holds ((file length - H) / 48,
 *       rounded down). Anything after that first zero type is ignored.</li>
 * </ol>
 * On a clean close the writer sets recordCount, then CLOSED, then cuts the file to exactly
 * H + 48 * recordCount bytes.
 *
 * <h2>Validation</h2>
 * A reader rejects, in this order: a file shorter than 48 bytes; a wrong magic; a version other
 * than 1; a recordBytes other than 48; a typeCount outside 1..65536; a headerBytes that does not
 * match typeCount and namesBytes; a file shorter than headerBytes; a headerCrc that does not match;
 * unknown flag bits, enabled bits for type 0 or beyond N, or a malformed name table. Each is a
 * {@link TraceFormatException} naming the problem.
 */
public final class TraceFormat {
    private TraceFormat() {}

    /** "DFEMUTRC" read as a little-endian u64. */
    public static final long MAGIC = 0x4352_5455_4d45_4644L;
    public static final int VERSION = 1;
    public static final int RECORD_BYTES = 48;
    /** Size of the fixed part of the header, before the enabled bitmap. */
    static final int FIXED_HEADER_BYTES = 48;
    /** Header size is rounded up to this, so records start aligned. */
    static final int HEADER_ALIGN = 64;
    public static final int MAX_TYPES = 1 << 16;
    public static final int MAX_NAME_BYTES = 255;

    // Header field offsets.
    static final int OFF_MAGIC = 0;
    static final int OFF_VERSION = 8;
    static final int OFF_RECORD_BYTES = 12;
    static final int OFF_HEADER_BYTES = 16;
    static final int OFF_TYPE_COUNT = 20;
    static final int OFF_NAMES_BYTES = 24;
    static final int OFF_HEADER_CRC = 28;
    static final int OFF_FLAGS = 32;
    static final int OFF_RESERVED = 36;
    static final int OFF_RECORD_COUNT = 40;
    static final int OFF_ENABLED = FIXED_HEADER_BYTES;

    /** Flag bit: the writer closed the file and recordCount is valid. */
    static final int FLAG_CLOSED = 1;

    // Record field offsets.
    static final int REC_TIME = 0;
    static final int REC_TYPE = 8;
    /** The 32-bit commit word (type in the low half, cpu in the high half), written last. */
    static final int REC_TYPE_CPU = 8;
    /** The cpu field's value for events with no CPU (device completions in interrupt context). */
    static final int NO_CPU = 0xFFFF;
    static final int REC_THREAD = 12;
    static final int REC_A0 = 16;
    static final int REC_A1 = 24;
    static final int REC_A2 = 32;
    static final int REC_A3 = 40;

    /** Bytes of the enabled bitmap for {@code typeCount} types (whole 64-bit words). */
    static long enabledBytes(long typeCount) {
        return 8 * ((typeCount + 63) / 64);
    }

    /** Header size for a given type count and name-table length. */
    static long headerBytes(long typeCount, long namesBytes) {
        long raw = FIXED_HEADER_BYTES + enabledBytes(typeCount) + namesBytes;
        return (raw + HEADER_ALIGN - 1) / HEADER_ALIGN * HEADER_ALIGN;
    }

    /** True for a byte allowed in an event name: printable ASCII without space. */
    static boolean isNameByte(int b) {
        return b >= 0x21 && b <= 0x7e;
    }
}
