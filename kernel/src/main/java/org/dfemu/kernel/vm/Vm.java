package org.dfemu.kernel.vm;

/**
 * vm.h: DragonFly BSD sys/vm/vm.h at commit 737b020b54 (2021-05-28): the protection codes.
 */
public final class Vm {
    private Vm() {}

    public static final int VM_PROT_NONE = 0x00;
    public static final int VM_PROT_READ = 0x01;
    public static final int VM_PROT_WRITE = 0x02;
    public static final int VM_PROT_EXECUTE = 0x04;
    /** Copy-on-write override. */
    public static final int VM_PROT_OVERRIDE_WRITE = 0x08;
    /** pmap_enter(): the caller allows skipping the cpu synchronisation. */
    public static final int VM_PROT_NOSYNC = 0x10;
    public static final int VM_PROT_RW = VM_PROT_READ | VM_PROT_WRITE;
    public static final int VM_PROT_ALL = VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXECUTE;
    public static final int VM_PROT_DEFAULT = VM_PROT_ALL;
}
