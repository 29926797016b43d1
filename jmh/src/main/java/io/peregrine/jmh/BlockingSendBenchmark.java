package io.peregrine.jmh;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.peregrine.producer.SendResults;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendStatus;
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
 * Blocking sends and batches, as throughput: an operation is one {@code send} back with SEND_OK, or one
 * {@code sendBatch} of {@code batch} messages, each into a reusable {@link SendResults}, back when every message is
 * answered. One broker for the trial, so what is measured is the steady state. Run with {@code -prof gc} (the broker
 * is in this JVM): {@code gc.alloc.rate.norm} is what producer and broker allocate per operation (SendLatencyBenchmark
 * samples times, and JMH's sample buffers and a fresh broker per iteration count there).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class BlockingSendBenchmark extends ForkedBenchmark
{
    private static final long SEND_TIMEOUT_MS = 10_000;

    @Param({ "ipc", "udp" })
    String transport;

    @Param({ "64", "1024" })
    int size;

    @Param({ "16" })
    int batch;

    BenchmarkBroker fixture;
    Producer producer;
    final List<Message> messages = new ArrayList<>();
    SendResults results;

    /**
     * A broker, its store and one producer for the trial.
     *
     * @throws IOException if the temporary directory cannot be made.
     */
    @Setup(Level.Trial)
    public void start() throws IOException
    {
        fixture = new BenchmarkBroker(transport, 1, 4096, "ASYNC_FLUSH");
        producer = fixture.producers.get(0);
        for (int i = 0; i < batch; i++)
        {
            messages.add(new Message().topic("batch").body(new byte[size]));
        }
        results = new SendResults(batch);
    }

    /**
     * Stop the broker and delete its store.
     *
     * @throws IOException if the store cannot be deleted.
     */
    @TearDown(Level.Trial)
    public void stop() throws IOException
    {
        fixture.close();
    }

    /**
     * One blocking send into a reusable holder, back with SEND_OK.
     *
     * @return the journal index, so the call is not optimised away.
     */
    @Benchmark
    public long send()
    {
        producer.send(messages.get(0), SEND_TIMEOUT_MS, results);
        if (results.status(0) != SendStatus.SEND_OK)
        {
            throw new IllegalStateException("send answered " + results.status(0) + ", not SEND_OK");
        }
        return results.journalIndex(0);
    }

    /**
     * One blocking batch, back when all its messages are answered.
     *
     * @return the last message's journal index, so the call is not optimised away.
     */
    @Benchmark
    public long sendBatch()
    {
        producer.sendBatch(messages, SEND_TIMEOUT_MS, results);
        final int last = results.count() - 1;
        if (results.status(last) != SendStatus.SEND_OK)
        {
            throw new IllegalStateException("batch answered " + results.status(last) + ", not SEND_OK");
        }
        return results.journalIndex(last);
    }
}
