package io.peregrine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker as its own JVM under SYNC_FLUSH, a producer process sending async with --acked-log, and
 * kill -9 of the broker at random moments, restarted each time. Afterwards every acknowledged message is
 * in the journal at the index it was acknowledged with, journal verify passes, and indices strictly
 * increase. {@code CRASH_CYCLES} (environment) raises the number of cycles for the long run.
 */
@Timeout(900)
class CrashRecoveryTest
{
    @TempDir
    Path dir;

    @Test
    @Tag("crash")
    void shouldKeepEveryAcknowledgedMessageAcrossKillNine() throws Exception
    {
        final int cycles = Integer.parseInt(System.getenv().getOrDefault("CRASH_CYCLES", "3"));
        final int port;
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress()))
        {
            port = socket.getLocalPort();
        }
        final List<String> settings = List.of(
            "storePathRootDir=" + dir.resolve("store"),
            "aeronDir=" + dir.resolve("aeron"),
            "flushDiskType=SYNC_FLUSH",
            "listenChannel=aeron:udp?endpoint=127.0.0.1:" + port);
        final Path acked = dir.resolve("acked.log");
        final Random random = new Random(42);

        for (int cycle = 0; cycle < cycles; cycle++)
        {
            final BrokerProcess broker = BrokerProcess.start(settings, dir.resolve("broker.log").toFile(), 60_000);
            final Process perf = startPerf(port, acked, dir.resolve("perf-" + cycle + ".log").toFile());
            final long before = lines(acked);
            final long target = before + 200 + random.nextInt(3000);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (lines(acked) < target && perf.isAlive() && System.nanoTime() - deadline < 0)
            {
                Thread.onSpinWait();
                Thread.yield();
            }
            assertTrue(lines(acked) > before, "cycle " + cycle + ": acks arrived; perf log:\n" +
                BrokerProcess.tail(dir.resolve("perf-" + cycle + ".log").toFile()));
            broker.kill(); // SIGKILL, mid-stream
            perf.destroyForcibly();
            perf.waitFor(30, TimeUnit.SECONDS);
        }

        final BrokerProcess last = BrokerProcess.start(settings, dir.resolve("broker.log").toFile(), 60_000);
        assertEquals(0, last.stop(30_000), "clean stop after the crashes; log:\n" + last.logTail());

        final String[] verify = journal("verify", dir.resolve("store").toString());
        assertEquals("0", verify[0], "journal verify after " + cycles + " crashes: " + verify[1]);

        final Map<Long, String> msgIdByIndex = new HashMap<>();
        long previous = Long.MIN_VALUE;
        for (final String line : journal("dump", dir.resolve("store").toString())[1].strip().split("\n"))
        {
            final String[] fields = line.split(" ");
            final long index = Long.parseLong(fields[0]);
            assertTrue(index > previous, "indices strictly increase: " + index + " after " + previous);
            previous = index;
            msgIdByIndex.put(index, fields[1]);
        }
        final List<String> missing = new ArrayList<>();
        final List<String> ackedLines = Files.readAllLines(acked);
        for (final String line : ackedLines)
        {
            final String[] fields = line.split(" ");
            if (!fields[0].equals(msgIdByIndex.get(Long.parseLong(fields[1]))))
            {
                missing.add(line);
            }
        }
        assertEquals(List.of(), missing, ackedLines.size() + " acked, journal holds " + msgIdByIndex.size());
        final long fenced = Files.readAllLines(dir.resolve("broker.log")).stream().filter((l) -> l.contains("cut short by a crash")).count();
        System.out.println("crash test: " + cycles + " kill -9 cycles, " + ackedLines.size() + " acknowledged messages all in the " +
            "journal of " + msgIdByIndex.size() + " records; torn tails fenced at restart: " + fenced);
    }

    private static long lines(final Path file) throws IOException
    {
        if (!Files.exists(file))
        {
            return 0;
        }
        long count = 0;
        for (final byte b : Files.readAllBytes(file))
        {
            if (b == '\n')
            {
                count++;
            }
        }
        return count;
    }

    private static Process startPerf(final int port, final Path acked, final File log) throws IOException
    {
        final List<String> command = BrokerProcess.peregrineCommand(List.of("-Xmx256m"));
        command.addAll(List.of("perf", "--channel", "aeron:udp?endpoint=127.0.0.1:" + port, "--mode", "async",
            "--size", "256", "--count", "10000000", "--warmup", "0", "--inflight", "256", "--timeout", "5000",
            "--acked-log", acked.toString()));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
    }

    private static String[] journal(final String... args)
    {
        final PrintStream out = System.out;
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final int exit;
        try
        {
            System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            final String[] all = new String[args.length + 1];
            all[0] = "journal";
            System.arraycopy(args, 0, all, 1, args.length);
            exit = Peregrine.commandLine().execute(all);
        }
        finally
        {
            System.setOut(out);
        }
        return new String[]{ Integer.toString(exit), bytes.toString(StandardCharsets.UTF_8) };
    }
}
