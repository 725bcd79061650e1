package org.dfemu.emulator.api;

import java.util.List;

/**
 * An exception that ends a run as a panic and knows the kernel frames of the panicking thread as
 * they were when it was raised: the frames are popped again while it unwinds, so the scheduler
 * reports these rather than what is left when it catches the exception.
 */
public interface PanicFrames {
    /** The kernel frames at the panic, innermost first; null if they could not be read. */
    List<String> panicFrames();
}
