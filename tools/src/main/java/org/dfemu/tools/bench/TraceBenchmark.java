package org.dfemu.tools.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.dfemu.tools.Dfemu;
import org.dfemu.tools.image.ImageWriter;
import org.dfemu.tools.image.SpecException;
import org.dfemu.tools.image.SpecParser;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import picocli.CommandLine;

/**
 * The cost of recording a trace: wall time of {@code dfemu boot} of the default image (built from
 * the checkout's {@code disk-images/default.spec} into a temporary directory), from power-on to
 * shutdown with its reports, without a trace ({@code trace=off}) and with every machine and kernel
 * event recorded to a temporary file ({@code trace=on}), in the same JVM. Console output is
 * discarded. One run per iteration (single-shot). The tracing target: the run with the trace at
 * least half as fast, i.e. time(off) / time(on) &gt;= 0.5 (BenchTargets).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 10)
public class TraceBenchmark {
    @Param({"off", "on"})
    public String trace;

    private Path dir;
    private Path image;
    private Path traceFile;
    private final PrintWriter discard = new PrintWriter(Writer.nullWriter());

    /** The checkout's default spec: under dfemu.home (the launcher's), or the working directory or a parent. */
    static Path defaultSpec() throws IOException {
        String home = System.getProperty("dfemu.home");
        Path start = Path.of(home != null ? home : ".").toAbsolutePath();
        for (Path p = start; p != null; p = p.getParent()) {
            Path spec = p.resolve("disk-images").resolve("default.spec");
            if (Files.isRegularFile(spec)) return spec;
        }
        throw new IOException("no disk-images/default.spec under " + start + " or its parents (run from the dfemu checkout)");
    }

    @Setup(Level.Trial)
    public void buildImage() throws IOException, SpecException {
        dir = Files.createTempDirectory("dfemu-trace-bench");
        image = dir.resolve("default.img");
        traceFile = dir.resolve("run.dftrace");
        ImageWriter.write(SpecParser.parse(defaultSpec()), image, false);
    }

    @Benchmark
    public int runDefaultImage() {
        CommandLine cl = new CommandLine(new Dfemu());
        cl.setOut(discard);
        cl.setErr(discard);
        int status = trace.equals("on")
                ? cl.execute("boot", image.toString(), "--trace", traceFile.toString())
                : cl.execute("boot", image.toString());
        if (status != 0) throw new IllegalStateException("dfemu boot of the default image: exit status " + status);
        return status;
    }

    @TearDown(Level.Trial)
    public void removeFiles() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
