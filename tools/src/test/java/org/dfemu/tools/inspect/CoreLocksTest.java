package org.dfemu.tools.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.dfemu.emulator.api.Held;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.emulator.sched.ThreadInfo;
import org.dfemu.emulator.sched.ThreadState;
import org.dfemu.kernel.kern.KernLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A core's thread records keep what each thread waits for and holds as the kernel's lock code
 * described it (spin, exclusive and shared holds, a spinner and a shared wait), and read back
 * into the same records, so {@code dfemu inspect} prints what the run's report printed.
 */
class CoreLocksTest {
    @Test
    void lockWaitsAndHoldsSurviveTheCore(@TempDir Path dir) throws Exception {
        ThreadInfo.Holder writer = new ThreadInfo.Holder(2, "writer", ThreadState.LOCKWAIT);
        ThreadInfo spinner = new ThreadInfo(1, "spinner", 0, 0x1000, ThreadState.RUNNABLE, 0, null, -1, 1,
                List.of("vm_page_alloc"), 5, 100,
                new ThreadInfo.Wait(0x3000, "spin lock", "spin", 2, false, List.of(writer)),
                List.of(new Held(0x3008, "spin lock", "spin"), new Held(0x4000, "vm_map", "exclusive")));
        ThreadInfo sharedWaiter = new ThreadInfo(2, "writer", 1, 0x2000, ThreadState.LOCKWAIT, 0x5008, "vmobj", -1, 0,
                List.of(), 3, 50,
                new ThreadInfo.Wait(0x5008, "vmobj", "exclusive", 2, true,
                        List.of(new ThreadInfo.Holder(1, "spinner", ThreadState.RUNNABLE),
                                new ThreadInfo.Holder(3, "reader", ThreadState.SLEEPING))),
                List.of(new Held(0x3000, "spin lock", "spin"), new Held(0x6000, "vmobj2", "shared")));
        assertEquals(true, KernLock.lkcShared(2), "a share count of two is what the record says");
        Path core = dir.resolve("locks.core");
        try (PhysicalMemory ram = new PhysicalMemory(PhysicalMemory.MIN_SIZE)) {
            CoreFile.write(core, new CoreFile.Contents(Map.of("image", "test", "ram_bytes", Long.toString(ram.size()), "ncpus", "2"), Map.of(), List.of(),
                    List.of(spinner, sharedWaiter), List.of(), List.of(), ram));
        }
        CoreFile.Core c = CoreFile.read(core);
        assertEquals(List.of(spinner, sharedWaiter), c.threads());
        assertEquals(spinner.toString(), c.threads().get(0).toString());
        assertEquals(sharedWaiter.toString(), c.threads().get(1).toString());
    }
}
