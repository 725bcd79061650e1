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
import org.dfemu.kernel.KernelEvents;
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
                Arguments.of("default", null, 1L, "OK", 9550495644L, -3447876939914233743L, "76bc92e2651b780254bf53040322ccaabbac53fe1aa6d69fa49270612591ca2d"),
                Arguments.of("default", null, 2L, "OK", 9571536560L, 3749051377533234004L, "68317bc736a398852e4802d6cce630c84aa34a49cbe3f26a4a4e075fdd9b6a0c"),
                Arguments.of("default", null, 3L, "OK", 9562972872L, 4596600504168885355L, "b39af47e084086fe94327f9a0deb60d95717c88e72218386f19829628be226b8"),
                Arguments.of("pressure", "zalloc", 1L, "OK", 8056406692L, -6981310426857207499L, "f99ae42db91c00222c04079a88bee239e47c17ad530fa61460b86ff7607aba69"),
                Arguments.of("pressure", "zalloc", 2L, "OK", 8058713328L, -5262420421761405737L, "6400402ac561b9e170ea30fd9c74deb240929575640c338314049bbf4d6db0f0"),
                Arguments.of("pressure", "zalloc", 3L, "OK", 8058547756L, -4149261948817790372L, "0cb3fce3024711744ead3079213c363524c5b384e1bf34d8125b7d25f60ebbd6"),
                Arguments.of("pressure", "kmalloc_obj", 1L, "LIVELOCK", 30000321000L, 6231183665234962432L, "8527c396e7a244468d98e85cf4d752c7e377d235903afd971763bf50b7ee1140"),
                Arguments.of("pressure", "kmalloc_obj", 2L, "LIVELOCK", 30000326400L, 2987911409079083998L, "b3e7aa9234415dc61ca1c20f7de973238e95c44dbb8d5b4a6a080a57e15bcb1e"),
                Arguments.of("pressure", "kmalloc_obj", 3L, "LIVELOCK", 30000320500L, 3180280216126204474L, "78c4c6305b0a17a1f90569b4beff976ca944d5cfd3e20f41a910d78281d37103"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 1L, "OK", 8057698880L, 8722902434201156102L, "43c667e9bbad3e5b179a6ad512ce9d87838228b687f2f8013f57895354656965"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 2L, "OK", 8064467496L, 4171704832324405490L, "3fc8e573be66a2bb7ccb39761db6c8ff11f1cc34de511508fc5712b74a003ebf"),
                Arguments.of("pressure", "kmalloc_obj_reserve", 3L, "OK", 8059921360L, 8393510355697356791L, "a5232c3f208fe9d28188e76378f7eef4e1875b6d9244df1a819772e4900f6e07"));
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
