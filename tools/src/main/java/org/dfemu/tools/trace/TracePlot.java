package org.dfemu.tools.trace;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dfemu.emulator.trace.TraceCursor;
import org.dfemu.emulator.trace.TraceReader;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.renderer.xy.XYStepRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.DefaultXYDataset;
import org.jfree.svg.SVGGraphics2D;

/**
 * {@code dfemu trace plot}: free pages against the reserve thresholds (from the vm_thresholds and
 * vm_targets records) over virtual time, on a log scale so the whole ladder from
 * interrupt_free_min to target2 stays readable next to a free count in the thousands; beneath it
 * faults per second and swap I/O in pages per second. Drawn with JFreeChart, headless, to PNG or
 * (with JFreeSVG) SVG.
 *
 * <p>The trace is read once. Free counts are kept per time bin as the bin's lowest and highest
 * value with their times, so a dip to the reserve shows however many records the trace holds.
 */
final class TracePlot {
    private TracePlot() {}

    /** Free-page bins over the trace: enough for a wide image, few enough to draw fast. */
    private static final int FREE_BINS = 2000;

    private static final String[] THRESHOLD_NAMES = {"interrupt_free_min", "pageout_free_min", "severe", "reserved",
            "min", "paging_start", "target1", "target2"};
    private static final Color[] THRESHOLD_COLORS = {new Color(0x7f0000), new Color(0xd62728), new Color(0xff7f0e),
            new Color(0xbcbd22), new Color(0x9467bd), new Color(0x2ca02c), new Color(0x17becf), new Color(0x1f77b4)};

    /** Reads the trace and writes the chart to {@code output}. May block on file I/O. */
    static void write(TraceReader reader, String title, Path output, boolean svg, int width, int height) throws IOException {
        System.setProperty("java.awt.headless", "true");
        TraceTypes t = new TraceTypes(reader.names(), reader::enabled);
        TraceNames names = new TraceNames();

        // time range first (records are in time order except span-end records, so take min/max)
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        TraceCursor c = reader.cursor();
        while (c.next()) {
            long now = c.timeNs();
            if (now < first) first = now;
            if (now > last) last = now;
        }
        if (first == Long.MAX_VALUE) first = last = 0;
        long span = Math.max(TraceTypes.since(last, first), 1);
        long freeBin = Math.max(Math.ceilDiv(span, FREE_BINS), 1);
        long[] minV = new long[FREE_BINS + 1];
        long[] maxV = new long[FREE_BINS + 1];
        long[] minAt = new long[FREE_BINS + 1];
        long[] maxAt = new long[FREE_BINS + 1];
        Arrays.fill(minV, Long.MAX_VALUE);
        Arrays.fill(maxV, Long.MIN_VALUE);
        long rateBin = RateBins.binWidth(span);
        RateBins faults = new RateBins(first, rateBin, span);
        RateBins swapIn = new RateBins(first, rateBin, span);
        RateBins swapOut = new RateBins(first, rateBin, span);
        long[] thresholds = null;
        long[] targets = null;
        List<long[]> events = new ArrayList<>();
        List<String> eventNames = new ArrayList<>();
        int faultType = t.kernelFaults ? t.fault : t.mmuPageFault;

        c = reader.cursor();
        while (c.next()) {
            int type = c.type();
            long now = c.timeNs();
            names.observe(c, t);
            long free = -1;
            if (type == t.pageAlloc) free = c.a2();
            else if (type == t.pageFree) free = c.a1();
            else if (type == faultType && faultType >= 0) faults.add(type == t.fault ? now - Math.max(c.a3(), 0) : now, 1);
            else if (type == t.swapIoStart) (c.a1() != 0 ? swapOut : swapIn).add(now, c.a3());
            else if (type == t.thresholds) thresholds = new long[] {c.a0(), c.a1(), c.a2(), c.a3()};
            else if (type == t.targets) targets = new long[] {c.a0(), c.a1() >>> 32, c.a2() & 0xFFFFFFFFL, c.a2() >>> 32};
            else if (type == t.oomKill) {
                events.add(new long[] {now});
                eventNames.add("OOM kill pid " + c.a0() + " (" + names.process((int) c.a0()) + ")");
            } else if (type == t.panic) {
                events.add(new long[] {now});
                eventNames.add("panic");
            } else if (type == t.schedDeadlock) {
                events.add(new long[] {now});
                eventNames.add("deadlock");
            }
            if (free >= 0) {
                int b = (int) Math.min(TraceTypes.since(now, first) / freeBin, FREE_BINS);
                if (free < minV[b]) {
                    minV[b] = free;
                    minAt[b] = now;
                }
                if (free > maxV[b]) {
                    maxV[b] = free;
                    maxAt[b] = now;
                }
            }
        }

        boolean seconds = span >= 10_000_000_000L;
        double unit = seconds ? 1e9 : 1e6;
        NumberAxis timeAxis = new NumberAxis("virtual time (" + (seconds ? "s" : "ms") + ")");
        timeAxis.setAutoRangeIncludesZero(false);
        // At least a nanosecond wide, and wide enough to tell its ends apart as doubles.
        double lo = first / unit;
        timeAxis.setRange(lo, Math.max(last / unit, lo + Math.max(1 / unit, 64 * Math.ulp(lo))));
        CombinedDomainXYPlot combined = new CombinedDomainXYPlot(timeAxis);
        combined.setGap(12);

        // free pages and the ladder
        DefaultXYDataset freeData = new DefaultXYDataset();
        List<double[]> pts = new ArrayList<>();
        for (int b = 0; b <= FREE_BINS; b++) {
            if (minV[b] == Long.MAX_VALUE) continue;
            boolean minFirst = minAt[b] <= maxAt[b];
            pts.add(new double[] {(minFirst ? minAt[b] : maxAt[b]) / unit, Math.max(1, minFirst ? minV[b] : maxV[b])});
            if (minAt[b] != maxAt[b] || minV[b] != maxV[b]) {
                pts.add(new double[] {(minFirst ? maxAt[b] : minAt[b]) / unit, Math.max(1, minFirst ? maxV[b] : minV[b])});
            }
        }
        freeData.addSeries("free pages", columns(pts));
        XYLineAndShapeRenderer freeRenderer = new XYLineAndShapeRenderer(true, false);
        freeRenderer.setSeriesPaint(0, Color.BLACK);
        freeRenderer.setSeriesStroke(0, new BasicStroke(1.6f));
        long[] ladder = null;
        if (thresholds != null || targets != null) {
            ladder = new long[] {
                    thresholds != null ? thresholds[0] : -1, thresholds != null ? thresholds[1] : -1,
                    thresholds != null ? thresholds[2] : -1, thresholds != null ? thresholds[3] : -1,
                    targets != null ? targets[0] : -1, targets != null ? targets[1] : -1,
                    targets != null ? targets[2] : -1, targets != null ? targets[3] : -1};
            int s = 1;
            for (int i = ladder.length - 1; i >= 0; i--) {
                if (ladder[i] <= 0) continue;
                freeData.addSeries(THRESHOLD_NAMES[i] + " " + ladder[i],
                        new double[][] {{first / unit, last / unit}, {ladder[i], ladder[i]}});
                freeRenderer.setSeriesPaint(s, THRESHOLD_COLORS[i]);
                freeRenderer.setSeriesStroke(s, new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                        new float[] {6f, 4f}, 0f));
                s++;
            }
        }
        LogAxis freeAxis = new LogAxis("free pages (log scale)");
        freeAxis.setBase(10);
        freeAxis.setSmallestValue(1);
        freeAxis.setNumberFormatOverride(new DecimalFormat("#,##0"));
        // ticks at the decades only (1, 10, 100, 1,000 ...), with minor ticks between: the threshold
        // values are in the legend, and LogAxis's own ticks fall on odd numbers like 3,162
        freeAxis.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(1), false, true);
        freeAxis.setMinorTickCount(9);
        freeAxis.setMinorTickMarksVisible(true);
        double top = 10;
        for (double[] p : pts) top = Math.max(top, p[1]);
        if (ladder != null) for (long v : ladder) top = Math.max(top, v);
        double bottom = 10;
        for (double[] p : pts) bottom = Math.min(bottom, p[1]);
        if (ladder != null) for (long v : ladder) if (v > 0) bottom = Math.min(bottom, v);
        if (pts.isEmpty() && ladder == null) freeAxis.setRange(1, 100_000);
        else freeAxis.setRange(Math.max(1, bottom / 1.5), top * 1.5);
        XYPlot freePlot = new XYPlot(freeData, null, freeAxis, freeRenderer);
        freePlot.setNoDataMessage("no free-page counts in this trace (no vm_page_alloc / vm_page_free records)");
        for (int i = 0; i < events.size(); i++) {
            ValueMarker m = new ValueMarker(events.get(i)[0] / unit, new Color(0xd62728), new BasicStroke(1.5f));
            m.setLabel(eventNames.get(i));
            m.setLabelFont(new Font("SansSerif", Font.BOLD, 12));
            m.setLabelPaint(new Color(0xd62728));
            m.setLabelAnchor(RectangleAnchor.TOP_LEFT);
            m.setLabelTextAnchor(TextAnchor.TOP_RIGHT);
            freePlot.addDomainMarker(m);
        }
        combined.add(freePlot, 5);

        // faults per second
        DefaultXYDataset faultData = new DefaultXYDataset();
        if (faultType >= 0 && reader.enabled(faultType)) faultData.addSeries("faults/s", rates(faults, unit));
        XYStepRenderer faultRenderer = new XYStepRenderer();
        faultRenderer.setSeriesPaint(0, new Color(0x8c564b));
        NumberAxis faultAxis = new NumberAxis("faults/s");
        faultAxis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        faultAxis.setNumberFormatOverride(new DecimalFormat("#,##0"));
        XYPlot faultPlot = new XYPlot(faultData, null, faultAxis, faultRenderer);
        faultPlot.setNoDataMessage("no fault records in this trace");
        combined.add(faultPlot, 2);

        // swap I/O
        DefaultXYDataset swapData = new DefaultXYDataset();
        if (t.swapIoStart >= 0 && reader.enabled(t.swapIoStart)) {
            swapData.addSeries("swap out (pageout writes), pages/s", rates(swapOut, unit));
            swapData.addSeries("swap in (reads), pages/s", rates(swapIn, unit));
        }
        XYStepRenderer swapRenderer = new XYStepRenderer();
        swapRenderer.setSeriesPaint(0, new Color(0xe377c2));
        swapRenderer.setSeriesPaint(1, new Color(0x17becf));
        NumberAxis swapAxis = new NumberAxis("swap I/O (pages/s)");
        swapAxis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        swapAxis.setNumberFormatOverride(new DecimalFormat("#,##0"));
        XYPlot swapPlot = new XYPlot(swapData, null, swapAxis, swapRenderer);
        swapPlot.setNoDataMessage("no swap I/O records in this trace");
        combined.add(swapPlot, 2);

        for (XYPlot p : List.of(freePlot, faultPlot, swapPlot)) {
            p.setBackgroundPaint(Color.WHITE);
            p.setDomainGridlinePaint(new Color(0xdddddd));
            p.setRangeGridlinePaint(new Color(0xdddddd));
        }
        JFreeChart chart = new JFreeChart("Free pages against the reserve thresholds: " + title,
                new Font("SansSerif", Font.BOLD, 18), combined, true);
        chart.addSubtitle(new TextTitle(String.format(java.util.Locale.ROOT,
                "%d records over %s of virtual time; faults/s and swap I/O in bins of %s%s", reader.recordCount(),
                TraceTypes.duration(span), TraceTypes.duration(rateBin),
                ladder == null ? "; no vm_thresholds record, so no threshold lines" : ""),
                new Font("SansSerif", Font.PLAIN, 12)));
        chart.setBackgroundPaint(Color.WHITE);

        if (svg) {
            SVGGraphics2D g = new SVGGraphics2D(width, height);
            // JFreeChart draws rotated labels (the y axes) through a TextLayout by default, which
            // an SVG receives as outlines; without the workaround they stay searchable <text>.
            boolean workaround = org.jfree.chart.text.TextUtils.isUseDrawRotatedStringWorkaround();
            org.jfree.chart.text.TextUtils.setUseDrawRotatedStringWorkaround(false);
            try {
                chart.draw(g, new Rectangle2D.Double(0, 0, width, height));
            } finally {
                org.jfree.chart.text.TextUtils.setUseDrawRotatedStringWorkaround(workaround);
            }
            Files.writeString(output, g.getSVGDocument(), StandardCharsets.UTF_8);
        } else {
            ChartUtils.saveChartAsPNG(output.toFile(), chart, width, height);
        }
    }

    private static double[][] columns(List<double[]> pts) {
        double[][] xy = new double[2][pts.size()];
        for (int i = 0; i < pts.size(); i++) {
            xy[0][i] = pts.get(i)[0];
            xy[1][i] = pts.get(i)[1];
        }
        return xy;
    }

    private static double[][] rates(RateBins bins, double unit) {
        int n = bins.count.length;
        double[][] xy = new double[2][n];
        for (int b = 0; b < n; b++) {
            xy[0][b] = (bins.origin + b * bins.width) / unit;
            xy[1][b] = bins.perSecond(b);
        }
        return xy;
    }
}
