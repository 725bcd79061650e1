package org.dfemu.tools.fuzz;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Mutated disk images, written after the format of disk-images/README.md (not through the
 * reader's own constants, so a reader that drifts from the document is caught): bit flips in the
 * label, the partition table, the checksums, the boot settings and the program partition; fields
 * set to extreme values; truncated or lengthened files. Most mutations fix the checksums up
 * afterwards, so the reader's checks past the CRCs are reached too.
 *
 * <p>An image is written as its non-hole head (label and contents) and then grown to its length,
 * so a 256M image costs a few kilobytes per case.
 */
final class ImageMutations {
    static final int SECTOR = 512;
    static final int OFF_VERSION = 8;
    static final int OFF_SECTOR_SIZE = 12;
    static final int OFF_DISK_SECTORS = 16;
    static final int OFF_COUNT = 24;
    static final int OFF_ENTRIES = 32;
    static final int OFF_LABEL_CRC = 508;
    static final int ENTRY = 56;
    static final int E_TYPE = 16;
    static final int E_FIRST = 24;
    static final int E_SECTORS = 32;
    static final int E_LENGTH = 40;
    static final int E_CRC = 48;

    /** A built image: its head (every byte that is not a hole) and its length. */
    record Base(String name, byte[] head, long length) {
        /** Reads the head of a freshly built image: the label and every boot or user content. */
        static Base of(String name, Path image) throws IOException {
            byte[] label = new byte[SECTOR];
            try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "r")) {
                f.readFully(label);
                long end = SECTOR;
                int count = (int) Mutator.get(label, OFF_COUNT, 4);
                for (int i = 0; i < count; i++) {
                    int e = OFF_ENTRIES + ENTRY * i;
                    long first = Mutator.get(label, e + E_FIRST, 8);
                    end = Math.max(end, first * SECTOR + Mutator.get(label, e + E_LENGTH, 8));
                }
                byte[] head = new byte[(int) ((end + SECTOR - 1) / SECTOR * SECTOR)];
                f.seek(0);
                f.readFully(head);
                return new Base(name, head, f.length());
            }
        }

        int count() {
            return (int) Mutator.get(head, OFF_COUNT, 4);
        }
    }

    private ImageMutations() {}

    /** Writes a mutation of {@code base} to {@code out}; what was done is in {@code m.what}. */
    static void write(Base base, Mutator m, Path out) throws IOException {
        byte[] b = base.head.clone();
        long length = base.length;
        switch (m.below(10)) {
            case 0 -> m.flipBits(b, 0, SECTOR, "label"); // checksums left stale: a CRC must catch it
            case 1 -> {
                labelField(b, m);
                fixLabel(b);
            }
            case 2 -> {
                m.flipBits(b, OFF_ENTRIES, OFF_ENTRIES + ENTRY * Math.max(1, base.count()), "table");
                fixLabel(b);
            }
            case 3 -> {
                b = content(b, base, m, 1, true);
                fixLabel(b);
            }
            case 4 -> {
                b = content(b, base, m, 3, true);
                fixLabel(b);
            }
            case 5 -> {
                b = content(b, base, m, m.chance(50) ? 1 : 3, false); // content CRC left stale
                if (m.chance(50)) fixLabel(b);
            }
            case 6 -> {
                length = m.cut(length, b.length);
                m.note("file cut to " + length + " bytes");
            }
            case 7 -> {
                swapEntries(b, base, m);
                fixLabel(b);
            }
            case 8 -> {
                length += m.pick(new Long[] {1L, 511L, 512L, 4096L, 1L << 20});
                m.note("file grown to " + length + " bytes");
                if (m.chance(50)) labelField(b, m);
                fixLabel(b);
            }
            default -> {
                labelField(b, m);
                labelField(b, m);
                if (m.chance(70)) fixLabel(b);
            }
        }
        try (RandomAccessFile f = new RandomAccessFile(out.toFile(), "rw")) {
            f.setLength(0);
            f.write(b, 0, (int) Math.min(b.length, length));
            f.setLength(length);
        }
    }

    /** One field of the label or of a partition entry (up to the 8 slots) set to an extreme value. */
    private static void labelField(byte[] b, Mutator m) {
        int which = m.below(5 + 8 * 7);
        switch (which) {
            case 0 -> m.extremeField(b, OFF_VERSION, 4, "version");
            case 1 -> m.extremeField(b, OFF_SECTOR_SIZE, 4, "sector size");
            case 2, 3 -> m.extremeField(b, OFF_DISK_SECTORS, 8, "disk sectors");
            default -> {
                if (which == 4) {
                    m.extremeField(b, OFF_COUNT, 4, "partition count");
                    return;
                }
                int slot = (which - 5) / 7;
                int e = OFF_ENTRIES + ENTRY * slot;
                switch ((which - 5) % 7) {
                    case 0 -> {
                        int at = e + m.below(16);
                        byte v = m.pick(new Byte[] {0, ' ', 0x7f, (byte) 0x80, '/', 'b', (byte) 0xff});
                        b[at] = v;
                        m.note("entry " + slot + " name byte " + (at - e) + " = " + v);
                    }
                    case 1 -> m.extremeField(b, e + E_TYPE, 4, "entry " + slot + " type");
                    case 2 -> m.extremeField(b, e + E_FIRST, 8, "entry " + slot + " first sector");
                    case 3 -> m.extremeField(b, e + E_SECTORS, 8, "entry " + slot + " sectors");
                    case 4 -> m.extremeField(b, e + E_LENGTH, 8, "entry " + slot + " content length");
                    case 5 -> m.extremeField(b, e + E_CRC, 4, "entry " + slot + " content crc");
                    default -> m.extremeField(b, e + 20 + 32 * m.below(2), 4, "entry " + slot + " reserved");
                }
            }
        }
    }

    /** Swaps two partition entries, or copies one over another (a duplicate). */
    private static void swapEntries(byte[] b, Base base, Mutator m) {
        int n = Math.max(2, base.count());
        int i = m.below(n);
        int j = m.below(n);
        byte[] ei = Arrays.copyOfRange(b, OFF_ENTRIES + ENTRY * i, OFF_ENTRIES + ENTRY * (i + 1));
        if (m.chance(50)) {
            System.arraycopy(b, OFF_ENTRIES + ENTRY * j, b, OFF_ENTRIES + ENTRY * i, ENTRY);
            m.note("entry " + j + " swapped with " + i);
        } else {
            m.note("entry " + i + " copied over " + j);
        }
        System.arraycopy(ei, 0, b, OFF_ENTRIES + ENTRY * j, ENTRY);
    }

    /**
     * Mutates the content of the first partition of {@code type} (1 boot, 3 user): its text lines
     * (boot) or its bytes (user), then, if {@code fix}, stores the new length and CRC in its entry.
     * Returns the head, grown if the content grew.
     */
    private static byte[] content(byte[] b, Base base, Mutator m, int type, boolean fix) {
        int slot = -1;
        for (int i = 0; i < base.count(); i++) {
            if (Mutator.get(b, OFF_ENTRIES + ENTRY * i + E_TYPE, 4) == type) slot = i;
        }
        if (slot < 0) {
            m.flipBits(b, 0, SECTOR, "label (no partition of type " + type + ")");
            return b;
        }
        int e = OFF_ENTRIES + ENTRY * slot;
        int at = (int) (Mutator.get(b, e + E_FIRST, 8) * SECTOR);
        int len = (int) Mutator.get(b, e + E_LENGTH, 8);
        long room = Mutator.get(b, e + E_SECTORS, 8) * SECTOR;
        byte[] data = Arrays.copyOfRange(b, at, at + len);
        data = type == 1 ? bootText(data, m) : programBytes(data, m);
        if (data.length > room) data = Arrays.copyOf(data, (int) room);
        int span = Math.max(len, data.length);
        byte[] grown = b.length >= at + span ? b : Arrays.copyOf(b, at + span);
        Arrays.fill(grown, at, at + span, (byte) 0);
        System.arraycopy(data, 0, grown, at, data.length);
        if (fix) {
            Mutator.put(grown, e + E_LENGTH, 8, data.length);
            Mutator.putInt(grown, e + E_CRC, Mutator.crc(data, 0, data.length));
        }
        return grown;
    }

    private static final String[] SETTING_LINES = {
        "hw.physmem=\"1T\"", "hw.physmem=\"0\"", "hw.physmem=\"16M\"", "hw.physmem=\"99999999999999999999\"",
        "hw.ncpu=\"64\"", "hw.ncpu=\"0\"", "hw.ncpu=\"-1\"", "hw.ncpu=\"2147483648\"", "kern.hz=\"10000\"",
        "kern.hz=\"10\"", "vm.swapmeta_alloc=\"kmalloc_obj\"", "vm.swapmeta_alloc=\"kmalloc_obj_reserve\"",
        "vm.swapmeta_alloc=\"\"", "kern.kmalloc_obj_reserve_slabs=\"64\"", "kern.kmalloc_obj_reserve_slabs=\"0\"",
        "disk.latency_setup_ns=\"1000000000\"", "disk.latency_ns_per_byte=\"1000\"", "debug.stall_timeout=\"0\"",
        "debug.stall_timeout=\"1\"", "debug.fail_page_alloc.probability=\"100\"", "debug.fail_page_alloc.times=\"-1\"",
        "debug.failslab.probability=\"100\"", "debug.failslab.ignore_waitok=\"0\"", "debug.fail_zalloc.probability=\"100\"",
        "debug.fail_zalloc.zones=\"PV_ENTRY\"", "debug.fail_zalloc.zones=\"PV ENTRY\"", "debug.fail_page_alloc.classes=\"\"",
        "kern.invariants=\"true\"", "hw.ncpus=\"2\"", "hw.physmem=64M", "=\"1\"", "hw.physmem=\"64M\" x", "#", "",
        "hw.physmem=\"6\u00e9M\"", "debug.fail_zalloc.interval=\"1000000000\"", "debug.failslab.times=\"1000000001\"",
    };

    /** The boot text with a line added, repeated, deleted, cut, or a byte flipped. */
    private static byte[] bootText(byte[] data, Mutator m) {
        List<String> lines = new ArrayList<>(List.of(new String(data, StandardCharsets.ISO_8859_1).split("\n", -1)));
        switch (m.below(6)) {
            case 0 -> {
                String line = m.pick(SETTING_LINES);
                lines.add(m.below(lines.size() + 1), line);
                m.note("boot line '" + line + "' added");
            }
            case 1 -> {
                int i = m.below(lines.size());
                lines.add(i, lines.get(i));
                m.note("boot line " + (i + 1) + " repeated");
            }
            case 2 -> {
                int i = m.below(lines.size());
                lines.remove(i);
                m.note("boot line " + (i + 1) + " deleted");
            }
            case 3 -> {
                int cut = m.below(data.length + 1);
                m.note("boot text cut to " + cut + " bytes");
                return Arrays.copyOf(data, cut);
            }
            case 4 -> {
                byte[] c = data.clone();
                m.flipBits(c, 0, c.length, "boot text");
                return c;
            }
            default -> {
                int i = m.below(lines.size());
                String line = m.pick(SETTING_LINES);
                lines.set(i, line);
                m.note("boot line " + (i + 1) + " = '" + line + "'");
            }
        }
        return String.join("\n", lines).getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The program data with bits flipped, a byte or word set to an extreme, or cut, or bytes added. */
    private static byte[] programBytes(byte[] data, Mutator m) {
        byte[] c = data.clone();
        switch (m.below(5)) {
            case 0 -> m.flipBits(c, 0, c.length, "program data");
            case 1 -> {
                int at = m.below(Math.max(1, c.length));
                int width = m.pick(new Integer[] {1, 2, 4, 8});
                if (at + width <= c.length) m.extremeField(c, at, width, "program data u" + 8 * width + " at " + at);
            }
            case 2 -> {
                int cut = m.below(c.length + 1);
                m.note("program data cut to " + cut + " bytes");
                return Arrays.copyOf(c, cut);
            }
            case 3 -> {
                int extra = 1 + m.below(16);
                byte[] g = Arrays.copyOf(c, c.length + extra);
                for (int i = c.length; i < g.length; i++) g[i] = (byte) m.below(256);
                m.note(extra + " random bytes after the program data");
                return g;
            }
            default -> {
                // An opcode byte replaced: instructions start after the 12-byte header and each
                // program's name, copies and count; any byte past 12 may be one.
                if (c.length > 12) {
                    int at = 12 + m.below(c.length - 12);
                    // 0x01..0x0c (the first instructions and one past them), 0x10..0x19 (memory control)
                    // or 0x20..0x24 (shared/thread/wait; 0x24: unknown).
                    int pick = m.below(4);
                    int op = pick < 2 ? 1 + m.below(12) : pick == 2 ? 0x10 + m.below(10) : 0x20 + m.below(5);
                    c[at] = (byte) op;
                    m.note("program data byte " + at + " = opcode " + op);
                }
            }
        }
        return c;
    }

    /** Stores the label's CRC-32C over bytes 0..507. */
    static void fixLabel(byte[] b) {
        Mutator.putInt(b, OFF_LABEL_CRC, Mutator.crc(b, 0, OFF_LABEL_CRC));
    }

    /** The image's bytes that are not holes, for the unchanged-on-disk check of small files. */
    static byte[] head(Path image, int max) throws IOException {
        try (var in = Files.newInputStream(image)) {
            return in.readNBytes(max);
        }
    }
}
