package org.dfemu.kernel.harness.trace;

import org.dfemu.kernel.Kernel;

import org.dfemu.kernel.Kassert;

import org.dfemu.kernel.KernelMemory;

import static org.dfemu.kernel.harness.trace.KernelEvents.*;

import java.util.Arrays;
import org.dfemu.emulator.cpu.Cpu;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.trace.EmulatorEvents;
import org.dfemu.kernel.sys.StructMallocType;
import org.dfemu.kernel.sys.StructProc;
import org.dfemu.kernel.sys.StructThread;
import org.dfemu.kernel.sys.StructVmstats;
import org.dfemu.kernel.vm.StructVmZone;

/**
 * The kernel's trace recorder: one typed method per {@link KernelEvents} type, called from hooks
 * in the ported files. dfemu-only: DragonFly's nearest relative is KTR (sys/ktr.h, kern_ktr.c),
 * a per-cpu ring of fixed-size entries written by KTR_LOG macros at chosen sites; here the
 * entries go to the machine's {@link TraceSink} (a trace file) with virtual time, CPU and thread.
 *
 * <p>Life cycle: a kernel starts with nothing attached, and every method is then a test of one
 * long mask and a return. {@link #attach} (from {@code Kernel.attachMachine}) samples
 * {@code sink.enabled(type)} once for every kernel type into that mask (a {@code TraceWriter}'s
 * mask is fixed at open), and records what tracing needs to start: the vm_thresholds and
 * vm_targets records and an alloc_name record for every zone and malloc type that exists by then.
 * Zones and malloc types created later are named when they are created.
 *
 * <p>Recording is a side channel: it reads kernel memory (the free count, a proc's pid, a zone's
 * item size) but never writes it, never blocks, takes no lock and draws no random number, so a
 * run is the same run with and without a trace. Its own state (per-thread start times of faults
 * and vm_wait sleeps, the ids of swap I/O in flight) is host state about the recording, in Java
 * fields of this per-kernel object, indexed by thread id and swbuf slot.
 *
 * <p>Allocation: none per record, except name events (once per object) and the per-thread
 * arrays growing when a thread with a higher id first records a fault or a vm_wait.
 *
 * <p>Thread safety: none needed; one emulated thread runs at a time (see TraceWriter).
 */
public final class KernelTrace {
    private static final int K = EmulatorEvents.FIRST_KERNEL_TYPE;

    private final Kernel kernel;
    private final KernelMemory km;

    // Set once by attach() (configuration of the recording).
    private TraceSink sink = TraceSink.NONE;
    /** Bit (type - FIRST_KERNEL_TYPE) set if the type is recorded. */
    private long mask;
    private LongSupplier clockNs = () -> 0;
    /** Time for the ends of spans (durations): the clock plus the running thread's uncharged CPU time. */
    private LongSupplier spanNs = () -> 0;
    private IntSupplier cpuOf = () -> -1;
    private IntSupplier tidOf = () -> -1;

    // Per-thread state of open spans, indexed by tid + 1 (tid -1: outside any kernel thread).
    private int[] faultKind = new int[0];
    private long[] faultEntry = new long[0];
    private long[] waitStartNs = new long[0];
    private long[] waitFree = new long[0];

    // Swap I/O in flight, indexed by swbuf slot: the request id given at start, its start time
    // and direction.
    private final long[] swapIoId;
    private final long[] swapIoStartNs;
    private final boolean[] swapIoWrite;
    private long swapIoSeq;

    /** A recorder for {@code kernel} that records nothing until {@link #attach}. */
    public KernelTrace(Kernel kernel, int swbufSlots) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.swapIoId = new long[swbufSlots];
        this.swapIoStartNs = new long[swbufSlots];
        this.swapIoWrite = new boolean[swbufSlots];
    }

    /**
     * Starts recording to {@code sink} with virtual time from {@code clockNs} and CPU and thread
     * id from {@code cpu} and {@code tid} (the scheduler's traceCpu/traceTid: -1 outside a kernel
     * thread). Records vm_thresholds, vm_targets and the names of the existing zones and malloc
     * types. Call once, after boot (the thresholds exist), before the scheduler runs. (boot only)
     */
    public void attach(TraceSink sink, LongSupplier clockNs, IntSupplier cpu, IntSupplier tid) {
        attach(sink, clockNs, clockNs, cpu, tid);
    }

    /**
     * As {@link #attach(TraceSink, LongSupplier, IntSupplier, IntSupplier)}, with span ends (the
     * durations of faults, waits, allocations, swap I/O) from {@code spanNs}: the scheduler's
     * {@code cpuNow}, which adds the CPU time the running thread did and has not yet been charged
     * (charged at its next scheduling point), so a fault that never reaches one still lasts its
     * CPU time. Records stay stamped with {@code clockNs}. (boot only)
     */
    public void attach(TraceSink sink, LongSupplier clockNs, LongSupplier spanNs, IntSupplier cpu, IntSupplier tid) {
        Kassert.kkassert(this.sink == TraceSink.NONE, "trace not attached", "KernelTrace.attach");
        long m = 0;
        for (int t = 0; t < KernelEvents.COUNT; t++) {
            if (sink.enabled(K + t)) m |= 1L << t;
        }
        if (m == 0) return;
        this.sink = sink;
        this.clockNs = clockNs;
        this.spanNs = spanNs;
        this.cpuOf = cpu;
        this.tidOf = tid;
        this.mask = m;
        thresholds();
        if (on(ALLOC_NAME)) {
            Cpu token = km.instrumentBegin();
            try {
                for (long z : kernel.vmZone().zones()) zoneName(z);
                for (long t = kernel.kernSlaballoc().kmemstatistics(); t != 0; t = StructMallocType.ks_next(km, t)) {
                    mallocTypeName(t);
                }
            } finally {
                km.instrumentEnd(token);
            }
        }
    }

    /** True if {@code type} is recorded. No requirements. */
    public boolean on(int type) {
        return (mask & (1L << (type - K))) != 0;
    }

    private void emit(int type, long a0, long a1, long a2, long a3) {
        sink.record(clockNs.getAsLong(), cpuOf.getAsInt(), tidOf.getAsInt(), type, a0, a1, a2, a3);
    }

    /** The virtual time now if {@code type} is recorded, else 0: the start of a span. */
    public long start(int type) {
        return on(type) ? spanNs.getAsLong() : 0;
    }

    private long since(long t0) {
        return spanNs.getAsLong() - t0;
    }

    /** The true free count (dfemu's measurement, not the kernel's lagging global view). */
    private long freeCount() {
        Cpu token = km.instrumentBegin();
        try {
            return kernel.vmMeter().trueCount(StructVmstats.v_free_count$OFFSET);
        } finally {
            km.instrumentEnd(token);
        }
    }

    /** Index of the running thread in the per-thread arrays, growing them if needed. */
    private int slot() {
        int i = tidOf.getAsInt() + 1;
        if (i < 0) i = 0;
        if (i >= faultKind.length) {
            int n = Math.max(i + 1, faultKind.length * 2);
            faultKind = Arrays.copyOf(faultKind, n);
            faultEntry = Arrays.copyOf(faultEntry, n);
            waitStartNs = Arrays.copyOf(waitStartNs, n);
            waitFree = Arrays.copyOf(waitFree, n);
        }
        return i;
    }

    /** Word {@code w} (0..2) of {@link KernelEvents#packName}{@code (s)}, without allocating. */
    static long nameWord(String s, int w) {
        long v = 0;
        int end = Math.min(s.length(), 8 * w + 8);
        for (int i = 8 * w; i < end; i++) {
            char c = s.charAt(i);
            long b = (c >= 0x20 && c < 0x7f) ? c : '?';
            v |= b << ((i & 7) * 8);
        }
        return v;
    }

    private void emitName(int type, long a0, String name) {
        emit(type, a0, nameWord(name, 0), nameWord(name, 1), nameWord(name, 2));
    }

    // ---- faults ---------------------------------------------------------------------------------

    /** trap(): a page fault begins; returns its start time (0 when faults are not recorded). */
    public long faultStart() {
        if (!on(FAULTS_FAULT)) return 0;
        int i = slot();
        faultKind[i] = 0;
        faultEntry[i] = 0;
        return spanNs.getAsLong();
    }

    /**
     * vm_fault(): the fault is resolved as {@code kind} (a FAULT_ constant) in the map entry
     * starting at {@code entryStart}. The trap records it when the fault returns.
     */
    public void faultResolved(int kind, long entryStart) {
        if (!on(FAULTS_FAULT)) return;
        int i = slot();
        faultKind[i] = kind;
        faultEntry[i] = entryStart;
    }

    /**
     * trap(): the fault that began at {@code t0} ended with vm_fault's {@code rv} (0 is
     * KERN_SUCCESS). A failed fault is {@link KernelEvents#FAULT_SIGSEGV}; a successful one on a
     * present page (PGEX_P) that vm_fault found resident is a protection fault.
     */
    public void fault(long va, int errorCode, int rv, long t0) {
        if (!on(FAULTS_FAULT)) return;
        int i = slot();
        int kind;
        long entry = 0;
        if (rv != 0) {
            kind = FAULT_SIGSEGV;
        } else {
            kind = faultKind[i] == 0 ? FAULT_RESIDENT : faultKind[i];
            if (kind == FAULT_RESIDENT && (errorCode & 1) != 0) kind = FAULT_PROTECTION;
            entry = faultEntry[i];
        }
        long pid;
        Cpu token = km.instrumentBegin();
        try {
            long p = StructThread.td_proc(km, kernel.lwkt().curthread());
            pid = p == 0 ? 0 : StructProc.p_pid(km, p);
        } finally {
            km.instrumentEnd(token);
        }
        emit(FAULTS_FAULT, va, (errorCode & 0xFFFFL) | (long) kind << 16 | pid << 32, entry, since(t0));
    }

    // ---- vm -------------------------------------------------------------------------------------

    /** vm_page_alloc() returns {@code m} (0 on failure) for {@code pageReq} in {@code object}. */
    public void pageAlloc(long m, int pageReq, long object) {
        if (on(VM_PAGE_ALLOC)) emit(VM_PAGE_ALLOC, m, pageReq, freeCount(), object);
    }

    /** vm_page_free_toq() put {@code m} on the free (or hold) queue. */
    public void pageFree(long m) {
        if (on(VM_PAGE_FREE)) emit(VM_PAGE_FREE, m, freeCount(), 0, 0);
    }

    /** vm_wait/vm_wait_pfault: the thread is about to sleep for memory. */
    public void vmWaitSleep() {
        if (!on(VM_WAIT)) return;
        int i = slot();
        waitStartNs[i] = spanNs.getAsLong();
        waitFree[i] = freeCount();
    }

    /** The sleep begun by {@link #vmWaitSleep} ended: {@code which} 0 vm_wait, 1 vm_wait_pfault, 2 pagedaemon. */
    public void vmWaitWoke(int which) {
        if (!on(VM_WAIT)) return;
        int i = slot();
        emit(VM_WAIT, which, waitFree[i], freeCount(), since(waitStartNs[i]));
    }

    /** A pageout pass that began at {@code t0} ({@link #start}) scanned, laundered and freed so many pages. */
    public void pageoutPass(long scanned, long laundered, long freed, long t0) {
        if (on(VM_PAGEOUT_PASS)) emit(VM_PAGEOUT_PASS, scanned, laundered, freed, since(t0));
    }

    /** The pageout daemon killed {@code pid}, which held {@code pages} anonymous + swap pages. */
    public void oomKill(int pid, long pages) {
        if (on(VM_OOM_KILL)) emit(VM_OOM_KILL, pid, pages, freeCount(), 0);
    }

    /** SWAPMETA path counter {@code counter} reached {@code value}. */
    public void swapmetaPath(int counter, long value) {
        if (on(VM_SWAPMETA_PATH)) emit(VM_SWAPMETA_PATH, counter, value, freeCount(), 0);
    }

    /** VM_THRESHOLDS then VM_TARGETS from vmstats. */
    private void thresholds() {
        Cpu token = km.instrumentBegin();
        try {
            thresholdsRead();
        } finally {
            km.instrumentEnd(token);
        }
    }

    private void thresholdsRead() {
        long vs = kernel.vmMeter().vmstats();
        if (on(VM_THRESHOLDS)) {
            emit(VM_THRESHOLDS, StructVmstats.v_interrupt_free_min(km, vs), StructVmstats.v_pageout_free_min(km, vs),
                    StructVmstats.v_free_severe(km, vs), StructVmstats.v_free_reserved(km, vs));
        }
        if (on(VM_TARGETS)) {
            emit(VM_TARGETS, StructVmstats.v_free_min(km, vs),
                    lohi(StructVmstats.v_paging_wait(km, vs), StructVmstats.v_paging_start(km, vs)),
                    lohi(StructVmstats.v_paging_target1(km, vs), StructVmstats.v_paging_target2(km, vs)),
                    StructVmstats.v_page_count(km, vs));
        }
    }

    private static long lohi(long lo, long hi) {
        return (lo & 0xFFFF_FFFFL) | hi << 32;
    }

    // ---- swap -----------------------------------------------------------------------------------

    /** vn_strategy(): the swbuf in {@code slot} starts its I/O of {@code npages} pages at swap block {@code blk}. */
    public void swapIoStart(int slot, boolean write, long blk, int npages) {
        if (!on(SWAP_IO_START) && !on(SWAP_IO_DONE)) return;
        long id = ++swapIoSeq;
        swapIoId[slot] = id;
        swapIoStartNs[slot] = spanNs.getAsLong();
        swapIoWrite[slot] = write;
        if (on(SWAP_IO_START)) emit(SWAP_IO_START, id, write ? 1 : 0, blk, npages);
    }

    /** swp_pager_async_iodone(): the swbuf in {@code slot} completed with {@code error} (0 ok). */
    public void swapIoDone(int slot, int error) {
        if (!on(SWAP_IO_DONE)) return;
        emit(SWAP_IO_DONE, swapIoId[slot], swapIoWrite[slot] ? 1 : 0, error, since(swapIoStartNs[slot]));
    }

    private long swapInUse() {
        Cpu token = km.instrumentBegin();
        try {
            return kernel.vmSwap().vmSwapMax() - kernel.vmSwap().vmSwapSize();
        } finally {
            km.instrumentEnd(token);
        }
    }

    /** swp_pager_getswapspace(): {@code npages} blocks at {@code blk} taken from the blist. */
    public void swapAlloc(long blk, int npages) {
        if (on(SWAP_ALLOC)) emit(SWAP_ALLOC, blk, npages, swapInUse(), 0);
    }

    /** swp_pager_freeswapspace(): {@code npages} blocks at {@code blk} returned to the blist. */
    public void swapFree(long blk, int npages) {
        if (on(SWAP_FREE)) emit(SWAP_FREE, blk, npages, swapInUse(), 0);
    }

    // ---- alloc ----------------------------------------------------------------------------------

    /** zalloc(z) begun at {@code t0} ({@link #start}) returned {@code item}. */
    public void zalloc(long z, long item, long t0) {
        if (!on(ALLOC_ZALLOC)) return;
        long zsize;
        Cpu token = km.instrumentBegin();
        try {
            zsize = StructVmZone.zsize(km, z);
        } finally {
            km.instrumentEnd(token);
        }
        emit(ALLOC_ZALLOC, z, zsize, item, since(t0));
    }

    /** kmalloc(size, type, flags) begun at {@code t0} returned {@code p}. */
    public void kmalloc(long type, long size, int flags, long p, long t0) {
        if (on(ALLOC_KMALLOC)) emit(ALLOC_KMALLOC, type, (size & 0xFFFF_FFFFL) | (long) flags << 32, p, since(t0));
    }

    /** kmalloc_obj(size, type, flags) begun at {@code t0} returned {@code p}. */
    public void kmallocObj(long type, long size, int flags, long p, long t0) {
        if (on(ALLOC_KMALLOC_OBJ)) emit(ALLOC_KMALLOC_OBJ, type, (size & 0xFFFF_FFFFL) | (long) flags << 32, p, since(t0));
    }

    /** kmem_slab_alloc(size, align, flags) begun at {@code t0} returned {@code kva}. */
    public void slab(long size, int flags, long kva, long t0) {
        if (on(ALLOC_SLAB)) emit(ALLOC_SLAB, size, flags, kva, since(t0));
    }

    /** Names zone {@code z} (zinit/zbootinit, or at attach). */
    public void zoneName(long z) {
        if (!on(ALLOC_NAME)) return;
        Cpu token = km.instrumentBegin();
        try {
            emitName(ALLOC_NAME, z, kernel.vmZone().zname(z));
        } finally {
            km.instrumentEnd(token);
        }
    }

    /** Names malloc type {@code type} (malloc_init, or at attach). */
    public void mallocTypeName(long type) {
        if (!on(ALLOC_NAME)) return;
        Cpu token = km.instrumentBegin();
        try {
            emitName(ALLOC_NAME, type, StructMallocType.shortdesc(km, type));
        } finally {
            km.instrumentEnd(token);
        }
    }

    // ---- sched ----------------------------------------------------------------------------------

    /** lwkt_create(): thread {@code tid} is named {@code name}. */
    public void threadName(int tid, String name) {
        if (on(SCHED_THREAD_NAME)) emitName(SCHED_THREAD_NAME, tid, name);
    }

    /** A process {@code pid} of program {@code name} starts running on the current thread. */
    public void procStart(int pid, String name) {
        if (on(SCHED_PROC_START)) {
            emitName(SCHED_PROC_START, (pid & 0xFFFF_FFFFL) | (long) tidOf.getAsInt() << 32, name);
        }
    }

    /** Process exit: {@code how} 0 exited / 1 SIGSEGV / 2 killed for lack of memory; {@code arg} exit code or fault va. */
    public void procExit(int pid, int how, long arg) {
        if (on(SCHED_PROC_EXIT)) emit(SCHED_PROC_EXIT, pid, how, arg, 0);
    }

    /** tsleep(ident, wmesg): the current thread is about to sleep. */
    public void tsleep(long ident, String wmesg) {
        if (on(SCHED_TSLEEP)) emitName(SCHED_TSLEEP, ident, wmesg);
    }

    /** panic(): a kernel thread panicked with {@code panicstr} (its first 24 bytes are kept). */
    public void panic(String panicstr) {
        if (on(SCHED_PANIC)) emitName(SCHED_PANIC, 0, panicstr);
    }
}
