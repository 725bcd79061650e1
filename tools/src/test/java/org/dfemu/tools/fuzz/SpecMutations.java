package org.dfemu.tools.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Mutated image specs: lines shuffled, repeated, deleted, swapped or cut; numbers replaced by
 * extreme ones; units replaced by bad ones; unknown words, stray {@code end}s, CRs and bytes that
 * are not UTF-8. One to three mutations per case.
 */
final class SpecMutations {
    private SpecMutations() {}

    private static final Pattern NUMBER = Pattern.compile("\\d+");
    private static final Pattern SIZE = Pattern.compile("(?<=\\s)\\d+[kKmMgGtT]?(?=\\s|$)|(?<==)\\d+[kKmMgGtT]?");
    private static final String[] NUMBERS = {"0", "1", "4096", "4095", "65536", "65537", "256", "257", "1000000000",
        "1000000001", "2147483647", "2147483648", "4294967296", "9223372036854775807", "9223372036854775808",
        "99999999999999999999", "-1", "00000000000000000001", "268435456", "268435457", "3600", "16"};
    private static final String[] SIZES = {"0", "4K", "4k", "1T", "2T", "1025G", "16M", "15M", "1g", "4097", "1.5M",
        "0x1000", "48MB", "48Q", "M", "-4K", "9223372036854775807K", "17179869184T", "4K4K", "48 M", ""};
    private static final String[] DURATIONS = {"0ns", "1ns", "3600s", "3601s", "10", "10xs", "10 ms", "1.5ms",
        "9223372036854775807ns", "99999999999s", "-1ms", "ms", "1h"};
    private static final String[] WORDS = {"partiton swap 8M", "setting", "setting hw.physmem", "setting =1",
        "setting hw.ncpus=2", "setting hw.physmem=64M extra", "partition", "partition swap", "partition root 8M",
        "partition boot 4K", "partition user 4K", "partition swap 4K", "program", "program x", "program x copies",
        "program x copies -1", "program x copies 257", "program this-name-is-too-long", "program x copies 1 more",
        "end", "endloop", "endfork", "loop 1000000000", "fork", "exit", "map r15 1T rw", "map r16 4K rw",
        "map r0 4K wx", "touch r0 random 1000000000 write", "touch r0 stride 268435456 read", "touch r0 seq read",
        "sleep 3600s", "unmap r0", "write r0", "verify r0", "\u00e9", "\t", "#", "setting vm.swapmeta_alloc=kmalloc_obj",
        "setting debug.fail_zalloc.zones=PV_ENTRY,SWAPMETA", "setting debug.fail_page_alloc.classes=", "r0",
        "map r0 4K rw shared", "map r1 8K ro shared", "map r0 4K rw sharde", "thread", "endthread", "wait", "wait 1",
        "program x expect segv", "program x copies 1 expect killed", "program x expect", "program x expect exit copies 2",
        "program x expect never",
        "mlock r0", "mlock r0 0 268435456", "munlock r0 1 1", "mlockall current", "mlockall future,current", "mlockall",
        "munlockall", "mprotect r0 none", "mprotect r0 rw 268435455 1", "madvise r0 free 0 1", "madvise r0 dontneed",
        "madvise r0 sequential", "write r0 0 1", "verify r0 4294967295 1", "unmap r0 0 1", "unmap r0 1 0"};

    /** Mutates {@code spec} (UTF-8 text); notes what was done in {@code m.what}. */
    static byte[] mutate(byte[] spec, Mutator m) {
        List<String> lines = new ArrayList<>(List.of(new String(spec, StandardCharsets.UTF_8).split("\n", -1)));
        int rounds = 1 + m.below(3);
        for (int r = 0; r < rounds; r++) {
            int k = m.below(12);
            if (k == 11) {
                byte[] text = String.join("\n", lines).getBytes(StandardCharsets.UTF_8);
                return bytes(text, m);
            }
            lineMutation(lines, m, k);
        }
        return String.join("\n", lines).getBytes(StandardCharsets.UTF_8);
    }

    private static void lineMutation(List<String> lines, Mutator m, int k) {
        if (lines.isEmpty()) lines.add("");
        int i = m.below(lines.size());
        switch (k) {
            case 0 -> {
                Collections.shuffle(lines, new java.util.Random(m.rnd.nextLong()));
                m.note("lines shuffled");
            }
            case 1 -> {
                int times = 1 + m.below(3);
                for (int t = 0; t < times; t++) lines.add(i, lines.get(i));
                m.note("line " + (i + 1) + " repeated " + times + "x");
            }
            case 2 -> {
                lines.remove(i);
                m.note("line " + (i + 1) + " deleted");
            }
            case 3 -> {
                int cut = m.below(lines.get(i).length() + 1);
                lines.set(i, lines.get(i).substring(0, cut));
                m.note("line " + (i + 1) + " cut to " + cut + " chars");
            }
            case 4 -> {
                int j = m.below(lines.size());
                Collections.swap(lines, i, j);
                m.note("lines " + (i + 1) + " and " + (j + 1) + " swapped");
            }
            case 5, 6 -> replace(lines, i, NUMBER, NUMBERS, m, "number");
            case 7 -> replace(lines, i, SIZE, SIZES, m, "size");
            case 8 -> {
                String line = lines.get(i);
                if (line.contains("sleep")) {
                    String d = m.pick(DURATIONS);
                    lines.set(i, line.replaceAll("sleep\\s+\\S+", Matcher.quoteReplacement("sleep " + d)));
                    m.note("line " + (i + 1) + " sleep " + d);
                } else {
                    replace(lines, i, SIZE, SIZES, m, "size");
                }
            }
            case 9 -> {
                String w = m.pick(WORDS);
                lines.add(i, w);
                m.note("line '" + w + "' inserted at " + (i + 1));
            }
            default -> {
                String line = lines.get(i);
                String[] words = line.strip().split("\\s+");
                if (words.length > 0) {
                    int w = m.below(words.length);
                    words[w] = m.pick(new String[] {"xyzzy", "", "rw", "ro", "copies", "r99", "=", "end"});
                    lines.set(i, "  " + String.join(" ", words));
                    m.note("line " + (i + 1) + " word " + w + " replaced");
                }
            }
        }
    }

    private static void replace(List<String> lines, int i, Pattern p, String[] choices, Mutator m, String what) {
        // Look from line i on for a line that has the pattern, so most of these mutate something.
        for (int n = 0; n < lines.size(); n++) {
            int at = (i + n) % lines.size();
            Matcher mt = p.matcher(lines.get(at));
            List<int[]> hits = new ArrayList<>();
            while (mt.find()) hits.add(new int[] {mt.start(), mt.end()});
            if (hits.isEmpty() || lines.get(at).strip().startsWith("#")) continue;
            int[] h = hits.get(m.below(hits.size()));
            String v = m.pick(choices);
            String line = lines.get(at);
            lines.set(at, line.substring(0, h[0]) + v + line.substring(h[1]));
            m.note("line " + (at + 1) + " " + what + " " + line.substring(h[0], h[1]) + " -> '" + v + "'");
            return;
        }
    }

    /** Byte-level: the text cut, a CR or a byte that is not UTF-8 put somewhere, or a bit flipped. */
    private static byte[] bytes(byte[] text, Mutator m) {
        switch (m.below(4)) {
            case 0 -> {
                int cut = m.below(text.length + 1);
                m.note("spec cut to " + cut + " bytes");
                return Arrays.copyOf(text, cut);
            }
            case 1 -> {
                byte[] g = Arrays.copyOf(text, text.length + 1);
                int at = m.below(g.length);
                System.arraycopy(text, at, g, at + 1, text.length - at);
                g[at] = m.pick(new Byte[] {'\r', (byte) 0xff, (byte) 0xc3, 0, '\t', '#'});
                m.note("byte " + g[at] + " inserted at " + at);
                return g;
            }
            default -> {
                byte[] c = text.clone();
                m.flipBits(c, 0, c.length, "spec");
                return c;
            }
        }
    }
}
