package io.peregrine.jmh;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import io.peregrine.broker.BrokerContext;
import io.peregrine.consumer.Consumer;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
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
 * A consumer that stops reading must not slow producers: the blocking send's round trip (UDP, ASYNC_FLUSH) with no
 * consumer, and with a network consumer that subscribed from the start and stopped reading (it stays connected: the
 * broker's liveness timeout is an hour here). Before measuring, 8 MiB are stored (in both cases), more than the
 * stalled consumer's stream holds, so the broker has stopped reading for it: what is measured is what a consumer that
 * fell behind and stopped costs producers. The two cases alternate size by size in one run; the report puts their
 * ratio beside them.
 *
 * <p>Each iteration starts a fresh broker on a fresh store and deletes it afterwards.
 */
@State(Scope.Benchmark)
public class StalledConsumerBenchmark extends SampledLatencyBenchmark
{
    private static final long SEND_TIMEOUT_MS = 10_000;
    private static final int FILL_MESSAGE = 64 * 1024;
    private static final int FILL_BYTES = 8 * 1024 * 1024;
    private static final long FULL_WINDOW = 2 * 1024 * 1024; // the consumer's receiver window

    @Param({ "1024", "65536" })
    int size;

    @Param({ "false", "true" })
    boolean stalled; // after size in JMH's order, so the two cases alternate size by size

    BenchmarkBroker fixture;
    Producer producer;
    Consumer consumer;
    Message message;

    /**
     * A fresh broker, store and producer, and the stalled consumer if asked, for this iteration.
     *
     * @throws IOException if the temporary directory cannot be made.
     */
    @Setup(Level.Iteration)
    public void start() throws IOException
    {
        fixture = new BenchmarkBroker("udp", 1, 4096, "ASYNC_FLUSH", true, 0,
            (ctx) -> ctx.set(BrokerContext.PRODUCER_LIVENESS_TIMEOUT, "3600000"));
        producer = fixture.producers.get(0);
        if (stalled)
        {
            consumer = Consumer.connect(new Consumer.Context().brokerChannel(fixture.broker.udpChannel()));
        }
        final Message fill = new Message().topic("fill").body(new byte[FILL_MESSAGE]);
        for (int i = 0; i < FILL_BYTES / FILL_MESSAGE; i++)
        {
            sendOk(producer, fill, SEND_TIMEOUT_MS);
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (stalled && fixture.broker.consumerMessagesSent() * FILL_MESSAGE < FULL_WINDOW)
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new IllegalStateException("the stalled consumer's stream did not fill within 30 s");
            }
            Thread.yield();
        }
        if (null == message)
        {
            message = new Message().topic("latency").body(new byte[size]);
        }
    }

    /**
     * Stop the consumer and the broker, and delete the store.
     *
     * @throws IOException if the store cannot be deleted.
     */
    @TearDown(Level.Iteration)
    public void stop() throws IOException
    {
        CloseHelper.close(consumer);
        consumer = null;
        fixture.close();
    }

    /**
     * One blocking send, back when the broker answered SEND_OK.
     *
     * @return the status, so the call is not optimised away.
     */
    @Benchmark
    public SendStatus send()
    {
        return sendOk(producer, message, SEND_TIMEOUT_MS);
    }
}
