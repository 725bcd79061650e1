package org.dfemu.emulator.sched;

import java.util.List;
import java.util.NoSuchElementException;

/**
 * Why a run stopped without any thread being able to make progress, and the state of every live
 * thread at that moment: what each waits for, who holds the locks they wait for, and the kernel
 * call chain of each.
 *
 * @param kind     deadlock (nothing can ever run again) or livelock (the watchdog saw no progress)
 * @param timeNs   virtual time of detection
 * @param headline one line saying what was detected
 * @param threads  every thread not yet exited, by thread id
 */
public record DeadlockReport(Kind kind, long timeNs, String headline, List<ThreadInfo> threads) {
    public enum Kind {
        /** No thread can run and no timer or I/O is pending; or spinners wait on each other. */
        DEADLOCK,
        /** Threads keep sleeping but nothing reported progress for the watchdog interval. */
        LIVELOCK
    }

    public DeadlockReport {
        threads = List.copyOf(threads);
    }

    /** The thread called {@code name}; throws if there is none. */
    public ThreadInfo thread(String name) {
        for (ThreadInfo t : threads) {
            if (t.name().equals(name)) return t;
        }
        throw new NoSuchElementException("no thread named " + name + " in the report");
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(kind).append(" at ").append(VirtualTime.seconds(timeNs)).append(" of virtual time: ")
                .append(headline).append('\n');
        sb.append(ThreadInfo.header()).append('\n');
        for (ThreadInfo t : threads) sb.append(t).append('\n');
        return sb.toString();
    }
}
