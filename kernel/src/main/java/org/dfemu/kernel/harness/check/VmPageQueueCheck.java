package org.dfemu.kernel.harness.check;

import org.dfemu.kernel.vm.StructVmPage;
import org.dfemu.kernel.vm.StructVpgqueues;
import org.dfemu.kernel.vm.VmMeter;
import org.dfemu.kernel.vm.VmPage;

import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.StructVmstats;

import java.util.ArrayList;
import java.util.List;

import static org.dfemu.kernel.vm.StructVpgqueues.PQ_ACTIVE;
import static org.dfemu.kernel.vm.StructVpgqueues.PQ_CACHE;
import static org.dfemu.kernel.vm.StructVpgqueues.PQ_COUNT;
import static org.dfemu.kernel.vm.StructVpgqueues.PQ_FREE;
import static org.dfemu.kernel.vm.StructVpgqueues.PQ_HOLD;
import static org.dfemu.kernel.vm.StructVpgqueues.PQ_INACTIVE;
import static org.dfemu.kernel.vm.StructVpgqueues.PQ_L2_SIZE;
import static org.dfemu.kernel.vm.StructVpgqueues.PQ_NONE;

/**
 * (dfemu only) An invariant checker for the page queues, in the spirit of DragonFly's DDB
 * {@code show pageq} but exhaustive: it walks every queue in emulated memory and compares with
 * the counters. Not a port of C code. Pages move between queues, and the counters with them,
 * under the queue spinlocks without blocking (a spinlock holder cannot sleep), and wire_count and
 * v_wire_count change together, so every rule below holds at any scheduling point, with threads
 * asleep anywhere ({@link KernelCheck} runs it from a clock event); the pageout scan's marker
 * pages (PG_MARKER) are skipped.
 *
 * <p>Checked:
 * <ol>
 * <li>every TAILQ is well linked (each element's tqe_prev points at the previous next-pointer,
 *     tqh_last at the last one) and finite;</li>
 * <li>every page on queue i has {@code m->queue == i}, lies in vm_page_array (or is a PG_MARKER
 *     page, which is not counted), and is on exactly one queue;</li>
 * <li>each queue's length equals its lcnt;</li>
 * <li>the lengths per queue type equal the true vmstats counts (global plus every cpu's
 *     unrolled gd_vmstats_adj): free = v_free_count, cache = v_cache_count,
 *     inactive = v_inactive_count, active + hold = v_active_count (PQ_HOLD feeds
 *     v_active_count, as its cnt_offset says);</li>
 * <li>free pages belong to no object and are unwired, unheld and clean;</li>
 * <li>v_wire_count equals the number of wired, non-fictitious pages plus v_dma_pages (the DMA
 *     reserve's pages, wired and PG_FICTITIOUS by vm_add_new_page).</li>
 * </ol>
 */
public final class VmPageQueueCheck {
    private VmPageQueueCheck() {}

    /** Runs every check and returns the violations found (empty if consistent). */
    public static List<String> check(Kernel k) {
        KernelMemory km = k.km();
        VmPage vp = k.vmPage();
        List<String> errors = new ArrayList<>();
        long array = vp.vmPageArray();
        long arraySize = vp.vmPageArraySize();
        long arrayEnd = array + arraySize * StructVmPage.SIZEOF;
        long[] perType = new long[5];
        long queuedPages = 0;

        for (int q = 0; q < PQ_COUNT; q++) {
            long pq = vp.vmPageQueue(q);
            long head = vp.vmPageQueueList(q);
            long expectPrev = head;       // address of the next-pointer that must point at m
            long n = 0;
            long limit = arraySize + 3L * PQ_L2_SIZE + 1; // pages plus the pageout markers
            long m = km.load64(head);
            while (m != 0) {
                if (n++ > limit) {
                    errors.add("queue " + q + ": list does not terminate");
                    break;
                }
                long prevp = km.load64(m + StructVmPage.pageq$OFFSET + 8);
                if (prevp != expectPrev) {
                    errors.add(String.format("queue %d: page 0x%x tqe_prev 0x%x, expected 0x%x", q, m, prevp, expectPrev));
                }
                boolean marker = (StructVmPage.flags(km, m) & StructVmPage.PG_MARKER) != 0;
                if (marker) {
                    n--;
                } else {
                    if (m < array || m >= arrayEnd || (m - array) % StructVmPage.SIZEOF != 0) {
                        errors.add(String.format("queue %d: 0x%x is not in vm_page_array", q, m));
                        break;
                    }
                    if (StructVmPage.queue(km, m) != q) {
                        errors.add(String.format("queue %d: page 0x%x has m->queue %d", q, m, StructVmPage.queue(km, m)));
                    }
                    if (q >= PQ_FREE && q < PQ_FREE + PQ_L2_SIZE) {
                        checkFreePage(km, m, errors);
                    }
                }
                expectPrev = m + StructVmPage.pageq$OFFSET;
                m = km.load64(m + StructVmPage.pageq$OFFSET);
            }
            long last = km.load64(head + 8);
            if (last != expectPrev) {
                errors.add(String.format("queue %d: tqh_last 0x%x, expected 0x%x", q, last, expectPrev));
            }
            long lcnt = StructVpgqueues.lcnt(km, pq);
            if (lcnt != n) {
                errors.add("queue " + q + ": lcnt " + lcnt + " but " + n + " pages on the list");
            }
            if (q == PQ_NONE) {
                if (n != 0) {
                    errors.add("PQ_NONE has " + n + " pages on its list");
                }
                continue;
            }
            perType[(q - 1) / PQ_L2_SIZE] += n;
            queuedPages += n;
        }

        // The true counts: the global vmstats plus every cpu's adjustments not yet rolled up.
        VmMeter meter = k.vmMeter();
        compare(errors, "v_free_count", meter.trueCount(StructVmstats.v_free_count$OFFSET),
                perType[(PQ_FREE - 1) / PQ_L2_SIZE]);
        compare(errors, "v_cache_count", meter.trueCount(StructVmstats.v_cache_count$OFFSET),
                perType[(PQ_CACHE - 1) / PQ_L2_SIZE]);
        compare(errors, "v_inactive_count", meter.trueCount(StructVmstats.v_inactive_count$OFFSET),
                perType[(PQ_INACTIVE - 1) / PQ_L2_SIZE]);
        compare(errors, "v_active_count", meter.trueCount(StructVmstats.v_active_count$OFFSET),
                perType[(PQ_ACTIVE - 1) / PQ_L2_SIZE] + perType[(PQ_HOLD - 1) / PQ_L2_SIZE]);

        long onQueue = 0;
        long wired = 0;
        for (long i = 0; i < arraySize; i++) {
            long m = array + i * StructVmPage.SIZEOF;
            if (StructVmPage.queue(km, m) != PQ_NONE) {
                onQueue++;
            }
            if (StructVmPage.wire_count(km, m) != 0
                    && (StructVmPage.flags(km, m) & StructVmPage.PG_FICTITIOUS) == 0) {
                wired++;
            }
        }
        if (onQueue != queuedPages) {
            errors.add(onQueue + " pages claim a queue but " + queuedPages + " are on the lists");
        }
        compare(errors, "v_wire_count", meter.trueCount(StructVmstats.v_wire_count$OFFSET),
                wired + meter.trueCount(StructVmstats.v_dma_pages$OFFSET));
        return errors;
    }

    /** Runs {@link #check} and panics with the first violations if any. */
    public static void assertConsistent(Kernel k) {
        List<String> errors = check(k);
        if (!errors.isEmpty()) {
            throw Kassert.panic("page queues inconsistent: %s%s", String.join("; ",
                    errors.subList(0, Math.min(5, errors.size()))), errors.size() > 5 ? "; ..." : "");
        }
    }

    private static void checkFreePage(KernelMemory km, long m, List<String> errors) {
        if (StructVmPage.object(km, m) != 0 || StructVmPage.wire_count(km, m) != 0
                || StructVmPage.hold_count(km, m) != 0 || StructVmPage.dirty(km, m) != 0) {
            errors.add(String.format("free page 0x%x: object 0x%x wire %d hold %d dirty 0x%x", m,
                    StructVmPage.object(km, m), StructVmPage.wire_count(km, m), StructVmPage.hold_count(km, m),
                    StructVmPage.dirty(km, m)));
        }
    }

    private static void compare(List<String> errors, String counter, long counted, long walked) {
        if (counted != walked) {
            errors.add("vmstats." + counter + " is " + counted + " but the queues hold " + walked);
        }
    }
}
