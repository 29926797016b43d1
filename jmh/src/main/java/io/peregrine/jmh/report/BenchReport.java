package io.peregrine.jmh.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.text.DecimalFormat;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.peregrine.jmh.StandaloneRun;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Turns a JMH JSON result file into {@code README.md} (tables) and {@code latency-ipc.png} /
 * {@code latency-udp.png} (latency against message size, log scales) in a results directory.
 *
 * <p>Each send-latency point is set beside its floors from the same run: ASYNC_FLUSH against the Aeron round
 * trip plus a Chronicle append, SYNC_FLUSH against the round trip plus append and flush. Ratios are of p50s.
 */
public final class BenchReport
{
    static final String SEND = "SendLatencyBenchmark.send";
    static final String ROUND_TRIP = "AeronRoundTripFloorBenchmark.roundTrip";
    static final String APPEND = "JournalFloorBenchmark.append";
    static final String APPEND_FLUSH = "JournalFloorBenchmark.appendAndFlush";
    static final double STANDALONE_IN_JVM_TARGET = 1.5;
    static final double STANDALONE_TAIL_TARGET = 10;
    static final int STANDALONE_TAIL_MAX_SIZE = 4096;
    static final String REPLICATED = "ReplicationLatencyBenchmark.send";
    static final String TO_READER = "ReaderLatencyBenchmark.sendToReader";
    static final String STALLED = "StalledConsumerBenchmark.send";
    static final String ASYNC_FLUSH = "ASYNC_FLUSH";
    static final String SYNC_FLUSH = "SYNC_FLUSH";
    static final String[] TRANSPORTS = { "ipc", "udp" };
    static final String[] FLUSHES = { ASYNC_FLUSH, SYNC_FLUSH };

    private final List<BenchResult> results;
    private JsonArray standalone;

    BenchReport(final List<BenchResult> results)
    {
        this.results = results;
    }

    /**
     * Write the report and charts for a JMH JSON file.
     *
     * @param json   JMH results, JSON format.
     * @param outDir where to write; a {@code machine.properties} there is used for the header.
     * @return the Markdown file written.
     * @throws IOException if reading or writing fails.
     */
    public static File write(final File json, final File outDir) throws IOException
    {
        System.setProperty("java.awt.headless", "true");
        final BenchReport report = new BenchReport(parse(json));
        final File standalone = new File(json.getAbsoluteFile().getParentFile(), StandaloneRun.FILE_NAME);
        if (standalone.isFile())
        {
            report.standalone = JsonParser.parseString(Files.readString(standalone.toPath(), StandardCharsets.UTF_8)).getAsJsonArray();
        }
        Files.createDirectories(outDir.toPath());
        final List<String> charts = new ArrayList<>();
        for (final String transport : TRANSPORTS)
        {
            final JFreeChart chart = report.chart(transport);
            if (null != chart)
            {
                final String name = "latency-" + transport + ".png";
                ChartUtils.saveChartAsPNG(new File(outDir, name), chart, 1000, 640);
                charts.add(name);
            }
        }
        final File markdown = new File(outDir, "README.md");
        Files.writeString(markdown.toPath(), report.markdown(Machine.read(outDir.toPath()), json.getName(), charts), StandardCharsets.UTF_8);
        return markdown;
    }

    static List<BenchResult> parse(final File json) throws IOException
    {
        final List<BenchResult> parsed = new ArrayList<>();
        final JsonElement root = JsonParser.parseString(Files.readString(json.toPath(), StandardCharsets.UTF_8));
        if (!root.isJsonArray())
        {
            throw new IOException(json + " is not a JMH JSON result file (expected an array)");
        }
        for (final JsonElement entry : root.getAsJsonArray())
        {
            parsed.add(new BenchResult(entry.getAsJsonObject()));
        }
        return parsed;
    }

    BenchResult find(final String benchmark, final String size, final String transport, final String flush)
    {
        for (final BenchResult result : results)
        {
            if (result.benchmark.equals(benchmark) &&
                size.equals(result.param("size")) &&
                (null == transport || transport.equals(result.param("transport"))) &&
                (null == flush || flush.equals(result.param("flush"))))
            {
                return result;
            }
        }
        return null;
    }

    TreeSet<Integer> latencySizes()
    {
        final TreeSet<Integer> sizes = new TreeSet<>();
        for (final BenchResult result : results)
        {
            if (result.benchmark.equals(SEND) || result.benchmark.equals(ROUND_TRIP) || result.benchmark.startsWith("JournalFloorBenchmark."))
            {
                sizes.add(Integer.parseInt(result.param("size")));
            }
        }
        return sizes;
    }

    /**
     * The floor of a send: round trip plus append, plus the flush under SYNC_FLUSH (p50 µs).
     *
     * @return NaN if a part is missing.
     */
    double floorP50(final String size, final String transport, final String flush)
    {
        final BenchResult roundTrip = find(ROUND_TRIP, size, transport, null);
        final BenchResult store = find(flush.equals(SYNC_FLUSH) ? APPEND_FLUSH : APPEND, size, null, null);
        return null == roundTrip || null == store ? Double.NaN : roundTrip.p50 + store.p50;
    }

    static double target(final String transport, final String flush)
    {
        if (flush.equals(SYNC_FLUSH))
        {
            return 1.2;
        }
        return transport.equals("udp") ? 1.5 : 2.0;
    }

    String markdown(final Machine machine, final String jsonName, final List<String> charts)
    {
        final StringBuilder md = new StringBuilder();
        md.append("# Peregrine benchmarks: ").append(machine.get("suite")).append(" suite, ").append(machine.get("date")).append("\n\n");
        if (!machine.isKnown())
        {
            md.append("(No ").append(Machine.FILE_NAME).append(" beside the results: machine, JDK and date unknown.)\n\n");
        }
        md.append("- Machine: ").append(machine.summary()).append('\n');
        md.append("- JDK: ").append(machine.get("jdk")).append('\n');
        md.append("- Raw results: [").append(jsonName).append("](").append(jsonName).append(") (JMH JSON).\n");
        md.append("- Reproduce: `bin/peregrine bench ").append(machine.get("suite")).append("`; ")
            .append("re-render: `bin/peregrine bench report ").append(jsonName).append("`.\n\n");
        final TreeSet<Integer> sizes = latencySizes();
        if (!sizes.isEmpty())
        {
            sendTable(md, sizes);
            floorTable(md, sizes);
        }
        if (null != standalone && !standalone.isEmpty())
        {
            standaloneTable(md);
        }
        replicationTable(md);
        readerTable(md);
        stalledTable(md);
        for (final String chart : charts)
        {
            md.append("![").append(chart).append("](").append(chart).append(")\n\n");
        }
        otherTable(md);
        return md.toString();
    }

    private void sendTable(final StringBuilder md, final TreeSet<Integer> sizes)
    {
        md.append("## Send latency\n\n")
            .append("Blocking `send` until SEND_OK, broker and driver in the benchmark's JVM, one sending thread. ")
            .append("Cells: p50 / p99 µs, then p50 as a multiple of its floor measured in the same run ")
            .append("(ASYNC_FLUSH: round trip + append; SYNC_FLUSH: round trip + append + flush). ")
            .append("Targets: ASYNC_FLUSH ≤ 1.5× over UDP and ≤ 2× over IPC, SYNC_FLUSH ≤ 1.2×; a miss is marked ✗.\n\n");
        md.append("| size |");
        for (final String transport : TRANSPORTS)
        {
            for (final String flush : FLUSHES)
            {
                md.append(' ').append(transport).append(' ').append(flush).append(" |");
            }
        }
        md.append("\n|---|---|---|---|---|\n");
        for (final int size : sizes)
        {
            final String s = Integer.toString(size);
            md.append("| ").append(sizeText(size)).append(" |");
            for (final String transport : TRANSPORTS)
            {
                for (final String flush : FLUSHES)
                {
                    final BenchResult send = find(SEND, s, transport, flush);
                    md.append(' ');
                    if (null == send)
                    {
                        md.append('–');
                    }
                    else
                    {
                        md.append(micros(send.p50)).append(" / ").append(micros(send.p99));
                        final double ratio = send.p50 / floorP50(s, transport, flush);
                        if (!Double.isNaN(ratio))
                        {
                            md.append(String.format(Locale.ROOT, " (%.2f×%s)", ratio, ratio <= target(transport, flush) ? "" : " ✗"));
                        }
                    }
                    md.append(" |");
                }
            }
            md.append('\n');
        }
        md.append('\n');
    }

    /**
     * The broker as its own JVM and perf as another (defaults), beside the in-JVM send of the same run and the floor:
     * the Aeron round trip measured in the same two-JVM layout just before (older runs have none: then the in-JVM round
     * trip) plus the append. The targets of issue 12 are marked: within 1.5× of the in-JVM p50, within the ASYNC_FLUSH
     * target of the floor, and a p99 under 10× the p50 up to 4 KiB. Over several turns each turn's send is set against
     * its own turn's round trip, and each cell is the median of the turns (ratios with their range); marks go by the
     * median.
     */
    private void standaloneTable(final StringBuilder md)
    {
        final boolean twoJvmFloor = hasStandaloneFloor();
        final TreeSet<Integer> turns = new TreeSet<>();
        final TreeSet<Integer> sizes = new TreeSet<>();
        for (final JsonElement entry : standalone)
        {
            sizes.add(entry.getAsJsonObject().get("size").getAsInt());
            turns.add(turnOf(entry.getAsJsonObject()));
        }
        md.append("## As users run it: broker JVM + perf JVM\n\n")
            .append("`bin/peregrine broker` with defaults and `bin/peregrine perf --sizes ... --count 5000` (50,000 up to 4 KiB; perf's default ")
            .append("warm-up: rounds of 1,000 sends for at least 5 s for the first size and 2 s for each next; blocking sends, ASYNC_FLUSH) ")
            .append("in separate JVMs, ")
            .append("run at the end of this suite ([").append(StandaloneRun.FILE_NAME).append("](").append(StandaloneRun.FILE_NAME)
            .append(")). Cells: p50 / p99 µs and p99 as a multiple of p50 (✗ over ").append(fmt(STANDALONE_TAIL_TARGET))
            .append("× up to ").append(sizeText(STANDALONE_TAIL_MAX_SIZE)).append("); the p50 over the in-JVM send's p50 ")
            .append("of this run (✗ over ").append(fmt(STANDALONE_IN_JVM_TARGET)).append("×) and over the floor, round trip + ")
            .append("append (✗ over the ASYNC_FLUSH target). ");
        if (turns.size() > 1)
        {
            md.append("In ").append(turns.size()).append(" turns, each with new JVMs, a fresh broker and store: where two JVMs' ")
                .append("threads land on two cores decides a microsecond send by several times, so one turn is one draw. ")
                .append("Each p50 and p99 is the median of the turns, each multiple and ratio the median of the turns' own (a ")
                .append("turn's send over its own round trip), with their range (min–max); marks go by the median. ");
        }
        if (twoJvmFloor)
        {
            md.append("The round trip here is Aeron's alone in the same layout, measured just before with the same counts and ")
                .append("warm-up: an answering JVM with its own driver where the broker is, a requesting JVM where perf is ")
                .append("(`FloorProcess`); the append is the one of the Floors table.\n\n")
                .append("| size | udp | udp / in-JVM | udp round trip, 2 JVMs | udp / floor ")
                .append("| ipc | ipc / in-JVM | ipc round trip, 2 JVMs | ipc / floor |\n")
                .append("|---|---|---|---|---|---|---|---|---|\n");
        }
        else
        {
            md.append("This run measured no two-JVM round trip: the floor is the one of the Floors table.\n\n")
                .append("| size | udp | udp / in-JVM | udp / floor | ipc | ipc / in-JVM | ipc / floor |\n|---|---|---|---|---|---|---|\n");
        }
        for (final int size : sizes)
        {
            md.append("| ").append(sizeText(size));
            for (final String transport : new String[] { "udp", "ipc" })
            {
                standaloneCells(md, size, transport, twoJvmFloor, turns);
            }
            md.append(" |\n");
        }
        md.append('\n');
    }

    private void standaloneCells(
        final StringBuilder md, final int size, final String transport, final boolean twoJvmFloor, final TreeSet<Integer> turns)
    {
        final List<JsonObject> points = new ArrayList<>();
        final List<JsonObject> roundTrips = new ArrayList<>();
        final List<Double> inJvmRatios = new ArrayList<>();
        final List<Double> floorRatios = new ArrayList<>();
        final BenchResult inJvm = find(SEND, Integer.toString(size), transport, ASYNC_FLUSH);
        int failed = 0;
        for (final int turn : turns)
        {
            final JsonObject point = standalonePoint(size, transport, null, turn);
            final JsonObject roundTrip = twoJvmFloor ? standalonePoint(size, transport, StandaloneRun.FLOOR_ROLE, turn) : null;
            if (null != roundTrip)
            {
                roundTrips.add(roundTrip);
            }
            if (null == point)
            {
                continue;
            }
            final double p50 = point.get("p50_us").getAsDouble();
            if (!(p50 > 0))
            {
                failed++; // a turn whose sends all failed has no latency to take a median of
                continue;
            }
            points.add(point);
            if (null != inJvm)
            {
                inJvmRatios.add(p50 / inJvm.p50);
            }
            final double floor = twoJvmFloor ? twoJvmFloorP50(roundTrip, size) : floorP50(Integer.toString(size), transport, ASYNC_FLUSH);
            if (!Double.isNaN(floor))
            {
                floorRatios.add(p50 / floor);
            }
        }
        if (points.isEmpty())
        {
            md.append(failed > 0 ? " | no latency (every send failed?) | -" : " | - | -");
        }
        else
        {
            md.append(" | ").append(tailCell(points, size)).append(failed > 0 ? " (" + failed + " failed turn" + (failed > 1 ? "s" : "") + ")" : "");
            md.append(" | ").append(inJvmRatios.isEmpty() ? "-" : ratios(inJvmRatios, STANDALONE_IN_JVM_TARGET));
        }
        if (twoJvmFloor)
        {
            md.append(" | ").append(roundTrips.isEmpty() ? "-" : tailCell(roundTrips, size));
        }
        md.append(" | ").append(floorRatios.isEmpty() ? "-" : ratios(floorRatios, target(transport, ASYNC_FLUSH)) +
            (floorRatios.size() < points.size() ? " (" + floorRatios.size() + " of " + points.size() + " turns had a round trip)" : ""));
    }

    /**
     * p50 / p99 µs of perf-style JSON lines (the medians over turns), with p99 as a multiple of p50 (the median of the
     * turns', with their range), marked over the target up to 4 KiB.
     */
    private static String tailCell(final List<JsonObject> points, final int size)
    {
        final List<Double> p50 = new ArrayList<>();
        final List<Double> p99 = new ArrayList<>();
        final List<Double> tails = new ArrayList<>();
        for (final JsonObject point : points)
        {
            p50.add(point.get("p50_us").getAsDouble());
            p99.add(point.get("p99_us").getAsDouble());
            tails.add(Math.round(point.get("p99_us").getAsDouble() / point.get("p50_us").getAsDouble() * 10) / 10.0);
        }
        final double tail = Math.round(median(tails) * 10) / 10.0; // marked as shown
        return micros(median(p50)) + " / " + micros(median(p99)) + " (" + fmt(tail) + '×' +
            (size <= STANDALONE_TAIL_MAX_SIZE && tail > STANDALONE_TAIL_TARGET ? " ✗" : "") +
            (tails.size() > 1 ? ", " + fmt(Collections.min(tails)) + "–" + fmt(Collections.max(tails)) : "") + ")";
    }

    /**
     * The median of some ratios, marked if it is over the target as shown, with their range if there are several.
     */
    private static String ratios(final List<Double> ratios, final double target)
    {
        return ratio(median(ratios), target) +
            (ratios.size() > 1 ? String.format(Locale.ROOT, " (%.2f–%.2f)", Collections.min(ratios), Collections.max(ratios)) : "");
    }

    private static int turnOf(final JsonObject point)
    {
        return point.has("turn") ? point.get("turn").getAsInt() : 0; // before turns, one
    }

    private double twoJvmFloorP50(final JsonObject roundTrip, final int size)
    {
        final BenchResult append = find(APPEND, Integer.toString(size), null, null);
        return null == roundTrip || null == append ? Double.NaN : roundTrip.get("p50_us").getAsDouble() + append.p50;
    }

    private boolean hasStandaloneFloor()
    {
        for (final JsonElement entry : standalone)
        {
            if (entry.getAsJsonObject().has("role"))
            {
                return true;
            }
        }
        return false;
    }

    private static String ratio(final double ratio, final double target)
    {
        final double shown = Math.round(ratio * 100) / 100.0; // marked as shown: 1.50× meets a 1.5× target
        return String.format(Locale.ROOT, "%.2f×%s", shown, shown > target ? " ✗" : "");
    }

    private static String fmt(final double value)
    {
        return value == Math.rint(value) ? Long.toString((long)value) : String.format(Locale.ROOT, "%.1f", value);
    }

    /**
     * @param role null for perf's own line, else the role of a floor line.
     * @param turn of the line (0 for lines from before turns).
     */
    private JsonObject standalonePoint(final int size, final String transport, final String role, final int turn)
    {
        for (final JsonElement entry : standalone)
        {
            final JsonObject point = entry.getAsJsonObject();
            final String pointRole = point.has("role") ? point.get("role").getAsString() : null;
            if (point.get("size").getAsInt() == size && transport.equals(point.get("transport").getAsString()) &&
                Objects.equals(role, pointRole) && turnOf(point) == turn)
            {
                return point;
            }
        }
        return null;
    }

    private void floorTable(final StringBuilder md, final TreeSet<Integer> sizes)
    {
        md.append("## Floors\n\n")
            .append("Same sizes, channels and driver settings, no Peregrine code: a request to an answering agent and a ")
            .append("48-byte answer back (Aeron round trip); the record a broker would store, appended to a plain Chronicle ")
            .append("queue with pages touched ahead (append), and the same plus `FileChannel.force` (append + flush). ")
            .append("Cells: p50 / p99 µs.\n\n")
            .append("| size | round trip ipc | round trip udp | append | append + flush |\n|---|---|---|---|---|\n");
        for (final int size : sizes)
        {
            final String s = Integer.toString(size);
            md.append("| ").append(sizeText(size)).append(" | ")
                .append(cell(find(ROUND_TRIP, s, "ipc", null))).append(" | ")
                .append(cell(find(ROUND_TRIP, s, "udp", null))).append(" | ")
                .append(cell(find(APPEND, s, null, null))).append(" | ")
                .append(cell(find(APPEND_FLUSH, s, null, null))).append(" |\n");
        }
        md.append('\n');
    }

    /**
     * SYNC_MASTER against ASYNC_MASTER (a slave attached to both) per size and producer transport: the difference of
     * the p50s is what waiting for the slave costs, set against its floor, one UDP round trip plus one append.
     */
    private void replicationTable(final StringBuilder md)
    {
        final TreeSet<Integer> sizes = sizesOf(REPLICATED);
        if (sizes.isEmpty())
        {
            return;
        }
        md.append("## Replication: SYNC_MASTER against ASYNC_MASTER\n\n")
            .append("Blocking `send` to a master with one slave (slaveAckPolicy=WRITTEN), both brokers and their drivers in the ")
            .append("benchmark's JVM, the replication hop over UDP on loopback. Cells: p50 / p99 µs; for SYNC_MASTER then the ")
            .append("replication hop (SYNC_MASTER p50 − ASYNC_MASTER p50) and that hop as a multiple of its floor in the same run ")
            .append("(UDP round trip + append). Target: hop ≤ 2× its floor; a miss is marked ✗.\n\n")
            .append("| size | ipc ASYNC_MASTER | ipc SYNC_MASTER | udp ASYNC_MASTER | udp SYNC_MASTER |\n|---|---|---|---|---|\n");
        for (final int size : sizes)
        {
            final String s = Integer.toString(size);
            md.append("| ").append(sizeText(size)).append(" |");
            for (final String transport : TRANSPORTS)
            {
                final BenchResult async = findBy(REPLICATED, s, transport, "role", "ASYNC_MASTER", null);
                final BenchResult sync = findBy(REPLICATED, s, transport, "role", "SYNC_MASTER", null);
                md.append(' ').append(null == async ? "–" : micros(async.p50) + " / " + micros(async.p99)).append(" |");
                md.append(' ');
                if (null == sync)
                {
                    md.append('–');
                }
                else
                {
                    md.append(micros(sync.p50)).append(" / ").append(micros(sync.p99));
                    final double floor = floorP50(s, "udp", ASYNC_FLUSH);
                    if (null != async && !Double.isNaN(floor))
                    {
                        final double hop = sync.p50 - async.p50;
                        final double ratio = hop / floor;
                        md.append(String.format(Locale.ROOT, "; hop %s (%.2f×%s)", micros(hop), ratio, ratio <= 2.0 ? "" : " ✗"));
                    }
                }
                md.append(" |");
            }
            md.append('\n');
        }
        md.append('\n');
    }

    private TreeSet<Integer> sizesOf(final String benchmark)
    {
        final TreeSet<Integer> sizes = new TreeSet<>();
        for (final BenchResult result : results)
        {
            if (result.benchmark.equals(benchmark))
            {
                sizes.add(Integer.parseInt(result.param("size")));
            }
        }
        return sizes;
    }

    private void readerTable(final StringBuilder md)
    {
        final TreeSet<Integer> sizes = sizesOf(TO_READER);
        if (sizes.isEmpty())
        {
            return;
        }
        md.append("## End to end: send to a same-host reader and to a network tail\n\n")
            .append("From `sendAsync` until a `JournalReader` on the broker's store, or a network `Consumer` tailing the broker ")
            .append("over the producer's transport, hands the message over (polling on the benchmark's thread, yielding between ")
            .append("empty polls), beside the blocking send's round trip (ASYNC_FLUSH) of the same run. Cells: p50 / p99 µs; for ")
            .append("the reader and the tail then their p50 over the send's p50 (both see a record once it is appended, before the ")
            .append("SEND_OK travels back; the tail adds the broker's tail thread and a hop). The reader alone, without a broker, ")
            .append("is `JournalReaderBenchmark` below, with its allocation per message.\n\n")
            .append("| size | ipc send | ipc send → reader | ipc send → tail | udp send | udp send → reader | udp send → tail |\n")
            .append("|---|---|---|---|---|---|---|\n");
        for (final int size : sizes)
        {
            final String s = Integer.toString(size);
            md.append("| ").append(sizeText(size)).append(" |");
            for (final String transport : TRANSPORTS)
            {
                final BenchResult send = find(SEND, s, transport, ASYNC_FLUSH);
                md.append(' ').append(null == send ? "–" : micros(send.p50) + " / " + micros(send.p99)).append(" |");
                for (final String via : new String[] { "reader", "tail" })
                {
                    final BenchResult read = findBy(TO_READER, s, transport, "via", via, "reader");
                    md.append(' ').append(null == read ? "–" : micros(read.p50) + " / " + micros(read.p99));
                    if (null != read && null != send)
                    {
                        md.append(String.format(Locale.ROOT, " (%.2f×)", read.p50 / send.p50));
                    }
                    md.append(" |");
                }
            }
            md.append('\n');
        }
        md.append('\n');
    }

    private void stalledTable(final StringBuilder md)
    {
        final TreeSet<Integer> sizes = sizesOf(STALLED);
        if (sizes.isEmpty())
        {
            return;
        }
        md.append("## A consumer that stops reading\n\n")
            .append("The blocking send's round trip (UDP, ASYNC_FLUSH) with no consumer, beside a network consumer that is caught ")
            .append("up (connected, asking for a topic nobody sends), and beside one that subscribed from the start and stopped ")
            .append("reading (kept connected) with 8 MiB, more than its stream holds, stored ahead of it; the same 8 MiB are stored ")
            .append("first in every case. Each size runs turns of the three cases one after the other. Cells: p50 / p99 µs, the ")
            .append("median of the turns. *Stall* is the stalled case over the caught-up one in the same turn: what falling behind ")
            .append("costs producers. *Consumer* is the caught-up case over none: what a connected consumer costs on this host. ")
            .append("Ratios: the median of the turns' (min–max); a range that straddles 1× is noise.\n\n")
            .append("| size | turns | no consumer | caught-up consumer | stalled consumer | stall p50 | stall p99 | consumer p50 |\n")
            .append("|---|---|---|---|---|---|---|---|\n");
        for (final int size : sizes)
        {
            final String s = Integer.toString(size);
            final List<BenchResult[]> turns = stalledTurns(s);
            md.append("| ").append(sizeText(size)).append(" | ").append(turns.size()).append(" | ")
                .append(medianCell(turns, 0)).append(" | ").append(medianCell(turns, 1)).append(" | ").append(medianCell(turns, 2))
                .append(" | ").append(ratios(turns, 2, 1, true)).append(" | ").append(ratios(turns, 2, 1, false))
                .append(" | ").append(ratios(turns, 1, 0, true)).append(" |\n");
        }
        md.append('\n');
    }

    /**
     * The turns of one size: none, caught-up and stalled results of the same turn (null where missing). Results from
     * before turns and the caught-up case (parameter {@code stalled=false|true}) make one turn without a caught-up case.
     */
    private List<BenchResult[]> stalledTurns(final String size)
    {
        final Map<String, BenchResult[]> byTurn = new TreeMap<>();
        for (final BenchResult result : results)
        {
            if (!result.benchmark.equals(STALLED) || !size.equals(result.param("size")))
            {
                continue;
            }
            final String with = null != result.param("with") ? result.param("with") :
                "true".equals(result.param("stalled")) ? "stalled" : "none";
            final int slot = with.equals("none") ? 0 : with.equals("caught-up") ? 1 : 2;
            final String turn = null == result.param("turn") ? "1" : result.param("turn");
            byTurn.computeIfAbsent(turn, (t) -> new BenchResult[3])[slot] = result;
        }
        return new ArrayList<>(byTurn.values());
    }

    private static String medianCell(final List<BenchResult[]> turns, final int slot)
    {
        final List<Double> p50 = new ArrayList<>();
        final List<Double> p99 = new ArrayList<>();
        for (final BenchResult[] turn : turns)
        {
            if (null != turn[slot])
            {
                p50.add(turn[slot].p50);
                p99.add(turn[slot].p99);
            }
        }
        return p50.isEmpty() ? "–" : micros(median(p50)) + " / " + micros(median(p99));
    }

    private static String ratios(final List<BenchResult[]> turns, final int over, final int under, final boolean p50)
    {
        final List<Double> ratios = new ArrayList<>();
        for (final BenchResult[] turn : turns)
        {
            if (null != turn[over] && null != turn[under])
            {
                ratios.add(p50 ? turn[over].p50 / turn[under].p50 : turn[over].p99 / turn[under].p99);
            }
        }
        if (ratios.isEmpty())
        {
            return "–";
        }
        final String median = String.format(Locale.ROOT, "%.2f×", median(ratios));
        return ratios.size() == 1 ? median :
            median + String.format(Locale.ROOT, " (%.2f–%.2f)", Collections.min(ratios), Collections.max(ratios));
    }

    private static double median(final List<Double> values)
    {
        final List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        final int middle = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
    }

    /**
     * @param fallback the value results without the parameter had (from before it existed), or null.
     */
    private BenchResult findBy(
        final String benchmark, final String size, final String transport, final String param, final String value, final String fallback)
    {
        for (final BenchResult result : results)
        {
            final String actual = null == result.param(param) ? fallback : result.param(param);
            if (result.benchmark.equals(benchmark) && size.equals(result.param("size")) &&
                (null == transport || transport.equals(result.param("transport"))) && value.equals(actual))
            {
                return result;
            }
        }
        return null;
    }

    private void otherTable(final StringBuilder md)
    {
        final List<BenchResult> others = new ArrayList<>();
        for (final BenchResult result : results)
        {
            if (!result.benchmark.equals(SEND) && !result.benchmark.equals(ROUND_TRIP) && !result.benchmark.startsWith("JournalFloorBenchmark.") &&
                !result.benchmark.equals(REPLICATED) && !result.benchmark.equals(TO_READER) && !result.benchmark.equals(STALLED))
            {
                others.add(result);
            }
        }
        if (others.isEmpty())
        {
            return;
        }
        md.append("## Throughput, hops, group commit and pre-touch\n\n")
            .append("Score ± 99.9% error as JMH reports it; percentiles for sample-time runs; allocation per operation where ")
            .append("`-prof gc` ran (broker in the same JVM, so it covers producer and broker), with in brackets the part of ")
            .append("Peregrine's threads (producer, broker, sending thread) and of the embedded Aeron drivers' threads; ")
            .append("for SYNC_FLUSH runs the broker's average flush (fsync) under that load and the sends each flush covered.\n\n")
            .append("| benchmark | parameters | threads | score | unit | p50 / p99 / p99.9 µs | alloc B/op (Peregrine / drivers) ")
            .append("| flush µs × sends |\n|---|---|---|---|---|---|---|---|\n");
        for (final BenchResult result : others)
        {
            md.append("| ").append(result.benchmark)
                .append(" | ").append(result.paramsText())
                .append(" | ").append(result.threads)
                .append(" | ").append(number(result.score)).append(" ± ").append(number(result.error))
                .append(" | ").append(result.unit)
                .append(" | ").append(Double.isNaN(result.p50) ? "–" :
                    micros(result.p50) + " / " + micros(result.p99) + " / " + micros(result.p999))
                .append(" | ").append(allocText(result))
                .append(" | ").append(Double.isNaN(result.flushMicros) ? "–" :
                    micros(result.flushMicros) + " × " + String.format(Locale.ROOT, "%.1f", result.sendsPerFlush))
                .append(" |\n");
        }
        md.append('\n');
    }

    private static String allocText(final BenchResult result)
    {
        if (Double.isNaN(result.allocPerOp))
        {
            return "–";
        }
        final String all = String.format(Locale.ROOT, "%.3f", result.allocPerOp);
        return Double.isNaN(result.allocPeregrinePerOp) ? all :
            all + String.format(Locale.ROOT, " (%.3f / %.3f)", result.allocPeregrinePerOp, result.allocDriverPerOp);
    }

    JFreeChart chart(final String transport)
    {
        final XYSeriesCollection data = new XYSeriesCollection();
        final List<Color> colors = new ArrayList<>();
        final List<Boolean> dashed = new ArrayList<>();
        final Color[] flushColors = { new Color(0x1f77b4), new Color(0xd62728) };
        for (int f = 0; f < FLUSHES.length; f++)
        {
            final String flush = FLUSHES[f];
            final XYSeries p50 = new XYSeries(flush + " send p50");
            final XYSeries p99 = new XYSeries(flush + " send p99");
            final XYSeries floor = new XYSeries("floor p50: round trip + append" + (flush.equals(SYNC_FLUSH) ? " + flush" : ""));
            for (final int size : latencySizes())
            {
                final BenchResult send = find(SEND, Integer.toString(size), transport, flush);
                if (null != send)
                {
                    p50.add(size, send.p50);
                    p99.add(size, send.p99);
                }
                final double floorP50 = floorP50(Integer.toString(size), transport, flush);
                if (!Double.isNaN(floorP50))
                {
                    floor.add(size, floorP50);
                }
            }
            add(data, colors, dashed, p50, flushColors[f], false);
            add(data, colors, dashed, p99, flushColors[f].brighter(), false);
            add(data, colors, dashed, floor, flushColors[f].darker(), true);
        }
        final XYSeries roundTrip = new XYSeries("floor p50: round trip");
        for (final int size : latencySizes())
        {
            final BenchResult result = find(ROUND_TRIP, Integer.toString(size), transport, null);
            if (null != result)
            {
                roundTrip.add(size, result.p50);
            }
        }
        add(data, colors, dashed, roundTrip, Color.GRAY, true);
        if (data.getSeriesCount() == 0)
        {
            return null;
        }
        final JFreeChart chart = ChartFactory.createXYLineChart("Peregrine send latency over " + transport.toUpperCase(Locale.ROOT) +
            " against message size", "message size", "latency (µs)", data, PlotOrientation.VERTICAL, true, false, false);
        final XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        final LogAxis sizeAxis = new LogAxis("message size");
        sizeAxis.setBase(2);
        sizeAxis.setTickUnit(new NumberTickUnit(2));
        sizeAxis.setNumberFormatOverride(new SizeFormat());
        sizeAxis.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        plot.setDomainAxis(sizeAxis);
        final LogAxis latencyAxis = new LogAxis("latency (µs)");
        latencyAxis.setTickUnit(new NumberTickUnit(1));
        latencyAxis.setNumberFormatOverride(new DecimalFormat("#,##0.#"));
        plot.setRangeAxis(latencyAxis);
        final XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < data.getSeriesCount(); i++)
        {
            renderer.setSeriesPaint(i, colors.get(i));
            renderer.setSeriesStroke(i, dashed.get(i) ?
                new BasicStroke(1.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 10f, new float[] { 6f, 4f }, 0f) :
                new BasicStroke(2f));
        }
        plot.setRenderer(renderer);
        return chart;
    }

    private static void add(
        final XYSeriesCollection data, final List<Color> colors, final List<Boolean> dashed, final XYSeries series, final Color color,
        final boolean isDashed)
    {
        if (series.getItemCount() > 0)
        {
            data.addSeries(series);
            colors.add(color);
            dashed.add(isDashed);
        }
    }

    static String sizeText(final long size)
    {
        if (size >= 1024 && size % 1024 == 0)
        {
            return size >= 1024 * 1024 && size % (1024 * 1024) == 0 ? size / (1024 * 1024) + " MiB" : size / 1024 + " KiB";
        }
        return size + " B";
    }

    private static String cell(final BenchResult result)
    {
        return null == result ? "–" : micros(result.p50) + " / " + micros(result.p99);
    }

    static String micros(final double value)
    {
        if (Double.isNaN(value))
        {
            return "–";
        }
        return value < 100 ? String.format(Locale.ROOT, "%.1f", value) : String.format(Locale.ROOT, "%,.0f", value);
    }

    private static String number(final double value)
    {
        if (Double.isNaN(value))
        {
            return "–";
        }
        return Math.abs(value) >= 100 ? String.format(Locale.ROOT, "%,.0f", value) : String.format(Locale.ROOT, "%.3f", value);
    }

    /**
     * Axis labels in bytes, KiB and MiB.
     */
    private static final class SizeFormat extends NumberFormat
    {
        private static final long serialVersionUID = 1L;

        public StringBuffer format(final double number, final StringBuffer toAppendTo, final FieldPosition pos)
        {
            return toAppendTo.append(sizeText(Math.round(number)));
        }

        public StringBuffer format(final long number, final StringBuffer toAppendTo, final FieldPosition pos)
        {
            return toAppendTo.append(sizeText(number));
        }

        public Number parse(final String source, final ParsePosition parsePosition)
        {
            return null;
        }
    }
}
