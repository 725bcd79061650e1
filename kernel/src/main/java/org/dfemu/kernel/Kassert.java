package org.dfemu.kernel;

import java.util.function.Supplier;

/**
 * DragonFly's KKASSERT/KASSERT/panic (sys/sys/systm.h and kern/kern_shutdown.c at commit 737b020b54,
 * 2021-05-28) as always-on assertions. They are never Java {@code assert}s: the port runs as an
 * INVARIANTS kernel, and a failed check is a {@link KernelPanic}, never a silent continue.
 *
 * <p>Messages follow sys/systm.h: {@code assertion "EXPR" failed in FUNC}; {@code KASSERT} and
 * {@code panic} take the C's message text, which by DragonFly convention starts with the
 * function's name.
 */
public final class Kassert {
    private Kassert() {}

    /**
     * {@code KKASSERT(exp)}: panics with {@code assertion "expr" failed in func} when {@code cond} is
     * false. {@code expr} is the C expression as written in the C source; {@code func} the C
     * function name. No requirements; never blocks.
     */
    public static void kkassert(boolean cond, String expr, String func) {
        if (!cond) {
            throw new KernelPanic("assertion \"" + expr + "\" failed in " + func);
        }
    }

    /**
     * {@code KASSERT(exp, (fmt, ...))}: panics with the message when {@code cond} is false. The
     * message is built only on failure. No requirements; never blocks.
     */
    public static void kassert(boolean cond, Supplier<String> message) {
        if (!cond) {
            throw new KernelPanic(message.get());
        }
    }

    /**
     * {@code panic(fmt, ...)}: returns the panic for the caller to throw ({@code throw
     * Kassert.panic(...)}), so the compiler knows the path ends. Formats with
     * {@link String#format}.
     */
    public static KernelPanic panic(String format, Object... args) {
        return new KernelPanic(args.length == 0 ? format : String.format(format, args));
    }
}
