package io.peregrine.cli;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.peregrine.consumer.ConsumedMessage;
import io.peregrine.consumer.Consumer;
import org.HdrHistogram.Histogram;
import org.agrona.CloseHelper;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * The end-to-end side of {@code perf --e2e}: a consumer tailing the broker on a thread of its own, timing each message
 * from the send that carried its start time (the first 8 bytes of the body, this JVM's nanoTime) to its arrival here.
 */
final class PerfTail implements AutoCloseable
{
    /**
     * Bytes at the start of a body that carry its send time.
     */
    static final int STAMP_LENGTH = 8;

    private final Consumer consumer;
    private final Thread thread;
    private final AtomicLong received = new AtomicLong();
    private volatile Histogram target;
    private volatile boolean running = true;

    /**
     * Connect a consumer from the end of the broker's journal and start receiving.
     *
     * @param ctx the consumer's context (channel, driver, topic).
     */
    PerfTail(final Consumer.Context ctx)
    {
        consumer = Consumer.connect(ctx.from(Consumer.Start.END));
        thread = new Thread(this::run, "perf-tail");
        thread.setDaemon(true);
        thread.start();
    }

    private void run()
    {
        final IdleStrategy idle = new BackoffIdleStrategy(20, 50, 1_000, 100_000);
        final Consumer.MessageHandler handler = this::onMessage;
        while (running)
        {
            idle.idle(consumer.poll(handler, 10));
        }
    }

    private void onMessage(final ConsumedMessage message)
    {
        final Histogram histogram = target;
        if (null != histogram && message.bodyLength() >= STAMP_LENGTH)
        {
            histogram.recordValue(Math.max(0, System.nanoTime() - message.body().getLong(0)));
        }
        received.incrementAndGet();
    }

    /**
     * Record arrivals into a histogram from now on (null: count them only).
     *
     * @param histogram of a measured run, or null during warm-up.
     */
    void recordInto(final Histogram histogram)
    {
        target = histogram;
    }

    /**
     * Wait until this many messages have arrived since the consumer connected, or the bound passes.
     *
     * @param total     messages sent since the consumer connected.
     * @param timeoutMs the bound.
     * @return messages that arrived.
     * @throws InterruptedException if interrupted.
     */
    long awaitReceived(final long total, final long timeoutMs) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (received.get() < total && System.nanoTime() - deadline < 0)
        {
            Thread.sleep(1);
        }
        return received.get();
    }

    public void close()
    {
        running = false;
        try
        {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        CloseHelper.close(consumer);
    }
}
