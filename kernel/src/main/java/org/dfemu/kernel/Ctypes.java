package org.dfemu.kernel;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The C scalar types of DragonFly's LP64 x86-64 ABI as little-endian, naturally aligned FFM
 * layouts, pinned once here so that no struct view relies on the host's byte order.
 *
 * <p>A pointer is a 64-bit kernel virtual address ({@link #C_POINTER}); it is read and written as a
 * {@code long} and dereferenced through {@link KernelMemory}.
 */
public final class Ctypes {
    private Ctypes() {}

    /** {@code char}, {@code uint8_t}. */
    public static final ValueLayout.OfByte C_CHAR = ValueLayout.JAVA_BYTE;
    /** {@code short}, {@code uint16_t}. */
    public static final ValueLayout.OfShort C_SHORT = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** {@code int}, {@code u_int}, {@code uint32_t}. */
    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** {@code long}, {@code u_long}, {@code uint64_t}, {@code vm_pindex_t}, {@code vm_paddr_t}. */
    public static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Any pointer: a 64-bit kernel virtual address. */
    public static final ValueLayout.OfLong C_POINTER = C_LONG;

    /** {@code n} bytes of explicit padding (FFM never pads on its own). */
    public static MemoryLayout pad(long n) {
        return MemoryLayout.paddingLayout(n);
    }

    /**
     * Checks a struct layout against DragonFly's {@code sizeof}, hard-coded by the view class, and
     * returns the layout. Called from each view's static initialiser, so a wrong layout fails class
     * initialisation instead of corrupting emulated memory.
     */
    public static StructLayout checkSizeof(StructLayout layout, long sizeofC) {
        if (layout.byteSize() != sizeofC) {
            throw new ExceptionInInitializerError("struct " + layout.name().orElse("?") + ": layout is "
                    + layout.byteSize() + " bytes, DragonFly's sizeof is " + sizeofC);
        }
        return layout;
    }

    /** Byte offset of a (possibly nested) member, for the {@code x$OFFSET} constants. */
    public static long offset(StructLayout layout, String... path) {
        MemoryLayout.PathElement[] elements = new MemoryLayout.PathElement[path.length];
        for (int i = 0; i < path.length; i++) {
            elements[i] = MemoryLayout.PathElement.groupElement(path[i]);
        }
        return layout.byteOffset(elements);
    }
}
