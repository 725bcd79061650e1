package org.dfemu.tools.inspect;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.dfemu.emulator.Machine;
import org.dfemu.emulator.disk.Disk;
import org.dfemu.emulator.sched.CpuStats;
import org.dfemu.emulator.sched.ThreadInfo;
import org.dfemu.emulator.sched.ThreadState;
import org.dfemu.kernel.Kernel;

/**
 * Writes a core file ({@link CoreFile}) of a stopped machine: reads the machine (RAM, CPUs,
 * scheduler, disks) and the kernel's symbol table after the run, so writing one never changes a
 * run. No requirements beyond the run having stopped.
 */
public final class CoreWriter {
    private CoreWriter() {}

    /**
     * Where a boot writes its core.
     *
     * @param file  the core file
     * @param atEnd write it whatever the outcome ({@code --core-at-end}); else only for a failed run
     */
    public record Request(Path file, boolean atEnd) {}

    /**
     * What the run came to, for the core's META section.
     *
     * @param outcome  the {@code result:} word (deadlock, livelock, panic, data loss, invariant, ok)
     * @param kind     DEADLOCK or LIVELOCK for a deadlock report's heading, else the outcome in capitals
     * @param headline the scheduler's or the kernel's one line (without the outcome word)
     */
    public record Outcome(String outcome, String kind, String headline, long timeNs, long scheduleDigest) {}

    /**
     * Writes the core of {@code machine} running {@code kernel} to {@code file} and returns its
     * length in bytes.
     *
     * @param image     the image booted (its path and SHA-256 go into the core)
     * @param settings  the boot environment (every setting as the machine and kernel fetched it)
     * @param reproduce the boot command that repeats the run
     */
    public static long write(Path file, Machine machine, Kernel kernel, Path image, Map<String, String> settings, long seed,
                             Outcome outcome, String reproduce) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "dfemu core " + CoreFile.VERSION);
        meta.put("image", image.toString());
        meta.put("image_sha256", sha256(image));
        meta.put("seed", Long.toString(seed));
        meta.put("outcome", outcome.outcome());
        meta.put("kind", outcome.kind());
        meta.put("headline", outcome.headline() == null ? "" : outcome.headline());
        meta.put("time_ns", Long.toString(outcome.timeNs()));
        meta.put("schedule_digest", String.format(Locale.ROOT, "%016x", outcome.scheduleDigest()));
        meta.put("ram_bytes", Long.toString(machine.ram().size()));
        meta.put("ncpus", Integer.toString(machine.cpus().count()));
        meta.put("physfree", String.format(Locale.ROOT, "0x%x", kernel.physfree()));
        meta.put("symbols", Integer.toString(kernel.symbols().symbols().size()));
        meta.put("kpml4phys", String.format(Locale.ROOT, "0x%x", kernel.pmap().kpml4phys()));
        meta.put("reproduce", reproduce);
        for (int i = 0; i < org.dfemu.kernel.vm.VmSwap.NSWAPDEV; i++) {
            String name = kernel.vmSwap().swapdevName(i);
            if (name != null) meta.put("swapdev" + i, name);
        }

        List<CoreFile.CpuState> cpus = new ArrayList<>();
        List<CpuStats> stats = machine.scheduler().cpuStats();
        for (int i = 0; i < machine.cpus().count(); i++) {
            var cpu = machine.cpu(i);
            cpus.add(new CoreFile.CpuState(i, cpu.cr3(), i < stats.size() ? stats.get(i).curthread() : 0, cpu.tlb().entries()));
        }
        List<ThreadInfo> threads = new ArrayList<>();
        for (ThreadInfo t : machine.scheduler().threads()) {
            if (t.state() != ThreadState.EXITED) threads.add(t);
        }
        List<CoreFile.Io> io = new ArrayList<>();
        for (Disk d : machine.disks()) {
            for (Disk.InFlight r : d.inFlight()) {
                io.add(new CoreFile.Io(d.name(), r.id(), r.op(), r.sector(), r.count(), r.completionNs()));
            }
        }
        return CoreFile.write(file, new CoreFile.Contents(meta, settings, cpus, threads, io, kernel.dmesg(), machine.ram()));
    }

    private record FileKey(Path path, long size, long modified) {}

    /** Hashes already computed in this process (a sweep writes many cores of one image). */
    private static final Map<FileKey, String> HASHES = new ConcurrentHashMap<>();

    /** The SHA-256 of {@code file} in hex (cached per path, size and modification time). */
    static String sha256(Path file) throws IOException {
        FileKey key = new FileKey(file.toAbsolutePath().normalize(), Files.size(file), Files.getLastModifiedTime(file).toMillis());
        String known = HASHES.get(key);
        if (known != null) return known;
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        String hex = HexFormat.of().formatHex(md.digest());
        HASHES.put(key, hex);
        return hex;
    }
}
