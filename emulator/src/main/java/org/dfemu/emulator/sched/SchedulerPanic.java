package org.dfemu.emulator.sched;

import java.util.List;
import org.dfemu.emulator.api.PanicFrames;

/**
 * A kernel panic raised by the scheduler itself when kernel code breaks one of its rules
 * (calling a thread-only primitive from interrupt context, a negative time, popping a frame
 * never pushed, enabling preemption more often than it was disabled). Thrown in the offending thread, it ends the run as a panic.
 *
 * <p>It carries the thread's kernel frames as they were at the point of the panic, since the
 * frames are popped again while the exception unwinds.
 */
public final class SchedulerPanic extends RuntimeException implements PanicFrames {
    private final transient List<String> frames;

    SchedulerPanic(String message, List<String> frames) {
        super(message);
        this.frames = List.copyOf(frames);
    }

    /** Kernel frames of the panicking thread when it panicked, innermost first (may be empty). */
    public List<String> frames() { return frames; }

    @Override
    public List<String> panicFrames() { return frames; }
}
