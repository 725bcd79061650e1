package org.dfemu.tools.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.dfemu.emulator.disk.ImageMode;
import org.dfemu.emulator.trace.TraceWriter;
import org.dfemu.kernel.harness.trace.KernelEvents;
import org.dfemu.tools.image.ImageWriter;
import org.dfemu.tools.image.SpecParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pins whole runs: for the default image and for swapmeta-pressure under each SWAPMETA allocator,
 * at three seeds each, the scheduler's digest of every scheduling decision, the virtual time at
 * the end, the outcome and the SHA-256 of the trace file with every event recorded.
 *
 * <p>A change that is meant to leave the kernel's behaviour alone (speed, structure) must keep
 * every row green: one scheduling decision, one virtual timestamp or one trace record changed
 * shows here. A change that alters behaviour on purpose (a C behaviour brought into the port)
 * re-pins the rows in the same commit and says which behaviour changed them.
 */
class RunPinTest {
    @TempDir
    static Path dir;
    static Path defaultImage;
    static Path pressureImage;

    @BeforeAll
    static void buildImages() throws Exception {
        defaultImage = build(dir, "default.spec");
        pressureImage = build(dir, "swapmeta-pressure.spec");
    }

    /** Builds the committed disk-images/{@code specName} into {@code dir}; returns the image. */
    static Path build(Path dir, String specName) throws Exception {
        // Surefire runs in the module directory; the specs are the committed ones, beside it.
        Path spec = Path.of("..", "disk-images", specName);
        Path image = dir.resolve(specName.replace(".spec", ".img"));
        ImageWriter.write(SpecParser.parse(specName, Files.readAllBytes(spec)), image, false);
        return image;
    }

    /** image, swapmeta_alloc (null: the image's own), seed, outcome, virtual ns, digest, trace SHA-256. */
    static Stream<Arguments> pinned() {
        return Stream.of(
                Arguments.of("default", null, 1L, "OK", 7279295088L, -360562588888324689L, "ec386476c47c5ae83ede3fe3c40a8e388519818ebce08107b5bf3e46551a4eca"),
                Arguments.of("default", null, 2L, "OK", 7288262628L, 8241687155699912339L, "0f1e6f2bcdac154252b33c6fc8c4f1b24b4c6d6e4490517e13cf6d5cc3c65222"),
                Arguments.of("default", null, 3L, "OK", 7304763556L, 1452906880498844255L, "ed9200bd57e227a48e529c09cef685307c09110485bbf04fa7fdacf8ca217e45"),
                Arguments.of("pressure", "zalloc", 1L, "OK", 6308878836L, -1828756051950000671L, "3e7605d092e63917aff4a8502f2e9acb249fd7b6404d2cc94f00e994da4cac93"),
                Arguments.of("pressure", "zalloc", 2L, "OK", 6312704784L, 5094631243571273685L, "a6e1bf035f0bb02f875a3f1b9aa6a3574fa433b20e32c3d986928014a4e79241"),
                Arguments.of("pressure", "zalloc", 3L, "OK", 6309199568L, 5384632017197559193L, "2d25514e717db617973d3cf60742075ce170063a1f2495feb0bb1a0b50637d65"),
                Arguments.of("pressure", "kmalloc_obj", 1L, "LIVELOCK", 30000259800L, 3874317942293286659L, "206b90354d378167781e2a15c4d210f9f96a5132cbd2a965088f0c34f073ffd3"),
                Arguments.of("pressure", "kmalloc_obj", 2L, "LIVELOCK", 30000259800L, -1807552096906535830L, "8ddc43851d5b2d2402d9ba52ad345c02157bb195047322b1e2977b38109e90bc"),
                Arguments.of("pressure", "kmalloc_obj", 3L, "LIVELOCK", 30000259800L, -1432101979018765477L, "18f31937a53cb9a6ba503a9d39ae5c2bb206047201bad9067c4d80328aba7aa6"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 1L, "OK", 6310801952L, -6660650783740698490L, "9f93c1622e39751fcedc6a6e87b3a0ce63aa0a5b0f457a54fa26ed2b5fda3b69"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 2L, "OK", 6316099400L, -2600128324337724366L, "1522f97bba0e946ff9e12e3897e68dbce6f63939d401dd4eb450aa221888ef8e"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 3L, "OK", 6313898356L, -2562936169312894300L, "70479366952db221afd1912d04b3a2cd0c176dc5f57f6cbaed1c4af365440c9b"));
    }

    @ParameterizedTest(name = "{0} {1} seed {2}")
    @MethodSource("pinned")
    void runIsUnchanged(String image, String swapmetaAlloc, long seed, String outcome, long timeNs, long digest,
                        String traceSha) throws Exception {
        Path img = image.equals("default") ? defaultImage : pressureImage;
        Map<String, String> overrides = swapmetaAlloc == null ? Map.of() : Map.of("vm.swapmeta_alloc", swapmetaAlloc);
        // --time 60 is the command's default.
        BootPlan plan = BootPlan.open(img, ImageMode.COPY_ON_WRITE, overrides, seed, 60_000_000_000L);
        Path trace = dir.resolve(image + "-" + swapmetaAlloc + "-" + seed + ".dftrace");
        RunRecord record;
        try (TraceWriter writer = TraceWriter.open(trace, List.of(KernelEvents.names()))) {
            record = Boot.run(plan, writer, new PrintWriter(new StringWriter()));
        }
        String sha = sha256(trace);
        Files.delete(trace);
        String actual = String.format("Arguments.of(\"%s\", %s, %dL, \"%s\", %dL, %dL, \"%s\"),", image,
                swapmetaAlloc == null ? "null" : "\"" + swapmetaAlloc + "\"", seed, record.outcome(), record.timeNs(),
                record.scheduleDigest(), sha);
        String expected = String.format("Arguments.of(\"%s\", %s, %dL, \"%s\", %dL, %dL, \"%s\"),", image,
                swapmetaAlloc == null ? "null" : "\"" + swapmetaAlloc + "\"", seed, outcome, timeNs, digest, traceSha);
        assertEquals(expected, actual, "the run changed; a change meant to keep runs must not, one that changes them "
                + "on purpose re-pins this row and says why");
    }

    static String sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
