package org.dfemu.kernel.harness.workload;

import java.util.List;
import org.dfemu.kernel.harness.workload.Instruction.Access;
import org.dfemu.kernel.harness.workload.Instruction.Order;
import org.dfemu.kernel.harness.workload.Instruction.Prot;

/** Short constructors for instructions, so a test's program reads like its text. */
final class Programs {
    private Programs() {}

    static Instruction map(int reg, long pages) { return new Instruction.Mmap(reg, pages, Prot.RW); }

    static Instruction mapRo(int reg, long pages) { return new Instruction.Mmap(reg, pages, Prot.RO); }

    static Instruction unmap(int reg) { return new Instruction.Munmap(reg); }

    static Instruction write(int reg) { return new Instruction.Write(reg); }

    static Instruction verify(int reg) { return new Instruction.Verify(reg); }

    static Instruction seq(int reg, Access a) { return new Instruction.Touch(reg, Order.SEQ, 0, a); }

    static Instruction stride(int reg, long n, Access a) { return new Instruction.Touch(reg, Order.STRIDE, n, a); }

    static Instruction random(int reg, long n, Access a) { return new Instruction.Touch(reg, Order.RANDOM, n, a); }

    static Instruction sleep(long ns) { return new Instruction.Sleep(ns); }

    static Instruction loop(long n) { return new Instruction.Loop(n); }

    static Instruction endloop() { return new Instruction.EndLoop(); }

    static Instruction fork() { return new Instruction.Fork(); }

    static Instruction endfork() { return new Instruction.EndFork(); }

    static Instruction exit() { return new Instruction.Exit(); }

    static Program program(Instruction... code) { return new Program("p", 1, List.of(code)); }
}
