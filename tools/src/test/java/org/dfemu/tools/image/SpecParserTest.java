package org.dfemu.tools.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dfemu.kernel.harness.workload.Instruction;
import org.dfemu.kernel.harness.workload.Program;
import org.dfemu.kernel.harness.workload.ProgramCodec;
import org.dfemu.kernel.harness.workload.Workload;
import org.junit.jupiter.api.Test;

class SpecParserTest {
    private static ImageSpec parse(String text) throws SpecException {
        return SpecParser.parse("t.spec", text.getBytes(StandardCharsets.UTF_8));
    }

    private static String error(String text) {
        return assertThrows(SpecException.class, () -> parse(text)).getMessage();
    }

    @Test
    void defaultSpecDescribesTheSmallMachine() throws Exception {
        ImageSpec spec = SpecParser.parse(Path.of("..", "disk-images", "default.spec"));
        assertEquals("64M", spec.settings().get("hw.physmem"));
        assertEquals("2", spec.settings().get("hw.ncpu"));
        assertEquals(256L << 20, spec.partitionBytes().get(PartitionType.SWAP));
        assertEquals(1, spec.programs().size());
        assertEquals("pager", spec.programs().get(0).name());
        assertEquals(2, spec.programs().get(0).copies());
        // 2 x 48M on 64M of RAM: the workload pages through swap.
        assertEquals(new Instruction.Mmap(0, 12288, Instruction.Prot.RW), spec.programs().get(0).code().get(0));
    }

    @Test
    void benchSpecsDescribeIssue13sTwoWorkloads() throws Exception {
        ImageSpec faults = SpecParser.parse(Path.of("..", "disk-images", "bench-faults.spec"));
        assertEquals("128M", faults.settings().get("hw.physmem"));
        assertEquals(3, faults.programs().get(0).copies());
        // 3 x 32M mapped at a time: fits in 128M, so every fault is a zero fill and nothing pages.
        assertEquals(new Instruction.Loop(10), faults.programs().get(0).code().get(0));
        assertEquals(new Instruction.Mmap(0, 8192, Instruction.Prot.RW), faults.programs().get(0).code().get(1));
        ImageSpec swap = SpecParser.parse(Path.of("..", "disk-images", "bench-swap.spec"));
        assertEquals("128M", swap.settings().get("hw.physmem"));
        assertEquals(1L << 30, swap.partitionBytes().get(PartitionType.SWAP));
        assertEquals(3, swap.programs().get(0).copies());
        // 3 x 192M on 128M: the pages must go through swap.
        assertEquals(new Instruction.Mmap(0, 49152, Instruction.Prot.RW), swap.programs().get(0).code().get(0));
    }

    @Test
    void directivesCommentsAndProgramBlocks() throws Exception {
        ImageSpec spec = parse("""
                # a comment
                setting hw.ncpu=2   # trailing comment
                setting kern.hz=1000
                partition swap 8M
                partition boot 8K

                program alpha copies 3   # three processes at boot
                  # a comment inside a block
                  map r0 8K rw

                  write r0
                end  # closes alpha
                program beta
                end
                """);
        assertEquals(List.of("hw.ncpu", "kern.hz"), List.copyOf(spec.settings().keySet()));
        assertEquals(Map.of(PartitionType.BOOT, 8192L, PartitionType.USER, 4096L, PartitionType.SWAP, 8L << 20),
                spec.partitionBytes());
        assertEquals(new Workload(List.of(
                new Program("alpha", 3, List.of(new Instruction.Mmap(0, 2, Instruction.Prot.RW), new Instruction.Write(0))),
                new Program("beta", 1, List.of()))), spec.workload());
        assertEquals(spec.workload(), ProgramCodec.decode(spec.userContent()));
        assertEquals("hw.ncpu=\"2\"\nkern.hz=\"1000\"\n", new String(spec.bootContent(), StandardCharsets.US_ASCII));
    }

    @Test
    void noProgramsAndNoSwapGiveOnlyABootPartition() throws Exception {
        ImageSpec spec = parse("setting hw.ncpu=1\n");
        assertEquals(Map.of(PartitionType.BOOT, 4096L), spec.partitionBytes());
    }

    @Test
    void badLinesAreReportedWithFileAndLine() {
        assertEquals("t.spec:2: unknown directive 'partiton' (expected setting, partition or program)",
                error("setting hw.ncpu=2\npartiton swap 8M\n"));
        assertEquals("t.spec:1: unknown setting 'hw.ncpus'", error("setting hw.ncpus=2\n"));
        assertEquals("t.spec:1: hw.ncpu: 100 is out of range 1..64", error("setting hw.ncpu=100\n"));
        assertEquals("t.spec:1: expected 'setting NAME=VALUE'", error("setting hw.ncpu = 2\n"));
        assertEquals("t.spec:3: hw.ncpu is already set on line 1", error("setting hw.ncpu=2\n\nsetting hw.ncpu=3\n"));
        assertEquals("t.spec:1: partition swap: malformed size '12Q' (expected a number with an optional k/m/g suffix)",
                error("partition swap 12Q\n"));
        assertEquals("t.spec:1: partition swap: size 1000 is not a multiple of 4K", error("partition swap 1000\n"));
        assertEquals("t.spec:1: partition swap: size 0 is out of range 4K..1T", error("partition swap 0\n"));
        assertEquals("t.spec:2: partition swap is already declared on line 1",
                error("partition swap 8M\npartition swap 16M\n"));
        assertEquals("t.spec:1: unknown partition 'home' (expected boot, swap or user)", error("partition home 8M\n"));
        assertEquals("t.spec:1: expected 'partition boot|swap|user SIZE'", error("partition swap\n"));
        assertEquals("t.spec:2: program p has no 'end' line", error("\nprogram p\n  exit\n"));
        assertEquals("t.spec:3: program p is already defined on line 1", error("program p\nend\nprogram p\nend\n"));
        assertEquals("t.spec:1: 'end' without a 'program' block", error("end\n"));
        assertEquals("t.spec:1: expected 'program NAME [copies N] [expect exit|segv|killed|exit-or-killed|segv-or-killed]' (NAME of 1..16 letters, digits, '_', '.', '-')",
                error("program a b\n"));
    }

    @Test
    void declaredSizeMustHoldTheContent() {
        String big = "program p\n" + "  sleep 1s\n".repeat(500) + "end\n";
        assertEquals("t.spec:1: partition user of 4K is too small for its 4520 bytes of content",
                error("partition user 4K\nsetting hw.ncpu=2\n" + big));
    }

    @Test
    void nonUtf8LineIsReported() {
        byte[] text = {'#', '\n', 's', (byte) 0xff, '\n'};
        assertEquals("t.spec:2: not UTF-8 text",
                assertThrows(SpecException.class, () -> SpecParser.parse("t.spec", text)).getMessage());
    }
}
