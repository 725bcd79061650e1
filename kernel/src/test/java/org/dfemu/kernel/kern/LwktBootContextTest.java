package org.dfemu.kernel.kern;

import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.KernelPanic;
import org.dfemu.kernel.machine.Vmparam;
import org.dfemu.kernel.sys.Errno;
import org.dfemu.kernel.sys.StructLock;
import org.dfemu.kernel.sys.StructThread;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Boot context: thread0 is curthread, locks are real words (the ported kern_spinlock.c and
 * kern_lock.c take the boot path), crit sections count in thread0, tsleep returns, nothing is
 * spawned.
 */
class LwktBootContextTest {
    @Test
    void bootContextPrimitives() {
        try (PhysicalMemory ram = new PhysicalMemory(16 << 20)) {
            Kernel k = new Kernel(ram, KernelConfig.defaults());
            Lwkt lwkt = k.lwkt();
            assertTrue(lwkt.bootContext());
            assertEquals(lwkt.thread0(), lwkt.curthread());
            assertEquals("thread0", StructThread.td_comm(k.km(), lwkt.curthread()));

            long lock = Vmparam.PHYS_TO_DMAP(k.physfree());
            lwkt.spinInit(lock);
            lwkt.spinLock(lock);
            assertFalse(lwkt.spinTryLock(lock));
            KernelPanic dead = assertThrows(KernelPanic.class, () -> lwkt.spinLock(lock));
            assertTrue(dead.getMessage().contains("already held in boot context"), dead.getMessage());
            lwkt.spinUnlock(lock);
            assertEquals(0, ram.load64(Vmparam.DMAP_TO_PHYS(lock)), "released locks are 0 for the scheduler");
            assertThrows(KernelPanic.class, () -> lwkt.spinUnlock(lock));
            assertThrows(KernelPanic.class, () -> lwkt.spinLock(lock + 4), "lock words are 8-byte aligned");

            lwkt.critEnter();
            lwkt.critEnter();
            assertEquals(2, k.thread2().critCount());
            assertEquals(2, StructThread.td_critcount(k.km(), lwkt.thread0()), "thread0's td_critcount, as in the C");
            lwkt.critExit();
            lwkt.critExit();
            assertThrows(KernelPanic.class, lwkt::critExit);

            long lk = lock + 64;
            KernLock kl = k.kernLock();
            kl.lockinit(lk);
            assertEquals(0, kl.lockmgr(lk, StructLock.LK_EXCLUSIVE, "boot"));
            assertTrue(kl.lockinuse(lk));
            assertEquals(Errno.EBUSY, kl.lockmgr(lk, StructLock.LK_EXCLUSIVE | StructLock.LK_NOWAIT, "boot"));
            KernelPanic held = assertThrows(KernelPanic.class, () -> kl.lockmgr(lk, StructLock.LK_EXCLUSIVE, "boot"));
            assertTrue(held.getMessage().contains("already held in boot context"), held.getMessage());
            assertEquals(0, kl.lockmgr(lk, StructLock.LK_RELEASE, null));
            assertFalse(kl.lockinuse(lk), "released locks are free for the threads");
            assertThrows(KernelPanic.class, () -> kl.lockmgr(lk, StructLock.LK_RELEASE, null));

            assertEquals(0, lwkt.tsleep(lock, "test", 100), "tsleep returns at once before threads run");
            lwkt.wakeup(lock);
            KernelPanic noSched = assertThrows(KernelPanic.class, () -> lwkt.lwktCreate("t", 0, 0, () -> { }));
            assertEquals("panic: lwkt_create: no scheduler attached", noSched.getMessage());
        }
    }
}
