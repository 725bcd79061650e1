package org.dfemu.tools.boot;

import static org.dfemu.tools.DfemuRun.dfemu;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dfemu.tools.DfemuRun;
import org.dfemu.tools.image.ImageWriter;
import org.dfemu.tools.image.SpecParser;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The example specs translated from public VM test suites (disk-images/examples/): each boots
 * {@code result: ok} on seed 1 on zalloc and on the ready-slab reserve variant, and shows the
 * point its header names, read from the counters and lines the boot prints.
 */
class ExamplesTest {
    @TempDir
    static Path dir;

    /** Builds the committed disk-images/examples/{@code name}.spec into {@code dir}; returns the image. */
    private static Path build(String name) throws Exception {
        Path spec = Path.of("..", "disk-images", "examples", name + ".spec");
        Path image = dir.resolve(name + ".img");
        if (!Files.exists(image)) {
            ImageWriter.write(SpecParser.parse(name + ".spec", Files.readAllBytes(spec)), image, false);
        }
        return image;
    }

    /** Boots example {@code name} on seed 1 with SWAPMETA from {@code alloc}; asserts result ok. */
    private static String boot(String name, String alloc, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("boot", build(name).toString(), "--seed", "1",
                "-e", "vm.swapmeta_alloc=" + alloc));
        args.addAll(List.of(more));
        DfemuRun r = dfemu(args.toArray(String[]::new));
        assertEquals(0, r.status(), r.out());
        assertTrue(r.out().contains("\nresult: ok"), r.out());
        return r.out();
    }

    /** A vmstat line's value: {@code name} then spaces then a number, on a line of its own. */
    private static long counter(String out, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "\\s+(\\d+)$").matcher(out);
        assertTrue(m.find(), name + " not printed:\n" + out);
        return Long.parseLong(m.group(1));
    }

    private static int count(String out, String line) {
        int n = 0;
        for (int at = out.indexOf(line); at >= 0; at = out.indexOf(line, at + 1)) n++;
        return n;
    }

    /** stress2 misc/swap.sh: paging at 110% of the user memory, and swap space never runs out. */
    @ParameterizedTest
    @ValueSource(strings = {"zalloc", "kmalloc_obj_reserve"})
    void stress2SwapPagesWithoutRunningOutOfSwap(String alloc) throws Exception {
        String out = boot("stress2-swap", alloc);
        assertTrue(counter(out, "v_swappgsout") > 0, out);
        assertFalse(out.contains("swap_pager_getswapspace"), out);
        for (int pid = 1; pid <= 8; pid++) assertTrue(out.contains("pid " + pid + " swap: exited"), out);
    }

    /** stress2 misc/mlockall6.sh: each child's mlockall(MCL_CURRENT) is ENOSYS, its mlock succeeds. */
    @ParameterizedTest
    @ValueSource(strings = {"zalloc", "kmalloc_obj_reserve"})
    void stress2MlockallIsRefusedAndMlockWiresCopyOnWritePages(String alloc) throws Exception {
        String out = boot("stress2-mlockall", alloc);
        assertEquals(8, count(out, "mlockall: exited | refused: mlockall current,future: ENOSYS\n"), out);
        assertFalse(out.contains("EAGAIN"), out);
        assertTrue(counter(out, "v_cow_faults") > 0, out);
        assertTrue(counter(out, "v_swappgsout") > 0, out);
    }

    /** stress2 misc/collapse.sh: fork trees over shared and copied memory under paging all finish. */
    @ParameterizedTest
    @ValueSource(strings = {"zalloc", "kmalloc_obj_reserve"})
    void stress2CollapseTreesKeepTheirDataWhilePaging(String alloc) throws Exception {
        String out = boot("stress2-collapse", alloc);
        assertEquals(30, count(out, " collapse: exited\n"), out);
        assertEquals(2, count(out, " swapload: exited\n"), out);
        assertTrue(counter(out, "v_cow_faults") > 0, out);
        assertTrue(counter(out, "v_swappgsout") > 0, out);
    }

    /**
     * LTP swapping01: while the process holds 130% of the available memory, the swap in use (the
     * report's plateau: nothing runs, the lines repeat) is above 0 and at most the available memory.
     */
    @ParameterizedTest
    @ValueSource(strings = {"zalloc", "kmalloc_obj_reserve"})
    void ltpSwapping01SwapsNoMoreThanTheAvailableMemory(String alloc) throws Exception {
        String out = boot("ltp-swapping01", alloc, "--report-every", "0.05");
        Matcher avail = Pattern.compile("(?m)^avail memory = (\\d+) ").matcher(out);
        assertTrue(avail.find(), out);
        long availPages = Long.parseLong(avail.group(1)) / 4096;
        long plateau = swapUsedPlateau(out);
        assertTrue(plateau > 0 && plateau <= availPages, "swap used " + plateau + " of " + availPages + " available\n" + out);
    }

    /** The swap-used value (last column of --report-every) that the longest run of consecutive lines shares. */
    private static long swapUsedPlateau(String out) {
        Matcher m = Pattern.compile("(?m)^\\s+\\d+\\.\\d{3}(?:\\s+\\d+){5}\\s+(\\d+)$").matcher(out);
        long best = -1;
        long last = -1;
        int run = 0;
        int bestRun = 0;
        while (m.find()) {
            long v = Long.parseLong(m.group(1));
            run = v == last ? run + 1 : 1;
            last = v;
            if (run > bestRun) {
                bestRun = run;
                best = v;
            }
        }
        assertTrue(bestRun >= 10, "no hold plateau in the report:\n" + out);
        return best;
    }

    /** LTP oom01: the process that exhausts memory and swap is the one killed; the bystander exits. */
    @ParameterizedTest
    @ValueSource(strings = {"zalloc", "kmalloc_obj_reserve"})
    void ltpOom01KillsTheVictimAndSparesTheTestProcess(String alloc) throws Exception {
        String out = boot("ltp-oom01", alloc);
        assertTrue(out.contains("pid 1 oom01: killed: out of swap space"), out);
        assertTrue(out.contains("pid 2 parent: exited"), out);
    }

    /**
     * selftests/mm/cow.c: no leak across fork, resident or swapped out, with or without the
     * mprotect round trip (result ok: every verify passed); a write after mprotect(PROT_READ) is fatal.
     */
    @ParameterizedTest
    @ValueSource(strings = {"zalloc", "kmalloc_obj_reserve"})
    void selftestsCowBreaksCopyOnWriteThroughSwapAndMprotect(String alloc) throws Exception {
        String out = boot("selftests-cow", alloc);
        assertTrue(counter(out, "v_cow_faults") > 0, out);
        assertTrue(counter(out, "v_swappgsin") > 0, out);
        assertEquals(2, count(out, " cowro: SIGSEGV at va "), out);
        assertEquals(4, count(out, " cow: exited\n"), out);
        assertEquals(4, count(out, " cowswap: exited\n"), out);
    }
}
