package org.dfemu.tools.trace;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Not a test of its own: writes the fixture to a path given by -Dfixture.out, to look at by hand. */
class FixtureDump {
    @Test
    void dump() throws Exception {
        String out = System.getProperty("fixture.out");
        if (out == null) return;
        TraceFixture.Stats s = TraceFixture.write(Path.of(out));
        System.out.println("fixture: " + s.records + " records, lowest free " + s.lowestFree + " at " + s.lowestFreeAt);
    }
}
