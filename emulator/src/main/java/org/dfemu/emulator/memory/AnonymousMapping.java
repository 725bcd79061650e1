package org.dfemu.emulator.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Guest RAM as an anonymous private mapping ({@code mmap(MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE)})
 * made through the FFM Linker. The kernel hands out zero pages lazily, so powering on a 1 GiB
 * machine costs microseconds instead of the seconds {@code Arena.allocate} spends zero-filling
 * every byte up front, and untouched RAM costs the host nothing.
 *
 * <p>The segment is tied to the given arena: closing the arena unmaps it. Linux/x86-64 constants;
 * where the call is unavailable (another OS) {@link #map} returns null and the caller falls back to
 * {@code Arena.allocate}.
 */
final class AnonymousMapping {
    private AnonymousMapping() {}

    private static final int PROT_READ = 0x1;
    private static final int PROT_WRITE = 0x2;
    private static final int MAP_PRIVATE = 0x02;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final int MAP_NORESERVE = 0x4000;
    private static final long MAP_FAILED = -1L;

    private static final int MADV_HUGEPAGE = 14;

    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;
    private static final MethodHandle MADVISE;

    static {
        MethodHandle mmap = null;
        MethodHandle munmap = null;
        MethodHandle madvise = null;
        if (System.getProperty("os.name", "").startsWith("Linux")) {
            try {
                Linker linker = Linker.nativeLinker();
                var libc = linker.defaultLookup();
                mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
                munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
                madvise = linker.downcallHandle(libc.find("madvise").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            } catch (RuntimeException | LinkageError e) {
                mmap = null;
                munmap = null;
                madvise = null;
            }
        }
        MMAP = mmap;
        MUNMAP = munmap;
        MADVISE = madvise;
    }

    /**
     * Maps {@code size} bytes of zeroed, page-aligned memory whose lifetime is {@code arena}'s, or
     * returns null if anonymous mappings are unavailable or the host refused this one.
     */
    static MemorySegment map(Arena arena, long size) {
        if (MMAP == null) return null;
        MemorySegment base;
        try {
            base = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, size,
                    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0L);
        } catch (Throwable t) {
            return null;
        }
        if (base.address() == MAP_FAILED || base.address() == 0) return null;
        adviseHugePages(base, size);
        return base.reinterpret(size, arena, AnonymousMapping::unmap);
    }

    /**
     * Asks for transparent huge pages: the kernel's first touch of a large range (the vm_page
     * array, zone memory) then costs one host fault per 2 MiB instead of per 4 KiB. Advice only:
     * a host that refuses it (THP off) gives the same memory with small pages, so the result is
     * ignored.
     */
    private static void adviseHugePages(MemorySegment base, long size) {
        try {
            int ignored = (int) MADVISE.invokeExact(base, size, MADV_HUGEPAGE);
        } catch (Throwable t) {
            // Advice only; see above.
        }
    }

    private static void unmap(MemorySegment segment) {
        try {
            int rc = (int) MUNMAP.invokeExact(segment, segment.byteSize());
            if (rc != 0) throw new IllegalStateException("munmap of guest RAM failed");
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("munmap of guest RAM failed", t);
        }
    }
}
