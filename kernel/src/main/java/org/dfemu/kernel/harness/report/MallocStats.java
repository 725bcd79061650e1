package org.dfemu.kernel.harness.report;

import org.dfemu.kernel.kern.KernSlaballoc;

import org.dfemu.kernel.Kernel;
import org.dfemu.kernel.KernelMemory;
import org.dfemu.kernel.sys.StructKmallocMgt;
import org.dfemu.kernel.sys.StructKmallocSlab;
import org.dfemu.kernel.sys.StructKmallocUse;
import org.dfemu.kernel.sys.StructMallocType;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code vmstat -m} report: DragonFly's usr.bin/vmstat/vmstat.c domem() and cpuagg() at commit
 * 737b020b54 (2021-05-28), reading the kmemstatistics list of a kernel as vmstat reads it through
 * kvm(3), for plain kmalloc types and kmalloc_obj zones alike.
 *
 * <p>Columns, each summed over the cpus' {@code ks_use[]} (a cpu may hold a negative share, since
 * frees are counted on the freeing cpu):
 * <pre>
 *   Type      ks_shortdesc, spaces turned into '_'
 *   Count     objects in use (inuse)
 *   MemUse    bytes in use (memuse)
 *   SlabUse   kmalloc_obj slabs held: (npartial + nfull + nempty) of the zone plus each cpu's
 *             active and alternate that is not kslab_dummy, times 128 KiB; 0 for plain types
 *   Limit     ks_limit
 *   Requests  allocations ever (calls)
 * </pre>
 * Types never allocated from are skipped unless {@code verbose} (vmstat -v). Numbers are
 * formatted as vmstat's formatnum(value, 5, 1) does (K/M/G suffixes, 1024-based).
 *
 * <p>PORT: DragonFly's malloc_type has no high-water mark, so, as DragonFly's vmstat, the report
 * has no HighUse column. Reads may come from a tool while the machine is stopped; they take no
 * locks, as vmstat takes none.
 */
public final class MallocStats {
    private MallocStats() {}

    /** One type's aggregated row, for programs that want the numbers rather than the text. */
    public record Row(String type, long count, long memUse, long slabUse, long limit, long requests) {}

    /** The rows of every type on kmemstatistics, in list order (the most recently initialised first). */
    public static List<Row> rows(Kernel kernel) {
        KernelMemory km = kernel.km();
        KernSlaballoc sa = kernel.kernSlaballoc();
        long dummy = kernel.kernKmalloc().kslabDummy();
        int ncpus = sa.ncpus();
        List<Row> rows = new ArrayList<>();
        for (long ks = sa.kmemstatistics(); ks != 0; ks = StructMallocType.ks_next(km, ks)) {
            long inuse = 0;
            long memuse = 0;
            long calls = 0;
            long ggm = StructMallocType.ks_mgt(ks);
            long objuse = (StructKmallocMgt.npartial(km, ggm) + StructKmallocMgt.nfull(km, ggm)
                    + StructKmallocMgt.nempty(km, ggm)) * StructKmallocSlab.KMALLOC_SLAB_SIZE;
            for (int i = 0; i < ncpus; i++) {
                long use = StructMallocType.ks_use(km, ks, i);
                inuse += StructKmallocUse.inuse(km, use);
                memuse += StructKmallocUse.memuse(km, use);
                calls += StructKmallocUse.calls(km, use);
                long mgt = StructKmallocUse.mgt(use);
                long active = StructKmallocMgt.active(km, mgt);
                long alternate = StructKmallocMgt.alternate(km, mgt);
                if (active != 0 && active != dummy) {
                    objuse += StructKmallocSlab.KMALLOC_SLAB_SIZE;
                }
                if (alternate != 0 && alternate != dummy) {
                    objuse += StructKmallocSlab.KMALLOC_SLAB_SIZE;
                }
            }
            rows.add(new Row(StructMallocType.shortdesc(km, ks).replace(' ', '_'), inuse, memuse, objuse,
                    StructMallocType.ks_limit(km, ks), calls));
        }
        return rows;
    }

    /** The report's lines, as {@code vmstat -m} prints them (with {@code -v} if {@code verbose}). */
    public static List<String> vmstatM(Kernel kernel, boolean verbose) {
        List<String> out = new ArrayList<>();
        out.add("");
        out.add("Memory statistics by type");
        out.add("\t       Type   Count  MemUse SlabUse   Limit Requests");
        long totuse = 0;
        long totobj = 0;
        long totreq = 0;
        for (Row r : rows(kernel)) {
            if (r.requests() == 0 && !verbose) {
                continue;
            }
            out.add(String.format(Locale.ROOT, "%19s   %s   %s   %s   %s    %s", r.type(),
                    formatnum(r.count()), formatnum(r.memUse()), formatnum(r.slabUse()),
                    formatnum(r.limit()), formatnum(r.requests())));
            totuse += r.memUse();
            totobj += r.slabUse();
            totreq += r.requests();
        }
        out.add("");
        out.add("Memory Totals:  In-Use  Slab-Use Requests");
        out.add(String.format(Locale.ROOT, "                 %s  %s   %s", formatnum(totuse), formatnum(totobj),
                formatnum(totreq)));
        return out;
    }

    /** vmstat's formatnum(value, 5, 1): five characters, 1024-based suffixes, tenths below 100. */
    public static String formatnum(long value) {
        double d = value;
        String fmt;
        final double k = 1024;
        if (value < 1024) {
            fmt = "%5.0f";
        } else if (value < 10 * 1024) {
            fmt = "%4.2fK";
            d /= k;
        } else if (value < 100 * 1024) {
            fmt = "%4.1fK";
            d /= k;
        } else if (value < 1000 * 1024) {
            fmt = "%4.0fK";
            d /= k;
        } else if (value < 10L * 1024 * 1024) {
            fmt = "%4.2fM";
            d /= k * k;
        } else if (value < 100L * 1024 * 1024) {
            fmt = "%4.1fM";
            d /= k * k;
        } else if (value < 1000L * 1024 * 1024) {
            fmt = "%4.0fM";
            d /= k * k;
        } else if (value < 10L * 1024 * 1024 * 1024) {
            fmt = "%4.2fG";
            d /= k * k * k;
        } else if (value < 100L * 1024 * 1024 * 1024) {
            fmt = "%4.1fG";
            d /= k * k * k;
        } else if (value < 1000L * 1024 * 1024 * 1024) {
            fmt = "%4.0fG";
            d /= k * k * k;
        } else {
            fmt = "%4.2fT";
            d /= k * k * k * k;
        }
        return String.format(Locale.ROOT, fmt, d);
    }
}
