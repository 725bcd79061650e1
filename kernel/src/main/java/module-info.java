/**
 * The port: DragonFly BSD's VM and kmalloc code as of 737b020b54 ({@code kern}, {@code vm},
 * {@code machine}, {@code sys}, one class per C file) and, apart from it, what dfemu adds around
 * the port ({@code harness}: boot, fault injection, checkers, reports, tracing, the workload
 * interpreter). It reaches the machine only through what {@code org.dfemu.emulator} exports.
 */
module org.dfemu.kernel {
    requires transitive org.dfemu.emulator;

    exports org.dfemu.kernel;
    exports org.dfemu.kernel.kern;
    exports org.dfemu.kernel.machine;
    exports org.dfemu.kernel.sys;
    exports org.dfemu.kernel.vm;
    exports org.dfemu.kernel.harness.check;
    exports org.dfemu.kernel.harness.inject;
    exports org.dfemu.kernel.harness.report;
    exports org.dfemu.kernel.harness.trace;
    exports org.dfemu.kernel.harness.witness;
    exports org.dfemu.kernel.harness.workload;
}
