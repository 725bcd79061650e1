package org.dfemu.tools.image;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dfemu.emulator.memory.PhysmemSize;
import org.dfemu.kernel.harness.workload.Instruction;
import org.dfemu.kernel.harness.workload.Instruction.Access;
import org.dfemu.kernel.harness.workload.Instruction.Order;
import org.dfemu.kernel.harness.workload.Instruction.Prot;

/**
 * Compiles one line of a spec's program block into an {@link Instruction} (the text syntax in
 * disk-images/README.md). One line is one instruction; how the lines fit together is checked
 * afterwards, on the whole program, by {@link org.dfemu.kernel.harness.workload.ProgramCheck}, the same
 * check the kernel's decoder runs.
 *
 * <pre>
 *   map rN SIZE rw|ro          unmap rN        write rN        verify rN
 *   touch rN seq read|write    touch rN stride N read|write    touch rN random N read|write
 *   sleep DURATION             (a number and ns, us, ms or s: 10ms)
 *   loop N ... endloop         fork ... endfork                exit
 *   map rN SIZE rw|ro shared   thread ... endthread            wait
 * </pre>
 */
final class ProgramCompiler {
    private ProgramCompiler() {}

    private static final Pattern REGISTER = Pattern.compile("r(\\d{1,9})");
    private static final Pattern NUMBER = Pattern.compile("\\d{1,18}");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,18})(ns|us|ms|s)");
    private static final long REGION_BYTES_MAX = Instruction.PAGES_MAX * Instruction.PAGE_SIZE;

    /**
     * The instruction one program line holds; {@code words} is the line without its comment,
     * split at blank space, at least one word.
     *
     * @throws IllegalArgumentException with the problem in one line (without file and line).
     *         No requirements.
     */
    static Instruction instruction(String[] words) {
        String op = words[0];
        return switch (op) {
            case "map" -> {
                if (words.length == 5 && words[4].equals("shared")) {
                    yield new Instruction.Mmap(register(words[1]), pages(words[2]), prot(words[3]), true);
                }
                if (words.length == 5) {
                    throw new IllegalArgumentException("map: unknown option '" + words[4] + "' (expected shared)");
                }
                operands(words, 3, "map rN SIZE rw|ro [shared]");
                yield new Instruction.Mmap(register(words[1]), pages(words[2]), prot(words[3]));
            }
            case "unmap" -> new Instruction.Munmap(register(operands(words, 1, "unmap rN")[1]));
            case "write" -> new Instruction.Write(register(operands(words, 1, "write rN")[1]));
            case "verify" -> new Instruction.Verify(register(operands(words, 1, "verify rN")[1]));
            case "touch" -> touch(words);
            case "sleep" -> new Instruction.Sleep(duration(operands(words, 1, "sleep DURATION")[1]));
            case "loop" -> new Instruction.Loop(number(operands(words, 1, "loop N")[1], "loop: count"));
            case "endloop" -> {
                operands(words, 0, "endloop");
                yield new Instruction.EndLoop();
            }
            case "fork" -> {
                operands(words, 0, "fork");
                yield new Instruction.Fork();
            }
            case "endfork" -> {
                operands(words, 0, "endfork");
                yield new Instruction.EndFork();
            }
            case "exit" -> {
                operands(words, 0, "exit");
                yield new Instruction.Exit();
            }
            case "thread" -> {
                operands(words, 0, "thread");
                yield new Instruction.StartThread();
            }
            case "endthread" -> {
                operands(words, 0, "endthread");
                yield new Instruction.EndThread();
            }
            case "wait" -> {
                operands(words, 0, "wait");
                yield new Instruction.Wait();
            }
            default -> throw new IllegalArgumentException("unknown instruction '" + op
                    + "' (expected map, unmap, write, verify, touch, sleep, loop, endloop, fork, endfork, thread, endthread,"
                    + " wait or exit)");
        };
    }

    private static Instruction touch(String[] words) {
        String usage = "touch rN seq|stride N|random N read|write";
        if (words.length < 3) throw expected(usage);
        int reg = register(words[1]);
        return switch (words[2]) {
            case "seq" -> {
                operands(words, 3, usage);
                yield new Instruction.Touch(reg, Order.SEQ, 0, access(words[3]));
            }
            case "stride" -> {
                operands(words, 4, usage);
                yield new Instruction.Touch(reg, Order.STRIDE, number(words[3], "touch: stride"), access(words[4]));
            }
            case "random" -> {
                operands(words, 4, usage);
                yield new Instruction.Touch(reg, Order.RANDOM, number(words[3], "touch: random count"), access(words[4]));
            }
            default -> throw new IllegalArgumentException("touch: unknown order '" + words[2] + "' (expected seq, stride or random)");
        };
    }

    /** Checks the operand count; returns {@code words}. */
    private static String[] operands(String[] words, int n, String usage) {
        if (words.length != n + 1) throw expected(usage);
        return words;
    }

    private static IllegalArgumentException expected(String usage) {
        return new IllegalArgumentException("expected '" + usage + "'");
    }

    private static int register(String word) {
        Matcher m = REGISTER.matcher(word);
        if (!m.matches()) {
            throw new IllegalArgumentException("bad register '" + word + "' (expected r0..r" + (Instruction.REGISTERS - 1) + ")");
        }
        return Integer.parseInt(m.group(1));
    }

    private static long pages(String word) {
        long bytes;
        try {
            bytes = PhysmemSize.parse(word);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("map: " + e.getMessage());
        }
        if (bytes < Instruction.PAGE_SIZE || bytes > REGION_BYTES_MAX) {
            throw new IllegalArgumentException("map: size " + word + " is out of range 4K.." + PhysmemSize.format(REGION_BYTES_MAX));
        }
        if (bytes % Instruction.PAGE_SIZE != 0) {
            throw new IllegalArgumentException("map: size " + word + " is not a multiple of 4K");
        }
        return bytes / Instruction.PAGE_SIZE;
    }

    private static Prot prot(String word) {
        for (Prot p : Prot.values()) {
            if (p.word().equals(word)) return p;
        }
        throw new IllegalArgumentException("map: unknown protection '" + word + "' (expected rw or ro)");
    }

    private static Access access(String word) {
        for (Access a : Access.values()) {
            if (a.word().equals(word)) return a;
        }
        throw new IllegalArgumentException("touch: unknown access '" + word + "' (expected read or write)");
    }

    private static long number(String word, String what) {
        if (!NUMBER.matcher(word).matches()) {
            throw new IllegalArgumentException(what + " '" + word + "' is not a decimal number");
        }
        return Long.parseLong(word);
    }

    private static long duration(String word) {
        Matcher m = DURATION.matcher(word);
        if (!m.matches()) {
            throw new IllegalArgumentException("sleep: bad duration '" + word + "' (expected a number and ns, us, ms or s, e.g. 10ms)");
        }
        long unit = switch (m.group(2)) {
            case "ns" -> 1L;
            case "us" -> 1_000L;
            case "ms" -> 1_000_000L;
            default -> 1_000_000_000L;
        };
        try {
            return Math.multiplyExact(Long.parseLong(m.group(1)), unit);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("sleep: " + word + " is out of range 1ns..3600s");
        }
    }
}
