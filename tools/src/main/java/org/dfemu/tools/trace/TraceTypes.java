package org.dfemu.tools.trace;

import java.util.List;
import org.dfemu.emulator.trace.EmulatorEvents;
import org.dfemu.kernel.harness.trace.KernelEvents;

/**
 * The event types of one trace file, found by name in its header (the header, not the numbering
 * of this build, is what a file is read by): each field is the type number in this file, or -1 if
 * the file has no such type (a trace of the machine alone has none of the kernel's). Also the
 * small decoders every command shares: the packed fault argument, the x86 error code, name24.
 *
 * <p>Names and arguments are those of {@link EmulatorEvents} and {@link KernelEvents}.
 */
final class TraceTypes {
    final int schedSwitch;
    final int schedSleep;
    final int schedWakeup;
    final int schedSpawn;
    final int schedExit;
    final int ioSubmit;
    final int ioDone;
    final int tlbShootdown;
    final int mmuPageFault;
    final int schedDeadlock;
    final int fault;
    final int pageAlloc;
    final int pageFree;
    final int vmWait;
    final int pageoutPass;
    final int oomKill;
    final int swapIoStart;
    final int swapIoDone;
    final int swapAlloc;
    final int swapFree;
    final int zalloc;
    final int kmalloc;
    final int kmallocObj;
    final int slab;
    final int allocName;
    final int threadName;
    final int procStart;
    final int procExit;
    final int tsleep;
    final int panic;
    final int thresholds;
    final int targets;
    final int swapmetaPath;
    /** True if the file recorded kernel fault events (faults_fault in its category mask). */
    final boolean kernelFaults;

    TraceTypes(List<String> names, java.util.function.IntPredicate enabled) {
        String[] emu = EmulatorEvents.names();
        String[] all = KernelEvents.names();
        schedSwitch = find(names, emu[EmulatorEvents.SCHED_SWITCH]);
        schedSleep = find(names, emu[EmulatorEvents.SCHED_SLEEP]);
        schedWakeup = find(names, emu[EmulatorEvents.SCHED_WAKEUP]);
        schedSpawn = find(names, emu[EmulatorEvents.SCHED_SPAWN]);
        schedExit = find(names, emu[EmulatorEvents.SCHED_EXIT]);
        ioSubmit = find(names, emu[EmulatorEvents.IO_SUBMIT]);
        ioDone = find(names, emu[EmulatorEvents.IO_DONE]);
        tlbShootdown = find(names, emu[EmulatorEvents.TLB_SHOOTDOWN]);
        mmuPageFault = find(names, emu[EmulatorEvents.MMU_PAGE_FAULT]);
        schedDeadlock = find(names, emu[EmulatorEvents.SCHED_DEADLOCK]);
        fault = find(names, all[KernelEvents.FAULTS_FAULT]);
        pageAlloc = find(names, all[KernelEvents.VM_PAGE_ALLOC]);
        pageFree = find(names, all[KernelEvents.VM_PAGE_FREE]);
        vmWait = find(names, all[KernelEvents.VM_WAIT]);
        pageoutPass = find(names, all[KernelEvents.VM_PAGEOUT_PASS]);
        oomKill = find(names, all[KernelEvents.VM_OOM_KILL]);
        swapIoStart = find(names, all[KernelEvents.SWAP_IO_START]);
        swapIoDone = find(names, all[KernelEvents.SWAP_IO_DONE]);
        swapAlloc = find(names, all[KernelEvents.SWAP_ALLOC]);
        swapFree = find(names, all[KernelEvents.SWAP_FREE]);
        zalloc = find(names, all[KernelEvents.ALLOC_ZALLOC]);
        kmalloc = find(names, all[KernelEvents.ALLOC_KMALLOC]);
        kmallocObj = find(names, all[KernelEvents.ALLOC_KMALLOC_OBJ]);
        slab = find(names, all[KernelEvents.ALLOC_SLAB]);
        allocName = find(names, all[KernelEvents.ALLOC_NAME]);
        threadName = find(names, all[KernelEvents.SCHED_THREAD_NAME]);
        procStart = find(names, all[KernelEvents.SCHED_PROC_START]);
        procExit = find(names, all[KernelEvents.SCHED_PROC_EXIT]);
        tsleep = find(names, all[KernelEvents.SCHED_TSLEEP]);
        panic = find(names, all[KernelEvents.SCHED_PANIC]);
        thresholds = find(names, all[KernelEvents.VM_THRESHOLDS]);
        targets = find(names, all[KernelEvents.VM_TARGETS]);
        swapmetaPath = find(names, all[KernelEvents.VM_SWAPMETA_PATH]);
        kernelFaults = fault >= 0 && enabled.test(fault);
    }

    private static int find(List<String> names, String name) {
        return names.indexOf(name);
    }

    // ---- decoders ------------------------------------------------------------------------------

    /** The x86 error code in a1 of faults_fault. */
    static int faultErrorCode(long a1) {
        return (int) (a1 & 0xFFFF);
    }

    /** The fault kind (KernelEvents.FAULT_*) in a1 of faults_fault. */
    static int faultKind(long a1) {
        return (int) ((a1 >>> 16) & 0xFFFF);
    }

    /** The pid in a1 of faults_fault (0: kernel). */
    static int faultPid(long a1) {
        return (int) (a1 >>> 32);
    }

    /**
     * The x86 page-fault error code as four letters, '-' for a clear bit: P (the page was present:
     * a protection fault), W (write), U (user mode), I (instruction fetch); an R is appended if the
     * reserved-bit flag is set.
     */
    static String errorCodeLetters(int code) {
        StringBuilder b = new StringBuilder(5);
        b.append((code & 1) != 0 ? 'P' : '-');
        b.append((code & 2) != 0 ? 'W' : '-');
        b.append((code & 4) != 0 ? 'U' : '-');
        b.append((code & 16) != 0 ? 'I' : '-');
        if ((code & 8) != 0) b.append('R');
        return b.toString();
    }

    /** Name of a fault kind for reports; "-" for none (a machine-only trace's faults). */
    static String kindName(int kind) {
        return kind == 0 ? "-" : KernelEvents.faultKindName(kind);
    }

    /** The name of SWAPMETA path counter {@code index} (a0 of vm_swapmeta_path), or "counter N". */
    static String swapmetaPathName(long index) {
        var names = org.dfemu.kernel.harness.report.SwapmetaPaths.NAMES;
        return index >= 0 && index < names.size() ? names.get((int) index) : "counter " + index;
    }

    /** Seconds with 9 decimals, for times in reports. */
    static String seconds(long ns) {
        return String.format(java.util.Locale.ROOT, "%.9f", ns / 1e9);
    }

    /** A duration in the unit that keeps it short: "850 ns", "12.300 us", "4.200 ms", "1.500 s". */
    static String duration(long ns) {
        if (ns < 1_000) return ns + " ns";
        if (ns < 1_000_000) return String.format(java.util.Locale.ROOT, "%.3f us", ns / 1e3);
        if (ns < 1_000_000_000) return String.format(java.util.Locale.ROOT, "%.3f ms", ns / 1e6);
        return String.format(java.util.Locale.ROOT, "%.3f s", ns / 1e9);
    }

    /**
     * {@code now - first} for {@code now >= first}, saturated at Long.MAX_VALUE: a damaged record
     * may hold any time, and the difference of two extreme ones does not fit in a long.
     */
    static long since(long now, long first) {
        long d = now - first;
        return d < 0 ? Long.MAX_VALUE : d;
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
