package org.dfemu.emulator.sched;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A snapshot of one kernel thread for reports, in the spirit of {@code ps -axl} on DragonFly:
 * who it is, where it is bound, what it waits for, what it holds and its kernel call chain.
 *
 * @param tid         thread id (0 for the interrupt pseudo-thread of an interrupt-context panic)
 * @param name        name given at spawn
 * @param cpu         CPU the thread is bound to
 * @param td          the kernel's opaque {@code td} value
 * @param state       scheduling state
 * @param wchan       wait channel while SLEEPING or LOCKWAIT, else 0
 * @param wmesg       wait message while SLEEPING or LOCKWAIT (the lock name for LOCKWAIT), else null
 * @param timeoutAtNs virtual time a timed tsleep expires, or -1
 * @param critCount   critical-section nesting count
 * @param frames      kernel frames, innermost first
 * @param switches    times the thread was handed the CPU
 * @param cpuNs       virtual CPU time consumed
 * @param lockWait    the lock it sleeps on (LOCKWAIT) or spins on, or null
 * @param held        locks it holds, in acquisition order
 */
public record ThreadInfo(int tid, String name, int cpu, long td, ThreadState state, long wchan,
                         String wmesg, long timeoutAtNs, int critCount, List<String> frames,
                         long switches, long cpuNs, LockWait lockWait, List<HeldLock> held) {

    /** A thread holding a lock someone waits for. */
    public record Holder(int tid, String name, ThreadState state) {
        @Override
        public String toString() { return "tid " + tid + " (" + name + ", " + state + ")"; }
    }

    /**
     * The lock a thread waits for.
     *
     * @param pa      physical address of the lock word
     * @param name    lock name (null for spin locks, which have none)
     * @param mode    how the thread wants it
     * @param word    the lock word when the snapshot was taken
     * @param holders threads holding it (one exclusive owner, or every shared holder)
     */
    public record LockWait(long pa, String name, LockMode mode, long word, List<Holder> holders) {
        @Override
        public String toString() {
            String what = (name != null ? name : "spin lock") + " at 0x" + Long.toHexString(pa)
                    + " (" + mode.name().toLowerCase() + ")";
            if (holders.isEmpty()) return what + ", now free";
            String by = holders.stream().map(Holder::toString).collect(Collectors.joining(", "));
            boolean shared = mode != LockMode.SPIN && word != 0 && !LockWord.isExclusive(word);
            return what + ", held " + (shared ? "shared" : "exclusively") + " by " + by;
        }
    }

    /** One lock a thread holds. */
    public record HeldLock(long pa, String name, LockMode mode) {
        @Override
        public String toString() {
            return (name != null ? name : "spin lock") + " at 0x" + Long.toHexString(pa)
                    + " (" + mode.name().toLowerCase() + ")";
        }
    }

    public ThreadInfo {
        frames = List.copyOf(frames);
        held = List.copyOf(held);
    }

    /** True if the thread sleeps (on a channel or a lock). */
    public boolean asleep() {
        return state == ThreadState.SLEEPING || state == ThreadState.LOCKWAIT;
    }

    /**
     * The kernel call chain as one line: {@code "pagedaemon in vm_wait, from kmem_slab_alloc"}, or
     * {@code "pagedaemon (no kernel frames)"}.
     */
    public String frameChain() {
        if (frames.isEmpty()) return name + " (no kernel frames)";
        StringBuilder sb = new StringBuilder(name).append(" in ").append(frames.getFirst());
        for (int i = 1; i < frames.size(); i++) sb.append(", from ").append(frames.get(i));
        return sb.toString();
    }

    /** The column header matching {@link #toString()}'s first line. */
    public static String header() {
        return String.format("%5s %3s %-9s %4s %-18s %-14s %s", "TID", "CPU", "STATE", "CRIT", "WCHAN", "WMESG", "NAME");
    }

    /** One ps-like row, then indented lines for the lock waited for, locks held, timeout and frames. */
    @Override
    public String toString() {
        String indent = "\n" + " ".repeat(10);
        StringBuilder sb = new StringBuilder(String.format("%5d %3d %-9s %4d %-18s %-14s %s",
                tid, cpu, state, critCount, asleep() ? String.format("0x%016x", wchan) : "-",
                wmesg != null ? wmesg : "-", name));
        if (lockWait != null) {
            sb.append(indent).append(lockWait.mode() == LockMode.SPIN ? "spins on " : "waits for ").append(lockWait);
        }
        if (timeoutAtNs >= 0) sb.append(indent).append("timeout at ").append(VirtualTime.seconds(timeoutAtNs));
        if (!held.isEmpty()) {
            sb.append(indent).append("holds ")
                    .append(held.stream().map(HeldLock::toString).collect(Collectors.joining(", ")));
        }
        sb.append(indent).append(frameChain());
        return sb.toString();
    }
}
