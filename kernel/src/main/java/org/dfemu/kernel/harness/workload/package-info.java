/**
 * Workload programs: what the processes of a booted image run (format and text syntax in
 * disk-images/README.md). This package is not a port of a DragonFly file: it stands in for the
 * user programs a real system would exec.
 *
 * <ul>
 *   <li>{@link org.dfemu.kernel.harness.workload.ProgramCodec} decodes (and validates) the user partition
 *       into a {@link org.dfemu.kernel.harness.workload.Workload} of {@link org.dfemu.kernel.harness.workload.Program}s,
 *       each a flat list of {@link org.dfemu.kernel.harness.workload.Instruction}s; {@code dfemu mkimage}
 *       encodes with the same class.</li>
 *   <li>{@link org.dfemu.kernel.harness.workload.ProgramCheck} holds the rules every program obeys.</li>
 *   <li>{@link org.dfemu.kernel.harness.workload.ProgramInterpreter} steps one process's program and yields
 *       {@link org.dfemu.kernel.harness.workload.Action}s (map, unmap, write or verify one page, sleep, fork,
 *       exit) for the kernel to carry out through the MMU; it never touches memory itself.</li>
 *   <li>{@link org.dfemu.kernel.harness.workload.PagePattern} defines the words written into pages and
 *       checked on verification.</li>
 * </ul>
 */
package org.dfemu.kernel.harness.workload;
