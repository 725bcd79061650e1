package org.dfemu.tools.boot;

import static org.dfemu.tools.DfemuRun.dfemu;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dfemu.tools.DfemuRun;
import org.dfemu.tools.image.ImageWriter;
import org.dfemu.tools.image.SpecParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The workload's shared mappings, threads, wait and expected fates, end to end through
 * {@code dfemu boot}: what one process writes in a MAP_SHARED region its relative reads after
 * {@code wait}, through swap; threads share one address space; a fate other than the expected one
 * fails the run.
 */
class SharedThreadsFatesTest {
    @TempDir
    Path dir;

    private Path image(String name, String spec) throws Exception {
        Path image = dir.resolve(name + ".img");
        ImageWriter.write(SpecParser.parse(name + ".spec", spec.getBytes(StandardCharsets.UTF_8)), image, false);
        return image;
    }

    private static long vmstat(String out, String name) {
        Matcher m = Pattern.compile("\\n" + Pattern.quote(name) + " +(\\d+)\\n").matcher(out);
        assertTrue(m.find(), name + " in\n" + out);
        return Long.parseLong(m.group(1));
    }

    @Test
    void whatAChildWritesInASharedRegionTheParentReadsAfterBothWerePagedOut() throws Exception {
        // 16M of RAM; the shared region alone is 24M, so the child's pages go to swap before the
        // parent reads them, and the parent's private 8M goes out meanwhile too.
        Path image = image("shared", """
                setting hw.physmem=16M
                setting hw.ncpu=2
                partition swap 128M
                program sharer
                  map r0 24M rw shared
                  map r1 8M rw
                  write r0
                  write r1
                  fork
                    verify r0
                    sleep 1s
                    write r0
                    exit
                  endfork
                  wait
                  verify r0
                  verify r1
                  exit
                end
                """);
        DfemuRun boot = dfemu("boot", image.toString(), "--seed", "5");
        assertEquals(0, boot.status(), boot.out());
        assertTrue(boot.out().strip().endsWith("result: ok"), boot.out());
        assertFalse(boot.out().contains("data loss"), boot.out());
        assertTrue(boot.out().contains("pid 1 sharer: exited") && boot.out().contains("pid 2 sharer: exited"), boot.out());
        assertEquals(0, vmstat(boot.out(), "v_cow_faults"), "a shared region is never copied");
        assertTrue(vmstat(boot.out(), "v_swappgsout") > 6144, "more than RAM went to swap");
        assertTrue(vmstat(boot.out(), "v_swappgsin") > 6144, "and came back for the verifies");
    }

    @Test
    void waitWaitsForTheChildrensExits() throws Exception {
        // The children write the shared region only after a second of sleep: a parent that did
        // not wait for their exits would verify its own, older data and report data loss.
        Path image = image("wait", """
                setting hw.ncpu=2
                program waiter
                  map r0 64K rw shared
                  map r1 64K rw shared
                  fork
                    sleep 1s
                    write r0
                  endfork
                  fork
                    sleep 2s
                    write r1
                  endfork
                  wait
                  verify r0
                  verify r1
                end
                """);
        DfemuRun boot = dfemu("boot", image.toString(), "--seed", "1");
        assertEquals(0, boot.status(), boot.out());
        assertTrue(boot.out().strip().endsWith("result: ok"), boot.out());
        assertFalse(boot.out().contains("data loss"), boot.out());
        Matcher t = Pattern.compile("virtual time: (\\d+\\.\\d+) s").matcher(boot.out());
        assertTrue(t.find() && Double.parseDouble(t.group(1)) >= 2.0, boot.out());
    }

    @Test
    void twoThreadsFaultingTheSamePagesAtOnceGetOnePageEachAndLoseNoWrite() throws Exception {
        // Both threads store into every page of r0 (never written: zero fill) at once, while each
        // writes its own region; afterwards every page was zero-filled exactly once and the main
        // thread finds both threads' data.
        Path image = image("threads", """
                setting hw.physmem=32M
                setting hw.ncpu=2
                program thr
                  map r0 4M rw
                  map r1 1M rw
                  map r2 1M rw
                  thread
                    touch r0 seq write
                    write r1
                    touch r0 seq write
                  endthread
                  thread
                    touch r0 seq write
                    write r2
                    touch r0 seq write
                  endthread
                  wait
                  verify r0
                  verify r1
                  verify r2
                end
                """);
        DfemuRun boot = dfemu("boot", image.toString(), "--seed", "3");
        assertEquals(0, boot.status(), boot.out());
        assertTrue(boot.out().strip().endsWith("result: ok"), boot.out());
        assertFalse(boot.out().contains("data loss"), boot.out());
        assertEquals(1024 + 256 + 256, vmstat(boot.out(), "v_zfod"), "each page of the three regions zero-filled once");
        assertTrue(boot.out().contains("pid 1 thr: exited"), boot.out());
        assertFalse(boot.out().contains("pid 2"), "threads are not processes: " + boot.out());
    }

    @Test
    void aProgramThatExpectsSegvAndWritesARoRegionIsOk() throws Exception {
        Path image = image("segv", """
                program bad expect segv
                  map r0 8K ro
                  verify r0
                  touch r0 seq write
                end
                program good
                  map r0 8K rw
                  write r0
                  verify r0
                end
                """);
        DfemuRun boot = dfemu("boot", image.toString());
        assertEquals(0, boot.status(), boot.out());
        assertTrue(boot.out().contains("pid 1 bad: SIGSEGV at va 0x"), boot.out());
        assertTrue(boot.out().strip().endsWith("result: ok"), boot.out());
    }

    @Test
    void aFateMismatchEndsTheRunAsUnexpectedFate() throws Exception {
        Path image = image("fate", """
                program lucky expect segv
                  map r0 8K rw
                  write r0
                end
                """);
        DfemuRun boot = dfemu("boot", image.toString());
        assertEquals(1, boot.status(), boot.out());
        assertTrue(boot.out().contains("unexpected fate: pid 1 (lucky) expected segv, met exit: exited"), boot.out());
        assertTrue(boot.out().strip().endsWith("result: unexpected fate"), boot.out());
        Path json = dir.resolve("fate.json");
        DfemuRun sweep = dfemu("sweep", image.toString(), "--no-progress", "--seeds", "1..2", "--json", json.toString());
        assertEquals(1, sweep.status(), sweep.out() + sweep.err());
        assertTrue(sweep.out().contains("""
                variant (the image's settings)
                    runs     ok  deadlock  panic  data-loss  invariant   fate  oom-kills  free-low  (seed, time)
                       2      0         0      0          0          0      2          0"""), sweep.out());
        assertTrue(sweep.out().contains("seed 1: unexpected fate: pid 1 (lucky) expected segv, met exit: exited"), sweep.out());
        String record = Files.readString(json);
        assertTrue(record.contains("\"UNEXPECTED_FATE\""), record);
    }

    @Test
    void orKilledFatesAcceptAnOomKillOrTheirBaseFateAndNothingElse() throws Exception {
        // ltp-oom01's hog, 64M on 16M of RAM and 16M of swap: killed for lack of memory, which
        // exit-or-killed accepts; the bystander exits, which it accepts too; a segv-or-killed
        // program that exits does not meet its fate.
        Path image = image("orkilled", """
                setting hw.physmem=16M
                setting hw.ncpu=2
                partition swap 16M
                program hog expect exit-or-killed
                  map r0 64M rw
                  write r0
                  exit
                end
                program bystander expect exit-or-killed
                  map r0 1M rw
                  write r0
                  sleep 200ms
                  verify r0
                  exit
                end
                program lucky expect segv-or-killed
                  map r0 4K rw
                  write r0
                  exit
                end
                """);
        DfemuRun boot = dfemu("boot", image.toString(), "--seed", "1");
        assertEquals(1, boot.status(), boot.out());
        assertTrue(boot.out().contains("pid 1 hog: killed: out of swap space"), boot.out());
        assertTrue(boot.out().contains("pid 2 bystander: exited"), boot.out());
        assertTrue(boot.out().contains("unexpected fate: pid 3 (lucky) expected segv-or-killed, met exit: exited"), boot.out());
        assertFalse(boot.out().contains("(hog) expected") || boot.out().contains("(bystander) expected"), boot.out());
        assertTrue(boot.out().strip().endsWith("result: unexpected fate"), boot.out());
    }

    @Test
    void badNewFormsAreRefusedByMkimageWithTheirLine() throws Exception {
        Path spec = dir.resolve("bad.spec");
        Files.writeString(spec, "program p expect never\nend\n");
        DfemuRun run = dfemu("mkimage", spec.toString(), "-o", dir.resolve("bad.img").toString());
        assertEquals(2, run.status(), run.out() + run.err());
        assertEquals("dfemu mkimage: bad.spec:1: expect: unknown fate 'never' (expected exit, segv, killed, exit-or-killed or segv-or-killed)", run.err().strip());
        Files.writeString(spec, "program p\n  map r0 4K rw\n  thread\n    unmap r0\n  endthread\n  wait\nend\n");
        run = dfemu("mkimage", spec.toString(), "-o", dir.resolve("bad.img").toString());
        assertEquals(2, run.status(), run.out() + run.err());
        assertEquals("dfemu mkimage: bad.spec:4: 'unmap' inside a thread block (a thread only writes, verifies, touches, madvises,"
                + " sleeps and loops)", run.err().strip());
    }
}
