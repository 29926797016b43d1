package io.peregrine.jmh;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.peregrine.broker.Broker;
import io.peregrine.broker.BrokerContext;
import io.peregrine.journal.Journal;
import io.peregrine.journal.JournalRecord;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendStatus;
import io.peregrine.transport.Protocol;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Group commit under SYNC_FLUSH: blocking 1 KiB sends over IPC, one producer per benchmark thread; run it
 * with {@code -t 1}, {@code -t 4}, {@code -t 16} and compare the total rate and p50 with {@code appendAndFlushFloor}
 * (one Chronicle append plus one fsync, no broker) measured in the same run.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class SyncFlushBenchmark extends ForkedBenchmark
{
    private static final int SIZE = 1024;
    private static final int MAX_PRODUCERS = 16;

    /**
     * A SYNC_FLUSH broker and up to 16 producers.
     */
    @State(Scope.Benchmark)
    public static class Shared
    {
        /**
         * Pre-touch ahead of the writer (the broker's default); {@code -p pretouch=false} compares without.
         */
        @Param({ "true" })
        boolean pretouch;

        Path dir;
        Broker broker;
        final Producer[] producers = new Producer[MAX_PRODUCERS];
        final AtomicInteger next = new AtomicInteger();

        @Setup(Level.Trial)
        public void start() throws IOException
        {
            dir = Files.createTempDirectory("peregrine-jmh-sync-");
            broker = BenchmarkBroker.launch(new BrokerContext()
                .set(BrokerContext.STORE_PATH_ROOT_DIR, dir.resolve("store").toString())
                .set(BrokerContext.AERON_DIR, dir.resolve("aeron").toString())
                .set(BrokerContext.FLUSH_DISK_TYPE, "SYNC_FLUSH")
                .set(BrokerContext.PRETOUCH, Boolean.toString(pretouch))
                .set(BrokerContext.LISTEN_CHANNEL, "aeron:udp?endpoint=127.0.0.1:0")
                .set(BrokerContext.HA_LISTEN_CHANNEL, "aeron:udp?endpoint=127.0.0.1:0"));
        }

        synchronized Producer producer()
        {
            final int i = next.getAndIncrement();
            if (null == producers[i])
            {
                producers[i] = Producer.start(new Producer.Context()
                    .producerGroup("jmh-sync").instanceName("p" + i)
                    .brokerChannel("aeron:ipc").aeronDirectoryName(broker.aeronDirectoryName())
                    .maxMessageSize(64 * 1024));
            }
            return producers[i];
        }

        @TearDown(Level.Trial)
        public void stop() throws IOException
        {
            CloseHelper.closeAll(producers);
            BenchmarkBroker.close(broker);
            BenchmarkBroker.deleteTree(dir);
        }
    }

    /**
     * This thread's producer.
     */
    @State(Scope.Thread)
    public static class Sender
    {
        Producer producer;
        final Message message = new Message().topic("sync").body(new byte[SIZE]);

        @Setup(Level.Trial)
        public void start(final Shared shared)
        {
            producer = shared.producer();
        }
    }

    /**
     * One blocking send, answered once the fsync covering it returned.
     *
     * @param sender this thread's producer.
     * @return the status, so the call is not optimised away.
     */
    @Benchmark
    public SendStatus syncFlushSend(final Sender sender)
    {
        return sender.producer.send(sender.message, 10_000).status();
    }

    /**
     * The floor: a Chronicle journal and the channel of its current file.
     */
    @State(Scope.Thread)
    public static class Floor
    {
        Path dir;
        Journal journal;
        FileChannel channel;
        final UnsafeBuffer record = new UnsafeBuffer(ByteBuffer.allocateDirect(SIZE + 256));

        @Setup(Level.Trial)
        public void start() throws IOException
        {
            dir = Files.createTempDirectory("peregrine-jmh-floor-");
            journal = Journal.open(dir.toFile(), JournalRecord.recordLength(Protocol.MAX_TOPIC_LENGTH, 64 * 1024), false);
        }

        @TearDown(Level.Trial)
        public void stop() throws IOException
        {
            CloseHelper.closeAll(channel, journal);
            BenchmarkBroker.deleteTree(dir);
        }
    }

    /**
     * One append of a 1 KiB record and one fsync of the journal file: what a lone SYNC_FLUSH send cannot beat.
     *
     * @param floor the journal.
     * @return the index, so the call is not optimised away.
     * @throws IOException if the flush fails.
     */
    @Benchmark
    public long appendAndFlushFloor(final Floor floor) throws IOException
    {
        final long index = floor.journal.append(floor.record, 0, SIZE + 64);
        if (null == floor.channel)
        {
            floor.channel = FileChannel.open(floor.journal.fileOf(index).toPath(), StandardOpenOption.READ);
        }
        floor.channel.force(false);
        return index;
    }
}
