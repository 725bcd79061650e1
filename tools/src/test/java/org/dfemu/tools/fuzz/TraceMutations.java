package org.dfemu.tools.fuzz;

import java.util.Arrays;

/**
 * Mutated trace files, after the format of emulator/.../trace/TraceFormat: bit flips in the
 * header (checksum fixed up or not) and in records, header fields and record fields set to
 * extreme values, event names renamed or swapped (so records are read as other events), records
 * reordered, files cut anywhere, the record count and the CLOSED flag changed.
 */
final class TraceMutations {
    static final int RECORD = 48;
    static final int OFF_VERSION = 8;
    static final int OFF_RECORD_BYTES = 12;
    static final int OFF_HEADER_BYTES = 16;
    static final int OFF_TYPE_COUNT = 20;
    static final int OFF_NAMES_BYTES = 24;
    static final int OFF_HEADER_CRC = 28;
    static final int OFF_FLAGS = 32;
    static final int OFF_RESERVED = 36;
    static final int OFF_RECORD_COUNT = 40;
    static final int OFF_ENABLED = 48;

    private TraceMutations() {}

    /** A mutation of {@code trace}; what was done is noted in {@code m.what}. */
    static byte[] mutate(byte[] trace, Mutator m) {
        byte[] b = trace.clone();
        int h = (int) Mutator.get(b, OFF_HEADER_BYTES, 4);
        int records = (b.length - h) / RECORD;
        switch (m.below(12)) {
            case 0 -> m.flipBits(b, 0, h, "header");
            case 1 -> {
                m.flipBits(b, 0, h, "header");
                fixHeader(b, h);
            }
            case 2 -> {
                headerField(b, m);
                if (m.chance(80)) fixHeader(b, (int) Math.min(Mutator.get(b, OFF_HEADER_BYTES, 4), b.length));
            }
            case 3 -> {
                renameTypes(b, h, m);
                fixHeader(b, h);
            }
            case 4, 5 -> {
                int n = 1 + m.below(8);
                for (int k = 0; k < n && records > 0; k++) {
                    int r = m.below(records);
                    m.flipBits(b, h + RECORD * r, h + RECORD * (r + 1), "record " + r);
                }
            }
            case 6, 7 -> {
                int n = 1 + m.below(8);
                for (int k = 0; k < n && records > 0; k++) recordField(b, h, m.below(records), m);
            }
            case 8 -> {
                int cut = (int) m.cut(b.length, h + RECORD);
                m.note("file cut to " + cut + " bytes");
                return Arrays.copyOf(b, cut);
            }
            case 9 -> {
                m.extremeField(b, OFF_RECORD_COUNT, 8, "record count");
                if (m.chance(50)) {
                    b[OFF_FLAGS] ^= 1;
                    m.note("CLOSED flag toggled");
                }
            }
            case 10 -> {
                if (records > 1) {
                    int i = m.below(records);
                    int j = m.below(records);
                    byte[] ri = Arrays.copyOfRange(b, h + RECORD * i, h + RECORD * (i + 1));
                    System.arraycopy(b, h + RECORD * j, b, h + RECORD * i, RECORD);
                    System.arraycopy(ri, 0, b, h + RECORD * j, RECORD);
                    m.note("records " + i + " and " + j + " swapped");
                }
            }
            default -> {
                int extra = m.pick(new Integer[] {1, 47, 48, 96, 4096});
                byte[] g = Arrays.copyOf(b, b.length + extra);
                if (m.chance(50)) for (int i = b.length; i < g.length; i++) g[i] = (byte) m.below(256);
                m.note(extra + " bytes appended");
                return g;
            }
        }
        return b;
    }

    private static void headerField(byte[] b, Mutator m) {
        switch (m.below(8)) {
            case 0 -> m.extremeField(b, OFF_VERSION, 4, "version");
            case 1 -> m.extremeField(b, OFF_RECORD_BYTES, 4, "record bytes");
            case 2 -> m.extremeField(b, OFF_HEADER_BYTES, 4, "header bytes");
            case 3 -> m.extremeField(b, OFF_TYPE_COUNT, 4, "type count");
            case 4 -> m.extremeField(b, OFF_NAMES_BYTES, 4, "names bytes");
            case 5 -> m.extremeField(b, OFF_FLAGS, 4, "flags");
            case 6 -> m.extremeField(b, OFF_RESERVED, 4, "reserved");
            default -> m.extremeField(b, OFF_ENABLED + 8 * m.below(1), 8, "enabled bitmap word 0");
        }
    }

    /**
     * Renames event types, checksum fixed up so the reader takes them: two names exchanged (their
     * records then read as the other event), or one name's byte changed (the event unknown).
     */
    private static void renameTypes(byte[] b, int h, Mutator m) {
        int n = (int) Mutator.get(b, OFF_TYPE_COUNT, 4);
        int start = OFF_ENABLED + 8 * ((n + 63) / 64);
        int[] at = new int[n];
        int p = start;
        for (int t = 0; t < n && p < h; t++) {
            at[t] = p;
            p += 1 + (b[p] & 0xFF);
        }
        int i = 1 + m.below(n - 1);
        int j = 1 + m.below(n - 1);
        int li = b[at[i]] & 0xFF;
        int lj = b[at[j]] & 0xFF;
        if (m.chance(60) && li == lj && i != j) {
            for (int k = 1; k <= li; k++) {
                byte x = b[at[i] + k];
                b[at[i] + k] = b[at[j] + k];
                b[at[j] + k] = x;
            }
            m.note("names of types " + i + " and " + j + " exchanged");
        } else if (m.chance(50) && i != j) {
            // Different lengths: rotate the table between them so both keep their bytes.
            int lo = Math.min(at[i], at[j]);
            int loLen = 1 + (b[lo] & 0xFF);
            int hi = Math.max(at[i], at[j]);
            int hiLen = 1 + (b[hi] & 0xFF);
            byte[] mid = Arrays.copyOfRange(b, lo + loLen, hi);
            byte[] first = Arrays.copyOfRange(b, lo, lo + loLen);
            byte[] second = Arrays.copyOfRange(b, hi, hi + hiLen);
            int q = lo;
            System.arraycopy(second, 0, b, q, second.length);
            q += second.length;
            System.arraycopy(mid, 0, b, q, mid.length);
            q += mid.length;
            System.arraycopy(first, 0, b, q, first.length);
            m.note("names of types " + i + " and " + j + " exchanged (table rewritten)");
        } else {
            int k = 1 + m.below(li);
            b[at[i] + k] = (byte) ('!' + m.below(94));
            m.note("name of type " + i + " byte " + k + " changed");
        }
    }

    private static final int[][] RECORD_FIELDS = {{0, 8}, {8, 2}, {10, 2}, {12, 4}, {16, 8}, {24, 8}, {32, 8}, {40, 8}};
    private static final String[] FIELD_NAMES = {"time", "type", "cpu", "thread", "a0", "a1", "a2", "a3"};

    /** Field weights: the time most (readers bin and subtract times), then the type, then the rest. */
    private static final int[] FIELD_PICK = {0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7};
    private static final Long[] TIMES = {Long.MIN_VALUE, Long.MAX_VALUE, -1L, 0L, Long.MIN_VALUE + 1, Long.MAX_VALUE - 1};

    private static void recordField(byte[] b, int h, int r, Mutator m) {
        int f = FIELD_PICK[m.below(FIELD_PICK.length)];
        if (f == 0 && m.chance(50)) {
            long v = m.pick(TIMES);
            Mutator.put(b, h + RECORD * r, 8, v);
            m.note("record " + r + " time = " + v);
            return;
        }
        int at = h + RECORD * r + RECORD_FIELDS[f][0];
        if (f == 1 && m.chance(70)) {
            int n = (int) Mutator.get(b, OFF_TYPE_COUNT, 4);
            int t = m.below(n + 2);
            Mutator.put(b, at, 2, t);
            m.note("record " + r + " type = " + t);
            return;
        }
        if (f >= 4 && m.chance(40)) {
            // A small argument: an index, a count or an id that a reader may look up.
            long v = m.pick(new Long[] {-1L, 0L, 1L, 2L, 3L, 7L, 64L, 65535L, 65536L, (long) Integer.MAX_VALUE,
                (long) Integer.MIN_VALUE, 1L << 32, -(1L << 32)});
            Mutator.put(b, at, 8, v);
            m.note("record " + r + " " + FIELD_NAMES[f] + " = " + v);
            return;
        }
        m.extremeField(b, at, RECORD_FIELDS[f][1], "record " + r + " " + FIELD_NAMES[f]);
    }

    /** Stores the header CRC-32C over bytes [0, 28) and [48, h). */
    static void fixHeader(byte[] b, int h) {
        if (h < OFF_ENABLED || h > b.length) return;
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        c.update(b, 0, OFF_HEADER_CRC);
        c.update(b, OFF_ENABLED, h - OFF_ENABLED);
        Mutator.putInt(b, OFF_HEADER_CRC, (int) c.getValue());
    }
}
