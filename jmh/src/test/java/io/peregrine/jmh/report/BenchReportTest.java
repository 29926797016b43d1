package io.peregrine.jmh.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report's arithmetic on results written by hand, where the right answer is known.
 */
class BenchReportTest
{
    @TempDir
    Path dir;

    private static String stalledResult(final String turn, final String with, final double p50, final double p99)
    {
        return String.format(Locale.ROOT, "{\"benchmark\":\"io.peregrine.jmh.StalledConsumerBenchmark.send\",\"mode\":\"sample\"," +
            "\"threads\":1,\"params\":{\"size\":\"1024\",\"turn\":\"%s\",\"with\":\"%s\"},\"primaryMetric\":{\"score\":%f," +
            "\"scoreError\":1.0,\"scoreUnit\":\"us/op\",\"scorePercentiles\":{\"50.0\":%f,\"99.0\":%f}}}", turn, with, p50, p50, p99);
    }

    private static String sampled(final String benchmark, final String params, final double p50, final double p99)
    {
        return String.format(Locale.ROOT, "{\"benchmark\":\"io.peregrine.jmh.%s\",\"mode\":\"sample\",\"threads\":1,\"params\":{%s}," +
            "\"primaryMetric\":{\"score\":%f,\"scoreError\":1.0,\"scoreUnit\":\"us/op\",\"scorePercentiles\":{\"50.0\":%f,\"99.0\":%f}}}",
            benchmark, params, p50, p50, p99);
    }

    private static String perfLine(final int size, final String transport, final double p50, final double p99)
    {
        return String.format(Locale.ROOT, "{\"size\":%d,\"transport\":\"%s\",\"p50_us\":%f,\"p99_us\":%f}", size, transport, p50, p99);
    }

    /**
     * results.json with 64 B sends and floors over UDP and IPC (p50 100 and 2 µs, round trips 60 and 1 µs, append 1 µs),
     * and any more entries.
     */
    private File results(final String... more) throws Exception
    {
        final List<String> entries = new ArrayList<>(List.of(
                sampled("SendLatencyBenchmark.send", "\"size\":\"64\",\"transport\":\"udp\",\"flush\":\"ASYNC_FLUSH\"", 100, 150),
                sampled("SendLatencyBenchmark.send", "\"size\":\"64\",\"transport\":\"ipc\",\"flush\":\"ASYNC_FLUSH\"", 2, 20),
                sampled("AeronRoundTripFloorBenchmark.roundTrip", "\"size\":\"64\",\"transport\":\"udp\"", 60, 90),
                sampled("AeronRoundTripFloorBenchmark.roundTrip", "\"size\":\"64\",\"transport\":\"ipc\"", 1, 5),
                sampled("JournalFloorBenchmark.append", "\"size\":\"64\"", 1, 2)));
        entries.addAll(List.of(more));
        final File file = dir.resolve("results.json").toFile();
        Files.writeString(file.toPath(), "[" + String.join(",", entries) + "]", StandardCharsets.UTF_8);
        return file;
    }

    @Test
    void shouldSetTheStandaloneRunAgainstTheInJvmSendAndTheFloorAndMarkEachMissedTarget() throws Exception
    {
        final File file = results(
            sampled("SendLatencyBenchmark.send", "\"size\":\"1024\",\"transport\":\"udp\",\"flush\":\"ASYNC_FLUSH\"", 100, 150));
        Files.writeString(dir.resolve("standalone.json"), "[" + String.join(",",
            perfLine(64, "udp", 120, 1500), perfLine(64, "ipc", 3.6, 30), perfLine(65536, "udp", 200, 4000),
            perfLine(1024, "udp", 150.2, 300), perfLine(1024, "ipc", 0, 0)) + "]", StandardCharsets.UTF_8);

        final String markdown = Files.readString(BenchReport.write(file, dir.resolve("out").toFile()).toPath(), StandardCharsets.UTF_8);
        // udp: p99 12.5x p50 (over 10x at <= 4 KiB), 1.20x the in-JVM p50, 120 / (60 + 1) = 1.97x the floor (over 1.5x);
        // ipc: 8.3x, 1.80x in-JVM (over 1.5x), 3.6 / (1 + 1) = 1.80x the floor (within 2x)
        assertTrue(markdown.contains("| 64 B | 120 / 1,500 (12.5× ✗) | 1.20× | 1.97× ✗ | 3.6 / 30.0 (8.3×) | 1.80× ✗ | 1.80× |\n"), markdown);
        // above 4 KiB a long tail is not marked; no in-JVM point or floor and no IPC run: dashes
        assertTrue(markdown.contains("| 64 KiB | 200 / 4,000 (20×) | - | - | - | - | - |\n"), markdown);
        // 150.2 / 100 is shown as 1.50x and so meets 1.5x; a run whose sends all failed has no p50 to compare
        assertTrue(markdown.contains("| 1 KiB | 150 / 300 (2×) | 1.50× | - | no latency (every send failed?) | - | - |\n"), markdown);
    }

    @Test
    void shouldSetTheStandaloneRunAgainstTheRoundTripOfTheSameTwoJvmLayoutWhenTheRunMeasuredIt() throws Exception
    {
        final File file = results();
        Files.writeString(dir.resolve("standalone.json"), "[" + String.join(",",
            floorLine(64, "udp", 99, 300), floorLine(64, "ipc", 2.6, 40), floorLine(1024, "udp", 50, 100),
            perfLine(64, "udp", 120, 1500), perfLine(64, "ipc", 3.6, 30), perfLine(65536, "udp", 200, 4000)) + "]", StandardCharsets.UTF_8);

        final String markdown = Files.readString(BenchReport.write(file, dir.resolve("out").toFile()).toPath(), StandardCharsets.UTF_8);
        assertTrue(markdown.contains("| size | udp | udp / in-JVM | udp round trip, 2 JVMs | udp / floor |"), markdown);
        // udp: 120 / (99 + 1) = 1.20x the two-JVM floor, not 120 / (60 + 1) = 1.97x the in-JVM one; its round trip's own
        // p99 is 3x its p50; ipc: 3.6 / (2.6 + 1) = 1.00x, the round trip's p99 15.4x its p50 (over 10x at <= 4 KiB)
        assertTrue(markdown.contains("| 64 B | 120 / 1,500 (12.5× ✗) | 1.20× | 99.0 / 300 (3×) | 1.20× | " +
            "3.6 / 30.0 (8.3×) | 1.80× ✗ | 2.6 / 40.0 (15.4× ✗) | 1.00× |\n"), markdown);
        // a floor with no perf run beside it, and a perf run with no floor beside it: dashes where either is missing
        assertTrue(markdown.contains("| 1 KiB | - | - | 50.0 / 100 (2×) | - | - | - | - | - |\n"), markdown);
        assertTrue(markdown.contains("| 64 KiB | 200 / 4,000 (20×) | - | - | - | - | - | - | - |\n"), markdown);
    }

    private static String floorLine(final int size, final String transport, final double p50, final double p99)
    {
        return "{\"size\":" + size + ",\"transport\":\"" + transport + "\",\"role\":\"floor\",\"p50_us\":" + p50 +
            ",\"p99_us\":" + p99 + "}";
    }

    @Test
    void shouldGiveEachStallRatioAsTheMedianOfTheTurnsWithTheirRange() throws Exception
    {
        // turn 2 is a noisy one: its no-consumer point is slower than its caught-up one
        final String json = "[" + String.join(",",
            stalledResult("1", "none", 100, 200), stalledResult("1", "caught-up", 110, 220), stalledResult("1", "stalled", 121, 220),
            stalledResult("2", "none", 150, 300), stalledResult("2", "caught-up", 120, 240), stalledResult("2", "stalled", 108, 480),
            stalledResult("3", "none", 90, 180), stalledResult("3", "caught-up", 100, 200), stalledResult("3", "stalled", 100, 200)) + "]";
        final File file = dir.resolve("results.json").toFile();
        Files.writeString(file.toPath(), json, StandardCharsets.UTF_8);

        final String markdown = Files.readString(BenchReport.write(file, dir.toFile()).toPath(), StandardCharsets.UTF_8);
        final String row = markdown.lines().filter((line) -> line.startsWith("| 1 KiB | 3 |")).findFirst()
            .orElseThrow(() -> new AssertionError(markdown));
        // medians: none 100 / 200, caught-up 110 / 220, stalled 108 / 220; stall p50 ratios 1.10, 0.90, 1.00;
        // stall p99 1.00, 2.00, 1.00; consumer p50 1.10, 0.80, 1.11
        assertEquals("| 1 KiB | 3 | 100 / 200 | 110 / 220 | 108 / 220 | 1.00× (0.90–1.10) | 1.00× (1.00–2.00) | 1.10× (0.80–1.11) |", row);
        assertTrue(markdown.contains("## A consumer that stops reading"), markdown);
    }
}
