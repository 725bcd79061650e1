package org.dfemu.tools.boot;

import static org.dfemu.tools.DfemuRun.dfemu;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.dfemu.tools.DfemuRun;
import org.dfemu.tools.image.ImageWriter;
import org.dfemu.tools.image.SpecParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memory-control instructions together with shared regions, threads and wait, end to end
 * through {@code dfemu boot}: threads madvise and range-write their own private regions, a child
 * mprotects, mlocks, range-writes and partly unmaps a MAP_SHARED region, and the parent verifies
 * page ranges after {@code wait} with the per-page expectations the interpreter took over from
 * them, on 16M of RAM with swap.
 */
class SharedMemoryControlTest {
    @TempDir
    Path dir;

    private static final String SPEC = """
            setting hw.physmem=16M
            setting hw.ncpu=2
            partition swap 64M
            program mix copies 2
              map r0 4M rw shared
              map r1 2M rw
              map r2 2M rw
              write r0
              write r1
              write r2
              thread
                madvise r1 free
                write r1 0 16
              endthread
              thread
                madvise r2 dontneed
                write r2 64 64
                verify r2 0 64
              endthread
              wait
              verify r1
              verify r2
              fork
                mprotect r0 ro 0 16
                mlock r0 16 16
                verify r0 0 32
                write r0 32 64
                munlock r0 16 16
                mprotect r0 rw 0 16
                write r0 0 8
                unmap r0 512 512
                verify r0
              endfork
              wait
              verify r0 0 96
              verify r0
              verify r1 0 16
              verify r2 64 64
            end
            """;

    @Test
    void threadsAndAChildControlTheirRegionsAndTheParentVerifiesWhatTheyLeftAfterWait() throws Exception {
        Path image = dir.resolve("mix.img");
        ImageWriter.write(SpecParser.parse("mix.spec", SPEC.getBytes(StandardCharsets.UTF_8)), image, false);
        DfemuRun boot = dfemu("boot", image.toString(), "--seed", "3");
        String out = boot.out();
        assertEquals(0, boot.status(), out);
        assertTrue(out.strip().endsWith("result: ok"), out);
        assertFalse(out.contains("data loss"), out);
        assertFalse(out.contains("refused"), "every call succeeds: " + out);
        // Two copies and their children, every one exited.
        for (int pid = 1; pid <= 4; pid++) {
            assertTrue(out.contains("pid " + pid + " mix: exited"), out);
        }
    }

    @Test
    void theSameRunWithAnotherSeedAlsoEndsOk() throws Exception {
        // The threads, the children and the pageout daemon interleave differently.
        Path image = dir.resolve("mix2.img");
        ImageWriter.write(SpecParser.parse("mix.spec", SPEC.getBytes(StandardCharsets.UTF_8)), image, false);
        DfemuRun boot = dfemu("boot", image.toString(), "--seed", "11");
        assertEquals(0, boot.status(), boot.out());
        assertTrue(boot.out().strip().endsWith("result: ok"), boot.out());
    }
}
