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
import org.dfemu.emulator.memory.PhysmemSize;

/**
 * Reads an image spec, the text {@code dfemu mkimage} builds an image from (grammar in
 * disk-images/README.md):
 *
 * <pre>
 *   # comment                      (outside program blocks, '#' to the end of a line)
 *   setting NAME=VALUE             a boot setting, checked against BootSettings
 *   partition boot|swap|user SIZE  a partition's size, a positive multiple of 4K
 *   program NAME                   opens a block kept verbatim up to a line that is 'end'
 *   end
 * </pre>
 *
 * Strict: the first unknown directive, malformed line, invalid setting, repeated setting,
 * partition or program name, or unclosed block stops the parse with {@code FILE:LINE: problem}.
 */
public final class SpecParser {
    private SpecParser() {}

    /** Largest partition a spec may declare; far beyond any machine dfemu runs. */
    static final long PARTITION_MAX = 1L << 40;
    static final long PARTITION_ALIGN = 4096;

    private static final Pattern PROGRAM_NAME = Pattern.compile("[A-Za-z0-9_.-]+");

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
        private final List<ImageSpec.Program> programs = new ArrayList<>();
        private final Map<String, Integer> programLine = new HashMap<>();

        Parse(String file) {
            this.file = file;
        }

        ImageSpec run(List<String> lines) throws SpecException {
            int i = 0;
            while (i < lines.size()) {
                int lineNo = i + 1;
                String raw = lines.get(i);
                int hash = raw.indexOf('#');
                String line = (hash >= 0 ? raw.substring(0, hash) : raw).strip();
                i++;
                if (line.isEmpty()) continue;
                String[] words = line.split("\\s+");
                switch (words[0]) {
                    case "setting" -> setting(lineNo, words);
                    case "partition" -> partition(lineNo, words);
                    case "program" -> i = program(lineNo, words, lines, i);
                    case "end" -> throw error(lineNo, "'end' without a 'program' block");
                    default -> throw error(lineNo, "unknown directive '" + words[0] + "' (expected setting, partition or program)");
                }
            }
            return new ImageSpec(settings, programs, sizes());
        }

        private void setting(int lineNo, String[] words) throws SpecException {
            int eq = words.length == 2 ? words[1].indexOf('=') : -1;
            if (eq <= 0) throw error(lineNo, "expected 'setting NAME=VALUE'");
            String name = words[1].substring(0, eq);
            String value = words[1].substring(eq + 1);
            try {
                BootSettings.check(name, value);
            } catch (SettingException e) {
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

        /** Reads a program block starting after its directive; returns the index after 'end'. */
        private int program(int lineNo, String[] words, List<String> lines, int next) throws SpecException {
            if (words.length != 2 || !PROGRAM_NAME.matcher(words[1]).matches()) {
                throw error(lineNo, "expected 'program NAME' (NAME of letters, digits, '_', '.', '-')");
            }
            String name = words[1];
            Integer first = programLine.putIfAbsent(name, lineNo);
            if (first != null) throw error(lineNo, "program " + name + " is already defined on line " + first);
            StringBuilder text = new StringBuilder(lines.get(lineNo - 1)).append('\n');
            for (int i = next; i < lines.size(); i++) {
                text.append(lines.get(i)).append('\n');
                if (lines.get(i).strip().equals("end")) {
                    programs.add(new ImageSpec.Program(name, lineNo, text.toString()));
                    return i + 1;
                }
            }
            throw error(lineNo, "program " + name + " has no 'end' line");
        }

        /** Final partition sizes: declared ones checked against their content, defaults for the rest. */
        private Map<PartitionType, Long> sizes() throws SpecException {
            Map<PartitionType, Long> sizes = new EnumMap<>(PartitionType.class);
            sizes.put(PartitionType.BOOT, contentSize(PartitionType.BOOT, LoaderConf.format(settings).length));
            if (!programs.isEmpty() || declared.containsKey(PartitionType.USER)) {
                sizes.put(PartitionType.USER, contentSize(PartitionType.USER, ImageSpec.userContent(programs).length));
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
