package org.dfemu.tools.boot;

import org.dfemu.tools.DfemuRun;
import static org.dfemu.tools.DfemuRun.dfemu;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dfemu.tools.image.ImageWriter;
import org.dfemu.tools.image.SpecParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Paging through swap, end to end through {@code dfemu boot}: processes whose memory exceeds RAM
 * are paged out by the pageout daemon and faulted back in from the image's swap partition, and
 * every page they verify proves its contents survived. The SIGSEGV case (a process dies, the
 * others go on) is KernProcTest's: the program format cannot touch an unmapped address.
 */
class PagingEndToEndTest {
    @TempDir
    Path dir;

    private Path image(String name, String spec) throws Exception {
        Path image = dir.resolve(name + ".img");
        ImageWriter.write(SpecParser.parse(name + ".spec", spec.getBytes(StandardCharsets.UTF_8)), image, false);
        return image;
    }

    /** The vmstat value called {@code name} in a boot's shutdown report. */
    private static long vmstat(String out, String name) {
        Matcher m = Pattern.compile("\\n" + Pattern.quote(name) + " +(\\d+)\\n").matcher(out);
        assertTrue(m.find(), name + " in\n" + out);
        return Long.parseLong(m.group(1));
    }

    /** 16M of RAM is 4096 pages; the writer maps four times that. */
    private static final String FOUR_TIMES_RAM = """
            setting hw.physmem=16M
            setting hw.ncpu=2
            partition swap 128M
            program big copies 1
              map r0 64M rw
              write r0
              verify r0
              exit
            end
            """;

    @Test
    void fourTimesRamGoesToSwapAndComesBackIntactOnFiveSeedsAndEveryVariantThatPages() throws Exception {
        Path image = image("big", FOUR_TIMES_RAM);
        // The sweep runs the five seeds of each variant; kmalloc_obj is left out: it stalls at
        // the first swap-out (docs/swapmeta.md, SwapmetaPressureTest).
        DfemuRun sweep = dfemu("sweep", image.toString(), "--no-progress", "--seeds", "1..5", "--jobs", "2",
                "-e", "vm.swapmeta_alloc=zalloc,kmalloc_obj_reserve", "--json", dir.resolve("s.json").toString());
        assertEquals(0, sweep.status(), sweep.out() + sweep.err());
        for (String variant : new String[] {"zalloc", "kmalloc_obj_reserve"}) {
            assertTrue(sweep.out().contains("variant vm.swapmeta_alloc=" + variant + "\n"
                    + "    runs     ok  deadlock  panic  data-loss  invariant   fate  oom-kills  free-low  (seed, time)\n"
                    + "       5      5         0      0          0          0      0          0 "), sweep.out());
        }
        // One of them in full: every page went out and came back.
        DfemuRun boot = dfemu("boot", image.toString(), "--seed", "2");
        assertEquals(0, boot.status(), boot.out());
        assertTrue(boot.out().strip().endsWith("result: ok"), boot.out());
        assertFalse(boot.out().contains("data loss"), boot.out());
        assertTrue(boot.out().contains("pid 1 big: exited"), boot.out());
        assertEquals(16384, vmstat(boot.out(), "v_zfod"), "each of the 16384 pages zero-filled once");
        assertTrue(vmstat(boot.out(), "v_swappgsout") >= 16384 - 4096, "at least 3/4 of the pages went to swap");
        assertTrue(vmstat(boot.out(), "v_swappgsin") >= 16384 - 4096, "and were read back to be verified");
        assertTrue(vmstat(boot.out(), "v_pdwakeups") > 0);
    }

    @Test
    void parentAndChildSeeTheirOwnWritesAfterCopyOnWriteThroughSwap() throws Exception {
        // The child rewrites the region with its own generation while the parent's copy is
        // paged out; both verify their own data, from RAM or from swap.
        Path image = image("fork", """
                setting hw.physmem=16M
                setting hw.ncpu=2
                partition swap 128M
                program forker copies 1
                  map r0 24M rw
                  write r0
                  fork
                    write r0
                    verify r0
                    exit
                  endfork
                  verify r0
                  sleep 5s
                  verify r0
                  exit
                end
                """);
        DfemuRun boot = dfemu("boot", image.toString(), "--seed", "4");
        assertEquals(0, boot.status(), boot.out());
        assertTrue(boot.out().strip().endsWith("result: ok"), boot.out());
        assertFalse(boot.out().contains("data loss"), boot.out());
        assertTrue(vmstat(boot.out(), "v_cow_faults") > 0, "the child's writes copied the shared pages");
        assertTrue(vmstat(boot.out(), "v_swappgsout") > 6144, "more than RAM went to swap");
        assertTrue(vmstat(boot.out(), "v_swappgsin") > 0);
    }

    @Test
    void whenSwapIsFullTheLargestProcessIsKilledAndTheOthersFinish() throws Exception {
        // 16M of RAM and 16M of swap; three processes want 8M, 8M and 24M.
        Path image = image("oom", """
                setting hw.physmem=16M
                setting hw.ncpu=2
                partition swap 16M
                program small copies 2
                  map r0 8M rw
                  write r0
                  sleep 2s
                  verify r0
                  exit
                end
                program large copies 1 expect killed
                  map r0 24M rw
                  write r0
                  verify r0
                  exit
                end
                """);
        DfemuRun boot = dfemu("boot", image.toString(), "--seed", "1");
        assertEquals(0, boot.status(), "an OOM kill is the kernel doing its job, not a failed run: " + boot.out());
        assertTrue(boot.out().strip().endsWith("result: ok"), boot.out());
        assertTrue(boot.out().contains("pid 3 (large), uid 0, was killed: out of swap space"), boot.out());
        assertTrue(Pattern.compile("pid 3 large: killed: out of swap space \\(\\d+ pages\\)").matcher(boot.out()).find(),
                boot.out());
        assertTrue(boot.out().contains("pid 1 small: exited") && boot.out().contains("pid 2 small: exited"), boot.out());
        assertFalse(boot.out().contains("data loss"), boot.out());
    }

    @Test
    void theSameImageAndSeedGiveTheSameCountersAndTheSameTraceTwice() throws Exception {
        Path image = image("det", FOUR_TIMES_RAM.replace("map r0 64M rw", "map r0 24M rw"));
        Path t1 = dir.resolve("a.dftrace");
        Path t2 = dir.resolve("b.dftrace");
        DfemuRun a = dfemu("boot", image.toString(), "--seed", "9", "--trace", t1.toString());
        DfemuRun b = dfemu("boot", image.toString(), "--seed", "9", "--trace", t2.toString());
        assertEquals(0, a.status(), a.out());
        assertTrue(vmstat(a.out(), "v_swappgsin") > 0, "the run pages through swap");
        assertEquals(a.out().replace(t1.toString(), "T"), b.out().replace(t2.toString(), "T"));
        assertArrayEquals(Files.readAllBytes(t1), Files.readAllBytes(t2));
    }
    /** 16M of RAM; a 20M region written, read back (every page then has swap), written again. */
    private static final String REWRITE = """
            setting hw.physmem=16M
            setting hw.ncpu=2
            partition swap 64M
            program rewriter copies 1
              map r0 20M rw
              write r0
              verify r0
              write r0
              sleep 300ms
              exit
            end
            """;

    /**
     * vm_fault's swap_pager_unswapped: the second write dirties pages that have swap, which frees
     * their blocks, so swap in use (--report-every's swap-used column) falls from nearly all of the
     * region's 5120 pages to about the pages not resident, where without it it would stay put.
     */
    @Test
    void aRewriteOfSwappedPagesFreesTheirSwapBlocks() throws Exception {
        Path image = image("rewrite", REWRITE);
        DfemuRun boot = dfemu("boot", image.toString(), "--seed", "1", "--report-every", "0.05");
        assertEquals(0, boot.status(), boot.out() + boot.err());
        java.util.List<Long> swapUsed = new java.util.ArrayList<>();
        Matcher m = Pattern.compile("(?m)^ +\\d+\\.\\d{3}(?: +\\d+){5} +(\\d+)$").matcher(boot.out());
        while (m.find()) {
            swapUsed.add(Long.parseLong(m.group(1)));
        }
        assertTrue(swapUsed.size() > 10, boot.out());
        long max = swapUsed.stream().mapToLong(Long::longValue).max().orElseThrow();
        long duringSleep = swapUsed.get(swapUsed.size() - 1);
        assertTrue(max >= 5000, "after the verify nearly every page has swap: " + swapUsed);
        // Resident: the 16M less the kernel's share (its data segment with the 9216 boot map
        // entries of SMP_MAXCPU 256, and the 225-page DMA reserve), a little under 2000 pages.
        assertTrue(duringSleep <= max - 1800, "the rewrite freed the blocks of its resident pages: " + swapUsed);
        assertTrue(duringSleep > 0, "the pages not resident keep theirs: " + swapUsed);
    }
}
