package org.dfemu.tools.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.dfemu.tools.Dfemu;
import org.dfemu.tools.image.ImageWriter;
import org.dfemu.tools.image.SpecException;
import org.dfemu.tools.image.SpecParser;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import picocli.CommandLine;

/**
 * The paging figures (docs/benchmarks.md, "Paging and tracing"), each a whole {@code dfemu boot}
 * in this JVM (console captured, then dropped), one per iteration (single-shot). Eight warm-up
 * boots: the kernel's code paths change with memory pressure, and C2 keeps compiling and
 * deoptimizing for about that many boots of a paging run (counted with -XX:+PrintCompilation)
 * before the times settle.
 * <ul>
 * <li>{@link #zeroFill256M} and {@link #bootOnly512M}: a 512M machine whose one process maps 256M
 *     and writes every page (65536 zero-fill faults, no paging), and the same machine booted with
 *     no program; zero-fill faults per host second = 65536 / (zeroFill - bootOnly).</li>
 * <li>{@link #zeroFillSteady32Mx17} and {@link #zeroFillOnce32M}: the same fault path in steady
 *     state. A 64M machine whose process maps 32M, touches every page once with a write (8192
 *     zero-fill faults) and unmaps it, 17 times, against the same machine doing it once; the
 *     difference is 16 rounds of faults plus their unmaps on warm RAM: by then the free pages
 *     the faults get have all been touched on the host, so none pays the host's own first-touch
 *     fault of the RAM mapping (which {@link #zeroFill256M} pays on every page), and boot, the
 *     first round and the JVM's start are in both and cancel. Steady zero-fill faults per host
 *     second = 16 x 8192 / (steady - once).</li>
 * <li>{@link #swapRoundTrip} against {@link #rawChannelSameBytes}: a 16M machine whose process
 *     writes and verifies 64M with the disk's latency model at zero, so every page goes out to
 *     the swap partition and comes back; and FileChannel writing then reading, in 64K
 *     transfers, as many bytes as that run's swap traffic (v_swappgsout + v_swappgsin pages,
 *     counted once at setup: the run is deterministic). The ratio of the two times is the swap
 *     path's throughput against raw (target &gt;= 0.5, BenchTargets); the dfemu side also pays
 *     for the faults, the pageout daemon and the pattern writes, so the ratio is a lower bound.</li>
 * <li>{@link #defaultImage}: the default image's run, for the time-compression figure: its
 *     virtual time (printed by {@code dfemu boot}, deterministic) over this host time.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 8)
@Measurement(iterations = 5)
public class PagingBenchmark {
    private static final String ZERO_FILL = """
            setting hw.physmem=512M
            setting hw.ncpu=1
            program zf copies 1
              map r0 256M rw
              write r0
              exit
            end
            """;
    /** The steady-state zero-fill pair: {@value #STEADY_LOOPS} rounds against 1 (see the class comment). */
    static final int STEADY_LOOPS = 17;
    static final long STEADY_FAULTS = (STEADY_LOOPS - 1) * 8192L;
    private static String zeroFillLoops(int loops) {
        return """
                setting hw.physmem=64M
                setting hw.ncpu=1
                program zf copies 1
                  loop %d
                    map r0 32M rw
                    touch r0 seq write
                    unmap r0
                  endloop
                  exit
                end
                """.formatted(loops);
    }
    private static final String BOOT_ONLY = """
            setting hw.physmem=512M
            setting hw.ncpu=1
            """;
    private static final String SWAP = """
            setting hw.physmem=16M
            setting hw.ncpu=1
            setting disk.latency_setup_ns=0
            setting disk.latency_ns_per_byte=0
            partition swap 128M
            program big copies 1
              map r0 64M rw
              write r0
              verify r0
              exit
            end
            """;

    private Path dir;
    private Path zeroFill;
    private Path zeroFillSteady;
    private Path zeroFillOnce;
    private Path bootOnly;
    private Path swap;
    private Path defaultImage;
    private Path rawFile;
    /** Bytes of swap traffic of the {@link #swapRoundTrip} run (pages out + in, x 4096). */
    long swapBytes;

    @Setup
    public void setUp() throws IOException, SpecException {
        dir = Files.createTempDirectory("dfemu-paging-bench");
        zeroFill = image("zf", ZERO_FILL);
        zeroFillSteady = image("zfsteady", zeroFillLoops(STEADY_LOOPS));
        zeroFillOnce = image("zfonce", zeroFillLoops(1));
        bootOnly = image("boot", BOOT_ONLY);
        swap = image("swap", SWAP);
        defaultImage = dir.resolve("default.img");
        Path spec = TraceBenchmark.defaultSpec();
        ImageWriter.write(SpecParser.parse(spec.getFileName().toString(), Files.readAllBytes(spec)), defaultImage, false);
        rawFile = dir.resolve("raw.bin");
        String out = boot(swap, "--time", "600");
        swapBytes = (counter(out, "v_swappgsout") + counter(out, "v_swappgsin")) * 4096;
    }

    private Path image(String name, String spec) throws IOException, SpecException {
        Path image = dir.resolve(name + ".img");
        ImageWriter.write(SpecParser.parse(name + ".spec", spec.getBytes(StandardCharsets.UTF_8)), image, false);
        return image;
    }

    /** One {@code dfemu boot IMAGE args...}; returns its console, failing unless it ends ok. */
    private static String boot(Path image, String... args) {
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new Dfemu());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(out));
        String[] all = new String[args.length + 2];
        all[0] = "boot";
        all[1] = image.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        int status = cl.execute(all);
        if (status != 0) throw new IllegalStateException("dfemu boot " + image + " exited " + status + ":\n" + out);
        return out.toString();
    }

    static long counter(String out, String name) {
        Matcher m = Pattern.compile("\\n" + Pattern.quote(name) + " +(\\d+)\\n").matcher(out);
        if (!m.find()) throw new IllegalStateException("no " + name + " in the boot's report");
        return Long.parseLong(m.group(1));
    }

    @Benchmark
    public String zeroFill256M() {
        return boot(zeroFill, "--time", "600");
    }

    @Benchmark
    public String zeroFillSteady32Mx17() {
        return boot(zeroFillSteady, "--time", "600");
    }

    @Benchmark
    public String zeroFillOnce32M() {
        return boot(zeroFillOnce, "--time", "600");
    }

    @Benchmark
    public String bootOnly512M() {
        return boot(bootOnly, "--time", "0.000001");
    }

    @Benchmark
    public String swapRoundTrip() {
        return boot(swap, "--time", "600");
    }

    @Benchmark
    public long rawChannelSameBytes() throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
        long done = 0;
        try (FileChannel ch = FileChannel.open(rawFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            long half = swapBytes / 2;
            for (long off = 0; off < half; off += buf.capacity()) {
                buf.clear();
                done += ch.write(buf, off);
            }
            for (long off = 0; off < swapBytes - half; off += buf.capacity()) {
                buf.clear();
                done += ch.read(buf, off % Math.max(half, buf.capacity()));
            }
        }
        return done;
    }

    @Benchmark
    public String defaultImage() {
        return boot(defaultImage, "--time", "600");
    }

    @TearDown
    public void tearDown() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
