package org.dfemu.kernel.harness.workload;

import static org.dfemu.kernel.harness.workload.Programs.endfork;
import static org.dfemu.kernel.harness.workload.Programs.endloop;
import static org.dfemu.kernel.harness.workload.Programs.exit;
import static org.dfemu.kernel.harness.workload.Programs.fork;
import static org.dfemu.kernel.harness.workload.Programs.loop;
import static org.dfemu.kernel.harness.workload.Programs.map;
import static org.dfemu.kernel.harness.workload.Programs.mapRo;
import static org.dfemu.kernel.harness.workload.Programs.random;
import static org.dfemu.kernel.harness.workload.Programs.sleep;
import static org.dfemu.kernel.harness.workload.Programs.unmap;
import static org.dfemu.kernel.harness.workload.Programs.verify;
import static org.dfemu.kernel.harness.workload.Programs.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.dfemu.kernel.harness.workload.Instruction.Access;
import org.junit.jupiter.api.Test;

class ProgramCheckTest {
    private static ProgramFormatException refused(Instruction... code) {
        return assertThrows(ProgramFormatException.class, () -> Program.of("p", 1, List.of(code)));
    }

    private static void accepted(Instruction... code) throws ProgramFormatException {
        Program.of("p", 1, List.of(code));
    }

    @Test
    void registersFollowTheStructuredControlFlow() throws Exception {
        accepted(map(0, 1), fork(), unmap(0), map(0, 2), write(0), endfork(), write(0), unmap(0));
        ProgramFormatException e = refused(map(0, 1), fork(), unmap(0), endfork(), map(0, 1));
        assertEquals(4, e.instruction());
        assertEquals("r0 is already mapped", e.problem());
        assertEquals("r3 is mapped read-only", refused(mapRo(3, 1), random(3, 1, Access.WRITE)).problem());
        accepted(mapRo(3, 1), random(3, 1, Access.READ), verify(3));
    }

    @Test
    void loopBodiesMustLeaveTheRegistersAsTheyFoundThem() throws Exception {
        accepted(loop(3), map(0, 1), write(0), unmap(0), endloop());
        ProgramFormatException e = refused(loop(3), map(0, 1), endloop());
        assertEquals(2, e.instruction());
        assertEquals("each pass of a loop must end with the regions it began with: r0 was unmapped at 'loop' and is mapped 4K rw here",
                e.problem());
        assertEquals("each pass of a loop must end with the regions it began with: r1 was mapped 8K rw at 'loop' and is mapped 4K rw here",
                refused(map(1, 2), loop(2), unmap(1), map(1, 1), endloop()).problem());
    }

    @Test
    void loopBodiesMustAct() throws Exception {
        ProgramFormatException e = refused(loop(2), loop(2), endloop(), endloop());
        assertEquals(1, e.instruction());
        assertEquals("program 'p' instruction 1 (loop 2): loop body does nothing (it needs a map, unmap, write, verify, touch, sleep or fork)",
                e.getMessage());
        accepted(loop(2), loop(2), sleep(1), endloop(), endloop());
        accepted(loop(2), fork(), endfork(), endloop());
    }

    @Test
    void blocksNest() {
        assertEquals("'endfork' inside an open loop block (close it with 'endloop' first)",
                refused(fork(), loop(2), sleep(1), endfork(), endloop()).problem());
        assertEquals("'endloop' inside an open fork block (close it with 'endfork' first)",
                refused(loop(2), fork(), endloop(), endfork()).problem());
        assertEquals("'endfork' without 'fork'", refused(endfork()).problem());
        ProgramFormatException e = refused(loop(2), sleep(1), loop(2), sleep(1), endloop());
        assertEquals(0, e.instruction());
        assertEquals("'loop' has no matching 'endloop'", e.problem());
        List<Instruction> deep = new ArrayList<>();
        for (int i = 0; i < Program.DEPTH_MAX + 1; i++) deep.add(fork());
        e = assertThrows(ProgramFormatException.class, () -> Program.of("p", 1, deep));
        assertEquals(Program.DEPTH_MAX, e.instruction());
        assertEquals("blocks nested deeper than 16", e.problem());
    }

    @Test
    void exitEndsTheProgramOrAForkBlockOnly() throws Exception {
        accepted(map(0, 1), exit());
        accepted(fork(), exit(), endfork(), exit());
        String rule = "'exit' must be the last instruction of the program or of a fork block";
        assertEquals(rule, refused(exit(), sleep(1)).problem());
        assertEquals(rule, refused(loop(2), sleep(1), exit(), endloop()).problem());
        assertEquals(rule, refused(fork(), exit(), sleep(1), endfork()).problem());
    }

    @Test
    void nameAndCopies() {
        assertEquals("bad program name 'seventeen-chars-x' (1..16 letters, digits, '_', '.', '-')",
                assertThrows(ProgramFormatException.class, () -> Program.of("seventeen-chars-x", 1, List.of())).getMessage());
        assertEquals("program 'p': copies -1 is out of range 0..256",
                assertThrows(ProgramFormatException.class, () -> Program.of("p", -1, List.of())).getMessage());
        assertEquals("program 'p' instruction 0 (write r0): r0 is not mapped",
                assertThrows(IllegalArgumentException.class, () -> new Program("p", 1, List.of(write(0)))).getMessage());
    }
}
