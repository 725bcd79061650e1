package org.dfemu.emulator.mmu;

/**
 * Thrown by a TLB hit made with {@link Access#CHECK} when the cached entry says more than the
 * page tables do now: another physical page, a permission or a D bit the tables no longer grant,
 * or no mapping at all. On hardware the access would silently use the stale translation; here it
 * names the software that changed an entry without invalidating it. The kernel reports it as a
 * panic.
 *
 * <p>No requirements: an immutable report.
 */
public final class StaleTlbEntryException extends RuntimeException {
    private final long va;

    StaleTlbEntryException(String message, long va) {
        super(message);
        this.va = va;
    }

    /** The virtual address of the checked access. */
    public long va() { return va; }

    /** The same report with the CPU that made the access named first. */
    public StaleTlbEntryException onCpu(int cpu) {
        return new StaleTlbEntryException("cpu" + cpu + ": " + getMessage(), va);
    }

    /** The report of a hit at {@code va} on entry {@code cached} when the tables give {@code truth}. */
    static StaleTlbEntryException of(long cr3, long va, int access, long cached, long truth) {
        String tables = !Translation.isFault(truth) ? TlbEntry.describe(truth, va)
                : (Translation.errorCode(truth) & PageFaultCode.RSVD) != 0 ? "a reserved bit set"
                : "not present";
        return new StaleTlbEntryException(String.format(
                "TLB check: stale translation for %s of 0x%016x (cr3 0x%x): cached %s, page tables %s",
                Access.describe(access), va, cr3, TlbEntry.describe(cached, va), tables), va);
    }
}
