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
import java.util.List;
import java.nio.file.attribute.FileTime;
import org.dfemu.tools.image.ImageWriter;
import org.dfemu.tools.image.SpecParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The boot command's contract with its user: exit statuses, one-line errors, the image left alone. */
class BootCommandTest {
    private static final String SPEC = """
            setting hw.physmem=32M
            setting hw.ncpu=2
            partition swap 16M
            """;

    @TempDir
    Path dir;

    private Path image() throws Exception {
        return image(SPEC);
    }

    private Path image(String spec) throws Exception {
        Path image = dir.resolve("t.img");
        ImageWriter.write(SpecParser.parse("t.spec", spec.getBytes(StandardCharsets.UTF_8)), image, false);
        return image;
    }

    @Test
    void runsTheWorkloadUntilTheLastProcessExitsAndSummarizesIt() throws Exception {
        Path image = image(SPEC + """
                program wv copies 2
                  map r0 1M rw
                  write r0
                  fork
                    write r0
                    verify r0
                  endfork
                  verify r0
                  exit
                end
                """);
        DfemuRun r = dfemu("boot", image.toString(), "--seed", "3", "--time", "5");
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("workload: 1 program(s), 2 process(es) at boot\n"), r.out());
        assertTrue(r.out().contains("--- processes ---\npid 1 wv: exited\npid 2 wv: exited\n"), r.out());
        assertTrue(r.out().contains("pid 3 wv: exited\n") && r.out().contains("pid 4 wv: exited\n"), r.out());
        assertFalse(r.out().contains("virtual time: 5.000 s"), "the run ended with the last process: " + r.out());
        assertTrue(r.out().strip().endsWith("result: ok"), r.out());
    }

    @Test
    void bootsAnImageCopyOnWriteAndLeavesItUntouched() throws Exception {
        Path image = image();
        byte[] before = Files.readAllBytes(image);
        FileTime mtime = Files.getLastModifiedTime(image);
        // The image has no workload: 2 virtual seconds idle do what the default 600 did (the
        // checks and ticks of 598 more seconds, about 20 s of host time, and no disk access).
        DfemuRun r = dfemu("boot", image.toString(), "--seed", "7", "--time", "2");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("real memory  = 33554432 (32M"), r.out());
        assertTrue(r.out().contains("cpus         = 2 "), r.out());
        assertArrayEquals(before, Files.readAllBytes(image));
        assertEquals(mtime, Files.getLastModifiedTime(image));
    }

    @Test
    void commandLineOverridesTheImage() throws Exception {
        DfemuRun r = dfemu("boot", "-m", "48M", "-n", "3", "-e", "kern.hz=250", image().toString(), "--time", "2");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("real memory  = 50331648 (48M"), r.out());
        assertTrue(r.out().contains("cpus         = 3 "), r.out());
        assertTrue(r.out().contains("hz 250"), r.out());
    }

    @Test
    void badInputExitsTwoWithOneLine() throws Exception {
        Path image = image();
        assertBad(dfemu("boot", "-e", "vm.nonesuch=1", image.toString()), "unknown setting 'vm.nonesuch'");
        assertBad(dfemu("boot", "-m", "8M", image.toString()), "hw.physmem");
        assertBad(dfemu("boot", "-e", "hw.ncpu=two", image.toString()), "hw.ncpu");
        assertBad(dfemu("boot", dir.resolve("missing.img").toString()), "no such image file");
        assertBad(dfemu("boot", "-r", image.toString(), "-R", image.toString()), "give one image");
        Path junk = dir.resolve("junk.img");
        Files.write(junk, new byte[4096]);
        assertBad(dfemu("boot", junk.toString()), "junk.img");
        Path truncated = dir.resolve("cut.img");
        Files.write(truncated, Files.readAllBytes(image), java.nio.file.StandardOpenOption.CREATE_NEW);
        try (var ch = java.nio.channels.FileChannel.open(truncated, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(2048);
        }
        assertBad(dfemu("boot", truncated.toString()), "cut.img");
    }

    @Test
    void bootsTheKernelAndReportsAtShutdown() throws Exception {
        DfemuRun r = dfemu("boot", image().toString(), "--time", "2");
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("avail memory = "), r.out());
        assertTrue(r.out().contains("vm_page_array = "), r.out());
        assertTrue(r.out().contains("zone PV ENTRY: 64-byte items, ZONE_INTERRUPT"), r.out());
        assertTrue(r.out().contains("--- vmstat -z ---"), r.out());
        assertTrue(r.out().contains("--- vmstat -m ---"), r.out());
        assertTrue(r.out().contains("virtual time: 2.000 s"), r.out());
        assertTrue(r.out().strip().endsWith("result: ok"), r.out());
    }

    @Test
    void aWorkloadStalledInVmWaitIsALivelockReportedInKernelTerms() throws Exception {
        // More anonymous memory than RAM, and SWAPMETA from plain kmalloc_obj: the pagedaemon's
        // first swblock needs a 32-page slab it cannot get (docs/swapmeta.md), so it and the
        // emergency pager wait in vm_wait (a second at a time), the process in vm_wait_pfault,
        // and nothing frees a page.
        Path image = image("""
                setting hw.physmem=16M
                setting hw.ncpu=1
                partition swap 64M
                program big copies 1
                  map r0 32M rw
                  write r0
                  exit
                end
                """);
        DfemuRun r = dfemu("boot", image.toString(), "--time", "100", "-e", "debug.stall_timeout=3:vm.swapmeta_alloc=kmalloc_obj");
        assertEquals(1, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("--- livelock at 3.0"), r.out());
        assertTrue(r.out().contains(": no progress for 3.000000000 s of virtual time while waiting for memory"), r.out());
        assertTrue(r.out().contains("\n  big.1 in vm_wait_pfault (wchan &vmstats.v_free_count, \"pfault\", timeout at "), r.out());
        assertTrue(r.out().contains("\n  pagedaemon in vm_wait (wchan &vm_pageout_pages_needed, \"VMWait\", timeout at "), r.out());
        assertTrue(r.out().contains("from kmem_slab_alloc, from _kmalloc_obj(SWAPMETA), from swp_pager_meta_build, from swap_pager_putpages"),
                r.out());
        assertTrue(r.out().contains("  pagedaemon: blocked, it needs free pages itself"), r.out());
        assertTrue(r.out().contains("  pid 1 big.1 holds "), r.out());
        assertTrue(r.out().strip().endsWith("result: livelock"), r.out());
    }

    @Test
    void anIdleRunLongerThanTheStallTimeoutIsNoLivelock() throws Exception {
        DfemuRun r = dfemu("boot", image().toString(), "--time", "4", "-e", "debug.stall_timeout=1");
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().strip().endsWith("result: ok"), r.out());
    }

    @Test
    void injectedAllocationFailuresAreCountedAndReproducible() throws Exception {
        Path image = image(SPEC + """
                program wv copies 2
                  map r0 4M rw
                  write r0
                  verify r0
                  exit
                end
                """);
        String[] args = {"boot", image.toString(), "--seed", "3", "-e",
                "debug.fail_page_alloc.probability=20:debug.fail_page_alloc.classes=normal", "-e",
                "debug.failslab.probability=100:debug.failslab.ignore_waitok=0:debug.failslab.times=2"};
        DfemuRun a = dfemu(args);
        DfemuRun b = dfemu(args);
        assertEquals(0, a.status(), a.out() + a.err());
        assertEquals(a.out(), b.out());
        assertTrue(a.out().contains("--- fault injection ---\nfail_page_alloc  probability 20% interval 1 times -1 (classes normal): "),
                a.out());
        assertTrue(a.out().contains("failslab         probability 100% interval 1 times 2 (M_WAITOK may fail): 5 eligible calls, 2 failures injected"),
                a.out());
        assertFalse(a.out().contains(" 0 failures injected"), a.out());
        assertTrue(a.out().strip().endsWith("result: ok"), a.out());
        assertBad(dfemu("boot", image.toString(), "-e", "debug.fail_page_alloc.classes=normal,dma"), "'dma' is not one of");
    }

    @Test
    void sameImageAndSeedGiveTheSameRun() throws Exception {
        Path image = image();
        DfemuRun a = dfemu("boot", image.toString(), "--seed", "5", "--time", "1.5", "-v");
        DfemuRun b = dfemu("boot", image.toString(), "--seed", "5", "--time", "1.5", "-v");
        assertEquals(0, a.status(), a.err());
        assertEquals(a.out(), b.out());
    }

    @Test
    void recordingATraceDoesNotChangeTheRunAndIsReproducible() throws Exception {
        Path image = image();
        Path t1 = dir.resolve("a.dftrace");
        Path t2 = dir.resolve("b.dftrace");
        DfemuRun plain = dfemu("boot", image.toString(), "--seed", "3", "--time", "1");
        DfemuRun traced = dfemu("boot", image.toString(), "--seed", "3", "--time", "1", "--trace", t1.toString());
        DfemuRun again = dfemu("boot", image.toString(), "--seed", "3", "--time", "1", "--trace", t2.toString());
        assertEquals(0, traced.status(), traced.err());
        String tracedRun = traced.out().replaceAll("(?m)^trace: .*\\R", "");
        assertEquals(plain.out(), tracedRun, "the same run with and without the trace");
        assertArrayEquals(Files.readAllBytes(t1), Files.readAllBytes(t2), "same seed, same trace bytes");
        try (var reader = org.dfemu.emulator.trace.TraceReader.open(t1)) {
            assertTrue(reader.complete());
            assertTrue(reader.recordCount() > 0);
            var c = reader.cursor();
            boolean sawSwitch = false;
            while (c.next()) sawSwitch |= c.name().equals("sched_switch") || c.name().equals("sched_spawn");
            assertTrue(sawSwitch, "scheduler events are recorded");
        }
    }

    @Test
    void periodicReportsDoNotChangeTheRun() throws Exception {
        Path image = image();
        DfemuRun plain = dfemu("boot", image.toString(), "--seed", "4", "--time", "0.5");
        DfemuRun reported = dfemu("boot", image.toString(), "--seed", "4", "--time", "0.5", "--report-every", "0.1");
        assertEquals(0, reported.status(), reported.err());
        String[] lines = reported.out().split("\\R");
        long reports = java.util.Arrays.stream(lines).filter(l -> l.matches(" +0\\.[1-5]00 .*")).count();
        assertEquals(5, reports, reported.out());
        String rest = java.util.Arrays.stream(lines)
                .filter(l -> !l.matches(" +0\\.[1-5]00 .*") && !l.contains("time(s)"))
                .collect(java.util.stream.Collectors.joining("\n", "", "\n"));
        assertEquals(plain.out(), rest);
        assertBad(dfemu("boot", image.toString(), "--report-every", "-1"), "--report-every");
    }

    @Test
    void unknownOptionIsAUsageError() {
        DfemuRun r = dfemu("boot", "--no-such-option");
        assertEquals(2, r.status());
    }

    @Test
    void badCpuTimeSettingsAreOneLineErrors() throws Exception {
        Path image = image();
        for (org.dfemu.emulator.api.Tunable t : org.dfemu.emulator.cpu.CpuCost.TUNABLES) {
            for (String bad : List.of("-1", "1.5", "abc", "1000001")) {
                assertBad(dfemu("boot", image.toString(), "-e", t.name() + "=" + bad), t.name());
            }
        }
    }

    private static void assertBad(DfemuRun r, String mention) {
        assertEquals(2, r.status(), r.out() + r.err());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, "one line: " + r.err());
        assertTrue(lines[0].startsWith("dfemu boot: "), lines[0]);
        assertTrue(lines[0].contains(mention), lines[0]);
    }

}
