package org.dfemu.kernel.vm;

import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;

import static org.dfemu.kernel.vm.StructVmObject.OBJ_DEAD;
import static org.dfemu.kernel.vm.StructVmObject.OBJ_MIGHTBEDIRTY;
import static org.dfemu.kernel.vm.StructVmObject.OBJ_WRITEABLE;
import static org.dfemu.kernel.vm.StructVmObject.OBJT_VNODE;

/**
 * vm_object.c: DragonFly BSD sys/vm/vm_object.c at commit 737b020b54 (2021-05-28), the functions
 * vm_page.c calls: holding and dropping an object, and marking it possibly dirty. The vm_object
 * port (allocation, deallocation, shadow chains, page removal scans) extends this class.
 *
 * <p>PORT: an object's lock is its LWKT token, which the port does not model (see
 * {@link org.dfemu.kernel.kern.Lwkt}): with one thread running at a time and tokens released at
 * every scheduling point, acquiring a token always succeeds at once. Holding therefore keeps its
 * real effect, the hold_count that keeps the object from being freed, and lock_try always
 * succeeds.
 */
public final class VmObject {
    private final KernelMemory km;

    public VmObject(Kernel kernel) {
        this.km = kernel.km();
    }

    /**
     * vm_object_hold(): takes a hold (and, in the C, the exclusive token) on {@code obj}, which
     * the caller's context keeps from being freed meanwhile. Never blocks in the port.
     */
    public void vmObjectHold(long obj) {
        Kassert.kkassert(obj != 0, "obj != NULL", "vm_object_hold");
        km.fetchAdd32(obj + StructVmObject.hold_count$OFFSET, 1);
    }

    /** vm_object_hold_try(): as vm_object_hold(); returns true (the token cannot be busy here). */
    public boolean vmObjectHoldTry(long obj) {
        Kassert.kkassert(obj != 0, "obj != NULL", "vm_object_hold_try");
        km.fetchAdd32(obj + StructVmObject.hold_count$OFFSET, 1);
        return true;
    }

    /** vm_object_hold_shared(): as vm_object_hold() with a shared token. */
    public void vmObjectHoldShared(long obj) {
        Kassert.kkassert(obj != 0, "obj != NULL", "vm_object_hold_shared");
        km.fetchAdd32(obj + StructVmObject.hold_count$OFFSET, 1);
    }

    /** vm_object_upgrade(): shared token to exclusive; nothing to do without tokens. */
    public void vmObjectUpgrade(long obj) {
        Kassert.kkassert(StructVmObject.hold_count(km, obj) > 0, "obj->hold_count > 0", "vm_object_upgrade");
    }

    /**
     * vm_object_drop(): drops a hold (and the token). Dropping the last hold of a dead,
     * unreferenced object frees it with kfree_obj, which arrives with the kmalloc_obj port:
     * reaching that path now panics rather than leak silently. A NULL object is ignored.
     */
    public void vmObjectDrop(long obj) {
        if (obj == 0) {
            return;
        }
        Kassert.kkassert(StructVmObject.hold_count(km, obj) > 0, "obj->hold_count > 0", "vm_object_drop");
        if (km.fetchAdd32(obj + StructVmObject.hold_count$OFFSET, -1) == 1) {
            if (StructVmObject.ref_count(km, obj) == 0 && (StructVmObject.flags(km, obj) & OBJ_DEAD) != 0) {
                throw Kassert.panic("vm_object_drop: freeing dead object 0x%x needs kfree_obj (not ported yet)", obj);
            }
        }
    }

    /** vm_object_set_flag(): sets object flags (the C uses an atomic op on the u_short). */
    public void vmObjectSetFlag(long obj, int bits) {
        StructVmObject.flags(km, obj, StructVmObject.flags(km, obj) | bits);
    }

    /**
     * vm_object_set_writeable_dirty(): marks the object writeable and possibly dirty. No
     * requirements (the object is kept alive by a busied page of the caller).
     *
     * <p>PORT: the C also flags the vnode of an OBJT_VNODE object for the syncer; dfemu has no
     * filesystems, so a vnode object here is a bug and panics.
     */
    public void vmObjectSetWriteableDirty(long obj) {
        if ((StructVmObject.flags(km, obj) & (OBJ_WRITEABLE | OBJ_MIGHTBEDIRTY)) != (OBJ_WRITEABLE | OBJ_MIGHTBEDIRTY)) {
            vmObjectSetFlag(obj, OBJ_WRITEABLE | OBJ_MIGHTBEDIRTY);
        }
        if (StructVmObject.type(km, obj) == OBJT_VNODE && StructVmObject.handle(km, obj) != 0) {
            throw Kassert.panic("vm_object_set_writeable_dirty: vnode object 0x%x but dfemu has no vnodes", obj);
        }
    }
}
