package org.dfemu.emulator.sched;

import java.util.function.IntSupplier;

import org.dfemu.emulator.api.Awaited;

/**
 * What a test thread waits for: something at {@code addr} whose one holder {@code owner} names
 * (0: free), as a kernel's lock would describe itself.
 */
record TestAwaited(long addr, String name, String mode, IntSupplier owner) implements Awaited {
    @Override
    public long word() { return owner.getAsInt(); }

    @Override
    public boolean shared() { return false; }

    @Override
    public int[] owners() {
        int o = owner.getAsInt();
        return o == 0 ? new int[0] : new int[] {o};
    }
}
