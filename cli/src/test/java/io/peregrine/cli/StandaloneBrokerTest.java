package io.peregrine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The broker as its own JVM: perf against it, oversized sends, kill -9 and restart, SIGTERM, no analytics.
 */
@Timeout(300)
class StandaloneBrokerTest
{
    @TempDir
    Path dir;

    private List<String> settings()
    {
        return List.of(
            "storePathRootDir=" + dir.resolve("store"),
            "aeronDir=" + dir.resolve("aeron"),
            "listenChannel=aeron:udp?endpoint=127.0.0.1:0",
            "haListenChannel=aeron:udp?endpoint=127.0.0.1:0");
    }

    private BrokerProcess startBroker() throws IOException
    {
        return BrokerProcess.start(settings(), List.of("-Duser.home=" + dir.resolve("home")), dir.resolve("broker.log").toFile(), 60_000);
    }

    /**
     * Runs {@code peregrine perf} in this JVM and returns [exit code, stdout, stderr].
     */
    private static String[] perf(final String... args)
    {
        return run(new CommandLine(new PerfCommand()), args);
    }

    /**
     * Runs a {@code peregrine} command in this JVM, with the launcher's error handling, and returns [exit code,
     * stdout, stderr].
     */
    private static String[] peregrine(final String... args)
    {
        return run(Peregrine.commandLine(), args);
    }

    private static String[] run(final CommandLine command, final String... args)
    {
        final PrintStream out = System.out;
        final PrintStream err = System.err;
        final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
        final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        final int exit;
        try
        {
            System.setOut(new PrintStream(outBytes, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(errBytes, true, StandardCharsets.UTF_8));
            exit = command.execute(args);
        }
        finally
        {
            System.setOut(out);
            System.setErr(err);
        }
        return new String[]{ Integer.toString(exit), outBytes.toString(StandardCharsets.UTF_8), errBytes.toString(StandardCharsets.UTF_8) };
    }

    private static String lastLine(final String text)
    {
        final String[] lines = text.strip().split("\n");
        return lines[lines.length - 1];
    }

    @Test
    void shouldServePerfRefuseOversizeSurviveKillAndStopOnSigterm() throws Exception
    {
        long lastIndexBeforeKill;
        try (BrokerProcess broker = startBroker())
        {
            final String channel = broker.readyField("listen");

            final String[] ok = perf("--channel", channel, "--size", "1024", "--count", "2000", "--warmup", "100", "--warmup-ms", "0",
                "--first-warmup-ms", "0", "--json");
            assertEquals("0", ok[0], ok[2]);
            final String json = lastLine(ok[1]);
            assertTrue(json.startsWith("{\"size\":1024,\"sent\":2000,\"statuses\":{\"SEND_OK\":2000,\"FLUSH_DISK_TIMEOUT\":0," +
                "\"FLUSH_SLAVE_TIMEOUT\":0,\"SLAVE_NOT_AVAILABLE\":0},\"errors\":{},\"retries\":0,\"p50_us\":"), json);

            // a latency-vs-size sweep: one summary and one JSON line per size, in order, each after a warm-up of rounds
            // of --warmup sends that lasted at least --warmup-ms, the first at least --first-warmup-ms
            final String[] sweep = perf("--channel", channel, "--sizes", "64,4096", "--count", "200", "--warmup", "50", "--warmup-ms", "300",
                "--first-warmup-ms", "700", "--json");
            assertEquals("0", sweep[0], sweep[2]);
            final List<String> sweepJson = sweep[1].lines().filter((l) -> l.startsWith("{")).toList();
            assertEquals(2, sweepJson.size(), sweep[1]);
            assertTrue(sweepJson.get(0).startsWith("{\"size\":64,\"sent\":200,\"statuses\":{\"SEND_OK\":200,"), sweepJson.get(0));
            assertTrue(sweepJson.get(1).startsWith("{\"size\":4096,\"sent\":200,\"statuses\":{\"SEND_OK\":200,"), sweepJson.get(1));
            assertTrue(sweep[1].contains("size 64 B:") && sweep[1].contains("size 4096 B:"), sweep[1]);
            for (final String line : sweepJson)
            {
                final Matcher warm = Pattern.compile("\"warmup_sends\":([0-9]+),\"warmup_ms\":([0-9]+)").matcher(line);
                assertTrue(warm.find(), line);
                final long sends = Long.parseLong(warm.group(1));
                assertTrue(sends >= 50 && sends % 50 == 0, "whole rounds of 50: " + line);
                assertTrue(Long.parseLong(warm.group(2)) >= 300, "at least --warmup-ms: " + line);
            }
            final Matcher first = Pattern.compile("\"warmup_ms\":([0-9]+)").matcher(sweepJson.get(0));
            assertTrue(first.find() && Long.parseLong(first.group(1)) >= 700, "the first size at least --first-warmup-ms: " + sweepJson.get(0));

            // oneway: every accepted send confirmed stored when perf closes its producer
            final String[] oneway = perf("--channel", channel, "--mode", "oneway", "--size", "256", "--count", "20000", "--warmup", "0",
                "--json");
            assertEquals("0", oneway[0], oneway[2]);
            assertTrue(lastLine(oneway[1]).contains("\"oneway_accepted\":20000,\"oneway_unconfirmed\":0"), oneway[1]);

            final Path acked = dir.resolve("acked.log");
            final String[] async = perf("--channel", channel, "--mode", "async", "--threads", "2", "--producers", "2",
                "--size", "100", "--count", "3000", "--warmup", "0", "--acked-log", acked.toString(), "--json");
            assertEquals("0", async[0], async[2]);
            assertTrue(lastLine(async[1]).contains("\"SEND_OK\":3000,") && lastLine(async[1]).endsWith("\"mode\":\"async\"}"), async[1]);
            final List<String> ackedLines = Files.readAllLines(acked);
            assertEquals(3000, ackedLines.size());
            assertEquals(3000, ackedLines.stream().map((l) -> l.split(" ")[0]).distinct().count(), "one line per message id");
            for (final String line : ackedLines)
            {
                assertTrue(line.matches("[0-9a-f]{16}-[0-9a-f]{16} [0-9]+"), line);
            }

            final String[] batched = perf("--channel", channel, "--mode", "batch", "--batch", "10", "--size", "100", "--count", "95",
                "--warmup", "0", "--json");
            assertEquals("0", batched[0], batched[2]);
            assertTrue(lastLine(batched[1]).contains("\"SEND_OK\":95,"), batched[1]);

            final String[] big = perf("--channel", channel, "--size", Integer.toString(8 * 1024 * 1024), "--count", "1",
                "--warmup", "0", "--json");
            assertEquals("1", big[0]);
            assertTrue(lastLine(big[1]).contains("\"errors\":{\"MESSAGE_TOO_LARGE\":1}"), big[1]);
            assertTrue(big[2].contains("8388608") && big[2].contains("4194304"), "error names size and limit: " + big[2]);

            final String[] after = perf("--channel", channel, "--size", "64", "--count", "10", "--warmup", "0", "--json");
            assertEquals("0", after[0], "broker still serves after the oversized send: " + after[2]);

            // the running broker's counters, read from its media driver: everything above was stored, one refused
            final String[] counters = peregrine("counters", "--aeron-dir", dir.resolve("aeron").toString());
            assertEquals("0", counters[0], counters[2]);
            final long stored = Long.parseLong(counters[1].lines().filter((l) -> l.endsWith(" peregrine: sends stored"))
                .findFirst().orElseThrow(() -> new AssertionError(counters[1])).split(" ")[0]);
            assertTrue(stored >= 2000 + 100 + 2 * 250 + 20_000 + 3000 + 95 + 10, counters[1]);
            assertTrue(counters[1].lines().allMatch((l) -> l.matches("-?[0-9]+ peregrine: .+")), counters[1]);
            final java.io.StringWriter noBroker = new java.io.StringWriter();
            final CommandLine counting = Peregrine.commandLine();
            counting.getSubcommands().get("counters").setErr(new PrintWriter(noBroker, true));
            assertEquals(2, counting.execute("counters", "--aeron-dir", dir.resolve("no-such-dir").toString()));
            assertTrue(noBroker.toString().startsWith("peregrine counters: no media driver at " + dir.resolve("no-such-dir")),
                noBroker.toString());

            broker.kill();
            assertFalse(broker.process().isAlive());
            lastIndexBeforeKill = Long.parseLong(broker.readyField("journalLastIndex"));
            assertEquals(-1, lastIndexBeforeKill, "the first start had an empty journal");
        }

        try (BrokerProcess restarted = startBroker())
        {
            final long lastIndex = Long.parseLong(restarted.readyField("journalLastIndex"));
            assertNotEquals(-1, lastIndex, "restart after kill -9 sees the journal: " + restarted.readyLine());
            final String[] ok = perf("--channel", restarted.readyField("listen"), "--size", "100", "--count", "20", "--warmup", "0");
            assertEquals("0", ok[0], ok[2]);
            assertEquals(0, restarted.stop(30_000), "SIGTERM exits 0; log:\n" + restarted.logTail());
        }

        assertNoAnalyticsFiles(dir.resolve("home"));
    }

    private static void assertNoAnalyticsFiles(final Path home) throws IOException
    {
        if (!Files.exists(home))
        {
            return;
        }
        try (Stream<Path> files = Files.walk(home))
        {
            final List<String> analytics = files.map(Path::toString).filter((p) -> p.toLowerCase().contains("analytics")).toList();
            assertTrue(analytics.isEmpty(), "Chronicle analytics files written: " + analytics);
        }
    }

    @Test
    void shouldRefuseUnknownKeysAndBadValuesWithoutReady() throws Exception
    {
        final String[][] cases = {
            { "colour=blue", "unknown key colour=blue" },
            { "maxMessageSize=lots", "maxMessageSize=lots: not a whole number" },
            { "flushDiskType=FAST", "flushDiskType=FAST: must be ASYNC_FLUSH or SYNC_FLUSH" },
            { "fileReservedTime=0", "fileReservedTime=0: must be between 1 and 100000" },
            { "rollCycle=YEARLY", "rollCycle=YEARLY: unknown roll cycle" },
            { "brokerRole=MASTER", "brokerRole=MASTER: must be ASYNC_MASTER, SYNC_MASTER or SLAVE" },
            { "slaveAckPolicy=DISK", "slaveAckPolicy=DISK: must be WRITTEN or FLUSHED" },
            { "haMasterChannel=aeron:ipc", "haMasterChannel=aeron:ipc: must be a UDP channel with an endpoint" },
            { "idleStrategy=nap", "idleStrategy=nap" },
            { "pageCacheWindow=4k", "pageCacheWindow=4k: must be 0 (off) or at least 8388608 bytes" },
            { "producerHistoryMemory=1m", "producerHistoryMemory=1m: must hold the history of each of maxProducers=1024 producers" },
        };
        for (final String[] c : cases)
        {
            final File log = dir.resolve("bad-" + c[0].hashCode() + ".log").toFile();
            final IllegalStateException ex = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> BrokerProcess.start(List.of("storePathRootDir=" + dir.resolve("bad"), c[0]), log, 60_000));
            assertTrue(ex.getMessage().contains("broker exited with 2 before READY"), ex.getMessage());
            final String stderr = Files.readString(log.toPath());
            assertTrue(stderr.contains(c[1]), "stderr names key and value for " + c[0] + ": " + stderr);
        }
    }
}
