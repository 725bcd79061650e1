package org.dfemu.tools.trace;

import static org.dfemu.kernel.harness.trace.KernelEvents.*;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import org.dfemu.emulator.trace.EmulatorEvents;
import org.dfemu.emulator.trace.TraceWriter;
import org.dfemu.kernel.harness.trace.KernelEvents;

/**
 * Writes a realistic trace with the kernel's events (KernelEvents.names()) for the trace readers'
 * tests, until the kernel records its own: a 64M machine with two CPUs, four processes faulting
 * pages in (zero-fill, copy-on-write after a fork, protection, swap-in, one SIGSEGV), the
 * pagedaemon laundering pages to swap when the free count falls below paging_start, faults that
 * wait in vm_wait_pfault, SWAPMETA allocations that sleep, an OOM kill, and a deadlock at the end
 * (two threads asleep for good). One thread runs at a time, as on the emulated machine; swap I/O
 * completes in interrupt context a fixed latency after it was submitted.
 *
 * <p>The numbers the tests check are kept in {@link Stats} as the events are written.
 */
final class TraceFixture {
    static final int PAGES = 16384;
    static final int INTERRUPT_FREE_MIN = 25;
    static final int PAGEOUT_FREE_MIN = 43;
    static final int SEVERE = 72;
    static final int RESERVED = 79;
    static final int MIN = 145;
    static final int WAIT = 290;
    static final int START = 435;
    static final int TARGET1 = 580;
    static final int TARGET2 = 725;

    static final long SWAPMETA_ZONE = 0xffff_b800_0030_0000L;
    static final long SWAPMETA_TYPE = 0xffff_b800_0030_1000L;
    static final long TEMP_TYPE = 0xffff_b800_0030_2000L;
    static final int PAGEDAEMON = 1;
    static final int EMERGPAGER = 2;

    /** What was written, for the tests to compare the readers' reports against. */
    static final class Stats {
        final long[] faultsByKind = new long[FAULT_RESIDENT + 1];
        final long[] faultsByPid = new long[8];
        long faultLatencyMax;
        long lowestFree = Long.MAX_VALUE;
        long lowestFreeAt;
        long pageoutPasses;
        long laundered;
        long swapWrites;
        long swapReads;
        long swapWritePages;
        long sleptZallocs;
        long vmWaits;
        long oomKills;
        long records;
        long endNs;
    }

    private final TraceWriter w;
    private final Random rnd = new Random(42);
    private final PriorityQueue<long[]> pending = new PriorityQueue<>((x, y) -> x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[1], y[1]));
    private final List<Runnable> actions = new java.util.ArrayList<>();
    private long seq;
    final Stats stats = new Stats();
    long t;
    long free = 2200;
    long swapUsed;
    long nextBlock;
    long nextReq = 1;
    long nextPage = 0x2000_0000L;
    int[] cpuOf = new int[32];
    int running = -1;

    private TraceFixture(TraceWriter w) {
        this.w = w;
    }

    /** Writes the standard fixture to {@code file} and returns what it holds. */
    static Stats write(Path file) throws IOException {
        try (TraceWriter w = TraceWriter.open(file, List.of(KernelEvents.names()))) {
            TraceFixture f = new TraceFixture(w);
            f.run();
            f.stats.records = w.recordCount();
            return f.stats;
        }
    }

    // ---- writing --------------------------------------------------------------------------------

    void emit(long time, int cpu, int tid, int type, long a0, long a1, long a2, long a3) {
        runPending(time);
        w.record(time, cpu, tid, type, a0, a1, a2, a3);
    }

    void emit(int type, long a0, long a1, long a2, long a3) {
        emit(t, running >= 0 ? cpuOf[running] : 0, running, type, a0, a1, a2, a3);
    }

    /** Runs completions due at or before {@code time}, in time order. */
    void runPending(long time) {
        while (!pending.isEmpty() && pending.peek()[0] <= time) {
            long[] p = pending.poll();
            actions.get((int) p[2]).run();
        }
    }

    void later(long time, Runnable r) {
        actions.add(r);
        pending.add(new long[] {time, seq++, actions.size() - 1});
    }

    void name(int type, long a0, String name) {
        long[] n = KernelEvents.packName(name);
        emit(type, a0, n[0], n[1], n[2]);
    }

    void freeCount(long count, long time) {
        free = count;
        if (count < stats.lowestFree) {
            stats.lowestFree = count;
            stats.lowestFreeAt = time;
        }
    }

    void switchTo(int tid) {
        int from = running;
        running = tid;
        t += 100;
        emit(EmulatorEvents.SCHED_SWITCH, Math.max(from, 0), tid, 0, 0);
    }

    /**
     * The running thread sleeps while {@code meanwhile} runs other threads; it is woken at the time
     * meanwhile returns (or now, if later), after the completions due by then.
     */
    void sleep(String wmesg, long wchan, java.util.function.LongSupplier meanwhile) {
        int self = running;
        name(SCHED_TSLEEP, wchan, wmesg);
        emit(EmulatorEvents.SCHED_SLEEP, wchan, 0, 0, 0);
        running = -1;
        long until = meanwhile.getAsLong();
        t = Math.max(t, until);
        runPending(t);
        emit(t, -1, 0, EmulatorEvents.SCHED_WAKEUP, wchan, self, 0, 0);
        switchTo(self);
    }

    // ---- the run ----------------------------------------------------------------------------------

    private void run() {
        for (int tid = 0; tid < cpuOf.length; tid++) cpuOf[tid] = tid % 2;
        running = 0;
        emit(VM_THRESHOLDS, INTERRUPT_FREE_MIN, PAGEOUT_FREE_MIN, SEVERE, RESERVED);
        emit(VM_TARGETS, MIN, WAIT | (long) START << 32, TARGET1 | (long) TARGET2 << 32, PAGES);
        name(SCHED_THREAD_NAME, PAGEDAEMON, "pagedaemon");
        name(SCHED_THREAD_NAME, EMERGPAGER, "emergpager");
        name(ALLOC_NAME, SWAPMETA_ZONE, "SWAPMETA");
        name(ALLOC_NAME, SWAPMETA_TYPE, "M_SWAPMETA");
        name(ALLOC_NAME, TEMP_TYPE, "temp");
        String[] programs = {"", "pager", "forker", "segv", "hog"};
        for (int pid = 1; pid <= 4; pid++) {
            int tid = 9 + pid;
            emit(EmulatorEvents.SCHED_SPAWN, tid, cpuOf[tid], 0, 0);
            name(SCHED_THREAD_NAME, tid, programs[pid]);
            name(SCHED_PROC_START, pid | (long) tid << 32, programs[pid]);
        }
        boolean[] alive = {false, true, true, true, true};
        ArrayDeque<Long> pagerSwapped = new ArrayDeque<>();
        long[] touched = new long[5];
        boolean oomDone = false;
        t = 1_000_000;
        while (t < 200_000_000L) {
            for (int pid = 1; pid <= 4; pid++) {
                if (!alive[pid]) continue;
                int tid = 9 + pid;
                switchTo(tid);
                for (int i = 0; i < 20 && alive[pid]; i++) {
                    long base = 0x1000_0000L * pid;
                    switch (pid) {
                        case 1 -> {
                            // the pager: touches new pages, and comes back to some that went to swap
                            if (!pagerSwapped.isEmpty() && rnd.nextInt(4) == 0) {
                                fault(pid, pagerSwapped.poll(), FAULT_SWAP_IN, 0x6, base);
                            } else {
                                long va = base + 4096 * touched[pid]++;
                                fault(pid, va, FAULT_ZERO_FILL, 0x6, base);
                                if (rnd.nextInt(3) == 0) pagerSwapped.add(va);
                            }
                        }
                        case 2 -> {
                            long va = base + 4096 * (touched[pid]++ % 512);
                            int k = rnd.nextInt(10);
                            if (k < 6) fault(pid, va, FAULT_COW, 0x7, base);
                            else if (k < 8) fault(pid, va, FAULT_PROTECTION, 0x7, base);
                            else if (k < 9) fault(pid, va, FAULT_RESIDENT, 0x4, base);
                            else fault(pid, va, FAULT_ZERO_FILL, 0x6, base);
                        }
                        case 3 -> {
                            if (t > 30_000_000L) {
                                fault(pid, 0xdead_0000L, FAULT_SIGSEGV, 0x6, 0);
                                emit(SCHED_PROC_EXIT, 3, 1, 0xdead_0000L, 0);
                                emit(EmulatorEvents.SCHED_EXIT, 12, 0, 0, 0);
                                alive[pid] = false;
                            } else {
                                fault(pid, base + 4096 * touched[pid]++, FAULT_ZERO_FILL, 0x6, base);
                            }
                        }
                        default -> {
                            if (!oomDone && t > 150_000_000L) {
                                oomDone = true;
                                oomKill(pid, touched[pid]);
                                alive[pid] = false;
                            } else {
                                fault(pid, base + 4096 * touched[pid]++, FAULT_ZERO_FILL, 0x6, base);
                            }
                        }
                    }
                }
                t += 150_000 + rnd.nextInt(100_000);
                if (free < START && rnd.nextInt(3) == 0) pageoutPass(false);
            }
        }
        // The end: the forker waits for memory the pagedaemon never frees: both asleep for good.
        switchTo(11);
        name(SCHED_TSLEEP, 0xffff_b800_0000_1000L, "pfault");
        emit(EmulatorEvents.SCHED_SLEEP, 0xffff_b800_0000_1000L, 0, 0, 0);
        switchTo(PAGEDAEMON);
        name(SCHED_TSLEEP, 0xffff_b800_0000_2000L, "swbwait");
        emit(EmulatorEvents.SCHED_SLEEP, 0xffff_b800_0000_2000L, 0, 0, 0);
        t += 1_000_000;
        runPending(Long.MAX_VALUE);
        emit(t, 0, PAGEDAEMON, EmulatorEvents.SCHED_DEADLOCK, 2, 0, 0, 0);
        stats.endNs = t;
    }

    /** One fault by the running thread of pid, recorded at its end with its duration. */
    private void fault(int pid, long va, int kind, int code, long entry) {
        long start = t;
        emit(EmulatorEvents.MMU_PAGE_FAULT, va, code, 0x200_0000L + pid * 0x1000L, 0);
        t += 300 + rnd.nextInt(200);
        if (kind == FAULT_ZERO_FILL || kind == FAULT_COW || kind == FAULT_SWAP_IN) {
            if (free <= RESERVED) {
                // below the reserve a user page allocation fails and the fault waits for the pagedaemon
                emit(VM_PAGE_ALLOC, 0, 0, free, 0);
                long sleptAt = free;
                long waitStart = t;
                sleep("pfault", 0xffff_b800_0000_1000L, () -> pageoutPass(true));
                t += 200;
                emit(VM_WAIT, 1, sleptAt, free, t - waitStart);
                stats.vmWaits++;
            }
            freeCount(free - 1, t);
            emit(VM_PAGE_ALLOC, 0xffff_c000_0000_0000L + rnd.nextInt(1 << 20) * 128L, 0, free, 0x1);
            t += 1_000; // zeroing or copying the page
        }
        if (kind == FAULT_SWAP_IN) {
            long req = nextReq++;
            long blk = rnd.nextInt(4096);
            emit(SWAP_IO_START, req, 0, blk, 1);
            emit(EmulatorEvents.IO_SUBMIT, req, 0, 8 * blk, 8);
            long submitted = t;
            long done = t + 120_000;
            later(done, () -> {
                emit(done, -1, -1, EmulatorEvents.IO_DONE, req, 0, 0, 8);
                emit(done, -1, -1, SWAP_IO_DONE, req, 0, 0, done - submitted);
                swapUsed = Math.max(swapUsed - 1, 0);
                emit(done, -1, -1, SWAP_FREE, blk, 1, swapUsed, 0);
            });
            stats.swapReads++;
            sleep("swread", 0xffff_c000_1000_0000L + req, () -> done + 50);
        }
        if (kind == FAULT_SIGSEGV) entry = 0;
        t += 200;
        long dur = t - start;
        emit(FAULTS_FAULT, va, code | (long) kind << 16 | (long) pid << 32, entry, dur);
        stats.faultsByKind[kind]++;
        stats.faultsByPid[pid]++;
        stats.faultLatencyMax = Math.max(stats.faultLatencyMax, dur);
    }

    /** One pagedaemon pass: frees clean pages, launders dirty ones to swap. Returns when its I/O is done. */
    private long pageoutPass(boolean urgent) {
        int back = running;
        switchTo(PAGEDAEMON);
        long start = t;
        int scanned = 96 + rnd.nextInt(64);
        int cleaned = 12;
        for (int i = 0; i < cleaned; i++) {
            t += 150;
            freeCount(free + 1, t);
            emit(VM_PAGE_FREE, 0xffff_c000_0000_0000L + rnd.nextInt(1 << 20) * 128L, free, 0, 0);
        }
        long lastDone = t;
        for (int batch = 0; batch < 4; batch++) {
            // SWAPMETA for the batch; below the reserve it sleeps until pages come back
            long allocStart = t;
            boolean sleeps = free < RESERVED + 40 && batch == 0;
            if (sleeps) {
                name(SCHED_TSLEEP, SWAPMETA_ZONE, "zonewait");
                emit(EmulatorEvents.SCHED_SLEEP, SWAPMETA_ZONE, 0, 0, 0);
                t += 80_000;
                runPending(t);
                emit(t, -1, -1, EmulatorEvents.SCHED_WAKEUP, SWAPMETA_ZONE, PAGEDAEMON, 0, 0);
                emit(EmulatorEvents.SCHED_SWITCH, 0, PAGEDAEMON, 0, 0);
                stats.sleptZallocs++;
            }
            t += 400;
            emit(ALLOC_ZALLOC, SWAPMETA_ZONE, 64, 0xffff_b800_0040_0000L + 64L * rnd.nextInt(4096), t - allocStart);
            t += 100;
            emit(ALLOC_KMALLOC, TEMP_TYPE, 128, 0xffff_b800_0050_0000L, 100);
            long blk = nextBlock;
            nextBlock += 8;
            swapUsed += 8;
            emit(SWAP_ALLOC, blk, 8, swapUsed, 0);
            long req = nextReq++;
            emit(SWAP_IO_START, req, 1, blk, 8);
            emit(EmulatorEvents.IO_SUBMIT, req, 1, 8 * blk, 64);
            long submitted = t;
            long done = t + 250_000 + 20_000L * batch;
            lastDone = Math.max(lastDone, done);
            later(done, () -> {
                emit(done, -1, -1, EmulatorEvents.IO_DONE, req, 1, 0, 64);
                emit(done, -1, -1, SWAP_IO_DONE, req, 1, 0, done - submitted);
                for (int p = 0; p < 8; p++) {
                    freeCount(free + 1, done);
                    emit(done, -1, -1, VM_PAGE_FREE, 0xffff_c000_0000_0000L + p * 128L, free, 0, 0);
                }
            });
            stats.swapWrites++;
            stats.swapWritePages += 8;
            t += 2_000;
        }
        if (free < PAGEOUT_FREE_MIN + 60 && urgent) {
            long waitStart = t;
            name(SCHED_TSLEEP, 0xffff_b800_0000_3000L, "VMWait");
            emit(EmulatorEvents.SCHED_SLEEP, 0xffff_b800_0000_3000L, 0, 0, 0);
            long slept = free;
            t = lastDone + 10;
            runPending(t);
            emit(t, -1, -1, EmulatorEvents.SCHED_WAKEUP, 0xffff_b800_0000_3000L, PAGEDAEMON, 0, 0);
            emit(EmulatorEvents.SCHED_SWITCH, 0, PAGEDAEMON, 0, 0);
            t += 100;
            emit(VM_WAIT, 2, slept, free, t - waitStart);
            stats.vmWaits++;
        }
        t += 500;
        emit(VM_PAGEOUT_PASS, scanned, 32, cleaned, t - start);
        stats.pageoutPasses++;
        stats.laundered += 32;
        if (back >= 0) switchTo(back);
        return lastDone + 20;
    }

    private void oomKill(int pid, long pages) {
        emit(VM_OOM_KILL, pid, pages, free, 0);
        stats.oomKills++;
        emit(SCHED_PROC_EXIT, pid, 2, 0, 0);
        emit(EmulatorEvents.SCHED_EXIT, 9 + pid, 0, 0, 0);
        for (long p = 0; p < pages; p++) {
            t += 50;
            freeCount(free + 1, t);
            emit(VM_PAGE_FREE, 0xffff_c000_0000_0000L + p * 128L, free, 0, 0);
        }
    }
}
