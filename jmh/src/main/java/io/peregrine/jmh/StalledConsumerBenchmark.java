package io.peregrine.jmh;

import java.io.IOException;

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
 * consumer, and with a network consumer that subscribed from the start and never polls (it stays connected: the
 * broker's liveness timeout is an hour here), which the broker can serve only up to its stream's windows. Compare the
 * two in one run; the report puts their ratio beside them.
 *
 * <p>Each iteration starts a fresh broker on a fresh store and deletes it afterwards.
 */
@State(Scope.Benchmark)
public class StalledConsumerBenchmark extends SampledLatencyBenchmark
{
    private static final long SEND_TIMEOUT_MS = 10_000;

    @Param({ "1024", "65536" })
    int size;

    @Param({ "none", "stalled" })
    String consumer;

    BenchmarkBroker fixture;
    Producer producer;
    Consumer stalled;
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
        if ("stalled".equals(consumer))
        {
            stalled = Consumer.connect(new Consumer.Context().brokerChannel(fixture.broker.udpChannel()));
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
        CloseHelper.close(stalled);
        stalled = null;
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
