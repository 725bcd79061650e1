/**
 * What people run: the {@code dfemu} command (boot, mkimage, sweep, explore, trace, inspect,
 * bench) over the kernel module. It is shaded into one jar and runs on the class path; this
 * descriptor makes the compiler hold tools to what the kernel and the emulator export.
 */
// jfreechart, jline, JMH and HdrHistogram name no module of their own (their jar names stand in).
@SuppressWarnings("requires-automatic")
module org.dfemu.tools {
    requires org.dfemu.kernel;
    requires java.desktop;
    requires java.management;
    requires jdk.management;
    requires info.picocli;
    requires com.fasterxml.jackson.databind;
    requires org.jfree.jfreechart;
    requires org.jfree.svg;
    requires me.tongfei.progressbar;
    requires org.jline;
    requires jmh.core;
    requires HdrHistogram;

    // picocli sets the annotated option fields of the commands reflectively.
    opens org.dfemu.tools to info.picocli;
    opens org.dfemu.tools.boot to info.picocli;
    opens org.dfemu.tools.image to info.picocli;
    opens org.dfemu.tools.sweep to info.picocli;
    opens org.dfemu.tools.explore to info.picocli;
    opens org.dfemu.tools.inspect to info.picocli;
    opens org.dfemu.tools.trace to info.picocli;
    opens org.dfemu.tools.bench to info.picocli;
}
