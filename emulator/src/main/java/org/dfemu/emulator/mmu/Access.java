package org.dfemu.emulator.mmu;

/**
 * What an access needs from a translation: a small bit set the CPU builds once per access and
 * the TLB and the walker compare against a cached entry with one AND. An access is one of
 * {@link #READ}, {@link #WRITE} or {@link #EXEC}, optionally OR-ed with {@link #USER}.
 *
 * <p>The bits are the permission bits of a TLB entry ({@link TlbEntry}), so "entry allows
 * access" is {@code (entry & access) == access}. {@link #WRITE} includes the entry's
 * dirty-already-set bit: a write to a page whose D is still clear misses and goes back to the
 * walker, which sets D as the hardware does.
 *
 * <p>No requirements: every method here is a pure function.
 */
public final class Access {
    private Access() {}

    /** Data read: needs nothing beyond a valid entry (supervisor) or {@link #USER}. */
    public static final int READ = 0;
    /** Data write: needs RW at every level and D already set in the final entry. */
    public static final int WRITE = TlbEntry.W | TlbEntry.D;
    /** Instruction fetch: needs NX clear at every level (when EFER.NXE is on). */
    public static final int EXEC = TlbEntry.X;
    /** OR-ed in for an access made in user mode: needs US at every level. */
    public static final int USER = TlbEntry.U;
    /**
     * OR-ed in by a CPU that verifies its TLB ({@code tlbCheck}): no cached entry carries this bit,
     * so the one-AND fast path of {@link Tlb} never completes such an access, and {@link Mmu#translate}
     * compares the entry it would use with a fresh walk. It asks for no permission.
     */
    public static final int CHECK = TlbEntry.CHECK;

    public static boolean isWrite(int access) { return (access & TlbEntry.W) != 0; }

    public static boolean isExec(int access) { return (access & TlbEntry.X) != 0; }

    public static boolean isUser(int access) { return (access & TlbEntry.U) != 0; }

    public static boolean isChecked(int access) { return (access & TlbEntry.CHECK) != 0; }

    /** E.g. {@code "user write"}, for messages. */
    public static String describe(int access) {
        String kind = isWrite(access) ? "write" : isExec(access) ? "fetch" : "read";
        return (isUser(access) ? "user " : "kernel ") + kind;
    }
}
