package org.dfemu.kernel.harness.workload;

/**
 * Workload program data is not what the format in disk-images/README.md allows: bad magic or
 * version, truncated, an unknown opcode, an operand out of range, blocks that do not nest, or a
 * region register used while unmapped. The message is one line, fit to print before exiting
 * with status 2.
 *
 * <p>A problem inside one program's code also carries the instruction's index (from 0, in code
 * order) and the bare problem, so a compiler can report it at the source line instead.
 */
public final class ProgramFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Index of the offending instruction, or -1 if the problem is not about one instruction. */
    private final int instruction;
    private final String problem;

    /** A problem with the data as a whole (header, framing); {@code message} is the whole line. */
    public ProgramFormatException(String message) {
        super(message);
        this.instruction = -1;
        this.problem = message;
    }

    /**
     * A problem with program {@code program} as a whole (name, copies, length): the message is
     * {@code program 'NAME': problem}.
     */
    public ProgramFormatException(String program, String problem) {
        super("program '" + program + "': " + problem);
        this.instruction = -1;
        this.problem = problem;
    }

    /**
     * A problem with instruction {@code instruction} of program {@code program}: the message is
     * {@code program 'NAME' instruction I (TEXT): problem}, without the parenthesis when
     * {@code text} is null (an instruction that could not be decoded).
     */
    public ProgramFormatException(String program, int instruction, String text, String problem) {
        super("program '" + program + "' instruction " + instruction + (text == null ? "" : " (" + text + ")")
                + ": " + problem);
        this.instruction = instruction;
        this.problem = problem;
    }

    /** Index (from 0) of the instruction the problem is about, or -1. */
    public int instruction() { return instruction; }

    /** The problem without the program and instruction prefix. */
    public String problem() { return problem; }
}
