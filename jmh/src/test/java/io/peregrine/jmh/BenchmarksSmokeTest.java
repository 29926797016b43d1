package io.peregrine.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.imageio.ImageIO;

import io.peregrine.jmh.report.BenchReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Keeps every benchmark compiling and running: each runs once, in this JVM, at one parameter point, with
 * tiny iteration counts. The numbers mean nothing and are not asserted; that the run completes and
 * produces a score is.
 */
@Timeout(300)
class BenchmarksSmokeTest
{
    private static Collection<RunResult> runOnce(final String benchmark, final String... params) throws Exception
    {
        return new Runner(once(benchmark, params).build()).run();
    }

    private static OptionsBuilder once(final String benchmark, final String... params)
    {
        final OptionsBuilder builder = new OptionsBuilder();
        builder.include(benchmark)
            .forks(0)
            .threads(1)
            .warmupIterations(0)
            .measurementIterations(1)
            .measurementTime(TimeValue.milliseconds(300))
            .timeout(TimeValue.seconds(60))
            .shouldFailOnError(true)
            .result("target/jmh-smoke-" + benchmark + ".json")
            .resultFormat(ResultFormatType.JSON);
        for (int i = 0; i < params.length; i += 2)
        {
            builder.param(params[i], params[i + 1]);
        }
        return builder;
    }

    @Test
    void shouldRunAsyncThroughputOnce() throws Exception
    {
        final OptionsBuilder options = once(AsyncThroughputBenchmark.class.getSimpleName(),
            "transport", "ipc", "producers", "1", "size", "64");
        options.addProfiler(ThreadAllocationProfiler.class);
        final Collection<RunResult> results = new Runner(options.build()).run();
        assertEquals(1, results.size());
        final RunResult result = results.iterator().next();
        assertTrue(result.getPrimaryResult().getScore() > 0);
        for (final String split : List.of("alloc.peregrine.norm", "alloc.driver.norm", "alloc.ended.norm"))
        {
            assertTrue(result.getSecondaryResults().containsKey(split), split + " in " + result.getSecondaryResults().keySet());
        }
        assertTrue(result.getSecondaryResults().get("alloc.peregrine.norm").getScore() >= 0);
        assertTrue(result.getSecondaryResults().get("alloc.driver.norm").getScore() >= 0);
    }

    @Test
    void shouldRunSyncFlushAndItsFloorOnce() throws Exception
    {
        // a warmup iteration: JMH sets the trial up inside the first iteration, after profilers looked for a broker
        final Collection<RunResult> results = new Runner(once(SyncFlushBenchmark.class.getSimpleName())
            .addProfiler(FlushProfiler.class).warmupIterations(1).warmupTime(TimeValue.milliseconds(300)).build()).run();
        assertEquals(2, results.size());
        for (final RunResult result : results)
        {
            final String benchmark = result.getParams().getBenchmark();
            assertTrue(result.getPrimaryResult().getSampleCount() > 0, benchmark);
            if (benchmark.endsWith("syncFlushSend"))
            {
                // one iteration: the profiler reads the broker's counters after JMH closed it, from the close-time copy
                assertTrue(result.getSecondaryResults().get("flush.us").getScore() > 0, benchmark);
                assertTrue(result.getSecondaryResults().get("flush.sends").getScore() > 0, benchmark);
            }
            else
            {
                assertFalse(result.getSecondaryResults().containsKey("flush.us"), "the floor runs no broker");
            }
        }
    }

    @Test
    void shouldRunLatencySuiteAndFloorsOnceAndReportThem() throws Exception
    {
        final List<RunResult> results = new ArrayList<>();
        results.addAll(runOnce(SendLatencyBenchmark.class.getSimpleName(), "size", "64", "transport", "ipc", "flush", "ASYNC_FLUSH"));
        results.addAll(runOnce(AeronRoundTripFloorBenchmark.class.getSimpleName(), "size", "64", "transport", "ipc"));
        results.addAll(runOnce(JournalFloorBenchmark.class.getSimpleName(), "size", "64"));
        results.addAll(runOnce(ReaderLatencyBenchmark.class.getSimpleName(), "size", "64", "transport", "ipc"));
        assertEquals(6, results.size(), "send, round trip, append, append + flush, send to a reader, send to a network tail");
        for (final RunResult result : results)
        {
            assertTrue(result.getPrimaryResult().getSampleCount() > 0, result.getParams().getBenchmark());
        }

        final File dir = new File("target/bench-report");
        Files.createDirectories(dir.toPath());
        final File json = new File(dir, "results.json");
        try (PrintStream stream = new PrintStream(json, StandardCharsets.UTF_8))
        {
            ResultFormatFactory.getInstance(ResultFormatType.JSON, stream).writeOut(results);
        }
        // the same size as users run it: a broker JVM and a perf JVM from the runnable jar the cli module built, with
        // perf's default warm-up; before them the Aeron round trip in the same two-JVM layout
        final File standalone = new StandaloneRun(new File("../cli/target/peregrine-cli.jar")).run(List.of("64"), 200, 1, dir.toPath());
        final String written = Files.readString(standalone.toPath());
        assertTrue(written.contains("\"transport\": \"ipc\""), written);
        assertEquals(4, written.split("\"size\": 64").length - 1, "udp and ipc, floor and perf: " + written);
        assertEquals(2, written.split("\"role\": \"floor\"").length - 1, written);
        assertEquals(4, written.split("\"turn\": 1").length - 1, "each entry in its turn: " + written);

        final String markdown = Files.readString(BenchReport.write(json, dir).toPath(), StandardCharsets.UTF_8);
        final String row = markdown.lines().filter((line) -> line.startsWith("| 64 B |")).findFirst().orElseThrow();
        assertTrue(row.matches("\\| 64 B \\| [0-9.,]+ / [0-9.,]+ \\([0-9.]+×( ✗)?\\) \\| – \\| – \\| – \\|"), row);
        final String standaloneRow = markdown.substring(markdown.indexOf("## As users run it")).lines()
            .filter((line) -> line.startsWith("| 64 B |")).findFirst().orElseThrow(() -> new AssertionError(markdown));
        final String readerRow = markdown.substring(markdown.indexOf("## End to end")).lines()
            .filter((line) -> line.startsWith("| 64 B |")).findFirst().orElseThrow(() -> new AssertionError(markdown));
        final String cell = "[0-9.,]+ / [0-9.,]+";
        final String ratio = " \\([0-9.]+×\\)";
        assertTrue(readerRow.matches("\\| 64 B \\| " + cell + " \\| " + cell + ratio + " \\| " + cell + ratio + " \\| – \\| – \\| – \\|"), readerRow);
        // udp: a two-JVM round trip and the append (so a floor ratio) but no in-JVM send in this run; ipc: all of them
        final String tail = " \\([0-9.]+×( ✗)?\\)";
        final String mark = "[0-9.]+×( ✗)?";
        final String udp = cell + tail + " \\| - \\| " + cell + tail + " \\| " + mark + " \\| ";
        final String ipc = cell + tail + " \\| " + mark + " \\| " + cell + tail + " \\| " + mark + " \\|";
        assertTrue(standaloneRow.matches("\\| 64 B \\| " + udp + ipc), standaloneRow);
        final BufferedImage chart = ImageIO.read(new File(dir, "latency-ipc.png"));
        assertEquals(1000, chart.getWidth());
        assertFalse(new File(dir, "latency-udp.png").exists(), "no UDP results, so no UDP chart");
    }

    @Test
    void shouldRunSendsBesideAStalledConsumerACaughtUpOneAndNoneOnceAndReportTheRatios() throws Exception
    {
        final List<RunResult> results = new ArrayList<>(runOnce(StalledConsumerBenchmark.class.getSimpleName(), "size", "1024", "turn", "1"));
        assertEquals(3, results.size(), "no consumer, caught-up consumer, stalled consumer");
        final File dir = new File("target/bench-report-stalled");
        Files.createDirectories(dir.toPath());
        final File json = new File(dir, "results.json");
        try (PrintStream stream = new PrintStream(json, StandardCharsets.UTF_8))
        {
            ResultFormatFactory.getInstance(ResultFormatType.JSON, stream).writeOut(results);
        }
        final String markdown = Files.readString(BenchReport.write(json, dir).toPath(), StandardCharsets.UTF_8);
        final String row = markdown.substring(markdown.indexOf("## A consumer that stops reading")).lines()
            .filter((line) -> line.startsWith("| 1 KiB |")).findFirst().orElseThrow(() -> new AssertionError(markdown));
        final String cell = " [0-9.,]+ / [0-9.,]+ \\|";
        final String ratio = " [0-9.]+× \\|";
        assertTrue(row.matches("\\| 1 KiB \\| 1 \\|" + cell + cell + cell + ratio + ratio + ratio), row);
    }

    @Test
    void shouldRunPreTouchOnceWithoutIt() throws Exception
    {
        final Collection<RunResult> results = runOnce(PreTouchBenchmark.class.getSimpleName(), "pretouch", "false", "size", "4096");
        assertEquals(1, results.size());
        assertTrue(results.iterator().next().getPrimaryResult().getSampleCount() > 0);
    }

    @Test
    void shouldRunReplicationLatencyOnce() throws Exception
    {
        final Collection<RunResult> results = runOnce(ReplicationLatencyBenchmark.class.getSimpleName(),
            "transport", "udp", "role", "SYNC_MASTER", "size", "1024");
        assertEquals(1, results.size());
        assertTrue(results.iterator().next().getPrimaryResult().getSampleCount() > 0);
    }

    @Test
    void shouldRunTheReaderAloneOnce() throws Exception
    {
        final Collection<RunResult> reader = runOnce(JournalReaderBenchmark.class.getSimpleName(), "size", "16384");
        assertEquals(1, reader.size());
        assertTrue(reader.iterator().next().getPrimaryResult().getScore() > 0);
    }

    @Test
    void shouldRunInboundHopOnce() throws Exception
    {
        for (final String path : new String[] { "ring", "direct" })
        {
            final Collection<RunResult> results = runOnce(InboundHopBenchmark.class.getSimpleName(), "path", path, "size", "1024");
            assertEquals(1, results.size());
            assertTrue(results.iterator().next().getPrimaryResult().getScore() > 0, path);
        }
    }

    @Test
    void shouldRunOfferPathOnce() throws Exception
    {
        final Collection<RunResult> results = runOnce(OfferPathBenchmark.class.getSimpleName(), "path", "ring", "size", "64");
        assertFalse(results.isEmpty());
        assertTrue(results.iterator().next().getPrimaryResult().getScore() > 0);
        assertEquals(TimeUnit.SECONDS, results.iterator().next().getParams().getTimeUnit());
    }

    @Test
    void shouldRunBlockingSendsOnce() throws Exception
    {
        final Collection<RunResult> results = runOnce(BlockingSendBenchmark.class.getSimpleName(), "transport", "ipc", "size", "64");
        assertEquals(2, results.size(), "send and sendBatch");
        for (final RunResult result : results)
        {
            assertTrue(result.getPrimaryResult().getScore() > 0, result.getParams().getBenchmark());
        }
    }
}
