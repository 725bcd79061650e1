package org.dfemu.emulator.disk;

/** How a disk image file is attached. */
public enum ImageMode {
    /** Nothing can be written; the image is opened read-only at the OS level. */
    READ_ONLY,
    /**
     * vkernel's {@code -r IMAGE}: writes go to the image file itself, but only inside the
     * writable sector ranges given at open. Opened read/write at the OS level only if there is
     * such a range, read-only otherwise.
     */
    DIRECT,
    /**
     * vkernel's {@code -R IMAGE}: the image is opened read-only at the OS level and never
     * modified; writes (still only inside the writable ranges) go to a sparse, unlinked overlay
     * file that disappears when the disk is closed.
     */
    COPY_ON_WRITE
}
