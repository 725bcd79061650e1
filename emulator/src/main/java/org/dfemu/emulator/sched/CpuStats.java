package org.dfemu.emulator.sched;

/**
 * Per-CPU counters.
 *
 * @param cpu        CPU number
 * @param curthread  tid of the thread holding the CPU (running, or preempted and not displaced),
 *                   0 when idle
 * @param switches   times a thread was handed this CPU
 * @param busyNs     virtual time consumed by threads bound to this CPU
 */
public record CpuStats(int cpu, int curthread, long switches, long busyNs) {}
