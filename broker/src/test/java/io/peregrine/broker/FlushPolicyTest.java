package io.peregrine.broker;

import static io.peregrine.broker.BrokerTestSupport.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.aeron.Aeron;
import io.aeron.CommonContext;
import io.aeron.driver.MediaDriver;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendCallback;
import io.peregrine.producer.SendException;
import io.peregrine.producer.SendResult;
import io.peregrine.producer.SendStatus;
import io.peregrine.transport.EmbeddedDriver;
import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SYNC_FLUSH and ASYNC_FLUSH with a flusher the test can hold: no SEND_OK before the flush covering it,
 * FLUSH_DISK_TIMEOUT by the deadline (injected clock), waitStoreMsgOK=false not queued behind a flush.
 */
@Timeout(120)
class FlushPolicyTest
{
    @TempDir
    Path dir;

    /**
     * Holds every flush until released, and records how far flushes have reached.
     */
    static final class HeldFlusher implements FlushListener
    {
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicLong flushedUpTo = new AtomicLong(Long.MIN_VALUE);
        final AtomicLong flushesStarted = new AtomicLong();

        public void beforeFlush(final long upToIndex)
        {
            flushesStarted.incrementAndGet();
            try
            {
                release.await(60, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }

        public void afterFlush(final long upToIndex)
        {
            flushedUpTo.set(upToIndex);
        }
    }

    private Producer producer(final Broker broker)
    {
        return Producer.start(new Producer.Context().brokerChannel(broker.udpChannel()).maxMessageSize(64 * 1024));
    }

    @Test
    void shouldAnswerSendOkOnlyAfterTheFlushCoveringItReturned() throws Exception
    {
        final HeldFlusher held = new HeldFlusher();
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir)
            .set(BrokerContext.FLUSH_DISK_TYPE, "SYNC_FLUSH").flushListener(held));
            Producer producer = producer(broker))
        {
            final List<String> violations = new CopyOnWriteArrayList<>();
            final AtomicLong answered = new AtomicLong();
            final SendCallback callback = new SendCallback()
            {
                public void onComplete(final long sequence, final SendStatus status, final long journalIndex)
                {
                    if (status != SendStatus.SEND_OK || journalIndex > held.flushedUpTo.get())
                    {
                        violations.add(status + " for index " + journalIndex + " with flushes up to " + held.flushedUpTo.get());
                    }
                    answered.incrementAndGet();
                }

                public void onError(final long sequence, final SendException error)
                {
                    violations.add(error.toString());
                    answered.incrementAndGet();
                }
            };
            awaitTrue("connected", producer::isConnected);
            final Message message = new Message().topic("durable").body(new byte[100]);
            for (int i = 0; i < 50; i++)
            {
                while (producer.sendAsync(message, 30_000, callback) < 0)
                {
                    Thread.yield();
                }
            }
            awaitTrue("all appended", () -> broker.sendsStored() == 50);
            awaitTrue("a flush started and is held", () -> held.flushesStarted.get() > 0);
            assertEquals(0, answered.get(), "appended but not flushed: nothing may be answered");

            held.release.countDown();
            awaitTrue("all answered", () -> answered.get() == 50);
            assertEquals(List.of(), violations);
            // group commit: the held flush covers what was appended when it began, and the one after it everything else
            // (all 50 were appended while it was held), so 50 sends took at most two flushes, never one each
            assertTrue(held.flushesStarted.get() <= 2, "group commit: " + held.flushesStarted.get() + " flushes for 50 sends");
        }
    }

    @Test
    void shouldLeaveRequestsInTheStreamWhileTheAnswerQueueIsFullThenStoreEachOnceInOrder()
    {
        // tried: more sends than the broker can hold answers for, all in flight at once, while a SYNC_FLUSH flush is
        // held; the clock stands still so no deadline passes
        final HeldFlusher held = new HeldFlusher();
        final CachedNanoClock clock = new CachedNanoClock();
        clock.update(1_000_000_000L);
        final int total = Broker.PENDING_RESPONSES + 2_000;
        final byte[] body = { 42 };
        try (MediaDriver clientDriver = EmbeddedDriver.launch(CommonContext.generateRandomDirName(), "backoff", true);
            Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(clientDriver.aeronDirectoryName()));
            Broker broker = Broker.launch(BrokerTestSupport.context(dir)
                .set(BrokerContext.FLUSH_DISK_TYPE, "SYNC_FLUSH").flushListener(held).nanoClock(clock));
            RawClient raw = new RawClient(aeron, broker.udpChannel()))
        {
            raw.connect();
            final long[] next = { 1 };
            awaitTrue("the answer queue full and the receiver backing off", () ->
            {
                while (next[0] <= total && raw.publication.offer(raw.buffer, 0, raw.encodeSend(next[0], "held", body)) > 0)
                {
                    next[0]++;
                }
                return broker.receiverBackOffs() > 0;
            });
            awaitTrue("as many stored as answers can wait", () -> broker.sendsStored() == Broker.PENDING_RESPONSES);
            raw.poll();
            assertEquals(List.of(), raw.responses, "held flush: nothing answered");

            held.release.countDown();
            awaitTrue("every send answered", () ->
            {
                while (next[0] <= total && raw.publication.offer(raw.buffer, 0, raw.encodeSend(next[0], "held", body)) > 0)
                {
                    next[0]++;
                }
                raw.poll();
                return raw.responses.size() == total;
            });
            long lastIndex = -1;
            for (int i = 0; i < total; i++)
            {
                final String response = raw.responses.get(i);
                assertTrue(response.startsWith("RESPONSE " + (i + 1) + " SEND_OK "), response);
                final long index = Long.parseLong(response.substring(response.lastIndexOf(' ') + 1));
                assertTrue(index > lastIndex, "indices follow the sequences: " + response + " after " + lastIndex);
                lastIndex = index;
            }
            assertEquals(total, broker.sendsStored());
        }
        final List<BrokerTestSupport.Stored> stored = BrokerTestSupport.readJournal(dir);
        assertEquals(total, stored.size(), "each stored once");
        for (int i = 0; i < total; i++)
        {
            assertEquals(i + 1, stored.get(i).sequence());
        }
    }

    @Test
    void shouldAnswerFlushDiskTimeoutAtOnceAfterAFlushFailed() throws Exception
    {
        // tried: the first fsync fails (a disk's write back error); the broker's clock stands still, so no deadline
        // passes: only an answer given at once, not at the deadline, lets the sends return
        final CachedNanoClock clock = new CachedNanoClock();
        clock.update(1_000_000_000L);
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir)
            .set(BrokerContext.FLUSH_DISK_TYPE, "SYNC_FLUSH").nanoClock(clock));
            Producer producer = producer(broker))
        {
            final AtomicLong forces = new AtomicLong();
            broker.flusher().forcer((channel) ->
            {
                if (forces.incrementAndGet() == 1)
                {
                    throw new IOException("Input/output error (test)");
                }
                channel.force(false);
            });
            awaitTrue("connected", producer::isConnected);
            final Message message = new Message().topic("failing.disk").body(new byte[100]);
            for (int i = 0; i < 3; i++)
            {
                final SendResult result = producer.send(message, 10_000);
                assertEquals(SendStatus.FLUSH_DISK_TIMEOUT, result.status(), "send " + i);
                assertTrue(result.journalIndex() >= 0, "stored all the same");
            }
            assertEquals(1, forces.get(), "no flush tried after the failed one");
            assertEquals(3, broker.sendsStored());
        }
    }

    @Test
    void shouldAnswerFlushDiskTimeoutWhenTheFlushMissesTheDeadline() throws Exception
    {
        final HeldFlusher held = new HeldFlusher();
        final CachedNanoClock clock = new CachedNanoClock();
        clock.update(1_000_000_000L);
        final ExecutorService executor = Executors.newSingleThreadExecutor();
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir)
            .set(BrokerContext.FLUSH_DISK_TYPE, "SYNC_FLUSH")
            .set(BrokerContext.SYNC_FLUSH_TIMEOUT, "1000")
            .flushListener(held)
            .nanoClock(clock));
            Producer producer = producer(broker))
        {
            awaitTrue("connected", producer::isConnected);
            final Future<SendResult> pending = executor.submit(() -> producer.send(new Message().topic("late").body(new byte[8]), 30_000));
            awaitTrue("appended", () -> broker.sendsStored() == 1);
            awaitTrue("its flush is held", () -> held.flushesStarted.get() > 0);
            clock.advance(TimeUnit.MILLISECONDS.toNanos(1001)); // past syncFlushTimeout
            final SendResult result = pending.get(30, TimeUnit.SECONDS);
            assertEquals(SendStatus.FLUSH_DISK_TIMEOUT, result.status());
            assertEquals(1, broker.flushTimeouts());

            held.release.countDown();
            assertEquals(SendStatus.SEND_OK, producer.send(new Message().topic("on.time").body(new byte[8]), 30_000).status());
            assertEquals(1, broker.flushTimeouts(), "the timeout belonged to the late message only");
        }
        finally
        {
            executor.shutdownNow();
        }
    }

    @Test
    void shouldNotQueueWaitStoreMsgOkFalseBehindAFlush()
    {
        final HeldFlusher held = new HeldFlusher();
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir)
            .set(BrokerContext.FLUSH_DISK_TYPE, "SYNC_FLUSH").flushListener(held));
            Producer producer = producer(broker))
        {
            final SendResult result = producer.send(new Message().topic("fast").body(new byte[8]).waitStoreMsgOK(false), 30_000);
            assertEquals(SendStatus.SEND_OK, result.status());
            assertEquals(0, broker.flushes(), "answered while the flush is still held");
            held.release.countDown();
        }
    }

    @Test
    void shouldFlushInTheBackgroundUnderAsyncFlushWithoutHoldingAnswers()
    {
        final HeldFlusher held = new HeldFlusher();
        try (Broker broker = Broker.launch(BrokerTestSupport.context(dir)
            .set(BrokerContext.FLUSH_INTERVAL_COMMIT_LOG, "20").flushListener(held));
            Producer producer = producer(broker))
        {
            for (int i = 0; i < 10; i++)
            {
                assertEquals(SendStatus.SEND_OK, producer.send(new Message().topic("async").body(new byte[8]), 30_000).status());
            }
            awaitTrue("a background flush started", () -> held.flushesStarted.get() > 0);
            held.release.countDown();
            awaitTrue("and finished", () -> broker.flushes() > 0);
        }
    }
}
