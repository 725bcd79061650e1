package org.dfemu.kernel.harness.trace;

import org.dfemu.emulator.trace.EmulatorEvents;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The trace events the ported kernel records, numbered from {@link EmulatorEvents#FIRST_KERNEL_TYPE}
 * after the machine's own. This class is the contract between the recorder (the kernel) and every
 * reader ({@code dfemu trace}); the trace file's header carries the names, so a file stays readable
 * as long as names keep their meaning. New types are only ever appended.
 *
 * <p>An event's category is its name up to the first underscore (see
 * {@code org.dfemu.emulator.trace.TraceCategories}): {@code faults}, {@code vm}, {@code swap},
 * {@code alloc} and {@code sched}, the names {@code dfemu boot --trace-events} takes.
 *
 * <p>Events that last (a fault, a vm_wait sleep, a pageout pass, a swap I/O, an allocation that
 * may sleep) are one record written when they end, at the end's virtual time, with their duration
 * in virtual nanoseconds as an argument: the span is [time - duration, time]. Records are in the
 * order they were written, so a reader that wants spans in start order sorts them.
 *
 * <p>Arguments per type are given as (a0, a1, a2, a3); "name24" is up to 24 bytes of ASCII packed
 * little-endian into a1..a3 (see {@link #packName}), zero-padded.
 */
public final class KernelEvents {
    private KernelEvents() {}

    private static final int K = EmulatorEvents.FIRST_KERNEL_TYPE;

    // ---- faults --------------------------------------------------------------------------------

    /**
     * A page fault handled by trap_pfault/vm_fault, recorded when it ends:
     * (va, x86 error code | kind &lt;&lt; 16 | pid &lt;&lt; 32, start of the vm_map_entry it hit or 0,
     * duration ns). pid 0 is a kernel-mode fault on kernel memory.
     */
    public static final int FAULTS_FAULT = K;

    /** Fault kinds (bits 16..31 of a1 of {@link #FAULTS_FAULT}). */
    public static final int FAULT_ZERO_FILL = 1;
    /** Copy-on-write: a private copy made of a page shared after fork or read from a backing object. */
    public static final int FAULT_COW = 2;
    /** The page was read back from swap. */
    public static final int FAULT_SWAP_IN = 3;
    /** A present page's protection changed (e.g. write-enabling a page mapped read-only to track dirtiness). */
    public static final int FAULT_PROTECTION = 4;
    /** No mapping or forbidden access: SIGSEGV delivered to the process. */
    public static final int FAULT_SIGSEGV = 5;
    /** The page was resident in its object (e.g. unmapped by the pageout daemon) and only mapped again. */
    public static final int FAULT_RESIDENT = 6;

    // ---- vm ----------------------------------------------------------------------------------------

    /** vm_page_alloc returned: (vm_page or 0 on failure, page_req flags, v_free_count after, object or 0). */
    public static final int VM_PAGE_ALLOC = K + 1;
    /** A page went to the free queue (vm_page_free_toq): (vm_page, v_free_count after, -, -). */
    public static final int VM_PAGE_FREE = K + 2;
    /**
     * A vm_wait or vm_wait_pfault sleep ended: (0 vm_wait / 1 vm_wait_pfault / 2 the pagedaemon's own
     * wait, v_free_count when it slept, v_free_count when it woke, duration ns).
     */
    public static final int VM_WAIT = K + 3;
    /**
     * One pass of a pageout daemon ended: (pages scanned, pages laundered (sent to swap),
     * pages freed or cached, duration ns). The thread says which daemon; a0..a2 cover the pass.
     */
    public static final int VM_PAGEOUT_PASS = K + 4;
    /** The pageout daemon killed a process for lack of memory: (pid, its anonymous + swap pages, v_free_count, -). */
    public static final int VM_OOM_KILL = K + 5;

    // ---- swap --------------------------------------------------------------------------------------

    /** Swap I/O submitted: (request id, 1 write / 0 read, first swap block (page), page count). */
    public static final int SWAP_IO_START = K + 6;
    /** Swap I/O completed: (request id, 1 write / 0 read, 0 ok or the error, duration ns). */
    public static final int SWAP_IO_DONE = K + 7;
    /** Swap space allocated (blist): (first block, page count, swap pages in use after, -). */
    public static final int SWAP_ALLOC = K + 8;
    /** Swap space freed: (first block, page count, swap pages in use after, -). */
    public static final int SWAP_FREE = K + 9;

    // ---- alloc -------------------------------------------------------------------------------------

    /** zalloc returned: (zone, item size, item or 0, duration ns). */
    public static final int ALLOC_ZALLOC = K + 10;
    /** kmalloc returned: (malloc_type, size | M_ flags &lt;&lt; 32, pointer or 0, duration ns). */
    public static final int ALLOC_KMALLOC = K + 11;
    /** kmalloc_obj returned: (malloc_type, object size | M_ flags &lt;&lt; 32, pointer or 0, duration ns). */
    public static final int ALLOC_KMALLOC_OBJ = K + 12;
    /** kmem_slab_alloc returned: (size, M_ flags, KVA or 0, duration ns). */
    public static final int ALLOC_SLAB = K + 13;
    /** Names an allocator object (a zone or a malloc_type) the first time it appears: (address, name24). */
    public static final int ALLOC_NAME = K + 14;

    // ---- sched -------------------------------------------------------------------------------------

    /** Names a kernel or process thread: (tid, name24). */
    public static final int SCHED_THREAD_NAME = K + 15;
    /** A process started: (pid | tid &lt;&lt; 32, name24 of its program). */
    public static final int SCHED_PROC_START = K + 16;
    /** A process ended: (pid, 0 exited / 1 SIGSEGV / 2 killed for lack of memory, exit code or fault va, -). */
    public static final int SCHED_PROC_EXIT = K + 17;
    /** A tsleep with its wait message: (wait channel, name24 of the wmesg). */
    public static final int SCHED_TSLEEP = K + 18;
    /** The kernel panicked: (-, name24 of the first 24 bytes of the message). */
    public static final int SCHED_PANIC = K + 19;

    // ---- vm, once per trace ------------------------------------------------------------------------

    /**
     * The free-page reserves, recorded once when the kernel starts tracing (after the pageout
     * thresholds are set): (v_interrupt_free_min, v_pageout_free_min, v_free_severe, v_free_reserved).
     */
    public static final int VM_THRESHOLDS = K + 20;
    /**
     * The paging targets, recorded right after {@link #VM_THRESHOLDS}: (v_free_min,
     * v_paging_wait | v_paging_start &lt;&lt; 32, v_paging_target1 | v_paging_target2 &lt;&lt; 32, v_page_count).
     */
    public static final int VM_TARGETS = K + 21;

    /**
     * A SWAPMETA path counter went up (harness/report/SwapmetaPaths; docs/swapmeta-paths.md):
     * (counter index in SwapmetaPaths.NAMES, value after, v_free_count, -).
     */
    public static final int VM_SWAPMETA_PATH = K + 22;

    /** Number of kernel types. */
    public static final int COUNT = 23;

    /** The full name table: the machine's types followed by the kernel's. No requirements. */
    public static String[] names() {
        String[] n = Arrays.copyOf(EmulatorEvents.names(), K + COUNT);
        n[FAULTS_FAULT] = "faults_fault";
        n[VM_PAGE_ALLOC] = "vm_page_alloc";
        n[VM_PAGE_FREE] = "vm_page_free";
        n[VM_WAIT] = "vm_wait";
        n[VM_PAGEOUT_PASS] = "vm_pageout_pass";
        n[VM_OOM_KILL] = "vm_oom_kill";
        n[SWAP_IO_START] = "swap_io_start";
        n[SWAP_IO_DONE] = "swap_io_done";
        n[SWAP_ALLOC] = "swap_alloc";
        n[SWAP_FREE] = "swap_free";
        n[ALLOC_ZALLOC] = "alloc_zalloc";
        n[ALLOC_KMALLOC] = "alloc_kmalloc";
        n[ALLOC_KMALLOC_OBJ] = "alloc_kmalloc_obj";
        n[ALLOC_SLAB] = "alloc_slab";
        n[ALLOC_NAME] = "alloc_name";
        n[SCHED_THREAD_NAME] = "sched_thread_name";
        n[SCHED_PROC_START] = "sched_proc_start";
        n[SCHED_PROC_EXIT] = "sched_proc_exit";
        n[SCHED_TSLEEP] = "sched_tsleep";
        n[SCHED_PANIC] = "sched_panic";
        n[VM_THRESHOLDS] = "vm_thresholds";
        n[VM_TARGETS] = "vm_targets";
        n[VM_SWAPMETA_PATH] = "vm_swapmeta_path";
        return n;
    }

    /** The fault kind's name as reports print it ("zero-fill", ...); "?" for an unknown kind. */
    public static String faultKindName(int kind) {
        return switch (kind) {
            case FAULT_ZERO_FILL -> "zero-fill";
            case FAULT_COW -> "copy-on-write";
            case FAULT_SWAP_IN -> "swap-in";
            case FAULT_PROTECTION -> "protection";
            case FAULT_SIGSEGV -> "SIGSEGV";
            case FAULT_RESIDENT -> "resident";
            default -> "?";
        };
    }

    /** The kind named {@code name} as {@link #faultKindName} prints it, or -1. */
    public static int faultKindOf(String name) {
        for (int k = FAULT_ZERO_FILL; k <= FAULT_RESIDENT; k++) {
            if (faultKindName(k).equals(name)) return k;
        }
        return -1;
    }

    /**
     * Packs the first 24 bytes of {@code name} (non-ASCII bytes become '?') into three longs,
     * little-endian, zero-padded, as a1..a3 of the name24 events. Allocates only the result.
     */
    public static long[] packName(String name) {
        long[] w = new long[3];
        int n = Math.min(name.length(), 24);
        for (int i = 0; i < n; i++) {
            char c = name.charAt(i);
            long b = (c >= 0x20 && c < 0x7f) ? c : '?';
            w[i >> 3] |= b << ((i & 7) * 8);
        }
        return w;
    }

    /** The name {@link #packName} packed into {@code a1, a2, a3}. */
    public static String unpackName(long a1, long a2, long a3) {
        byte[] b = new byte[24];
        long[] w = {a1, a2, a3};
        int n = 0;
        for (int i = 0; i < 24; i++) {
            byte c = (byte) (w[i >> 3] >>> ((i & 7) * 8));
            if (c == 0) break;
            b[n++] = c;
        }
        return new String(b, 0, n, StandardCharsets.US_ASCII);
    }
}
