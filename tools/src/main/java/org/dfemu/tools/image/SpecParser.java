package org.dfemu.tools.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.dfemu.emulator.api.TunableException;
import org.dfemu.emulator.memory.PhysmemSize;
import org.dfemu.kernel.harness.workload.Instruction;
import org.dfemu.kernel.harness.workload.Program;
import org.dfemu.kernel.harness.workload.ProgramCheck;
import org.dfemu.kernel.harness.workload.ProgramCodec;
import org.dfemu.kernel.harness.workload.ProgramFormatException;
import org.dfemu.kernel.harness.workload.Workload;

/**
 * Reads an image spec, the text {@code dfemu mkimage} builds an image from (grammar in
 * disk-images/README.md):
 *
 * <pre>
 *   # comment                      ('#' to the end of a line, program blocks included)
 *   setting NAME=VALUE             a boot setting, checked against BootSettings
 *   partition boot|swap|user SIZE  a partition's size, a positive multiple of 4K
 *   program NAME [copies N]        opens a program block: one instruction a line
 *     INSTRUCTION                  (ProgramCompiler)
 *   end                            closes it
 * </pre>
 *
 * Strict: the first unknown directive or instruction, malformed line, invalid setting, repeated
 * setting, partition or program name, unclosed block, or program that breaks the rules of
 * {@link ProgramCheck} stops the parse with {@code FILE:LINE: problem}.
 */
public final class SpecParser {
    private SpecParser() {}

    /** Largest partition a spec may declare; far beyond any machine dfemu runs. */
    static final long PARTITION_MAX = 1L << 40;
    static final long PARTITION_ALIGN = 4096;

    private static final Pattern NUMBER = Pattern.compile("\\d{1,9}");

    /**
     * Parses the spec file at {@code path}; messages name it by its file name.
     *
     * @throws SpecException for the first problem, as {@code FILE:LINE: problem}.
     * @throws IOException if the file cannot be read. May block on file I/O.
     */
    public static ImageSpec parse(Path path) throws IOException, SpecException {
        return parse(path.getFileName().toString(), Files.readAllBytes(path));
    }

    /**
     * Parses spec text; {@code file} is the name used in messages.
     *
     * @throws SpecException for the first problem, as {@code FILE:LINE: problem}. No requirements.
     */
    public static ImageSpec parse(String file, byte[] text) throws SpecException {
        return new Parse(file).run(lines(file, text));
    }

    /** Splits into lines (LF or CRLF), each decoded as strict UTF-8 so a bad byte has a line. */
    private static List<String> lines(String file, byte[] text) throws SpecException {
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= text.length; i++) {
            if (i < text.length && text[i] != '\n') continue;
            if (i == text.length && start == text.length) break;
            int end = i > start && text[i - 1] == '\r' ? i - 1 : i;
            try {
                lines.add(StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(text, start, end - start)).toString());
            } catch (CharacterCodingException e) {
                throw new SpecException(file, lines.size() + 1, "not UTF-8 text");
            }
            start = i + 1;
        }
        return lines;
    }

    /** The state of one parse. */
    private static final class Parse {
        private final String file;
        private final Map<String, String> settings = new LinkedHashMap<>();
        private final Map<String, Integer> settingLine = new HashMap<>();
        private final Map<PartitionType, Long> declared = new EnumMap<>(PartitionType.class);
        private final Map<PartitionType, Integer> declaredLine = new EnumMap<>(PartitionType.class);
        private final List<Program> programs = new ArrayList<>();
        private final Map<String, Integer> programLine = new HashMap<>();

        Parse(String file) {
            this.file = file;
        }

        ImageSpec run(List<String> lines) throws SpecException {
            int i = 0;
            while (i < lines.size()) {
                int lineNo = i + 1;
                String[] words = words(lines.get(i));
                i++;
                if (words.length == 0) continue;
                switch (words[0]) {
                    case "setting" -> setting(lineNo, words);
                    case "partition" -> partition(lineNo, words);
                    case "program" -> i = program(lineNo, words, lines, i);
                    case "end" -> throw error(lineNo, "'end' without a 'program' block");
                    default -> throw error(lineNo, "unknown directive '" + words[0] + "' (expected setting, partition or program)");
                }
            }
            return new ImageSpec(settings, new Workload(programs), sizes());
        }

        /** The words of a line without its comment; none for a blank or comment line. */
        private static String[] words(String raw) {
            int hash = raw.indexOf('#');
            String line = (hash >= 0 ? raw.substring(0, hash) : raw).strip();
            return line.isEmpty() ? new String[0] : line.split("\\s+");
        }

        private void setting(int lineNo, String[] words) throws SpecException {
            int eq = words.length == 2 ? words[1].indexOf('=') : -1;
            if (eq <= 0) throw error(lineNo, "expected 'setting NAME=VALUE'");
            String name = words[1].substring(0, eq);
            String value = words[1].substring(eq + 1);
            try {
                BootSettings.check(name, value);
            } catch (TunableException e) {
                throw error(lineNo, e.getMessage());
            }
            Integer first = settingLine.putIfAbsent(name, lineNo);
            if (first != null) throw error(lineNo, name + " is already set on line " + first);
            settings.put(name, value);
        }

        private void partition(int lineNo, String[] words) throws SpecException {
            if (words.length != 3) throw error(lineNo, "expected 'partition boot|swap|user SIZE'");
            PartitionType type = PartitionType.ofLabel(words[1])
                    .orElseThrow(() -> error(lineNo, "unknown partition '" + words[1] + "' (expected boot, swap or user)"));
            long bytes;
            try {
                bytes = PhysmemSize.parse(words[2]);
            } catch (IllegalArgumentException e) {
                throw error(lineNo, "partition " + type.label() + ": " + e.getMessage());
            }
            if (bytes <= 0 || bytes > PARTITION_MAX) {
                throw error(lineNo, "partition " + type.label() + ": size " + words[2] + " is out of range 4K.."
                        + PhysmemSize.format(PARTITION_MAX));
            }
            if (bytes % PARTITION_ALIGN != 0) {
                throw error(lineNo, "partition " + type.label() + ": size " + words[2] + " is not a multiple of 4K");
            }
            Integer first = declaredLine.putIfAbsent(type, lineNo);
            if (first != null) throw error(lineNo, "partition " + type.label() + " is already declared on line " + first);
            declared.put(type, bytes);
        }

        /**
         * Compiles a program block starting after its directive; returns the index after 'end'.
         * Errors in the code are reported at their line, errors of the block as a whole (its
         * length) at the directive's.
         */
        private int program(int lineNo, String[] words, List<String> lines, int next) throws SpecException {
            String name = words.length > 1 ? words[1] : "";
            String usage = "expected 'program NAME [copies N] [expect exit|segv|killed|exit-or-killed|segv-or-killed]' (NAME of 1.." + Program.NAME_MAX
                    + " letters, digits, '_', '.', '-')";
            if (words.length < 2 || words.length % 2 != 0 || !validName(name)) throw error(lineNo, usage);
            int copies = 1;
            Program.Fate expect = Program.Fate.EXIT;
            boolean seenCopies = false;
            boolean seenExpect = false;
            for (int w = 2; w < words.length; w += 2) {
                switch (words[w]) {
                    case "copies" -> {
                        if (seenCopies || seenExpect) throw error(lineNo, usage);
                        seenCopies = true;
                        if (!NUMBER.matcher(words[w + 1]).matches()) {
                            throw error(lineNo, "copies '" + words[w + 1] + "' is not a decimal number");
                        }
                        copies = Integer.parseInt(words[w + 1]);
                    }
                    case "expect" -> {
                        if (seenExpect) throw error(lineNo, usage);
                        seenExpect = true;
                        expect = null;
                        for (Program.Fate f : Program.Fate.values()) {
                            if (f.word().equals(words[w + 1])) expect = f;
                        }
                        if (expect == null) {
                            throw error(lineNo, "expect: unknown fate '" + words[w + 1] + "' (expected exit, segv, killed, exit-or-killed or segv-or-killed)");
                        }
                    }
                    default -> throw error(lineNo, usage);
                }
            }
            Integer first = programLine.putIfAbsent(name, lineNo);
            if (first != null) throw error(lineNo, "program " + name + " is already defined on line " + first);
            if (programs.size() == Workload.PROGRAMS_MAX) {
                throw error(lineNo, "more than " + Workload.PROGRAMS_MAX + " programs");
            }
            List<Instruction> code = new ArrayList<>();
            List<Integer> codeLines = new ArrayList<>();
            for (int i = next; i < lines.size(); i++) {
                String[] w = words(lines.get(i));
                if (w.length == 0) continue;
                if (w[0].equals("end") && w.length == 1) {
                    try {
                        programs.add(Program.of(name, copies, code, expect));
                    } catch (ProgramFormatException e) {
                        throw error(e.instruction() < 0 ? lineNo : codeLines.get(e.instruction()), e.problem());
                    }
                    return i + 1;
                }
                if (w[0].equals("setting") || w[0].equals("partition") || w[0].equals("program")) {
                    throw error(lineNo, "program " + name + " has no 'end' line before the '" + w[0] + "' on line " + (i + 1));
                }
                try {
                    code.add(ProgramCompiler.instruction(w));
                } catch (IllegalArgumentException e) {
                    throw error(i + 1, e.getMessage());
                }
                codeLines.add(i + 1);
            }
            throw error(lineNo, "program " + name + " has no 'end' line");
        }

        private static boolean validName(String name) {
            try {
                ProgramCheck.checkName(name);
                return true;
            } catch (ProgramFormatException e) {
                return false;
            }
        }

        /** Final partition sizes: declared ones checked against their content, defaults for the rest. */
        private Map<PartitionType, Long> sizes() throws SpecException {
            Map<PartitionType, Long> sizes = new EnumMap<>(PartitionType.class);
            sizes.put(PartitionType.BOOT, contentSize(PartitionType.BOOT, LoaderConf.format(settings).length));
            if (!programs.isEmpty() || declared.containsKey(PartitionType.USER)) {
                sizes.put(PartitionType.USER, contentSize(PartitionType.USER,
                        ProgramCodec.encode(new Workload(programs)).length));
            }
            if (declared.containsKey(PartitionType.SWAP)) {
                sizes.put(PartitionType.SWAP, declared.get(PartitionType.SWAP));
            }
            return sizes;
        }

        private long contentSize(PartitionType type, long contentBytes) throws SpecException {
            Long size = declared.get(type);
            if (size == null) {
                // Room for the content, at least one 4K block, so the partition is never empty.
                return Math.max(PARTITION_ALIGN, (contentBytes + PARTITION_ALIGN - 1) / PARTITION_ALIGN * PARTITION_ALIGN);
            }
            if (contentBytes > size) {
                throw error(declaredLine.get(type), "partition " + type.label() + " of " + PhysmemSize.format(size)
                        + " is too small for its " + contentBytes + " bytes of content");
            }
            return size;
        }

        private SpecException error(int lineNo, String problem) {
            return new SpecException(file, lineNo, problem);
        }
    }
}
