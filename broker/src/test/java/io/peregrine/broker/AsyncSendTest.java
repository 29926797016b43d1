package io.peregrine.broker;

import static io.peregrine.broker.BrokerTestSupport.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendCallback;
import io.peregrine.producer.SendException;
import io.peregrine.producer.SendResult;
import io.peregrine.producer.SendStatus;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * sendAsync (callback and future), sendOneway, the in-flight bound and the group/instance rule.
 */
@Timeout(180)
class AsyncSendTest
{
    @TempDir
    Path dir;

    private Broker broker;
    private Producer producer;

    @BeforeEach
    void start()
    {
        broker = Broker.launch(BrokerTestSupport.context(dir));
    }

    @AfterEach
    void stop()
    {
        CloseHelper.closeAll(producer, broker);
    }

    private Producer.Context udp()
    {
        return new Producer.Context().brokerChannel(broker.udpChannel()).maxMessageSize(64 * 1024);
    }

    private void awaitConnected(final Producer producer)
    {
        assertEquals(SendStatus.SEND_OK, producer.send(new Message().topic("warmup").body(new byte[1]), 20_000).status());
    }

    @Test
    void shouldRunCallbacksOnlyOnTheProducerThreadWhileBlockingSendersReadTheirOwnAnswers() throws Exception
    {
        // blocked senders read answers themselves when the producer thread is not; what is tried here is that an
        // async send's answer never gets its callback run on such a sender's thread
        producer = Producer.start(udp().instanceName("mixed"));
        awaitConnected(producer);
        final Set<String> callbackThreads = ConcurrentHashMap.newKeySet();
        final AtomicLong callbacks = new AtomicLong();
        final SendCallback callback = new SendCallback()
        {
            public void onComplete(final long sequence, final SendStatus status, final long journalIndex)
            {
                callbackThreads.add(Thread.currentThread().getName());
                callbacks.incrementAndGet();
            }

            public void onError(final long sequence, final SendException error)
            {
                callbackThreads.add(Thread.currentThread().getName() + " (error " + error.getMessage() + ")");
                callbacks.incrementAndGet();
            }
        };
        final ExecutorService blocking = Executors.newFixedThreadPool(2);
        try
        {
            final List<Future<Integer>> senders = new ArrayList<>();
            for (int t = 0; t < 2; t++)
            {
                senders.add(blocking.submit(() ->
                {
                    int ok = 0;
                    for (int i = 0; i < 2_000; i++)
                    {
                        ok += producer.send(new Message().topic("sync").body(new byte[32]), 20_000).status() == SendStatus.SEND_OK ? 1 : 0;
                    }
                    return ok;
                }));
            }
            long accepted = 0;
            final Message async = new Message().topic("async").body(new byte[32]);
            for (int i = 0; i < 4_000; i++)
            {
                if (producer.sendAsync(async, callback) > 0)
                {
                    accepted++;
                }
                else
                {
                    Thread.yield();
                }
            }
            for (final Future<Integer> sender : senders)
            {
                assertEquals(2_000, sender.get(60, TimeUnit.SECONDS));
            }
            final long expected = accepted;
            awaitTrue("every accepted async send called back", () -> callbacks.get() == expected);
            assertEquals(Set.of("peregrine-producer-mixed"), callbackThreads);
        }
        finally
        {
            blocking.shutdownNow();
        }
    }

    /**
     * Hold the producer's own thread inside an async send's callback until the returned latch is released.
     */
    private static CountDownLatch holdProducerThread(final Producer producer) throws InterruptedException
    {
        final CountDownLatch callbackEntered = new CountDownLatch(1);
        final CountDownLatch releaseCallback = new CountDownLatch(1);
        producer.sendAsync(new Message().topic("holder").body(new byte[1]), new SendCallback()
        {
            public void onComplete(final long sequence, final SendStatus status, final long journalIndex)
            {
                callbackEntered.countDown();
                await(releaseCallback);
            }

            public void onError(final long sequence, final SendException error)
            {
                callbackEntered.countDown();
            }
        });
        assertTrue(callbackEntered.await(30, TimeUnit.SECONDS), "the producer thread is in the callback");
        return releaseCallback;
    }

    @Test
    void shouldCompleteABlockingSendOnItsOwnThreadWhileTheProducerThreadIsHeld() throws Exception
    {
        // what is tried: the producer's own thread is held inside an async send's callback, so only the blocked sender
        // can read its answer from the stream; the send must still complete, read by its own thread
        producer = Producer.start(udp().instanceName("held"));
        awaitConnected(producer);
        final CountDownLatch releaseCallback = holdProducerThread(producer);
        try
        {
            final long readBefore = producer.answersReadBySenders();
            for (int i = 0; i < 10; i++)
            {
                assertEquals(SendStatus.SEND_OK, producer.send(new Message().topic("sync").body(new byte[8]), 20_000).status());
            }
            assertEquals(10, producer.answersReadBySenders() - readBefore, "each answer read by the blocked sender itself");
        }
        finally
        {
            releaseCallback.countDown();
        }
    }

    @Test
    void shouldCallEveryCallbackExactlyOnceForEightThreadsOfTenThousandSends() throws Exception
    {
        producer = Producer.start(udp().maxInFlight(1024));
        awaitConnected(producer);
        final int threads = 8;
        final int perThread = 10_000;
        final Set<Long> accepted = ConcurrentHashMap.newKeySet();
        final Set<Long> completed = ConcurrentHashMap.newKeySet();
        final AtomicLong callbacks = new AtomicLong();
        final AtomicLong duplicates = new AtomicLong();
        final AtomicLong notOk = new AtomicLong();
        final SendCallback callback = new SendCallback()
        {
            public void onComplete(final long sequence, final SendStatus status, final long journalIndex)
            {
                callbacks.incrementAndGet();
                if (!completed.add(sequence))
                {
                    duplicates.incrementAndGet();
                }
                if (status != SendStatus.SEND_OK)
                {
                    notOk.incrementAndGet();
                }
            }

            public void onError(final long sequence, final SendException error)
            {
                callbacks.incrementAndGet();
                notOk.incrementAndGet();
                completed.add(sequence);
            }
        };
        final ExecutorService executor = Executors.newFixedThreadPool(threads);
        final List<Future<Long>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++)
        {
            final int thread = t;
            futures.add(executor.submit(() ->
            {
                final Message message = new Message().topic("async-" + thread).body(new byte[100]);
                long refusedForFlowControl = 0;
                for (int i = 0; i < perThread; i++)
                {
                    long result;
                    while ((result = producer.sendAsync(message, 60_000, callback)) < 0)
                    {
                        assertTrue(result == Producer.BUSY || result == Producer.BACK_PRESSURED, producer.codeText(result));
                        refusedForFlowControl++;
                        Thread.yield();
                    }
                    assertTrue(accepted.add(result), "sequence " + result + " returned twice");
                }
                return refusedForFlowControl;
            }));
        }
        for (final Future<Long> future : futures)
        {
            future.get(120, TimeUnit.SECONDS);
        }
        executor.shutdown();
        awaitTrue("every callback called", () -> callbacks.get() >= threads * perThread);
        assertEquals(threads * perThread, accepted.size());
        assertEquals(accepted, completed, "each accepted send completed");
        assertEquals(threads * perThread, callbacks.get(), "exactly one callback per send");
        assertEquals(0, duplicates.get());
        assertEquals(0, notOk.get());
        awaitTrue("all stored", () -> broker.sendsStored() == threads * perThread + 1);
    }

    @Test
    void shouldReturnBusyOnceMaxInFlightSendsWait() throws Exception
    {
        producer = Producer.start(udp().maxInFlight(1));
        awaitConnected(producer);
        final CountDownLatch callbackEntered = new CountDownLatch(1);
        final CountDownLatch releaseCallback = new CountDownLatch(1);
        final List<String> outcomes = new ArrayList<>();
        final SendCallback blockingFirst = new SendCallback()
        {
            public void onComplete(final long sequence, final SendStatus status, final long journalIndex)
            {
                synchronized (outcomes)
                {
                    outcomes.add(sequence + " " + status);
                }
                if (outcomes.size() == 1)
                {
                    callbackEntered.countDown();
                    await(releaseCallback); // holds the producer's thread: no further response is processed
                }
            }

            public void onError(final long sequence, final SendException error)
            {
                synchronized (outcomes)
                {
                    outcomes.add(sequence + " " + error.kind());
                }
            }
        };
        final Message message = new Message().topic("bound").body(new byte[10]);
        final long first = producer.sendAsync(message, blockingFirst);
        assertTrue(first > 0);
        assertTrue(callbackEntered.await(30, TimeUnit.SECONDS));
        final long second = producer.sendAsync(message, blockingFirst);
        assertTrue(second > 0, "the first send's slot was freed before its callback ran: " + producer.codeText(second));
        assertEquals(Producer.BUSY, producer.sendAsync(message, blockingFirst), "one send already in flight");
        releaseCallback.countDown();
        awaitTrue("second completes", () -> outcomes.size() == 2);
        assertEquals(List.of(first + " SEND_OK", second + " SEND_OK"), outcomes);
        assertTrue(producer.sendAsync(message, blockingFirst) > 0, "a slot is free again");
    }

    private static void await(final CountDownLatch latch)
    {
        try
        {
            latch.await(30, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void shouldCompleteFutures() throws Exception
    {
        producer = Producer.start(udp());
        awaitConnected(producer);
        final List<java.util.concurrent.CompletableFuture<SendResult>> futures = new ArrayList<>();
        for (int i = 0; i < 100; i++)
        {
            futures.add(producer.sendAsync(new Message().topic("futures").body(new byte[]{ (byte)i })));
        }
        long previous = -1;
        for (final java.util.concurrent.CompletableFuture<SendResult> future : futures)
        {
            final SendResult result = future.get(30, TimeUnit.SECONDS);
            assertEquals(SendStatus.SEND_OK, result.status());
            assertTrue(result.journalIndex() > previous, "one producer thread's sends are stored in order");
            previous = result.journalIndex();
        }
    }

    @Test
    void shouldStoreOnewaySendsWithoutAnswering()
    {
        producer = Producer.start(udp());
        awaitConnected(producer);
        final Message message = new Message().topic("oneway");
        int sent = 0;
        while (sent < 500)
        {
            final long result = producer.sendOneway(message.body(new byte[]{ (byte)sent, 1, 2 }));
            if (result > 0)
            {
                sent++;
            }
            else
            {
                assertEquals(Producer.BACK_PRESSURED, result, producer.codeText(result));
            }
        }
        awaitTrue("500 oneway sends stored", () -> broker.sendsStored() == 501);
        assertEquals(0, broker.responsesDropped(), "the broker answered none of them");
        producer.close();
        broker.close();
        final List<BrokerTestSupport.Stored> stored = BrokerTestSupport.readJournal(dir);
        assertEquals(501, stored.size());
        for (int i = 0; i < 500; i++)
        {
            assertEquals((byte)i, stored.get(i + 1).body()[0], "oneway sends of one thread are stored in order");
        }
    }

    @Test
    void shouldResendABlockingSendWhoseAnswerDoesNotArriveAndStoreItOnce() throws Exception
    {
        producer = Producer.start(udp().retryTimesWhenSendFailed(2));
        awaitConnected(producer);
        final CountDownLatch releaseCallback = holdProducerThread(producer);
        // a second async send, whose answer then sits at the head of the stream: only the held producer thread may read
        // it, and a blocked sender never reads past it, so the blocking send's answer behind it does not arrive
        assertTrue(producer.sendAsync(new Message().topic("blocker").body(new byte[1]), new SendCallback()
        {
            public void onComplete(final long sequence, final SendStatus status, final long journalIndex)
            {
            }

            public void onError(final long sequence, final SendException error)
            {
            }
        }) > 0);

        final ExecutorService executor = Executors.newSingleThreadExecutor();
        final Future<SendResult> blocking = executor.submit(() -> producer.send(new Message().topic("retried").body(new byte[8]), 6_000));
        awaitTrue("the blocking send's first attempt ran out and it was resent", () -> producer.retries() >= 1);
        awaitTrue("the broker saw the resend", () -> broker.duplicatesReceived() >= 1);
        releaseCallback.countDown();
        final SendResult result = blocking.get(60, TimeUnit.SECONDS);
        executor.shutdown();
        assertEquals(SendStatus.SEND_OK, result.status());

        producer.close();
        broker.close();
        final List<BrokerTestSupport.Stored> retried = BrokerTestSupport.readJournal(dir).stream()
            .filter((r) -> r.topic().equals("retried")).toList();
        assertEquals(1, retried.size(), "stored once although sent " + (1 + producer.retries()) + " times");
        assertEquals(result.journalIndex(), retried.get(0).index());
        assertEquals(result.sequence(), retried.get(0).sequence());
    }

    @Test
    void shouldRefuseASecondProducerWithTheSameGroupAndInstance()
    {
        producer = Producer.start(udp().producerGroup("billing").instanceName("a"));
        final IllegalStateException ex = assertThrows(IllegalStateException.class,
            () -> Producer.start(udp().producerGroup("billing").instanceName("a")));
        assertTrue(ex.getMessage().contains("billing") && ex.getMessage().contains("instanceName"), ex.getMessage());
        try (Producer other = Producer.start(udp().producerGroup("billing").instanceName("b")))
        {
            awaitConnected(other);
        }
        producer.close();
        producer = Producer.start(udp().producerGroup("billing").instanceName("a"));
        awaitConnected(producer);
    }
}
