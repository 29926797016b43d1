package io.peregrine.jmh;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.peregrine.jmh.report.BenchReport;
import io.peregrine.jmh.report.Machine;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.profile.Profiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * {@code bin/peregrine bench [quick|full] [JMH options]}: runs the suites, writes the JMH JSON, a Markdown
 * report and PNG charts into a new directory under {@code jmh/results/}, named by date and suite.
 * {@code bin/peregrine bench report RESULTS.json [DIR]} writes the report and charts again from a JSON file.
 *
 * <p>{@code quick} takes five sizes (64 B, 1 KiB, 4 KiB, 64 KiB, 512 KiB), short iterations and the 1-producer IPC
 * throughput points: about 5 minutes on 2 cores. {@code full} takes every size, transport, flush policy and
 * parameter with the iteration counts written on each benchmark, SYNC_MASTER against ASYNC_MASTER, send to a
 * same-host reader and to a network tail, and producers beside a stalled consumer, a caught-up one and none: about
 * 55 minutes. JMH options given after the suite win over the suite's own (for example {@code -p size=1024} or
 * {@code -i 10}); an include pattern keeps only the benchmarks it matches.
 */
public final class Bench
{
    private static final String USAGE = String.join("\n",
        "usage: bin/peregrine bench [quick|full] [JMH options]",
        "       bin/peregrine bench report RESULTS.json [OUTPUT_DIR]",
        "  quick  five sizes, short iterations, 1-producer IPC throughput (about 5 minutes on 2 cores, then the standalone turns)",
        "  full   every size x transport x flush policy, floors, throughput, hops, group commit, pre-touch, SYNC_MASTER,",
        "         send to a same-host reader and to a network tail, the reader alone with -prof gc, a stalled consumer",
        "         beside a caught-up one and none (about 55 minutes)",
        "Both end with the same sizes as users run them, in " + StandaloneRun.TURNS + " turns: a broker JVM and a perf JVM, each turn after",
        "the Aeron round trip in the same two-JVM layout (standalone.json, a table in the report; about 5 minutes).",
        "Results: jmh/results/<date>-<suite>/ with results.json, README.md (tables) and latency-*.png.",
        "JMH options after the suite override the suite's settings, e.g. -p size=1024 or -i 10; -h lists them.");

    private static final String[] QUICK_SIZES = { "64", "1024", "4096", "65536", "524288" };

    private Bench()
    {
    }

    /**
     * Entry point.
     *
     * @param args {@code [--out DIR] [quick|full|report] [JMH options]}.
     * @throws Exception if a run or the report fails.
     */
    public static void main(final String[] args) throws Exception
    {
        List<String> rest = new ArrayList<>(Arrays.asList(args));
        File resultsRoot = new File("jmh/results");
        if (rest.size() >= 2 && rest.get(0).equals("--out"))
        {
            resultsRoot = new File(rest.get(1));
            rest = rest.subList(2, rest.size());
        }
        final String suite = rest.isEmpty() ? "quick" : rest.get(0);
        if (suite.equals("-h") || suite.equals("--help") || suite.equals("help"))
        {
            System.out.println(USAGE);
            return;
        }
        if (suite.equals("report"))
        {
            report(rest.subList(1, rest.size()));
            return;
        }
        if (!suite.equals("quick") && !suite.equals("full"))
        {
            System.err.println("bench: unknown suite '" + suite + "'; use quick, full or report\n" + USAGE);
            System.exit(2);
        }
        final CommandLineOptions jmhArgs;
        final CommandLineOptions userSettings;
        try
        {
            final List<String> jmhArgList = rest.subList(1, rest.size());
            jmhArgs = new CommandLineOptions(jmhArgList.toArray(new String[0]));
            userSettings = new CommandLineOptions(withoutIncludes(jmhArgList, jmhArgs.getIncludes()).toArray(new String[0]));
        }
        catch (final CommandLineOptionException ex)
        {
            System.err.println("bench: " + ex.getMessage() + "\n" + USAGE);
            System.exit(2);
            return;
        }
        if (jmhArgs.shouldHelp())
        {
            System.out.println(USAGE);
            jmhArgs.showHelp();
            return;
        }
        run(suite, jmhArgs, userSettings, resultsRoot);
    }

    /**
     * The user's JMH arguments without their include patterns (the arguments that are no option's value). Each
     * group applies the patterns to its own benchmarks; given to JMH as the parent options they would add to
     * every group's includes and run what they match in every group, with that group's settings. JMH sends
     * its options to the forked JVMs, so they must stay JMH's own, serialisable kind.
     */
    static List<String> withoutIncludes(final List<String> args, final List<String> includes)
    {
        final List<String> kept = new ArrayList<>();
        for (int i = 0; i < args.size(); i++)
        {
            final boolean optionValue = i > 0 && args.get(i - 1).startsWith("-");
            if (optionValue || !includes.contains(args.get(i)))
            {
                kept.add(args.get(i));
            }
        }
        return kept;
    }

    private static void report(final List<String> args) throws IOException
    {
        if (args.isEmpty())
        {
            System.err.println("bench report: name the JMH JSON file\n" + USAGE);
            System.exit(2);
        }
        final File json = new File(args.get(0));
        if (!json.isFile())
        {
            System.err.println("bench report: no such file " + json);
            System.exit(2);
        }
        final File out = args.size() > 1 ? new File(args.get(1)) : json.getAbsoluteFile().getParentFile();
        final File written = BenchReport.write(json, out);
        System.out.println("report: " + written);
    }

    private static void run(final String suite, final CommandLineOptions jmhArgs, final CommandLineOptions userSettings, final File resultsRoot)
        throws IOException, RunnerException
    {
        final boolean quick = suite.equals("quick");
        final String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd-HHmm"));
        final Path out = resultsRoot.toPath().resolve(stamp + "-" + suite);
        Files.createDirectories(out);
        Files.writeString(out.resolve(Machine.FILE_NAME), Machine.describe().toProperties(suite), StandardCharsets.UTF_8);

        final List<RunResult> results = new ArrayList<>();
        final File json = out.resolve("results.json").toFile();
        for (final Group group : groups(quick))
        {
            final List<String> included = group.included(jmhArgs.getIncludes());
            if (included.isEmpty())
            {
                continue;
            }
            final ChainedOptionsBuilder options = new OptionsBuilder().parent(userSettings);
            included.forEach(options::include);
            group.apply(options, jmhArgs);
            // a point that fails (its exception is in the log) must not cost the rest of the suite its results
            options.shouldFailOnError(false);
            System.out.println("bench: running " + group.name + ": " + String.join(", ", included));
            results.addAll(new Runner(options.build()).run());
            writeJson(results, json);
        }
        standalone(resultsRoot, quick, out);
        final File report = BenchReport.write(json, out.toFile());
        System.out.println("bench: " + results.size() + " results; report " + report);
    }

    /**
     * The same sizes as users run them: a broker JVM and a perf JVM (see {@link StandaloneRun}), if the runnable jar is
     * built beside the results' repository; otherwise said and skipped.
     */
    private static void standalone(final File resultsRoot, final boolean quick, final Path out)
    {
        final File root = resultsRoot.getAbsoluteFile().getParentFile().getParentFile();
        final File cliJar = new File(root, "cli/target/peregrine-cli.jar");
        if (!cliJar.isFile())
        {
            System.out.println("bench: no " + cliJar + " (mvn package builds it): standalone broker + perf skipped");
            return;
        }
        final List<String> sizes = quick ? List.of(QUICK_SIZES) : List.of("64", "256", "1024", "4096", "16384", "65536", "262144", "524288");
        System.out.println("bench: running standalone: broker JVM + perf JVM, udp and ipc, sizes " + sizes + ", " + StandaloneRun.TURNS + " turns");
        try
        {
            System.out.println("bench: standalone results " + new StandaloneRun(cliJar).run(sizes, 5000, StandaloneRun.TURNS, out));
        }
        catch (final IOException | InterruptedException | RuntimeException ex)
        {
            System.out.println("bench: standalone run failed: " + ex); // the JMH results still get their report
        }
    }

    /**
     * JMH's JSON without the sample histograms (about 20 MB for the full suite; the percentiles stay).
     */
    private static void writeJson(final List<RunResult> results, final File json) throws IOException
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream stream = new PrintStream(bytes, true, StandardCharsets.UTF_8))
        {
            ResultFormatFactory.getInstance(ResultFormatType.JSON, stream).writeOut(results);
        }
        final JsonArray entries = JsonParser.parseString(bytes.toString(StandardCharsets.UTF_8)).getAsJsonArray();
        for (final JsonElement entry : entries)
        {
            final JsonObject object = entry.getAsJsonObject();
            object.getAsJsonObject("primaryMetric").remove("rawDataHistogram");
            if (object.has("secondaryMetrics"))
            {
                for (final Map.Entry<String, JsonElement> metric : object.getAsJsonObject("secondaryMetrics").entrySet())
                {
                    metric.getValue().getAsJsonObject().remove("rawDataHistogram");
                }
            }
        }
        Files.writeString(json.toPath(), new GsonBuilder().setPrettyPrinting().create().toJson(entries), StandardCharsets.UTF_8);
    }

    private static List<Group> groups(final boolean quick)
    {
        final List<Group> groups = new ArrayList<>();
        final Group latency = new Group("latency", SendLatencyBenchmark.class, AeronRoundTripFloorBenchmark.class, JournalFloorBenchmark.class);
        final Group throughput = new Group("throughput", AsyncThroughputBenchmark.class)
            .profile(GCProfiler.class).profile(ThreadAllocationProfiler.class);
        final Group hops = new Group("hops", InboundHopBenchmark.class, OfferPathBenchmark.class).threads(1);
        final Group batch = new Group("blocking", BlockingSendBenchmark.class).threads(1)
            .profile(GCProfiler.class).profile(ThreadAllocationProfiler.class);
        final Group groupCommit = new Group("group-commit", SyncFlushBenchmark.class).profile(FlushProfiler.class);
        if (quick)
        {
            latency.iterations(1, 1, 3, 1).param("size", QUICK_SIZES);
            throughput.iterations(1, 1, 3, 1).param("transport", "ipc").param("producers", "1");
            hops.iterations(1, 1, 3, 1).param("size", "1024");
            groups.add(latency);
            groups.add(throughput);
            groups.add(hops);
        }
        else
        {
            groups.add(latency);
            groups.add(throughput);
            groups.add(batch);
            groups.add(hops);
            groups.add(groupCommit.threads(1));
            groups.add(new Group("group-commit-4", SyncFlushBenchmark.class).threads(4).only("syncFlushSend").profile(FlushProfiler.class));
            groups.add(new Group("group-commit-16", SyncFlushBenchmark.class).threads(16).only("syncFlushSend").profile(FlushProfiler.class));
            groups.add(new Group("pretouch", PreTouchBenchmark.class));
            groups.add(new Group("replication", ReplicationLatencyBenchmark.class));
            groups.add(new Group("reader", ReaderLatencyBenchmark.class));
            groups.add(new Group("reader-gc", JournalReaderBenchmark.class).profile(GCProfiler.class));
            groups.add(new Group("stalled-consumer", StalledConsumerBenchmark.class));
        }
        return groups;
    }

    /**
     * Benchmarks that run with the same options.
     */
    private static final class Group
    {
        final String name;
        final List<Class<?>> benchmarks;
        final List<String[]> params = new ArrayList<>();
        String method = "";
        int[] iterations;
        int threads;
        final List<Class<? extends Profiler>> profilers = new ArrayList<>();

        Group(final String name, final Class<?>... benchmarks)
        {
            this.name = name;
            this.benchmarks = Arrays.asList(benchmarks);
        }

        Group param(final String name, final String... values)
        {
            final String[] entry = new String[values.length + 1];
            entry[0] = name;
            System.arraycopy(values, 0, entry, 1, values.length);
            params.add(entry);
            return this;
        }

        Group iterations(final int warmups, final int warmupSeconds, final int measurements, final int measurementSeconds)
        {
            iterations = new int[] { warmups, warmupSeconds, measurements, measurementSeconds };
            return this;
        }

        Group threads(final int count)
        {
            threads = count;
            return this;
        }

        Group only(final String benchmarkMethod)
        {
            method = "." + benchmarkMethod + "$";
            return this;
        }

        Group profile(final Class<? extends Profiler> profiler)
        {
            profilers.add(profiler);
            return this;
        }

        List<String> included(final List<String> userIncludes)
        {
            final List<String> included = new ArrayList<>();
            for (final Class<?> benchmark : benchmarks)
            {
                final String fqn = benchmark.getName();
                boolean wanted = userIncludes.isEmpty();
                for (final String include : userIncludes)
                {
                    wanted |= Pattern.compile(include).matcher(fqn).find();
                }
                if (wanted)
                {
                    included.add(Pattern.quote(fqn) + (method.isEmpty() ? "\\." : method));
                }
            }
            return included;
        }

        void apply(final ChainedOptionsBuilder options, final CommandLineOptions user)
        {
            if (null != iterations)
            {
                if (!user.getWarmupIterations().hasValue())
                {
                    options.warmupIterations(iterations[0]);
                }
                if (!user.getWarmupTime().hasValue())
                {
                    options.warmupTime(TimeValue.seconds(iterations[1]));
                }
                if (!user.getMeasurementIterations().hasValue())
                {
                    options.measurementIterations(iterations[2]);
                }
                if (!user.getMeasurementTime().hasValue())
                {
                    options.measurementTime(TimeValue.seconds(iterations[3]));
                }
            }
            if (threads > 0 && !user.getThreads().hasValue())
            {
                options.threads(threads);
            }
            for (final String[] param : params)
            {
                if (!user.getParameter(param[0]).hasValue())
                {
                    options.param(param[0], Arrays.copyOfRange(param, 1, param.length));
                }
            }
            for (final Class<? extends Profiler> profiler : profilers)
            {
                options.addProfiler(profiler);
            }
        }
    }
}
