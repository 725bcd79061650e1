package org.dfemu.kernel.vm;

import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.machine.StructPmap;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static org.dfemu.kernel.Ctypes.C_INT;

/**
 * View of {@code struct vmspace}, DragonFly's sys/vm/vm_map.h at commit 737b020b54 (2021-05-28):
 * a process's address space, its map and the pmap the map drives, side by side.
 *
 * <pre>
 * struct vmspace {             // (port subset)
 *     struct vm_map vm_map;    //    0  (288)
 *     struct pmap vm_pmap;     //  288  (1096)
 *     u_int vm_refcnt;         // 1384  references (processes sharing it)
 *     u_int vm_holdcnt;        // 1388  temporary holds
 * };                           // sizeof 1392
 * </pre>
 *
 * PORT: the C's accounting fields (vm_tsize, vm_dsize, vm_ssize, vm_taddr, ..., vm_shm,
 * vm_pagesupply) describe an exec'ed program image, which dfemu's workloads do not have; the
 * size is the port's own. The refcount is a plain count rather than the C's
 * VM_REF_DELETED-flagged word: vmspaces are freed by their last holder only.
 */
public final class StructVmspace {
    private StructVmspace() {}

    public static final long SIZEOF = 1392;

    private static final StructLayout LAYOUT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            StructVmMap.layout().withName("vm_map"),
            StructPmap.layout().withName("vm_pmap"),
            C_INT.withName("vm_refcnt"),
            C_INT.withName("vm_holdcnt")).withName("vmspace"), SIZEOF);

    public static final long vm_map$OFFSET = Ctypes.offset(LAYOUT, "vm_map");
    public static final long vm_pmap$OFFSET = Ctypes.offset(LAYOUT, "vm_pmap");
    public static final long vm_refcnt$OFFSET = Ctypes.offset(LAYOUT, "vm_refcnt");
    public static final long vm_holdcnt$OFFSET = Ctypes.offset(LAYOUT, "vm_holdcnt");

    public static StructLayout layout() { return LAYOUT; }

    /** {@code &vm->vm_map}. */
    public static long vm_map(long vm) { return vm + vm_map$OFFSET; }

    /** vmspace_pmap(): {@code &vm->vm_pmap}. */
    public static long vm_pmap(long vm) { return vm + vm_pmap$OFFSET; }

    public static int vm_refcnt(KernelMemory km, long vm) { return km.load32(vm + vm_refcnt$OFFSET); }
    public static void vm_refcnt(KernelMemory km, long vm, int v) { km.store32(vm + vm_refcnt$OFFSET, v); }
}
