package org.dfemu.kernel.sys;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_LONG;

/**
 * View of {@code struct vmstats}, DragonFly's sys/sys/vmmeter.h at commit 737b020b54 (2021-05-28):
 * the page counts and the free-page thresholds every allocation decision reads.
 *
 * <pre>
 * struct vmstats {
 *     u_int v_page_size;  u_int v_unused01;
 *     long  v_page_count, v_free_severe, v_free_reserved;      // fixed after boot
 *     long  v_free_min, v_free_target, v_inactive_target;
 *     long  v_paging_wait, v_paging_start, v_paging_target1, v_paging_target2;
 *     long  v_pageout_free_min, v_interrupt_free_min, v_dma_pages;
 *     long  v_unused_fixed01, v_unused_fixed02, v_unused_fixed03;
 *     long  v_free_count, v_wire_count, v_active_count;         // variable
 *     long  v_inactive_count, v_cache_count, v_dma_avail;
 *     long  v_unused_variable[9];
 * };                                                           // sizeof 256
 * </pre>
 *
 * Counters are changed with {@link #add}, the port of {@code atomic_add_long} on a field.
 */
public final class StructVmstats {
    private StructVmstats() {}

    public static final long SIZEOF = 256;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_INT.withName("v_page_size"),
            C_INT.withName("v_unused01"),
            C_LONG.withName("v_page_count"),
            C_LONG.withName("v_free_severe"),
            C_LONG.withName("v_free_reserved"),
            C_LONG.withName("v_free_min"),
            C_LONG.withName("v_free_target"),
            C_LONG.withName("v_inactive_target"),
            C_LONG.withName("v_paging_wait"),
            C_LONG.withName("v_paging_start"),
            C_LONG.withName("v_paging_target1"),
            C_LONG.withName("v_paging_target2"),
            C_LONG.withName("v_pageout_free_min"),
            C_LONG.withName("v_interrupt_free_min"),
            C_LONG.withName("v_dma_pages"),
            C_LONG.withName("v_unused_fixed01"),
            C_LONG.withName("v_unused_fixed02"),
            C_LONG.withName("v_unused_fixed03"),
            C_LONG.withName("v_free_count"),
            C_LONG.withName("v_wire_count"),
            C_LONG.withName("v_active_count"),
            C_LONG.withName("v_inactive_count"),
            C_LONG.withName("v_cache_count"),
            C_LONG.withName("v_dma_avail"),
            MemoryLayout.sequenceLayout(9, C_LONG).withName("v_unused_variable")).withName("vmstats"), SIZEOF);

    public static final long v_page_size$OFFSET = Ctypes.offset(LAYOUT, "v_page_size");
    public static final long v_page_count$OFFSET = Ctypes.offset(LAYOUT, "v_page_count");
    public static final long v_free_severe$OFFSET = Ctypes.offset(LAYOUT, "v_free_severe");
    public static final long v_free_reserved$OFFSET = Ctypes.offset(LAYOUT, "v_free_reserved");
    public static final long v_free_min$OFFSET = Ctypes.offset(LAYOUT, "v_free_min");
    public static final long v_free_target$OFFSET = Ctypes.offset(LAYOUT, "v_free_target");
    public static final long v_inactive_target$OFFSET = Ctypes.offset(LAYOUT, "v_inactive_target");
    public static final long v_paging_wait$OFFSET = Ctypes.offset(LAYOUT, "v_paging_wait");
    public static final long v_paging_start$OFFSET = Ctypes.offset(LAYOUT, "v_paging_start");
    public static final long v_paging_target1$OFFSET = Ctypes.offset(LAYOUT, "v_paging_target1");
    public static final long v_paging_target2$OFFSET = Ctypes.offset(LAYOUT, "v_paging_target2");
    public static final long v_pageout_free_min$OFFSET = Ctypes.offset(LAYOUT, "v_pageout_free_min");
    public static final long v_interrupt_free_min$OFFSET = Ctypes.offset(LAYOUT, "v_interrupt_free_min");
    public static final long v_dma_pages$OFFSET = Ctypes.offset(LAYOUT, "v_dma_pages");
    public static final long v_free_count$OFFSET = Ctypes.offset(LAYOUT, "v_free_count");
    public static final long v_wire_count$OFFSET = Ctypes.offset(LAYOUT, "v_wire_count");
    public static final long v_active_count$OFFSET = Ctypes.offset(LAYOUT, "v_active_count");
    public static final long v_inactive_count$OFFSET = Ctypes.offset(LAYOUT, "v_inactive_count");
    public static final long v_cache_count$OFFSET = Ctypes.offset(LAYOUT, "v_cache_count");
    public static final long v_dma_avail$OFFSET = Ctypes.offset(LAYOUT, "v_dma_avail");

    public static StructLayout layout() { return LAYOUT; }

    /** {@code atomic_add_long(&vmstats->FIELD, delta)} for the long field at {@code fieldOffset}. */
    public static void add(KernelMemory km, long s, long fieldOffset, long delta) {
        km.fetchAdd64(s + fieldOffset, delta);
    }

    public static int v_page_size(KernelMemory km, long s) { return km.load32(s + v_page_size$OFFSET); }
    public static void v_page_size(KernelMemory km, long s, int v) { km.store32(s + v_page_size$OFFSET, v); }

    public static long v_page_count(KernelMemory km, long s) { return km.load64(s + v_page_count$OFFSET); }
    public static void v_page_count(KernelMemory km, long s, long v) { km.store64(s + v_page_count$OFFSET, v); }

    public static long v_free_severe(KernelMemory km, long s) { return km.load64(s + v_free_severe$OFFSET); }
    public static void v_free_severe(KernelMemory km, long s, long v) { km.store64(s + v_free_severe$OFFSET, v); }

    public static long v_free_reserved(KernelMemory km, long s) { return km.load64(s + v_free_reserved$OFFSET); }
    public static void v_free_reserved(KernelMemory km, long s, long v) { km.store64(s + v_free_reserved$OFFSET, v); }

    public static long v_free_min(KernelMemory km, long s) { return km.load64(s + v_free_min$OFFSET); }
    public static void v_free_min(KernelMemory km, long s, long v) { km.store64(s + v_free_min$OFFSET, v); }

    public static long v_free_target(KernelMemory km, long s) { return km.load64(s + v_free_target$OFFSET); }
    public static void v_free_target(KernelMemory km, long s, long v) { km.store64(s + v_free_target$OFFSET, v); }

    public static long v_inactive_target(KernelMemory km, long s) { return km.load64(s + v_inactive_target$OFFSET); }
    public static void v_inactive_target(KernelMemory km, long s, long v) { km.store64(s + v_inactive_target$OFFSET, v); }

    public static long v_paging_wait(KernelMemory km, long s) { return km.load64(s + v_paging_wait$OFFSET); }
    public static void v_paging_wait(KernelMemory km, long s, long v) { km.store64(s + v_paging_wait$OFFSET, v); }

    public static long v_paging_start(KernelMemory km, long s) { return km.load64(s + v_paging_start$OFFSET); }
    public static void v_paging_start(KernelMemory km, long s, long v) { km.store64(s + v_paging_start$OFFSET, v); }

    public static long v_paging_target1(KernelMemory km, long s) { return km.load64(s + v_paging_target1$OFFSET); }
    public static void v_paging_target1(KernelMemory km, long s, long v) { km.store64(s + v_paging_target1$OFFSET, v); }

    public static long v_paging_target2(KernelMemory km, long s) { return km.load64(s + v_paging_target2$OFFSET); }
    public static void v_paging_target2(KernelMemory km, long s, long v) { km.store64(s + v_paging_target2$OFFSET, v); }

    public static long v_pageout_free_min(KernelMemory km, long s) { return km.load64(s + v_pageout_free_min$OFFSET); }
    public static void v_pageout_free_min(KernelMemory km, long s, long v) { km.store64(s + v_pageout_free_min$OFFSET, v); }

    public static long v_interrupt_free_min(KernelMemory km, long s) { return km.load64(s + v_interrupt_free_min$OFFSET); }
    public static void v_interrupt_free_min(KernelMemory km, long s, long v) { km.store64(s + v_interrupt_free_min$OFFSET, v); }

    public static long v_dma_pages(KernelMemory km, long s) { return km.load64(s + v_dma_pages$OFFSET); }
    public static void v_dma_pages(KernelMemory km, long s, long v) { km.store64(s + v_dma_pages$OFFSET, v); }

    public static long v_free_count(KernelMemory km, long s) { return km.load64(s + v_free_count$OFFSET); }
    public static void v_free_count(KernelMemory km, long s, long v) { km.store64(s + v_free_count$OFFSET, v); }

    public static long v_wire_count(KernelMemory km, long s) { return km.load64(s + v_wire_count$OFFSET); }
    public static void v_wire_count(KernelMemory km, long s, long v) { km.store64(s + v_wire_count$OFFSET, v); }

    public static long v_active_count(KernelMemory km, long s) { return km.load64(s + v_active_count$OFFSET); }
    public static void v_active_count(KernelMemory km, long s, long v) { km.store64(s + v_active_count$OFFSET, v); }

    public static long v_inactive_count(KernelMemory km, long s) { return km.load64(s + v_inactive_count$OFFSET); }
    public static void v_inactive_count(KernelMemory km, long s, long v) { km.store64(s + v_inactive_count$OFFSET, v); }

    public static long v_cache_count(KernelMemory km, long s) { return km.load64(s + v_cache_count$OFFSET); }
    public static void v_cache_count(KernelMemory km, long s, long v) { km.store64(s + v_cache_count$OFFSET, v); }

    public static long v_dma_avail(KernelMemory km, long s) { return km.load64(s + v_dma_avail$OFFSET); }
    public static void v_dma_avail(KernelMemory km, long s, long v) { km.store64(s + v_dma_avail$OFFSET, v); }
}
