package org.dfemu.emulator.disk;

/**
 * What a block request does. {@link #code()} is the number written as the {@code op} argument of
 * the {@code io_submit} / {@code io_done} trace events.
 */
public enum BlockOp {
    /** Disk to memory. */
    READ(1),
    /** Memory to disk. */
    WRITE(2),
    /** Forget the contents of a sector range (TRIM); the sectors then read as zeroes. */
    DISCARD(3),
    /** Make every write completed before it durable (a cache flush; the host fsyncs). */
    FLUSH(4);

    private final int code;

    BlockOp(int code) { this.code = code; }

    /** Trace code of this operation. */
    public int code() { return code; }
}
