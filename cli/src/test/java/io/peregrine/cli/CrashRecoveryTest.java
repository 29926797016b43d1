package io.peregrine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
        final List<String> settings = List.of(
            "storePathRootDir=" + dir.resolve("store"),
            "aeronDir=" + dir.resolve("aeron"),
            "flushDiskType=SYNC_FLUSH",
            "haListenChannel=aeron:udp?endpoint=127.0.0.1:0",
            "listenChannel=aeron:udp?endpoint=127.0.0.1:0"); // each start binds a free port and says which in READY
        final Path acked = dir.resolve("acked.log");
        final Random random = new Random(42);

        for (int cycle = 0; cycle < cycles; cycle++)
        {
            final BrokerProcess broker = BrokerProcess.start(settings, dir.resolve("broker.log").toFile(), 60_000);
            final String listen = broker.readyField("listen");
            final int port = Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1));
            final Process perf = AckedMessages.startPerf(port, acked, dir.resolve("perf-" + cycle + ".log").toFile());
            final long before = AckedMessages.lines(acked);
            final long target = before + 200 + random.nextInt(3000);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (AckedMessages.lines(acked) < target && perf.isAlive() && System.nanoTime() - deadline < 0)
            {
                Thread.onSpinWait();
                Thread.yield();
            }
            assertTrue(AckedMessages.lines(acked) > before, "cycle " + cycle + ": acks arrived; perf log:\n" +
                BrokerProcess.tail(dir.resolve("perf-" + cycle + ".log").toFile()));
            broker.kill(); // SIGKILL, mid-stream
            perf.destroyForcibly();
            perf.waitFor(30, TimeUnit.SECONDS);
        }

        final BrokerProcess last = BrokerProcess.start(settings, dir.resolve("broker.log").toFile(), 60_000);
        assertEquals(0, last.stop(30_000), "clean stop after the crashes; log:\n" + last.logTail());

        final String[] verify = AckedMessages.journal("verify", dir.resolve("store").toString());
        assertEquals("0", verify[0], "journal verify after " + cycles + " crashes: " + verify[1]);

        final AckedMessages.Check check = AckedMessages.check(acked, dir.resolve("store"));
        assertEquals(List.of(), check.missing(), check.acked() + " acked, journal holds " + check.records());
        final long fenced = Files.readAllLines(dir.resolve("broker.log")).stream().filter((l) -> l.contains("cut short by a crash")).count();
        System.out.println("crash test: " + cycles + " kill -9 cycles, " + check.acked() + " acknowledged messages all in the " +
            "journal of " + check.records() + " records; torn tails fenced at restart: " + fenced);
    }
}
