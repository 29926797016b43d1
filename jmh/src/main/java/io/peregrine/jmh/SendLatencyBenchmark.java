package io.peregrine.jmh;

import java.io.IOException;

import io.peregrine.broker.BrokerContext;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendStatus;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Round trip of one blocking {@code send} against message size, transport and flush policy: the time from
 * the call until SEND_OK is back in the caller, broker and its media driver in this JVM (as an application
 * embedding the producer next to a broker on the same host would see it). Compare each point with the floors
 * of the same run: {@link AeronRoundTripFloorBenchmark} plus {@link JournalFloorBenchmark#append} for
 * ASYNC_FLUSH, plus {@link JournalFloorBenchmark#appendAndFlush} for SYNC_FLUSH.
 *
 * <p>Each iteration starts a fresh broker on a fresh store and deletes it afterwards, so the disk does not
 * fill at 512 KiB (about a gigabyte per second of sends).
 */
@State(Scope.Benchmark)
public class SendLatencyBenchmark extends SampledLatencyBenchmark
{
    private static final long SEND_TIMEOUT_MS = 10_000;

    @Param({ "64", "256", "1024", "4096", "16384", "65536", "262144", "524288" })
    int size;

    @Param({ "ipc", "udp" })
    String transport;

    @Param({ "ASYNC_FLUSH", "SYNC_FLUSH" })
    String flush;

    /**
     * The broker's pre-toucher (its default); {@code -p pretouch=false} measures without.
     */
    @Param({ "true" })
    boolean pretouch;

    /**
     * The broker's pageCacheWindow (its default); {@code -p pageCacheWindow=0} measures without releasing the page cache.
     */
    @Param({ "64m" })
    String pageCacheWindow;

    BenchmarkBroker fixture;
    Producer producer;
    Message message;

    /**
     * A fresh broker, store and producer for this iteration.
     *
     * @throws IOException if the temporary directory cannot be made.
     */
    @Setup(Level.Iteration)
    public void start() throws IOException
    {
        fixture = new BenchmarkBroker(transport, 1, 4096, flush, pretouch, 0,
            (context) -> context.set(BrokerContext.PAGE_CACHE_WINDOW, pageCacheWindow));
        producer = fixture.producers.get(0);
        if (null == message)
        {
            message = new Message().topic("latency").body(new byte[size]);
        }
    }

    /**
     * Stop the broker and delete its store.
     *
     * @throws IOException if the store cannot be deleted.
     */
    @TearDown(Level.Iteration)
    public void stop() throws IOException
    {
        fixture.close();
    }

    /**
     * One blocking send, back when the broker answered SEND_OK (a failure ends the run with its exception).
     *
     * @return the status, so the call is not optimised away.
     */
    @Benchmark
    public SendStatus send()
    {
        return sendOk(producer, message, SEND_TIMEOUT_MS);
    }
}
