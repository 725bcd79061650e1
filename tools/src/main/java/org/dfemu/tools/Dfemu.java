package org.dfemu.tools;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code dfemu} command: boot, mkimage, trace, sweep, inspect. */
@Command(name = "dfemu",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "An emulated x86-64 machine booting a Java port of DragonFly BSD's memory code.",
        subcommands = {
                org.dfemu.tools.boot.BootCommand.class,
                org.dfemu.tools.image.MkimageCommand.class,
                org.dfemu.tools.sweep.SweepCommand.class,
                org.dfemu.tools.explore.ExploreCommand.class,
                org.dfemu.tools.bench.BenchCommand.class,
                org.dfemu.tools.trace.TraceCommand.class,
                org.dfemu.tools.inspect.InspectCommand.class,
                CommandLine.HelpCommand.class})
public final class Dfemu implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command and returns its exit status (0 ok, 1 panic or deadlock, 2 bad usage or input). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Dfemu());
        return cl.execute(args);
    }
}
