package io.peregrine.jmh;

import java.io.File;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import java.util.List;

import io.aeron.CncFileDescriptor;
import io.peregrine.broker.Broker;
import io.peregrine.broker.BrokerContext;
import io.peregrine.producer.Producer;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.status.CountersReader;

/**
 * A broker on a temporary store plus producers to it, for one benchmark trial.
 */
final class BenchmarkBroker implements AutoCloseable
{
    /**
     * Largest message of every benchmark; it sets the producers' term length, which the floors copy.
     */
    static final int MAX_MESSAGE_SIZE = 1024 * 1024;

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
        dir = Files.createTempDirectory("peregrine-jmh-");
        broker = Broker.launch(new BrokerContext()
            .set(BrokerContext.STORE_PATH_ROOT_DIR, dir.resolve("store").toString())
            .set(BrokerContext.AERON_DIR, dir.resolve("aeron").toString())
            .set(BrokerContext.FLUSH_DISK_TYPE, flushDiskType)
            .set(BrokerContext.PRETOUCH, Boolean.toString(pretouch))
            .set(BrokerContext.LISTEN_CHANNEL, "aeron:udp?endpoint=127.0.0.1:0"));
        final boolean ipc = transport.equals("ipc");
        for (int i = 0; i < producerCount; i++)
        {
            producers.add(Producer.start(new Producer.Context()
                .producerGroup("jmh")
                .instanceName("jmh-" + i)
                .brokerChannel(ipc ? "aeron:ipc" : broker.udpChannel())
                .aeronDirectoryName(ipc ? broker.aeronDirectoryName() : null)
                .maxInFlight(maxInFlight)
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

    public void close() throws IOException
    {
        CloseHelper.closeAll(producers);
        CloseHelper.close(broker);
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
        final MappedByteBuffer cnc = IoUtil.mapExistingFile(new File(broker.aeronDirectoryName(), CncFileDescriptor.CNC_FILE), "cnc");
        try
        {
            final DirectBuffer meta = CncFileDescriptor.createMetaDataBuffer(cnc);
            final CountersReader counters = new CountersReader(
                CncFileDescriptor.createCountersMetaDataBuffer(cnc, meta), CncFileDescriptor.createCountersValuesBuffer(cnc, meta));
            counters.forEach((value, id, label) ->
            {
                if (value != 0 && (label.startsWith("peregrine") || label.contains("rror") || label.contains("loss") ||
                    label.contains("NAK") || label.contains("back-pressure") || label.contains("timeout")))
                {
                    text.append(label).append('=').append(value).append('\n');
                }
            });
        }
        finally
        {
            IoUtil.unmap(cnc);
        }
        return text.toString();
    }

    static void deleteTree(final Path dir)
    {
        IoUtil.delete(dir.toFile(), true);
    }
}
