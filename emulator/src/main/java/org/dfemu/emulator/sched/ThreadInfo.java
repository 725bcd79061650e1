package org.dfemu.emulator.sched;

import java.util.List;
import java.util.stream.Collectors;

import org.dfemu.emulator.api.Awaited;
import org.dfemu.emulator.api.Held;

/**
 * A snapshot of one kernel thread for reports, in the spirit of {@code ps -axl} on DragonFly:
 * who it is, where it is bound, what it waits for, what it holds and its kernel call chain. What
 * it waits for and holds are the running software's descriptions ({@link Awaited},
 * {@link Held}); the scheduler only names the holders.
 *
 * @param tid          thread id (0 for the interrupt pseudo-thread of an interrupt-context panic)
 * @param name         name given at spawn
 * @param cpu          CPU the thread is bound to
 * @param td           the kernel's opaque {@code td} value
 * @param state        scheduling state
 * @param wchan        wait channel while SLEEPING or LOCKWAIT, else 0
 * @param wmesg        wait message while SLEEPING or LOCKWAIT, else null
 * @param timeoutAtNs  virtual time a timed sleep expires, or -1
 * @param preemptCount preemption-disable count
 * @param frames       kernel frames, innermost first
 * @param switches     times the thread was handed the CPU
 * @param cpuNs        virtual CPU time consumed
 * @param waitsFor     what it is blocked on (LOCKWAIT) or polls for, or null
 * @param held         what it holds, in the order taken
 */
public record ThreadInfo(int tid, String name, int cpu, long td, ThreadState state, long wchan,
                         String wmesg, long timeoutAtNs, int preemptCount, List<String> frames,
                         long switches, long cpuNs, Wait waitsFor, List<Held> held) {

    /** A thread holding what someone waits for. */
    public record Holder(int tid, String name, ThreadState state) {
        @Override
        public String toString() { return "tid " + tid + " (" + name + ", " + state + ")"; }
    }

    /**
     * What a thread waits for, as its {@link Awaited} described it when the snapshot was taken.
     *
     * @param addr    its address
     * @param name    its name
     * @param mode    how the thread wants it (one lower-case word)
     * @param word    its state word, in the software's encoding
     * @param shared  true if held by several threads at once
     * @param holders threads holding it (one exclusive owner, or every shared holder)
     */
    public record Wait(long addr, String name, String mode, long word, boolean shared, List<Holder> holders) {
        public Wait {
            holders = List.copyOf(holders);
        }

        @Override
        public String toString() {
            String what = name + " at 0x" + Long.toHexString(addr) + " (" + mode + ")";
            if (holders.isEmpty()) return what + ", now free";
            String by = holders.stream().map(Holder::toString).collect(Collectors.joining(", "));
            return what + ", held " + (shared ? "shared" : "exclusively") + " by " + by;
        }
    }

    public ThreadInfo {
        frames = List.copyOf(frames);
        held = List.copyOf(held);
    }

    /** True if the thread sleeps (on a channel, or blocked on something another thread holds). */
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

    /**
     * The column header matching {@link #toString()}'s first line. The preemption-disable count's
     * column is CRIT, as reports have always called it (a kernel's critical-section count).
     */
    public static String header() {
        return String.format("%5s %3s %-9s %4s %-18s %-14s %s", "TID", "CPU", "STATE", "CRIT", "WCHAN", "WMESG", "NAME");
    }

    /**
     * One ps-like row, then indented lines for what it waits for (blocked on: "waits for"; polling
     * for: "spins on"), what it holds, its timeout and frames.
     */
    @Override
    public String toString() {
        String indent = "\n" + " ".repeat(10);
        StringBuilder sb = new StringBuilder(String.format("%5d %3d %-9s %4d %-18s %-14s %s",
                tid, cpu, state, preemptCount, asleep() ? String.format("0x%016x", wchan) : "-",
                wmesg != null ? wmesg : "-", name));
        if (waitsFor != null) {
            sb.append(indent).append(asleep() ? "waits for " : "spins on ").append(waitsFor);
        }
        if (timeoutAtNs >= 0) sb.append(indent).append("timeout at ").append(VirtualTime.seconds(timeoutAtNs));
        if (!held.isEmpty()) {
            sb.append(indent).append("holds ")
                    .append(held.stream().map(Held::toString).collect(Collectors.joining(", ")));
        }
        sb.append(indent).append(frameChain());
        return sb.toString();
    }
}
