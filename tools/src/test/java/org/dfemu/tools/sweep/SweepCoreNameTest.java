package org.dfemu.tools.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code sweep --cores}: each failing run's core is named by image, variant and seed. */
class SweepCoreNameTest {
    @Test
    void nameByImageVariantAndSeed() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("vm.swapmeta_alloc", "kmalloc_obj");
        settings.put("kern.hz", "250");
        assertEquals("swapmeta-pressure-vm.swapmeta_alloc=kmalloc_obj_kern.hz=250-seed7.core",
                SweepCommand.coreName(Path.of("images/swapmeta-pressure.img"), new Variant(settings), 7));
        assertEquals("default-default-seed1.core", SweepCommand.coreName(Path.of("default.img"), new Variant(Map.of()), 1));
        assertEquals("odd-a_b=x_y-seed3.core",
                SweepCommand.coreName(Path.of("odd.img"), new Variant(Map.of("a/b", "x y")), 3));
    }
}
