package io.peregrine.jmh;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.CommonContext;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.peregrine.transport.EmbeddedDriver;
import io.peregrine.transport.Sizing;
import org.agrona.CloseHelper;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The producer's hand-off, many application threads into one stream over IPC:
 * <ul>
 *     <li>{@code direct}: each thread offers header and body straight to a concurrent publication (what the
 *     producer does today);</li>
 *     <li>{@code ring}: each thread copies the message into a many-to-one ring buffer and one sender thread
 *     drains it into an exclusive publication (the design's producer ring).</li>
 * </ul>
 * A consumer thread drains the stream in both cases. Operations are accepted hand-offs per second.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class OfferPathBenchmark extends ForkedBenchmark
{
    private static final int STREAM_ID = 1001;
    private static final int MSG_TYPE = 1;

    @Param({ "direct", "ring" })
    String path;

    @Param({ "64", "1024" })
    int size;

    private MediaDriver driver;
    private Aeron aeron;
    private Subscription subscription;
    private Publication concurrent;
    private ExclusivePublication exclusive;
    private RingBuffer ring;
    private AgentRunner consumer;
    private AgentRunner sender;

    @Setup(Level.Trial)
    public void start()
    {
        driver = EmbeddedDriver.launch(CommonContext.generateRandomDirName(), "backoff", true);
        aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(driver.aeronDirectoryName()));
        final String channel = "aeron:ipc?term-length=" + Sizing.termLength(64 * 1024);
        subscription = aeron.addSubscription(channel, STREAM_ID);
        if (path.equals("direct"))
        {
            concurrent = aeron.addPublication(channel, STREAM_ID);
        }
        else
        {
            exclusive = aeron.addExclusivePublication(channel, STREAM_ID);
            ring = new ManyToOneRingBuffer(new UnsafeBuffer(ByteBuffer.allocateDirect(Sizing.ringCapacity(64 * 1024))));
            final ExclusivePublication publication = exclusive;
            final RingBuffer ringBuffer = ring;
            sender = new AgentRunner(new BackoffIdleStrategy(), Throwable::printStackTrace, null, new org.agrona.concurrent.Agent()
            {
                public int doWork()
                {
                    return ringBuffer.controlledRead((msgTypeId, buffer, index, length) ->
                        publication.offer(buffer, index, length) > 0 ?
                        org.agrona.concurrent.ControlledMessageHandler.Action.CONTINUE :
                        org.agrona.concurrent.ControlledMessageHandler.Action.ABORT, 64);
                }

                public String roleName()
                {
                    return "ring-sender";
                }
            });
            AgentRunner.startOnThread(sender);
        }
        final Subscription sub = subscription;
        consumer = new AgentRunner(new BackoffIdleStrategy(), Throwable::printStackTrace, null, new org.agrona.concurrent.Agent()
        {
            public int doWork()
            {
                return sub.poll((buffer, offset, length, header) -> { }, 256);
            }

            public String roleName()
            {
                return "consumer";
            }
        });
        AgentRunner.startOnThread(consumer);
    }

    @TearDown(Level.Trial)
    public void stop()
    {
        CloseHelper.closeAll(sender, consumer, concurrent, exclusive, subscription, aeron, driver);
    }

    /**
     * One application thread's header and body.
     */
    @State(Scope.Thread)
    public static class Message
    {
        final UnsafeBuffer header = new UnsafeBuffer(new byte[48]);
        UnsafeBuffer body;

        @Setup(Level.Trial)
        public void start(final OfferPathBenchmark benchmark)
        {
            body = new UnsafeBuffer(new byte[benchmark.size]);
        }
    }

    /**
     * One accepted hand-off.
     *
     * @param message this thread's message.
     * @return the position or ring index, so the work is not optimised away.
     */
    @Benchmark
    @Threads(4)
    public long offer(final Message message)
    {
        if (null != concurrent)
        {
            long result;
            while ((result = concurrent.offer(message.header, 0, 48, message.body, 0, message.body.capacity())) < 0)
            {
                Thread.onSpinWait();
            }
            return result;
        }
        final int length = 48 + message.body.capacity();
        int index;
        while ((index = ring.tryClaim(MSG_TYPE, length)) < 0)
        {
            Thread.onSpinWait();
        }
        final MutableDirectBuffer buffer = ring.buffer();
        buffer.putBytes(index, message.header, 0, 48);
        buffer.putBytes(index + 48, message.body, 0, message.body.capacity());
        ring.commit(index);
        return index;
    }
}
