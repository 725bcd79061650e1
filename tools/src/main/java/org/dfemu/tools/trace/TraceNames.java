package org.dfemu.tools.trace;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.dfemu.emulator.trace.TraceCursor;
import org.dfemu.kernel.harness.trace.KernelEvents;

/**
 * What a trace says about names, gathered as its records go by: thread names, processes (pid, its
 * program's name and its threads), and allocator objects (zones and malloc types by address).
 * These events are rare (once per thread, process or allocator), so plain maps do.
 */
final class TraceNames {
    /** Thread id to name (sched_thread_name). */
    final Map<Integer, String> threads = new HashMap<>();
    /** pid to program name (sched_proc_start), in pid order. */
    final TreeMap<Integer, String> processes = new TreeMap<>();
    /** Thread id to the pid it belongs to; a thread not here is a kernel thread. */
    final Map<Integer, Integer> pidOfThread = new HashMap<>();
    /** Allocator object address (zone, malloc_type) to name (alloc_name). */
    final Map<Long, String> allocators = new HashMap<>();

    /** Takes the names from the cursor's record if it is a naming event; true if it was. */
    boolean observe(TraceCursor c, TraceTypes t) {
        int type = c.type();
        if (type == t.threadName) {
            threads.put((int) c.a0(), KernelEvents.unpackName(c.a1(), c.a2(), c.a3()));
            return true;
        }
        if (type == t.procStart) {
            long a0 = c.a0();
            int pid = (int) a0;
            int tid = (int) (a0 >>> 32);
            processes.put(pid, KernelEvents.unpackName(c.a1(), c.a2(), c.a3()));
            pidOfThread.put(tid, pid);
            return true;
        }
        if (type == t.allocName) {
            allocators.put(c.a0(), KernelEvents.unpackName(c.a1(), c.a2(), c.a3()));
            return true;
        }
        return false;
    }

    /** "name" of a thread, or "tid N" if the trace never named it. */
    String thread(int tid) {
        String n = threads.get(tid);
        return n != null ? n : "tid " + tid;
    }

    /** The program name of pid, "kernel" for pid 0, or "?" if never started in the trace. */
    String process(int pid) {
        if (pid == 0) return "kernel";
        String n = processes.get(pid);
        return n != null ? n : "?";
    }

    /** The pid of a thread, or -1 for a kernel thread (or one the trace never tied to a process). */
    int pidOf(int tid) {
        Integer p = pidOfThread.get(tid);
        return p != null ? p : -1;
    }

    /** Name of an allocator object, or its address in hex. */
    String allocator(long addr) {
        String n = allocators.get(addr);
        return n != null ? n : TraceTypes.hex(addr);
    }
}
