package org.dfemu.kernel.harness.workload;

/**
 * The data a workload program writes into its pages and verifies, so that a page lost, swapped
 * in from the wrong slot, torn, shared where it should have been copied, or handed to the wrong
 * process reads back wrong. Pure functions; disk-images/README.md states the same definition.
 *
 * <p>A page of a region holds {@link #SLOTS} 64-bit little-endian words, word k at byte offset
 * {@code 520 * k} (0, 520, 1040, ..., 3640): one in each 512-byte sector of the page, each at a
 * different offset within its sector, so a page written to swap with any one sector missing or
 * misplaced fails verification. The rest of the page is never written and never checked.
 *
 * <p>The value of word k is {@link #word}{@code (stream, page, generation, k)}:
 * <ul>
 *   <li>{@code stream} names the process that wrote the region: {@link #bootStream} for a
 *       process started at boot, {@link #childStream} for one created by {@code fork};</li>
 *   <li>{@code page} is the page's index in its region (0 for the region's first page);</li>
 *   <li>{@code generation} counts the process's {@code write} instructions: 1 for the first one
 *       it runs, 2 for the next (whatever the region), and a forked child continues from its
 *       parent's count. Generation 0 is a region never written since it was mapped: every word
 *       is 0, the zero fill of anonymous memory.</li>
 * </ul>
 * Because generations never repeat within a process and streams differ between processes, a page
 * left over from an earlier mapping, from before a later write, or from another process holds
 * other values than the ones expected.
 */
public final class PagePattern {
    private PagePattern() {}

    /** Words written per page. */
    public static final int SLOTS = 8;
    /** Distance between two words: a sector plus one word, so each sits at another sector offset. */
    public static final int SLOT_STRIDE = 520;

    /** 2^64 divided by the golden ratio: keeps the first mix away from mix64(0) == 0. */
    private static final long GOLDEN = 0x9e3779b97f4a7c15L;

    /** Byte offset of word {@code slot} (0..{@link #SLOTS}-1) in its page. No requirements. */
    public static int slotOffset(int slot) {
        if (slot < 0 || slot >= SLOTS) throw new IllegalArgumentException("slot " + slot + " is out of range 0.." + (SLOTS - 1));
        return slot * SLOT_STRIDE;
    }

    /**
     * The word at slot {@code slot} of page {@code page} of a region written by {@code stream} in
     * generation {@code generation}:
     * <pre>
     *   0                                          if generation == 0
     *   h == 0 ? 1 : h                             otherwise, where
     *   h = mix64(mix64(mix64(mix64(stream ^ 0x9e3779b97f4a7c15) ^ page) ^ generation) ^ slot)
     * </pre>
     * so a written page never reads as zero fill. No requirements.
     */
    public static long word(long stream, long page, long generation, int slot) {
        if (generation == 0) return 0;
        long h = mix64(stream ^ GOLDEN);
        h = mix64(h ^ page);
        h = mix64(h ^ generation);
        h = mix64(h ^ slot);
        return h == 0 ? 1 : h;
    }

    /**
     * The stream of copy {@code copy} of program {@code program} (its index in the
     * {@link Workload}), as started at boot: {@code program << 32 | copy}, so it reads plainly
     * in a report. Bit 63 is clear. No requirements.
     */
    public static long bootStream(int program, int copy) {
        if (program < 0 || copy < 0) throw new IllegalArgumentException("program " + program + " copy " + copy);
        return (long) program << 32 | copy;
    }

    /**
     * The stream of the child created by the {@code fork}-th fork (from 0) of the process with
     * stream {@code parent}: {@code mix64(parent + (fork + 1) * 0x9e3779b97f4a7c15) | 1 << 63}.
     * Bit 63 is set, so a child's stream never equals a boot stream. No requirements.
     */
    public static long childStream(long parent, long fork) {
        return mix64(parent + (fork + 1) * GOLDEN) | Long.MIN_VALUE;
    }

    /**
     * The finalizer of SplitMix64 (Stafford's variant 13): a bijection of 64-bit values in
     * which every input bit affects every output bit.
     * <pre>
     *   z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9
     *   z = (z ^ (z >>> 27)) * 0x94d049bb133111eb
     *   return z ^ (z >>> 31)
     * </pre>
     * No requirements.
     */
    public static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
