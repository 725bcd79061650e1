package org.dfemu.kernel.sys;

/**
 * sys/errno.h (DragonFly BSD at commit 737b020b54): the error numbers the ported system calls
 * return, and their names for reports.
 */
public final class Errno {
    private Errno() {}

    public static final int EPERM = 1;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EBUSY = 16;
    public static final int EINVAL = 22;
    public static final int EAGAIN = 35;
    /** tsleep's timeout; the same number as EAGAIN. */
    public static final int EWOULDBLOCK = EAGAIN;
    public static final int ENOLCK = 77;
    public static final int ENOSYS = 78;

    /** The symbolic name of {@code errno} ("EAGAIN"), or its number. */
    public static String name(int errno) {
        return switch (errno) {
            case 0 -> "0";
            case EPERM -> "EPERM";
            case ENOMEM -> "ENOMEM";
            case EACCES -> "EACCES";
            case EBUSY -> "EBUSY";
            case EINVAL -> "EINVAL";
            case EAGAIN -> "EAGAIN";
            case ENOLCK -> "ENOLCK";
            case ENOSYS -> "ENOSYS";
            default -> "errno " + errno;
        };
    }
}
