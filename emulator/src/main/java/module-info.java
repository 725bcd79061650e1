/**
 * The emulated machine: physical memory, the MMU and its TLB, CPUs, the block device, the
 * virtual clock and the seeded scheduler that decides which thread runs. It knows nothing of
 * DragonFly; the kernel module drives it only through the packages exported here.
 *
 * <p>JNA is for the host calls the JDK lacks (hole punching, mlock); Chronicle Bytes maps the
 * trace file.
 */
module org.dfemu.emulator {
    requires java.management;
    requires jdk.management;
    requires com.sun.jna;
    requires chronicle.bytes;
    requires chronicle.core;

    exports org.dfemu.emulator;
    exports org.dfemu.emulator.api;
    exports org.dfemu.emulator.cpu;
    exports org.dfemu.emulator.disk;
    exports org.dfemu.emulator.memory;
    exports org.dfemu.emulator.mmu;
    exports org.dfemu.emulator.sched;
    exports org.dfemu.emulator.time;
    exports org.dfemu.emulator.trace;
}
