package org.dfemu.tools.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.dfemu.kernel.harness.workload.Instruction;
import org.dfemu.kernel.harness.workload.Instruction.Access;
import org.dfemu.kernel.harness.workload.Instruction.Order;
import org.dfemu.kernel.harness.workload.Instruction.Prot;
import org.dfemu.kernel.harness.workload.Program;
import org.junit.jupiter.api.Test;

class ProgramCompilerTest {
    private static Program compile(String body) throws SpecException {
        String text = "setting hw.ncpu=1\nprogram p\n" + body + "end\n";
        return SpecParser.parse("w.spec", text.getBytes(StandardCharsets.UTF_8)).programs().get(0);
    }

    /** The error for a program whose block starts on line 2, so its first instruction is line 3. */
    private static String error(String body) {
        return assertThrows(SpecException.class, () -> compile(body)).getMessage();
    }

    @Test
    void everyInstruction() throws Exception {
        Program p = compile("""
                  map r0 48M rw
                  map r15 4k ro
                  write r0
                  verify r0
                  touch r0 seq read
                  touch r0 stride 16 write
                  touch r0 random 1000 write
                  touch r15 random 3 read
                  loop 3
                    sleep 10ms
                    sleep 1500us
                    sleep 7ns
                    sleep 2s
                    fork
                      verify r0
                      exit
                    endfork
                  endloop
                  unmap r15
                  unmap r0
                  exit
                """);
        assertEquals(List.of(
                new Instruction.Mmap(0, 12288, Prot.RW),
                new Instruction.Mmap(15, 1, Prot.RO),
                new Instruction.Write(0),
                new Instruction.Verify(0),
                new Instruction.Touch(0, Order.SEQ, 0, Access.READ),
                new Instruction.Touch(0, Order.STRIDE, 16, Access.WRITE),
                new Instruction.Touch(0, Order.RANDOM, 1000, Access.WRITE),
                new Instruction.Touch(15, Order.RANDOM, 3, Access.READ),
                new Instruction.Loop(3),
                new Instruction.Sleep(10_000_000),
                new Instruction.Sleep(1_500_000),
                new Instruction.Sleep(7),
                new Instruction.Sleep(2_000_000_000),
                new Instruction.Fork(),
                new Instruction.Verify(0),
                new Instruction.Exit(),
                new Instruction.EndFork(),
                new Instruction.EndLoop(),
                new Instruction.Munmap(15),
                new Instruction.Munmap(0),
                new Instruction.Exit()), p.code());
    }

    @Test
    void canonicalTextCompilesBackToTheSameInstruction() throws Exception {
        Program p = compile("""
                  map r3 1536K rw
                  map r4 1T ro
                  write r3
                  touch r3 random 5 write
                  touch r3 seq read
                  touch r4 stride 2 read
                  loop 1000000000
                  sleep 3600s
                  endloop
                  sleep 1500us
                  sleep 1000ms
                  fork
                  endfork
                """);
        StringBuilder text = new StringBuilder();
        for (Instruction in : p.code()) text.append(in.text()).append('\n');
        assertEquals("""
                map r3 1536K rw
                map r4 1T ro
                write r3
                touch r3 random 5 write
                touch r3 seq read
                touch r4 stride 2 read
                loop 1000000000
                sleep 3600s
                endloop
                sleep 1500us
                sleep 1s
                fork
                endfork
                """, text.toString());
        assertEquals(p.code(), compile(text.toString()).code());
    }

    @Test
    void badInstructionsAreReportedAtTheirLine() {
        assertEquals("w.spec:4: unknown instruction 'mapp' (expected map, unmap, write, verify, touch, sleep, loop, endloop,"
                + " fork, endfork, thread, endthread, wait, exit, mlock, munlock, mlockall, munlockall, mprotect or madvise)", error("  sleep 1s\n  mapp r0 4K rw\n"));
        assertEquals("w.spec:3: expected 'map rN SIZE rw|ro [shared]'", error("  map r0 4K\n"));
        assertEquals("w.spec:3: bad register 'x0' (expected r0..r15)", error("  map x0 4K rw\n"));
        assertEquals("w.spec:3: no register r16 (registers are r0..r15)", error("  map r16 4K rw\n"));
        assertEquals("w.spec:3: map: size 6000 is not a multiple of 4K", error("  map r0 6000 rw\n"));
        assertEquals("w.spec:3: map: size 0 is out of range 4K..1T", error("  map r0 0 rw\n"));
        assertEquals("w.spec:3: map: size 1000 is out of range 4K..1T", error("  map r0 1000 rw\n"));
        assertEquals("w.spec:3: map: size 2T is out of range 4K..1T", error("  map r0 2T rw\n"));
        assertEquals("w.spec:3: map: malformed size '4Q' (expected a number with an optional k/m/g suffix)",
                error("  map r0 4Q rw\n"));
        assertEquals("w.spec:3: map: unknown protection 'rx' (expected rw or ro)", error("  map r0 4K rx\n"));
        assertEquals("w.spec:3: write: page 'gen' is not a decimal number", error("  write r0 gen 1\n"));
        assertEquals("w.spec:3: expected 'write rN [PAGE COUNT]'", error("  write r0 1\n"));
        assertEquals("w.spec:3: expected 'unmap rN [PAGE COUNT]'", error("  unmap\n"));
        assertEquals("w.spec:3: expected 'touch rN seq|stride N|random N read|write'", error("  touch r0 random 5\n"));
        assertEquals("w.spec:3: touch: unknown order 'back' (expected seq, stride or random)", error("  touch r0 back read\n"));
        assertEquals("w.spec:3: touch: unknown access 'rw' (expected read or write)", error("  touch r0 seq rw\n"));
        assertEquals("w.spec:3: touch: stride 'x' is not a decimal number", error("  touch r0 stride x read\n"));
        assertEquals("w.spec:3: touch: stride 0 is out of range 1..268435456", error("  touch r0 stride 0 read\n"));
        assertEquals("w.spec:3: touch: random count 0 is out of range 1..1000000000", error("  touch r0 random 0 read\n"));
        assertEquals("w.spec:3: sleep: bad duration '10' (expected a number and ns, us, ms or s, e.g. 10ms)",
                error("  sleep 10\n"));
        assertEquals("w.spec:3: sleep: 3601000000000ns is out of range 1ns..3600s", error("  sleep 3601s\n"));
        assertEquals("w.spec:3: sleep: 0ns is out of range 1ns..3600s", error("  sleep 0ms\n"));
        assertEquals("w.spec:3: sleep: 999999999999999999s is out of range 1ns..3600s", error("  sleep 999999999999999999s\n"));
        assertEquals("w.spec:3: expected 'sleep DURATION'", error("  sleep 1 ms\n"));
        assertEquals("w.spec:3: loop: count 0 is out of range 1..1000000000", error("  loop 0\n  sleep 1s\n  endloop\n"));
        assertEquals("w.spec:3: loop: count '-1' is not a decimal number", error("  loop -1\n"));
        assertEquals("w.spec:3: expected 'endloop'", error("  endloop 3\n"));
        assertEquals("w.spec:3: expected 'exit'", error("  exit 0\n"));
    }

    @Test
    void memoryControlInstructions() throws Exception {
        Program p = compile("""
                  map r0 64K rw
                  mlock r0
                  mlock r0 1 2
                  munlock r0 1 2
                  munlock r0
                  mlockall current
                  mlockall future
                  mlockall current,future
                  munlockall
                  mprotect r0 none 3 1
                  mprotect r0 ro
                  mprotect r0 rw 0 16
                  madvise r0 willneed
                  madvise r0 dontneed 2 2
                  madvise r0 free
                  write r0 4 4
                  verify r0 0 16
                  unmap r0 8 8
                  verify r0
                """);
        assertEquals(List.of(
                new Instruction.Mmap(0, 16, Prot.RW),
                new Instruction.Mlock(0, 0, 0),
                new Instruction.Mlock(0, 1, 2),
                new Instruction.Munlock(0, 1, 2),
                new Instruction.Munlock(0, 0, 0),
                new Instruction.Mlockall(1),
                new Instruction.Mlockall(2),
                new Instruction.Mlockall(3),
                new Instruction.Munlockall(),
                new Instruction.Mprotect(0, Instruction.Protect.NONE, 3, 1),
                new Instruction.Mprotect(0, Instruction.Protect.RO, 0, 0),
                new Instruction.Mprotect(0, Instruction.Protect.RW, 0, 16),
                new Instruction.Madvise(0, Instruction.Advice.WILLNEED, 0, 0),
                new Instruction.Madvise(0, Instruction.Advice.DONTNEED, 2, 2),
                new Instruction.Madvise(0, Instruction.Advice.FREE, 0, 0),
                new Instruction.WriteRange(0, 4, 4),
                new Instruction.VerifyRange(0, 0, 16),
                new Instruction.UnmapRange(0, 8, 8),
                new Instruction.Verify(0)), p.code());
        StringBuilder text = new StringBuilder();
        for (Instruction in : p.code()) text.append("  ").append(in.text()).append('\n');
        assertEquals(p.code(), compile(text.toString()).code());
    }

    @Test
    void badMemoryControlInstructionsAreReportedAtTheirLine() {
        String map = "  map r0 64K rw\n";
        assertEquals("w.spec:4: expected 'mlock rN [PAGE COUNT]'", error(map + "  mlock r0 1\n"));
        assertEquals("w.spec:4: mlock: count 0 is out of range 1..268435456", error(map + "  mlock r0 1 0\n"));
        assertEquals("w.spec:4: munlock: page 'x' is not a decimal number", error(map + "  munlock r0 x 1\n"));
        assertEquals("w.spec:4: mlockall: unknown flags 'all' (expected current, future or current,future)",
                error(map + "  mlockall all\n"));
        assertEquals("w.spec:4: expected 'mlockall current|future|current,future'", error(map + "  mlockall\n"));
        assertEquals("w.spec:4: expected 'munlockall'", error(map + "  munlockall r0\n"));
        assertEquals("w.spec:4: mprotect: unknown protection 'rwx' (expected none, ro or rw)", error(map + "  mprotect r0 rwx\n"));
        assertEquals("w.spec:4: expected 'mprotect rN none|ro|rw [PAGE COUNT]'", error(map + "  mprotect r0\n"));
        assertEquals("w.spec:4: madvise: unknown advice 'random' (expected willneed, dontneed or free)",
                error(map + "  madvise r0 random\n"));
        assertEquals("w.spec:4: expected 'madvise rN willneed|dontneed|free [PAGE COUNT]'", error(map + "  madvise r0 free 1\n"));
        assertEquals("w.spec:4: verify: page 268435456 is out of range 0..268435455", error(map + "  verify r0 268435456 1\n"));
        assertEquals("w.spec:4: pages 10..19 are outside r0 (pages 0..15)", error(map + "  write r0 10 10\n"));
        assertEquals("w.spec:5: pages 3..4 of r0 are not all mapped (mapped: 0..3,5..15)",
                error(map + "  unmap r0 4 1\n  madvise r0 free 3 2\n"));
        assertEquals("w.spec:3: r1 is not mapped", error("  mlock r1\n"));
        assertEquals("w.spec:4: r0 is mapped read-only", error("  map r0 4K ro\n  write r0 0 1\n"));
    }

    @Test
    void badProgramStructureIsReportedAtTheOffendingLine() {
        assertEquals("w.spec:4: r0 is not mapped", error("  map r1 4K rw\n  write r0\n"));
        assertEquals("w.spec:4: r0 is already mapped", error("  map r0 4K rw\n  map r0 8K rw\n"));
        assertEquals("w.spec:4: r0 is mapped read-only", error("  map r0 4K ro\n  touch r0 seq write\n"));
        assertEquals("w.spec:7: each pass of a loop must end with the regions it began with: r0 was unmapped at 'loop'"
                + " and is mapped 4K rw here", error("  loop 2\n\n  # map inside\n  map r0 4K rw\n  endloop\n"));
        assertEquals("w.spec:3: loop body does nothing (it needs a map, unmap, write, verify, touch, sleep or fork)",
                error("  loop 2\n  endloop\n"));
        assertEquals("w.spec:3: 'loop' has no matching 'endloop'", error("  loop 2\n  sleep 1s\n"));
        assertEquals("w.spec:3: 'fork' has no matching 'endfork'", error("  fork\n"));
        assertEquals("w.spec:3: 'endloop' without 'loop'", error("  endloop\n"));
        assertEquals("w.spec:4: 'endfork' inside an open loop block (close it with 'endloop' first)",
                error("  loop 2\n  endfork\n"));
        assertEquals("w.spec:3: 'exit' must be the last instruction of the program or of a fork block", error("  exit\n  sleep 1s\n"));
    }

    @Test
    void badProgramDirectives() {
        assertEquals("w.spec:1: copies 257 is out of range 0..256", parseError("program p copies 257\nend\n"));
        assertEquals("w.spec:1: copies 'many' is not a decimal number", parseError("program p copies many\nend\n"));
        assertEquals("w.spec:1: expected 'program NAME [copies N] [expect exit|segv|killed|exit-or-killed|segv-or-killed]' (NAME of 1..16 letters, digits, '_', '.', '-')",
                parseError("program p copy 2\nend\n"));
        assertEquals("w.spec:1: expected 'program NAME [copies N] [expect exit|segv|killed|exit-or-killed|segv-or-killed]' (NAME of 1..16 letters, digits, '_', '.', '-')",
                parseError("program a-name-of-17-chars\nend\n"));
        assertEquals("w.spec:1: program p has no 'end' line before the 'program' on line 3",
                parseError("program p\n  sleep 1s\nprogram q\nend\n"));
        assertEquals("w.spec:1: program p has no 'end' line before the 'setting' on line 2",
                parseError("program p\nsetting hw.ncpu=2\n"));
        StringBuilder many = new StringBuilder();
        for (int i = 0; i <= 256; i++) many.append("program p").append(i).append(" copies 0\nend\n");
        assertEquals("w.spec:513: more than 256 programs", parseError(many.toString()));
        assertEquals("w.spec:1: 65537 instructions, more than the 65536 allowed", parseError("program p\n" + "  sleep 1s\n".repeat(65537) + "end\n"));
    }

    @Test
    void sharedThreadsWaitAndExpect() throws Exception {
        Program p = compile("  map r0 8K rw shared\n  thread\n    write r0\n  endthread\n  wait\n  verify r0\n");
        assertEquals(List.of("map r0 8K rw shared", "thread", "write r0", "endthread", "wait", "verify r0"),
                p.code().stream().map(Instruction::text).toList());
        Program q = SpecParser.parse("w.spec", "program q copies 3 expect segv\n  map r0 4K ro\n  touch r0 seq write\nend\n"
                .getBytes(StandardCharsets.UTF_8)).programs().get(0);
        assertEquals(Program.Fate.SEGV, q.expect());
        assertEquals(3, q.copies());
        assertEquals(Program.Fate.KILLED, SpecParser.parse("w.spec", "program q expect killed\nend\n"
                .getBytes(StandardCharsets.UTF_8)).programs().get(0).expect());
    }

    @Test
    void badSharedThreadsWaitAndExpect() {
        assertEquals("w.spec:3: map: unknown option 'sharde' (expected shared)", error("  map r0 4K rw sharde\n"));
        assertEquals("w.spec:3: expected 'map rN SIZE rw|ro [shared]'", error("  map r0 4K rw shared x\n"));
        assertEquals("w.spec:3: expected 'thread'", error("  thread 2\n"));
        assertEquals("w.spec:3: expected 'endthread'", error("  endthread now\n"));
        assertEquals("w.spec:3: expected 'wait'", error("  wait 1s\n"));
        assertEquals("w.spec:3: 'endthread' without 'thread'", error("  endthread\n"));
        assertEquals("w.spec:3: 'thread' has no matching 'endthread'", error("  thread\n  sleep 1s\n"));
        assertEquals("w.spec:5: 'unmap' inside a thread block (a thread only writes, verifies, touches, madvises, sleeps and loops)",
                error("  map r0 4K rw\n  thread\n  unmap r0\n  endthread\n  wait\n"));
        assertEquals("w.spec:5: 'wait' inside a thread block (a thread only writes, verifies, touches, madvises, sleeps and loops)",
                error("  map r0 4K rw\n  thread\n  wait\n  endthread\n  wait\n"));
        assertEquals("w.spec:4: 'thread' has no matching 'endthread'", error("  sleep 1s\n  thread\n"));
        assertEquals("w.spec:7: r0 is shared with the thread started at instruction 1, which writes it: not before 'wait'",
                error("  map r0 4K rw\n  thread\n  write r0\n  endthread\n  touch r0 seq read\n  wait\n"));
        assertEquals("w.spec:4: the thread is not waited for: 'wait' before the program ends",
                error("  map r0 4K rw\n  thread\n  write r0\n  endthread\n"));
        assertEquals("w.spec:1: expect: unknown fate 'death' (expected exit, segv, killed, exit-or-killed or segv-or-killed)",
                parseError("program p expect death\nend\n"));
        assertEquals("w.spec:1: expected 'program NAME [copies N] [expect exit|segv|killed|exit-or-killed|segv-or-killed]' (NAME of 1..16 letters, digits,"
                + " '_', '.', '-')", parseError("program p expect\nend\n"));
        assertEquals("w.spec:1: expected 'program NAME [copies N] [expect exit|segv|killed|exit-or-killed|segv-or-killed]' (NAME of 1..16 letters, digits,"
                + " '_', '.', '-')", parseError("program p expect exit expect segv\nend\n"));
        assertEquals("w.spec:1: expected 'program NAME [copies N] [expect exit|segv|killed|exit-or-killed|segv-or-killed]' (NAME of 1..16 letters, digits,"
                + " '_', '.', '-')", parseError("program p expect exit copies 2\nend\n"));
    }

    private static String parseError(String text) {
        return assertThrows(SpecException.class, () -> SpecParser.parse("w.spec", text.getBytes(StandardCharsets.UTF_8)))
                .getMessage();
    }
}
