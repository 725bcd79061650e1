package org.dfemu.tools.image;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed, validated image spec (see {@link SpecParser}): what {@link ImageWriter} builds.
 *
 * @param settings       boot settings in spec order, each known and valid
 * @param programs       the program blocks in spec order
 * @param partitionBytes the size of every partition the image will have (boot always; user if
 *                       the spec has programs or declares it; swap if declared), each a positive
 *                       multiple of 4K large enough for its content
 */
public record ImageSpec(Map<String, String> settings, List<Program> programs,
                        Map<PartitionType, Long> partitionBytes) {
    /**
     * One {@code program NAME ... end} block, kept verbatim until the processes issue defines
     * what a program is.
     *
     * @param line the spec line of the {@code program} directive
     * @param text the block from its {@code program} line through its {@code end} line, each
     *             line ending in a newline
     */
    public record Program(String name, int line, String text) {}

    public ImageSpec {
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        programs = List.copyOf(programs);
        Map<PartitionType, Long> sizes = new EnumMap<>(PartitionType.class);
        sizes.putAll(partitionBytes);
        partitionBytes = Collections.unmodifiableMap(sizes);
    }

    /** The boot partition's content: the settings as loader.conf lines. */
    public byte[] bootContent() {
        return LoaderConf.format(settings);
    }

    /** The user partition's content: the program blocks concatenated, UTF-8. */
    public byte[] userContent() {
        return userContent(programs);
    }

    static byte[] userContent(List<Program> programs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Program p : programs) {
            out.writeBytes(p.text().getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }
}
