package org.dfemu.kernel.sys;

import org.dfemu.kernel.KernelMemory;

import java.util.Collections;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * The sysctl tree, read side: DragonFly's SYSCTL_INT/UINT/LONG/ULONG/PROC declarations (sys/sysctl.h,
 * kern/kern_sysctl.c at commit 737b020b54, 2021-05-28) as a registry of dotted names mapped to
 * readers of emulated memory.
 *
 * <p>Each ported C file registers the sysctls its C declares, with the C's names, when the kernel
 * is constructed (the C's SYSCTL_* are link-time declarations). A leaf reads its variable from
 * emulated memory at the moment of the read; a PROC leaf runs its handler.
 *
 * <p>PORT: only reading is ported; CTLFLAG_RW tuning arrives with the boot settings.
 * Registration happens only while the kernel is constructed; reads may come from any thread
 * (tools read the tree while a run is paused or finished).
 */
public final class Sysctl {
    private record Oid(String descr, LongSupplier reader) {}

    private final KernelMemory km;
    // Built while the kernel is constructed, then only read: the static sysctl tree.
    private final TreeMap<String, Oid> oids = new TreeMap<>();

    public Sysctl(KernelMemory km) {
        this.km = km;
    }

    /** {@code SYSCTL_INT}: a signed 32-bit variable at {@code kva}. */
    public void sysctlInt(String name, long kva, String descr) {
        add(name, descr, () -> km.load32(kva));
    }

    /** {@code SYSCTL_UINT}: an unsigned 32-bit variable at {@code kva}. */
    public void sysctlUint(String name, long kva, String descr) {
        add(name, descr, () -> Integer.toUnsignedLong(km.load32(kva)));
    }

    /** {@code SYSCTL_LONG}/{@code SYSCTL_ULONG}: a 64-bit variable at {@code kva}. */
    public void sysctlLong(String name, long kva, String descr) {
        add(name, descr, () -> km.load64(kva));
    }

    /** {@code SYSCTL_PROC} with a numeric result: {@code handler} computes the value on each read. */
    public void sysctlProc(String name, LongSupplier handler, String descr) {
        add(name, descr, handler);
    }

    private void add(String name, String descr, LongSupplier reader) {
        if (oids.putIfAbsent(name, new Oid(descr, reader)) != null) {
            throw new IllegalStateException("sysctl " + name + " registered twice");
        }
    }

    /** True if {@code name} is a registered leaf. */
    public boolean exists(String name) { return oids.containsKey(name); }

    /**
     * Reads the leaf {@code name}. Throws IllegalArgumentException naming the leaf if it does not
     * exist (sysctl(8)'s "unknown oid").
     */
    public long read(String name) {
        Oid oid = oids.get(name);
        if (oid == null) {
            throw new IllegalArgumentException("sysctl: unknown oid '" + name + "'");
        }
        return oid.reader().getAsLong();
    }

    /** The description of {@code name} (sysctl -d). */
    public String describe(String name) {
        Oid oid = oids.get(name);
        if (oid == null) {
            throw new IllegalArgumentException("sysctl: unknown oid '" + name + "'");
        }
        return oid.descr();
    }

    /** All leaf names in sorted order (sysctl -a). */
    public NavigableSet<String> names() {
        return Collections.unmodifiableNavigableSet(oids.navigableKeySet());
    }
}
