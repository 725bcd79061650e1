package org.dfemu.emulator.disk;

import org.dfemu.emulator.time.VirtualClock;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Shared pieces of the disk tests: deterministic images, a completion recorder, host probes. */
final class DiskTestSupport {
    private DiskTestSupport() {}

    /** {@code len} bytes drawn from a PRNG seeded with {@code seed}, none of them zero. */
    static byte[] pattern(long seed, int len) {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) b[i] = (byte) (1 + rnd.nextInt(255));
        return b;
    }

    /** Writes an image file holding {@code content}. */
    static Path image(Path dir, String name, byte[] content) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, content);
        return p;
    }

    /** One completion interrupt as a test sees it. */
    record Done(long id, IoStatus status, long timeNs) {}

    /** An {@link IoCallback} that records every completion with the clock's time. */
    static final class Completions implements IoCallback {
        private final VirtualClock clock;
        final List<Done> seen = new ArrayList<>();

        Completions(VirtualClock clock) { this.clock = clock; }

        @Override
        public void ioDone(long requestId, IoStatus status) {
            seen.add(new Done(requestId, status, clock.now()));
        }

        Done only() {
            if (seen.size() != 1) throw new AssertionError("expected one completion, got " + seen);
            return seen.getFirst();
        }

        Done of(long id) {
            for (Done d : seen) if (d.id() == id) return d;
            throw new AssertionError("request " + id + " did not complete: " + seen);
        }
    }

    /**
     * 512-byte blocks allocated to {@code file} (st_blocks), from {@code stat -c %b}; only the
     * tests run a process, the device itself never does.
     */
    static long allocatedBlocks(Path file) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("stat", "-c", "%b", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        if (p.waitFor() != 0) throw new IOException("stat failed: " + out);
        return Long.parseLong(out);
    }

    /**
     * The open flags of every descriptor of this process that refers to {@code file}, from
     * Linux's /proc/self/fdinfo (octal "flags:" line).
     */
    static List<Integer> openFlags(Path file) throws IOException {
        Path target = file.toRealPath();
        List<Integer> flags = new ArrayList<>();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                Path link;
                try {
                    link = Files.readSymbolicLink(fd);
                } catch (IOException gone) {
                    continue; // the directory stream's own descriptor, already closed
                }
                if (!link.equals(target)) continue;
                for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo", fd.getFileName().toString()))) {
                    if (line.startsWith("flags:")) flags.add(Integer.parseInt(line.substring(6).strip(), 8));
                }
            }
        }
        return flags;
    }

    /** O_ACCMODE part of open flags: 0 read-only, 2 read/write. */
    static int accessMode(int flags) { return flags & 3; }
}
