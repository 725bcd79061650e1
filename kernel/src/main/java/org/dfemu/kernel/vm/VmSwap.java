package org.dfemu.kernel.vm;

import org.dfemu.emulator.disk.BlockDevice;
import org.dfemu.emulator.disk.DmaSegment;
import org.dfemu.emulator.disk.IoCallback;
import org.dfemu.kernel.Ctypes;
import org.dfemu.kernel.DataSegment;
import org.dfemu.kernel.Kassert;
import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.kern.SubrBlist;
import org.dfemu.kernel.machine.Param;
import org.dfemu.kernel.sys.Malloc;
import org.dfemu.kernel.sys.Sysctl;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.dfemu.kernel.Ctypes.C_INT;
import static org.dfemu.kernel.Ctypes.C_LONG;
import static org.dfemu.kernel.Ctypes.C_POINTER;

/**
 * vm_swap.c: DragonFly BSD sys/vm/vm_swap.c at commit 737b020b54 (2021-05-28): the swap devices
 * ({@code swdevt[NSWAPDEV]}), swapon ({@link #swaponvp}), the interleaving strategy that routes a
 * swap block to its device ({@link #swapdevStrategy}), swap accounting
 * ({@link #swapacctspace}) and the per-device report {@code swapinfo} prints.
 *
 * <p>Swap space is one block number space of pages, interleaved over up to NSWAPDEV devices in
 * stripes of {@code dmmax = SWB_DMMAX} pages:
 * <pre>
 *   swap block  0..63  64..127  128..191  192..255  256..319 ...
 *   device      0      1        2         3         0        ...
 * </pre>
 * The first stripe of each device is never handed out (it protects a disk label at the start of
 * the partition), so a device of N aligned pages adds N - 64 pages of swap.
 *
 * <p>Globals (data segment): {@code struct swdevt swdevt[NSWAPDEV]}, {@code swblk_t nswap},
 * {@code int nswdev, vm_swap_size, vm_swap_max}.
 *
 * <p>PORT: a swap device is an emulator {@link BlockDevice} (a partition of the image) instead of
 * a vnode: {@code sw_vp} holds the device's slot + 1 as its handle, and the Java object lives in
 * {@link #devices} (host state: the device, not kernel memory). swapoff is not ported (the image's
 * swap is attached for the whole run). The {@code swap_mtx} serialisation is not needed: swapon
 * runs once, at boot, before paging starts.
 */
public final class VmSwap {
    /** {@code NSWAPDEV}. */
    public static final int NSWAPDEV = 4;
    /** {@code SWB_DMMAX = SWBLK_BITS}: the interleave stripe in pages ({@code dmmax}). */
    public static final int SWB_DMMAX = SubrBlist.SWBLK_BITS;
    /** {@code SWB_DMMASK}. */
    public static final long SWB_DMMASK = SWB_DMMAX - 1;
    /** Sectors per page. */
    private static final long SECTORS_PER_PAGE = Param.PAGE_SIZE / BlockDevice.SECTOR_SIZE;

    /** swdevt.sw_flags: the device's space was given to the blist. */
    public static final int SW_FREED = 0x01;
    /** swdevt.sw_flags: swapoff in progress, freed blocks are not returned. */
    public static final int SW_CLOSING = 0x04;

    /**
     * <pre>
     * struct swdevt {
     *     udev_t        sw_dev;      //  0
     *     int           sw_flags;    //  4
     *     int           sw_nblks;    //  8  pages, rounded up to dmmax
     *     int           sw_nused;    // 12  pages allocated
     *     struct vnode *sw_vp;       // 16
     *     struct cdev  *sw_device;   // 24
     * };                             // sizeof 32
     * </pre>
     */
    private static final StructLayout SWDEVT = Ctypes.checkSizeof(MemoryLayout.structLayout(
            C_INT.withName("sw_dev"),
            C_INT.withName("sw_flags"),
            C_INT.withName("sw_nblks"),
            C_INT.withName("sw_nused"),
            C_POINTER.withName("sw_vp"),
            C_POINTER.withName("sw_device")).withName("swdevt"), 32);
    private static final long SW_FLAGS = Ctypes.offset(SWDEVT, "sw_flags");
    private static final long SW_NBLKS = Ctypes.offset(SWDEVT, "sw_nblks");
    private static final long SW_NUSED = Ctypes.offset(SWDEVT, "sw_nused");
    private static final long SW_VP = Ctypes.offset(SWDEVT, "sw_vp");

    private static final StructLayout GLOBALS = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(NSWAPDEV, SWDEVT).withName("swdevt"),
            C_LONG.withName("nswap"),
            C_INT.withName("nswdev"),
            C_INT.withName("vm_swap_size"),
            C_INT.withName("vm_swap_max"),
            Ctypes.pad(4)).withName("vm_swap_globals");
    private static final long SWDEVT_ARRAY = Ctypes.offset(GLOBALS, "swdevt");
    private static final long NSWAP = Ctypes.offset(GLOBALS, "nswap");
    private static final long NSWDEV = Ctypes.offset(GLOBALS, "nswdev");
    private static final long VM_SWAP_SIZE = Ctypes.offset(GLOBALS, "vm_swap_size");
    private static final long VM_SWAP_MAX = Ctypes.offset(GLOBALS, "vm_swap_max");

    private final Kernel kernel;
    private final KernelMemory km;
    private final long globals;
    /** {@code M_SWAP}: the blist's memory. */
    private final long mSwap;
    private final SubrBlist blist;
    /** The device behind each swdevt slot with a non-NULL sw_vp (see the class PORT note). */
    private final BlockDevice[] devices = new BlockDevice[NSWAPDEV];

    /** (boot only) Lays out vm_swap.c's globals, defines M_SWAP and registers the sysctls. */
    public VmSwap(Kernel kernel, DataSegment data, Sysctl sysctl) {
        this.kernel = kernel;
        this.km = kernel.km();
        this.globals = data.alloc(GLOBALS);
        km.store32(globals + NSWDEV, NSWAPDEV);
        // PORT: M_SWAP is subr_blist.c's (static MALLOC_DEFINE); SubrBlist gets its memory through
        // an interface, so the type is defined here, for the blist of swap space.
        this.mSwap = kernel.kernSlaballoc().mallocDefine(data, "SWAP");
        this.blist = new SubrBlist(km, new SubrBlist.Malloc() {
            @Override
            public long kmalloc(long size) {
                return kernel.kernSlaballoc().kmalloc(size, mSwap, Malloc.M_WAITOK | Malloc.M_ZERO);
            }

            @Override
            public void kfree(long addr, long size) {
                kernel.kernSlaballoc().kfree(addr, mSwap);
            }
        });
        sysctl.sysctlInt("vm.nswapdev", globals + NSWDEV, "Number of swap devices");
        // swap_pager.c's SYSCTL_INT(_vm, swap_size, &vm_swap_size) (vm_swap_size is this file's).
        sysctl.sysctlInt("vm.swap_size", globals + VM_SWAP_SIZE, "");
    }

    /** The blist functions (subr_blist.c) over M_SWAP memory. */
    public SubrBlist blist() { return blist; }

    private long swdevt(int index) { return globals + SWDEVT_ARRAY + index * SWDEVT.byteSize(); }

    /** {@code nswdev}. */
    public int nswdev() { return km.load32(globals + NSWDEV); }

    /** {@code nswap}: the first block after the interleaved devices (the blist's size). */
    public long nswap() { return km.load64(globals + NSWAP); }

    /** {@code vm_swap_size}: free swap pages. */
    public int vmSwapSize() { return km.load32(globals + VM_SWAP_SIZE); }

    void vmSwapSize(int v) { km.store32(globals + VM_SWAP_SIZE, v); }

    /** {@code vm_swap_max}: swap pages configured (all devices, without their first stripes). */
    public int vmSwapMax() { return km.load32(globals + VM_SWAP_MAX); }

    /** {@code swdevt[index].sw_nused}: pages of device {@code index} in use. */
    public int swNused(int index) { return km.load32(swdevt(index) + SW_NUSED); }

    /** {@code swdevt[index].sw_nblks}: pages of device {@code index}, rounded up to dmmax; 0 if unused. */
    public int swNblks(int index) { return km.load32(swdevt(index) + SW_NBLKS); }

    /** {@code swdevt[index].sw_flags}. */
    public int swFlags(int index) { return km.load32(swdevt(index) + SW_FLAGS); }

    /** {@code BLK2DEVIDX(blk)}: the device a swap block is on. */
    public int BLK2DEVIDX(long blk) {
        return (int) ((blk / SWB_DMMAX) % nswdev());
    }

    /**
     * swaponvp(): adds {@code dev} as a swap device. Its size in sectors is cut to whole pages and
     * rounded up to whole stripes ({@code aligned_nblks}); the blist is created or grown to
     * {@code nswap = aligned_nblks * nswdev}; every stripe of the device but the first is freed
     * into it, adding to vm_swap_size and vm_swap_max; then swap_pager_newswap() sets the
     * low/high-water marks. Returns 0, EBUSY (already a swap device), EINVAL (all NSWAPDEV slots
     * used) or ENXIO (empty, or more than BLIST_MAXBLKS / nswdev pages). May block (the blist's
     * memory). Call in thread or boot context, before paging.
     *
     * <p>PORT: the device's size comes from {@link BlockDevice#sectorCount()} (dev_dpsize); there
     * is no VOP_OPEN and no swapdev_vp vnode.
     */
    public int swaponvp(BlockDevice dev) {
        int index;
        for (index = 0; index < nswdev(); index++) {
            if (devices[index] == dev) {
                return EBUSY;
            }
            if (km.load64(swdevt(index) + SW_VP) == 0) {
                break;
            }
        }
        if (index == nswdev()) {
            return EINVAL;
        }
        long nblks = dev.sectorCount();
        if (nblks == 0) {
            return ENXIO;
        }
        // Sectors to pages: cut to whole pages first.
        nblks &= ~(SECTORS_PER_PAGE - 1);
        nblks /= SECTORS_PER_PAGE;
        if (nblks > SubrBlist.BLIST_MAXBLKS / nswdev() || nblks == 0) {
            kernel.kprintf(String.format("exceeded maximum of %d blocks per swap unit",
                    SubrBlist.BLIST_MAXBLKS / nswdev()));
            return ENXIO;
        }

        long sp = swdevt(index);
        devices[index] = dev;
        km.store64(sp + SW_VP, index + 1);
        km.store32(sp + SW_FLAGS, SW_FREED);
        km.store32(sp + SW_NUSED, 0);

        long alignedNblks = (nblks + (SWB_DMMAX - 1)) & ~(long) (SWB_DMMAX - 1);
        km.store32(sp + SW_NBLKS, (int) alignedNblks);
        if (alignedNblks * nswdev() > nswap()) {
            km.store64(globals + NSWAP, alignedNblks * nswdev());
        }

        SwapPager sw = kernel.swapPager();
        if (sw.swapblist() == 0) {
            sw.swapblist(blist.blistCreate(nswap()));
        } else {
            long pbl = sw.swapblistAddr();
            blist.blistResize(pbl, nswap(), false);
        }
        for (long dvbase = SWB_DMMAX; dvbase < alignedNblks; dvbase += SWB_DMMAX) {
            long blk = Math.min(alignedNblks - dvbase, SWB_DMMAX);
            long vsbase = index * (long) SWB_DMMAX + dvbase * nswdev();
            blist.blistFree(sw.swapblist(), vsbase, blk);
            vmSwapSize(vmSwapSize() + (int) blk);
            km.store32(globals + VM_SWAP_MAX, vmSwapMax() + (int) blk);
        }
        sw.swapPagerNewswap();
        return 0;
    }

    /**
     * swapacctspace(): {@code count} pages at {@code base} were freed (positive) or allocated
     * (negative): adjusts vm_swap_size and the device's sw_nused. The range lies on one device.
     * Never blocks.
     */
    public void swapacctspace(long base, long count) {
        vmSwapSize(vmSwapSize() + (int) count);
        int index = BLK2DEVIDX(base);
        long sp = swdevt(index);
        km.store32(sp + SW_NUSED, km.load32(sp + SW_NUSED) - (int) count);
    }

    /** {@code swdevt[BLK2DEVIDX(blk)].sw_nused -= npages}, swp_pager_freeswapspace's share. */
    void swNusedSub(long blk, int npages) {
        long sp = swdevt(BLK2DEVIDX(blk));
        km.store32(sp + SW_NUSED, km.load32(sp + SW_NUSED) - npages);
    }

    /** Whether the device of {@code blk} is closing (SW_CLOSING). */
    boolean closing(long blk) {
        return (km.load32(swdevt(BLK2DEVIDX(blk)) + SW_FLAGS) & SW_CLOSING) != 0;
    }

    /**
     * swapdev_strategy(): starts a transfer of {@code npages} pages at swap block {@code blkno}:
     * converts the interleaved block to the device and its page, checks the range, and submits
     * ONE device request for the whole run, from or into the pages' physical addresses
     * {@code pas[0..npages)} in order. {@code done} is called once, in interrupt context, when
     * the request completes. Returns 0, or EINVAL (the run crosses a stripe or the device's end)
     * / ENODEV (no device) without starting anything. Never blocks.
     *
     * <p>PORT: the C hands the bio, whose buffer is the pbuf's KVA mapping of the pages, to
     * vn_strategy on the device, whose driver loads it into a DMA descriptor list. The emulated
     * device takes that list directly: one segment per run of physically adjacent pages, as
     * bus_dmamap_load would build it.
     */
    public int swapdevStrategy(boolean write, long blkno, int npages, long[] pas, IoCallback done) {
        int index;
        long nblkno;
        int nswdev = nswdev();
        if (nswdev > 1) {
            long off = blkno % SWB_DMMAX;
            if (off + npages > SWB_DMMAX) {
                return EINVAL;
            }
            long seg = blkno / SWB_DMMAX;
            index = (int) (seg % nswdev);
            seg /= nswdev;
            nblkno = seg * SWB_DMMAX + off;
        } else {
            index = 0;
            nblkno = blkno;
        }
        long sp = swdevt(index);
        if (nblkno + npages > km.load32(sp + SW_NBLKS)) {
            return EINVAL;
        }
        BlockDevice dev = devices[index];
        if (km.load64(sp + SW_VP) == 0 || dev == null) {
            return ENODEV;
        }
        DmaSegment[] segments = dmaSegments(pas, npages);
        long sector = nblkno * SECTORS_PER_PAGE;
        long count = npages * SECTORS_PER_PAGE;
        if (write) {
            dev.writev(sector, count, km.ram(), segments, done);
        } else {
            dev.readv(sector, count, km.ram(), segments, done);
        }
        return 0;
    }

    /** The DMA descriptor list of {@code npages} pages: physically adjacent pages share a segment. */
    private static DmaSegment[] dmaSegments(long[] pas, int npages) {
        DmaSegment[] segments = new DmaSegment[npages];
        int nseg = 0;
        for (int i = 0; i < npages; ) {
            int j = i + 1;
            while (j < npages && pas[j] == pas[j - 1] + Param.PAGE_SIZE) {
                j++;
            }
            segments[nseg++] = new DmaSegment(pas[i], (long) (j - i) * Param.PAGE_SIZE);
            i = j;
        }
        return nseg == npages ? segments : Arrays.copyOf(segments, nseg);
    }

    /**
     * Discards (TRIM) {@code npages} freed pages at swap block {@code blkno} on its device; the
     * request completes on its own (nothing waits for it). Never blocks.
     *
     * <p>PORT: DragonFly does not TRIM freed swap in this code; dfemu does, so that a sparse image
     * stays sparse (docs/design.md, the block device).
     */
    public void swapdevDiscard(long blkno, int npages) {
        int nswdev = nswdev();
        long seg = blkno / SWB_DMMAX;
        int index = (int) (seg % nswdev);
        long nblkno = (seg / nswdev) * SWB_DMMAX + blkno % SWB_DMMAX;
        BlockDevice dev = devices[index];
        if (dev != null) {
            dev.discard(nblkno * SECTORS_PER_PAGE, npages * SECTORS_PER_PAGE, (id, status) -> { });
        }
    }

    /**
     * The {@code swapinfo} report (pstat -s over vm.swap_info_array): one line per device, then
     * a Total line when there are several. Sizes are 1K-blocks; a device's size leaves out its
     * first stripe, as kvm_getswapinfo does. Any context; reads only.
     */
    public List<String> swapinfo() {
        return swapinfo(this::swapdevName);
    }

    /**
     * (dfemu only) {@link #swapinfo()} naming device {@code index} {@code name.apply(index)}: for
     * a kernel read back from a core, whose devices are not attached.
     */
    public List<String> swapinfo(java.util.function.IntFunction<String> name) {
        List<String> out = new ArrayList<>();
        out.add(String.format("%-20s %10s %10s %10s %8s", "Device", "1K-blocks", "Used", "Avail", "Capacity"));
        long kbPerPage = Param.PAGE_SIZE / 1024;
        long totSize = 0;
        long totUsed = 0;
        int n = 0;
        for (int index = 0; index < nswdev(); index++) {
            if (km.load64(swdevt(index) + SW_VP) == 0) {
                continue;
            }
            long size = (swNblks(index) - SWB_DMMAX) * kbPerPage;
            long used = swNused(index) * kbPerPage;
            out.add(line(name.apply(index), size, used));
            totSize += size;
            totUsed += used;
            n++;
        }
        if (n > 1) {
            out.add(line("Total", totSize, totUsed));
        }
        return out;
    }

    /** (dfemu only) The name of swap device {@code index}, or null if none is attached there. */
    public String swapdevName(int index) {
        BlockDevice dev = devices[index];
        return dev == null ? null : dev.name();
    }

    private static String line(String name, long size, long used) {
        long pct = size == 0 ? 0 : (used * 100 + size / 2) / size;
        return String.format("%-20s %10d %10d %10d %7d%%", name, size, used, size - used, pct);
    }

    /** errno values swaponvp returns. */
    public static final int EBUSY = 16;
    public static final int EINVAL = 22;
    public static final int ENXIO = 6;
    public static final int ENODEV = 19;
}
