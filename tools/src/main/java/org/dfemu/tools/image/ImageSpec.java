package org.dfemu.tools.image;

import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dfemu.kernel.harness.workload.Program;
import org.dfemu.kernel.harness.workload.ProgramCodec;
import org.dfemu.kernel.harness.workload.Workload;

/**
 * A parsed, validated image spec (see {@link SpecParser}): what {@link ImageWriter} builds.
 *
 * @param settings       boot settings in spec order, each known and valid
 * @param workload       the compiled program blocks in spec order (empty if there are none)
 * @param partitionBytes the size of every partition the image will have (boot always; user if
 *                       the spec has programs or declares it; swap if declared), each a positive
 *                       multiple of 4K large enough for its content
 */
public record ImageSpec(Map<String, String> settings, Workload workload, Map<PartitionType, Long> partitionBytes) {
    public ImageSpec {
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        Map<PartitionType, Long> sizes = new EnumMap<>(PartitionType.class);
        sizes.putAll(partitionBytes);
        partitionBytes = Collections.unmodifiableMap(sizes);
    }

    /** The programs in spec order. */
    public List<Program> programs() {
        return workload.programs();
    }

    /** The boot partition's content: the settings as loader.conf lines. */
    public byte[] bootContent() {
        return LoaderConf.format(settings);
    }

    /** The user partition's content: the workload in the binary program format. */
    public byte[] userContent() {
        return ProgramCodec.encode(workload);
    }
}
