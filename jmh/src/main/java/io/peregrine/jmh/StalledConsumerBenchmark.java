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
 * A consumer that stops reading must not slow producers: the blocking send's round trip (UDP, ASYNC_FLUSH) beside
 * <ul>
 *   <li>{@code stalled}: a network consumer that subscribed from the start and stopped reading. Before measuring,
 *   8 MiB are stored, more than its stream holds, so the broker has stopped reading for it; it stays connected (the
 *   broker's liveness timeout is an hour here).</li>
 *   <li>{@code caught-up}: a network consumer as connected as that one but with nothing to read (it asked for a topic
 *   nobody sends), so it is never behind: the broker's link reads every record for it and finds none to send, and its
 *   stream carries only heartbeats. It is the baseline for the stall: its ratio to {@code stalled} is what falling
 *   behind costs producers.</li>
 *   <li>{@code none}: no consumer. Its ratio to {@code caught-up} is what a connected consumer costs on the same
 *   host: on two cores, one more socket for each media driver to poll every duty cycle and the broker's tail thread
 *   waking for each record.</li>
 * </ul>
 * The same 8 MiB are stored first in every case. On a shared two-core host one point moves by a fifth from run to run,
 * as much as what is measured, so each size runs three turns of the three cases one after the other, and the report
 * gives each ratio as the median of the three turns' ratios, with their range beside it: a cost shows as a range above
 * 1×, noise as one that straddles it.
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

    @Param({ "1", "2", "3" })
    int turn; // JMH orders parameters by name (size, turn, with): each turn runs the three cases one after the other

    @Param({ "none", "caught-up", "stalled" })
    String with;

    BenchmarkBroker fixture;
    Producer producer;
    Consumer tail;
    Message message;

    /**
     * A fresh broker, store and producer, and the consumer if asked, for this iteration.
     *
     * @throws IOException if the temporary directory cannot be made.
     */
    @Setup(Level.Iteration)
    public void start() throws IOException
    {
        fixture = new BenchmarkBroker("udp", 1, 4096, "ASYNC_FLUSH", true, 0,
            (ctx) -> ctx.set(BrokerContext.PRODUCER_LIVENESS_TIMEOUT, "3600000"));
        producer = fixture.producers.get(0);
        final boolean stalled = with.equals("stalled");
        if (!with.equals("none"))
        {
            final Consumer.Context context = new Consumer.Context().brokerChannel(fixture.broker.udpChannel());
            tail = Consumer.connect(stalled ? context : context.topic("nobody-sends-this"));
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
        CloseHelper.close(tail);
        tail = null;
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
