package org.dfemu.tools;

/**
 * Small images whose runs fail honestly and fast, for the tests of the commands that report
 * failures (sweep, inspect), not for the kernel's own behaviour.
 */
public final class FailingSpecs {
    private FailingSpecs() {
    }

    /**
     * One process writes 20M of anonymous memory with SWAPMETA from plain kmalloc_obj: on 16M the
     * pagedaemon's first swap-out blocks in kmem_slab_alloc(M_WAITOK) for a 32-page slab it cannot
     * get, and the run stops as a livelock after 2 virtual seconds (debug.stall_timeout=2); with
     * hw.physmem=32M the region fits and the run is ok. About a second of host CPU either way.
     */
    public static final String KMALLOC_OBJ_LIVELOCK = """
            setting hw.physmem=16M
            setting hw.ncpu=2
            setting vm.swapmeta_alloc=kmalloc_obj
            setting debug.stall_timeout=2
            partition swap 64M
            program fill copies 1
              map r0 20M rw
              touch r0 seq write
              unmap r0
              exit
            end
            """;
}
