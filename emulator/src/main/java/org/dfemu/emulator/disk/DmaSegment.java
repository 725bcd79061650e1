package org.dfemu.emulator.disk;

/**
 * One entry of a scatter-gather list: {@code len} bytes of RAM at physical address {@code pa},
 * as in a hardware DMA descriptor table (AHCI's PRDT, NVMe's SGL). A request's segments are
 * transferred in list order to or from its consecutive sectors, so the RAM behind one request
 * need not be contiguous.
 *
 * <p>Built by whoever submits; the device checks the segments when the request is submitted
 * (see {@link BlockDevice#readv}) and never throws for a bad one.
 *
 * @param pa  physical address of the first byte
 * @param len bytes in this segment; the device accepts whole sectors only (a multiple of 512)
 */
public record DmaSegment(long pa, long len) {
}
