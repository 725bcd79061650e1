package org.dfemu.kernel.sys;

/** sys/mman.h (DragonFly BSD at commit 737b020b54): the constants of mprotect, madvise and mlockall. */
public final class Mman {
    private Mman() {}

    public static final int PROT_NONE = 0x00;
    public static final int PROT_READ = 0x01;
    public static final int PROT_WRITE = 0x02;

    public static final int MCL_CURRENT = 0x0001;
    public static final int MCL_FUTURE = 0x0002;

    public static final int MADV_NORMAL = 0;
    public static final int MADV_RANDOM = 1;
    public static final int MADV_SEQUENTIAL = 2;
    public static final int MADV_WILLNEED = 3;
    public static final int MADV_DONTNEED = 4;
    public static final int MADV_FREE = 5;
    public static final int MADV_NOSYNC = 6;
    public static final int MADV_AUTOSYNC = 7;
    public static final int MADV_NOCORE = 8;
    public static final int MADV_CORE = 9;
    public static final int MADV_INVAL = 10;
    public static final int MADV_SETMAP = 11;
    public static final int MADV_CONTROL_END = MADV_SETMAP;
}
