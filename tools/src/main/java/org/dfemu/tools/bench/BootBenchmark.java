package org.dfemu.tools.bench;

import java.util.concurrent.TimeUnit;
import org.dfemu.emulator.Machine;
import org.dfemu.emulator.MachineConfig;
import org.dfemu.emulator.api.Environment;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelConfig;
import org.dfemu.kernel.kern.InitMain;
import org.dfemu.kernel.harness.workload.Workload;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Wall time from power-on to the point where workloads can start, on a 1 GiB one-CPU machine:
 * {@code new Machine} (RAM mapped, lazily zeroed by the host), then {@code InitMain.miStartup}
 * without late SYSINITs: {@code new Kernel} (linking: the
 * data segment and sysctls), {@code boot()} (getmemsize, pmap_bootstrap, vm_page_startup over
 * 262 144 pages, kmem_init, the zones, the pageout thresholds) and {@code attachMachine} (every
 * CPU loads the kernel CR3). One boot per iteration (single-shot), each on a fresh machine that is
 * closed, untimed, after the iteration; JMH's options may change the iteration counts
 * ({@code dfemu bench --quick} runs 3 warm-up and 5 measured boots per fork).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 10)
public class BootBenchmark {
    static final long RAM = 1L << 30;
    static final long SEED = 42;

    private Machine machine;

    @Benchmark
    public Kernel boot1GiB() {
        machine = new Machine(MachineConfig.of(RAM, 1, SEED));
        return InitMain.miStartup(machine, KernelConfig.forMachine(machine.config(), Environment.EMPTY), null, Workload.EMPTY,
                SEED, InitMain.NONE).kernel();
    }

    @TearDown(Level.Iteration)
    public void powerOff() {
        machine.close();
        machine = null;
    }
}
