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

    @Test
    void shouldSetEachTurnAgainstItsOwnRoundTripAndGiveTheMedianOfTheTurnsWithTheirRange() throws Exception
    {
        final File file = results(
            sampled("SendLatencyBenchmark.send", "\"size\":\"1024\",\"transport\":\"ipc\",\"flush\":\"ASYNC_FLUSH\"", 1, 10),
            sampled("JournalFloorBenchmark.append", "\"size\":\"4096\"", 1, 2));
        // turn 2 caught perf's IPC sends on one core with the broker (4 us) and the round trip on two (0.2 us): 3.33x
        Files.writeString(dir.resolve("standalone.json"), "[" + String.join(",",
            inTurn(1, floorLine(64, "udp", 24, 72)), inTurn(1, floorLine(64, "ipc", 0.6, 6)),
            inTurn(1, perfLine(64, "udp", 30, 90)), inTurn(1, perfLine(64, "ipc", 1.2, 12)), inTurn(1, perfLine(1024, "ipc", 2, 30)),
            inTurn(2, floorLine(64, "udp", 40, 120)), inTurn(2, floorLine(64, "ipc", 0.2, 4)),
            inTurn(2, perfLine(64, "udp", 36, 108)), inTurn(2, perfLine(64, "ipc", 4, 60)), inTurn(2, perfLine(1024, "ipc", 1.4, 7)),
            inTurn(3, floorLine(64, "udp", 25, 50)), inTurn(3, floorLine(64, "ipc", 0.8, 8)),
            inTurn(3, perfLine(64, "udp", 39, 117)), inTurn(3, perfLine(64, "ipc", 1.4, 7)), inTurn(3, perfLine(1024, "ipc", 1.8, 36)),
            // 4 KiB over IPC: turn 2's sends all failed, and only turn 1 measured its round trip
            inTurn(1, floorLine(4096, "ipc", 1, 5)), inTurn(1, perfLine(4096, "ipc", 2, 20)), inTurn(2, perfLine(4096, "ipc", 0, 0)),
            inTurn(3, perfLine(4096, "ipc", 3, 30))) + "]",
            StandardCharsets.UTF_8);

        final String markdown = Files.readString(BenchReport.write(file, dir.resolve("out").toFile()).toPath(), StandardCharsets.UTF_8);
        assertTrue(markdown.contains("In 3 turns, each with new JVMs"), markdown);
        // udp: sends 30, 36, 39 over in-JVM 100; over their own turn's round trip + append: 30 / 25 = 1.20, 36 / 41 = 0.88,
        // 39 / 26 = 1.50 (against the median round trip, 25, turn 2 would read 1.38); the round trips' tails 3, 3, 2
        // ipc: sends 1.2, 4, 1.4 over in-JVM 2; over their turn's floor 1.2 / 1.6 = 0.75, 4 / 1.2 = 3.33, 1.4 / 1.8 = 0.78;
        // tails 10, 15, 5: a median of 10 is not over 10
        assertTrue(markdown.contains("| 64 B | 36.0 / 108 (3×, 3–3) | 0.36× (0.30–0.39) | 25.0 / 72.0 (3×, 2–3) | 1.20× (0.88–1.50) | " +
            "1.4 / 12.0 (10×, 5–15) | 0.70× (0.60–2.00) | 0.6 / 6.0 (10×, 10–20) | 0.78× (0.75–3.33) |\n"), markdown);
        // over in-JVM 1: 2, 1.4, 1.8, so a median of 1.80 misses 1.5; tails 15, 5, 20; no round trip at 1 KiB
        assertTrue(markdown.contains("| 1 KiB | - | - | - | - | 1.8 / 30.0 (15× ✗, 5–20) | 1.80× ✗ (1.40–2.00) | - | - |\n"), markdown);
        // the failed turn is left out of the medians and said; the one turn with a round trip: 2 / (1 + 1)
        assertTrue(markdown.contains("| 4 KiB | - | - | - | - | 2.5 / 25.0 (10×, 10–10) (1 failed turn) | - | 1.0 / 5.0 (5×) | " +
            "1.00× (1 of 2 turns had a round trip) |\n"), markdown);
    }

    private static String inTurn(final int turn, final String line)
    {
        return "{\"turn\":" + turn + "," + line.substring(1);
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
