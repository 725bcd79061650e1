/**
 * Workload programs: what the processes of a booted image run (format and text syntax in
 * disk-images/README.md). This package is not a port of a DragonFly file: it stands in for the
 * user programs a real system would exec.
 *
 * <ul>
 *   <li>{@link org.dfemu.kernel.user.ProgramCodec} decodes (and validates) the user partition
 *       into a {@link org.dfemu.kernel.user.Workload} of {@link org.dfemu.kernel.user.Program}s,
 *       each a flat list of {@link org.dfemu.kernel.user.Instruction}s; {@code dfemu mkimage}
 *       encodes with the same class.</li>
 *   <li>{@link org.dfemu.kernel.user.ProgramCheck} holds the rules every program obeys.</li>
 *   <li>{@link org.dfemu.kernel.user.ProgramInterpreter} steps one process's program and yields
 *       {@link org.dfemu.kernel.user.Action}s (map, unmap, write or verify one page, sleep, fork,
 *       exit) for the kernel to carry out through the MMU; it never touches memory itself.</li>
 *   <li>{@link org.dfemu.kernel.user.PagePattern} defines the words written into pages and
 *       checked on verification.</li>
 * </ul>
 */
package org.dfemu.kernel.user;
