package org.dfemu.tools.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The C reference for the allocator targets ("within 4x of a C allocator's malloc+free pair"):
 * builds {@code tools/src/main/c/mallocbench.c} with gcc in a temporary directory and runs it, so
 * glibc's malloc+free is timed natively, with no FFM call overhead to account for, in the same
 * {@code dfemu bench} run as the Java allocators. Scores are named {@code glibc.mallocFree size=N}
 * in ns per pair.
 */
final class CMallocReference {
    private CMallocReference() {}

    static final long ITERATIONS = 20_000_000L;

    /**
     * Returns ns per malloc+free pair for each size, or an empty map with a reason printed to
     * stderr when gcc or the source is missing (the C reference is then simply not shown).
     */
    static Map<String, Double> measure(List<Integer> sizes) {
        Path home = Path.of(System.getProperty("dfemu.home", "."));
        Path source = home.resolve("tools/src/main/c/mallocbench.c");
        Map<String, Double> out = new LinkedHashMap<>();
        if (!Files.isRegularFile(source)) {
            System.err.println("dfemu bench: no " + source + "; C malloc reference not measured");
            return out;
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("dfemu-mallocbench");
            Path binary = dir.resolve("mallocbench");
            if (run(List.of("gcc", "-O2", "-o", binary.toString(), source.toString()), null) != 0) {
                System.err.println("dfemu bench: gcc could not build " + source + "; C malloc reference not measured");
                return out;
            }
            List<String> cmd = new ArrayList<>(List.of(binary.toString(), Long.toString(ITERATIONS)));
            for (int s : sizes) cmd.add(Integer.toString(s));
            List<String> lines = new ArrayList<>();
            if (run(cmd, lines) != 0) {
                System.err.println("dfemu bench: mallocbench failed; C malloc reference not measured");
                return out;
            }
            for (String line : lines) {
                String[] f = line.trim().split("\\s+");
                if (f.length == 2) out.put("glibc.mallocFree size=" + f[0], Double.parseDouble(f[1]));
            }
        } catch (IOException e) {
            System.err.println("dfemu bench: C malloc reference not measured: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (dir != null) deleteQuietly(dir);
        }
        return out;
    }

    private static int run(List<String> cmd, List<String> stdout) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(stdout == null).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) if (stdout != null) stdout.add(line);
        }
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    private static void deleteQuietly(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) Files.deleteIfExists(f);
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // A leftover temp directory is harmless.
        }
    }
}
