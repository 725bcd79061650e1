package org.dfemu.tools.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.Map;
import org.dfemu.emulator.disk.ImageMode;
import org.dfemu.tools.DfemuRun;
import org.dfemu.tools.boot.BootPlan;
import org.dfemu.emulator.api.TunableException;
import org.dfemu.tools.image.DiskImage;
import org.dfemu.tools.image.ImageFormatException;
import org.dfemu.tools.image.ImageWriter;
import org.dfemu.tools.image.SpecParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seeded fuzz test of every input {@code dfemu} reads: disk images ({@code dfemu boot}), specs
 * ({@code dfemu mkimage}) and trace files ({@code dfemu trace summary|faults|export|plot}), all
 * in this JVM. Each case mutates a good input (see {@link ImageMutations}, {@link SpecMutations},
 * {@link TraceMutations}) and runs the command on it; the command must reject it with exactly one
 * line (exit 2) or accept it and boot (exit 0 or 1: a kernel panic or deadlock from a setting in
 * range is legitimate) or summarise it (exit 0), with no exception escaping; the input file must
 * be unchanged afterwards.
 *
 * <p>Accepted images are booted (copy-on-write, {@code -m 16M}, a few virtual milliseconds) up to
 * {@code dfemu.fuzz.boots} per run; the rest are checked through the reader alone. Properties:
 * {@code -Ddfemu.fuzz.seed=N} (default 1, so CI is reproducible), {@code -Ddfemu.fuzz.cases=N}
 * (default 10000), {@code -Ddfemu.fuzz.boots=N} (default 60), {@code -Ddfemu.fuzz.case=I} (run
 * only case I, to reproduce a failure). A failing case's input is saved under
 * {@code tools/target/fuzz-failures/}.
 */
class InputFuzzTest {
    private static final long SEED = Long.getLong("dfemu.fuzz.seed", 1);
    private static final int CASES = Integer.getInteger("dfemu.fuzz.cases", 10_000);
    private static final int BOOTS = Integer.getInteger("dfemu.fuzz.boots", 60);
    private static final int ONLY = Integer.getInteger("dfemu.fuzz.case", -1);
    private static final String BOOT_TIME = "0.01";
    private static final Set<Integer> BOOT_STATUS = Set.of(0, 1, 2);
    private static final Set<Integer> READER_STATUS = Set.of(0, 2);

    private static final String SMALL = """
            setting hw.physmem=16M
            setting hw.ncpu=2
            setting vm.swapmeta_alloc=kmalloc_obj_reserve
            setting kern.kmalloc_obj_reserve_slabs=2
            partition swap 8M
            program w copies 2
              map r0 64K rw
              write r0
              loop 3
                touch r0 random 8 write
                sleep 100us
              endloop
              fork
                verify r0
                write r0
                verify r0
              endfork
              verify r0
              unmap r0
              exit
            end
            program idle copies 0
              sleep 1ms
            end
            """;
    private static final String BARE = """
            setting hw.physmem=16M
            setting debug.fail_page_alloc.probability=5
            setting debug.fail_zalloc.zones=SWAPMETA,PV_ENTRY
            setting debug.stall_timeout=1
            partition boot 8K
            """;
    private static final String TOUCHY = """
            setting hw.ncpu=1
            setting kern.hz=1000
            setting disk.latency_setup_ns=0
            partition user 8K
            partition swap 4M
            program t
              map r3 1M ro
              touch r3 stride 3 read
              map r4 2M rw
              touch r4 seq write
              verify r4
              sleep 1ms
            end
            """;

    /** Allocations that fail on purpose: its boots end in the documented panic (exit 1). */
    private static final String FAILING = """
            setting hw.physmem=16M
            setting debug.fail_zalloc.probability=50
            setting debug.fail_zalloc.zones=PV_ENTRY
            setting debug.fail_page_alloc.probability=20
            partition swap 4M
            program f copies 2
              map r0 512K rw
              write r0
              verify r0
            end
            """;

    /** Shared mappings, threads, wait and expected fates (program format version 2). */
    private static final String SHARED = """
            setting hw.physmem=16M
            setting hw.ncpu=2
            partition swap 8M
            program s copies 2 expect exit
              map r0 64K rw shared
              map r1 32K rw
              write r0
              fork
                verify r0
                write r0
              endfork
              thread
                write r1
                touch r1 random 4 write
              endthread
              wait
              verify r0
              verify r1
            end
            program bad expect segv
              map r0 4K ro
              touch r0 seq write
            end
            """;

    /** The memory-control instructions and page ranges (opcodes 0x10..0x18), each at least once. */
    private static final String MEMCTL = """
            setting hw.physmem=16M
            partition swap 8M
            program m copies 2
              map r0 256K rw
              write r0
              mlock r0 0 8
              mprotect r0 ro 8 4
              verify r0 8 4
              mprotect r0 rw
              madvise r0 free 16 16
              madvise r0 dontneed
              madvise r0 willneed 0 4
              write r0 20 4
              verify r0
              unmap r0 32 16
              munlock r0 0 8
              mlockall future
              map r1 64K rw
              write r1
              munlockall
              mlockall current,future
              mlock r1
              fork
                verify r0 0 32
                madvise r0 free
                verify r0
              endfork
              unmap r0
              unmap r1
            end
            """;

    @TempDir
    Path dir;

    private final List<ImageMutations.Base> images = new ArrayList<>();
    private final List<String> specNames = new ArrayList<>();
    private final List<byte[]> specs = new ArrayList<>();
    private final List<byte[]> traces = new ArrayList<>();
    private final Tally tally = new Tally();
    private int boots;
    private DfemuRun.Reused cli;
    private Verdict.Stray stray;
    private final java.util.TreeMap<String, Long> commandNs = new java.util.TreeMap<>();

    /** What the cases came to, by input kind, for the printed summary. */
    static final class Tally {
        final int[] cases = new int[3];
        final int[] rejected = new int[3];
        final int[] accepted = new int[3];
        final long[] cpuNs = new long[3];
        long bootCpuNs;
        int booted;
        int bootFailed;
        final List<String> failures = new ArrayList<>();
    }

    @Test
    void everyMutatedImageSpecAndTraceIsRejectedInOneLineOrAcceptedAndRun() throws Exception {
        long t0 = System.nanoTime();
        long cpu0 = processCpuNs();
        setUp();
        long setupNs = System.nanoTime() - t0;
        int from = ONLY >= 0 ? ONLY : 0;
        int to = ONLY >= 0 ? ONLY + 1 : CASES;
        try (Verdict.Stray s = new Verdict.Stray()) {
            stray = s;
            cli = new DfemuRun.Reused();
            runCases(from, to);
        }
        System.out.println(summary(setupNs, System.nanoTime() - t0, processCpuNs() - cpu0));
        assertTrue(tally.failures.isEmpty(), tally.failures.size() + " of " + (to - from) + " cases broke the rule (seed "
                + SEED + ", reproduce one with -Ddfemu.fuzz.seed=" + SEED + " -Ddfemu.fuzz.case=I):\n"
                + String.join("\n", tally.failures.subList(0, Math.min(20, tally.failures.size()))));
        if (ONLY < 0) {
            assertTrue(tally.rejected[0] > 0 && tally.accepted[0] > 0 && tally.rejected[1] > 0 && tally.accepted[1] > 0
                    && tally.rejected[2] > 0 && tally.accepted[2] > 0, "each input kind has cases rejected and accepted");
        }
    }

    private void runCases(int from, int to) throws IOException {
        for (int i = from; i < to; i++) {
            SplittableRandom rnd = new SplittableRandom(mix64(SEED ^ mix64(i + 0x9e3779b97f4a7c15L * (i + 1))));
            int kind = i % 10 < 4 ? 0 : i % 10 < 7 ? 1 : 2;
            long start = processCpuNs();
            Mutator m = new Mutator(rnd);
            String problem = switch (kind) {
                case 0 -> imageCase(i, m);
                case 1 -> specCase(i, m);
                default -> traceCase(i, m);
            };
            tally.cases[kind]++;
            tally.cpuNs[kind] += processCpuNs() - start;
            if (problem != null) {
                tally.failures.add("case " + i + " (" + KINDS[kind] + "): " + problem + " -- input: " + m.what);
            }
        }
    }

    private static final String[] KINDS = {"image", "spec", "trace"};

    private static long processCpuNs() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private String summary(long setupNs, long totalNs, long cpuNs) {
        StringBuilder b = new StringBuilder();
        int total = tally.cases[0] + tally.cases[1] + tally.cases[2];
        b.append(String.format("input fuzz: seed %d (-Ddfemu.fuzz.seed), %d cases (-Ddfemu.fuzz.cases), %d failures%n",
                SEED, total, tally.failures.size()));
        for (int k = 0; k < 3; k++) {
            b.append(String.format("  %-6s %6d cases: %6d rejected (exit 2), %6d accepted; %.1f s of CPU%n",
                    KINDS[k] + "s", tally.cases[k], tally.rejected[k], tally.accepted[k], tally.cpuNs[k] / 1e9));
        }
        b.append(String.format("  booted %d accepted images and specs (cap %d, -Ddfemu.fuzz.boots; -m 16M --time %s), %d of them"
                + " ended in a panic or deadlock (exit 1); %.1f s of CPU; the other accepted images were checked by the"
                + " reader only%n", tally.booted, BOOTS, BOOT_TIME, tally.bootFailed, tally.bootCpuNs / 1e9));
        b.append(String.format("  setup %.1f s (traces of %s records), total %.1f s host (%.1f s of CPU)", setupNs / 1e9,
                traces.stream().map(t -> Integer.toString((t.length - (int) Mutator.get(t, 16, 4)) / 48)).toList(),
                totalNs / 1e9, cpuNs / 1e9));
        for (var e : commandNs.entrySet()) b.append(String.format("%n  %-16s %.1f s", e.getKey(), e.getValue() / 1e9));
        return b.toString();
    }

    // ---- the inputs the mutations start from -------------------------------------------------

    private void setUp() throws Exception {
        if (ONLY < 0) deleteTree(Path.of("target", "fuzz-failures"));
        Path specDir = Path.of("..", "disk-images");
        for (String name : List.of("default.spec", "swapmeta-pressure.spec")) {
            specNames.add(name);
            specs.add(Files.readAllBytes(specDir.resolve(name)));
        }
        specNames.addAll(List.of("small.spec", "bare.spec", "touchy.spec", "failing.spec", "shared.spec", "memctl.spec"));
        for (String text : List.of(SMALL, BARE, TOUCHY, FAILING, SHARED, MEMCTL)) specs.add(text.getBytes(StandardCharsets.UTF_8));
        for (int s = 0; s < specs.size(); s++) {
            Path image = dir.resolve("base-" + s + ".img");
            ImageWriter.write(SpecParser.parse(specNames.get(s), specs.get(s)), image, false);
            images.add(ImageMutations.Base.of(specNames.get(s), image));
        }
        // Short traced boots: every event, and a few categories only (another enabled bitmap).
        Path small = dir.resolve("base-2.img");
        traces.add(tracedBoot(small, "all", "0.02"));
        traces.add(tracedBoot(small, "faults,vm,swap,sched", "0.01"));
        traces.add(tracedBoot(dir.resolve("base-4.img"), "all", "0.01"));
    }

    private byte[] tracedBoot(Path image, String events, String seconds) throws IOException {
        Path trace = dir.resolve("base-" + traces.size() + ".dftrace");
        DfemuRun run = DfemuRun.dfemu("boot", "-R", image.toString(), "--time", seconds, "--trace", trace.toString(),
                "--trace-events", events);
        assertEquals(0, run.status(), run.err());
        return Files.readAllBytes(trace);
    }

    // ---- one case of each kind -----------------------------------------------------------------

    /** A mutated image through DiskImage.open and {@code dfemu boot -R}; null if the rule held. */
    private String imageCase(int i, Mutator m) throws IOException {
        ImageMutations.Base base = images.get(m.below(images.size()));
        m.note("from " + base.name());
        Path image = dir.resolve("case.img");
        ImageMutations.write(base, m, image);
        Fingerprint before = Fingerprint.of(image);
        String problem;
        boolean accepted;
        try {
            DiskImage.open(image);
            accepted = true;
        } catch (ImageFormatException e) {
            accepted = false;
        } catch (IOException | RuntimeException e) {
            accepted = false;
            save(i, image, ".img");
            return "DiskImage.open threw " + e;
        }
        if (accepted && boots >= BOOTS) {
            // Past the cap: everything dfemu boot does before it builds the machine.
            tally.accepted[0]++;
            problem = null;
            try {
                BootPlan.open(image, ImageMode.COPY_ON_WRITE, Map.of("hw.physmem", "16M"), i, 10_000_000L);
            } catch (BootPlan.BadInput | TunableException e) {
                problem = "DiskImage.open accepted it but BootPlan.open refused it: " + e.getMessage();
            } catch (IOException | RuntimeException e) {
                problem = "BootPlan.open threw " + e;
            }
        } else {
            problem = boot(image, i);
            if (problem == null && lastStatus == 2) tally.rejected[0]++;
            else if (problem == null) tally.accepted[0]++;
            // The reader and the boot must agree, except where the boot refuses what only the
            // host can refuse (the machine the settings ask for does not fit it).
            if (problem == null && accepted != (lastStatus != 2) && !lastMessage.contains("host")) {
                problem = "DiskImage.open " + (accepted ? "accepted" : "refused") + " it but dfemu boot exited " + lastStatus
                        + ": " + lastMessage;
            }
        }
        if (problem == null && !before.equals(Fingerprint.of(image))) problem = "the image file changed";
        if (problem != null) save(i, image, ".img");
        return problem;
    }

    private int lastStatus;
    private String lastMessage = "";

    /** Boots {@code image} copy-on-write briefly; counts it against the cap if it got past the reader. */
    private String boot(Path image, int i) {
        long c0 = processCpuNs();
        Verdict v = Verdict.of(cli, stray, BOOT_STATUS, "boot", "-R", image.toString(), "-m", "16M", "--time", BOOT_TIME,
                "--seed", Integer.toString(i));
        lastStatus = v.run().status();
        lastMessage = Verdict.firstLine(v.run().err());
        if (v.problem() == null && lastStatus != 2) {
            tally.bootCpuNs += processCpuNs() - c0;
            boots++;
            tally.booted++;
            if (lastStatus == 1) tally.bootFailed++;
        }
        return v.problem() == null ? null : v.problem() + " [" + v.where() + "]";
    }

    /** A mutated spec through {@code dfemu mkimage}; an image it writes must open and may boot. */
    private String specCase(int i, Mutator m) throws IOException {
        int s = m.below(specs.size());
        m.note("from " + specNames.get(s));
        byte[] text = SpecMutations.mutate(specs.get(s), m);
        Path spec = dir.resolve("case.spec");
        Path out = dir.resolve("case-spec.img");
        Files.write(spec, text);
        Verdict v = Verdict.of(cli, stray, READER_STATUS, "mkimage", spec.toString(), "-o", out.toString(), "--force");
        String problem = v.problem();
        if (problem == null && v.run().status() == 2) {
            tally.rejected[1]++;
        } else if (problem == null) {
            tally.accepted[1]++;
            try {
                DiskImage.open(out);
                if (boots < BOOTS && m.chance(20)) {
                    problem = boot(out, i);
                    if (problem == null && lastStatus == 2 && !lastMessage.contains("host")) {
                        problem = "mkimage wrote an image that dfemu boot refuses: " + lastMessage;
                    }
                }
            } catch (IOException | RuntimeException e) {
                problem = "mkimage wrote an image DiskImage.open refuses: " + e.getMessage();
            }
        }
        if (problem == null && !Arrays.equals(text, Files.readAllBytes(spec))) problem = "the spec file changed";
        if (problem != null) save(i, spec, ".spec");
        Files.deleteIfExists(out);
        return problem;
    }

    /** A mutated trace through one of the {@code dfemu trace} readers. */
    private String traceCase(int i, Mutator m) throws IOException {
        byte[] trace = TraceMutations.mutate(traces.get(m.below(traces.size())), m);
        Path file = dir.resolve("case.dftrace");
        Files.write(file, trace);
        // Plot draws a chart per case (the dearest reader by far), so it gets fewer cases.
        String[] args = switch (m.below(10)) {
            case 0, 1, 2, 3 -> new String[] {"trace", "summary", file.toString()};
            case 4, 5, 6 -> m.chance(50) ? new String[] {"trace", "faults", file.toString()}
                    : new String[] {"trace", "faults", file.toString(), "--pid", m.pick(new String[] {"0", "1", "2", "-1"}),
                        "--kind", m.pick(new String[] {"zero-fill", "swap-in", "resident", "SIGSEGV"}),
                        "--va-range", m.pick(new String[] {"0-0xffffffffffffffff", "0x10000000-0x10100000", "5-3", "0x-1",
                            "0-9223372036854775807", "-1-0", "0x7fffffffffffffff-0x8000000000000000", "1-2-3"})};
            case 7, 8 -> new String[] {"trace", "export", file.toString(), "-o", dir.resolve("case.json").toString()};
            default -> new String[] {"trace", "plot", file.toString(), "-o",
                dir.resolve(m.chance(50) ? "case.png" : "case.svg").toString(), "--width", "200", "--height", "200"};
        };
        m.note("dfemu " + args[0] + " " + args[1]);
        long c0 = System.nanoTime();
        Verdict v = Verdict.of(cli, stray, READER_STATUS, args);
        commandNs.merge(args[1], System.nanoTime() - c0, Long::sum);
        String problem = v.problem() == null ? null : v.problem() + " [" + v.where() + "]";
        if (problem == null && v.run().status() == 2) tally.rejected[2]++;
        else if (problem == null) tally.accepted[2]++;
        if (problem == null && !Arrays.equals(trace, Files.readAllBytes(file))) problem = "the trace file changed";
        if (problem != null) save(i, file, ".dftrace");
        return problem;
    }

    // ---- helpers ----------------------------------------------------------------------------

    /**
     * Size, modification time and the first 64K (every byte that is not a hole): any write to the file changes the
     * time, and the head is what the readers read.
     */
    record Fingerprint(long size, FileTime modified, int headCrc) {
        static Fingerprint of(Path f) throws IOException {
            byte[] head = ImageMutations.head(f, 64 << 10);
            return new Fingerprint(Files.size(f), Files.getLastModifiedTime(f), Mutator.crc(head, 0, head.length));
        }
    }

    /** Keeps a failing case's input (holes stay holes) under target/fuzz-failures. */
    private static void save(int i, Path input, String ext) {
        try {
            Path keep = Path.of("target", "fuzz-failures");
            Files.createDirectories(keep);
            Path to = keep.resolve("seed" + SEED + "-case" + i + ext);
            byte[] head = ImageMutations.head(input, 1 << 20);
            try (RandomAccessFile f = new RandomAccessFile(to.toFile(), "rw")) {
                f.setLength(0);
                f.write(head);
                f.setLength(Files.size(input));
            }
        } catch (IOException e) {
            // The report still names the case and its seed; the input can be made again from them.
        }
    }

    private static void deleteTree(Path d) throws IOException {
        if (!Files.isDirectory(d)) return;
        try (var files = Files.list(d)) {
            for (Path f : files.toList()) Files.delete(f);
        }
    }

    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
