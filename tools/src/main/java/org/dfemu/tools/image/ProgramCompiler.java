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
 *   write rN PAGE COUNT        verify rN PAGE COUNT            unmap rN PAGE COUNT
 *   mlock rN [PAGE COUNT]      munlock rN [PAGE COUNT]         munlockall
 *   mlockall current|future|current,future
 *   mprotect rN none|ro|rw [PAGE COUNT]                        madvise rN willneed|dontneed|free [PAGE COUNT]
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
            case "unmap" -> words.length == 4 ? new Instruction.UnmapRange(register(words[1]), page(words[2], "unmap"),
                    count(words[3], "unmap")) : new Instruction.Munmap(register(operands(words, 1, "unmap rN [PAGE COUNT]")[1]));
            case "write" -> words.length == 4 ? new Instruction.WriteRange(register(words[1]), page(words[2], "write"),
                    count(words[3], "write")) : new Instruction.Write(register(operands(words, 1, "write rN [PAGE COUNT]")[1]));
            case "verify" -> words.length == 4 ? new Instruction.VerifyRange(register(words[1]), page(words[2], "verify"),
                    count(words[3], "verify")) : new Instruction.Verify(register(operands(words, 1, "verify rN [PAGE COUNT]")[1]));
            // memory-control instructions
            case "mlock", "munlock" -> {
                String usage = op + " rN [PAGE COUNT]";
                if (words.length != 2 && words.length != 4) throw expected(usage);
                int reg = register(words[1]);
                long page = words.length == 4 ? page(words[2], op) : 0;
                long count = words.length == 4 ? count(words[3], op) : 0;
                yield op.equals("mlock") ? new Instruction.Mlock(reg, page, count) : new Instruction.Munlock(reg, page, count);
            }
            case "mlockall" -> new Instruction.Mlockall(switch (operands(words, 1, "mlockall current|future|current,future")[1]) {
                case "current" -> Instruction.Mlockall.MCL_CURRENT;
                case "future" -> Instruction.Mlockall.MCL_FUTURE;
                case "current,future", "future,current" -> Instruction.Mlockall.MCL_CURRENT | Instruction.Mlockall.MCL_FUTURE;
                default -> throw new IllegalArgumentException("mlockall: unknown flags '" + words[1]
                        + "' (expected current, future or current,future)");
            });
            case "munlockall" -> {
                operands(words, 0, "munlockall");
                yield new Instruction.Munlockall();
            }
            case "mprotect" -> {
                String usage = "mprotect rN none|ro|rw [PAGE COUNT]";
                if (words.length != 3 && words.length != 5) throw expected(usage);
                Instruction.Protect prot = null;
                for (Instruction.Protect p : Instruction.Protect.values()) {
                    if (p.word().equals(words[2])) prot = p;
                }
                if (prot == null) {
                    throw new IllegalArgumentException("mprotect: unknown protection '" + words[2] + "' (expected none, ro or rw)");
                }
                int reg = register(words[1]);
                yield new Instruction.Mprotect(reg, prot, words.length == 5 ? page(words[3], op) : 0,
                        words.length == 5 ? count(words[4], op) : 0);
            }
            case "madvise" -> {
                String usage = "madvise rN willneed|dontneed|free [PAGE COUNT]";
                if (words.length != 3 && words.length != 5) throw expected(usage);
                Instruction.Advice advice = null;
                for (Instruction.Advice a : Instruction.Advice.values()) {
                    if (a.word().equals(words[2])) advice = a;
                }
                if (advice == null) {
                    throw new IllegalArgumentException("madvise: unknown advice '" + words[2]
                            + "' (expected willneed, dontneed or free)");
                }
                int reg = register(words[1]);
                yield new Instruction.Madvise(reg, advice, words.length == 5 ? page(words[3], op) : 0,
                        words.length == 5 ? count(words[4], op) : 0);
            }
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
                    + " wait, exit, mlock, munlock, mlockall, munlockall, mprotect or madvise)");
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

    /** A page index operand (a decimal number of pages from the region's first). */
    private static long page(String word, String op) {
        long page = number(word, op + ": page");
        if (page >= Instruction.PAGES_MAX) {
            throw new IllegalArgumentException(op + ": page " + word + " is out of range 0.." + (Instruction.PAGES_MAX - 1));
        }
        return page;
    }

    /** A page count operand: 1 or more pages (a decimal number). */
    private static long count(String word, String op) {
        long count = number(word, op + ": count");
        if (count < 1 || count > Instruction.PAGES_MAX) {
            throw new IllegalArgumentException(op + ": count " + word + " is out of range 1.." + Instruction.PAGES_MAX);
        }
        return count;
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
