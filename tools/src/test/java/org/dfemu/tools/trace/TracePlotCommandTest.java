package org.dfemu.tools.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TracePlotCommandTest {
    @TempDir
    Path dir;

    @Test
    void writesPngAndSvgWithTheThresholdsInTheLegend() throws Exception {
        Path trace = dir.resolve("fix.dftrace");
        TraceFixture.write(trace);
        Path png = dir.resolve("fix.png");
        TraceTestSupport c = new TraceTestSupport();
        assertEquals(0, c.run("plot", trace.toString(), "-o", png.toString(), "--width", "900", "--height", "700"), c.err.toString());
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(900, image.getWidth());
        assertEquals(700, image.getHeight());

        Path svg = dir.resolve("fix.svg");
        assertEquals(0, new TraceTestSupport().run("plot", trace.toString(), "-o", svg.toString()));
        String text = Files.readString(svg);
        assertTrue(text.contains("<svg"), "an SVG document");
        for (String label : new String[] {"free pages (log scale)", "faults/s", "swap I/O (pages/s)", "virtual time (ms)",
                "interrupt_free_min 25", "pageout_free_min 43", "severe 72", "reserved 79", "min 145", "paging_start 435",
                "target1 580", "target2 725", "OOM kill pid 4 (hog)", "deadlock"}) {
            assertTrue(text.contains(label), label);
        }
    }

    @Test
    void anOutputThatIsNeitherPngNorSvgIsRefused() throws Exception {
        Path trace = dir.resolve("fix.dftrace");
        TraceFixture.write(trace);
        TraceTestSupport c = new TraceTestSupport();
        assertEquals(2, c.run("plot", trace.toString(), "-o", dir.resolve("x.gif").toString()));
        assertEquals(1, c.err.toString().lines().count());
        assertTrue(c.err.toString().startsWith("dfemu trace plot: output "), c.err.toString());
    }
}
