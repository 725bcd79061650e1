package org.dfemu.kernel;

import org.dfemu.kernel.kern.StructMagazine;
import org.dfemu.kernel.kern.StructMagazinedepot;
import org.dfemu.kernel.kern.StructObjcache;
import org.dfemu.kernel.kern.StructObjcacheDesc;
import org.dfemu.kernel.kern.StructPercpuObjcache;
import org.dfemu.kernel.sys.Queue;
import org.dfemu.kernel.sys.StructGlobaldata;
import org.dfemu.kernel.sys.StructObjcacheMallocArgs;
import org.dfemu.kernel.sys.StructProc;
import org.dfemu.kernel.sys.StructSpinlock;
import org.dfemu.kernel.sys.StructThread;
import org.dfemu.kernel.sys.StructVmmeter;
import org.dfemu.kernel.sys.StructVmstats;
import org.dfemu.kernel.sys.Tree;
import org.dfemu.kernel.vm.StructVmObject;
import org.dfemu.kernel.vm.StructVmPage;
import org.dfemu.kernel.vm.StructVpgqueues;
import org.junit.jupiter.api.Test;

import java.lang.foreign.StructLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Offset tables of every struct view, against offsets worked out by hand from DragonFly's headers
 * at 737b020b54 for LP64 x86-64 (sizes of pointers and longs 8, natural alignment). A wrong
 * padding or field order in a layout fails here, before it corrupts emulated memory.
 */
class StructOffsetsTest {
    private static long off(StructLayout l, String... path) {
        return Ctypes.offset(l, path);
    }

    @Test
    void vmPage() {
        assertEquals(128, StructVmPage.layout().byteSize());
        assertEquals(0, StructVmPage.pageq$OFFSET);
        assertEquals(16, StructVmPage.rb_entry$OFFSET);
        assertEquals(48, StructVmPage.spin$OFFSET);
        assertEquals(56, StructVmPage.md$OFFSET);
        assertEquals(72, StructVmPage.wire_count$OFFSET);
        assertEquals(76, StructVmPage.busy_count$OFFSET);
        assertEquals(80, StructVmPage.hold_count$OFFSET);
        assertEquals(84, StructVmPage.ku_pagecnt$OFFSET);
        assertEquals(88, StructVmPage.object$OFFSET);
        assertEquals(96, StructVmPage.pindex$OFFSET);
        assertEquals(104, StructVmPage.phys_addr$OFFSET);
        assertEquals(112, StructVmPage.queue$OFFSET);
        assertEquals(114, StructVmPage.pc$OFFSET);
        assertEquals(116, StructVmPage.act_count$OFFSET);
        assertEquals(117, StructVmPage.pat_mode$OFFSET);
        assertEquals(118, StructVmPage.valid$OFFSET);
        assertEquals(119, StructVmPage.dirty$OFFSET);
        assertEquals(120, StructVmPage.flags$OFFSET);
        assertEquals(124, off(StructVmPage.layout(), "unused01"));
    }

    @Test
    void vpgqueues() {
        assertEquals(64, StructVpgqueues.layout().byteSize());
        assertEquals(64, StructVpgqueues.layout().byteAlignment());
        assertEquals(0, StructVpgqueues.spin$OFFSET);
        assertEquals(8, StructVpgqueues.pl$OFFSET);
        assertEquals(24, StructVpgqueues.lcnt$OFFSET);
        assertEquals(32, StructVpgqueues.adds$OFFSET);
        assertEquals(40, StructVpgqueues.cnt_offset$OFFSET);
        assertEquals(44, StructVpgqueues.lastq$OFFSET);
        assertEquals(5121, StructVpgqueues.PQ_COUNT);
        assertEquals(1 + 4 * 1024, StructVpgqueues.PQ_HOLD);
    }

    @Test
    void vmstats() {
        assertEquals(256, StructVmstats.layout().byteSize());
        assertEquals(0, StructVmstats.v_page_size$OFFSET);
        assertEquals(8, StructVmstats.v_page_count$OFFSET);
        assertEquals(16, StructVmstats.v_free_severe$OFFSET);
        assertEquals(24, StructVmstats.v_free_reserved$OFFSET);
        assertEquals(32, StructVmstats.v_free_min$OFFSET);
        assertEquals(40, StructVmstats.v_free_target$OFFSET);
        assertEquals(48, StructVmstats.v_inactive_target$OFFSET);
        assertEquals(56, StructVmstats.v_paging_wait$OFFSET);
        assertEquals(64, StructVmstats.v_paging_start$OFFSET);
        assertEquals(72, StructVmstats.v_paging_target1$OFFSET);
        assertEquals(80, StructVmstats.v_paging_target2$OFFSET);
        assertEquals(88, StructVmstats.v_pageout_free_min$OFFSET);
        assertEquals(96, StructVmstats.v_interrupt_free_min$OFFSET);
        assertEquals(104, StructVmstats.v_dma_pages$OFFSET);
        assertEquals(136, StructVmstats.v_free_count$OFFSET);
        assertEquals(144, StructVmstats.v_wire_count$OFFSET);
        assertEquals(152, StructVmstats.v_active_count$OFFSET);
        assertEquals(160, StructVmstats.v_inactive_count$OFFSET);
        assertEquals(168, StructVmstats.v_cache_count$OFFSET);
        assertEquals(176, StructVmstats.v_dma_avail$OFFSET);
        assertEquals(184, off(StructVmstats.layout(), "v_unused_variable"));
    }

    @Test
    void vmmeter() {
        assertEquals(200, StructVmmeter.layout().byteSize());
        assertEquals(0, StructVmmeter.v_swtch$OFFSET);
        assertEquals(28, StructVmmeter.v_vm_faults$OFFSET);
        assertEquals(84, StructVmmeter.v_reactivated$OFFSET);
        assertEquals(104, StructVmmeter.v_tfree$OFFSET);
        assertEquals(108, StructVmmeter.v_forks$OFFSET);
        assertEquals(168, StructVmmeter.v_ppwakeups$OFFSET);
        assertEquals(172, StructVmmeter.v_lock_colls$OFFSET);
        assertEquals(176, off(StructVmmeter.layout(), "v_lock_name"));
        assertEquals(192, StructVmmeter.v_wakeup_colls$OFFSET);
        assertEquals(196, StructVmmeter.v_reserved7$OFFSET);
    }

    @Test
    void vmObject() {
        assertEquals(264, StructVmObject.layout().byteSize());
        assertEquals(0, StructVmObject.token$OFFSET);
        assertEquals(32, StructVmObject.backing_lk$OFFSET);
        assertEquals(64, StructVmObject.object_entry$OFFSET);
        assertEquals(80, StructVmObject.backing_list$OFFSET);
        assertEquals(96, StructVmObject.rb_memq$OFFSET);
        assertEquals(120, StructVmObject.generation$OFFSET);
        assertEquals(128, StructVmObject.size$OFFSET);
        assertEquals(136, StructVmObject.ref_count$OFFSET);
        assertEquals(140, StructVmObject.memattr$OFFSET);
        assertEquals(141, StructVmObject.type$OFFSET);
        assertEquals(142, StructVmObject.flags$OFFSET);
        assertEquals(144, StructVmObject.pg_color$OFFSET);
        assertEquals(148, StructVmObject.paging_in_progress$OFFSET);
        assertEquals(152, StructVmObject.resident_page_count$OFFSET);
        assertEquals(160, StructVmObject.pager_object_entry$OFFSET);
        assertEquals(176, StructVmObject.handle$OFFSET);
        assertEquals(184, StructVmObject.hold_count$OFFSET);
        assertEquals(192, StructVmObject.un_pager$OFFSET);
        assertEquals(224, StructVmObject.swblock_root$OFFSET);
        assertEquals(248, StructVmObject.swblock_count$OFFSET);
        assertEquals(256, StructVmObject.md$OFFSET);
    }

    @Test
    void queueAndTreeLinkage() {
        assertEquals(16, Queue.TAILQ_HEAD.byteSize());
        assertEquals(8, off(Queue.TAILQ_HEAD, "tqh_last"));
        assertEquals(8, off(Queue.TAILQ_ENTRY, "tqe_prev"));
        assertEquals(8, Queue.LIST_HEAD.byteSize());
        assertEquals(16, Queue.LIST_ENTRY.byteSize());
        assertEquals(8, off(Queue.LIST_ENTRY, "le_prev"));
        assertEquals(24, Tree.RB_HEAD.byteSize());
        assertEquals(0, Tree.rbh_root$OFFSET);
        assertEquals(8, Tree.rbh_inprog$OFFSET);
        assertEquals(16, Tree.rbh_spin$OFFSET);
        assertEquals(32, Tree.RB_ENTRY.byteSize());
        assertEquals(8, off(Tree.RB_ENTRY, "rbe_right"));
        assertEquals(16, off(Tree.RB_ENTRY, "rbe_parent"));
        assertEquals(24, off(Tree.RB_ENTRY, "rbe_color"));
        assertEquals(16, Tree.RB_SCAN_INFO.byteSize());
        assertEquals(8, StructSpinlock.layout().byteSize());
        assertEquals(8, Queue.SLIST_HEAD.byteSize());
        assertEquals(8, Queue.SLIST_ENTRY.byteSize());
    }

    /** kern_objcache.c's structures and sys/objcache.h's malloc arguments. */
    @Test
    void objcache() {
        assertEquals(16, StructMagazine.layout().byteSize(), "MAGAZINE_HDRSIZE");
        assertEquals(4, StructMagazine.capacity$OFFSET);
        assertEquals(8, StructMagazine.nextmagazine$OFFSET);
        assertEquals(16, StructMagazine.objects$OFFSET);
        assertEquals(64, StructMagazinedepot.layout().byteSize());
        assertEquals(64, StructMagazinedepot.layout().byteAlignment());
        assertEquals(8, StructMagazinedepot.emptymagazines$OFFSET);
        assertEquals(16, StructMagazinedepot.magcapacity$OFFSET);
        // PORT: the C's spin is at 20; the port's 64-bit lock word needs 8-byte alignment.
        assertEquals(24, StructMagazinedepot.spin$OFFSET);
        assertEquals(32, StructMagazinedepot.unallocated_objects$OFFSET);
        assertEquals(36, StructMagazinedepot.cluster_limit$OFFSET);
        assertEquals(40, StructMagazinedepot.waiting$OFFSET);
        assertEquals(44, StructMagazinedepot.contested$OFFSET);
        assertEquals(64, StructPercpuObjcache.layout().byteSize());
        assertEquals(8, StructPercpuObjcache.previous_magazine$OFFSET);
        assertEquals(16, StructPercpuObjcache.gets_cumulative$OFFSET);
        assertEquals(24, StructPercpuObjcache.gets_null$OFFSET);
        assertEquals(32, StructPercpuObjcache.allocs_cumulative$OFFSET);
        assertEquals(40, StructPercpuObjcache.puts_cumulative$OFFSET);
        assertEquals(48, StructPercpuObjcache.gets_exhausted$OFFSET);
        assertEquals(56, StructPercpuObjcache.waiting$OFFSET);
        assertEquals(128, StructObjcache.layout().byteSize());
        assertEquals(16, StructObjcache.privdata$OFFSET);
        assertEquals(40, StructObjcache.allocator_args$OFFSET);
        assertEquals(48, StructObjcache.desc$OFFSET);
        assertEquals(64, StructObjcache.depot$OFFSET);
        assertEquals(128 + 2 * 64, StructObjcache.sizeFor(2), "__offsetof(struct objcache, cache_percpu[2])");
        assertEquals(64, StructObjcacheDesc.layout().byteSize());
        assertEquals(16, StructObjcacheDesc.objcache$OFFSET);
        assertEquals(24, StructObjcacheDesc.total_objects$OFFSET);
        assertEquals(32, StructObjcacheDesc.name$OFFSET);
        assertEquals(16, StructObjcacheMallocArgs.layout().byteSize());
        assertEquals(8, StructObjcacheMallocArgs.mtype$OFFSET);
    }

    /** The port's own subsets: their sizes are the port's, the fields keep C names and types. */
    @Test
    void portSubsets() {
        assertEquals(48, StructThread.layout().byteSize());
        assertEquals(0, StructThread.td_proc$OFFSET);
        assertEquals(8, StructThread.td_flags$OFFSET);
        assertEquals(12, StructThread.td_critcount$OFFSET);
        assertEquals(16, StructThread.td_kstack$OFFSET);
        assertEquals(24, StructThread.td_kstack_size$OFFSET);
        assertEquals(28, StructThread.td_comm$OFFSET);
        assertEquals(56, StructProc.layout().byteSize());
        assertEquals(0, StructProc.p_list$OFFSET);
        assertEquals(16, StructProc.p_flags$OFFSET);
        assertEquals(20, StructProc.p_pid$OFFSET);
        assertEquals(24, StructProc.p_vmspace$OFFSET);
        assertEquals(32, StructProc.p_comm$OFFSET);
        assertEquals(50, StructProc.p_nice$OFFSET);
        assertEquals(576, StructGlobaldata.layout().byteSize());
        assertEquals(552, StructGlobaldata.gd_freetd$OFFSET);
    }
}
