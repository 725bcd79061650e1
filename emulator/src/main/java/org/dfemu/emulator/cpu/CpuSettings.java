package org.dfemu.emulator.cpu;

/**
 * The fixed features of the emulated CPUs, chosen when the machine is built.
 *
 * @param nxe          EFER.NXE: when on, the NX bit forbids instruction fetches and a fetch
 *                     fault reports I; when off, NX is a reserved bit. DragonFly enables it
 *                     ({@code machdep.pmap_nx_enable}), so the default is on.
 * @param physAddrBits MAXPHYADDR (36..52): entry bits 51:MAXPHYADDR are reserved. The default,
 *                     46, is what common server parts report.
 */
public record CpuSettings(boolean nxe, int physAddrBits) {
    /** NXE on, MAXPHYADDR 46. */
    public static final CpuSettings DEFAULT = new CpuSettings(true, 46);

    public CpuSettings {
        if (physAddrBits < 36 || physAddrBits > 52) {
            throw new IllegalArgumentException("CpuSettings: MAXPHYADDR " + physAddrBits + " outside 36..52");
        }
    }
}
