package io.peregrine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.peregrine.transport.DriverCounters;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A SYNC_MASTER and its slave as their own broker JVMs, a producer process (perf) sending async, and kill -9 of the
 * slave, then of the master: every send is answered with a status (none left to the producer's timeout), a restarted
 * slave catches up, the slave follows a restarted master by itself, and the journals end equal. Then the master is
 * killed after SEND_OKs and the slave promoted: every SEND_OK message is in its journal at its index.
 */
@Timeout(600)
class ReplicationCrashTest
{
    private static final long WAIT_MS = 60_000;
    private static final Pattern STATUS = Pattern.compile("\"(SEND_OK|FLUSH_DISK_TIMEOUT|FLUSH_SLAVE_TIMEOUT|SLAVE_NOT_AVAILABLE)\":(\\d+)");

    @TempDir
    Path dir;

    private List<String> settings(final String node, final String role, final int haPort)
    {
        final List<String> settings = new ArrayList<>(List.of(
            "storePathRootDir=" + dir.resolve(node).resolve("store"),
            "aeronDir=" + dir.resolve(node).resolve("aeron"),
            "brokerRole=" + role,
            "listenChannel=aeron:udp?endpoint=127.0.0.1:0",
            "maxMessageSize=65536",
            "syncFlushTimeout=2000",
            "haLivenessTimeout=1000"));
        settings.add((role.equals("SLAVE") ? "haMasterChannel" : "haListenChannel") + "=aeron:udp?endpoint=127.0.0.1:" + haPort);
        return settings;
    }

    private BrokerProcess start(final String node, final String role, final int haPort) throws IOException
    {
        return BrokerProcess.start(settings(node, role, haPort), dir.resolve(node + ".log").toFile(), 60_000);
    }

    @Test
    @Tag("crash")
    void shouldAnswerEverySendAcrossSlaveAndMasterCrashesAndEndWithEqualJournals() throws Exception
    {
        final int haPort = freeUdpPort();
        final String masterAeron = dir.resolve("master/aeron").toString();
        final String slaveAeron = dir.resolve("slave/aeron").toString();
        final Path ackedBeforeCrash = dir.resolve("acked-1.log");
        final Path ackedAfterRestart = dir.resolve("acked-2.log");
        BrokerProcess master = start("master", "SYNC_MASTER", haPort);
        BrokerProcess slave = start("slave", "SLAVE", haPort);
        try
        {
            await("slave in sync", () -> counter(masterAeron, "slaves in sync") == 1);
            final Process perf = perf(master, 100_000, ackedBeforeCrash, "perf-1.log");
            await("acks under SYNC_MASTER", () -> lines(ackedBeforeCrash) >= 2000 || !perf.isAlive());
            slave.kill(); // SIGKILL with sends waiting for its acks
            assertTrue(perf.waitFor(300, TimeUnit.SECONDS), "perf ends");
            final String summary = Files.readString(dir.resolve("perf-1.log"));
            final long[] statuses = statuses(summary);
            assertTrue(summary.contains("\"errors\":{}"), "every send answered with a status, none timed out: " + summary);
            assertEquals(100_000, statuses[0] + statuses[1] + statuses[2] + statuses[3], summary);
            assertTrue(statuses[0] >= 2000, summary);
            assertEquals(0, statuses[1], "no FLUSH_DISK_TIMEOUT under ASYNC_FLUSH: " + summary);
            assertTrue(statuses[2] + statuses[3] > 0, "answers after the slave died say so: " + summary);
            assertEquals(statuses[3], counter(masterAeron, "sends answered SLAVE_NOT_AVAILABLE"));
            System.out.println("replication crash test: slave killed after SEND_OK " + statuses[0] + "; then FLUSH_SLAVE_TIMEOUT " +
                statuses[2] + ", SLAVE_NOT_AVAILABLE " + statuses[3] + ", no send left unanswered");

            slave = start("slave", "SLAVE", haPort);
            await("restarted slave caught up", () -> counter(masterAeron, "slaves in sync") == 1 &&
                counter(masterAeron, "records the furthest slave is behind") == 0);

            master.kill();
            master = start("master", "SYNC_MASTER", haPort);
            await("the slave follows the restarted master by itself", () -> counter(masterAeron, "slaves in sync") == 1);
            final Process again = perf(master, 5000, ackedAfterRestart, "perf-2.log");
            assertTrue(again.waitFor(300, TimeUnit.SECONDS), "perf ends");
            final long[] after = statuses(Files.readString(dir.resolve("perf-2.log")));
            assertEquals(5000, after[0], "SEND_OK again with the slave back: " + Files.readString(dir.resolve("perf-2.log")));
            await("slave has all", () -> counter(slaveAeron, "slave: last index written") == counter(masterAeron, "replicated index"));
        }
        finally
        {
            assertEquals(0, master.stop(30_000), master.logTail());
            assertEquals(0, slave.stop(30_000), slave.logTail());
        }
        final String[] masterDigest = AckedMessages.journal("digest", dir.resolve("master/store").toString());
        final String[] slaveDigest = AckedMessages.journal("digest", dir.resolve("slave/store").toString());
        assertEquals("0", masterDigest[0]);
        assertEquals(masterDigest[1], slaveDigest[1], "journal digest of master and slave");
        for (final Path acked : List.of(ackedBeforeCrash, ackedAfterRestart))
        {
            final AckedMessages.Check check = AckedMessages.check(acked, dir.resolve("slave/store"));
            assertEquals(List.of(), check.missing(), acked + ": " + check.acked() + " SEND_OK, slave journal holds " + check.records());
        }
    }

    @Test
    @Tag("crash")
    void shouldHaveEverySendOkMessageOnAPromotedSlaveAfterTheMasterIsKilled() throws Exception
    {
        final int haPort = freeUdpPort();
        final String masterAeron = dir.resolve("master/aeron").toString();
        final Path acked = dir.resolve("acked.log");
        final BrokerProcess master = start("master", "SYNC_MASTER", haPort);
        BrokerProcess slave = start("slave", "SLAVE", haPort);
        try
        {
            await("slave in sync", () -> counter(masterAeron, "slaves in sync") == 1);
            final Process perf = perf(master, 10_000_000, acked, "perf.log");
            await("acks under SYNC_MASTER", () -> lines(acked) >= 3000 || !perf.isAlive());
            master.kill(); // SIGKILL mid-stream: some records are on the master only, some SEND_OKs in flight
            perf.destroyForcibly();
            perf.waitFor(30, TimeUnit.SECONDS);
            assertEquals(0, slave.stop(30_000), slave.logTail());

            // promotion: the slave's store, restarted as a master
            slave = start("slave", "SYNC_MASTER", freeUdpPort());
            final AckedMessages.Check check = AckedMessages.check(acked, dir.resolve("slave/store"));
            assertTrue(check.acked() >= 3000, check.toString());
            assertEquals(List.of(), check.missing(), check.acked() + " SEND_OK, the promoted slave's journal holds " + check.records());
        }
        finally
        {
            master.close();
            slave.close();
        }
    }

    private Process perf(final BrokerProcess broker, final int count, final Path acked, final String log) throws IOException
    {
        final List<String> command = BrokerProcess.peregrineCommand(List.of("-Xmx256m"));
        command.addAll(List.of("perf", "--channel", "aeron:udp?endpoint=" + broker.readyField("listen").replace("aeron:udp?endpoint=", ""),
            "--mode", "async", "--size", "256", "--count", Integer.toString(count), "--warmup", "0", "--inflight", "256",
            "--timeout", "10000", "--acked-log", acked.toString(), "--json"));
        final File out = dir.resolve(log).toFile();
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(out)).start();
    }

    /**
     * @return SEND_OK, FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT and SLAVE_NOT_AVAILABLE counts of perf's JSON line.
     */
    private static long[] statuses(final String perfLog)
    {
        final String json = perfLog.lines().filter((l) -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow(
            () -> new AssertionError("no JSON line in perf's output:\n" + perfLog));
        final long[] counts = new long[4];
        final Matcher matcher = STATUS.matcher(json);
        final List<String> names = List.of("SEND_OK", "FLUSH_DISK_TIMEOUT", "FLUSH_SLAVE_TIMEOUT", "SLAVE_NOT_AVAILABLE");
        while (matcher.find())
        {
            counts[names.indexOf(matcher.group(1))] = Long.parseLong(matcher.group(2));
        }
        return counts;
    }

    /**
     * A broker counter read from outside the process, as {@code peregrine counters} reads it; Long.MIN_VALUE until the
     * broker has it.
     */
    private static long counter(final String aeronDir, final String labelPart)
    {
        final long[] value = { Long.MIN_VALUE };
        try
        {
            DriverCounters.forEach(aeronDir, (v, id, label) ->
            {
                if (label.startsWith("peregrine:") && label.contains(labelPart))
                {
                    value[0] = v;
                }
            });
        }
        catch (final RuntimeException ex)
        {
            return Long.MIN_VALUE; // the driver is not up (yet)
        }
        return value[0];
    }

    private static long lines(final Path file)
    {
        try
        {
            return AckedMessages.lines(file);
        }
        catch (final IOException ex)
        {
            return 0;
        }
    }

    private static void await(final String what, final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("timed out waiting for: " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // polls other processes: leave the cores to them
        }
    }

    private static int freeUdpPort() throws IOException
    {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }
}
