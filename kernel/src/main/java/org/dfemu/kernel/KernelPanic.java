package org.dfemu.kernel;

/**
 * A kernel panic: a failed {@code KKASSERT}/{@code KASSERT} or an explicit {@code panic()}. The
 * emulated kernel stops; the tools report it and exit with status 1.
 *
 * <p>{@link #getMessage()} reads as DragonFly prints it ({@code panic: ...}), followed by the
 * panicking thread once known. The thread is attached where it is known: by the kernel-thread
 * wrapper of {@link org.dfemu.kernel.kern.Lwkt} for panics inside a kernel thread, by the boot
 * code for panics during boot ("thread0"). The Java stack trace is kept (it is the backtrace).
 */
public final class KernelPanic extends RuntimeException implements org.dfemu.emulator.api.PanicFrames {
    private final String panicString;
    /** The panicking kernel thread's frames when the panic was raised (null outside a kernel thread). */
    private final transient java.util.List<String> frames;
    private int threadId;
    private String threadName;

    /** @param panicString the text after {@code "panic: "}, as the C passes it to panic() */
    public KernelPanic(String panicString) {
        super(panicString);
        this.panicString = panicString;
        this.frames = org.dfemu.kernel.kern.Lwkt.framesAtPanic();
    }

    @Override
    public java.util.List<String> panicFrames() { return frames; }

    /** The argument of panic(), without the {@code "panic: "} prefix ({@code panicstr} in the C). */
    public String panicString() { return panicString; }

    /**
     * Records the panicking thread if none is recorded yet (the innermost attribution wins) and
     * returns this panic, for rethrowing.
     */
    public KernelPanic inThread(int tid, String name) {
        if (threadName == null) {
            this.threadId = tid;
            this.threadName = name;
        }
        return this;
    }

    /** Scheduler thread id of the panicking thread, 0 for thread0 or if unknown. */
    public int threadId() { return threadId; }

    /** Name of the panicking thread ({@code td_comm}), or null if unknown. */
    public String threadName() { return threadName; }

    @Override
    public String getMessage() {
        String s = "panic: " + panicString;
        return threadName == null ? s : s + " (thread " + threadId + " \"" + threadName + "\")";
    }
}
