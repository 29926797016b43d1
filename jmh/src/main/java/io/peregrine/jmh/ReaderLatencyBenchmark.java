package io.peregrine.jmh;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.peregrine.consumer.Consumer;
import io.peregrine.journal.JournalReader;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendCallback;
import io.peregrine.producer.SendException;
import io.peregrine.producer.SendStatus;
import org.agrona.CloseHelper;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * End to end: from {@code sendAsync} until the message is handed over by a {@link JournalReader} on the broker's store
 * ({@code via=reader}) or by a network {@link Consumer} tailing the broker ({@code via=tail}, over the producer's
 * transport: IPC on the broker's driver, or UDP through an embedded driver), against message size. The broker
 * (ASYNC_FLUSH) and its driver run in this JVM; the reader or consumer polls on the benchmark's thread, yielding
 * between empty polls. Compare with {@link SendLatencyBenchmark}: both see a record once it is appended, before the
 * SEND_OK travels back; the tail adds the broker's tail thread noticing it and the hop to the consumer.
 *
 * <p>Each iteration starts a fresh broker on a fresh store and deletes it afterwards.
 */
@State(Scope.Benchmark)
public class ReaderLatencyBenchmark extends SampledLatencyBenchmark
{
    private static final long READ_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    @Param({ "64", "256", "1024", "4096", "16384", "65536", "262144", "524288" })
    int size;

    @Param({ "ipc", "udp" })
    String transport;

    @Param({ "reader", "tail" })
    String via;

    BenchmarkBroker fixture;
    Producer producer;
    JournalReader reader;
    Consumer consumer;
    Message message;
    final JournalReader.MessageHandler handler = (stored) -> lastRead = stored.sequence();
    final Consumer.MessageHandler consumed = (received) -> lastRead = received.sequence();
    long lastRead;
    long sent;
    final AtomicLong answered = new AtomicLong();
    volatile String failure;
    final SendCallback callback = new SendCallback()
    {
        public void onComplete(final long sequence, final SendStatus status, final long journalIndex)
        {
            if (status != SendStatus.SEND_OK)
            {
                failure = "send answered " + status;
            }
            answered.incrementAndGet();
        }

        public void onError(final long sequence, final SendException error)
        {
            failure = error.toString();
            answered.incrementAndGet();
        }
    };

    /**
     * A fresh broker, producer and reader (from the end of the empty journal) for this iteration.
     *
     * @throws IOException if the temporary directory cannot be made.
     */
    @Setup(Level.Iteration)
    public void start() throws IOException
    {
        fixture = new BenchmarkBroker(transport, 1, 4096);
        producer = fixture.producers.get(0);
        if ("tail".equals(via))
        {
            final boolean ipc = "ipc".equals(transport);
            consumer = Consumer.connect(new Consumer.Context()
                .brokerChannel(ipc ? "aeron:ipc" : fixture.broker.udpChannel())
                .aeronDirectoryName(ipc ? fixture.broker.aeronDirectoryName() : null)
                .from(Consumer.Start.END));
        }
        else
        {
            reader = JournalReader.open(new JournalReader.Context().storeDir(fixture.dir.resolve("store").toFile())
                .from(JournalReader.Start.END));
        }
        if (null == message)
        {
            message = new Message().topic("e2e").body(new byte[size]);
        }
    }

    /**
     * Wait for the answers of the sends still in flight (every one must be SEND_OK), then stop the reader and the
     * broker and delete the store.
     *
     * @throws IOException if the store cannot be deleted.
     */
    @TearDown(Level.Iteration)
    public void stop() throws IOException
    {
        final long deadline = System.nanoTime() + READ_TIMEOUT_NS;
        while (answered.get() < sent && System.nanoTime() - deadline < 0)
        {
            Thread.yield();
        }
        if (answered.get() < sent && null == failure)
        {
            failure = (sent - answered.get()) + " sends unanswered 10 s after the iteration";
        }
        if (null != failure)
        {
            failure += " (broker: " + fixture.broker.sendsStored() + " stored, " + fixture.broker.responsesDropped() + " answers dropped, " +
                fixture.broker.responsesDelayed() + " held back; " + sent + " sent, " + answered.get() + " answered)";
        }
        sent = 0;
        answered.set(0);
        CloseHelper.closeAll(reader, consumer);
        reader = null;
        consumer = null;
        fixture.close();
        if (null != failure)
        {
            throw new IllegalStateException(failure);
        }
    }

    /**
     * One message sent and read back by the reader or the consumer.
     *
     * @return the sequence read, so the work is not optimised away.
     */
    @Benchmark
    public long sendToReader()
    {
        long sequence;
        while ((sequence = producer.sendAsync(message, 10_000, callback)) < 0)
        {
            Thread.onSpinWait(); // in flight or back-pressured: the answers of earlier sends still on their way
        }
        sent++;
        final long deadline = System.nanoTime() + READ_TIMEOUT_NS;
        while (lastRead != sequence)
        {
            if ((null != reader ? reader.poll(handler, 1) : consumer.poll(consumed, 1)) == 0)
            {
                if (System.nanoTime() - deadline > 0)
                {
                    throw new IllegalStateException("the " + via + " did not see sequence " + sequence + " within 10 s");
                }
                Thread.yield(); // spinning would take a core from the broker's threads on a small host
            }
        }
        return lastRead;
    }
}
