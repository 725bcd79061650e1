package org.dfemu.tools;

import org.dfemu.kernel.kern.KernSlaballoc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The repository stands alone: every Markdown and Java file of the checkout (build output and
 * hidden directories aside) is read, and the test fails, listing every {@code file:line}, on
 * <ul>
 *   <li>a pointer outside the repository: the host's work tree ({@link #HOST_TREE}), the design notes,
 *       mail or style guide kept beside the project ({@code shared/NAME.md|txt} and those file
 *       names), or an issue number, which assumes the reader has the tracker;</li>
 *   <li>a relative Markdown link whose file does not exist, leaves the repository, or names an
 *       anchor that no heading of the target produces (GitHub's heading slugs); fenced code
 *       blocks are not links and are skipped;</li>
 *   <li>a mention of a {@code .md} file (or of a {@code disk-images/*.spec}) in prose or a comment
 *       that resolves neither from the file's folder nor from the repository root;</li>
 *   <li>a section number {@code §N.M} that is not a numbered heading of docs/dragonfly-map.md (the
 *       only page with numbered sections), or, in a file that cites that page, a behaviour
 *       number outside its list.</li>
 * </ul>
 * Reads a few hundred small files; no process, no network.
 */
class RepositoryLinksTest {
    /** The repository root; surefire runs in the tools module's folder. */
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final String SELF = "RepositoryLinksTest.java";

    /**
     * The host folder the checkout lives in, assembled so that this checker does not itself
     * commit the path it forbids.
     */
    static final String HOST_TREE = String.join("/", "", "work", "");

    /** Alternatives: the host's tree, the notes kept beside the project, an issue number. */
    private static final Pattern OUTSIDE = Pattern.compile(String.join("|",
            Pattern.quote(HOST_TREE),
            "shared/[\\w.-]+\\.(?:md|txt)",
            "\\b(?:DESIGN|STYLE)\\.md\\b",
            "\\bbuild-notes\\.md\\b",
            "\\bseed-mail\\b",
            "\\b[Ii]ssues? #?\\d+\\b"));

    private static final Pattern MD_LINK = Pattern.compile("!?\\[[^\\]]*]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
    private static final Pattern MENTION = Pattern.compile(
            "(?<![\\w./$-])((?:\\.\\./)*+(?:[\\w-]++/)*+[\\w-]++\\.md|disk-images/[\\w-]++\\.spec)(#[\\w-]+)?(?![\\w$])");
    private static final Pattern SECTION = Pattern.compile("§(\\d+(?:\\.\\d+)?)");
    private static final Pattern BEHAVIOUR = Pattern.compile("\\bbehaviours? (\\d+)(?: and (\\d+))?");
    private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern NUMBERED = Pattern.compile("^#{2,4}\\s+(\\d+(?:\\.\\d+)?)\\.?\\s");
    private static final Pattern BEHAVIOUR_ITEM = Pattern.compile("^(\\d+)\\. ");

    /** One tracked text file: its path and its lines, with Markdown code-fence lines marked. */
    private record Source(Path path, List<String> lines, boolean[] inFence) {
        boolean markdown() { return path.toString().endsWith(".md"); }

        String where(int i) { return ROOT.relativize(path) + ":" + (i + 1); }
    }

    private static List<Source> sources;
    private static Set<String> mapSections;
    private static int mapBehaviours;

    @BeforeAll
    static void read() throws IOException {
        List<Path> files = new ArrayList<>();
        Files.walkFileTree(ROOT, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
                boolean skip = !dir.equals(ROOT) && (name.equals("target") || name.startsWith("."));
                return skip ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                String name = file.getFileName().toString();
                if (attrs.isRegularFile() && (name.endsWith(".md") || name.endsWith(".java"))) files.add(file);
                return FileVisitResult.CONTINUE;
            }
        });
        files.sort(null);
        sources = files.stream().map(RepositoryLinksTest::load).toList();
        Source map = load(ROOT.resolve("docs/dragonfly-map.md"));
        mapSections = new HashSet<>();
        mapBehaviours = 0;
        boolean inBehaviours = false;
        for (int i = 0; i < map.lines().size(); i++) {
            String line = map.lines().get(i);
            if (map.inFence()[i]) continue;
            Matcher n = NUMBERED.matcher(line);
            if (n.find()) mapSections.add(n.group(1));
            if (line.startsWith("## Behaviours")) inBehaviours = true;
            Matcher b = BEHAVIOUR_ITEM.matcher(line);
            if (inBehaviours && b.find()) mapBehaviours = Integer.parseInt(b.group(1));
        }
    }

    private static Source load(Path p) {
        try {
            List<String> lines = Files.readAllLines(p);
            boolean[] fence = new boolean[lines.size()];
            if (p.toString().endsWith(".md")) {
                boolean open = false;
                for (int i = 0; i < lines.size(); i++) {
                    boolean marker = lines.get(i).stripLeading().startsWith("```");
                    fence[i] = open || marker;
                    if (marker) open = !open;
                }
            }
            return new Source(p, lines, fence);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void readsTheRepository() {
        assertTrue(sources.stream().anyMatch(s -> s.path().endsWith("README.md")), "README.md found under " + ROOT);
        assertTrue(sources.size() > 100, "only " + sources.size() + " files found under " + ROOT);
        assertTrue(mapSections.contains("5.3") && mapBehaviours >= 10,
                "docs/dragonfly-map.md: sections " + mapSections + ", behaviours " + mapBehaviours);
    }

    @Test
    void noFilePointsOutsideTheRepository() {
        List<String> problems = new ArrayList<>();
        for (Source s : sources) {
            if (s.path().endsWith(SELF)) continue;
            outsidePointers(s, problems);
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void markdownLinksResolve() {
        List<String> problems = new ArrayList<>();
        for (Source s : sources) {
            if (s.markdown()) links(s, problems);
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void mentionedDocumentsExist() {
        List<String> problems = new ArrayList<>();
        for (Source s : sources) {
            if (!s.path().endsWith(SELF)) mentions(s, problems);
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void mapSectionsAndBehavioursExist() {
        List<String> problems = new ArrayList<>();
        for (Source s : sources) {
            if (!s.path().endsWith(SELF)) sections(s, problems);
        }
        assertEquals(List.of(), problems);
    }

    /** The checks themselves find what they must: each kind of fault in a made-up file. */
    @Test
    void theChecksCatchBrokenPointers() throws IOException {
        assertEquals("paging-where-the-time-goes-session-of-2026-11-25-0900-1010-utc",
                slug("Paging: where the time goes (session of 2026-11-25, 09:00-10:10 UTC)"));
        assertEquals("4-kmalloc-and-the-page-back-end-kern_slaballocc--kernslaballoc",
                slug("4. kmalloc and the page back end: `kern_slaballoc.c` → `KernSlaballoc`"));
        Path doc = ROOT.resolve("docs/probe.md");
        Source probe = new Source(doc, List.of(
                "See /wo" + "rk/shared/DESIGN" + ".md and issue" + " 14.",
                "[ok](design.md#one-page-fault) [gone](nothing.md) [anchor](design.md#no-such-heading)",
                "[out](../../etc/passwd) and a mention of docs/absent.md, §99.1, behaviour 99 of dragonfly-map.md",
                "```", "[in a fence](nothing.md)", "```"), new boolean[] {false, false, false, true, true, true});
        List<String> problems = new ArrayList<>();
        outsidePointers(probe, problems);
        links(probe, problems);
        mentions(probe, problems);
        sections(probe, problems);
        String all = String.join("\n", problems);
        for (String expected : List.of("/wo" + "rk/", "DESIGN" + ".md", "issue" + " 14", "nothing.md: no such file",
                "#no-such-heading", "etc/passwd: outside the repository", "docs/absent.md", "§99.1", "behaviour 99")) {
            assertTrue(all.contains(expected), "not reported: " + expected + "\n" + all);
        }
        // Three outside pointers (shared/DESIGN.md once), three broken links, the same two as
        // mentions plus docs/absent.md, one section, one behaviour; nothing from the fenced block.
        assertEquals(11, problems.size(), all);
    }

    private static void outsidePointers(Source s, List<String> problems) {
        for (int i = 0; i < s.lines().size(); i++) {
            String line = s.lines().get(i);
            // Every alternative of OUTSIDE contains one of these; most lines contain none.
            if (!(line.contains(HOST_TREE) || line.contains("shared/") || line.contains(".md")
                    || line.contains("seed-mail") || line.contains("ssue"))) continue;
            Matcher m = OUTSIDE.matcher(line);
            while (m.find()) problems.add(s.where(i) + ": points outside the repository: " + m.group());
        }
    }

    private static void links(Source s, List<String> problems) {
        for (int i = 0; i < s.lines().size(); i++) {
            String line = s.lines().get(i);
            if (s.inFence()[i] || !line.contains("](")) continue;
            Matcher m = MD_LINK.matcher(line);
            while (m.find()) {
                String target = m.group(1);
                if (target.matches("^[a-z]+:.*")) continue;     // https:, mailto:
                int hash = target.indexOf('#');
                String file = hash < 0 ? target : target.substring(0, hash);
                String anchor = hash < 0 ? null : target.substring(hash + 1);
                Path resolved = file.isEmpty() ? s.path() : s.path().getParent().resolve(file).normalize();
                String problem = check(resolved, anchor, target);
                if (problem != null) problems.add(s.where(i) + ": link " + problem);
            }
        }
    }

    private static void mentions(Source s, List<String> problems) {
        for (int i = 0; i < s.lines().size(); i++) {
            String line = s.lines().get(i);
            if (s.inFence()[i] || !(line.contains(".md") || line.contains(".spec"))) continue;
            Matcher m = MENTION.matcher(line);
            while (m.find()) {
                String name = m.group(1);
                String anchor = m.group(2) == null ? null : m.group(2).substring(1);
                Path here = s.path().getParent().resolve(name).normalize();
                Path fromRoot = ROOT.resolve(name).normalize();
                Path found = Files.exists(here) ? here : Files.exists(fromRoot) ? fromRoot : null;
                String problem = found == null ? name + ": no such file from " + ROOT.relativize(s.path().getParent())
                        + " or the root" : check(found, anchor, m.group());
                if (problem != null) problems.add(s.where(i) + ": mention " + problem);
            }
        }
    }

    private static void sections(Source s, List<String> problems) {
        boolean citesMap = s.lines().stream().anyMatch(l -> l.contains("dragonfly-map.md"))
                || s.path().endsWith(Path.of("docs", "dragonfly-map.md"));
        for (int i = 0; i < s.lines().size(); i++) {
            String line = s.lines().get(i);
            if (s.inFence()[i] || !(line.contains("§") || line.contains("behaviour"))) continue;
            Matcher m = SECTION.matcher(line);
            while (m.find()) {
                if (!mapSections.contains(m.group(1))) {
                    problems.add(s.where(i) + ": §" + m.group(1) + " is no numbered section of docs/dragonfly-map.md");
                }
            }
            if (!citesMap) continue;
            Matcher b = BEHAVIOUR.matcher(line);
            while (b.find()) {
                for (int g = 1; g <= 2; g++) {
                    if (b.group(g) == null) continue;
                    int n = Integer.parseInt(b.group(g));
                    if (n < 1 || n > mapBehaviours) {
                        problems.add(s.where(i) + ": behaviour " + n + " is not in docs/dragonfly-map.md's list of "
                                + mapBehaviours);
                    }
                }
            }
        }
    }

    /** Why {@code resolved} (with {@code anchor}, or null) is not a valid target, or null if it is. */
    private static String check(Path resolved, String anchor, String written) {
        if (!resolved.startsWith(ROOT)) return written + ": outside the repository";
        if (!Files.exists(resolved)) return written + ": no such file";
        if (anchor == null) return null;
        if (!resolved.toString().endsWith(".md")) return written + ": anchor on a file that is not Markdown";
        return anchors(resolved).contains(anchor) ? null : written + ": no heading makes #" + anchor;
    }

    /** The anchors GitHub gives the headings of a Markdown file. */
    private static Set<String> anchors(Path md) {
        Source s = load(md);
        Set<String> out = new HashSet<>();
        for (int i = 0; i < s.lines().size(); i++) {
            if (s.inFence()[i]) continue;
            Matcher m = HEADING.matcher(s.lines().get(i));
            if (!m.matches()) continue;
            String base = slug(m.group(1));
            String a = base;
            for (int k = 1; !out.add(a); k++) a = base + "-" + k;
        }
        return out;
    }

    /** GitHub's heading slug: link text only, lower case, punctuation dropped, spaces to hyphens. */
    static String slug(String heading) {
        String text = heading.replaceAll("\\[([^\\]]*)]\\([^)]*\\)", "$1");
        return text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
    }
}
