package org.dfemu.kernel.kern;

import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.harness.report.MallocStats;
import org.dfemu.kernel.sys.Tree;
import org.dfemu.kernel.vm.StructVmMap;
import org.dfemu.kernel.vm.StructVmMapEntry;

/** What threads hold, as the tests about their memory read it: vmstat -m rows and kernel_map's stacks. */
final class ThreadMemory {
    private ThreadMemory() {}

    /** {@code vmstat -m}'s row of {@code type} (spaces as underscores); zeros if it is not listed. */
    static MallocStats.Row row(Kernel k, String type) {
        return MallocStats.rows(k).stream().filter(r -> r.type().equals(type)).findFirst()
                .orElse(new MallocStats.Row(type, 0, 0, 0, 0, 0));
    }

    /** Bytes of kernel_map in VM_SUBSYS_STACK entries (the kernel stacks). */
    static long stackBytes(Kernel k) {
        long map = k.vmKern().kernelMap();
        Tree.Rb entries = k.vmMap().vmMapRbTree();
        long bytes = 0;
        for (long e = entries.rbMin(StructVmMap.rb_root(map)); e != 0; e = entries.rbNext(e)) {
            if (StructVmMapEntry.id(k.km(), e) == StructVmMapEntry.VM_SUBSYS_STACK) {
                bytes += StructVmMapEntry.end(k.km(), e) - StructVmMapEntry.start(k.km(), e);
            }
        }
        return bytes;
    }
}
