package org.dfemu.tools.inspect;

import static org.dfemu.tools.DfemuRun.dfemu;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.dfemu.emulator.sched.ThreadInfo;
import org.dfemu.tools.DfemuRun;
import org.dfemu.tools.image.ImageWriter;
import org.dfemu.tools.image.SpecParser;
import org.jline.reader.Candidate;
import org.jline.reader.impl.DefaultParser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Core files and {@code dfemu inspect}: the plain kmalloc_obj SWAPMETA conversion on
 * swapmeta-pressure, seed 1, livelocks (SwapmetaPressureTest); its core must show the threads,
 * wait channels and counters the console's report printed, answer every command, and refuse
 * truncated and corrupt copies with one line and exit status 2.
 */
class InspectTest {
    @TempDir
    static Path dir;
    static Path image;
    static Path core;
    static DfemuRun boot;
    static DeadKernel dead;
    static Inspector in;

    @BeforeAll
    static void livelockWithCore() throws Exception {
        Path spec = Path.of("..", "disk-images", "swapmeta-pressure.spec");
        image = dir.resolve("swapmeta-pressure.img");
        ImageWriter.write(SpecParser.parse(spec.getFileName().toString(), Files.readAllBytes(spec)), image, false);
        core = dir.resolve("cores").resolve("s1.core");
        boot = dfemu("boot", image.toString(), "-e", "vm.swapmeta_alloc=kmalloc_obj", "--seed", "1", "--core", core.toString());
        assertEquals(1, boot.status(), boot.out() + boot.err());
        assertTrue(boot.out().contains("result: livelock"), boot.out());
        dead = DeadKernel.open(CoreFile.read(core));
        in = new Inspector(dead);
    }

    @AfterAll
    static void close() {
        if (dead != null) dead.close();
    }

    private static List<String> ok(String command) {
        Inspector.Output o = in.run(command);
        assertTrue(o.ok(), command + ": " + o.lines());
        return o.lines();
    }

    private static List<String> console() {
        return boot.out().lines().toList();
    }

    @Test
    void theReportNamesTheCoreAndTheFirstCommands() {
        String line = console().stream().filter(l -> l.startsWith("core: ")).findFirst().orElseThrow();
        assertTrue(line.contains(core.toString()), line);
        // The first blocked thread with kernel frames is the pagedaemon, inside _kmalloc_obj(SWAPMETA).
        assertTrue(line.contains("trace 2") && line.contains("vmstat -m") && line.contains("vmstat"), line);
        // Atomic write: nothing but the core in its directory (the temporary file was renamed).
        try (Stream<Path> files = Files.list(core.getParent())) {
            assertEquals(List.of(core.getFileName().toString()), files.map(p -> p.getFileName().toString()).toList());
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aSixteenMegabyteMachinesCoreIsSmall() throws Exception {
        long size = Files.size(core);
        assertTrue(size <= 4L << 20, "core of a 16M machine: " + size + " bytes");
        assertEquals(16L << 20, dead.core().ramSize());
    }

    @Test
    void theCoreShowsWhatTheReportPrinted() {
        List<String> c = console();
        int from = -1;
        for (int i = 0; i < c.size(); i++) if (c.get(i).startsWith("--- livelock at ")) from = i;
        int to = from;
        while (to < c.size() && !c.get(to).startsWith("LIVELOCK at ")) to++;
        assertTrue(from >= 0 && to > from, boot.out());
        assertEquals(c.subList(from, to), ok("deadlock"), "the deadlock report, from the core");
        // Every thread of the report, with its wait channel and wmesg, in ps.
        List<String> ps = ok("ps");
        for (String l : c.subList(from, to)) {
            Matcher m = Pattern.compile("^  (\\S+) (?:in \\S+ |asleep )\\(wchan (\\S+), \"(\\S+)\"").matcher(l);
            if (!m.find()) continue;
            assertTrue(ps.stream().anyMatch(p -> p.endsWith(" " + m.group(1)) && p.contains(m.group(2)) && p.contains(m.group(3))),
                    m.group(1) + " " + m.group(2) + " " + m.group(3) + " in " + ps);
        }
        // The counters: vmstat and vmstat -s, vmstat -z and vmstat -m as the shutdown printed them.
        for (String cmd : List.of("vmstat", "vmstat -z", "vmstat -m", "swapinfo")) {
            List<String> lines = ok(cmd);
            int at = Collections.indexOfSubList(c, lines);
            assertTrue(at >= 0, cmd + " as at shutdown: " + lines);
        }
    }

    @Test
    void traceShowsTheKernelFrames() {
        List<String> t = ok("trace 2");
        assertTrue(t.getFirst().startsWith("Tracing tid 2 (pagedaemon), sleeping on &vm_pageout_pages_needed \"VMWait\""), t.toString());
        assertTrue(t.contains("#0  vm_wait()") && t.contains("#2  _kmalloc_obj(SWAPMETA)()"), t.toString());
        assertEquals(ok("trace"), t, "without a tid: the first blocked thread with frames");
    }

    @Test
    void everyCommandAnswers() {
        assertTrue(ok("help").size() >= Inspector.COMMANDS.size());
        assertTrue(ok("info").contains("seed             1"));
        assertTrue(ok("dmesg").stream().anyMatch(l -> l.startsWith("real memory")), "the console");
        long free = Long.parseLong(ok("sysctl vm.stats.vm.v_free_count").getFirst().replaceAll(".*: ", ""));
        assertTrue(ok("vmstat").stream().anyMatch(l -> l.matches("v_free_count +" + free)));
        assertTrue(ok("sysctl vm.stats.vm").size() > 10, "a prefix lists its sysctls");
        // vmstats.v_page_size is the first word of the symbol.
        assertTrue(ok("x/2g vmstats").getFirst().contains("<vmstats.v_page_size>: 0x0000000000001000"), ok("x/2g vmstats").toString());
        assertEquals(ok("x/1g vmstats").getFirst().replaceAll(".*: ", ""),
                ok("x/1g pa:0x" + Long.toHexString(in.symbolAddress("vmstats") - org.dfemu.kernel.machine.Vmparam.DMAP_MIN_ADDRESS))
                        .getFirst().replaceAll(".*: ", ""), "the same word by kernel address and by physical address");
        List<String> zone = ok("show zone MAP ENTRY");
        assertTrue(zone.getFirst().startsWith("zone MAP ENTRY at 0x") && zone.getFirst().contains("item size 136"), zone.toString());
        assertTrue(ok("show zone SWAPMETA").getFirst().startsWith("malloc type SWAPMETA"), "kmalloc_obj: SWAPMETA is a malloc type");
        assertEquals(3, ok("show cpus").size() + 1, "two cpus");
        assertTrue(ok("show tlb 0").size() > 1, "cpu0's TLB holds entries");
        assertTrue(ok("show io").getFirst().endsWith("in flight"));

        // A process's map, its object, a resident page of it, the object's slab, the pmap walk.
        List<String> map = ok("show map 1");
        Matcher e = Pattern.compile("entry 0x\\p{XDigit}+: 0x(\\p{XDigit}+)-0x\\p{XDigit}+ rw-.* object 0x(\\p{XDigit}+)").matcher(map.get(1));
        assertTrue(e.find(), map.toString());
        String object = "0x" + e.group(2);
        List<String> obj = ok("show object " + object);
        assertTrue(obj.getFirst().startsWith("vm_object " + object + ": OBJT_"), obj.toString());
        Matcher page = Pattern.compile("pindex (\\d+) +vm_page (0x\\p{XDigit}+) pa (0x\\p{XDigit}+)").matcher(
                obj.stream().filter(l -> l.contains(" vm_page ")).findFirst().orElseThrow());
        assertTrue(page.find());
        List<String> byPa = ok("show page " + page.group(3));
        assertEquals(byPa, ok("show page " + page.group(2)), "a page by its vm_page and by its physical address");
        assertTrue(byPa.get(3).contains("object " + object + ", pindex " + page.group(1)), byPa.toString());
        assertTrue(byPa.get(4).contains("wire_count") && byPa.get(4).contains("hold_count"), byPa.toString());
        assertTrue(ok("show slab " + object).getFirst().contains("(type vm_object)"), "the object is a kmalloc_obj allocation");
        List<String> walk = ok("show pmap 1 0x" + e.group(1));
        assertTrue(walk.get(1).contains("PML4E") && walk.get(2).contains("PDPE"), walk.toString());
    }

    @Test
    void badInputIsOneLineAndThePromptGoesOn() {
        for (String bad : List.of("frobnicate", "show page 0x7", "show object", "trace 999", "x/2g 0x3", "x/2g nosuchsymbol",
                "x/2g 0xffff800000000000", "show zone NOPE", "sysctl no.such", "show map 77", "vmstat -q", "show slab 0x10")) {
            Inspector.Output o = in.run(bad);
            assertFalse(o.ok(), bad);
            assertEquals(1, o.lines().size(), bad + ": " + o.lines());
        }
        DfemuRun r = dfemu("inspect", core.toString(), "show", "zone", "NOPE");
        assertEquals(2, r.status());
        assertEquals(1, r.err().lines().count(), r.err());
        // Options after the core belong to the command.
        r = dfemu("inspect", core.toString(), "vmstat", "-z");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().startsWith("ITEM "), r.out());
    }

    @Test
    void thePromptOnPipedStreams() throws Exception {
        String input = "ps\nfrobnicate\ntrace 2\nquit\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = InspectCommand.prompt(in, new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), out, dead);
        assertEquals(0, status);
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("db> "), text);
        assertTrue(text.contains("pagedaemon") && text.contains("unknown command 'frobnicate'") && text.contains("#0  vm_wait()"), text);
        // End of input leaves too.
        out.reset();
        assertEquals(0, InspectCommand.prompt(in, new ByteArrayInputStream("vmstat\n".getBytes(StandardCharsets.UTF_8)), out, dead));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("v_free_count"));
    }

    @Test
    void completion() {
        assertTrue(complete("sh").contains("show"));
        assertTrue(complete("show z").contains("zone"));
        assertTrue(complete("show zone M").contains("MAP ENTRY"));
        assertTrue(complete("x/4g vmst").contains("vmstats"), "symbol names");
        assertTrue(complete("sysctl vm.stats.vm.v_fr").contains("vm.stats.vm.v_free_count"));
    }

    private static List<String> complete(String line) {
        List<Candidate> out = new ArrayList<>();
        InspectCommand.completer(in).complete(null, new DefaultParser().parse(line, line.length()), out);
        return out.stream().map(Candidate::value).toList();
    }

    @Test
    void truncatedAndCorruptCoresExit2WithOneLine() throws Exception {
        byte[] whole = Files.readAllBytes(core);
        Map<String, byte[]> bad = new java.util.LinkedHashMap<>();
        bad.put("truncated", Arrays.copyOf(whole, whole.length / 2));
        bad.put("header only", Arrays.copyOf(whole, 12));
        bad.put("empty", new byte[0]);
        byte[] flipped = whole.clone();
        flipped[whole.length / 2] ^= 0x40;
        bad.put("flipped", flipped);
        byte[] magic = whole.clone();
        magic[0] = 'X';
        bad.put("magic", magic);
        byte[] version = whole.clone();
        version[9] = 9;
        bad.put("version", version);
        byte[] tail = Arrays.copyOf(whole, whole.length + 3);
        bad.put("trailing bytes", tail);
        for (Map.Entry<String, byte[]> b : bad.entrySet()) {
            Path f = dir.resolve("bad-" + b.getKey().replace(' ', '-') + ".core");
            Files.write(f, b.getValue());
            DfemuRun r = dfemu("inspect", f.toString(), "ps");
            assertEquals(2, r.status(), b.getKey() + ": " + r.out() + r.err());
            assertEquals(1, r.err().lines().count(), b.getKey() + ": " + r.err());
            assertTrue(r.err().startsWith("dfemu inspect: " + f), b.getKey() + ": " + r.err());
            assertTrue(r.out().isEmpty(), b.getKey());
        }
        DfemuRun r = dfemu("inspect", dir.resolve("missing.core").toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("no such core file"), r.err());
    }

    @Test
    void coreAtEndDoesNotChangeTheRun() throws Exception {
        Path endCore = dir.resolve("end.core");
        DfemuRun with = dfemu("boot", image.toString(), "--seed", "2", "--time", "0.2", "--core", endCore.toString(), "--core-at-end");
        DfemuRun without = dfemu("boot", image.toString(), "--seed", "2", "--time", "0.2");
        assertEquals(0, with.status(), with.out() + with.err());
        assertEquals(without.out(), with.out().lines().filter(l -> !l.startsWith("core: ")).map(l -> l + "\n")
                .reduce("", String::concat), "the console is the same with a core written");
        assertTrue(with.out().contains("core: " + endCore), with.out());
        try (DeadKernel d = DeadKernel.open(CoreFile.read(endCore))) {
            assertEquals("ok", d.core().meta("outcome"));
            assertEquals("2", d.core().meta("seed"));
            assertEquals(64, d.core().meta("image_sha256").length());
            assertEquals(image.toString(), d.core().meta("image"));
            List<ThreadInfo> threads = d.core().threads();
            assertTrue(threads.stream().anyMatch(t -> t.name().equals("pagedaemon")), threads.toString());
        }
        DfemuRun noCore = dfemu("boot", image.toString(), "--core-at-end");
        assertEquals(2, noCore.status());
        assertTrue(noCore.err().contains("--core-at-end needs --core FILE"), noCore.err());
    }

    @Test
    void sweepWritesACoreOfEachFailingRun() throws Exception {
        String spec = org.dfemu.tools.FailingSpecs.KMALLOC_OBJ_LIVELOCK;
        Path forks = dir.resolve("forks.img");
        ImageWriter.write(SpecParser.parse("forks.spec", spec.getBytes(StandardCharsets.UTF_8)), forks, false);
        Path cores = dir.resolve("sweep-cores");
        DfemuRun r = dfemu("sweep", forks.toString(), "--no-progress", "--seeds", "1", "--time", "10", "--cores", cores.toString());
        assertEquals(1, r.status(), r.out() + r.err());
        Path c = cores.resolve("forks-default-seed1.core");
        assertTrue(Files.isRegularFile(c), r.out());
        try (DeadKernel d = DeadKernel.open(CoreFile.read(c))) {
            Inspector i = new Inspector(d);
            assertEquals("livelock", d.core().meta("outcome"));
            assertTrue(d.core().meta("headline").startsWith("no progress for 2.000000000 s"), d.core().meta("headline"));
            List<String> ps = i.run("ps").lines();
            assertTrue(ps.stream().anyMatch(l -> l.contains("VMWait") && l.endsWith("pagedaemon")), String.join("\n", ps));
            assertTrue(i.run("vmstat -m").lines().stream().anyMatch(l -> l.trim().startsWith("SWAP")), "the kmalloc_obj zone it waited for");
        }
    }

    /**
     * A panic inside a kernel thread: the console's report and the core's trace show the frames
     * the thread had when it panicked (vm_fault, where pv_alloc's unchecked zalloc failed under
     * debug.fail_zalloc), not what is left after the panic unwound them. The spec is the one
     * dfemu explore shrank from its seed 9.
     */
    @Test
    void aPanicKeepsThePanickingThreadsFrames() throws Exception {
        String spec = """
                setting hw.physmem=16M
                setting hw.ncpu=1
                setting vm.swapmeta_alloc=zalloc
                setting debug.fail_zalloc.probability=4
                program p0
                  map r0 476K rw
                  loop 2
                    wait
                    fork
                      verify r0
                    endfork
                  endloop
                end
                """;
        Path img = dir.resolve("panic.img");
        ImageWriter.write(SpecParser.parse("panic.spec", spec.getBytes(StandardCharsets.UTF_8)), img, false);
        Path c = dir.resolve("panic.core");
        DfemuRun r = dfemu("boot", img.toString(), "--seed", "9", "--time", "5", "--core", c.toString());
        assertEquals(1, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("result: panic"), r.out());
        assertTrue(r.out().contains("panic at 0.000297547 s in tid 6 (p0.3)"), r.out());
        assertTrue(r.out().contains("          p0.3 in vm_fault\n"), r.out());
        try (DeadKernel d = DeadKernel.open(CoreFile.read(c))) {
            List<String> trace = new Inspector(d).run("trace 6").lines();
            assertEquals("#0  vm_fault()", trace.get(1).strip(), String.join("\n", trace));
        }
    }
}
