package io.peregrine.jmh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import io.peregrine.broker.Broker;
import io.peregrine.broker.BrokerContext;
import io.peregrine.producer.Producer;
import io.peregrine.transport.DriverCounters;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;

/**
 * A broker on a temporary store plus producers to it, for one benchmark trial.
 */
final class BenchmarkBroker implements AutoCloseable
{
    /**
     * Largest message of every benchmark; it sets the producers' term length, which the floors copy.
     */
    static final int MAX_MESSAGE_SIZE = 1024 * 1024;

    private static volatile Broker running;
    private static volatile Broker lastClosed;
    private static volatile long[] lastClosedFlushCounters;

    final Path dir;
    final Broker broker;
    final List<Producer> producers = new ArrayList<>();

    BenchmarkBroker(final String transport, final int producerCount, final int maxInFlight) throws IOException
    {
        this(transport, producerCount, maxInFlight, "ASYNC_FLUSH");
    }

    BenchmarkBroker(final String transport, final int producerCount, final int maxInFlight, final String flushDiskType) throws IOException
    {
        this(transport, producerCount, maxInFlight, flushDiskType, true);
    }

    BenchmarkBroker(
        final String transport, final int producerCount, final int maxInFlight, final String flushDiskType, final boolean pretouch)
        throws IOException
    {
        this(transport, producerCount, maxInFlight, flushDiskType, pretouch, 0);
    }

    BenchmarkBroker(
        final String transport,
        final int producerCount,
        final int maxInFlight,
        final String flushDiskType,
        final boolean pretouch,
        final int asyncRetries)
        throws IOException
    {
        this(transport, producerCount, maxInFlight, flushDiskType, pretouch, asyncRetries, UnaryOperator.identity());
    }

    BenchmarkBroker(
        final String transport,
        final int producerCount,
        final int maxInFlight,
        final String flushDiskType,
        final boolean pretouch,
        final int asyncRetries,
        final UnaryOperator<BrokerContext> settings)
        throws IOException
    {
        dir = Files.createTempDirectory("peregrine-jmh-");
        broker = launch(settings.apply(new BrokerContext()
            .set(BrokerContext.STORE_PATH_ROOT_DIR, dir.resolve("store").toString())
            .set(BrokerContext.AERON_DIR, dir.resolve("aeron").toString())
            .set(BrokerContext.FLUSH_DISK_TYPE, flushDiskType)
            .set(BrokerContext.PRETOUCH, Boolean.toString(pretouch))
            .set(BrokerContext.LISTEN_CHANNEL, "aeron:udp?endpoint=127.0.0.1:0")
            .set(BrokerContext.HA_LISTEN_CHANNEL, "aeron:udp?endpoint=127.0.0.1:0")));
        final boolean ipc = transport.equals("ipc");
        for (int i = 0; i < producerCount; i++)
        {
            producers.add(Producer.start(new Producer.Context()
                .producerGroup("jmh")
                .instanceName("jmh-" + i)
                .brokerChannel(ipc ? "aeron:ipc" : broker.udpChannel())
                .aeronDirectoryName(ipc ? broker.aeronDirectoryName() : null)
                .maxInFlight(maxInFlight)
                .retryTimesWhenSendAsyncFailed(asyncRetries)
                .maxMessageSize(MAX_MESSAGE_SIZE)));
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (final Producer producer : producers)
        {
            while (!producer.isConnected())
            {
                if (System.nanoTime() - deadline > 0)
                {
                    throw new IllegalStateException("producer not connected within 30 s");
                }
                Thread.yield();
            }
        }
    }

    /**
     * Launch a broker and make it the one profilers read.
     *
     * @param ctx of the broker.
     * @return the running broker.
     */
    static Broker launch(final BrokerContext ctx)
    {
        final Broker broker = Broker.launch(ctx);
        running = broker;
        return broker;
    }

    /**
     * @return the broker started last with {@link #launch(BrokerContext)} and still running, or null.
     */
    static Broker running()
    {
        return running;
    }

    /**
     * Flushes, time spent flushing (ns) and sends stored of a broker started with {@link #launch(BrokerContext)},
     * also once it closed (JMH tears the trial down before profilers see the last iteration).
     *
     * @param broker one that {@link #running()} returned.
     * @return the three counters, or null if the broker is neither running nor the last one closed.
     */
    static long[] flushCounters(final Broker broker)
    {
        if (broker == running)
        {
            return new long[]{ broker.flushes(), broker.flushNanos(), broker.sendsStored() };
        }
        return broker == lastClosed ? lastClosedFlushCounters : null;
    }

    /**
     * Close a broker started with {@link #launch(BrokerContext)}.
     *
     * @param broker to close; null is ignored.
     */
    static void close(final Broker broker)
    {
        if (null != broker && running == broker)
        {
            lastClosedFlushCounters = flushCounters(broker);
            lastClosed = broker;
            running = null;
        }
        CloseHelper.close(broker);
    }

    public void close() throws IOException
    {
        CloseHelper.closeAll(producers);
        close(broker);
        deleteTree(dir);
    }

    /**
     * The broker's own counters and the driver's error and loss counters that are not zero, read from the
     * driver's CnC file: what a failed run needs to say why.
     *
     * @return one {@code label=value} per line.
     */
    String nonZeroCounters()
    {
        final StringBuilder text = new StringBuilder();
        DriverCounters.forEach(broker.aeronDirectoryName(), (value, id, label) ->
        {
            if (value != 0 && (label.startsWith("peregrine") || label.contains("rror") || label.contains("loss") ||
                label.contains("NAK") || label.contains("back-pressure") || label.contains("timeout")))
            {
                text.append(label).append('=').append(value).append('\n');
            }
        });
        return text.toString();
    }

    static void deleteTree(final Path dir)
    {
        IoUtil.delete(dir.toFile(), true);
    }
}
