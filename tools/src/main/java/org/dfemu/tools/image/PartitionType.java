package org.dfemu.tools.image;

import java.util.Optional;

/**
 * What a partition holds, as recorded in the label's {@code type} field. The partition's content
 * checksum covers {@link #BOOT} and {@link #USER} only: the swap partition is written by the
 * running kernel, so a checksum taken when the image was built would be wrong after the first
 * pageout.
 */
public enum PartitionType {
    /** loader.conf-style {@code name="value"} lines: the machine's boot settings. */
    BOOT(1, "boot", true),
    /** Raw 512-byte sectors the swap pager writes pages to; never checksummed. */
    SWAP(2, "swap", false),
    /** The workload programs, in the binary program format of {@link org.dfemu.kernel.harness.workload.ProgramCodec}. */
    USER(3, "user", true);

    private final int code;
    private final String label;
    private final boolean checksummed;

    PartitionType(int code, String label, boolean checksummed) {
        this.code = code;
        this.label = label;
        this.checksummed = checksummed;
    }

    /** The value stored in a partition entry's {@code type} field. */
    public int code() { return code; }

    /** The name mkimage gives a partition of this type, and the spec's word for it. */
    public String label() { return label; }

    /** True if the label carries a CRC32C of this partition's content, checked on open. */
    public boolean checksummed() { return checksummed; }

    /** The type stored as {@code code}, or empty if no type has that code. No requirements. */
    public static Optional<PartitionType> ofCode(int code) {
        for (PartitionType t : values()) {
            if (t.code == code) return Optional.of(t);
        }
        return Optional.empty();
    }

    /** The type whose spec word is {@code label} ("boot", "swap", "user"), or empty. */
    public static Optional<PartitionType> ofLabel(String label) {
        for (PartitionType t : values()) {
            if (t.label.equals(label)) return Optional.of(t);
        }
        return Optional.empty();
    }
}
