package org.dfemu.tools.inspect;

import static org.dfemu.tools.DfemuRun.dfemu;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.InflaterInputStream;
import org.dfemu.tools.DfemuRun;
import org.dfemu.tools.image.ImageWriter;
import org.dfemu.tools.image.SpecParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seeded fuzz test of the core reader: a small machine's core, mutated (bytes flipped, cut,
 * inserted; and, so that the mutation reaches the section parsers and the rebuilt kernel, a
 * section's payload mutated and re-encoded with a correct CRC-32), must give {@code dfemu inspect
 * CORE COMMAND} exit 0, or exit 2 with one line on stderr, and nothing else: no exception, no
 * hang. {@code -Ddfemu.fuzz.seed=N} (default 1), {@code -Ddfemu.fuzz.corecases=N} (default 100).
 */
class CoreFuzzTest {
    private static final long SEED = Long.getLong("dfemu.fuzz.seed", 1);
    private static final int CASES = Integer.getInteger("dfemu.fuzz.corecases", 100);
    private static final List<String> COMMANDS = List.of("ps", "vmstat", "vmstat -z", "vmstat -m", "swapinfo", "show cpus",
            "show io", "deadlock", "trace", "show map 1", "x/4g vmstats", "info");

    @TempDir
    static Path dir;
    static byte[] good;

    @BeforeAll
    static void smallCore() throws Exception {
        String spec = """
                setting hw.physmem=16M
                setting hw.ncpu=2
                partition swap 8M
                program w copies 1
                  map r0 256K rw
                  write r0
                  sleep 1s
                  exit
                end
                """;
        Path image = dir.resolve("small.img");
        ImageWriter.write(SpecParser.parse("small.spec", spec.getBytes(StandardCharsets.UTF_8)), image, false);
        Path core = dir.resolve("small.core");
        DfemuRun r = dfemu("boot", image.toString(), "--time", "0.05", "--core", core.toString(), "--core-at-end");
        assertEquals(0, r.status(), r.out() + r.err());
        good = Files.readAllBytes(core);
    }

    @Test
    void mutatedCoresExit0Or2WithOneLine() throws Exception {
        SplittableRandom rnd = new SplittableRandom(SEED);
        Path f = dir.resolve("case.core");
        for (int n = 0; n < CASES; n++) {
            byte[] bad = mutate(good, rnd);
            Files.write(f, bad);
            String cmd = COMMANDS.get(rnd.nextInt(COMMANDS.size()));
            List<String> args = new ArrayList<>(List.of("inspect", f.toString()));
            args.addAll(Arrays.asList(cmd.split(" ")));
            DfemuRun r = dfemu(args.toArray(String[]::new));
            String what = "case " + n + " (seed " + SEED + ", " + cmd + "): ";
            assertTrue(r.status() == 0 || r.status() == 2, what + r.status() + " " + r.err());
            if (r.status() == 2) {
                assertEquals(1, r.err().lines().count(), what + r.err());
                assertTrue(r.err().startsWith("dfemu inspect: "), what + r.err());
            }
        }
    }

    /** One mutation of {@code core}. */
    static byte[] mutate(byte[] core, SplittableRandom rnd) throws IOException {
        return switch (rnd.nextInt(5)) {
            case 0 -> {
                byte[] b = core.clone();
                for (int i = 1 + rnd.nextInt(4); i > 0; i--) b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                yield b;
            }
            case 1 -> Arrays.copyOf(core, rnd.nextInt(core.length));
            case 2 -> {
                int at = rnd.nextInt(core.length);
                byte[] b = new byte[core.length + 1];
                System.arraycopy(core, 0, b, 0, at);
                b[at] = (byte) rnd.nextInt(256);
                System.arraycopy(core, at, b, at + 1, core.length - at);
                yield b;
            }
            default -> resealed(core, rnd);
        };
    }

    /** A section other than RAM decoded, a few of its bytes changed, and sealed again (lengths, CRC-32, trailer). */
    static byte[] resealed(byte[] core, SplittableRandom rnd) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(core);
        in.position(12);
        int count = in.getInt();
        int victim = rnd.nextInt(count - 1);   // RAM is the last section
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(out);
        d.write(core, 0, 16);
        for (int s = 0; s < count; s++) {
            byte[] tag = new byte[4];
            in.get(tag);
            int enc = in.get();
            long raw = in.getLong();
            byte[] stored = new byte[(int) in.getLong()];
            int crc = in.getInt();
            in.get(stored);
            if (s == victim) {
                byte[] payload = enc == 1 ? new InflaterInputStream(new java.io.ByteArrayInputStream(stored)).readAllBytes() : stored;
                payload = payload.clone();
                if (payload.length > 0) {
                    for (int i = 1 + rnd.nextInt(3); i > 0; i--) payload[rnd.nextInt(payload.length)] = (byte) rnd.nextInt(256);
                }
                raw = payload.length;
                if (enc == 1) {
                    ByteArrayOutputStream z = new ByteArrayOutputStream();
                    try (DeflaterOutputStream dz = new DeflaterOutputStream(z, new Deflater(Deflater.BEST_SPEED))) {
                        dz.write(payload);
                    }
                    stored = z.toByteArray();
                } else {
                    stored = payload;
                }
                CRC32 c = new CRC32();
                c.update(stored);
                crc = (int) c.getValue();
            }
            d.write(tag);
            d.writeByte(enc);
            d.writeLong(raw);
            d.writeLong(stored.length);
            d.writeInt(crc);
            d.write(stored);
        }
        d.write(CoreFile.TRAILER);
        d.writeLong(out.size() + 8);
        return out.toByteArray();
    }
}
