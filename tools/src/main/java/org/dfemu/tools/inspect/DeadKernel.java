package org.dfemu.tools.inspect;

import java.util.Locale;
import org.dfemu.emulator.MachineConfig;
import org.dfemu.emulator.api.Environment;
import org.dfemu.emulator.api.TraceSink;
import org.dfemu.emulator.cpu.Cpu;
import org.dfemu.emulator.memory.PhysicalMemory;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.harness.report.DdbDeadlock;
import org.dfemu.tools.inspect.CoreFile.Core;
import org.dfemu.tools.inspect.CoreFile.CoreException;

/**
 * A kernel brought back from a core, for reading: the kernel is linked afresh with the core's
 * settings over RAM of the core's size (which lays out the same data segment and symbol table
 * as the run's kernel: the same classes, the same settings), then the RAM is replaced by the
 * core's, and its accesses go through a CPU whose CR3 is the kernel's page tables as the core
 * holds them. So every struct view, sysctl and report of the kernel reads the core, with no
 * second copy of any layout. Nothing runs: no scheduler is attached, so the kernel stays in boot
 * context on the thread that opened it.
 *
 * <p>Reading only touches the RAM copy; a page walk sets accessed bits in the copy's page
 * tables, as any walk does, and is never written back to the core.
 */
public final class DeadKernel implements AutoCloseable {
    private final Core core;
    private final PhysicalMemory ram;
    private final Kernel kernel;

    private DeadKernel(Core core, PhysicalMemory ram, Kernel kernel) {
        this.core = core;
        this.ram = ram;
        this.kernel = kernel;
    }

    /** Brings back {@code core}'s kernel. @throws CoreException if the core does not fit this build. */
    public static DeadKernel open(Core core) throws CoreException {
        Environment env = Environment.of(core.settings());
        long seed;
        try {
            seed = Long.parseLong(core.meta("seed"));
        } catch (NumberFormatException e) {
            throw new CoreException("corrupt core: META seed is not a number");
        }
        PhysicalMemory ram = null;
        try {
            MachineConfig mc = MachineConfig.fromEnv(env, seed, DdbDeadlock.MEMORY_WAIT_WMESGS, TraceSink.NONE);
            if (mc.physmemBytes() != core.ramSize()) {
                throw new CoreException("core: settings give " + mc.physmemBytes() + " bytes of RAM, the RAM section holds " + core.ramSize());
            }
            KernelConfig kc = KernelConfig.forMachine(mc, env);
            ram = new PhysicalMemory(core.ramSize());
            Kernel kernel = new Kernel(ram, kc);
            String physfree = String.format(Locale.ROOT, "0x%x", kernel.physfree());
            String symbols = Integer.toString(kernel.symbols().symbols().size());
            if (!physfree.equals(core.meta("physfree")) || !symbols.equals(core.meta("symbols"))) {
                throw new CoreException("core: written by a kernel whose data segment differs from this build's (physfree "
                        + core.meta("physfree") + ", " + core.meta("symbols") + " symbols; this build: " + physfree + ", " + symbols + ")");
            }
            core.loadRam(ram);
            long cr3 = Long.decode(core.meta("kpml4phys"));
            Cpu cpu = kernel.bootCpus().cpu(0);
            cpu.loadCr3(cr3);
            kernel.km().setCpu(cpu);
            return new DeadKernel(core, ram, kernel);
        } catch (CoreException e) {
            if (ram != null) ram.close();
            throw e;
        } catch (RuntimeException e) {
            if (ram != null) ram.close();
            throw new CoreException("core: cannot rebuild its kernel (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
    }

    public Core core() { return core; }

    public Kernel kernel() { return kernel; }

    public PhysicalMemory ram() { return ram; }

    @Override
    public void close() {
        ram.close();
    }
}
