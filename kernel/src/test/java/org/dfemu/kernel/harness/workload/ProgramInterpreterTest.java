package org.dfemu.kernel.harness.workload;

import static org.dfemu.kernel.harness.workload.Programs.endfork;
import static org.dfemu.kernel.harness.workload.Programs.endloop;
import static org.dfemu.kernel.harness.workload.Programs.exit;
import static org.dfemu.kernel.harness.workload.Programs.fork;
import static org.dfemu.kernel.harness.workload.Programs.loop;
import static org.dfemu.kernel.harness.workload.Programs.map;
import static org.dfemu.kernel.harness.workload.Programs.mapRo;
import static org.dfemu.kernel.harness.workload.Programs.program;
import static org.dfemu.kernel.harness.workload.Programs.random;
import static org.dfemu.kernel.harness.workload.Programs.seq;
import static org.dfemu.kernel.harness.workload.Programs.sleep;
import static org.dfemu.kernel.harness.workload.Programs.stride;
import static org.dfemu.kernel.harness.workload.Programs.unmap;
import static org.dfemu.kernel.harness.workload.Programs.verify;
import static org.dfemu.kernel.harness.workload.Programs.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.dfemu.kernel.harness.workload.Instruction.Access;
import org.junit.jupiter.api.Test;

class ProgramInterpreterTest {
    private static final long PARENT = PagePattern.bootStream(0, 0);

    /** Runs an interpreter to its exit; forked children are collected, not run. */
    private static final class Trace {
        final List<String> actions = new ArrayList<>();
        final List<ProgramInterpreter> children = new ArrayList<>();
        final Map<Long, String> names = new HashMap<>();

        Trace(ProgramInterpreter p) {
            names.put(PARENT, "P");
            names.put(PagePattern.childStream(PARENT, 0), "C0");
            names.put(PagePattern.childStream(PARENT, 1), "C1");
            names.put(PagePattern.childStream(PagePattern.childStream(PARENT, 0), 0), "G");
            while (true) {
                Action a = p.next();
                actions.add(describe(a));
                if (a instanceof Action.Fork f) children.add(f.child());
                if (a instanceof Action.Exit) break;
            }
            assertTrue(p.exited());
        }

        String describe(Action a) {
            return switch (a) {
                case Action.Mmap m -> "map r" + m.reg() + " " + m.pages() + " " + m.prot().word();
                case Action.Munmap u -> "unmap r" + u.reg();
                case Action.WritePage w -> "W r" + w.reg() + " p" + w.page() + " g" + w.generation() + " " + stream(w.stream(), w.generation());
                case Action.VerifyPage v -> "V r" + v.reg() + " p" + v.page() + " g" + v.generation() + " " + stream(v.stream(), v.generation());
                case Action.Sleep s -> "sleep " + s.ns();
                case Action.Fork f -> "fork " + names.get(f.child().stream());
                case Action.Thread t -> "thread " + names.get(t.thread().stream());
                case Action.Wait w -> "wait";
                case Action.Exit x -> "exit";
                case Action.MunmapRange u -> "unmap r" + u.reg() + " " + u.page() + "+" + u.count() + (u.empty() ? " empty" : "");
                case Action.Mlock l -> (l.lock() ? "mlock r" : "munlock r") + l.reg() + " " + l.page() + "+" + l.count();
                case Action.Mlockall l -> "mlockall " + l.how();
                case Action.Munlockall l -> "munlockall";
                case Action.Mprotect m -> "mprotect r" + m.reg() + " " + m.page() + "+" + m.count() + " " + m.prot();
                case Action.Madvise m -> "madvise r" + m.reg() + " " + m.page() + "+" + m.count() + " " + m.behav();
            };
        }

        /** Generation 0 is zero fill whatever the stream, so only written streams are named. */
        private String stream(long s, long generation) {
            return generation == 0 ? "-" : names.getOrDefault(s, Long.toHexString(s));
        }
    }

    private static ProgramInterpreter boot(Program p) {
        return ProgramInterpreter.boot(p, 0, 0, 42);
    }

    @Test
    void writeThenVerifyEveryPage() {
        Trace t = new Trace(boot(program(map(0, 3), verify(0), write(0), verify(0), unmap(0))));
        assertEquals(List.of("map r0 3 rw",
                "V r0 p0 g0 -", "V r0 p1 g0 -", "V r0 p2 g0 -",
                "W r0 p0 g1 P", "W r0 p1 g1 P", "W r0 p2 g1 P",
                "V r0 p0 g1 P", "V r0 p1 g1 P", "V r0 p2 g1 P",
                "unmap r0", "exit"), t.actions);
    }

    @Test
    void loopsRepeatTheirBodyAndEveryWriteIsANewGeneration() {
        Trace t = new Trace(boot(program(
                loop(2),
                  map(0, 1), write(0),
                  loop(2), sleep(5), endloop(),
                  unmap(0),
                endloop(),
                exit())));
        assertEquals(List.of(
                "map r0 1 rw", "W r0 p0 g1 P", "sleep 5", "sleep 5", "unmap r0",
                "map r0 1 rw", "W r0 p0 g2 P", "sleep 5", "sleep 5", "unmap r0",
                "exit"), t.actions);
    }

    @Test
    void touchesVisitSequentialAndStridedPagesAndKeepTheContents() {
        Trace t = new Trace(boot(program(
                map(1, 10), write(1),
                stride(1, 4, Access.READ),
                stride(1, 5, Access.WRITE),
                mapRo(2, 2), seq(2, Access.READ))));
        List<String> expected = new ArrayList<>(List.of("map r1 10 rw"));
        for (int p = 0; p < 10; p++) expected.add("W r1 p" + p + " g1 P");
        expected.addAll(List.of("V r1 p0 g1 P", "V r1 p4 g1 P", "V r1 p8 g1 P",
                "W r1 p0 g1 P", "W r1 p5 g1 P",
                "map r2 2 ro", "V r2 p0 g0 -", "V r2 p1 g0 -", "exit"));
        assertEquals(expected, t.actions);
    }

    @Test
    void forkedChildRunsItsBlockOnCopyOnWriteContentsAndExitsAtEndfork() {
        Program p = program(
                map(0, 2), write(0),
                fork(),
                  verify(0), write(0), verify(0),
                endfork(),
                write(0), verify(0));
        Trace parent = new Trace(boot(p));
        assertEquals(List.of("map r0 2 rw", "W r0 p0 g1 P", "W r0 p1 g1 P",
                "fork C0",
                "W r0 p0 g2 P", "W r0 p1 g2 P", "V r0 p0 g2 P", "V r0 p1 g2 P",
                "exit"), parent.actions);
        Trace child = new Trace(parent.children.get(0));
        // The child sees the parent's generation 1, then writes its own generation 2: same
        // number as the parent's second write, but its own stream, so the pages differ.
        assertEquals(List.of("V r0 p0 g1 P", "V r0 p1 g1 P",
                "W r0 p0 g2 C0", "W r0 p1 g2 C0", "V r0 p0 g2 C0", "V r0 p1 g2 C0",
                "exit"), child.actions);
        assertEquals(PagePattern.childStream(PARENT, 0), parent.children.get(0).stream());
    }

    @Test
    void forksInALoopGiveChildrenTheirOwnStreams() {
        Program p = program(
                map(0, 1),
                loop(2),
                  fork(), unmap(0), exit(), endfork(),
                  sleep(1),
                endloop());
        Trace parent = new Trace(boot(p));
        assertEquals(List.of("map r0 1 rw", "fork C0", "sleep 1", "fork C1", "sleep 1", "exit"), parent.actions);
        for (ProgramInterpreter c : parent.children) {
            assertEquals(List.of("unmap r0", "exit"), new Trace(c).actions);
        }
        assertEquals(4, parent.children.get(0).instruction(), "the child's exit instruction");
    }

    @Test
    void nestedForkInsideAChild() {
        Program p = program(map(0, 1), write(0), fork(), fork(), verify(0), endfork(), write(0), endfork(), verify(0));
        Trace parent = new Trace(boot(p));
        assertEquals(List.of("map r0 1 rw", "W r0 p0 g1 P", "fork C0", "V r0 p0 g1 P", "exit"), parent.actions);
        Trace child = new Trace(parent.children.get(0));
        assertEquals(List.of("fork G", "W r0 p0 g2 C0", "exit"), child.actions);
        assertEquals(List.of("V r0 p0 g1 P", "exit"), new Trace(child.children.get(0)).actions);
    }

    private static List<Long> randomPages(long runSeed, int copy) {
        ProgramInterpreter p = ProgramInterpreter.boot(program(map(0, 1000), random(0, 200, Access.READ)), 0, copy, runSeed);
        p.next();
        List<Long> pages = new ArrayList<>();
        for (int i = 0; i < 200; i++) pages.add(((Action.VerifyPage) p.next()).page());
        assertTrue(p.next() instanceof Action.Exit);
        return pages;
    }

    @Test
    void randomTouchesFollowTheSeed() {
        List<Long> a = randomPages(7, 0);
        assertEquals(a, randomPages(7, 0));
        assertNotEquals(a, randomPages(8, 0));
        assertNotEquals(a, randomPages(7, 1), "each copy draws its own pages");
        assertTrue(a.stream().allMatch(p -> p >= 0 && p < 1000));
        assertTrue(a.stream().distinct().count() > 100, "spread over the region");
    }

    @Test
    void childDrawsFromAGeneratorSplitFromTheParent() {
        Program p = program(map(0, 1 << 20), fork(), random(0, 5, Access.WRITE), endfork(), random(0, 5, Access.WRITE));
        ProgramInterpreter parent = boot(p);
        parent.next();
        ProgramInterpreter child = ((Action.Fork) parent.next()).child();
        List<Long> fromParent = new ArrayList<>();
        List<Long> fromChild = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            fromParent.add(((Action.WritePage) parent.next()).page());
            fromChild.add(((Action.WritePage) child.next()).page());
        }
        assertNotEquals(fromParent, fromChild);
        ProgramInterpreter again = boot(p);
        again.next();
        ProgramInterpreter child2 = ((Action.Fork) again.next()).child();
        for (int i = 0; i < 5; i++) assertEquals(fromChild.get(i), ((Action.WritePage) child2.next()).page());
    }

    @Test
    void actionsCarryThePatternWords() {
        ProgramInterpreter p = boot(program(map(3, 4), write(3)));
        p.next();
        p.next();
        Action.WritePage w = (Action.WritePage) p.next();
        assertEquals(1, w.page());
        assertEquals(PagePattern.word(PARENT, 1, 1, 6), w.word(6));
        assertEquals(1, p.instruction());
    }

    @Test
    void emptyProgramExitsAtOnceAndNothingFollowsExit() {
        ProgramInterpreter p = boot(program());
        assertTrue(p.next() instanceof Action.Exit);
        assertEquals(0, p.instruction());
        assertEquals("program 'p' has exited", assertThrows(IllegalStateException.class, p::next).getMessage());
    }
}
